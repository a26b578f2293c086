import * as path from "node:path";
import { buildRecorderArchive } from "../stacks/constructs/bundling/build";
import { defineCli, runCli } from "./cli/args";

/** npm run build:lambda -- [<output folder>]: the recorder's reproducible archive, as synth builds it. */
const CLI = defineCli({
  command: "npm run build:lambda --",
  summary:
    "Builds the recorder's archive as synth does: lambdas/recorder bundled by esbuild into one file, zipped with fixed timestamps " +
    "so the same sources give the same bytes. Prints the archive's path and its source_code_hash.",
  positionals: [
    {
      name: "output folder",
      description: "where to write archive.zip (default: .build/recorder, which synth reuses while the sources are unchanged)",
      tooMany: "one output folder",
    },
  ],
  options: {},
  examples: ["npm run build:lambda", "npm run build:lambda -- /tmp/recorder"],
});

runCli(CLI, () => {
  const [outDir] = CLI.parse(process.argv.slice(2)).positionals;
  const archive = buildRecorderArchive({ outDir: outDir ? path.resolve(outDir) : undefined });
  process.stdout.write(`${path.relative(process.cwd(), archive.zipPath)} ${archive.sourceCodeHash}\n`);
  return Promise.resolve();
});
