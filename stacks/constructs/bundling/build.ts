import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildSync, version as esbuildVersion } from "esbuild";
import { LambdaArchive } from "./archive";
import { createZip } from "./zip";

export type { LambdaArchive } from "./archive";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..", "..");
export const RECORDER_ENTRY = "lambdas/recorder/index.ts";

export interface BuildOptions {
  /** Folder for archive.zip; created if missing. @default "<project>/.build/<name of the entry's folder>" */
  readonly outDir?: string;
  /**
   * Reuse an archive in outDir that was built from the same inputs (the sources under lambdas/, the lock file
   * and the esbuild version), so a synth that changed nothing in the handler does not bundle again.
   * @default false
   */
  readonly reuseUnchanged?: boolean;
}

/** The recorder's archive (lambdas/recorder/index.ts). */
export function buildRecorderArchive(options: BuildOptions = {}): LambdaArchive {
  return buildNodejsArchive(RECORDER_ENTRY, options);
}

/**
 * Bundles a handler (`entry`, relative to the project, exporting `handler`) with esbuild (node22, minified, with
 * its source map) and packs it into a reproducible zip. The AWS SDK is bundled too, so the function runs the
 * SDK version this lock file tested.
 */
export function buildNodejsArchive(entry: string, options: BuildOptions = {}): LambdaArchive {
  const name = path.basename(path.dirname(entry));
  const outDir = options.outDir ?? path.join(PROJECT_ROOT, ".build", name);
  // Where the build would write, relative to the project; fixed so that source-map paths never depend on outDir.
  const virtualOutfile = `.build/${name}/index.js`;
  const zipPath = path.join(outDir, "archive.zip");
  const inputsPath = path.join(outDir, "inputs.sha256");
  const inputs = options.reuseUnchanged ? hashBuildInputs(entry) : undefined;
  if (inputs && existsSync(zipPath) && existsSync(inputsPath) && readFileSync(inputsPath, "utf8") === inputs) {
    return archiveAt(zipPath);
  }
  const result = buildSync({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    outfile: virtualOutfile,
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
    name: path
      .relative(path.join(PROJECT_ROOT, path.dirname(virtualOutfile)), file.path)
      .split(path.sep)
      .join("/"),
    data: Buffer.from(file.contents),
  }));
  mkdirSync(outDir, { recursive: true });
  const zip = createZip(entries);
  writeAtomically(zipPath, zip);
  if (inputs) writeAtomically(inputsPath, inputs);
  return archiveAt(zipPath, zip);
}

/** Another synth or test may read the same archive while this one writes it: never expose a partial file. */
function writeAtomically(file: string, content: Buffer | string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

function archiveAt(zipPath: string, zip: Buffer = readFileSync(zipPath)): LambdaArchive {
  return {
    zipPath,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
    handler: "index.handler",
  };
}

/**
 * Everything the archive depends on: the entry, the TypeScript under lambdas/, this bundling code (the zip's
 * bytes come from it), the lock file (fflate's version among the rest), and the bundler.
 */
export function hashBuildInputs(entry: string = RECORDER_ENTRY): string {
  const hash = createHash("sha256").update(`esbuild ${esbuildVersion}\nentry ${entry}\n`);
  const files = [...listFiles(path.join(PROJECT_ROOT, "lambdas")), ...listFiles(__dirname)].filter((f) => f.endsWith(".ts")).sort();
  for (const file of [...files, path.join(PROJECT_ROOT, "package-lock.json")]) {
    hash.update(`${path.relative(PROJECT_ROOT, file)}\n`).update(readFileSync(file));
  }
  return hash.digest("hex");
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}
