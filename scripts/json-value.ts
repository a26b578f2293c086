/**
 * Reading JSON whose shape nothing checked up front (JSON.parse's result, a synthesized stack's resources, the body
 * of an AWS request) field by field, as optional chaining would read it: a field that is missing, or a field of
 * something that is not an object, is undefined. The caller narrows what it gets to the type it needs.
 */

/** A JSON object's fields. */
export type JsonObject = { readonly [name: string]: unknown };

/** The value when it is a JSON object; undefined for anything else (absent, null, an array, a string...). */
export function jsonObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** `value?.[key]?.[next]...`: the member at that path through objects and arrays; undefined where the path breaks. */
export function at(value: unknown, ...path: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as { readonly [key: string | number]: unknown })[key];
  }
  return current;
}

/** The string at that path (see at); undefined when there is none, or something else is there. */
export function stringAt(value: unknown, ...path: ReadonlyArray<string | number>): string | undefined {
  const found = at(value, ...path);
  return typeof found === "string" ? found : undefined;
}

/**
 * A value as text, as String writes it (a string as it is, `null`, `undefined`, a number or a boolean as its
 * literal), except that an object or an array is written as its JSON rather than as `[object Object]`.
 */
export function textOf(value: unknown): string {
  return typeof value === "string" ? value : String(JSON.stringify(value));
}
