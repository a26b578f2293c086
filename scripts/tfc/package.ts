import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pipelineStackName } from "../../stacks/names";
import { defineCli, runCli, UsageError } from "../cli/args";
import { loadProjectConfig } from "../project-config";
import { temporaryDirectory } from "../temp-dir";

/**
 * npm run package:tfc -- <environment> [--out DIR] [--fs-mirror DIR]
 *
 * Writes one environment's pipeline stack as a clean, self-contained Terraform working directory for Terraform
 * Cloud (HCP Terraform): the stack JSON with its `cloud` block, its assets (the Lambda archive), a
 * `.terraform.lock.hcl` pinning the AWS provider, and a `.gitignore` for what a local run would add. Nothing else:
 * no `.terraform/`, no plan, no state. Commit it for a VCS-driven workspace, or run `terraform init && terraform
 * apply` in it for CLI-driven runs.
 */
const CLI = defineCli({
  command: "npm run package:tfc --",
  summary:
    "Writes one environment's pipeline stack as a clean Terraform working directory for Terraform Cloud: the stack JSON with its " +
    "cloud block, its assets (the Lambda archive), a .terraform.lock.hcl for linux_amd64 and this machine, and a .gitignore. " +
    "The environment must use backend cloud.",
  positionals: [{ name: "environment", description: "a configured environment whose backend is cloud", required: true }],
  options: {
    out: { value: "DIR", description: "where to write the package (emptied first)", default: "dist/tfc/<environment>" },
    "fs-mirror": {
      value: "DIR",
      description: "a filesystem mirror of the AWS provider to lock from, offline",
      default: "TF_PROVIDER_MIRROR, else the public registry",
    },
  },
  examples: ["npm run package:tfc -- dev", "npm run package:tfc -- dev --out deploy/dev"],
});
const ROOT = path.resolve(__dirname, "..", "..");
/** Terraform Cloud runs on linux_amd64; the lock file must hold that platform's checksum. */
const TFC_PLATFORM = "linux_amd64";
/** What a local `terraform init/plan/apply` adds to the folder, which does not belong in a commit. */
const IGNORED = [".terraform/", "*.tfplan", "*.tfstate", "*.tfstate.*", "crash.log"];

/** A path as the user can find it: relative to where they are when inside it, absolute otherwise. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
}

function localPlatform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return `${os}_${arch}`;
}

/** Refuses an `out` folder that holds anything but a previous package, which is replaced. */
function checkOut(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(path.join(out, "cdk.tf.json"))) {
    throw new UsageError(
      `--out: ${out} is not empty and holds no cdk.tf.json, so it is not a previous package; choose a new or empty folder`,
    );
  }
}

/**
 * `terraform providers lock` for Terraform Cloud's platform and this machine's, from a filesystem mirror when one
 * is given (then only the platforms it holds), else from the registry. Returns a line saying what was locked.
 */
function lockProviders(out: string, mirror: string | undefined): string {
  let platforms = [...new Set([TFC_PLATFORM, localPlatform()])];
  const mirrorArgs: string[] = [];
  if (mirror) {
    const held = path.join(mirror, "registry.terraform.io", "hashicorp", "aws");
    const available = existsSync(held) ? readdirSync(held).flatMap((version) => readdirSync(path.join(held, version))) : [];
    platforms = platforms.filter((platform) => available.includes(platform));
    if (platforms.length === 0)
      throw new UsageError(
        `--fs-mirror: ${mirror} holds no hashicorp/aws for ${TFC_PLATFORM}; expected a folder laid out as terraform providers mirror writes it`,
      );
    mirrorArgs.push(`-fs-mirror=${path.resolve(mirror)}`);
  }
  const result = spawnSync("terraform", ["providers", "lock", "-no-color", ...mirrorArgs, ...platforms.map((p) => `-platform=${p}`)], {
    cwd: out,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" },
  });
  if (result.error || result.status !== 0) {
    const reason = result.error
      ? "no terraform CLI on PATH"
      : ((result.stderr || result.stdout)
          .split("\n")
          .map((l) => l.trim())
          .find((l) => l.startsWith("Error:")) ?? `terraform exited with ${result.status}`);
    return `no .terraform.lock.hcl (${reason}); the first terraform init creates one, or run this again with --fs-mirror or registry access`;
  }
  return `.terraform.lock.hcl: hashicorp/aws for ${platforms.join(", ")}${mirror ? ` (from ${mirror})` : ""}`;
}

runCli(CLI, async () => {
  const args = CLI.parse(process.argv.slice(2));
  const config = loadProjectConfig();
  const names = config.environments.map((e) => e.environment);
  const environment = config.environments.find((e) => e.environment === args.positionals[0]);
  if (!environment)
    throw new UsageError(`environment ${JSON.stringify(args.positionals[0])} is not configured; expected one of ${names.join(", ")}`);
  if (environment.backend.type !== "cloud") {
    throw new UsageError(
      `environment ${environment.environment} keeps its state in S3 (backend s3); package:tfc needs backend cloud: set state.backend, state.tfcOrganization and state.tfcWorkspace or state.tfcWorkspaceTags (cdktf.json or RECORDER_*)`,
    );
  }
  const out = path.resolve(args.string("out") ?? path.join(ROOT, "dist", "tfc", environment.environment));
  const mirror = args.string("fs-mirror") ?? (process.env.TF_PROVIDER_MIRROR || undefined);
  if (mirror && !existsSync(mirror)) throw new UsageError(`--fs-mirror: ${mirror} does not exist`);
  checkOut(out);

  // Loaded only now: the cdktf app and the provider bindings are not needed to refuse bad arguments.
  const [{ App }, { buildRecorderArchive }, { defineStacks }] = await Promise.all([
    import("cdktf"),
    import("../../stacks/constructs/bundling/build"),
    import("../../stacks/app"),
  ]);
  const synthesized = temporaryDirectory("tfc-synth");
  const app = new App({ outdir: synthesized });
  defineStacks(app, config, buildRecorderArchive({ reuseUnchanged: true }));
  app.synth();
  const stack = pipelineStackName(environment.environment);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // The synthesized stack folder is the whole working directory: cdk.tf.json and assets/, relative paths only.
  cpSync(path.join(synthesized, "stacks", stack), out, { recursive: true });
  writeFileSync(path.join(out, ".gitignore"), `${IGNORED.join("\n")}\n`);
  const locked = lockProviders(out, mirror);

  const backend = environment.backend;
  const workspace = backend.workspaceName
    ? `workspace ${backend.workspaceName}`
    : `workspaces tagged ${backend.workspaceTags?.join(", ")} (CLI-driven runs: export TF_WORKSPACE=<workspace name>)`;
  process.stdout.write(
    [
      `${shown(out)}: ${stack}, organization ${backend.organization}, ${workspace}`,
      `  ${locked}`,
      "  VCS-driven: commit this folder and set it as the workspace's Terraform working directory; CLI-driven: terraform login, then terraform init && terraform apply in it",
      "",
    ].join("\n"),
  );
});
