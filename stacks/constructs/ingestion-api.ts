import { Construct } from "constructs";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ApiConfig } from "../config";
import { EventIngress } from "./event-ingress";
import { ServiceRole } from "./service-role";

/** The detail-type every message sent through the API carries. */
export const API_DETAIL_TYPE = "message";

export interface IngestionApiProps {
  readonly apiName: string;
  readonly ingress: EventIngress;
  /** The `source` stamped on every event, the one the rule matches. */
  readonly eventSource: string;
  readonly api: ApiConfig;
  readonly logRetentionInDays: number;
}

/**
 * `POST /messages` on an HTTP API, integrated directly with EventBridge PutEvents (no Lambda in between): the
 * request body becomes the event's detail. The route always requires authorization.
 */
export class IngestionApi extends Construct {
  public readonly messagesUrl: string;
  public readonly apiId: string;

  constructor(scope: Construct, id: string, props: IngestionApiProps) {
    super(scope, id);
    const api = new Apigatewayv2Api(this, "api", {
      name: props.apiName,
      protocolType: "HTTP",
      description: "Publishes messages to the message recorder's event bus",
    });
    this.apiId = api.id;

    const role = new ServiceRole(this, "role", {
      roleName: `${props.apiName}-role`,
      assumedBy: "apigateway.amazonaws.com",
      description: "Lets the messages API put events on the bus",
    });
    props.ingress.grantPutEvents(role);

    const integration = new Apigatewayv2Integration(this, "put-events", {
      apiId: api.id,
      integrationType: "AWS_PROXY",
      integrationSubtype: "EventBridge-PutEvents",
      credentialsArn: role.roleArn,
      payloadFormatVersion: "1.0",
      requestParameters: {
        EventBusName: props.ingress.eventBusName,
        Source: props.eventSource,
        DetailType: API_DETAIL_TYPE,
        Detail: "$request.body",
      },
      dependsOn: [role.policy],
    });

    const auth = props.api.authorization;
    const authorizer = auth.type === "jwt"
      ? new Apigatewayv2Authorizer(this, "jwt", {
        apiId: api.id,
        name: `${props.apiName}-jwt`,
        authorizerType: "JWT",
        identitySources: ["$request.header.Authorization"],
        jwtConfiguration: { issuer: auth.issuer, audience: [...auth.audience] },
      })
      : undefined;
    new Apigatewayv2Route(this, "post-messages", {
      apiId: api.id,
      routeKey: "POST /messages",
      target: `integrations/${integration.id}`,
      authorizationType: authorizer ? "JWT" : "AWS_IAM",
      ...(authorizer ? { authorizerId: authorizer.id } : {}),
    });

    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/vendedlogs/apigateway/${props.apiName}`,
      retentionInDays: props.logRetentionInDays,
    });
    new Apigatewayv2Stage(this, "stage", {
      apiId: api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: props.api.throttlingRateLimit,
        throttlingBurstLimit: props.api.throttlingBurstLimit,
      },
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId", ip: "$context.identity.sourceIp", caller: "$context.identity.caller",
          user: "$context.identity.user", requestTime: "$context.requestTime", routeKey: "$context.routeKey",
          status: "$context.status", integrationError: "$context.integrationErrorMessage",
        }),
      },
    });
    this.messagesUrl = `${api.apiEndpoint}/messages`;
  }
}
