import { deflateRawSync } from "node:zlib";

/**
 * A minimal zip writer whose output depends only on the entries given: names sorted, a fixed timestamp
 * (1980-01-01 00:00, the earliest a zip can hold), fixed permissions, no extra fields. Two builds of the same
 * files are byte-identical wherever and whenever they run, so Lambda's source_code_hash only changes with the code.
 */
export interface ZipEntry {
  /** Path inside the archive, with '/' separators. */
  readonly name: string;
  readonly data: Buffer;
}

const DOS_TIME_1980 = 0;
const DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1;
/** -rw-r--r--, regular file, in the upper half of the external attributes (the Unix convention). */
const UNIX_FILE_MODE = (0o100644 << 16) >>> 0;
const VERSION_UNIX_20 = (3 << 8) | 20;

export function createZip(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;

  for (const entry of sorted) {
    if (names.has(entry.name)) throw new Error(`zip: duplicate entry ${entry.name}`);
    names.add(entry.name);
    const name = Buffer.from(entry.name, "utf8");
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);

    const fields = { crc, compressedSize: compressed.length, size: entry.data.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, fields);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_UNIX_20, 4); // version made by
    writeEntryFields(central, 6, fields);
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(UNIX_FILE_MODE, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }

  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, centralDirectory, end]);
}

/**
 * The fields the local header (from byte 4) and the central directory header (from byte 6) share, in the same
 * order: version needed, flags (UTF-8 names), method (deflate), time, date, CRC, sizes, name and extra lengths.
 */
function writeEntryFields(header: Buffer, at: number, entry: { crc: number; compressedSize: number; size: number; nameLength: number }): void {
  header.writeUInt16LE(20, at); // version needed
  header.writeUInt16LE(0x0800, at + 2); // UTF-8 names
  header.writeUInt16LE(8, at + 4); // deflate
  header.writeUInt16LE(DOS_TIME_1980, at + 6);
  header.writeUInt16LE(DOS_DATE_1980, at + 8);
  header.writeUInt32LE(entry.crc, at + 10);
  header.writeUInt32LE(entry.compressedSize, at + 14);
  header.writeUInt32LE(entry.size, at + 18);
  header.writeUInt16LE(entry.nameLength, at + 22);
  header.writeUInt16LE(0, at + 24); // extra
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
