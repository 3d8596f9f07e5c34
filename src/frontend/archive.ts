import { ZipArchive } from 'archiver'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import yauzl from 'yauzl'
import { once } from 'node:events'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { byPath, type SiteFile } from './site-files.js'

export interface ReleaseArchive {
  path: string
  bytes: number
  /** Hex SHA-256 of the zip: equal for equal files, whenever and wherever it was made. */
  sha256: string
}

/** Every entry's time: the earliest a zip (DOS) timestamp can hold, written as UTC. */
const ENTRY_DATE = new Date('1980-01-01T00:00:00Z')
export const ENTRY_MODE = 0o644
/** Fixed, so a change of archiver's default cannot change the bytes. */
const COMPRESSION_LEVEL = 6

/**
 * A zip of the site whose bytes depend only on the files' paths and contents: entries in
 * path order, one fixed date and mode, no extra fields. Entries are appended one at a time,
 * each a stream, so no stat or read races reorder them (archiver's parallel stat does) and
 * no more than one file is open.
 */
export async function createReleaseArchive(outputDir: string, files: readonly SiteFile[], destinationFile: string): Promise<ReleaseArchive> {
  const zip = new ZipArchive({ zlib: { level: COMPRESSION_LEVEL } })
  const sha256 = createHash('sha256')
  let bytes = 0
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256.update(chunk)
      bytes += chunk.length
      done(null, chunk)
    }
  })
  const written = pipeline(zip, measure, createWriteStream(destinationFile))
  try {
    for (const file of [...files].sort(byPath)) {
      const source = createReadStream(file.absolute)
      // archiver does not listen for its sources' errors: a file gone since the listing would hang it.
      const unreadable = new Promise<never>((_, reject) => source.once('error', reject))
      const appended = once(zip, 'entry')
      zip.append(source, { name: file.path, date: ENTRY_DATE, mode: ENTRY_MODE })
      await Promise.race([appended, unreadable, written])
    }
    await zip.finalize()
    await written
  } catch (error) {
    zip.destroy()
    await written.catch(() => undefined)
    await rm(destinationFile, { force: true })
    throw new Error(`Could not write the release archive of ${outputDir} to ${destinationFile}: ${(error as Error).message}`, { cause: error })
  }
  return { path: destinationFile, bytes, sha256: sha256.digest('hex') }
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
