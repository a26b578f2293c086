import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { EncryptionKey } from "./encryption-key";
import { IPublishableEventBus } from "./events";
import { Grant, IGrantable } from "./grants";
import { createLogGroup } from "./log-group";
import { Metric, MetricOptions, serviceMetric } from "./metric";
import {
  BAD_REQUEST_BODY_TEMPLATE,
  IDEMPOTENCY_KEY,
  MESSAGE_REQUEST_MODEL,
  PUT_EVENTS_ERROR_TEMPLATE,
  PUT_EVENTS_RESPONSE_TEMPLATE,
  putEventsRequestTemplate,
} from "./put-events-templates";
import { ServiceRole, trustStatement } from "./service-role";
import { DEFAULTS } from "../defaults";

export { API_DETAIL_TYPE } from "./put-events-templates";

/** The stage of the API; part of its URL. */
export const API_STAGE_NAME = "v1";

export interface IngestionApiProps {
  readonly apiName: string;
  readonly region: string;
  /** The bus PutEvents puts the messages on. */
  readonly eventBus: IPublishableEventBus;
  /** The `source` stamped on every event, the one the rule matches. */
  readonly eventSource: string;
  /**
   * Set API Gateway's account-level CloudWatch Logs role, which REST API access logs need (one per account and
   * region: leave it on in one environment only). @default true
   */
  readonly manageAccountLogRole?: boolean;
  /** Steady requests per second of the stage. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Burst of the stage. @default 100 */
  readonly throttlingBurstLimit?: number;
  readonly logRetentionInDays: number;
  /** X-Ray tracing of the stage. @default true (the project's `tracing` setting passes false for an EXPRESS workflow) */
  readonly tracing?: boolean;
  /** Encrypts the access logs with this key. @default CloudWatch Logs' own encryption */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * `POST /messages` on a REST API whose AWS integration calls EventBridge PutEvents directly (no Lambda): a
 * request model and validator refuse a bad body with 400 before anything is published, and the integration
 * response turns an entry PutEvents rejected into a 5xx, so a caller gets 2xx only when the event was accepted.
 * IAM (SigV4) authorization, stage throttling, JSON access logs that name the caller.
 */
export class IngestionApi extends Construct {
  /** The underlying REST API, for what this construct does not model. */
  public readonly resource: ApiGatewayRestApi;
  public readonly messagesUrl: string;
  public readonly restApiId: string;
  public readonly apiName: string;
  public readonly stageName: string;
  private readonly executionArn: string;

  constructor(scope: Construct, id: string, props: IngestionApiProps) {
    super(scope, id);
    const api = (this.resource = new ApiGatewayRestApi(this, "api", {
      name: props.apiName,
      description: "Publishes messages to the message recorder's event bus",
      endpointConfiguration: { types: ["REGIONAL"] },
    }));
    this.restApiId = api.id;
    this.executionArn = api.executionArn;
    this.apiName = api.name;

    const role = new ServiceRole(this, "role", {
      roleName: `${props.apiName}-role`,
      assumedBy: "apigateway.amazonaws.com",
      description: "Lets the messages API put events on the bus",
    });
    props.eventBus.grantPutEvents(role);

    const messages = new ApiGatewayResource(this, "messages", { restApiId: api.id, parentId: api.rootResourceId, pathPart: "messages" });
    const model = new ApiGatewayModel(this, "message-model", {
      restApiId: api.id,
      name: "Message",
      contentType: "application/json",
      schema: JSON.stringify(MESSAGE_REQUEST_MODEL),
    });
    const validator = new ApiGatewayRequestValidator(this, "body-validator", {
      restApiId: api.id,
      name: "body",
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    const method = new ApiGatewayMethod(this, "post-messages", {
      restApiId: api.id,
      resourceId: messages.id,
      httpMethod: "POST",
      authorization: "AWS_IAM",
      requestValidatorId: validator.id,
      requestModels: { "application/json": model.name },
      // Optional; the mapping templates read and check it ($input.params).
      requestParameters: { [`method.request.header.${IDEMPOTENCY_KEY.header}`]: false },
    });
    const integration = new ApiGatewayIntegration(this, "put-events", {
      restApiId: api.id,
      resourceId: messages.id,
      httpMethod: method.httpMethod,
      type: "AWS",
      integrationHttpMethod: "POST",
      uri: `arn:aws:apigateway:${props.region}:events:action/PutEvents`,
      credentials: role.roleArn,
      // Anything but JSON gets 415 instead of reaching EventBridge unmapped.
      passthroughBehavior: "NEVER",
      requestParameters: {
        "integration.request.header.X-Amz-Target": "'AWSEvents.PutEvents'",
        "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
      },
      requestTemplates: {
        "application/json": putEventsRequestTemplate({ eventBusName: props.eventBus.eventBusName, source: props.eventSource }),
      },
      dependsOn: [role.policy],
    });

    const responses: Array<{ status: string; selectionPattern?: string; template: string }> = [
      { status: "200", template: PUT_EVENTS_RESPONSE_TEMPLATE },
      { status: "500", selectionPattern: "4\\d{2}", template: PUT_EVENTS_ERROR_TEMPLATE },
      { status: "503", selectionPattern: "5\\d{2}", template: PUT_EVENTS_ERROR_TEMPLATE },
    ];
    const integrationResponses = ["200", "500", "502", "503"]
      .map((status) => {
        const methodResponse = new ApiGatewayMethodResponse(this, `response-${status}`, {
          restApiId: api.id,
          resourceId: messages.id,
          httpMethod: method.httpMethod,
          statusCode: status,
          responseModels: { "application/json": "Empty" },
        });
        const mapping = responses.find((r) => r.status === status);
        return (
          mapping &&
          new ApiGatewayIntegrationResponse(this, `integration-response-${status}`, {
            restApiId: api.id,
            resourceId: messages.id,
            httpMethod: method.httpMethod,
            statusCode: status,
            ...(mapping.selectionPattern ? { selectionPattern: mapping.selectionPattern } : {}),
            responseTemplates: { "application/json": mapping.template },
            dependsOn: [integration, methodResponse],
          })
        );
      })
      .filter((r): r is ApiGatewayIntegrationResponse => r !== undefined);

    const badBody = new ApiGatewayGatewayResponse(this, "bad-request-body", {
      restApiId: api.id,
      responseType: "BAD_REQUEST_BODY",
      statusCode: "400",
      responseTemplates: { "application/json": BAD_REQUEST_BODY_TEMPLATE },
    });

    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: api.id,
      // A new deployment whenever what the stage serves changes; the old one is removed only after the switch.
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([
            // The model's schema as configured (its hash), not as read back: a service that returns it re-serialized
            // would otherwise plan a new deployment on every run.
            messages.id,
            method.id,
            method.requestParameters,
            createHash("sha256").update(JSON.stringify(MESSAGE_REQUEST_MODEL)).digest("hex"),
            validator.id,
            integration.id,
            integration.requestTemplates,
            ...integrationResponses.map((r) => r.responseTemplates),
            badBody.responseTemplates,
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [method, integration, ...integrationResponses, badBody],
    });

    const accessLogs = createLogGroup(this, "access-logs", {
      name: `/aws/vendedlogs/apigateway/${props.apiName}`,
      retentionInDays: props.logRetentionInDays,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    const account = (props.manageAccountLogRole ?? true) ? this.accountLogRole(props.apiName) : undefined;
    const stage = new ApiGatewayStage(this, "stage", {
      restApiId: api.id,
      deploymentId: deployment.id,
      stageName: API_STAGE_NAME,
      xrayTracingEnabled: props.tracing ?? true,
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId",
          ip: "$context.identity.sourceIp",
          caller: "$context.identity.caller",
          user: "$context.identity.user",
          userArn: "$context.identity.userArn",
          accountId: "$context.identity.accountId",
          requestTime: "$context.requestTime",
          httpMethod: "$context.httpMethod",
          resourcePath: "$context.resourcePath",
          status: "$context.status",
          integrationStatus: "$context.integration.status",
          error: "$context.error.message",
          validationError: "$context.error.validationErrorString",
        }),
      },
      ...(account ? { dependsOn: [account] } : {}),
    });
    this.stageName = stage.stageName;
    new ApiGatewayMethodSettings(this, "throttling", {
      restApiId: api.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: {
        throttlingRateLimit: props.throttlingRateLimit ?? DEFAULTS.api.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? DEFAULTS.api.throttlingBurstLimit,
      },
    });
    this.messagesUrl = `${stage.invokeUrl}/messages`;
  }

  /**
   * Lets the grantee call `POST /messages` (IAM authorization): execute-api:Invoke on that method of this stage only.
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
   */
  public grantInvokePostMessages(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, {
      sid: "PostMessages",
      actions: ["execute-api:Invoke"],
      resources: [`${this.executionArn}/${API_STAGE_NAME}/POST/messages`],
    });
  }

  /** Requests answered 5xx: EventBridge refused or throttled the event, and the caller was told. */
  public metricServerErrors(options?: MetricOptions): Metric {
    return this.metric("5XXError", options);
  }

  /** Requests answered 4xx: refused bodies and keys, or callers without permission. */
  public metricClientErrors(options?: MetricOptions): Metric {
    return this.metric("4XXError", options);
  }

  /** Requests received. */
  public metricCount(options?: MetricOptions): Metric {
    return this.metric("Count", options);
  }

  /** A metric of this stage in AWS/ApiGateway. */
  public metric(metricName: string, options?: MetricOptions): Metric {
    return serviceMetric("AWS/ApiGateway", metricName, { ApiName: this.apiName, Stage: this.stageName }, "Sum", 60, options);
  }

  /**
   * REST API access logs need the account's API Gateway CloudWatch Logs role (an account-and-region setting:
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html). The AWS-managed policy is
   * the one that page prescribes; it takes "*" because one role serves every API of the account.
   */
  private accountLogRole(apiName: string): ApiGatewayAccount {
    const role = new IamRole(this, "account-logs-role", {
      name: `${apiName}-apigw-logs`,
      description: "Lets API Gateway write access logs for every REST API of this account and region",
      // The trust policy of the set-up-logging page: no condition, as for every role API Gateway assumes.
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [trustStatement(this, { assumedBy: "apigateway.amazonaws.com" })],
      }),
    });
    const attachment = new IamRolePolicyAttachment(this, "account-logs-policy", {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    });
    return new ApiGatewayAccount(this, "account", { cloudwatchRoleArn: role.arn, dependsOn: [attachment] });
  }
}
