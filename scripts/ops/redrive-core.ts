import { DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";

/**
 * Re-delivers what EventBridge dead-lettered. Each message body is the original event; it goes to the state
 * machine again as an execution named after the event id, so:
 * - the recorder sees the original messageId and its idempotent write recognises a message already recorded;
 * - a second redrive of the same event (after a crash between start and delete) gets the same execution back
 *   from StartExecution instead of a second one.
 * A message is deleted only after its execution was started; anything else stays in the queue.
 */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly queueUrl: string;
  /** Unset: each message's TARGET_ARN attribute, which EventBridge sets to the rule target. */
  readonly stateMachineArn?: string;
  readonly dryRun: boolean;
  /** Stop after this many messages. */
  readonly maxMessages: number;
  readonly log: (line: string) => void;
}

export interface RedriveCounts {
  received: number;
  redriven: number;
  deleted: number;
  failed: number;
}

const VISIBILITY_TIMEOUT_SECONDS = 60;

export async function redrive(options: RedriveOptions): Promise<RedriveCounts> {
  const counts: RedriveCounts = { received: 0, redriven: 0, deleted: 0, failed: 0 };
  const seen = new Set<string>();
  while (counts.received < options.maxMessages) {
    const { Messages = [] } = await options.sqs.send(new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: Math.min(10, options.maxMessages - counts.received),
      // A dry run hides nothing from other readers; a real run keeps a message to itself while it works on it.
      VisibilityTimeout: options.dryRun ? 0 : VISIBILITY_TIMEOUT_SECONDS,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ["All"],
    }));
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId!);
      counts.received++;
      await handleMessage(message, options, counts);
    }
  }
  return counts;
}

async function handleMessage(message: Message, options: RedriveOptions, counts: RedriveCounts): Promise<void> {
  let event: { id?: unknown };
  try {
    event = JSON.parse(message.Body ?? "") as { id?: unknown };
  } catch {
    counts.failed++;
    options.log(`kept ${message.MessageId}: the body is not JSON`);
    return;
  }
  const eventId = typeof event.id === "string" ? event.id : undefined;
  const target = options.stateMachineArn ?? message.MessageAttributes?.TARGET_ARN?.StringValue;
  if (!eventId || !target) {
    counts.failed++;
    options.log(`kept ${message.MessageId}: ${!eventId ? "the event has no id" : "no state machine: pass --state-machine-arn"}`);
    return;
  }
  if (options.dryRun) {
    options.log(`would redrive event ${eventId} to ${target} (${message.MessageAttributes?.ERROR_CODE?.StringValue ?? "no error code"})`);
    return;
  }
  try {
    await options.sfn.send(new StartExecutionCommand({ stateMachineArn: target, name: executionName(eventId), input: message.Body }));
    counts.redriven++;
  } catch (error) {
    counts.failed++;
    options.log(`kept event ${eventId}: ${(error as Error).name}: ${(error as Error).message}`);
    return;
  }
  await options.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
  counts.deleted++;
  options.log(`redrove event ${eventId}`);
}

/** Execution names allow letters, digits, '-' and '_', at most 80 characters. */
export function executionName(eventId: string): string {
  return `redrive-${eventId.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 80);
}
