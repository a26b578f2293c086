import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import AdmZip from "adm-zip";
import { writeFileSync } from "node:fs";
import { LambdaArchive } from "../stacks/constructs/bundling/archive";
import { buildRecorderArchive, hashBuildInputs } from "../stacks/constructs/bundling/build";
import { createZip } from "../stacks/constructs/bundling/zip";
import { temporaryDirectory } from "../scripts/temp-dir";

const freshDir = () => temporaryDirectory("archive-build");

describe("recorder archive", () => {
  // One fresh build serves the read-only assertions; the determinism and reuse tests build their own second one.
  let first: LambdaArchive;
  beforeAll(() => {
    first = buildRecorderArchive({ outDir: freshDir() });
  });

  // Time cannot leak in: the zip test below pins every entry's timestamp to 1980 (a sleep between two builds could
  // not show it anyway, as zip times have a 2-second resolution).
  test("two builds in two folders are byte-identical", () => {
    const second = buildRecorderArchive({ outDir: freshDir() });
    expect(first.zipPath).not.toBe(second.zipPath);
    expect(readFileSync(first.zipPath).equals(readFileSync(second.zipPath))).toBe(true);
    expect(first.sourceCodeHash).toBe(second.sourceCodeHash);
  });

  test("source_code_hash is base64 sha256 of the zip's bytes", () => {
    expect(first.sourceCodeHash).toBe(createHash("sha256").update(readFileSync(first.zipPath)).digest("base64"));
  });

  test("the zip holds the minified bundle and its source map, with fixed timestamps, and the handler names a file in it", () => {
    const archive = first;
    const entries = new AdmZip(archive.zipPath).getEntries();
    expect(entries.map((e) => e.entryName)).toEqual(["index.js", "index.js.map"]);
    for (const entry of entries) expect(entry.header.time.getFullYear()).toBe(1980);
    expect(archive.handler).toBe("index.handler");
    const code = entries[0].getData().toString("utf8");
    // Lambda maps stack traces back to the TypeScript only when the bundle links its map (NODE_OPTIONS=--enable-source-maps).
    expect(code.trimEnd().endsWith("//# sourceMappingURL=index.js.map")).toBe(true);
    // The minified bundle, SDK included, stays well under a megabyte (cold starts grow with it).
    expect(Buffer.byteLength(code)).toBeLessThan(1024 * 1024);
  });

  test("the zip writer's output is read back intact by an independent zip reader", () => {
    const files = [
      { name: "b.txt", data: Buffer.from("second") },
      { name: "a/nested.json", data: Buffer.from(JSON.stringify({ big: "x".repeat(10000) })) },
    ];
    const zip = new AdmZip(createZip(files));
    expect(zip.getEntries().map((e) => e.entryName)).toEqual(["a/nested.json", "b.txt"]);
    for (const file of files) expect(zip.readFile(file.name)!.equals(file.data)).toBe(true);
  });

  test("with reuseUnchanged, an archive built from the same inputs is reused and a stale one is rebuilt", () => {
    const outDir = freshDir();
    const fresh = readFileSync(first.zipPath);
    writeFileSync(path.join(outDir, "archive.zip"), "stale");
    writeFileSync(path.join(outDir, "inputs.sha256"), "inputs of another build");
    const rebuilt = buildRecorderArchive({ outDir, reuseUnchanged: true });
    expect(readFileSync(rebuilt.zipPath).equals(fresh)).toBe(true);
    expect(readFileSync(path.join(outDir, "inputs.sha256"), "utf8")).toBe(hashBuildInputs());
    // Same inputs: the file on disk is taken as it is (proved here with a marker the build would never write).
    writeFileSync(path.join(outDir, "archive.zip"), "marker");
    expect(readFileSync(buildRecorderArchive({ outDir, reuseUnchanged: true }).zipPath, "utf8")).toBe("marker");
  });

  test("the zip holds fixed timestamps and permissions, whatever the machine's time zone", () => {
    const zip = new AdmZip(createZip([{ name: "a.txt", data: Buffer.from("a") }]));
    const [entry] = zip.getEntries();
    expect(entry.header.time.getFullYear()).toBe(1980);
    expect(entry.attr >>> 16).toBe(0o100644);
  });

  test("rejects two entries with the same name", () => {
    expect(() =>
      createZip([
        { name: "a", data: Buffer.from("1") },
        { name: "a", data: Buffer.from("2") },
      ]),
    ).toThrow("zip: duplicate entry a");
  });
});
