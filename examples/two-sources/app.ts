import { App } from "cdktf";
import { EnvironmentConfig } from "../../stacks/config";
import { MessageWorkflow } from "../../stacks/constructs/message-workflow";
import { MessagesTable } from "../../stacks/constructs/messages-table";
import { RecorderFunction } from "../../stacks/constructs/recorder-function";
import { Rule } from "../../stacks/constructs/events";
import { StateMachineTarget } from "../../stacks/constructs/targets";
import { PipelineStack, PipelineStackProps } from "../../stacks/pipeline-stack";

/** The source of the second kind of event this composition records. */
export const ORDERS_SOURCE = "com.example.orders";

/**
 * The recorder pipeline, plus two additions composed from the exported constructs:
 * 1. orders: a second rule on the same bus, for another source, into the same workflow (same table);
 * 2. audit: a second recorder writing to its own table, behind its own workflow, which the first rule feeds
 *    too, so every message is also kept in the audit table.
 */
export function defineTwoSources(app: App, config: EnvironmentConfig, props: Omit<PipelineStackProps, "config"> = {}): PipelineStack {
  const pipeline = new PipelineStack(app, `two-sources-${config.environment}`, { config, ...props });
  const {
    environment: env,
    table: { protectFromDeletion },
  } = config;
  const key = pipeline.encryptionKey ? { encryptionKey: pipeline.encryptionKey } : {};

  // 1. Orders: one rule on the same bus, one target into the same workflow, sharing its dead-letter queue.
  new Rule(pipeline, "orders-rule", {
    ruleName: `ordersRule-${env}`,
    eventBus: pipeline.bus,
    eventPattern: { source: [ORDERS_SOURCE] },
  }).addTarget(
    new StateMachineTarget(pipeline.workflow, { deadLetterQueue: pipeline.deadLetterQueue, retryAttempts: 3, maxEventAgeInSeconds: 3600 }),
  );

  // 2. Audit: a second recorder and its own table, behind its own workflow, as a second target of the first rule.
  const auditTable = new MessagesTable(pipeline, "audit-table", { tableName: `AuditTable-${env}`, protectFromDeletion, ...key });
  const auditRecorder = new RecorderFunction(pipeline, "audit-recorder", {
    functionName: `audit-recorder-${env}`,
    table: auditTable,
    ...key,
  });
  const auditWorkflow = new MessageWorkflow(pipeline, "audit-workflow", {
    stateMachineName: `AuditRecorder-${env}`,
    recorder: auditRecorder,
    ...key,
  });
  auditWorkflow.grantTaskResponse(auditRecorder);
  pipeline.rule.addTarget(new StateMachineTarget(auditWorkflow, { targetId: "audit-workflow", deadLetterQueue: pipeline.deadLetterQueue }));
  return pipeline;
}
