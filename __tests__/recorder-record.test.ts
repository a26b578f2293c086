import { failureCause, InvalidRecordError, MAX_ITEM_BYTES, messageIdOf, parseRecord, successOutput, taskTokenOf, toItem } from "../lambdas/recorder/record";

const valid = {
  MyTaskToken: "token-1",
  Record: { messageId: "cdd51245-987a-b3c7-eecf-6d6d63046073", createdAt: "2022-04-16T12:20:00Z", event: { hello: "world" } },
};

describe("recorder record rules", () => {
  test("a valid record becomes the stored item: createdAt in epoch milliseconds, event as a JSON string", () => {
    expect(toItem(parseRecord(valid))).toEqual({
      messageId: { S: "cdd51245-987a-b3c7-eecf-6d6d63046073" },
      createdAt: { N: "1650111600000" },
      event: { S: "{\"hello\":\"world\"}" },
    });
  });

  test("the stored event is the raw message byte for byte: big numbers, key order and spacing kept", () => {
    const raw = "{ \"amount\": 12345678901234567890, \"b\": 1, \"a\": 0.10 }";
    const record = parseRecord({ Record: { ...valid.Record, event: JSON.parse(raw), message: raw } });
    expect(toItem(record).event).toEqual({ S: raw });
    expect(JSON.stringify(record.event)).not.toBe(raw);
  });

  test("a record without the raw message (from a definition still running during a deploy) stores the event as JSON", () => {
    expect(toItem(parseRecord(valid)).event).toEqual({ S: "{\"hello\":\"world\"}" });
  });

  test("rejects a raw message that is not a string", () => {
    expect(() => parseRecord({ Record: { ...valid.Record, message: { hello: "world" } } }))
      .toThrow(new InvalidRecordError("Record.message: not a string (the raw detail.message)"));
  });

  test("rejects a message whose item would exceed DynamoDB's 400 KB item limit, naming the size", () => {
    const raw = JSON.stringify({ text: "x".repeat(MAX_ITEM_BYTES) });
    expect(() => parseRecord({ Record: { ...valid.Record, event: {}, message: raw } }))
      .toThrow(/^Record\.message: the item would be 409\d{3} bytes, above DynamoDB's 409600-byte item limit$/);
  });

  test("an offset and fractional seconds in createdAt are honoured", () => {
    const record = parseRecord({ Record: { ...valid.Record, createdAt: "2022-04-16T14:20:00.250+02:00" } });
    expect(record.createdAtMillis).toBe(1650111600250);
  });

  test("an event that is not an object (a JSON string, number or array) is kept as JSON", () => {
    expect(toItem(parseRecord({ Record: { ...valid.Record, event: "plain" } })).event).toEqual({ S: "\"plain\"" });
    expect(toItem(parseRecord({ Record: { ...valid.Record, event: [1, 2] } })).event).toEqual({ S: "[1,2]" });
  });

  test.each([
    ["no Record", {}, "Record: missing or not an object"],
    ["a Record that is an array", { Record: [] }, "Record: missing or not an object"],
    ["no messageId", { Record: { createdAt: "2022-04-16T12:20:00Z", event: {} } }, "Record.messageId: missing or not a non-empty string"],
    ["a blank messageId", { Record: { messageId: "  ", createdAt: "2022-04-16T12:20:00Z", event: {} } }, "Record.messageId: missing or not a non-empty string"],
    ["a numeric messageId", { Record: { messageId: 42, createdAt: "2022-04-16T12:20:00Z", event: {} } }, "Record.messageId: missing or not a non-empty string"],
    ["a messageId over 2048 bytes", { Record: { messageId: "é".repeat(1025), createdAt: "2022-04-16T12:20:00Z", event: {} } }, "Record.messageId: longer than 2048 bytes"],
    ["no createdAt", { Record: { messageId: "m", event: {} } }, "Record.createdAt: null is not an ISO 8601 date-time such as 2022-04-16T12:20:00Z"],
    ["an unparseable createdAt", { Record: { messageId: "m", createdAt: "yesterday", event: {} } }, "Record.createdAt: \"yesterday\" is not an ISO 8601 date-time such as 2022-04-16T12:20:00Z"],
    ["a createdAt without an offset", { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00", event: {} } }, "Record.createdAt: \"2022-04-16T12:20:00\" is not an ISO 8601 date-time such as 2022-04-16T12:20:00Z"],
    ["an impossible date", { Record: { messageId: "m", createdAt: "2022-13-45T12:20:00Z", event: {} } }, "Record.createdAt: \"2022-13-45T12:20:00Z\" is not an ISO 8601 date-time such as 2022-04-16T12:20:00Z"],
    ["no event", { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00Z" } }, "Record.event: missing"],
    ["a null event", { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00Z", event: null } }, "Record.event: missing"],
  ])("rejects %s", (_case, input, message) => {
    expect(() => parseRecord(input)).toThrow(new InvalidRecordError(message));
  });

  test("the token is read only when it is a non-empty string", () => {
    expect(taskTokenOf(valid)).toBe("token-1");
    expect(taskTokenOf({ MyTaskToken: "" })).toBeUndefined();
    expect(taskTokenOf({ MyTaskToken: 7 })).toBeUndefined();
    expect(taskTokenOf(null)).toBeUndefined();
  });

  test("the messageId is found even in a record that is otherwise invalid", () => {
    expect(messageIdOf({ Record: { messageId: "m-1" } })).toBe("m-1");
    expect(messageIdOf({})).toBeUndefined();
  });

  test("the answers have the design's shapes", () => {
    expect(successOutput(parseRecord(valid), true)).toEqual({
      statusCode: 200,
      putStatus: { messageId: valid.Record.messageId, createdAt: 1650111600000, duplicate: true },
    });
    expect(failureCause("DynamoDBError", "boom", "m-1")).toEqual({ statusCode: 500, error: "DynamoDBError", message: "boom", messageId: "m-1" });
  });
});
