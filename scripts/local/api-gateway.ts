import Ajv from "ajv-draft-04";
import { render } from "velocityjs";
import { textOf } from "../json-value";

/**
 * A REST API method with an AWS integration, run offline from its synthesized declaration: the request model
 * (JSON Schema draft 4, validated by ajv-draft-04 as API Gateway validates it), the request mapping template
 * and the integration responses (VTL, rendered by velocityjs with the `$input`, `$util` and `$context`
 * variables API Gateway provides), selection patterns matched against the backend's HTTP status, and
 * `$context.responseOverride.status`.
 */
export interface IntegrationResponseDeclaration {
  readonly statusCode: string;
  /** Regex over the backend's HTTP status; none: the default response. */
  readonly selectionPattern?: string;
  readonly template: string;
}

export interface RestMethodDeclaration {
  readonly modelSchema?: unknown;
  readonly requestTemplate: string;
  readonly integrationResponses: readonly IntegrationResponseDeclaration[];
  /** The BAD_REQUEST_BODY gateway response, if customized. */
  readonly badRequestBodyTemplate?: string;
}

/** The AWS service behind the integration: takes the rendered request, answers an HTTP status and a JSON body. */
export type Backend = (request: unknown) => Promise<[number, unknown]>;

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export class LocalRestMethod {
  private readonly validate?: ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };

  constructor(private readonly declaration: RestMethodDeclaration) {
    if (declaration.modelSchema) {
      this.validate = new Ajv({ allErrors: false, strict: false }).compile(declaration.modelSchema);
    }
  }

  /** @param headers the request's headers, by name as sent (what `$input.params(name)` reads) */
  async call(
    body: string,
    backend: Backend,
    contentType = "application/json",
    headers: Readonly<Record<string, string>> = {},
  ): Promise<ApiAnswer> {
    // passthrough_behavior NEVER: only the content types with a template are let through.
    if (contentType !== "application/json") return { status: 415, body: { message: "Unsupported Media Type" } };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.badRequest("Invalid request body");
    }
    if (this.validate && !this.validate(parsed)) {
      const [first] = this.validate.errors ?? [];
      return this.badRequest(`[${first?.instancePath || "object"} ${first?.message ?? "is invalid"}]`);
    }
    const request: unknown = JSON.parse(renderTemplate(this.declaration.requestTemplate, parsed, {}, headers));
    const [backendStatus, answer] = await backend(request);
    const selected =
      this.declaration.integrationResponses.find(
        (r) => r.selectionPattern && new RegExp(`^${r.selectionPattern}$`).test(String(backendStatus)),
      ) ?? this.declaration.integrationResponses.find((r) => !r.selectionPattern);
    if (!selected) return { status: 500, body: { message: "Internal server error" } };
    const context: { responseOverride: { status?: number } } = { responseOverride: {} };
    const rendered = renderTemplate(selected.template, answer, context, headers);
    return { status: context.responseOverride.status ?? Number(selected.statusCode), body: JSON.parse(rendered) };
  }

  private badRequest(validationErrorString: string): ApiAnswer {
    const template = this.declaration.badRequestBodyTemplate;
    if (!template) return { status: 400, body: { message: "Invalid request body" } };
    // Gateway responses are not VTL: variables are substituted, `$context.error.*String` as quoted JSON strings.
    const substituted = template.replace(/\$context\.error\.validationErrorString/g, JSON.stringify(validationErrorString));
    return { status: 400, body: JSON.parse(substituted) };
  }
}

/** Renders a mapping template against a JSON payload, with the variables API Gateway gives templates. */
export function renderTemplate(
  template: string,
  payload: unknown,
  context: object,
  headers: Readonly<Record<string, string>> = {},
): string {
  const input = {
    json: (path: string) => JSON.stringify(jsonPath(payload, path)),
    path: (path: string) => jsonPath(payload, path),
    // A method request parameter by name (here only headers, matched without regard to case); "" when absent.
    params: (name: string) =>
      new JavaString(Object.entries(headers).find(([header]) => header.toLowerCase() === name.toLowerCase())?.[1] ?? ""),
  };
  return render(template, {
    input,
    util: {
      escapeJavaScript: (value: unknown) =>
        new JavaString(escapeJavaScript(value instanceof JavaString ? value.toString() : textOf(value ?? ""))),
    },
    context,
  });
}

/** `$`, `$.a.b`, `$.a[0]`: the subset of JSONPath the templates use. */
function jsonPath(payload: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new Error(`unsupported JSONPath ${path}`);
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]/g) ?? [];
  return steps.reduce<unknown>((value, step) => {
    if (value === null || typeof value !== "object") return undefined;
    const key = step.startsWith("[") ? Number(step.slice(1, -1)) : step.slice(1);
    return (value as Record<string | number, unknown>)[key];
  }, payload);
}

/** A Java string as VTL sees it: `replaceAll` takes a Java regex, which for these templates reads as JavaScript's. */
class JavaString {
  constructor(private readonly value: string) {}

  replaceAll(regex: string, replacement: string): JavaString {
    return new JavaString(this.value.replace(new RegExp(regex, "g"), replacement));
  }

  /** Java's String.matches: the whole string against the regex. */
  matches(regex: string): boolean {
    return new RegExp(`^(?:${regex})$`).test(this.value);
  }

  toString(): string {
    return this.value;
  }

  valueOf(): string {
    return this.value;
  }
}

/**
 * `$util.escapeJavaScript`: Apache Commons Lang's StringEscapeUtils.escapeJavaScript, which API Gateway uses.
 * Escapes quotes (both), backslash and slash, names the usual control characters, and writes every other
 * character outside printable ASCII as \uXXXX.
 */
export function escapeJavaScript(text: string): string {
  const named: Record<string, string> = {
    "\b": "\\b",
    "\n": "\\n",
    "\t": "\\t",
    "\f": "\\f",
    "\r": "\\r",
    "'": "\\'",
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
  };
  let out = "";
  for (const char of text) {
    if (named[char]) {
      out += named[char];
      continue;
    }
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f) {
      out += char;
    } else {
      // Commons Lang escapes UTF-16 code units, so a character outside the BMP becomes a surrogate pair.
      for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return out;
}
