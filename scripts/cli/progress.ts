/**
 * Progress of long work, on stderr so that stdout keeps only results. On a terminal one line is redrawn in place
 * (a counter, with the share when the total is known) at most five times a second; elsewhere (CI, a pipe, a log
 * file) a plain line is written when a step starts and then every few seconds, never a control character.
 *
 * Hand-written rather than a progress-bar package: those draw only on terminals, and the plain periodic lines
 * a CI log needs are the part that matters here; this is one small class with no dependency.
 */
export interface ProgressOptions {
  /** Where to write. @default process.stderr */
  readonly stream?: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Between two plain lines when not on a terminal. @default 3000 */
  readonly plainIntervalMs?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
  /** Whether the work counts items; one long step that does not shows only its elapsed time. @default true */
  readonly counts?: boolean;
}

export class Progress {
  private readonly stream: NonNullable<ProgressOptions["stream"]>;
  private readonly terminal: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private readonly counts: boolean;
  private readonly started: number;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private done = 0;
  private drawn = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly label: string,
    private readonly total?: number,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.terminal = this.stream.isTTY === true;
    this.plainIntervalMs = options.plainIntervalMs ?? 3000;
    this.now = options.now ?? Date.now;
    this.counts = options.counts ?? true;
    this.started = this.now();
    this.write(true);
    // Work that counts nothing for a while (a wait, one long call) still shows it is alive.
    if (options.now === undefined) {
      this.timer = setInterval(() => this.write(false), this.terminal ? 1000 : this.plainIntervalMs);
      this.timer.unref();
    }
  }

  /** `n` more items done. */
  tick(n = 1): void {
    this.done += n;
    this.write(false);
  }

  /** The count so far, when the work counts for itself. */
  update(done: number): void {
    this.done = done;
    this.write(false);
  }

  /**
   * A result line on stdout, counted as one more item: on a terminal the progress line is cleared first and drawn
   * again below it, so the two never share a line.
   */
  log(line: string, out: { write(text: string): unknown } = process.stdout): void {
    if (this.terminal && this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
    out.write(`${line}\n`);
    this.done++;
    this.lastWrite = Number.NEGATIVE_INFINITY;
    if (this.terminal) this.write(false);
  }

  /** Ends the step: the last state on its own line. */
  end(summary?: string): void {
    if (this.timer) clearInterval(this.timer);
    const line = `${this.text()}${summary ? `: ${summary}` : ""}`;
    this.stream.write(this.terminal ? `\r\x1b[2K${line}\n` : `${line}\n`);
    this.drawn = false;
  }

  private text(): string {
    const seconds = ((this.now() - this.started) / 1000).toFixed(0);
    if (!this.counts) return `${this.label}: ${seconds} s`;
    const count =
      this.total === undefined
        ? `${this.done}`
        : `${this.done}/${this.total} (${Math.floor((this.done / Math.max(this.total, 1)) * 100)}%)`;
    return `${this.label}: ${count}, ${seconds} s`;
  }

  private write(first: boolean): void {
    const now = this.now();
    if (this.terminal) {
      if (!first && now - this.lastWrite < 200) return;
      this.stream.write(`\r\x1b[2K${this.text()}`);
      this.drawn = true;
    } else {
      if (!first && now - this.lastWrite < this.plainIntervalMs) return;
      this.stream.write(`${this.text()}\n`);
    }
    this.lastWrite = now;
  }
}
