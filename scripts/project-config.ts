import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AppConfig, ConfigError, loadConfig } from "../stacks/config";

export const CDKTF_JSON = path.join(__dirname, "..", "cdktf.json");

/** Deprecation warnings already shown by this process: a script that reads the configuration twice says each once. */
const warned = new Set<string>();

/** A deprecation line on stderr, once per process. */
export function warnOnce(line: string): void {
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`warning: ${line}\n`);
}

/** cdktf.json as a path the user can find: relative to where they are, when that is shorter. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
}

/** cdktf.json, parsed; a missing or malformed file is a ConfigError that names it. */
export function readCdktfJson(file: string = CDKTF_JSON): { app?: unknown; context?: { recorder?: unknown } } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`${shownPath(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${shownPath(file)}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`${shownPath(file)}: expected a JSON object`);
  return parsed;
}

/** The configuration `cdktf synth` would use: cdktf.json's `recorder` context and the RECORDER_* variables. */
export function loadProjectConfig(env: NodeJS.ProcessEnv = process.env, file: string = CDKTF_JSON): AppConfig {
  const context = readCdktfJson(file).context?.recorder;
  try {
    return loadConfig({ context, env, warn: (line) => warnOnce(`${shownPath(file)}: ${line}`) });
  } catch (error) {
    // Name the file for settings that come from it (context.recorder.*); RECORDER_* errors name the variable.
    if (error instanceof ConfigError && error.message.startsWith("context.")) throw new ConfigError(`${shownPath(file)}: ${error.message}`);
    throw error;
  }
}
