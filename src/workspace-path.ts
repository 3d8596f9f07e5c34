import { lstat, readlink, realpath } from 'node:fs/promises'
import path from 'node:path'

/** More links than this in one path is a loop (Linux gives up at 40 too). */
const MAX_LINKS = 40

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')

/**
 * Where a path really leads, every symlink on the way followed: for a path that does not exist
 * yet, its deepest existing folder's real path plus the rest, and a dangling link's target.
 */
export async function realPathOf(target: string, links = 0): Promise<string> {
  if (links > MAX_LINKS) throw Object.assign(new Error(`too many symbolic links in ${target}`), { code: 'ELOOP' })
  try {
    return await realpath(target)
  } catch (error) {
    if (!isMissing(error)) throw error
  }
  const parent = path.dirname(target)
  if (parent === target) return target
  const entry = await lstat(target).catch(() => undefined)
  if (entry?.isSymbolicLink()) {
    const realParent = await realPathOf(parent, links + 1)
    return realPathOf(path.resolve(realParent, await readlink(target)), links + 1)
  }
  return path.join(await realPathOf(parent, links), path.basename(target))
}

/** Whether a real path lies outside a real root folder. */
export function isOutside(root: string, real: string): boolean {
  const inside = path.relative(root, real)
  return inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)
}

/**
 * Where `relative` (from the workspace root) really leads when that is outside the workspace,
 * through a symlink or otherwise; undefined when it stays inside (or cannot be resolved, which
 * the step that uses the path reports in its own words).
 */
export async function leavesWorkspace(workspace: string, relative: string): Promise<string | undefined> {
  try {
    const root = await realpath(workspace)
    const real = await realPathOf(path.resolve(workspace, relative))
    return isOutside(root, real) ? real : undefined
  } catch {
    return undefined
  }
}
