import { readFileSync } from "node:fs";
import * as path from "node:path";
import { documentationPages, ROOT } from "../../scripts/readme";

/** One command line of a page's shell block, without its comment. */
export interface ReadmeCommand {
  readonly page: string;
  readonly section: string;
  readonly command: string;
}

/**
 * The shell commands of the ```sh blocks of README.md (or of `pages`), with the `## ` section they are in;
 * `section` limits them to one section.
 */
export function readmeCommands(section?: string, pages: readonly string[] = ["README.md"]): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  for (const page of pages) {
    let current = "";
    let inShell = false;
    for (const line of readFileSync(path.join(ROOT, page), "utf8").split("\n")) {
      const trimmed = line.trim();
      if (!inShell && /^#{1,2} /.test(line)) current = line.replace(/^#+ /, "").trim();
      if (trimmed.startsWith("```")) {
        inShell = !inShell && trimmed === "```sh";
        continue;
      }
      if (!inShell) continue;
      const command = trimmed.replace(/\s+#\s.*$/, "").trim();
      if (command && !command.startsWith("#") && (!section || current === section)) commands.push({ page, section: current, command });
    }
  }
  return commands;
}

/** The commands of every documentation page: README, CHANGELOG, CONTRIBUTING and docs/. */
export function documentedCommands(): ReadmeCommand[] {
  return readmeCommands(undefined, documentationPages());
}
