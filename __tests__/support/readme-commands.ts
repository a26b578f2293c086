import { readFileSync } from "node:fs";
import { README_PATH } from "../../scripts/readme";

/** One command line of a README shell block, without its comment. */
export interface ReadmeCommand {
  readonly section: string;
  readonly command: string;
}

/** The shell commands of README's ```sh blocks, with the `## ` section they are in; `from` limits them to one section. */
export function readmeCommands(section?: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let current = "";
  let inShell = false;
  for (const line of readFileSync(README_PATH, "utf8").split("\n")) {
    const trimmed = line.trim();
    if (!inShell && line.startsWith("## ")) current = line.slice(3).trim();
    if (trimmed.startsWith("```")) {
      inShell = !inShell && trimmed === "```sh";
      continue;
    }
    if (!inShell) continue;
    const command = trimmed.replace(/\s+#\s.*$/, "").trim();
    if (command && !command.startsWith("#") && (!section || current === section)) commands.push({ section: current, command });
  }
  return commands;
}
