import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pythonToolsTierEnabled } from "../scripts/python-tools";
import {
  changedAttributes,
  claimSharedPlan,
  CommandResult,
  gapStillOpen,
  MOTO_DIFF_GAPS,
  MOTO_GAPS,
  MotoServer,
  ResourceChange,
  prepareMotoCopy,
  publishSharedPlan,
  replaceConfiguration,
  startMoto,
  terraformAsync,
  terraformOk,
  tierStacks,
  TierStack,
} from "./support/moto";
import { terraformTierEnabled } from "./support/terraform";

/**
 * Apply, re-plan and destroy against moto: each stack the Terraform tier plans is applied from scratch by real
 * Terraform against moto's server, planned again (which must find nothing to change: a perpetual diff is a defect),
 * refused destruction while its table (or the state bucket) is protected, and destroyed once protection is off.
 * The stacks run at once, one moto server each (the example reuses the dev environment's names). What moto lacks
 * is in MOTO_GAPS (support/moto.ts), each entry probed here so the list cannot go stale.
 */

const tools = terraformTierEnabled() ? pythonToolsTierEnabled("moto tier (terraform apply/plan/destroy against moto)") : undefined;
const describeMoto = tools ? describe : describe.skip;

interface Outcome {
  readonly stack: TierStack;
  readonly steps: Array<{ step: string; seconds: number }>;
  readonly replan: CommandResult;
  /** The changes of the plan after apply (none when it is empty), and the drift it found. */
  readonly changes: ResourceChange[];
  readonly drift: ResourceChange[];
  readonly refused: CommandResult;
  readonly destroyed: CommandResult;
  readonly stateAfterDestroy: unknown[];
}

/** The address whose prevent_destroy stops `terraform destroy` of a stack with protection on. */
const PROTECTED = /aws_dynamodb_table\.|aws_s3_bucket\.bucket/;

async function lifecycle(stack: TierStack, moto: MotoServer): Promise<Outcome> {
  const steps: Array<{ step: string; seconds: number }> = [];
  const timed = async (step: string, run: () => Promise<CommandResult>) => {
    const result = await run();
    steps.push({ step, seconds: result.seconds });
    // MOTO_TIER_PROGRESS=<file>: each step as it ends (Jest shows a file's console only once the file is done).
    if (process.env.MOTO_TIER_PROGRESS)
      appendFileSync(process.env.MOTO_TIER_PROGRESS, `${stack.name}: ${step} exit ${result.code} after ${result.seconds.toFixed(1)} s\n`);
    return result;
  };
  const { workdir, env } = prepareMotoCopy(stack.dir, moto.endpoint);
  // The plan that is applied is also the one checkov reads (checkov.test.ts), unless checkov planned it first.
  const sharing = claimSharedPlan(stack.name);
  let shown: string | undefined;
  try {
    await timed("plan", () => terraformOk(workdir, ["plan", "-input=false", "-out=tfplan"], env, moto));
    if (sharing) shown = (await timed("show", () => terraformOk(workdir, ["show", "-json", "tfplan"], env, moto))).stdout;
  } finally {
    if (sharing) publishSharedPlan(stack.name, shown);
  }
  await timed("apply", () => terraformOk(workdir, ["apply", "-input=false", "tfplan"], env, moto));
  const replan = await timed("re-plan", () =>
    terraformAsync(workdir, ["plan", "-input=false", "-detailed-exitcode", "-out=replan.tfplan"], env),
  );
  let changes: ResourceChange[] = [];
  let drift: ResourceChange[] = [];
  if (replan.code === 2) {
    const shownReplan = JSON.parse((await terraformOk(workdir, ["show", "-json", "replan.tfplan"], env, moto)).stdout) as {
      resource_changes?: ResourceChange[];
      resource_drift?: ResourceChange[];
    };
    changes = (shownReplan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === "no-op" || a === "read"));
    drift = shownReplan.resource_drift ?? [];
  }
  const refused = await timed("destroy (protected)", () =>
    terraformAsync(workdir, ["destroy", "-auto-approve", "-input=false", "-refresh=false"], env),
  );
  if (stack.unprotectedDir) {
    replaceConfiguration(workdir, stack.unprotectedDir, moto.endpoint);
    await timed("apply (protection off)", () => terraformOk(workdir, ["apply", "-auto-approve", "-input=false"], env, moto));
  } else {
    // The state bucket has no protection switch by design: a test-only override lifts prevent_destroy here.
    writeFileSync(
      path.join(workdir, "unprotect_override.tf.json"),
      JSON.stringify({ resource: { aws_s3_bucket: { bucket: { lifecycle: { prevent_destroy: false } } } } }),
    );
  }
  const destroyed = await timed("destroy", () => terraformAsync(workdir, ["destroy", "-auto-approve", "-input=false"], env));
  const state = JSON.parse(readFileSync(path.join(workdir, "terraform.tfstate"), "utf8")) as { resources: unknown[] };
  return { stack, steps, replan, changes, drift, refused, destroyed, stateAfterDestroy: state.resources };
}

describeMoto("moto tier: terraform apply, re-plan and destroy of every stack against moto's server", () => {
  const outcomes = new Map<string, Outcome>();
  const failures = new Map<string, Error>();
  const servers: MotoServer[] = [];
  let stacks: TierStack[] = [];
  let wall = 0;

  beforeAll(async () => {
    const started = Date.now();
    stacks = tierStacks({ unprotected: true });
    await Promise.all(
      stacks.map(async (stack) => {
        const moto = await startMoto(tools!.bin("moto_server"));
        servers.push(moto);
        try {
          outcomes.set(stack.name, await lifecycle(stack, moto));
        } catch (error) {
          failures.set(stack.name, error as Error);
        }
      }),
    );
    wall = (Date.now() - started) / 1000;
    const timings = [...outcomes.values()].map(
      (o) => `${o.stack.name}: ${o.steps.map((s) => `${s.step} ${s.seconds.toFixed(0)} s`).join(", ")}`,
    );
    console.log(`moto tier: ${wall.toFixed(0)} s wall for ${stacks.length} stacks at once\n${timings.join("\n")}`);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  const each = () => stacks.map((s) => s.name);
  const outcome = (name: string): Outcome => {
    const failed = failures.get(name);
    if (failed) throw failed;
    return outcomes.get(name)!;
  };

  test("the four stacks of the Terraform tier are run", () => {
    expect(each()).toEqual(["dev", "prod-express-aws-managed", "bootstrap", "example-two-sources"]);
  });

  test.each(["dev", "prod-express-aws-managed", "bootstrap", "example-two-sources"])(
    "%s: applies from scratch, and a second plan finds nothing to change but what MOTO_DIFF_GAPS explains",
    (name) => {
      const { replan, changes, drift } = outcome(name);
      // -detailed-exitcode: 0 no changes, 2 changes, 1 error.
      if (replan.code !== 0 && replan.code !== 2)
        throw new Error(`the plan after apply failed (exit ${replan.code}):\n${replan.stderr}${replan.stdout}`);
      const unexplained = changes.filter((c) => !MOTO_DIFF_GAPS.some((g) => g.explains(c, drift)));
      if (unexplained.length > 0) {
        throw new Error(
          `the plan after apply is not empty (a perpetual diff): ${unexplained.map((c) => `${c.address} ${c.change.actions.join("/")} [${changedAttributes(c).join(", ")}]`).join("; ")}\n${replan.stdout}`,
        );
      }
    },
  );

  test.each(MOTO_DIFF_GAPS.map((g) => [g.id, g] as const))(
    "moto diff %s still shows in some stack's plan after apply (else remove it from MOTO_DIFF_GAPS)",
    (_id, gap) => {
      const seen = [...outcomes.values()].some((o) => o.changes.some((c) => gap.explains(c, o.drift)));
      expect(seen).toBe(true);
    },
  );

  test.each(["dev", "prod-express-aws-managed", "bootstrap", "example-two-sources"])(
    "%s: with protection on, destroy is refused by prevent_destroy",
    (name) => {
      const refused = outcome(name).refused;
      expect(refused.code).not.toBe(0);
      const text = refused.stderr.replace(/\s+/g, " ");
      expect(text).toContain("Error: Instance cannot be destroyed");
      expect(text).toMatch(/lifecycle\.prevent_destroy set/);
      expect(text).toMatch(PROTECTED);
    },
  );

  test.each(["dev", "prod-express-aws-managed", "bootstrap", "example-two-sources"])(
    "%s: with protection off, destroy removes everything",
    (name) => {
      const { destroyed, stateAfterDestroy } = outcome(name);
      if (destroyed.code !== 0)
        throw new Error(
          `terraform destroy failed (exit ${destroyed.code}):\n${destroyed.stderr}${destroyed.stdout.split("\n").slice(-30).join("\n")}`,
        );
      expect(stateAfterDestroy).toEqual([]);
    },
  );

  test.each(MOTO_GAPS.map((g) => [g.id, g] as const))(
    "gap %s is still a gap in the pinned moto (else remove it from MOTO_GAPS)",
    async (_id, gap) => {
      const probe = await gapStillOpen(servers[0], gap);
      if (!probe.open)
        throw new Error(
          `moto now answers ${gap.operation} (HTTP ${probe.answer.status}: ${probe.answer.body.slice(0, 300)}): remove the gap and its workaround`,
        );
    },
  );
});
