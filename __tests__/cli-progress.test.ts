import { Progress } from "../scripts/cli/progress";

/** A stream that keeps what was written, and a clock the test moves. */
function fixture(isTTY: boolean) {
  const written: string[] = [];
  let now = 0;
  const options = { stream: { write: (text: string) => written.push(text), isTTY }, plainIntervalMs: 3000, now: () => now };
  return { written, options, advance: (ms: number) => (now += ms) };
}

describe("scripts/cli/progress.ts", () => {
  test("off a terminal: a plain line at the start, then at most one per interval, and the end; no control characters", () => {
    const { written, options, advance } = fixture(false);
    const progress = new Progress("published", 10, options);
    progress.tick();
    advance(1000);
    progress.tick();
    advance(2500);
    progress.tick();
    progress.end("done");
    expect(written).toEqual(["published: 0/10 (0%), 0 s\n", "published: 3/10 (30%), 4 s\n", "published: 3/10 (30%), 4 s: done\n"]);
    expect(written.join("")).not.toContain("\r");
    expect(written.join("")).not.toContain("\u001b");
  });

  test("on a terminal: one line redrawn in place, at most five times a second, then ended with a newline", () => {
    const { written, options, advance } = fixture(true);
    const progress = new Progress("checked", undefined, options);
    progress.tick();
    advance(100);
    progress.tick();
    advance(150);
    progress.tick();
    progress.end();
    expect(written).toEqual(["\r\x1b[2Kchecked: 0, 0 s", "\r\x1b[2Kchecked: 3, 0 s", "\r\x1b[2Kchecked: 3, 0 s\n"]);
  });

  test("a result line on stdout never shares a line with the progress: cleared before, drawn again after", () => {
    const { written, options } = fixture(true);
    const out: string[] = [];
    const progress = new Progress("redrive", undefined, options);
    progress.log("dlq message 1: recorded", { write: (text: string) => out.push(text) });
    expect(out).toEqual(["dlq message 1: recorded\n"]);
    expect(written).toEqual(["\r\x1b[2Kredrive: 0, 0 s", "\r\x1b[2K", "\r\x1b[2Kredrive: 1, 0 s"]);
  });

  test("a step that counts nothing shows its elapsed time alone", () => {
    const { written, options, advance } = fixture(false);
    const progress = new Progress("npm test, elapsed", undefined, { ...options, counts: false });
    advance(3000);
    progress.end("done");
    expect(written).toEqual(["npm test, elapsed: 0 s\n", "npm test, elapsed: 3 s: done\n"]);
  });
});
