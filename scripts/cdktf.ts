import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import cdktfCliPackage from "cdktf-cli/package.json";
import { AppConfig, EnvironmentConfig } from "../stacks/config";
import { pipelineStackName, STATE_BUCKET_STACK } from "../stacks/names";
import { Cli, defineCli, OptionSpec, runCli, UsageError } from "./cli/args";
import { PlainOutput } from "./cli/plain-output";
import { loadProjectConfig, readCdktfJson } from "./project-config";

/**
 * npm run synth | diff | deploy | output -- [<stack>] [--state-bucket NAME] [--backend-config ARG]... [cdktf options]
 *
 * The cdktf CLI as this project runs it: its version check off (CHECKPOINT_DISABLE, which otherwise reaches for
 * the network and prints an ERROR offline), cdktf.json and the configuration checked first with one line per
 * problem, and for diff/deploy/output one stack at a time, with the backend settings of that stack only:
 *   - a pipeline stack that keeps its state in S3 needs a bucket: from the configuration (stateBucket /
 *     RECORDER_STATE_BUCKET), from --state-bucket, or as a partial backend completed by --backend-config. Without
 *     one, Terraform would stop at an interactive "bucket ... Enter a value:" prompt; this refuses instead.
 *   - --backend-config reaches `terraform init` of that one stack (as TF_CLI_ARGS_init of the one cdktf process),
 *     never the bootstrap stack's local backend nor a Terraform Cloud stack.
 *   - the other prompts are refused up front too: deploy's approval with no terminal (pass --auto-approve), and
 *     the choice of workspace of a Terraform Cloud stack that selects workspaces by tag (set TF_WORKSPACE).
 */
const ROOT = path.join(__dirname, "..");
const COMMANDS = ["synth", "diff", "deploy", "output"] as const;
type Command = (typeof COMMANDS)[number];

/** The cdktf options passed through, per command: boolean ones and ones that take a value. */
const CDKTF_OPTIONS: Record<Command, { flags: string[]; valued: string[] }> = {
  synth: { flags: [], valued: ["--output"] },
  diff: {
    flags: ["--refresh-only", "--no-color", "--migrate-state", "--skip-synth", "--skip-provider-lock"],
    valued: ["--terraform-parallelism", "--var", "--var-file"],
  },
  deploy: {
    flags: [
      "--auto-approve",
      "--refresh-only",
      "--no-color",
      "--migrate-state",
      "--skip-synth",
      "--skip-provider-lock",
      "--ignore-missing-stack-dependencies",
      "--outputs-file-include-sensitive-outputs",
    ],
    valued: ["--outputs-file", "--parallelism", "--terraform-parallelism", "--var", "--var-file"],
  },
  output: { flags: ["--skip-synth", "--skip-provider-lock", "--outputs-file-include-sensitive-outputs"], valued: ["--outputs-file"] },
};
/**
 * cdktf 0.21 writes this app's JSON policy documents into HCL as broken strings (`policy = "{" Version ":" ...`),
 * which terraform init refuses (hashicorp/terraform-cdk#3911, open when cdktf was archived).
 */
export const HCL_REFUSED =
  "--hcl is not supported: cdktf 0.21 writes invalid HCL for this app's policy documents (hashicorp/terraform-cdk#3911); " +
  "the JSON it writes (cdk.tf.json) is what Terraform and Terraform Cloud run";
/** Options that may be given more than once. */
const REPEATABLE = ["--var", "--var-file", "--backend-config"];

/** What --help says of cdktf's own options, as the cdktf CLI's help words them. */
const CDKTF_DESCRIPTIONS: Record<string, string> = {
  "--output": "the output folder",
  "--refresh-only": "plan or apply a refresh only",
  "--no-color": "no color in Terraform's output",
  "--migrate-state": "pass -migrate-state to terraform init",
  "--skip-synth": "use what is in cdktf.out as it is",
  "--skip-provider-lock": "skip `terraform providers lock` (it asks the public registry directly; needed offline)",
  "--terraform-parallelism": "Terraform's -parallelism",
  "--parallelism": "stacks run at once",
  "--var": "a Terraform variable, NAME=VALUE",
  "--var-file": "a Terraform variables file",
  "--auto-approve": "apply without asking (needed with no terminal)",
  "--ignore-missing-stack-dependencies": "deploy even when a stack it depends on is not selected",
  "--outputs-file": "write the stack's outputs to this JSON file (npm run verify reads it)",
  "--outputs-file-include-sensitive-outputs": "include sensitive outputs in that file",
};

/** The form of each cdktf option's value, for the usage and --help. */
const VALUE_FORMS: Record<string, string> = {
  "--output": "DIR",
  "--outputs-file": "FILE",
  "--parallelism": "N",
  "--terraform-parallelism": "N",
  "--var": "NAME=VALUE",
  "--var-file": "FILE",
};

const SUMMARIES: Record<Command, string> = {
  synth: "Synthesizes every stack into cdktf.out/stacks/<stack>/ (the app run directly, byte for byte what cdktf synth writes).",
  diff: "Plans one stack with its own backend settings: `cdktf diff`, with the version check off and the configuration checked first.",
  deploy:
    "Applies one stack with its own backend settings: `cdktf deploy`, with the version check off and the configuration checked first.",
  output: "Prints one stack's outputs: `cdktf output`, with the version check off.",
};

/** Each command's options: ours, then cdktf's own, passed through as given. */
const CLIS = Object.fromEntries(
  COMMANDS.map((command) => {
    const options: Record<string, OptionSpec> = {};
    if (command !== "synth") {
      options["state-bucket"] = {
        value: "NAME",
        description:
          "the state bucket for this run, when state.bucket is not configured (the state_bucket_name output of message-recorder-state)",
      };
      options["backend-config"] = {
        value: "KEY=VALUE|FILE",
        description: "completes a partial S3 backend; reaches terraform init of this stack only",
        repeatable: true,
      };
    }
    for (const flag of CDKTF_OPTIONS[command].flags)
      options[flag.slice(2)] = { description: CDKTF_DESCRIPTIONS[flag] ?? "passed to cdktf" };
    for (const option of CDKTF_OPTIONS[command].valued) {
      options[option.slice(2)] = {
        value: VALUE_FORMS[option] ?? "VALUE",
        description: CDKTF_DESCRIPTIONS[option] ?? "passed to cdktf",
        repeatable: REPEATABLE.includes(option),
        ...(option === "--output" ? { default: "cdktf.out" } : {}),
      };
    }
    const cli = defineCli({
      command: `npm run ${command} --`,
      summary: SUMMARIES[command],
      options,
      positionals:
        command === "synth"
          ? []
          : [
              {
                name: "stack",
                description: "the stack: message-recorder-state or message-recorder-<environment>",
                required: true,
                tooMany: "one stack at a time, so that backend settings reach only it",
              },
            ],
      examples:
        command === "synth"
          ? ["npm run synth"]
          : [`npm run ${command} -- message-recorder-dev`, `npm run ${command} -- message-recorder-dev --state-bucket <name>`],
    });
    return [command, cli];
  }),
) as Record<Command, Cli>;

/** The command's CLI, for its usage and help; deploy's for a command that is none of them. */
const cliFor = (command: string | undefined): Cli => CLIS[command as Command] ?? CLIS.deploy;

interface Invocation {
  readonly command: Command;
  readonly stack?: string;
  readonly stateBucket?: string;
  readonly backendConfig: string[];
  /** Options for the cdktf CLI, as given. */
  readonly passThrough: string[];
}

export function parseInvocation(argv: readonly string[]): Invocation {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}; expected one of ${COMMANDS.join(", ")}`);
  if (rest.includes("--hcl")) throw new UsageError(HCL_REFUSED);
  const args = CLIS[command as Command].parse(rest);
  const cdktf = CDKTF_OPTIONS[command as Command];
  // cdktf's own options, in the order it lists them, as given.
  const passThrough = [
    ...cdktf.flags.filter((flag) => args.flag(flag.slice(2))),
    ...cdktf.valued.flatMap((option) =>
      REPEATABLE.includes(option)
        ? args.list(option.slice(2)).flatMap((value) => [option, value])
        : args.has(option.slice(2))
          ? [option, args.string(option.slice(2))!]
          : [],
    ),
  ];
  const backendConfig = args.list("backend-config");
  const stateBucket = args.string("state-bucket");
  if (command === "synth") return { command, backendConfig, passThrough };
  if (stateBucket !== undefined && backendConfig.length > 0) throw new UsageError("--state-bucket and --backend-config: give one of them");
  return {
    command: command as Command,
    stack: args.positionals[0],
    ...(stateBucket !== undefined ? { stateBucket } : {}),
    backendConfig,
    passThrough,
  };
}

/** How the chosen stack keeps its state, from the configuration the synth will use. */
type StackBackend =
  | { kind: "bootstrap"; bucket?: string }
  | { kind: "s3"; environment: EnvironmentConfig }
  | { kind: "cloud"; environment: EnvironmentConfig };

function stackBackend(config: AppConfig, stack: string): StackBackend {
  const usesS3 = config.environments.some((e) => e.backend.type === "s3");
  if (stack === STATE_BUCKET_STACK && usesS3) return { kind: "bootstrap", ...(config.stateBucket ? { bucket: config.stateBucket } : {}) };
  const environment = config.environments.find((e) => pipelineStackName(e.environment) === stack);
  if (!environment) {
    const known = [...(usesS3 ? [STATE_BUCKET_STACK] : []), ...config.environments.map((e) => pipelineStackName(e.environment))];
    throw new UsageError(`unknown stack ${JSON.stringify(stack)}; expected one of ${known.join(", ")}`);
  }
  return environment.backend.type === "s3" ? { kind: "s3", environment } : { kind: "cloud", environment };
}

/** The child's environment: the version check off, and backend arguments only where they apply. */
export function planRun(
  invocation: Invocation,
  env: NodeJS.ProcessEnv,
  interactive = process.stdin.isTTY === true,
): { env: NodeJS.ProcessEnv; notes: string[] } {
  const childEnv: NodeJS.ProcessEnv = { ...env, CHECKPOINT_DISABLE: "1" };
  const notes: string[] = [];
  if (invocation.command === "deploy" && !interactive && !invocation.passThrough.includes("--auto-approve")) {
    // cdktf asks for approval before it applies; with no terminal nobody can answer.
    throw new MissingSettingError(
      "deploy: stdin is not a terminal, so nobody can approve the plan; pass --auto-approve (after reviewing npm run diff)",
    );
  }
  if (invocation.stateBucket !== undefined) childEnv.RECORDER_STATE_BUCKET = invocation.stateBucket;
  // Checks cdktf.json and every setting (with --state-bucket applied) before the CLI starts: one line each.
  const config = loadProjectConfig(childEnv);
  guardBootstrapState(invocation, config);
  if (invocation.command === "synth" || !invocation.stack) return { env: childEnv, notes };

  const backend = stackBackend(config, invocation.stack);
  const inherited = env.TF_CLI_ARGS_init;
  if (backend.kind !== "s3") {
    const where =
      backend.kind === "cloud"
        ? "in Terraform Cloud (backend cloud)"
        : backend.bucket
          ? `in the bucket ${backend.bucket}`
          : "locally, in its own folder";
    if (invocation.backendConfig.length > 0)
      throw new UsageError(
        `--backend-config: ${invocation.stack} keeps its state ${where}; backend arguments apply only to a pipeline stack with a partial S3 backend`,
      );
    if (
      backend.kind === "cloud" &&
      backend.environment.backend.type === "cloud" &&
      backend.environment.backend.workspaceTags &&
      !env.TF_WORKSPACE
    ) {
      // Tags select several workspaces; terraform init would ask which one to use.
      throw new MissingSettingError(
        `${invocation.stack} selects Terraform Cloud workspaces by tag (${backend.environment.backend.workspaceTags.join(", ")}); set TF_WORKSPACE to the workspace to use`,
      );
    }
    if (inherited) {
      delete childEnv.TF_CLI_ARGS_init;
      notes.push(`note: TF_CLI_ARGS_init is not passed to ${invocation.stack}, which keeps its state ${where}`);
    }
    return { env: childEnv, notes };
  }
  if (backend.environment.backend.type === "s3" && backend.environment.backend.bucket) {
    if (invocation.backendConfig.length > 0)
      throw new UsageError(
        `--backend-config: ${invocation.stack} already has its bucket (${backend.environment.backend.bucket}) from the configuration; drop one of them`,
      );
    return { env: childEnv, notes };
  }
  if (invocation.backendConfig.length > 0) {
    childEnv.TF_CLI_ARGS_init = invocation.backendConfig.map((arg) => shellWord(`-backend-config=${arg}`)).join(" ");
    return { env: childEnv, notes };
  }
  if (inherited && inherited.includes("-backend-config")) return { env: childEnv, notes };
  throw new MissingSettingError(
    `${invocation.stack} keeps its state in S3 but no bucket is configured: set state.bucket in cdktf.json (context.recorder.defaults) ` +
      `or RECORDER_STATE_BUCKET, or pass --state-bucket <name> (the state_bucket_name output of ${STATE_BUCKET_STACK}), or --backend-config bucket=<name> for a partial backend`,
  );
}

/**
 * cdktf synth deletes the folder of a stack it no longer synthesizes. When no environment uses S3 (backend
 * `cloud` everywhere), that is the bootstrap stack's folder, which holds its state until it is migrated into the
 * bucket: refuse rather than lose it.
 */
function guardBootstrapState(invocation: Invocation, config: AppConfig): void {
  if (invocation.passThrough.includes("--skip-synth") || config.environments.some((e) => e.backend.type === "s3")) return;
  const outputAt = invocation.passThrough.indexOf("--output");
  const outdir = outputAt >= 0 ? path.resolve(invocation.passThrough[outputAt + 1]) : path.join(ROOT, "cdktf.out");
  const state = path.join(outdir, "stacks", STATE_BUCKET_STACK, "terraform.tfstate");
  if (existsSync(state)) {
    throw new MissingSettingError(
      `${path.relative(process.cwd(), state) || state} holds the state bucket's state, and this synth (no environment keeps its state in S3) would delete it; ` +
        `migrate it into the bucket first (docs/deploying.md, "Bootstrap the state bucket") or move it elsewhere`,
    );
  }
}

/** Terraform reads TF_CLI_ARGS_* as a shell would: quote a word that holds spaces or quotes. */
function shellWord(word: string): string {
  return /[\s"'\\$`]/.test(word) ? `"${word.replace(/(["\\$`])/g, "\\$1")}"` : word;
}

/** A setting without which cdktf or Terraform would stop at an interactive prompt: refused up front instead. */
class MissingSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MissingSettingError";
  }
}

const CDKTF_BIN = path.join(path.dirname(require.resolve("cdktf-cli/package.json")), cdktfCliPackage.bin.cdktf);

/**
 * Runs the cdktf CLI. On a terminal it draws as it likes; elsewhere (CI, a pipe) its spinner frames would reach the
 * log one by one, so its output goes through PlainOutput: one line per status, no escape sequences.
 */
function runCdktf(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const terminal = process.stdout.isTTY === true;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CDKTF_BIN, ...args], {
      stdio: terminal ? "inherit" : ["inherit", "pipe", "pipe"],
      env: terminal ? env : { ...env, FORCE_COLOR: "0" },
      cwd: ROOT,
    });
    if (!terminal) {
      for (const [from, to] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ] as const) {
        const plain = new PlainOutput();
        from?.on("data", (chunk: Buffer) => to.write(plain.push(chunk.toString("utf8"))));
        from?.on("end", () => to.write(plain.flush()));
      }
    }
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * What `cdktf synth` does, without starting the CLI (which costs seconds before the app even runs): cdktf.json's
 * app command with the output folder and the context the CLI would hand it, then the folders of stacks the app
 * no longer synthesizes removed, as the CLI removes them. The output is byte for byte the CLI's (tested).
 */
export async function synthDirectly(outdir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const cdktfJson = readCdktfJson() as { app?: unknown; context?: unknown };
  const [command, ...args] = String(cdktfJson.app).split(" ");
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: "inherit",
      cwd: ROOT,
      env: { ...env, CDKTF_OUTDIR: outdir, CDKTF_CONTEXT_JSON: JSON.stringify(cdktfJson.context ?? {}) },
    });
    child.on("error", reject);
    child.on("close", (exit, signal) => resolve(exit ?? (signal ? 1 : 0)));
  });
  if (code !== 0) return code;
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
  const stacksDir = path.join(outdir, "stacks");
  for (const folder of existsSync(stacksDir) ? readdirSync(stacksDir) : []) {
    if (!(folder in manifest.stacks)) rmSync(path.join(stacksDir, folder), { recursive: true, force: true });
  }
  removeStaleHcl(outdir);
  process.stdout.write(`Generated Terraform code for the stacks: ${Object.keys(manifest.stacks).join(", ")}\n`);
  return 0;
}

/**
 * The HCL file (cdk.tf) a `cdktf synth --hcl` left in a stack folder: beside the cdk.tf.json a synth writes,
 * Terraform would read both and find every resource twice ("Duplicate resource").
 */
export function removeStaleHcl(outdir: string): void {
  const stacksDir = path.join(outdir, "stacks");
  for (const folder of existsSync(stacksDir) ? readdirSync(stacksDir) : []) {
    if (existsSync(path.join(stacksDir, folder, "cdk.tf.json"))) rmSync(path.join(stacksDir, folder, "cdk.tf"), { force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const invocation = parseInvocation(argv);
  const { env, notes } = planRun(invocation, process.env);
  for (const note of notes) process.stderr.write(`${note}\n`);
  if (invocation.command === "synth") {
    const outputAt = invocation.passThrough.indexOf("--output");
    process.exitCode = await synthDirectly(path.resolve(ROOT, outputAt >= 0 ? invocation.passThrough[outputAt + 1] : "cdktf.out"), env);
    return;
  }
  // diff, deploy and output synthesize into cdktf.out and run Terraform in the stack's folder there.
  removeStaleHcl(path.join(ROOT, "cdktf.out"));
  const code = await runCdktf([invocation.command, ...(invocation.stack ? [invocation.stack] : []), ...invocation.passThrough], env);
  process.exitCode = code;
  if (code === 0 && invocation.command === "deploy" && invocation.stack === STATE_BUCKET_STACK && !loadProjectConfig(env).stateBucket) {
    process.stdout.write(
      [
        "",
        'Next, so that every clone finds this stack\'s state (docs/deploying.md, "Bootstrap the state bucket"):',
        '  1. set "state": { "bucket": "<state_bucket_name above>" } in cdktf.json (context.recorder.defaults), and commit it;',
        `  2. npm run synth && (cd cdktf.out/stacks/${STATE_BUCKET_STACK} && terraform init -migrate-state -force-copy)`,
        "",
      ].join("\n"),
    );
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runCli(cliFor(argv[0]), async () => {
    try {
      await main(argv);
    } catch (error) {
      if (error instanceof MissingSettingError) {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw error;
    }
  });
}
