import * as path from "node:path";
import { IDEMPOTENCY_KEY_PREFIX, parseRecord, recordIdOf, toItem } from "../lambdas/recorder/record";
import { LocalPipeline } from "../scripts/local/pipeline";
import { synthAppToDisk } from "./support/synth";

/**
 * Producer idempotency keys: `Idempotency-Key` on POST /messages (and `npm run send`, which always sends one) makes
 * every event sent with the key one record, `idempotency-key:<key>`, with the first event's id beside it; the same
 * key with another message is a MessageConflict. Both workflow types, through the API's own templates offline.
 */
describe("the recorder's rules for a key", () => {
  const record = (detail: unknown) => ({ Record: { messageId: "evt-1", createdAt: "2022-04-16T12:20:00Z", detail } });

  test("a record with a key is stored under idempotency-key:<key>, with the event id in its own attribute", () => {
    expect(toItem(parseRecord(record({ message: '{"a":1}', idempotencyKey: "order-42" })))).toEqual({
      messageId: { S: `${IDEMPOTENCY_KEY_PREFIX}order-42` },
      createdAt: { N: "1650111600000" },
      event: { S: '{"a":1}' },
      eventId: { S: "evt-1" },
    });
  });

  test("without a key the item is keyed by the event id, as before, and has no eventId attribute", () => {
    expect(toItem(parseRecord(record({ message: "{}" })))).toEqual({
      messageId: { S: "evt-1" },
      createdAt: { N: "1650111600000" },
      event: { S: "{}" },
    });
  });

  test.each([
    ["", '""'],
    ["has space", '"has space"'],
    ["k".repeat(129), `"${"k".repeat(129)}"`],
    [42, "42"],
  ])("rejects the key %s", (key, shown) => {
    expect(() => parseRecord(record({ message: "{}", idempotencyKey: key }))).toThrow(
      `Record.detail.idempotencyKey: ${shown} is not 1 to 128 characters of A-Z a-z 0-9 _ . : -`,
    );
  });

  test("redrive and reconcile find an event's record by the same rule", () => {
    expect(recordIdOf({ id: "evt-1", detail: { message: "{}", idempotencyKey: "k" } })).toBe(`${IDEMPOTENCY_KEY_PREFIX}k`);
    expect(recordIdOf({ id: "evt-1", detail: { message: "{}" } })).toBe("evt-1");
  });
});

describe.each(["standard", "express"])("Idempotency-Key on POST /messages, %s workflow", (workflowType) => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await LocalPipeline.start({
      stackDir: path.join(synthAppToDisk({ env: { RECORDER_WORKFLOW_TYPE: workflowType } }), "stacks", "message-recorder-dev"),
      retryIntervalMs: 0,
    });
  });
  afterAll(async () => pipeline?.close());
  const post = (message: string, key?: string) =>
    pipeline.postMessage(JSON.stringify({ message }), "application/json", key === undefined ? {} : { "idempotency-key": key });

  test("a POST retried with the same key (its 200 was lost) records one item, the second answered as a duplicate", async () => {
    const first = await post('{"order":42}', `retry-${workflowType}`);
    const again = await post('{"order":42}', `retry-${workflowType}`);
    expect(first).toMatchObject({ status: 200, execution: { status: "SUCCEEDED" } });
    expect(again).toMatchObject({ status: 200, execution: { status: "SUCCEEDED" } });
    expect(again.eventId).not.toBe(first.eventId);
    expect(JSON.stringify(again.execution!.output)).toContain('"duplicate":true');
    expect(await pipeline.storedItem(`${IDEMPOTENCY_KEY_PREFIX}retry-${workflowType}`)).toEqual({
      messageId: { S: `${IDEMPOTENCY_KEY_PREFIX}retry-${workflowType}` },
      createdAt: expect.any(Object),
      event: { S: '{"order":42}' },
      eventId: { S: first.eventId },
    });
    expect(await pipeline.storedItem(first.eventId!)).toBeUndefined();
  });

  test("the same key with another message is a MessageConflict: the execution fails, and the first message stays", async () => {
    await post('{"order":1}', `conflict-${workflowType}`);
    const other = await post('{"order":2}', `conflict-${workflowType}`);
    expect(other).toMatchObject({ status: 200, execution: { status: "FAILED" } });
    expect(JSON.stringify(other.execution!.error)).toContain("MessageConflict");
    expect((await pipeline.storedItem(`${IDEMPOTENCY_KEY_PREFIX}conflict-${workflowType}`))!.event).toEqual({ S: '{"order":1}' });
  });

  test("an invalid key is refused with 400 naming the header, and nothing is published", async () => {
    const refused = await post('{"order":3}', "not a key!");
    expect(refused).toMatchObject({
      status: 400,
      matched: false,
      body: {
        accepted: false,
        errorCode: "BadIdempotencyKey",
        errorMessage: "Idempotency-Key: must be 1 to 128 characters of A-Z a-z 0-9 _ . : -",
      },
    });
  });

  test("without a key the event id is the record's key, as before", async () => {
    const plain = await post('{"order":4}');
    expect((await pipeline.storedItem(plain.eventId!))!.event).toEqual({ S: '{"order":4}' });
  });
});
