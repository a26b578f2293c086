import { readFileSync } from "node:fs";
import { README_PATH, mermaidFromAsl, regenerateReadme } from "../scripts/readme";
import { SETTING_DOCS } from "../stacks/config";
import { readmeCommands } from "./support/readme-commands";

describe("README", () => {
  const readme = readFileSync(README_PATH, "utf8");

  test("the workflow diagram and the configuration table are current (npm run readme)", () => {
    expect(readme).toBe(regenerateReadme(readme));
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
  const commands = readmeCommands();

  test("every npm script README's commands run exists in package.json", () => {
    const named = commands.flatMap(({ command }) => [...command.matchAll(/npm run (?:-s |--silent )?([\w:-]+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
  });

  test("no README command runs the cdktf CLI without CHECKPOINT_DISABLE, directly or through an npm script", () => {
    const direct = commands.filter(({ command }) => /(^|[\s;&|(])(npx )?cdktf\s/.test(command) && !/CHECKPOINT_DISABLE=1/.test(command));
    expect(direct).toEqual([]);
    const viaScripts = commands
      .flatMap(({ command }) => [...command.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]))
      .filter(
        (name) => /\bcdktf\b/.test((scripts[name] ?? "").replace(/cdktf\.json/g, "")) && !scripts[name].startsWith("CHECKPOINT_DISABLE=1 "),
      );
    expect(viaScripts).toEqual([]);
  });

  test("every variable a README command reads is set by the commands or documented, and every one it exports is documented", () => {
    const prose = readme.replace(/```[\s\S]*?```/g, "");
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
