/** The value parsers of the configuration: each refuses in one line that names the setting and what is allowed. */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Raw settings before validation: what cdktf.json or the environment may hold. */
export type RawSettings = Record<string, unknown>;

export interface Setting<T> {
  /** One line for README's configuration table. */
  readonly doc: string;
  readonly env: string;
  readonly defaultValue: T;
  readonly parse: (name: string, value: unknown) => T;
}

// ---- parsers: each names the setting and the allowed values when it refuses ----

export function fail(name: string, value: unknown, allowed: string): never {
  throw new ConfigError(`${name}: ${JSON.stringify(value)} is not allowed; expected ${allowed}`);
}

export function integer(min: number, max: number) {
  return (name: string, value: unknown): number => {
    const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      fail(name, value, `an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function oneOf<T extends string | number>(allowed: readonly T[]) {
  return (name: string, value: unknown): T => {
    const candidate = typeof allowed[0] === "number" && typeof value === "string" ? Number(value) : value;
    if (!allowed.includes(candidate as T)) fail(name, value, `one of ${allowed.join(", ")}`);
    return candidate as T;
  };
}

export function matching(pattern: RegExp, description: string) {
  return (name: string, value: unknown): string => {
    if (typeof value !== "string" || !pattern.test(value)) fail(name, value, description);
    return value;
  };
}

export function boolean(name: string, value: unknown): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return fail(name, value, "true or false");
}

export function stringMap(name: string, value: unknown): Record<string, string> {
  const parsed = typeof value === "string" ? parseJson(name, value) : value;
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === "string")
  ) {
    fail(name, value, 'an object of string values, e.g. {"team":"payments"}');
  }
  return parsed as Record<string, string>;
}

export function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(name, text, "valid JSON");
  }
}
