import { readFileSync } from "node:fs";
import { README_PATH, mermaidFromAsl, regenerateReadme } from "../scripts/readme";

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
    const scripts = Object.keys((JSON.parse(readFileSync(README_PATH.replace(/README\.md$/, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    for (const command of ["npm run synth", "npm test", "npm run local"]) expect(readme).toContain(command);
    expect(scripts).toEqual(expect.arrayContaining(["synth", "test", "local", "readme"]));
  });
});
