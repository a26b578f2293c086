import { spawn } from "node:child_process";
import { cpus, platform, arch, totalmem } from "node:os";
import { Progress } from "../cli/progress";

/** Small statistics for the benchmarks: they print measured figures and ratios, they assert nothing. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function mean(samples: readonly number[]): number {
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function machineLine(): string {
  return `machine: ${cpus()[0]?.model ?? "unknown CPU"} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${platform()} ${arch()}`;
}

/** A plain progress line on stderr: what a benchmark starts measuring now. */
export function step(bench: string, what: string): void {
  process.stderr.write(`${bench}: ${what}\n`);
}

/**
 * Runs a long command (minutes, such as npm test) without blocking, showing its elapsed time as progress on stderr;
 * resolves with its exit status, its output and the wall time.
 */
export function runLong(
  label: string,
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): Promise<{ status: number; stdout: string; stderr: string; wallMs: number }> {
  const progress = new Progress(label, undefined, { counts: false });
  const started = nowMs();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = nowMs() - started;
      progress.end(code === 0 ? "done" : `exit ${code ?? "signal"}`);
      resolve({ status: code ?? 1, stdout, stderr, wallMs });
    });
  });
}
