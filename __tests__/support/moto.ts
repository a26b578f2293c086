import { ChildProcess, spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, Server } from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { App } from "cdktf";
import { defineTwoSources } from "../../examples/two-sources/app";
import { loadConfig } from "../../stacks/config";
import { temporaryDirectory } from "../../scripts/temp-dir";
import { synthAppToDisk, testArchive } from "./synth";
import { sharedInit, terraformEnv } from "./terraform";

/**
 * moto's server as the AWS endpoint of real `terraform apply`, `plan` and `destroy` runs: one server per stack (the
 * example reuses the dev environment's names), on a free loopback port, with the provider pointed at it for every
 * service the stacks use.
 */

/** Every service the stacks' resources and data sources call, by the provider's `endpoints` names. */
export const MOTO_SERVICES = [
  "apigateway",
  "cloudwatch",
  "dynamodb",
  "events",
  "iam",
  "kms",
  "lambda",
  "logs",
  "s3",
  "sfn",
  "sns",
  "sqs",
  "sts",
] as const;

/**
 * What moto does not implement that the stacks need, in one place: each entry says how the tier works around
 * it and carries a probe that sends the very request to a bare moto server, so an entry whose gap moto has
 * closed fails the test (moto.test.ts) instead of lingering.
 */
export interface MotoGap {
  readonly id: string;
  /** The operation, as the provider calls it. */
  readonly operation: string;
  /** moto's own words for it. */
  readonly motoError: string;
  /** What the tier does instead, and why that keeps the test honest. */
  readonly workaround: string;
  /** The request the provider sends, replayed against moto; the gap exists while moto answers with motoError. */
  readonly probe: { readonly target: string; readonly body: unknown; readonly contentType: string };
  /** Whether a request to the shim is this operation (the shim answers it instead of moto). */
  readonly matches: (headers: Record<string, string | string[] | undefined>) => boolean;
  /** The shim's answer. */
  readonly answer: { readonly status: number; readonly body: unknown; readonly contentType: string };
}

export const MOTO_GAPS: MotoGap[] = [
  {
    id: "sfn-validate-definition",
    operation: "states:ValidateStateMachineDefinition",
    motoError: "The validate_state_machine_definition action has not been implemented",
    workaround:
      'aws_sfn_state_machine validates its definition with this call once the definition is known (during apply, and in every later plan); moto answers 500 and the provider retries for minutes. A shim in front of moto answers it with {"result":"OK"}; the definitions are validated for real by asl-validator and amazon-states-language-service (asl-definition.test.ts), and everything else of the state machine goes to moto.',
    probe: {
      target: "AWSStepFunctions.ValidateStateMachineDefinition",
      contentType: "application/x-amz-json-1.0",
      body: { definition: '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}', type: "STANDARD" },
    },
    matches: (headers) => headers["x-amz-target"] === "AWSStepFunctions.ValidateStateMachineDefinition",
    answer: { status: 200, contentType: "application/x-amz-json-1.0", body: { result: "OK", diagnostics: [] } },
  },
  {
    id: "sfn-list-versions",
    operation: "states:ListStateMachineVersions",
    motoError: "The list_state_machine_versions action has not been implemented",
    workaround:
      "aws_sfn_state_machine lists the machine's published versions on every read (after create, in every plan); moto answers 500 and the provider retries for minutes. The stacks never publish a version (no `publish` argument), so the shim answers with the true answer for them, an empty list.",
    probe: {
      target: "AWSStepFunctions.ListStateMachineVersions",
      contentType: "application/x-amz-json-1.0",
      body: { stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:probe" },
    },
    matches: (headers) => headers["x-amz-target"] === "AWSStepFunctions.ListStateMachineVersions",
    answer: { status: 200, contentType: "application/x-amz-json-1.0", body: { stateMachineVersions: [] } },
  },
];

/** A change in `terraform show -json` of a plan. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly change: {
    readonly actions: string[];
    readonly before: Record<string, unknown> | null;
    readonly after: Record<string, unknown> | null;
    readonly after_unknown?: Record<string, unknown>;
  };
}

/** The top-level attributes a change changes (known or not). */
export function changedAttributes(change: ResourceChange): string[] {
  const before = change.change.before ?? {};
  const after = change.change.after ?? {};
  const unknown = change.change.after_unknown ?? {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...keys]
    .filter(
      (k) =>
        unknown[k] === true ||
        (typeof unknown[k] === "object" && JSON.stringify(unknown[k]).includes("true")) ||
        JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null),
    )
    .sort();
}

/**
 * moto's answers that differ from AWS's in a way that makes the plan after apply non-empty. The re-plan test
 * accepts a change only when one of these explains it (resource type and changed attributes), and fails when
 * one of them no longer shows up on any stack (the list cannot go stale).
 */
export interface MotoDiffGap {
  readonly id: string;
  readonly motoBehaviour: string;
  readonly explains: (change: ResourceChange, drift: ResourceChange[]) => boolean;
}

const only = (change: ResourceChange, allowed: string[]) => changedAttributes(change).every((k) => allowed.includes(k));

export const MOTO_DIFF_GAPS: MotoDiffGap[] = [
  {
    id: "lambda-logging-config",
    motoBehaviour:
      "GetFunction does not return the function's LoggingConfig (moto stores the other arguments), so every plan adds logging_config back to aws_lambda_function.",
    explains: (c) => c.type === "aws_lambda_function" && only(c, ["logging_config"]),
  },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP request to the local server (signed requests are not needed: moto does not check signatures). */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Sends a gap's probe to moto itself (not the shim): open while moto fails it with the gap's error in its log. */
export async function gapStillOpen(moto: MotoServer, gap: MotoGap): Promise<{ open: boolean; answer: HttpAnswer; log: string }> {
  const before = moto.log().length;
  const answer = await httpRequest(`${moto.motoEndpoint}/`, {
    method: "POST",
    headers: {
      "content-type": gap.probe.contentType,
      "x-amz-target": gap.probe.target,
      authorization: "AWS4-HMAC-SHA256 Credential=moto/20240101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify(gap.probe.body),
  });
  await new Promise((r) => setTimeout(r, 200));
  const log = moto.log().slice(before);
  return { open: answer.status >= 500 && (answer.body.includes(gap.motoError) || log.includes(gap.motoError)), answer, log };
}

export interface MotoServer {
  /** The shim's address, which the provider talks to (moto behind it, MOTO_GAPS answered by it). */
  readonly endpoint: string;
  /** moto itself, for the gap probes. */
  readonly motoEndpoint: string;
  /** What moto printed (its request log and tracebacks), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `moto_server` from the tools' environment on a free loopback port, and the gap shim in front of it. */
export async function startMoto(motoServerBin: string): Promise<MotoServer> {
  const port = await freePort();
  let output = "";
  const child: ChildProcess = spawn(motoServerBin, ["-H", "127.0.0.1", "-p", String(port)], {
    // AWS-managed IAM policies (the API's CloudWatch role attaches one) are loaded only on request.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: "true", PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  child.stderr!.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  const motoEndpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await httpRequest(`${motoEndpoint}/moto-api/`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not answer on ${motoEndpoint} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const shim = await startShim(port);
  return {
    endpoint: `http://127.0.0.1:${(shim.address() as AddressInfo).port}`,
    motoEndpoint,
    log: () => output,
    stop: async () => {
      await new Promise<void>((r) => shim.close(() => r()));
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  };
}

/** Forwards every request to moto except those MOTO_GAPS answers. */
function startShim(motoPort: number): Promise<Server> {
  const server = createServer((req, res) => {
    const gap = MOTO_GAPS.find((g) => g.matches(req.headers));
    if (gap) {
      req.resume();
      req.on("end", () => {
        res.writeHead(gap.answer.status, { "content-type": gap.answer.contentType });
        res.end(JSON.stringify(gap.answer.body));
      });
      return;
    }
    const upstream = request({ host: "127.0.0.1", port: motoPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * Copies a synthesized stack folder to a fresh temporary folder with the provider pointed at `endpoint` for every
 * service, placeholder credentials, no account lookups, path-style S3, and a local backend; a `cloud` block is
 * dropped. The shared `terraform init` of the Terraform tier (same provider, same local backend) serves it.
 */
export function prepareMotoCopy(stackDir: string, endpoint: string): { workdir: string; env: NodeJS.ProcessEnv } {
  const workdir = temporaryDirectory(`moto-${path.basename(stackDir)}`);
  cpSync(stackDir, workdir, { recursive: true });
  writeConfiguration(workdir, path.join(stackDir, "cdk.tf.json"), endpoint);
  const init = sharedInit(workdir);
  copyFileSync(init.lockFile, path.join(workdir, ".terraform.lock.hcl"));
  return { workdir, env: { TF_DATA_DIR: init.dataDir } };
}

/** Puts another synthesized configuration of the same stack (e.g. table protection off) in place, with the same overrides. */
export function replaceConfiguration(workdir: string, stackDir: string, endpoint: string): void {
  cpSync(stackDir, workdir, { recursive: true });
  writeConfiguration(workdir, path.join(stackDir, "cdk.tf.json"), endpoint);
}

function writeConfiguration(workdir: string, synthesized: string, endpoint: string): void {
  const tf = JSON.parse(readFileSync(synthesized, "utf8")) as {
    provider?: { aws?: Array<{ alias?: string }> };
    terraform: { cloud?: unknown };
  };
  if (tf.terraform.cloud) {
    delete tf.terraform.cloud;
    writeFileSync(path.join(workdir, "cdk.tf.json"), JSON.stringify(tf, null, 2));
  }
  const providers = (tf.provider?.aws ?? [{}]).map((p) => ({
    ...(p.alias ? { alias: p.alias } : {}),
    access_key: "moto",
    secret_key: "moto",
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    s3_use_path_style: true,
    endpoints: [Object.fromEntries(MOTO_SERVICES.map((service) => [service, endpoint]))],
  }));
  writeFileSync(
    path.join(workdir, "moto_override.tf.json"),
    JSON.stringify(
      {
        terraform: { backend: { local: { path: "terraform.tfstate" } } },
        provider: { aws: providers },
      },
      null,
      2,
    ),
  );
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** A Terraform command run asynchronously (several stacks at once; the shim answers on this thread meanwhile). */
export function terraformAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", [...args, "-no-color"], {
      cwd,
      env: { ...terraformEnv(), AWS_ACCESS_KEY_ID: "moto", AWS_SECRET_ACCESS_KEY: "moto", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

/** Runs a Terraform command that must succeed; otherwise fails with its output (and moto's log tail). */
export async function terraformOk(cwd: string, args: string[], env: NodeJS.ProcessEnv, moto?: MotoServer): Promise<CommandResult> {
  const result = await terraformAsync(cwd, args, env);
  if (result.code !== 0) {
    const motoTail = moto ? `\n--- moto (last lines) ---\n${moto.log().split("\n").slice(-40).join("\n")}` : "";
    throw new Error(
      `terraform ${args.join(" ")} failed (exit ${result.code}) in ${cwd}:\n${result.stderr}${result.stdout.split("\n").slice(-60).join("\n")}${motoTail}`,
    );
  }
  return result;
}

/**
 * The stacks both tool tiers (checkov.test.ts, moto.test.ts) run on, the ones the Terraform tier plans: the
 * default environment, an EXPRESS environment with AWS-managed encryption, the first-run bootstrap (state bucket)
 * stack and examples/two-sources. Each pipeline also comes synthesized with table protection off, for destroy.
 */
export interface TierStack {
  readonly name: string;
  /** The stack folder as synthesized with the configuration users deploy. */
  readonly dir: string;
  /** The same stack with `tableProtection: false`; none for the state bucket, which has no such switch. */
  readonly unprotectedDir?: string;
}

const PROD = { logRetentionInDays: 30, encryption: "aws-managed", workflowType: "express" };

function synthExample(env: Record<string, string>): string {
  const outdir = temporaryDirectory("two-sources");
  const app = new App({ outdir });
  defineTwoSources(app, loadConfig({ env }).environments[0], { recorderArchive: testArchive() });
  app.synth();
  return path.join(outdir, "stacks", "two-sources-dev");
}

export function tierStacks(options: { unprotected?: boolean } = {}): TierStack[] {
  const defaults = synthAppToDisk();
  const prod = synthAppToDisk({ context: { environments: { dev: {}, prod: PROD } } });
  const off = options.unprotected
    ? {
        dev: synthAppToDisk({ env: { RECORDER_TABLE_PROTECTION: "false" } }),
        prod: synthAppToDisk({ context: { environments: { dev: {}, prod: { ...PROD, tableProtection: false } } } }),
        example: synthExample({ RECORDER_TABLE_PROTECTION: "false" }),
      }
    : undefined;
  return [
    {
      name: "dev",
      dir: path.join(defaults, "stacks", "message-recorder-dev"),
      unprotectedDir: off && path.join(off.dev, "stacks", "message-recorder-dev"),
    },
    {
      name: "prod-express-aws-managed",
      dir: path.join(prod, "stacks", "message-recorder-prod"),
      unprotectedDir: off && path.join(off.prod, "stacks", "message-recorder-prod"),
    },
    { name: "bootstrap", dir: path.join(defaults, "stacks", "message-recorder-state") },
    { name: "example-two-sources", dir: synthExample({}), unprotectedDir: off?.example },
  ];
}

/**
 * Plans (`terraform show -json` of a saved plan) shared by the test files of one run, in the run's temporary
 * folder: the moto tier publishes the plan it applies (from scratch, of the configuration users deploy), and
 * the checkov tier reads it instead of planning the stack again. Whoever comes first for a stack takes its
 * lock folder (atomic mkdir) and plans; the other waits for the file, or plans itself if the first gave up.
 */
function sharedPlansDir(): string {
  const dir = path.join(process.env.MESSAGE_RECORDER_TEST_TMPDIR ?? temporaryDirectory("plans"), "shared-plans");
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function claimSharedPlan(name: string): boolean {
  try {
    mkdirSync(path.join(sharedPlansDir(), `${name}.lock`));
    return true;
  } catch {
    return false;
  }
}

export function publishSharedPlan(name: string, json: string | undefined): void {
  const dir = sharedPlansDir();
  if (json !== undefined) {
    writeFileSync(path.join(dir, `${name}.json.tmp`), json);
    renameSync(path.join(dir, `${name}.json.tmp`), path.join(dir, `${name}.json`));
  }
  rmSync(path.join(dir, `${name}.lock`), { recursive: true, force: true });
}

/** The shared plan of `name`: read, waited for, or produced by `plan` (and then shared). */
export async function sharedPlan(name: string, plan: () => Promise<string>): Promise<{ json: string; source: "shared" | "own" }> {
  const file = path.join(sharedPlansDir(), `${name}.json`);
  for (;;) {
    if (existsSync(file)) return { json: readFileSync(file, "utf8"), source: "shared" };
    if (claimSharedPlan(name)) {
      let json: string | undefined;
      try {
        json = await plan();
        return { json, source: "own" };
      } finally {
        publishSharedPlan(name, json);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
