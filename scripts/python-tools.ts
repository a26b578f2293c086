import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The Python tools the test tiers run (checkov, moto), installed by the project itself: one virtual environment per
 * content of requirements/tools.txt (every package pinned with its hashes, `pip install --require-hashes`), under
 * `.venv-tools/<first 16 hex digits of the file's sha256>/`, created on first use and reused while the file is
 * unchanged. Two test processes asking at once do not both install: the first takes a lock folder (created
 * atomically, with its process id inside), the other waits for it; a lock whose process is gone is taken over.
 */

const ROOT = path.resolve(__dirname, "..");
export const REQUIREMENTS_FILE = path.join(ROOT, "requirements", "tools.txt");
/** Where the environments live; git-ignored. */
export const TOOLS_DIR = process.env.RECORDER_PYTHON_TOOLS_DIR || path.join(ROOT, ".venv-tools");
/** Written last by a finished install: an environment without it is incomplete and is installed again. */
const DONE_MARKER = ".installed";
const INSTALL_TIMEOUT_MS = 15 * 60_000;

export type PythonTools =
  | {
      readonly available: true;
      readonly venv: string;
      readonly bin: (name: string) => string;
      readonly installedNow: boolean;
      readonly installSeconds: number;
    }
  | { readonly available: false; readonly reason: string; readonly offline: boolean };

/** The environment for the current requirements file. */
export function toolsVenv(): string {
  const digest = createHash("sha256").update(readFileSync(REQUIREMENTS_FILE)).digest("hex");
  return path.join(TOOLS_DIR, digest.slice(0, 16));
}

function python3(): string | undefined {
  for (const candidate of [process.env.RECORDER_PYTHON, "python3"].filter((c): c is string => !!c)) {
    const result = spawnSync(candidate, ["-c", "import sys, venv; print(sys.version_info[0])"], { encoding: "utf8" });
    if (result.status === 0 && result.stdout.trim() === "3") return candidate;
  }
  return undefined;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the install lock of `venv`, waiting while another live process holds it. */
function lock(venv: string): () => void {
  const lockDir = `${venv}.lock`;
  const owner = path.join(lockDir, "pid");
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (existsSync(path.join(venv, DONE_MARKER))) return () => undefined;
    let pid = NaN;
    try {
      pid = Number(readFileSync(owner, "utf8"));
    } catch {
      // The holder has created the folder but not written its id yet.
    }
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`waited ${INSTALL_TIMEOUT_MS / 60_000} min for the install of ${venv} held by process ${pid}`);
    sleep(500);
  }
}

/** pip's words when the package index cannot be reached (DNS, connection, proxy), as opposed to a broken lock file. */
const OFFLINE =
  /NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|Max retries exceeded|ProxyError|ConnectTimeoutError|ReadTimeoutError|No matching distribution found for/;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024, timeout: INSTALL_TIMEOUT_MS });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

/**
 * The installed tools, installing them first when needed (synchronously: a test file decides at load time whether
 * its tier runs). pip runs with no configuration file of the machine's (PIP_CONFIG_FILE=/dev/null) and only
 * binary wheels, from its default index, so what is installed is exactly what the hashes allow.
 */
export function pythonTools(): PythonTools {
  const venv = toolsVenv();
  const bin = (name: string) => path.join(venv, "bin", name);
  if (existsSync(path.join(venv, DONE_MARKER))) return { available: true, venv, bin, installedNow: false, installSeconds: 0 };
  const python = python3();
  if (!python) return { available: false, offline: false, reason: "no python3 (with venv) on PATH" };
  mkdirSync(TOOLS_DIR, { recursive: true });
  const release = lock(venv);
  const started = Date.now();
  try {
    if (existsSync(path.join(venv, DONE_MARKER))) return { available: true, venv, bin, installedNow: false, installSeconds: 0 };
    rmSync(venv, { recursive: true, force: true });
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_CONFIG_FILE: "/dev/null", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    delete env.PYTHONDONTWRITEBYTECODE;
    for (const key of Object.keys(env))
      if (key.startsWith("PIP_") && !["PIP_CONFIG_FILE", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_CERT", "PIP_DEFAULT_TIMEOUT"].includes(key))
        delete env[key];
    const created = run(python, ["-m", "venv", venv], env);
    if (!created.ok) throw new Error(`python3 -m venv ${venv} failed:\n${created.output}`);
    const installed = run(
      bin("python"),
      ["-m", "pip", "install", "--quiet", "--no-deps", "--require-hashes", "--only-binary=:all:", "--no-input", "-r", REQUIREMENTS_FILE],
      env,
    );
    if (!installed.ok) {
      rmSync(venv, { recursive: true, force: true });
      if (OFFLINE.test(installed.output)) {
        const line =
          installed.output
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => OFFLINE.test(l))
            .pop() ?? "";
        return {
          available: false,
          offline: true,
          reason: `the Python package index could not be reached to install requirements/tools.txt (pip: ${line.slice(0, 200)})`,
        };
      }
      throw new Error(`pip install -r requirements/tools.txt failed:\n${installed.output}`);
    }
    writeFileSync(path.join(venv, DONE_MARKER), `${new Date().toISOString()}\n`);
    return { available: true, venv, bin, installedNow: true, installSeconds: (Date.now() - started) / 1000 };
  } finally {
    release();
  }
}

/**
 * Whether a tier that needs the Python tools runs. Without Python 3 or the package index it is skipped with one
 * line saying why, except under CI=true, where that fails the run (as the Terraform tier does without terraform).
 */
export function pythonToolsTierEnabled(tier: string): (PythonTools & { available: true }) | undefined {
  const tools = pythonTools();
  if (tools.available) return tools;
  if (process.env.CI) throw new Error(`CI is set but the ${tier} cannot run: ${tools.reason}`);
  console.warn(`${tier} SKIPPED: ${tools.reason}.`);
  return undefined;
}
