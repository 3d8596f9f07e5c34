/**
 * The release zip: every file of a deployed site, kept so that `rollback-to` can put it back
 * without a build. Its bytes depend only on the files' paths and contents (entries in path
 * order, one fixed date and mode, no extra fields, no data descriptors, one compression level),
 * so an entry's bytes are the same in every release that holds that file: a new release reuses
 * the unchanged entries of the previous one (the storage copies them; see `ArchiveSegment`) and
 * only the changed files are compressed and sent.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rm } from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { crc32, deflateRaw } from 'node:zlib'
import yauzl from 'yauzl'
import { byPath, SiteContents, type SiteFile } from './site-files.js'

export interface ReleaseArchive {
  path: string
  bytes: number
  /** Hex SHA-256 of the zip: equal for equal files, whenever and wherever it was made. */
  sha256: string
}

export const ENTRY_MODE = 0o644
/**
 * Fast deflate: the zip is written while the site uploads, on the same cores, and a release
 * is mostly code that level 1 already shrinks to about a third.
 */
const COMPRESSION_LEVEL = 1
/**
 * What an entry's bytes depend on besides the file: this writer's layout and zlib's output at
 * the level. Entries of an archive of another format are never reused (its blob carries it).
 */
export const ARCHIVE_FORMAT = `apd-zip/1 zlib/${process.versions.zlib} level/${COMPRESSION_LEVEL}`

/** Formats that are compressed already: deflate would spend time to gain nothing. */
const STORED_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'heic', 'heif', 'jxl',
  'woff', 'woff2',
  'gz', 'tgz', 'br', 'zst', 'xz', 'bz2', 'zip', '7z', 'rar', 'jar', 'apk',
  'mp3', 'mp4', 'm4a', 'm4v', 'aac', 'ogg', 'oga', 'ogv', 'opus', 'flac', 'webm', 'mov', 'mkv'
])

const LOCAL_HEADER = 0x04034b50
const CENTRAL_HEADER = 0x02014b50
const END_OF_DIRECTORY = 0x06054b50
const ZIP64_END_OF_DIRECTORY = 0x06064b50
const ZIP64_LOCATOR = 0x07064b50
const UTF8_NAMES = 0x0800
/** 1980-01-01 00:00, the earliest DOS date, for every entry. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1
const DOS_TIME = 0
/** Made by Unix (3), spec 2.0: readers take the external attributes as a Unix mode. */
const MADE_BY = (3 << 8) | 20
const EXTERNAL_ATTRIBUTES = ((0o100000 | ENTRY_MODE) << 16) >>> 0
const LOCAL_HEADER_BYTES = 30
const CENTRAL_HEADER_BYTES = 46
const END_BYTES = 22
const ZIP64_END_BYTES = 56
const ZIP64_LOCATOR_BYTES = 20
const MAX_32 = 0xffffffff
const MAX_16 = 0xffff
/** Files compressed ahead of the one being written. */
const LOOK_AHEAD = 8
const MIN_DEFLATE_CHUNK = 16 * 1024
const MAX_DEFLATE_CHUNK = 16 * 1024 * 1024

const deflate = promisify(deflateRaw)

/** One entry of a zip, as its central directory describes it. */
export interface ArchiveEntry {
  name: string
  crc32: number
  size: number
  compressedSize: number
  method: 0 | 8
  /** Where its local header starts. */
  offset: number
  /** Its local header, name and data: the bytes a release that holds the same file reuses. */
  length: number
}

/**
 * A piece of a new release zip, in order: bytes to write, or a range of the previous release's
 * zip to copy as it is (the entries of files that did not change).
 */
export type ArchiveSegment = { bytes: Buffer } | { copy: { start: number; end: number } }

/** The previous release's zip, as far as a new one may reuse it. */
export interface PreviousArchive {
  entries: ReadonlyMap<string, ArchiveEntry>
  /** The MD5 of each file of that release (its deploy manifest), by path. */
  md5s: ReadonlyMap<string, string>
}

export interface ArchiveSummary {
  entries: number
  /** Entries copied from the previous release. */
  reused: number
  bytes: number
}

/** Where a file's bytes come from: the hashed copy, or the file. */
export type ContentReader = Pick<SiteContents, 'read'>

const methodFor = (name: string): 0 | 8 => (STORED_EXTENSIONS.has(name.slice(name.lastIndexOf('.') + 1).toLowerCase()) ? 0 : 8)

/** An entry's local header and name, then its data; and what its central directory record needs. */
async function writeEntry(file: SiteFile, content: Buffer): Promise<{ entry: Omit<ArchiveEntry, 'offset'>; bytes: [Buffer, Buffer] }> {
  if (content.length > MAX_32) throw new Error(`${file.path} is ${content.length} bytes: files of 4 GiB or more cannot be kept in a release zip`)
  let method = methodFor(file.path)
  // One output buffer the size of the input: one trip to zlib's thread, not one per 16 KiB.
  let data = method === 8 ? await deflate(content, { level: COMPRESSION_LEVEL, chunkSize: Math.min(MAX_DEFLATE_CHUNK, Math.max(MIN_DEFLATE_CHUNK, content.length + 64)) }) : content
  // Data that does not shrink is stored as it is: smaller, and nothing to inflate on a rollback.
  if (method === 8 && data.length >= content.length) {
    method = 0
    data = content
  }
  const name = Buffer.from(file.path, 'utf8')
  const header = Buffer.alloc(LOCAL_HEADER_BYTES + name.length)
  const checksum = crc32(content)
  header.writeUInt32LE(LOCAL_HEADER, 0)
  header.writeUInt16LE(20, 4)
  header.writeUInt16LE(UTF8_NAMES, 6)
  header.writeUInt16LE(method, 8)
  header.writeUInt16LE(DOS_TIME, 10)
  header.writeUInt16LE(DOS_DATE, 12)
  header.writeUInt32LE(checksum, 14)
  header.writeUInt32LE(data.length, 18)
  header.writeUInt32LE(content.length, 22)
  header.writeUInt16LE(name.length, 26)
  header.writeUInt16LE(0, 28)
  name.copy(header, LOCAL_HEADER_BYTES)
  return { entry: { name: file.path, crc32: checksum, size: content.length, compressedSize: data.length, method, length: header.length + data.length }, bytes: [header, data] }
}

/** The central directory and its end records for `entries` (in zip order), starting at `offset`. */
function centralDirectory(entries: readonly ArchiveEntry[], offset: number): Buffer {
  const records: Buffer[] = []
  let size = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8')
    const far = entry.offset >= MAX_32
    const record = Buffer.alloc(CENTRAL_HEADER_BYTES + name.length + (far ? 12 : 0))
    record.writeUInt32LE(CENTRAL_HEADER, 0)
    record.writeUInt16LE(far ? (3 << 8) | 45 : MADE_BY, 4)
    record.writeUInt16LE(far ? 45 : 20, 6)
    record.writeUInt16LE(UTF8_NAMES, 8)
    record.writeUInt16LE(entry.method, 10)
    record.writeUInt16LE(DOS_TIME, 12)
    record.writeUInt16LE(DOS_DATE, 14)
    record.writeUInt32LE(entry.crc32, 16)
    record.writeUInt32LE(entry.compressedSize, 20)
    record.writeUInt32LE(entry.size, 24)
    record.writeUInt16LE(name.length, 28)
    record.writeUInt16LE(far ? 12 : 0, 30)
    record.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38)
    record.writeUInt32LE(far ? MAX_32 : entry.offset, 42)
    name.copy(record, CENTRAL_HEADER_BYTES)
    if (far) {
      // Zip64 extended information: only the offset overflows (entries are under 4 GiB).
      record.writeUInt16LE(0x0001, CENTRAL_HEADER_BYTES + name.length)
      record.writeUInt16LE(8, CENTRAL_HEADER_BYTES + name.length + 2)
      record.writeBigUInt64LE(BigInt(entry.offset), CENTRAL_HEADER_BYTES + name.length + 4)
    }
    records.push(record)
    size += record.length
  }
  const zip64 = entries.length > MAX_16 || offset >= MAX_32 || size >= MAX_32
  if (zip64) {
    const record = Buffer.alloc(ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES)
    record.writeUInt32LE(ZIP64_END_OF_DIRECTORY, 0)
    record.writeBigUInt64LE(BigInt(ZIP64_END_BYTES - 12), 4)
    record.writeUInt16LE((3 << 8) | 45, 12)
    record.writeUInt16LE(45, 14)
    record.writeBigUInt64LE(BigInt(entries.length), 24)
    record.writeBigUInt64LE(BigInt(entries.length), 32)
    record.writeBigUInt64LE(BigInt(size), 40)
    record.writeBigUInt64LE(BigInt(offset), 48)
    record.writeUInt32LE(ZIP64_LOCATOR, ZIP64_END_BYTES)
    record.writeBigUInt64LE(BigInt(offset + size), ZIP64_END_BYTES + 8)
    record.writeUInt32LE(1, ZIP64_END_BYTES + 16)
    records.push(record)
  }
  const end = Buffer.alloc(END_BYTES)
  end.writeUInt32LE(END_OF_DIRECTORY, 0)
  end.writeUInt16LE(Math.min(entries.length, MAX_16), 8)
  end.writeUInt16LE(Math.min(entries.length, MAX_16), 10)
  end.writeUInt32LE(Math.min(size, MAX_32), 12)
  end.writeUInt32LE(Math.min(offset, MAX_32), 16)
  records.push(end)
  return Buffer.concat(records)
}

/**
 * The release zip of `files` as segments, in order. With `previous`, a file whose path, MD5,
 * size and CRC-32 match an entry of the previous release is not compressed again: that entry's
 * bytes are copied (runs of them in one segment). Files are read (from `contents`, else from
 * disk) and compressed a few ahead of the one being written, on zlib's threads; the consumer
 * sets the pace. Returns what was written.
 */
export async function* releaseArchiveSegments(files: readonly SiteFile[], contents: ContentReader, previous?: PreviousArchive): AsyncGenerator<ArchiveSegment, ArchiveSummary> {
  const sorted = [...files].sort(byPath)
  type Prepared = { reuse: ArchiveEntry } | { written: Awaited<ReturnType<typeof writeEntry>> }
  const prepare = async (file: SiteFile): Promise<Prepared> => {
    const content = await contents.read(file)
    const before = previous?.entries.get(file.path)
    if (before && previous?.md5s.get(file.path) === file.md5 && before.size === content.length && before.crc32 === crc32(content)) return { reuse: before }
    return { written: await writeEntry(file, content) }
  }
  const pending: Promise<Prepared>[] = []
  let next = 0
  const fill = () => {
    while (pending.length < LOOK_AHEAD && next < sorted.length) {
      const started = prepare(sorted[next++]!)
      // Handled when its turn comes; until then a failure must not count as unhandled.
      started.catch(() => undefined)
      pending.push(started)
    }
  }

  const entries: ArchiveEntry[] = []
  let offset = 0
  let reused = 0
  let copy: { start: number; end: number } | undefined
  try {
    for (fill(); pending.length > 0; fill()) {
      const prepared = await pending.shift()!
      if ('reuse' in prepared) {
        const { reuse } = prepared
        entries.push({ ...reuse, offset })
        reused++
        if (copy && copy.end === reuse.offset) copy.end += reuse.length
        else {
          if (copy) yield { copy }
          copy = { start: reuse.offset, end: reuse.offset + reuse.length }
        }
        offset += reuse.length
        continue
      }
      if (copy) {
        yield { copy }
        copy = undefined
      }
      entries.push({ ...prepared.written.entry, offset })
      offset += prepared.written.entry.length
      for (const bytes of prepared.written.bytes) if (bytes.length > 0) yield { bytes }
    }
    if (copy) yield { copy }
  } finally {
    // Stopped early (a failure downstream): nothing is left running unobserved.
    await Promise.allSettled(pending)
  }
  const directory = centralDirectory(entries, offset)
  yield { bytes: directory }
  return { entries: entries.length, reused, bytes: offset + directory.length }
}

/**
 * Pure: the entries of a zip this module wrote, from the end of it (`tail`: its last bytes,
 * the whole central directory among them; `size`: the whole zip's). Undefined when the tail
 * does not hold the whole directory, or it is not laid out as this module lays it out: entries
 * back to back from the start, with its flags, date and mode, without comments.
 */
export function readArchiveDirectory(tail: Buffer, size: number): { entries: ArchiveEntry[] } | { needBytes: number } | undefined {
  if (tail.length < END_BYTES || tail.readUInt32LE(tail.length - END_BYTES) !== END_OF_DIRECTORY) return undefined
  const end = tail.length - END_BYTES
  let count = tail.readUInt16LE(end + 10)
  let directorySize = tail.readUInt32LE(end + 12)
  let directoryOffset = tail.readUInt32LE(end + 16)
  let directoryEnd = size - END_BYTES
  if (end >= ZIP64_LOCATOR_BYTES && tail.readUInt32LE(end - ZIP64_LOCATOR_BYTES) === ZIP64_LOCATOR) {
    const record = end - ZIP64_LOCATOR_BYTES - ZIP64_END_BYTES
    if (record < 0 || tail.readUInt32LE(record) !== ZIP64_END_OF_DIRECTORY) return undefined
    count = Number(tail.readBigUInt64LE(record + 32))
    directorySize = Number(tail.readBigUInt64LE(record + 40))
    directoryOffset = Number(tail.readBigUInt64LE(record + 48))
    directoryEnd -= ZIP64_LOCATOR_BYTES + ZIP64_END_BYTES
  }
  if (directoryOffset + directorySize !== directoryEnd) return undefined
  const start = tail.length - (size - directoryOffset)
  if (start < 0) return { needBytes: size - directoryOffset }
  const entries: ArchiveEntry[] = []
  let at = start
  let expectedOffset = 0
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_BYTES > tail.length || tail.readUInt32LE(at) !== CENTRAL_HEADER) return undefined
    const method = tail.readUInt16LE(at + 10)
    const compressedSize = tail.readUInt32LE(at + 20)
    const nameLength = tail.readUInt16LE(at + 28)
    const extraLength = tail.readUInt16LE(at + 30)
    const commentLength = tail.readUInt16LE(at + 32)
    let offset = tail.readUInt32LE(at + 42)
    if (offset === MAX_32 && extraLength >= 12 && tail.readUInt16LE(at + CENTRAL_HEADER_BYTES + nameLength) === 0x0001) {
      offset = Number(tail.readBigUInt64LE(at + CENTRAL_HEADER_BYTES + nameLength + 4))
    }
    const name = tail.toString('utf8', at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength)
    const length = LOCAL_HEADER_BYTES + Buffer.byteLength(name, 'utf8') + compressedSize
    const ours =
      tail.readUInt16LE(at + 8) === UTF8_NAMES &&
      tail.readUInt16LE(at + 12) === DOS_TIME &&
      tail.readUInt16LE(at + 14) === DOS_DATE &&
      tail.readUInt32LE(at + 38) === EXTERNAL_ATTRIBUTES &&
      (method === 0 || method === 8) &&
      commentLength === 0 &&
      offset === expectedOffset
    if (!ours) return undefined
    entries.push({ name, crc32: tail.readUInt32LE(at + 16), size: tail.readUInt32LE(at + 24), compressedSize, method, offset, length })
    expectedOffset += length
    at += CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength
  }
  if (expectedOffset !== directoryOffset) return undefined
  return { entries }
}

/**
 * Write the release zip of `files` to a local file: the same bytes as the one a deploy keeps
 * (with `previous` and the previous zip's file, reused entries are copied from it).
 */
export async function createReleaseArchive(
  outputDir: string,
  files: readonly SiteFile[],
  destinationFile: string,
  options: { contents?: ContentReader; previous?: PreviousArchive & { file: string } } = {}
): Promise<ReleaseArchive & ArchiveSummary> {
  const sha256 = createHash('sha256')
  let bytes = 0
  const out = createWriteStream(destinationFile)
  const previousZip = options.previous ? await open(options.previous.file, 'r') : undefined
  const write = async (chunk: Buffer) => {
    sha256.update(chunk)
    bytes += chunk.length
    if (!out.write(chunk)) await once(out, 'drain')
  }
  try {
    const segments = releaseArchiveSegments(files, options.contents ?? new SiteContents(0), options.previous)
    let step = await segments.next()
    for (; !step.done; step = await segments.next()) {
      const segment = step.value
      if ('bytes' in segment) {
        await write(segment.bytes)
      } else {
        const copied = Buffer.alloc(segment.copy.end - segment.copy.start)
        await previousZip!.read(copied, 0, copied.length, segment.copy.start)
        await write(copied)
      }
    }
    out.end()
    await once(out, 'finish')
    return { ...step.value, path: destinationFile, bytes, sha256: sha256.digest('hex') }
  } catch (error) {
    out.destroy()
    await rm(destinationFile, { force: true })
    throw new Error(`Could not write the release archive of ${outputDir} to ${destinationFile}: ${(error as Error).message}`, { cause: error })
  } finally {
    await previousZip?.close()
  }
}

/**
 * Unpack a release archive into an empty folder, for a rollback. yauzl checks each entry's
 * CRC and refuses absolute or `..` names, so an archive cannot write outside `destination`.
 */
export async function extractReleaseArchive(zipFile: string, destination: string): Promise<void> {
  const zip = await yauzl.openPromise(zipFile, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true })
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue
      const target = path.join(destination, entry.fileName)
      await mkdir(path.dirname(target), { recursive: true })
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target, { flags: 'wx' }))
    }
  } finally {
    zip.close()
  }
}
