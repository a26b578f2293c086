import { Construct } from "constructs";
import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { arnOf } from "./account";
import { EventPattern, IEventBus } from "./events";
import { Grant, IGrantable } from "./grants";
import { reconcileReplayPrefix } from "../names";
import { DEFAULTS } from "../defaults";

/** EventBridge keeps an archived event this many days; 0 keeps it forever. */
export const ARCHIVE_RETENTION_DAYS = { min: 0, max: 2_147_483_647 } as const;

export interface EventArchiveProps {
  /** 1-48 characters of letters, digits, '.', '-' and '_'. */
  readonly archiveName: string;
  /** The bus whose events are archived. */
  readonly eventBus: IEventBus & { readonly eventBusArn: string };
  /** Which events are kept: the pattern of the rule they should reach, so the archive is an independent copy of its input. */
  readonly eventPattern: EventPattern;
  /** Days each event is kept, 0 for ever. @default 7 */
  readonly retentionDays?: number;
  /** @default none */
  readonly description?: string;
}

/**
 * An archive of a bus: every event matching the pattern, kept for `retentionDays`, to be replayed (npm run
 * reconcile) against what was recorded. Encrypted with an AWS owned key: AWS provider 5.100 offers no customer
 * managed key for archives (kms_key_identifier arrived in 6.2.0).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html
 */
export class EventArchive extends Construct {
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: CloudwatchEventArchive;
  public readonly archiveName: string;
  public readonly archiveArn: string;
  private readonly physicalName: string;
  private readonly bus: EventArchiveProps["eventBus"];

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    const retention = props.retentionDays ?? DEFAULTS.archiveRetentionDays;
    this.node.addValidation({
      validate: () => [
        ...(/^[.\-_A-Za-z0-9]{1,48}$/.test(props.archiveName)
          ? []
          : [`archiveName must be 1-48 characters of letters, digits, '.', '-' and '_'. Received: ${props.archiveName}`]),
        ...(Number.isInteger(retention) && retention >= ARCHIVE_RETENTION_DAYS.min && retention <= ARCHIVE_RETENTION_DAYS.max
          ? []
          : [`retentionDays must be a whole number of days, 0 (for ever) or more. Received: ${retention}`]),
      ],
    });
    this.resource = new CloudwatchEventArchive(this, "Default", {
      name: props.archiveName,
      eventSourceArn: props.eventBus.eventBusArn,
      eventPattern: JSON.stringify(props.eventPattern),
      retentionDays: retention,
      ...(props.description ? { description: props.description } : {}),
    });
    this.archiveName = this.resource.name;
    this.archiveArn = this.resource.arn;
    this.physicalName = props.archiveName;
    this.bus = props.eventBus;
  }

  /**
   * Lets the grantee replay windows of this archive to its bus (npm run reconcile): StartReplay on the archive, the
   * bus and its own replays (named `<archive>-reconcile-*`), DescribeReplay of them, and ListReplays (which takes no
   * resource) to see whether one is already running.
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
   */
  public grantReplay(grantee: IGrantable): Grant {
    const replays = arnOf(this, "events", `replay/${reconcileReplayPrefix(this.physicalName)}*`);
    return Grant.addToPrincipal(
      grantee,
      { sid: "ReplayTheArchive", actions: ["events:StartReplay"], resources: [this.archiveArn, this.bus.eventBusArn, replays] },
      { sid: "FollowReplays", actions: ["events:DescribeReplay"], resources: [replays] },
      { sid: "ListReplays", actions: ["events:ListReplays"], resources: ["*"] },
    );
  }
}
