import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { recordMessageTemplate } from "../stacks/asl";
import { sectionedName, SETTING_DOCS } from "../stacks/config";
import { factsByWorkflowType, loadLambdaBench, loadPrices } from "./cost/facts";
import { CostLine, DEFAULT_API_SHARE, DEFAULT_FAILURE_RATE, expressSyncCost, isFixed, perMillionEvents, Prices, total } from "./cost/model";
import { costColumns, FactsByType } from "./cost/report";
import { synthesizeFirstEnvironment } from "./synthesized/synth";
import { defineCli, runCli } from "./cli/args";

/**
 * The parts of docs/ that are generated from the code: the workflow diagram (from asl/), the configuration table
 * (from stacks/config.ts) and the cost table (from the cost model). `npm run readme` rewrites them; a test fails
 * when they are stale.
 */

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<Record<string, unknown> & { Next: string }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Retry?: Array<{ ErrorEquals: string[] }>;
}

const COMPARATORS: Record<string, string> = {
  NumericEquals: "==",
  NumericGreaterThan: ">",
  NumericLessThan: "<",
  StringEquals: "==",
  BooleanEquals: "==",
};

/** A Mermaid state diagram of an ASL definition: transitions, choices, catches and retries. */
export function mermaidFromAsl(definition: { StartAt: string; States: Record<string, AslState> }): string {
  const ids = new Map(Object.keys(definition.States).map((name, i) => [name, `s${i}`]));
  const id = (name: string): string => {
    const found = ids.get(name);
    if (!found) throw new Error(`state ${name} is not defined`);
    return found;
  };
  const lines = ["stateDiagram-v2"];
  for (const name of Object.keys(definition.States)) lines.push(`  state "${name}" as ${id(name)}`);
  lines.push(`  [*] --> ${id(definition.StartAt)}`);
  for (const [name, state] of Object.entries(definition.States)) {
    for (const choice of state.Choices ?? []) {
      const comparator = Object.keys(choice).find((key) => key in COMPARATORS);
      if (!comparator) throw new Error(`state ${name}: a choice rule the diagram cannot draw`);
      const variable = String(choice.Variable).replace(/^\$\./, "");
      lines.push(`  ${id(name)} --> ${id(choice.Next)}: ${variable} ${COMPARATORS[comparator]} ${JSON.stringify(choice[comparator])}`);
    }
    if (state.Default) lines.push(`  ${id(name)} --> ${id(state.Default)}: otherwise`);
    if (state.Next) lines.push(`  ${id(name)} --> ${id(state.Next)}`);
    for (const catcher of state.Catch ?? []) lines.push(`  ${id(name)} --> ${id(catcher.Next)}: catch ${catcher.ErrorEquals.join(", ")}`);
    if (state.End || state.Type === "Succeed" || state.Type === "Fail") lines.push(`  ${id(name)} --> [*]`);
  }
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Retry?.length) {
      const errors = state.Retry.flatMap((r) => r.ErrorEquals).join(", ");
      lines.push(`  note right of ${id(name)}: retries ${errors}`);
    }
  }
  return lines.join("\n");
}

export function configurationTable(): string {
  const cell = (value: unknown) => (value === "" ? "(empty)" : `\`${typeof value === "string" ? value : JSON.stringify(value)}\``);
  return [
    "| setting in cdktf.json | environment variable | default | meaning |",
    "| --- | --- | --- | --- |",
    ...SETTING_DOCS.map((s) => `| \`${sectionedName(s.name) ?? s.name}\` | \`${s.env}\` | ${cell(s.defaultValue)} | ${s.doc} |`),
    "",
    `Deprecated: the flat names of earlier releases (${SETTING_DOCS.filter((s) => sectionedName(s.name))
      .map((s) => `\`${s.name}\``)
      .join(", ")}) are still read, with a warning that names the sectioned one; the next release drops them.`,
  ].join("\n");
}

/** The first environment synthesized once per set of variables: the cost table and the outputs list share the STANDARD one. */
const synthesizedByEnv = new Map<string, string>();
function synthesized(env: NodeJS.ProcessEnv): string {
  const key = JSON.stringify(env);
  if (!synthesizedByEnv.has(key)) synthesizedByEnv.set(key, synthesizeFirstEnvironment(env));
  return synthesizedByEnv.get(key)!;
}

/** Monthly cost at three volumes, from the default stack synthesized as each workflow type, prices.json and the measured duration. */
export function costTable(): string {
  const prices = loadPrices();
  const bench = loadLambdaBench();
  const byType = factsByWorkflowType(synthesized, {}, bench.handlerMeanMs, 100);
  const facts = byType.standard;
  const options = { apiShare: DEFAULT_API_SHARE, failureRate: DEFAULT_FAILURE_RATE };
  const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const volumes = [1e6, 1e7, 1e8];
  const columns = volumes.map((events) => costColumns(events, byType, prices, options));
  const driver = [...columns[0].standardAll].sort((a, b) => b.monthlyUsd - a.monthlyUsd)[0];
  const line = (lines: CostLine[], component: string) => lines.find((l) => l.component === component)!.monthlyUsd;
  return [
    `| events / month | STANDARD + callback, logs ${facts.logLevel} (deployed) | of which state transitions | EXPRESS + synchronous invoke, logs ERROR | EXPRESS, logs ALL |`,
    "| --- | --- | --- | --- | --- |",
    ...volumes.map(
      (events, i) =>
        `| ${(events / 1e6).toLocaleString("en-US")}M | ${usd(total(columns[i].standardAll))} | ${usd(line(columns[i].standardAll, "Step Functions state transitions"))} | ${usd(total(columns[i].expressError))} | ${usd(total(columns[i].expressAll))} |`,
    ),
    "",
    `Biggest cost driver: **${driver.component}** (${((driver.monthlyUsd / total(columns[0].standardAll)) * 100).toFixed(0)}%): ${facts.stateTransitionsPerExecution} transitions per execution. ` +
      `EXPRESS at ERROR costs $${perMillionEvents(columns[0].expressError, 1e6).toFixed(2)} per million events plus $${total(columns[0].expressError.filter(isFixed)).toFixed(2)} a month fixed (alarms, key); ` +
      `EXPRESS leaves X-Ray off by default (\`tracing\`): on, it would add $${expressXrayPerMillion(byType, prices).toFixed(2)} per million at 1M, since the default sampling rule records the first event of every second. ` +
      `Prices: ${prices.region}, ${prices.date}; message of 100 bytes; all events through PutEvents; ${(DEFAULT_FAILURE_RATE * 100).toFixed(1)}% failing; handler duration ${bench.handlerMeanMs} ms measured ${bench.date} by \`npm run bench:lambda\` (local dynalite, so a lower bound).`,
  ].join("\n");
}

/** What X-Ray would add to EXPRESS at ERROR, per million events at 1M a month. */
function expressXrayPerMillion(byType: FactsByType, prices: Prices): number {
  const at = (tracing: boolean) =>
    perMillionEvents(expressSyncCost(1e6, { ...byType.express, tracing }, prices, { logLevel: "ERROR" }), 1e6);
  return at(true) - at(false);
}

/** The outputs of the first environment's pipeline stack, as synthesized. */
export function stackOutputs(): string {
  // The default stack with the configuration alone, as the cost table reads it: not the shell's RECORDER_* variables.
  const stack = JSON.parse(readFileSync(path.join(synthesized({ RECORDER_WORKFLOW_TYPE: "standard" }), "cdk.tf.json"), "utf8")) as {
    output: Record<string, unknown>;
  };
  return `Outputs of a pipeline stack: ${Object.keys(stack.output)
    .sort()
    .map((name) => `\`${name}\``)
    .join(", ")}.`;
}

/** Each generated block, with the page that holds it. */
export const GENERATED_BLOCKS: Record<string, { readonly page: string; readonly render: () => string }> = {
  "asl-diagram": { page: "docs/architecture.md", render: () => `\`\`\`mermaid\n${mermaidFromAsl(recordMessageTemplate)}\n\`\`\`` },
  "config-table": { page: "docs/configuration.md", render: configurationTable },
  "cost-table": { page: "docs/cost-and-capacity.md", render: costTable },
  "stack-outputs": { page: "docs/architecture.md", render: stackOutputs },
};

export const ROOT = path.join(__dirname, "..");
export const README_PATH = path.join(ROOT, "README.md");

/** README.md, CHANGELOG.md, CONTRIBUTING.md and every page of docs/, as paths relative to the repository. */
export function documentationPages(): string[] {
  const docs = readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", ...docs];
}

const markers = (name: string) => [`<!-- ${name}:start (npm run readme) -->`, `<!-- ${name}:end -->`] as const;

/** A page with every generated block it must hold replaced by its current content. */
export function regeneratePage(page: string, text: string): string {
  let result = text;
  for (const [name, block] of Object.entries(GENERATED_BLOCKS)) {
    const [start, end] = markers(name);
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (block.page !== page) {
      if (from >= 0) throw new Error(`${page} has a ${name} block, which belongs in ${block.page}`);
      continue;
    }
    if (from < 0 || to < from) throw new Error(`${page} has no ${start} ... ${end} block`);
    result = `${result.slice(0, from)}${start}\n${block.render()}\n${result.slice(to)}`;
  }
  return result;
}

const CLI = defineCli({
  command: "npm run readme",
  synopsis: "",
  summary:
    "Regenerates the generated blocks of docs/ from the code: the workflow diagram (asl/), the configuration table " +
    "(stacks/config/), the cost table (the cost model, prices.json and the measured handler duration) and the stack's outputs. A test fails while they are stale.",
  options: {},
});

if (require.main === module) {
  runCli(CLI, () => {
    CLI.parse(process.argv.slice(2));
    for (const page of new Set(Object.values(GENERATED_BLOCKS).map((block) => block.page))) {
      const file = path.join(ROOT, page);
      const before = readFileSync(file, "utf8");
      const after = regeneratePage(page, before);
      if (after !== before) writeFileSync(file, after);
      process.stdout.write(`${page}: ${after === before ? "unchanged" : "regenerated"}\n`);
    }
    return Promise.resolve();
  });
}
