import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { LambdaArchive } from "../stacks/constructs/recorder-function";
import { createZip } from "./zip";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
const RECORDER_ENTRY = "lambdas/recorder/index.ts";
/** Where the build would write, relative to the project; fixed so that source-map paths never depend on outDir. */
const VIRTUAL_OUTFILE = ".build/recorder/index.js";

export interface BuildOptions {
  /** Folder for archive.zip; created if missing. @default "<project>/.build/recorder" */
  readonly outDir?: string;
}

/**
 * Bundles the recorder handler with esbuild (node22, minified, with its source map) and packs it into a
 * reproducible zip. The AWS SDK is bundled too, so the function runs the SDK version this lock file tested.
 */
export function buildRecorderArchive(options: BuildOptions = {}): LambdaArchive {
  const outDir = options.outDir ?? path.join(PROJECT_ROOT, ".build", "recorder");
  const result = buildSync({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [RECORDER_ENTRY],
    outfile: VIRTUAL_OUTFILE,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    // Source-map paths stay relative to the project even where node_modules is a link.
    preserveSymlinks: true,
    write: false,
    logLevel: "silent",
  });
  const entries = result.outputFiles.map((file) => ({
    name: path.relative(path.join(PROJECT_ROOT, path.dirname(VIRTUAL_OUTFILE)), file.path).split(path.sep).join("/"),
    data: Buffer.from(file.contents),
  }));
  const zip = createZip(entries);
  mkdirSync(outDir, { recursive: true });
  const zipPath = path.join(outDir, "archive.zip");
  writeFileSync(zipPath, zip);
  return {
    zipPath,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
    handler: "index.handler",
  };
}

if (require.main === module) {
  const archive = buildRecorderArchive({ outDir: process.argv[2] ? path.resolve(process.argv[2]) : undefined });
  process.stdout.write(`${path.relative(process.cwd(), archive.zipPath)} ${archive.sourceCodeHash}\n`);
}
