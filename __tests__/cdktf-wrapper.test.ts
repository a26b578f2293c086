import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import cdktfCliPackage from "cdktf-cli/package.json";
import { HCL_REFUSED, parseInvocation, planRun } from "../scripts/cdktf";
import { temporaryDirectory } from "../scripts/temp-dir";

const ROOT = path.resolve(__dirname, "..");
/** The environment of a user who configured nothing: no bucket, no backend arguments. */
const bare: NodeJS.ProcessEnv = { ...process.env };
for (const name of Object.keys(bare)) if (name.startsWith("RECORDER_") || name.startsWith("TF_CLI_ARGS")) delete bare[name];

describe("npm run synth / diff / deploy / output (scripts/cdktf.ts)", () => {
  test("rejects diff of an S3-backed stack with no bucket in one line within seconds, with stdin closed", () => {
    const started = Date.now();
    const result = spawnSync("npm", ["run", "--silent", "diff", "--", "message-recorder-dev"], {
      cwd: ROOT,
      encoding: "utf8",
      env: bare,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    // Generous for a loaded machine; what it guards against is a prompt that waits forever.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toEqual([
      "message-recorder-dev keeps its state in S3 but no bucket is configured: set state.bucket in cdktf.json (context.recorder.defaults) or RECORDER_STATE_BUCKET, or pass --state-bucket <name> (the state_bucket_name output of message-recorder-state), or --backend-config bucket=<name> for a partial backend",
      "",
    ]);
  });

  test("--state-bucket becomes the configured bucket of the synth that the cdktf CLI runs", () => {
    const { env } = planRun(parseInvocation(["deploy", "message-recorder-dev", "--state-bucket", "acme-tf-state"]), bare, true);
    expect(env.RECORDER_STATE_BUCKET).toBe("acme-tf-state");
    expect(env.TF_CLI_ARGS_init).toBeUndefined();
  });

  test("rejects a --state-bucket that is not a bucket name, naming the rule", () => {
    expect(() =>
      planRun(parseInvocation(["deploy", "message-recorder-dev", "--state-bucket", "Bad_Name", "--auto-approve"]), bare),
    ).toThrow('RECORDER_STATE_BUCKET: "Bad_Name" is not allowed; expected an S3 bucket name');
  });

  test("--backend-config reaches terraform init of the one stack run, as a partial S3 backend asks", () => {
    const { env } = planRun(
      parseInvocation(["diff", "message-recorder-dev", "--backend-config", "bucket=acme", "--backend-config", "backend.hcl"]),
      bare,
    );
    expect(env.TF_CLI_ARGS_init).toBe("-backend-config=bucket=acme -backend-config=backend.hcl");
    const spaced = planRun(parseInvocation(["diff", "message-recorder-dev", "--backend-config", "my backend.hcl"]), bare).env;
    expect(spaced.TF_CLI_ARGS_init).toBe('"-backend-config=my backend.hcl"');
  });

  test("an exported TF_CLI_ARGS_init never reaches the bootstrap stack's local backend", () => {
    const { env, notes } = planRun(parseInvocation(["output", "message-recorder-state"]), {
      ...bare,
      TF_CLI_ARGS_init: "-backend-config=bucket=acme",
    });
    expect(env.TF_CLI_ARGS_init).toBeUndefined();
    expect(notes).toEqual([
      "note: TF_CLI_ARGS_init is not passed to message-recorder-state, which keeps its state locally, in its own folder",
    ]);
  });

  test("rejects --backend-config for a stack whose backend is not a partial S3 one", () => {
    expect(() => planRun(parseInvocation(["deploy", "message-recorder-state", "--backend-config", "bucket=x"]), bare, true)).toThrow(
      "--backend-config: message-recorder-state keeps its state locally, in its own folder; backend arguments apply only to a pipeline stack with a partial S3 backend",
    );
    expect(() =>
      planRun(
        parseInvocation(["deploy", "message-recorder-dev", "--backend-config", "bucket=x"]),
        { ...bare, RECORDER_STATE_BUCKET: "acme" },
        true,
      ),
    ).toThrow("--backend-config: message-recorder-dev already has its bucket (acme) from the configuration; drop one of them");
  });

  test("rejects an unknown stack naming the configured ones, two stacks, and an unknown option", () => {
    expect(() => planRun(parseInvocation(["diff", "message-recorder-prod"]), bare)).toThrow(
      'unknown stack "message-recorder-prod"; expected one of message-recorder-state, message-recorder-dev',
    );
    expect(() => parseInvocation(["deploy", "message-recorder-dev", "message-recorder-state"])).toThrow(
      'unexpected argument "message-recorder-state": one stack at a time, so that backend settings reach only it',
    );
    expect(() => parseInvocation(["deploy"])).toThrow("the stack is required");
    expect(() => parseInvocation(["deploy", "message-recorder-dev", "--auto-aprove"])).toThrow(
      /^unknown option --auto-aprove; allowed: --state-bucket, --backend-config, --auto-approve/,
    );
    expect(() => parseInvocation(["deploy", "message-recorder-dev", "--auto-approve", "--auto-approve"])).toThrow(
      "--auto-approve is given twice; give each option once",
    );
  });

  test("rejects deploy with no terminal to approve on unless --auto-approve is given", () => {
    const dev = ["deploy", "message-recorder-dev", "--state-bucket", "acme-tf-state"];
    expect(() => planRun(parseInvocation(dev), bare, false)).toThrow(
      "deploy: stdin is not a terminal, so nobody can approve the plan; pass --auto-approve (after reviewing npm run diff)",
    );
    expect(() => planRun(parseInvocation([...dev, "--auto-approve"]), bare, false)).not.toThrow();
    expect(() => planRun(parseInvocation(dev), bare, true)).not.toThrow();
  });

  test("rejects a Terraform Cloud stack that selects workspaces by tag unless TF_WORKSPACE names one", () => {
    const tags = { ...bare, RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE_TAGS: "recorder" };
    expect(() => planRun(parseInvocation(["diff", "message-recorder-dev"]), tags)).toThrow(
      "message-recorder-dev selects Terraform Cloud workspaces by tag (recorder, environment:dev); set TF_WORKSPACE to the workspace to use",
    );
    expect(() => planRun(parseInvocation(["diff", "message-recorder-dev"]), { ...tags, TF_WORKSPACE: "recorder-dev" })).not.toThrow();
  });

  test("refuses a synth that would delete the bootstrap stack's unmigrated local state (backend cloud everywhere)", () => {
    const outdir = temporaryDirectory("cdktf-out");
    mkdirSync(path.join(outdir, "stacks", "message-recorder-state"), { recursive: true });
    writeFileSync(path.join(outdir, "stacks", "message-recorder-state", "terraform.tfstate"), "{}");
    const cloud = { ...bare, RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE: "recorder" };
    expect(() => planRun(parseInvocation(["synth", "--output", outdir]), cloud)).toThrow(
      /terraform.tfstate holds the state bucket's state, and this synth \(no environment keeps its state in S3\) would delete it; migrate it into the bucket first/,
    );
    expect(() => planRun(parseInvocation(["synth", "--output", outdir]), bare)).not.toThrow();
  });

  test("refuses --hcl in one line that says why: cdktf 0.21 writes invalid HCL for the policy documents", () => {
    expect(() => parseInvocation(["synth", "--hcl"])).toThrow(HCL_REFUSED);
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/cdktf.ts", "synth", "--hcl"], {
      cwd: ROOT,
      encoding: "utf8",
      env: bare,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`${HCL_REFUSED}; usage: npm run synth -- [--output DIR]\n`);
  });

  test("a synth removes the cdk.tf an HCL synth left beside cdk.tf.json, and keeps Terraform's own files", () => {
    const outdir = path.join(temporaryDirectory("synth-stale"), "out");
    const stackDir = path.join(outdir, "stacks", "message-recorder-dev");
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(path.join(stackDir, "cdk.tf"), 'resource "aws_sqs_queue" "stale" {}\n');
    writeFileSync(path.join(stackDir, ".terraform.lock.hcl"), "# lock\n");
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/cdktf.ts", "synth", "--output", outdir], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...bare, CHECKPOINT_DISABLE: "1" },
      timeout: 120_000,
    });
    expect(result.status).toBe(0);
    expect(existsSync(path.join(stackDir, "cdk.tf.json"))).toBe(true);
    expect(existsSync(path.join(stackDir, "cdk.tf"))).toBe(false);
    expect(readFileSync(path.join(stackDir, ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
  });

  test("--help explains every option, ours and cdktf's, from the declaration the parser uses", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/cdktf.ts", "deploy", "--help"], {
      cwd: ROOT,
      encoding: "utf8",
      env: bare,
    });
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^usage: npm run deploy -- <stack> \[--state-bucket NAME\] \[--backend-config KEY=VALUE\|FILE\.\.\.\] \[--auto-approve\]/,
    );
    for (const option of [
      "--state-bucket NAME",
      "--backend-config KEY=VALUE|FILE",
      "--auto-approve",
      "--skip-provider-lock",
      "--outputs-file FILE",
    ])
      expect(lines.some((line) => line.startsWith(`  ${option} `))).toBe(true);
  });

  test("off a terminal, the cdktf CLI's spinner reaches the log as one plain line per status, with no escape sequences", () => {
    // No credentials anywhere: terraform init stops at the S3 backend, after the CLI has drawn its spinner.
    // CI unset: under CI=true the cdktf CLI draws no spinner at all, and this is about the spinner it draws elsewhere.
    const env: NodeJS.ProcessEnv = {
      ...bare,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "none-here",
    };
    delete env.CI;
    const result = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/cdktf.ts",
        "diff",
        "message-recorder-dev",
        "--state-bucket",
        "no-such-bucket-here",
        "--skip-provider-lock",
      ],
      { cwd: ROOT, encoding: "utf8", env, timeout: 120_000 },
    );
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status).not.toBe(0);
    expect(output).not.toContain("\u001b");
    expect(output.split("\n").filter((line) => line === "cdktf: Synthesizing")).toHaveLength(1);
    expect(output).not.toMatch(/[\u2800-\u28ff] {2}/);
  });

  test("passes cdktf's own options through, --skip-provider-lock included", () => {
    expect(
      parseInvocation(["deploy", "message-recorder-dev", "--skip-provider-lock", "--auto-approve", "--var-file", "a.tfvars"]).passThrough,
    ).toEqual(["--auto-approve", "--skip-provider-lock", "--var-file", "a.tfvars"]);
    // A repeatable option keeps every value, in order.
    expect(parseInvocation(["diff", "message-recorder-dev", "--var", "a=1", "--var", "b=2"]).passThrough).toEqual([
      "--var",
      "a=1",
      "--var",
      "b=2",
    ]);
  });

  test("the cdktf CLI always runs with its version check off", () => {
    expect(planRun(parseInvocation(["synth"]), bare).env.CHECKPOINT_DISABLE).toBe("1");
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const runningCdktf = Object.entries(scripts).filter(([, command]) => /\bcdktf\b/.test(command.replace(/cdktf\.json/g, "")));
    expect(runningCdktf.map(([name]) => name)).toEqual(expect.arrayContaining(["synth", "diff", "deploy", "output"]));
    for (const [name, command] of runningCdktf)
      expect({ name, command }).toEqual({ name, command: expect.stringMatching(/^CHECKPOINT_DISABLE=1 /) });
  });
});

describe("npm run synth runs the app directly, without the cdktf CLI's start-up", () => {
  const cdktfBin = path.join(path.dirname(require.resolve("cdktf-cli/package.json")), cdktfCliPackage.bin.cdktf);
  const filesUnder = (dir: string): Map<string, Buffer> => {
    const files = new Map<string, Buffer>();
    const walk = (current: string) => {
      for (const entry of readdirSync(current, { withFileTypes: true })) {
        const full = path.join(current, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.set(path.relative(dir, full), readFileSync(full));
      }
    };
    walk(dir);
    return files;
  };

  test("writes byte for byte what `cdktf synth` writes, and removes the folder of a stack no longer synthesized", () => {
    const direct = path.join(temporaryDirectory("synth-direct"), "out");
    const viaCli = path.join(temporaryDirectory("synth-cli"), "out");
    mkdirSync(path.join(direct, "stacks", "message-recorder-gone"), { recursive: true });
    writeFileSync(path.join(direct, "stacks", "message-recorder-gone", "cdk.tf.json"), "{}");
    const env = { ...bare, CHECKPOINT_DISABLE: "1" };
    const ours = spawnSync(process.execPath, ["--import", "tsx", "scripts/cdktf.ts", "synth", "--output", direct], {
      cwd: ROOT,
      encoding: "utf8",
      env,
      timeout: 120_000,
    });
    expect(ours.stderr).toBe("");
    expect(ours.stdout).toContain("Generated Terraform code for the stacks: message-recorder-dev, message-recorder-state");
    const cli = spawnSync(process.execPath, [cdktfBin, "synth", "--output", viaCli], {
      cwd: ROOT,
      encoding: "utf8",
      env,
      timeout: 120_000,
    });
    expect(cli.status).toBe(0);
    const a = filesUnder(direct);
    const b = filesUnder(viaCli);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    expect([...a.keys()].filter((file) => !a.get(file)!.equals(b.get(file)!))).toEqual([]);
  });
});
