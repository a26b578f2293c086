import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { temporaryDirectory } from "../../scripts/temp-dir";

/**
 * Runs real Terraform on synthesized stacks without an AWS account: the backend is overridden to local, the
 * provider gets placeholder credentials and skips every account lookup, and the provider binary comes from a
 * local mirror when one is configured (TF_PROVIDER_MIRROR, or /opt/tf-plugins where the machine image has it).
 */

const DEFAULT_MIRROR = "/opt/tf-plugins";

export function terraformVersion(): string | undefined {
  const result = spawnSync("terraform", ["version", "-json"], { encoding: "utf8", env: terraformEnv() });
  if (result.status !== 0) return undefined;
  return (JSON.parse(result.stdout) as { terraform_version: string }).terraform_version;
}

/**
 * Whether this run must include the Terraform tier. In CI it always must: a missing Terraform fails the run.
 * Elsewhere the tier is skipped with a warning.
 */
export function terraformTierEnabled(): boolean {
  if (terraformVersion()) return true;
  if (process.env.CI) throw new Error("CI is set but the terraform CLI was not found on PATH: the Terraform tier cannot run");
  console.warn("Terraform tier SKIPPED: no terraform CLI on PATH. Install Terraform >= 1.10 to validate and plan the stacks.");
  return false;
}

/** The filesystem mirror of providers the tier installs from, when there is one. */
export function providerMirror(): string {
  return process.env.TF_PROVIDER_MIRROR || (existsSync(DEFAULT_MIRROR) ? DEFAULT_MIRROR : "");
}

let cliConfigFile: string | undefined;

/** A CLI config that installs hashicorp/aws from the mirror and nothing from the network. */
function cliConfig(): string | undefined {
  const mirror = providerMirror();
  if (!mirror) return undefined;
  if (!cliConfigFile) {
    cliConfigFile = path.join(temporaryDirectory("tfrc"), "terraformrc");
    writeFileSync(
      cliConfigFile,
      ["provider_installation {", `  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }`, "}", ""].join("\n"),
    );
  }
  return cliConfigFile;
}

/** The environment every Terraform command of the tests runs with (exported for the tiers that start Terraform asynchronously). */
export function terraformEnv(): NodeJS.ProcessEnv {
  const config = cliConfig();
  // GOGC=400: the AWS provider builds its whole schema (about 1,500 resource types) in every process Terraform
  // starts, three per plan; fewer garbage collections during that cut the tier's CPU by about a third (measured
  // with /usr/bin/time on a plan: 11.3 s -> 7.3 s), for some 150 MB more memory per process. Terraform and the
  // provider it launches both read it.
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", GOGC: "400" };
  delete env.TF_CLI_ARGS_init;
  delete env.TF_CLI_ARGS_plan;
  if (config) env.TF_CLI_CONFIG_FILE = config;
  // Placeholder credentials: nothing here talks to AWS, but the provider wants some to configure itself.
  env.AWS_ACCESS_KEY_ID = "offline-test";
  env.AWS_SECRET_ACCESS_KEY = "offline-test";
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

export function terraform(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync("terraform", [...args, "-no-color"], {
      cwd,
      env: { ...terraformEnv(), ...extraEnv },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${failed.stderr || ""}${failed.stdout || failed.message}`, {
      cause: error,
    });
  }
}

/** The account the offline STS endpoint answers with. */
export const OFFLINE_ACCOUNT_ID = "123456789012";

let stsEndpoint: string | undefined;

/**
 * A local STS endpoint answering GetCallerIdentity, so the stacks' `aws_caller_identity` data source reads a
 * fixed account during plan. It runs in a worker thread: terraform runs synchronously (execFileSync), which
 * blocks this thread's event loop but not the worker's. Started once per test file, on first use.
 */
export function offlineStsEndpoint(): string {
  if (stsEndpoint) return stsEndpoint;
  const port = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { createServer } = require("node:http");
    const { workerData } = require("node:worker_threads");
    const body = '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
      + '<Arn>arn:aws:iam::${OFFLINE_ACCOUNT_ID}:user/offline-test</Arn><UserId>AIDAOFFLINETEST</UserId><Account>${OFFLINE_ACCOUNT_ID}</Account>'
      + '</GetCallerIdentityResult><ResponseMetadata><RequestId>offline</RequestId></ResponseMetadata></GetCallerIdentityResponse>';
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => { res.writeHead(200, { "content-type": "text/xml" }); res.end(body); });
    });
    server.listen(0, "127.0.0.1", () => {
      Atomics.store(workerData, 0, server.address().port);
      Atomics.notify(workerData, 0);
    });
  `,
    { eval: true, workerData: port },
  );
  worker.unref();
  Atomics.wait(port, 0, 0, 10_000);
  if (port[0] === 0) throw new Error("the offline STS endpoint did not start within 10 s");
  stsEndpoint = `http://127.0.0.1:${port[0]}`;
  return stsEndpoint;
}

/**
 * Copies a synthesized stack folder to a fresh temporary folder (so the test also proves the folder is
 * self-contained and relocatable) and adds the offline overrides.
 */
export function prepareOfflineCopy(stackDir: string): string {
  const workdir = temporaryDirectory(`tf-${path.basename(stackDir)}`);
  cpSync(stackDir, workdir, { recursive: true });
  const synthesized = JSON.parse(readFileSync(path.join(workdir, "cdk.tf.json"), "utf8")) as {
    provider?: { aws?: Array<{ region?: string; alias?: string }> };
    terraform?: { cloud?: unknown };
  };
  const providers = (synthesized.provider?.aws ?? []).map((p) => ({
    ...(p.alias ? { alias: p.alias } : {}),
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    // GetCallerIdentity of aws_caller_identity goes to the local endpoint; nothing else calls STS.
    endpoints: [{ sts: offlineStsEndpoint() }],
  }));
  const override: Record<string, unknown> = {
    terraform: { backend: { local: { path: "terraform.tfstate" } } },
    provider: { aws: providers },
  };
  if (synthesized.terraform?.cloud) {
    // A cloud block cannot be overridden by a backend; drop it from the copy, it was asserted on before.
    const tf = JSON.parse(readFileSync(path.join(workdir, "cdk.tf.json"), "utf8"));
    delete tf.terraform.cloud;
    writeFileSync(path.join(workdir, "cdk.tf.json"), JSON.stringify(tf, null, 2));
  }
  writeFileSync(path.join(workdir, "offline_override.tf.json"), JSON.stringify(override, null, 2));
  return workdir;
}

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly values: Record<string, any>;
}

export interface PlanResult {
  readonly resources: PlannedResource[];
  readonly outputs: Record<string, { value?: unknown }>;
  readonly actions: string[];
}

/**
 * One `terraform init` per distinct provider requirement, per test process: every synthesized stack needs the
 * same hashicorp/aws version, and after prepareOfflineCopy the same local backend, so the stack copies share
 * the data directory (the provider link, the backend settings) of one init through TF_DATA_DIR, and get its
 * dependency lock file. Terraform checks both on every plan, so a stack that needed another provider or
 * version would fail loudly instead of planning with the wrong one.
 */
const sharedInits = new Map<string, { dataDir: string; lockFile: string }>();

export function sharedInit(workdir: string): { dataDir: string; lockFile: string } {
  const config = JSON.parse(readFileSync(path.join(workdir, "cdk.tf.json"), "utf8")) as { terraform?: { required_providers?: unknown } };
  const requirements = config.terraform?.required_providers ?? {};
  const key = JSON.stringify(requirements);
  let init = sharedInits.get(key);
  if (!init) {
    const dir = temporaryDirectory("tf-init");
    writeFileSync(
      path.join(dir, "main.tf.json"),
      JSON.stringify(
        {
          terraform: { required_providers: requirements, backend: { local: { path: "terraform.tfstate" } } },
        },
        null,
        2,
      ),
    );
    terraform(dir, ["init", "-input=false", "-backend=true"]);
    init = { dataDir: path.join(dir, ".terraform"), lockFile: path.join(dir, ".terraform.lock.hcl") };
    sharedInits.set(key, init);
  }
  return init;
}

/**
 * Validate and plan, with the providers of a shared init; returns the planned values from `terraform show -json`.
 * `terraform plan` validates the configuration first (the same checks as `terraform validate`: the local
 * backend runs them before every plan), so an invalid stack still fails here, with the validation error.
 */
export function initValidatePlan(workdir: string): PlanResult {
  const init = sharedInit(workdir);
  copyFileSync(init.lockFile, path.join(workdir, ".terraform.lock.hcl"));
  return plan(workdir, { TF_DATA_DIR: init.dataDir });
}

/** `terraform plan` in an initialized folder, and its planned values from `terraform show -json`. */
export function plan(workdir: string, env: NodeJS.ProcessEnv = {}): PlanResult {
  terraform(workdir, ["plan", "-input=false", "-lock=false", "-refresh=false", "-out=plan.tfplan"], env);
  const shown = JSON.parse(terraform(workdir, ["show", "-json", "plan.tfplan"], env)) as {
    planned_values: { root_module: { resources?: PlannedResource[] }; outputs?: Record<string, { value?: unknown }> };
    resource_changes: Array<{ change: { actions: string[] } }>;
  };
  return {
    resources: shown.planned_values.root_module.resources ?? [],
    outputs: shown.planned_values.outputs ?? {},
    actions: shown.resource_changes.flatMap((c) => c.change.actions),
  };
}
