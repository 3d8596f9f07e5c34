import { createHash } from 'node:crypto'
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs'
import { readFile, readdir, realpath, stat } from 'node:fs/promises'
import { setImmediate as yieldToEvents } from 'node:timers/promises'
import path from 'node:path'
import { DeployError } from '../errors.js'
import { inParallel } from '../parallel.js'
import { isOutside } from '../workspace-path.js'

/** One file of the built site, named as its blob will be. */
export interface SiteFile {
  /** Relative to the output folder, with `/`: `static/js/main.1a2b3c4d.js`. */
  path: string
  absolute: string
  size: number
  /** Base64 MD5 of the content, as the Content-MD5 header and blob listings carry it. */
  md5: string
}

/** A file of the output folder before it is read. */
export interface OutputEntry {
  path: string
  absolute: string
}

/** Large files hashed at once, as streams: enough to keep two cores busy without running out of file handles. */
const HASH_CONCURRENCY = 32

/** Code-unit order: the same in every locale, so listings, uploads and zips agree. */
export function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0
}

/**
 * Every file under the output folder, sorted by path. A symlink is followed only when it
 * resolves inside the folder (a link to a file is that file, a link to a folder is walked
 * once); one that leads outside it, or nowhere, is refused, so nothing outside the build
 * is ever published.
 */
export async function listOutputFiles(outputDir: string): Promise<OutputEntry[]> {
  const root = await realpath(outputDir)
  const entries: OutputEntry[] = []

  // `dir` is a real path; `ancestors` are the real folders above it, to catch a link back up.
  const walk = async (dir: string, prefix: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const lineage = new Set(ancestors).add(dir)
    for (const dirent of await readdir(dir, { withFileTypes: true })) {
      const relative = prefix + dirent.name
      const absolute = path.join(dir, dirent.name)
      if (dirent.isFile()) {
        entries.push({ path: relative, absolute })
      } else if (dirent.isDirectory()) {
        await walk(absolute, `${relative}/`, lineage)
      } else if (dirent.isSymbolicLink()) {
        const target = await insideTarget(root, absolute, relative)
        if (!(await stat(target)).isDirectory()) {
          entries.push({ path: relative, absolute })
        } else if (lineage.has(target)) {
          throw new DeployError(`The build output has a symlink loop: ${relative} links back to a folder above it.`, 'Remove the link from the build output.')
        } else {
          await walk(target, `${relative}/`, lineage)
        }
      }
      // Sockets, FIFOs and devices are not site content.
    }
  }
  await walk(root, '', new Set())
  return entries.sort(byPath)
}

async function insideTarget(root: string, link: string, relative: string): Promise<string> {
  let target: string
  try {
    target = await realpath(link)
  } catch {
    throw new DeployError(`The build output has a symlink that points to nothing: ${relative}.`, 'Remove the link from the build output, or make the build copy the file it should publish.')
  }
  if (isOutside(root, target)) {
    throw new DeployError(
      `The build output has a symlink that points outside it: ${relative} → ${target}.`,
      'Make the build copy that file into its output folder instead of linking it: only files inside the output are published.'
    )
  }
  return target
}

/**
 * The bytes of the site's files as they were hashed, kept in memory up to a budget so that the
 * upload and the release zip do not read them again; anything over it is read from the file
 * when asked for.
 */
export class SiteContents {
  readonly #kept = new Map<string, Buffer>()
  #bytesLeft: number

  constructor(budgetBytes = DEFAULT_KEEP_BYTES) {
    this.#bytesLeft = budgetBytes
  }

  /** Keeps `content` when it fits the budget. */
  keep(absolute: string, content: Buffer): void {
    if (content.length > this.#bytesLeft || content.length > MAX_KEPT_FILE_BYTES) return
    this.#kept.set(absolute, content)
    this.#bytesLeft -= content.length
  }

  /** The file's bytes as hashed, or read now (and checked against the size it was hashed at). */
  async read(file: Pick<SiteFile, 'absolute' | 'size'>): Promise<Buffer> {
    const kept = this.#kept.get(file.absolute)
    if (kept) return kept
    const content = await readFile(file.absolute)
    if (content.length !== file.size) throw new DeployError(`${file.absolute} changed while the deploy ran (${file.size} bytes when hashed, ${content.length} now).`, 'Make sure nothing writes to the build output during the deploy.')
    return content
  }

  /** Lets go of what is kept (the upload and the zip are done with it). */
  clear(): void {
    this.#kept.clear()
  }
}

/** Up to this much of a site stays in memory between hashing and upload. */
const DEFAULT_KEEP_BYTES = 256 * 1024 * 1024
/** Files larger than this are hashed as streams and never kept. */
const MAX_KEPT_FILE_BYTES = 16 * 1024 * 1024

/** The site's files with their sizes and MD5s, each read once. */
export async function listSiteFiles(outputDir: string, contents?: SiteContents): Promise<SiteFile[]> {
  return hashOutputFiles(await listOutputFiles(outputDir), contents)
}

/**
 * Sizes and MD5s of output files already listed, each read once, whole, its bytes kept in
 * `contents` for the upload and the zip. Small files are read with plain synchronous calls, in
 * slices that give the event loop a turn: for thousands of small files that is several times
 * faster than a round trip through the thread pool per call. Large ones are streamed.
 */
export async function hashOutputFiles(entries: readonly OutputEntry[], contents?: SiteContents): Promise<SiteFile[]> {
  const files: (SiteFile | undefined)[] = new Array(entries.length)
  const large: number[] = []
  let sliceBytes = 0
  for (const [index, entry] of entries.entries()) {
    const content = readSmall(entry.absolute)
    if (!content) {
      large.push(index)
      continue
    }
    contents?.keep(entry.absolute, content)
    files[index] = { ...entry, size: content.length, md5: createHash('md5').update(content).digest('base64') }
    sliceBytes += content.length + SLICE_FILE_COST
    if (sliceBytes >= SLICE_BYTES) {
      sliceBytes = 0
      await yieldToEvents()
    }
  }
  await inParallel(large, HASH_CONCURRENCY, async index => {
    const entry = entries[index]!
    files[index] = { ...entry, ...(await digest(entry.absolute)) }
  })
  return files as SiteFile[]
}

/** Read synchronously between two turns of the event loop: a few milliseconds' worth. */
const SLICE_BYTES = 4 * 1024 * 1024
/** What opening, reading and closing a file costs, in bytes read. */
const SLICE_FILE_COST = 64 * 1024

/**
 * A file's bytes when it is small enough to keep, read up to the size its stat gave (fewer if
 * it shrank meanwhile): what is hashed is what is uploaded and zipped, so the stored Content-MD5
 * always matches the stored bytes. Undefined for a large file.
 */
function readSmall(file: string): Buffer | undefined {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    if (size > MAX_KEPT_FILE_BYTES) return undefined
    const buffer = Buffer.allocUnsafe(size)
    let filled = 0
    while (filled < size) {
      const bytesRead = readSync(fd, buffer, filled, size - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled === size ? buffer : buffer.subarray(0, filled)
  } finally {
    closeSync(fd)
  }
}

/** Size and base64 MD5 (Content-MD5's form) of a file, streamed. */
export async function digest(file: string): Promise<{ size: number; md5: string }> {
  const md5 = createHash('md5')
  let size = 0
  for await (const chunk of createReadStream(file)) {
    md5.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { size, md5: md5.digest('base64') }
}
