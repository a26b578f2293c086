import { matchesPattern, UnsupportedPatternError } from "../scripts/local/event-pattern";

/** Cases taken from the EventBridge event-pattern documentation's semantics. */
const event = {
  id: "1",
  source: "com.devpost.commonevent",
  "detail-type": "message",
  detail: { state: "running", count: 5, tags: ["a", "b"], nothing: null, name: "Alpha" },
};

describe("EventBridge event-pattern matching", () => {
  test("the rule's pattern matches its own source and nothing else", () => {
    const pattern = { source: ["com.devpost.commonevent"] };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, source: "com.devpost.other" })).toBe(false);
    expect(matchesPattern(pattern, { ...event, source: "COM.DEVPOST.COMMONEVENT" })).toBe(false);
  });

  test("a field the pattern names must be present", () => {
    expect(matchesPattern({ source: ["x"] }, { id: "1" })).toBe(false);
  });

  test("fields the pattern does not name are ignored, and every named field must match", () => {
    expect(matchesPattern({ source: ["com.devpost.commonevent"], "detail-type": ["message"] }, event)).toBe(true);
    expect(matchesPattern({ source: ["com.devpost.commonevent"], "detail-type": ["other"] }, event)).toBe(false);
  });

  test("alternatives in an array are OR-ed", () => {
    expect(matchesPattern({ source: ["a", "com.devpost.commonevent"] }, event)).toBe(true);
  });

  test("nested objects descend into the event", () => {
    expect(matchesPattern({ detail: { state: ["running"] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: ["stopped"] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: { deeper: ["x"] } } }, event)).toBe(false);
  });

  test("an array in the event matches if any element matches", () => {
    expect(matchesPattern({ detail: { tags: ["b"] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ["c"] } }, event)).toBe(false);
  });

  test("numbers match by value and null matches null", () => {
    expect(matchesPattern({ detail: { count: [5] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { count: ["5"] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { nothing: [null] } }, event)).toBe(true);
  });

  test("prefix, suffix and equals-ignore-case", () => {
    expect(matchesPattern({ source: [{ prefix: "com.devpost." }] }, event)).toBe(true);
    expect(matchesPattern({ source: [{ suffix: ".commonevent" }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ "equals-ignore-case": "alpha" }] } }, event)).toBe(true);
    expect(matchesPattern({ source: [{ prefix: "org." }] }, event)).toBe(false);
  });

  test("anything-but a value, a list, or a prefix", () => {
    expect(matchesPattern({ detail: { state: [{ "anything-but": "stopped" }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ "anything-but": ["running", "stopped"] }] } }, event)).toBe(false);
    expect(matchesPattern({ source: [{ "anything-but": { prefix: "com." } }] }, event)).toBe(false);
  });

  test("exists true and false", () => {
    expect(matchesPattern({ detail: { state: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ exists: false }] } }, event)).toBe(false);
  });

  test("numeric ranges", () => {
    expect(matchesPattern({ detail: { count: [{ numeric: [">", 0, "<=", 5] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { count: [{ numeric: [">", 5] }] } }, event)).toBe(false);
  });

  test("throws on an operator it does not implement rather than guessing", () => {
    expect(() => matchesPattern({ source: [{ wildcard: "com.*" }] }, event)).toThrow(UnsupportedPatternError);
    expect(() => matchesPattern({ source: "com.devpost.commonevent" }, event)).toThrow(/must be an array or an object/);
  });
});
