import { PlainOutput } from "../scripts/cli/plain-output";

/** What the cdktf CLI wrote to a pipe during `npm run diff` (captured on this machine), frame by frame. */
const ERASE = "\u001b[2K\u001b[1A\u001b[2K\u001b[1A\u001b[2K\u001b[G";
const frame = (spinner: string, status: string) => `\n${spinner}  ${status}\n${ERASE}`;
const captured = [
  frame("⠋", "Starting"),
  frame("⠋", "Synthesizing"),
  frame("⠙", "Synthesizing"),
  frame("⠹", "Synthesizing"),
  frame("⠸", "Processing"),
  "message-recorder-dev  \u001b[0m\u001b[1mInitializing the backend...\u001b[0m\n",
  frame("⠴", "Processing"),
  "message-recorder-dev  \u001b[31m╷\u001b[0m\u001b[0m\n",
  "Error: terraform init failed with exit code 1\n",
].join("");

describe("scripts/cli/plain-output.ts", () => {
  test("a spinner drawn into a pipe becomes one line per status, no escape sequences, Terraform's lines kept", () => {
    const plain = new PlainOutput();
    // Chunks split anywhere, as a pipe delivers them.
    const out =
      [captured.slice(0, 37), captured.slice(37, 200), captured.slice(200)].map((chunk) => plain.push(chunk)).join("") + plain.flush();
    expect(out.split("\n")).toEqual([
      "cdktf: Starting",
      "cdktf: Synthesizing",
      "cdktf: Processing",
      "message-recorder-dev  Initializing the backend...",
      "message-recorder-dev  ╷",
      "Error: terraform init failed with exit code 1",
      "",
    ]);
    expect(out).not.toContain("\u001b");
  });
});
