import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { documentationPages, GENERATED_BLOCKS, mermaidFromAsl, README_PATH, regeneratePage, ROOT } from "../scripts/readme";
import { SETTING_DOCS } from "../stacks/config";
import { documentedCommands } from "./support/readme-commands";

describe("README and docs/", () => {
  const readme = readFileSync(README_PATH, "utf8");
  const pages = documentationPages();
  const text = (page: string) => readFileSync(path.join(ROOT, page), "utf8");

  test("the workflow diagram, the configuration table and the cost table are current, each in its page (npm run readme)", () => {
    const withBlocks = [...new Set(Object.values(GENERATED_BLOCKS).map((block) => block.page))];
    expect(withBlocks.every((page) => pages.includes(page))).toBe(true);
    for (const page of pages) expect({ page, text: text(page) }).toEqual({ page, text: regeneratePage(page, text(page)) });
  });

  test("README is a front door: at most 150 lines, the quick start on the first screen, cdktf's upstream status before it", () => {
    const lines = readme.split("\n");
    expect(lines.length).toBeLessThanOrEqual(150);
    const quickStart = lines.indexOf("## Quick start");
    expect(quickStart).toBeGreaterThan(0);
    expect(quickStart).toBeLessThan(45);
    expect(lines.slice(0, quickStart).join("\n")).toMatch(/cdktf is archived upstream[\s\S]*cdktn/);
  });

  test("every file and folder of this repository that a page names or links to exists", () => {
    const missing: string[] = [];
    for (const page of pages) {
      for (const [, target] of text(page)
        .replace(/`[^`\n]*`/g, "")
        .matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (!existsSync(path.resolve(ROOT, path.dirname(page), target))) missing.push(`${page}: link ${target}`);
      }
      const named =
        /`((?:stacks|scripts|lambdas|asl|examples|docs|__tests__|requirements|\.ci)\/[\w./-]*[\w/]|[\w.-]+\.(?:ts|json|md|yaml|js|mjs))`/g;
      for (const [, name] of text(page).matchAll(named)) {
        if (name.includes("*") || name.startsWith("cdk.tf")) continue;
        const candidates = [path.join(ROOT, name), path.resolve(ROOT, path.dirname(page), name)];
        if (name.includes("/") && !candidates.some((candidate) => existsSync(candidate))) missing.push(`${page}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("every link to a heading, on the same page or another, finds it", () => {
    // GitHub's anchors: the heading in lower case, punctuation other than '-' dropped, spaces as '-'.
    const anchorsOf = (page: string) =>
      new Set(
        [...text(page).matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) =>
          heading
            .toLowerCase()
            .replace(/[^\p{L}\p{N} -]/gu, "")
            .replace(/ /g, "-"),
        ),
      );
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, file, anchor] of text(page)
        .replace(/`[^`\n]*`/g, "")
        .matchAll(/\]\((?!https?:)([^)#\s]*)#([^)\s]+)\)/g)) {
        const target = file ? path.relative(ROOT, path.resolve(ROOT, path.dirname(page), file)) : page;
        if (!pages.includes(target) || !anchorsOf(target).has(anchor)) broken.push(`${page}: ${file}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test("no page speaks to the team instead of the user", () => {
    const teamWords = /the seed|reviewer|this round|the project's goals|original design|the issue/i;
    expect(pages.filter((page) => teamWords.test(text(page))).map((page) => `${page}: ${teamWords.exec(text(page))![0]}`)).toEqual([]);
  });

  test("the diagram shows every state and transition of the definition", () => {
    const diagram = mermaidFromAsl({
      StartAt: "A",
      States: {
        A: { Type: "Task", Next: "B", Catch: [{ ErrorEquals: ["States.ALL"], Next: "C" }] },
        B: { Type: "Choice", Choices: [{ Variable: "$.x", NumericEquals: 1, Next: "C" }], Default: "C" },
        C: { Type: "Succeed" },
      },
    });
    expect(diagram.split("\n")).toEqual([
      "stateDiagram-v2",
      '  state "A" as s0',
      '  state "B" as s1',
      '  state "C" as s2',
      "  [*] --> s0",
      "  s0 --> s1",
      "  s0 --> s2: catch States.ALL",
      "  s1 --> s2: x == 1",
      "  s1 --> s2: otherwise",
      "  s2 --> [*]",
    ]);
  });

  test("the quick start names the commands package.json defines", () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(README_PATH.replace(/README\.md$/, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
    );
    for (const command of ["npm run synth", "npm test", "npm run local"]) expect(readme).toContain(command);
    expect(scripts).toEqual(expect.arrayContaining(["synth", "test", "local", "readme"]));
  });

  const scripts = (
    JSON.parse(readFileSync(README_PATH.replace(/README\.md$/, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  const commands = documentedCommands();

  test("every npm script the pages' commands run exists in package.json", () => {
    const named = commands.flatMap(({ command }) => [...command.matchAll(/npm run (?:-s |--silent )?([\w:-]+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
  });

  test("no documented command runs the cdktf CLI without CHECKPOINT_DISABLE, directly or through an npm script", () => {
    const direct = commands.filter(({ command }) => /(^|[\s;&|(])(npx )?cdktf\s/.test(command) && !/CHECKPOINT_DISABLE=1/.test(command));
    expect(direct).toEqual([]);
    const viaScripts = commands
      .flatMap(({ command }) => [...command.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]))
      .filter(
        (name) => /\bcdktf\b/.test((scripts[name] ?? "").replace(/cdktf\.json/g, "")) && !scripts[name].startsWith("CHECKPOINT_DISABLE=1 "),
      );
    expect(viaScripts).toEqual([]);
  });

  test("every variable a documented command reads is set by the commands or documented, and every one it exports is documented", () => {
    const prose = pages.map((page) => text(page).replace(/```[\s\S]*?```/g, "")).join("\n");
    const documented = (name: string) => SETTING_DOCS.some((setting) => setting.env === name) || prose.includes(`\`${name}`);
    const assigned = new Set(
      commands.flatMap(({ command }) => [...command.matchAll(/(?:^|\s|export\s+)([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1])),
    );
    const read = commands.flatMap(({ command }) => [...command.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect([...read].filter((name) => !assigned.has(name) && !documented(name))).toEqual([]);
    const exported = commands.flatMap(({ command }) =>
      [...command.matchAll(/^export\s+(.*)$/g)].flatMap((m) => [...m[1].matchAll(/([A-Z][A-Z0-9_]*)=/g)].map((v) => v[1])),
    );
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((name) => !documented(name))).toEqual([]);
  });
});
