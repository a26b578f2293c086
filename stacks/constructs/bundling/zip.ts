import { zipSync } from "fflate";

/**
 * A reproducible zip, written by fflate (a maintained zip library) with everything that could vary pinned: names
 * sorted, one fixed timestamp, fixed Unix permissions, maximum compression. Two builds of the same files are
 * byte-identical wherever and whenever they run, so Lambda's source_code_hash only changes with the code.
 */
export interface ZipEntry {
  /** Path inside the archive, with '/' separators. */
  readonly name: string;
  readonly data: Buffer;
}

/**
 * 1980-01-01 00:00, the earliest a zip can hold. fflate writes the DOS time from the Date's local fields, so the
 * Date is built from local fields too: the same bytes in every time zone.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** -rw-r--r--, regular file, in the upper half of the external attributes (the Unix convention). */
const UNIX_FILE_ATTRS = (0o100644 << 16) >>> 0;
const OS_UNIX = 3;

export function createZip(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: Record<string, [Uint8Array, { level: 9; mtime: Date; os: number; attrs: number }]> = {};
  for (const entry of sorted) {
    if (entry.name in files) throw new Error(`zip: duplicate entry ${entry.name}`);
    files[entry.name] = [new Uint8Array(entry.data), { level: 9, mtime: FIXED_MTIME, os: OS_UNIX, attrs: UNIX_FILE_ATTRS }];
  }
  return Buffer.from(zipSync(files));
}
