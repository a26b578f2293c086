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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require("node:os") as typeof import("node:os");
  return `machine: ${os.cpus()[0]?.model ?? "unknown CPU"} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${os.platform()} ${os.arch()}`;
}
