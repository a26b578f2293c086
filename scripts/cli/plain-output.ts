/**
 * The cdktf CLI draws a spinner (ink) even when its output is not a terminal: a CI log or a pipe then gets every
 * frame, with cursor movements and colors. This turns that stream into plain lines: each spinner status once
 * (`cdktf: Synthesizing`), cursor and color sequences removed, empty lines dropped. Terraform's own
 * lines pass through as they are, without their colors.
 */
// CSI sequences (cursor movement, erase, colors): ESC [ parameters final-byte.
// eslint-disable-next-line no-control-regex -- the escape character is what is matched
const CSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
/** A spinner frame: one of the Braille pattern characters cli-spinners draws, then the status. */
const SPINNER_FRAME = /^[\u2800-\u28ff]\s+(.+)$/;

export class PlainOutput {
  private pending = "";
  private lastStatus?: string;

  /** The plain lines a chunk completes; a partial last line waits for the next chunk. */
  push(chunk: string): string {
    const lines = (this.pending + chunk).split("\n");
    this.pending = lines.pop() ?? "";
    return lines.map((line) => this.line(line)).join("");
  }

  /** Whatever was left without a final newline. */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return rest ? this.line(rest) : "";
  }

  private line(raw: string): string {
    const plain = raw.replace(CSI, "").replace(/\r/g, "").trimEnd();
    const frame = SPINNER_FRAME.exec(plain);
    if (frame) {
      if (frame[1] === this.lastStatus) return "";
      this.lastStatus = frame[1];
      return `cdktf: ${frame[1]}\n`;
    }
    // What only erased a frame, and the blank lines the CLI puts around each frame (its stack output carries
    // the stack's name on every line, so no line of Terraform's is empty).
    if (plain === "") return "";
    return `${plain}\n`;
  }
}
