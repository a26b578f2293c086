import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AppConfig, loadConfig } from "../stacks/config";

const CDKTF_JSON = path.join(__dirname, "..", "cdktf.json");

/** The configuration `cdktf synth` would use: cdktf.json's `recorder` context and the RECORDER_* variables. */
export function loadProjectConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const context = (JSON.parse(readFileSync(CDKTF_JSON, "utf8")) as { context?: { recorder?: unknown } }).context?.recorder;
  return loadConfig({ context, env });
}
