import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pythonToolsTierEnabled } from "../scripts/python-tools";
import { temporaryDirectory } from "../scripts/temp-dir";
import { sharedPlan, tierStacks } from "./support/moto";
import { initValidatePlan, prepareOfflineCopy, sharedInit, terraform, terraformTierEnabled } from "./support/terraform";

/**
 * Real checkov (pinned in requirements/tools.txt) over the plan (`terraform show -json` of a saved plan) of every
 * stack the Terraform tier plans. .checkov.yaml's skip list holds the decisions, each with its reason; checkov runs
 * here without that list, once over all the plans, and the list is applied to its results, so that a failed check
 * outside the list fails the test with checkov's own lines, and a listed check that fails nowhere is stale.
 */

const tools = terraformTierEnabled() ? pythonToolsTierEnabled("checkov tier (checkov over the plans)") : undefined;
const describeCheckov = tools ? describe : describe.skip;

const ROOT = path.resolve(__dirname, "..");
const CONFIG = path.join(ROOT, ".checkov.yaml");

/** The skip list of .checkov.yaml: each id with the reason written beside it. */
function skipList(): Map<string, string> {
  const lines = readFileSync(CONFIG, "utf8").split("\n");
  const start = lines.findIndex((l) => l.startsWith("skip-check:"));
  const entries = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const entry = /^\s+-\s*(\S+)\s*(?:#\s*(.*))?$/.exec(line);
    if (entry) entries.set(entry[1], (entry[2] ?? "").trim());
  }
  return entries;
}

/**
 * Checks that fail by configuration in the EXPRESS environment planned with `encryption: aws-managed`: the key
 * rules (the setting drops the customer-managed key, docs/security.md) and tracing (off by default for EXPRESS).
 * They must fail there, which also shows that checkov does see a missing key.
 */
const EXPECTED_IN_AWS_MANAGED_EXPRESS: Record<string, string> = {
  CKV_AWS_119: "DynamoDB table with an AWS owned key",
  CKV_AWS_158: "log groups with AWS-managed encryption",
  CKV_AWS_26: "alarm topic unencrypted (CloudWatch cannot publish to a topic under aws/sns)",
  CKV_AWS_73: "API stage without X-Ray tracing (tracing off by default for EXPRESS)",
  CKV_AWS_284: "state machine without X-Ray tracing (tracing off by default for EXPRESS)",
};
const AWS_MANAGED_EXPRESS = "prod-express-aws-managed";

interface CheckResult {
  readonly check_id: string;
  readonly check_name: string;
  readonly resource: string;
  readonly file_path: string;
}
interface Report {
  readonly check_type: string;
  readonly summary: { passed: number; failed: number; parsing_errors: number; resource_count: number };
  readonly results: { passed_checks: CheckResult[]; failed_checks: CheckResult[] };
}

describeCheckov("checkov tier: real checkov over the plan of every stack", () => {
  const skips = skipList();
  const planFiles = new Map<string, string>();
  const sources: string[] = [];
  let report: Report;
  let cliOutput = "";
  let seconds = 0;

  beforeAll(async () => {
    const dir = temporaryDirectory("checkov");
    for (const stack of tierStacks()) {
      const { json, source } = await sharedPlan(stack.name, () => {
        const workdir = prepareOfflineCopy(stack.dir);
        initValidatePlan(workdir);
        return Promise.resolve(terraform(workdir, ["show", "-json", "plan.tfplan"], { TF_DATA_DIR: sharedInit(workdir).dataDir }));
      });
      const file = path.join(dir, `${stack.name}.json`);
      writeFileSync(file, json);
      planFiles.set(stack.name, file);
      sources.push(`${stack.name}: ${source === "shared" ? "plan shared by the moto tier" : "planned here"}`);
    }
    // The checked-in configuration without its skip list (applied below, to see stale entries too), and not quiet
    // (quiet leaves the passed checks out, which show that every plan was read).
    const config = path.join(dir, "checkov.yaml");
    writeFileSync(
      config,
      readFileSync(CONFIG, "utf8")
        .split("\nskip-check:")[0]
        .replace(/^quiet: true$/m, "quiet: false"),
    );
    const jsonFile = path.join(dir, "results_json.json");
    const started = Date.now();
    const result = spawnSync(
      tools!.bin("checkov"),
      ["--config-file", config, "-f", ...planFiles.values(), "-o", "cli", "-o", "json", "--output-file-path", `console,${jsonFile}`],
      {
        cwd: dir,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, BC_SKIP_MAPPING: "TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: "false" },
      },
    );
    seconds = (Date.now() - started) / 1000;
    cliOutput = result.stdout;
    if (result.status !== 0 && result.status !== 1)
      throw new Error(`checkov failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
    report = JSON.parse(readFileSync(jsonFile, "utf8")) as Report;
    console.log(`checkov tier: checkov ${seconds.toFixed(1)} s over ${planFiles.size} plans (${sources.join("; ")})`);
  }, 600_000);

  const stackOf = (r: CheckResult) =>
    [...planFiles].find(([, file]) => path.basename(file) === path.basename(r.file_path))?.[0] ?? r.file_path;
  const allowed = (r: CheckResult) =>
    skips.has(r.check_id) || (stackOf(r) === AWS_MANAGED_EXPRESS && r.check_id in EXPECTED_IN_AWS_MANAGED_EXPRESS);
  /** checkov's own lines for a result: its cli block (Check, FAILED for resource, File). */
  const cliLines = (r: CheckResult) => {
    const blocks = cliOutput.split(/\n(?=Check: )/);
    const block = blocks.find(
      (b) =>
        b.startsWith(`Check: ${r.check_id}:`) &&
        b.includes(`FAILED for resource: ${r.resource}\n`) &&
        b.includes(path.basename(r.file_path)),
    );
    return block?.trim() ?? `Check: ${r.check_id}: "${r.check_name}" FAILED for resource: ${r.resource} File: ${r.file_path}`;
  };

  test("checkov read every plan without a parsing error", () => {
    expect(report.check_type).toBe("terraform_plan");
    expect(report.summary.parsing_errors).toBe(0);
    const checked = new Set([...report.results.passed_checks, ...report.results.failed_checks].map(stackOf));
    expect([...checked].sort()).toEqual([...planFiles.keys()].sort());
  });

  test("no check fails outside .checkov.yaml's skip list, on any stack", () => {
    const unexpected = report.results.failed_checks.filter((r) => !allowed(r));
    if (unexpected.length > 0)
      throw new Error(
        `checkov found ${unexpected.length} failed check(s) that .checkov.yaml does not skip:\n${unexpected.map((r) => `[${stackOf(r)}]\n${cliLines(r)}`).join("\n")}`,
      );
  });

  test("every skipped check has a reason and still fails on some stack (no stale exceptions)", () => {
    const failing = new Set(report.results.failed_checks.map((r) => r.check_id));
    for (const [id, reason] of skips) expect({ id, reason: reason.length > 40 }).toEqual({ id, reason: true });
    expect([...skips.keys()].filter((id) => !failing.has(id))).toEqual([]);
  });

  test("with encryption aws-managed and an EXPRESS workflow, checkov flags exactly the key and tracing checks", () => {
    const flagged = new Set(
      report.results.failed_checks.filter((r) => stackOf(r) === AWS_MANAGED_EXPRESS && !skips.has(r.check_id)).map((r) => r.check_id),
    );
    expect([...flagged].sort()).toEqual(Object.keys(EXPECTED_IN_AWS_MANAGED_EXPRESS).sort());
    // And none of them fails on the stacks with the customer-managed key and tracing on.
    expect(
      report.results.failed_checks
        .filter((r) => stackOf(r) !== AWS_MANAGED_EXPRESS && r.check_id in EXPECTED_IN_AWS_MANAGED_EXPRESS)
        .map(cliLines),
    ).toEqual([]);
  });
});
