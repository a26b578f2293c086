import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { loadProjectConfig } from "../scripts/project-config";
import { temporaryDirectory } from "../scripts/temp-dir";

/** A cdktf.json with this text in a temporary folder. */
function cdktfJson(text: string): string {
  const file = path.join(temporaryDirectory("project-config"), "cdktf.json");
  writeFileSync(file, text);
  return file;
}

describe("project configuration (cdktf.json + RECORDER_*)", () => {
  test("throws when cdktf.json is not valid JSON, naming the file", () => {
    const file = cdktfJson('{"context": {');
    expect(() => loadProjectConfig({}, file)).toThrow(new RegExp(`^${file}: not valid JSON \\(`));
  });

  test("throws when cdktf.json is missing, naming the file", () => {
    const file = path.join(temporaryDirectory("project-config"), "cdktf.json");
    expect(() => loadProjectConfig({}, file)).toThrow(`${file}: cannot be read (ENOENT)`);
  });

  test("a bad setting in cdktf.json is reported with the file's name; a bad variable with the variable's", () => {
    const file = cdktfJson(JSON.stringify({ context: { recorder: { defaults: { retryAttempts: 500 } } } }));
    expect(() => loadProjectConfig({}, file)).toThrow(
      `${file}: context.recorder.defaults.retryAttempts: 500 is not allowed; expected an integer from 0 to 185`,
    );
    expect(() => loadProjectConfig({ RECORDER_RETRY_ATTEMPTS: "500" }, cdktfJson("{}"))).toThrow(
      /^RECORDER_RETRY_ATTEMPTS: "500" is not allowed/,
    );
  });
});
