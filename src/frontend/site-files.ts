import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
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

/** Enough to keep two cores busy without running out of file handles. */
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

/** The site's files with their sizes and MD5s, hashed as streams, up to 32 at a time. */
export async function listSiteFiles(outputDir: string): Promise<SiteFile[]> {
  return hashOutputFiles(await listOutputFiles(outputDir))
}

/** Sizes and MD5s of output files already listed, hashed as streams, up to 32 at a time. */
export async function hashOutputFiles(entries: readonly OutputEntry[]): Promise<SiteFile[]> {
  return inParallel(entries, HASH_CONCURRENCY, async entry => ({ ...entry, ...(await digest(entry.absolute)) }))
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
