/** The fields of an event as EventBridge delivers it to a rule's target. */
export interface MessageEvent {
  readonly version: string;
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/**
 * A message event of the pipeline's source, as the bus delivers it (fields in EventBridge's order); `fields`
 * replace any of them or add others, and `detail` defaults to a small JSON message.
 */
export function messageEvent(id: string, fields: Partial<MessageEvent> = {}): MessageEvent {
  return {
    version: "0",
    id,
    "detail-type": "message",
    source: "com.devpost.commonevent",
    account: "000000000000",
    time: "2022-04-16T12:20:00Z",
    region: "us-east-1",
    resources: [],
    detail: { message: JSON.stringify({ hello: "world" }) },
    ...fields,
  };
}
