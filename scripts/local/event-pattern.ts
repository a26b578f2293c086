/**
 * EventBridge event-pattern matching for the local pipeline, following the documented semantics
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * eb-create-pattern-operators.html):
 * - every field named in the pattern must match; fields the pattern does not name are ignored;
 * - a pattern field holds an array of alternatives (OR); a nested object descends into the event;
 * - a plain value matches exactly (strings are case-sensitive, numbers by value, null matches null);
 * - an event field that is an array matches if any of its elements matches;
 * - operators: prefix, suffix, anything-but (value, list, or {prefix}), exists, numeric, equals-ignore-case.
 * Any other operator is refused with an error rather than guessed at.
 */

export class UnsupportedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedPatternError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const ABSENT = Symbol("absent");
type Field = Json | typeof ABSENT;

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new UnsupportedPatternError("an event pattern must be a JSON object");
  return matchObject(pattern, event, "");
}

function matchObject(pattern: { [key: string]: Json }, event: unknown, at: string): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value: Field = isObject(event) && key in event ? event[key] : ABSENT;
    const path = at ? `${at}.${key}` : key;
    if (isObject(rule)) return value !== ABSENT && matchObject(rule, value, path);
    if (!Array.isArray(rule)) throw new UnsupportedPatternError(`${path}: a pattern value must be an array or an object`);
    return rule.some((alternative) => matchAlternative(alternative, value, path));
  });
}

function matchAlternative(alternative: Json, value: Field, path: string): boolean {
  if (isObject(alternative)) {
    if ("exists" in alternative) return alternative.exists === (value !== ABSENT);
    if (value === ABSENT) return false;
    return candidates(value).some((candidate) => matchOperator(alternative, candidate, path));
  }
  if (value === ABSENT) return false;
  return candidates(value).some((candidate) => candidate === alternative);
}

/** An array in the event matches if any element does. */
function candidates(value: Json): Json[] {
  return Array.isArray(value) ? value : [value];
}

function matchOperator(operator: { [key: string]: Json }, value: Json, path: string): boolean {
  const [name, ...extra] = Object.keys(operator);
  if (extra.length > 0) throw new UnsupportedPatternError(`${path}: one operator per object, found ${Object.keys(operator).join(", ")}`);
  const argument = operator[name];
  switch (name) {
    case "prefix":
      return typeof value === "string" && typeof argument === "string" && value.startsWith(argument);
    case "suffix":
      return typeof value === "string" && typeof argument === "string" && value.endsWith(argument);
    case "equals-ignore-case":
      return typeof value === "string" && typeof argument === "string" && value.toLowerCase() === argument.toLowerCase();
    case "anything-but":
      return matchAnythingBut(argument, value, path);
    case "numeric":
      return matchNumeric(argument, value, path);
    default:
      throw new UnsupportedPatternError(`${path}: the local matcher does not support the "${name}" operator`);
  }
}

function matchAnythingBut(argument: Json, value: Json, path: string): boolean {
  if (isObject(argument)) {
    if (typeof argument.prefix === "string") return typeof value === "string" && !value.startsWith(argument.prefix);
    throw new UnsupportedPatternError(`${path}: anything-but supports a value, a list, or {"prefix": ...}`);
  }
  const excluded = Array.isArray(argument) ? argument : [argument];
  return !excluded.some((item) => item === value);
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  "=": (a, b) => a === b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

function matchNumeric(argument: Json, value: Json, path: string): boolean {
  if (!Array.isArray(argument) || argument.length === 0 || argument.length % 2 !== 0) {
    throw new UnsupportedPatternError(`${path}: numeric takes pairs of operator and number`);
  }
  if (typeof value !== "number") return false;
  for (let i = 0; i < argument.length; i += 2) {
    const operator = argument[i];
    const compare = typeof operator === "string" ? COMPARISONS[operator] : undefined;
    const bound = argument[i + 1];
    if (!compare || typeof bound !== "number")
      throw new UnsupportedPatternError(`${path}: bad numeric comparison ${JSON.stringify(argument.slice(i, i + 2))}`);
    if (!compare(value, bound)) return false;
  }
  return true;
}

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
