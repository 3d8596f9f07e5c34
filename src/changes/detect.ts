import { isCommitSha } from '../inputs.js'
import { quote, type Logger } from '../logger.js'
import { chooseBaseline, type ChangeReason, type DeployedShaProvider, type DeployedShaProviders } from './baseline.js'
import type { GitRepository } from './git.js'
import { compilePathFilter, type PathFilter } from './path-filter.js'

/** What change detection decided for one part. */
export interface PartChange {
  part: string
  changed: boolean
  /** The commit compared against (the oldest, when targets run different ones). */
  base?: string
  reason: ChangeReason
  /** One sentence a person can read in the log and the summary. */
  detail: string
  /** Changed paths that belong to this part (its own globs or a shared path). */
  files: string[]
  /** Changed paths under the part's release paths; undefined when the part has none or nothing was compared. */
  releaseFiles?: string[]
}

/** One part as detection sees it. */
export interface DetectPart {
  name: string
  /** Glob lists, any of which makes a file the part's (a part that runs another's image has that part's list too). */
  paths: readonly (readonly string[])[]
  /** Globs of what the part's release step depends on, when it has one with its own paths. */
  releasePaths?: readonly string[]
}

export interface DetectRequest {
  parts: readonly DetectPart[]
  /** Globs that count for every part (the config file is always one of them). */
  sharedPaths: readonly string[]
  head: string
  baselineInput?: string
  /** Set when the `parts` input names the parts to deploy. */
  forced?: readonly string[]
  eventBase?: string
  providers: DeployedShaProviders
  git: GitRepository
  logger: Logger
}

type Deployed = { commits: string[] } | { notDeployed: string[] } | { unfinished: string[]; commits: string[] } | undefined

/** Decide, per part, whether it differs from what is deployed now. Each base is diffed once, whatever the number of parts. */
export async function detectChanges(request: DetectRequest): Promise<PartChange[]> {
  const { git, logger } = request

  // Each glob list is compiled once and matched once against each base's diff, however many
  // parts name it (an API and its worker share the API's list; the shared paths count for all).
  const filters = new Map<string, PathFilter>()
  const filterOf = (key: string, paths: readonly string[]) => {
    let filter = filters.get(key)
    if (!filter) filters.set(key, (filter = compilePathFilter(paths)))
    return filter
  }
  const matches = new Map<string, Promise<string[]>>()
  const matching = (base: string, paths: readonly string[]): Promise<string[]> => {
    const key = JSON.stringify(paths)
    const cacheKey = `${base}\u0000${key}`
    let found = matches.get(cacheKey)
    if (!found) {
      const filter = filterOf(key, paths)
      found = git.changedFiles(base, request.head).then(changes => changes.flatMap(change => (filter(change.path) ? [change.path] : [])))
      matches.set(cacheKey, found)
    }
    return found
  }

  const readDeployed = async (part: string, provider: DeployedShaProvider): Promise<Deployed> => {
    try {
      const state = await provider.deployedCommits()
      const commits = state.commits.map(sha => sha.toLowerCase()).filter(isCommitSha)
      if (state.unfinished && state.unfinished.length > 0) return { unfinished: state.unfinished, commits }
      if (state.unknown.length > 0) return { notDeployed: state.unknown }
      if (commits.length === 0) logger.info(`${part}: no deployed commit found on ${provider.source}`)
      return { commits }
    } catch (error) {
      logger.warning(`${part}: could not read what is deployed on ${provider.source} (${(error as Error).message}); comparing with the event's previous commit instead`)
      return undefined
    }
  }

  const decide = async (part: DetectPart): Promise<PartChange> => {
    const name = part.name
    if (request.forced) {
      return request.forced.includes(name)
        ? { part: name, changed: true, reason: 'forced-by-input', detail: `the parts input selects ${name}`, files: [] }
        : { part: name, changed: false, reason: 'excluded-by-input', detail: `the parts input leaves ${name} out`, files: [] }
    }

    const provider = request.providers[name]
    const deployed = !request.baselineInput && provider ? await readDeployed(name, provider) : undefined
    if (deployed && 'unfinished' in deployed) {
      const base = deployed.commits[0]
      return { part: name, changed: true, base, reason: 'unfinished', detail: `an earlier run did not finish: ${deployed.unfinished.join('; ')}: deploying`, files: [] }
    }
    if (deployed && 'notDeployed' in deployed) {
      return { part: name, changed: true, reason: 'not-deployed', detail: `${deployed.notDeployed.join(', ')} run${deployed.notDeployed.length === 1 ? 's' : ''} nothing this action deployed: deploying`, files: [] }
    }

    const baseline = chooseBaseline({ input: request.baselineInput, deployed: deployed?.commits, eventBase: request.eventBase })
    if (baseline.reason === 'no-baseline') {
      return { part: name, changed: true, reason: 'no-baseline', detail: 'nothing to compare with (no baseline input, nothing deployed, no previous commit in the event): deploying', files: [] }
    }
    return compare(name, part.paths, part.releasePaths, baseline.shas, baseline.reason)
  }

  /** Diff every base against the head; the part changed if it differs from any of them. */
  const compare = async (part: string, own: readonly (readonly string[])[], release: readonly string[] | undefined, bases: string[], reason: 'input' | 'deployed' | 'before'): Promise<PartChange> => {
    const what = describe(reason)
    for (const base of bases) {
      const availability = await git.ensureCommit(base)
      if (!availability.available) {
        return { part, changed: true, base, reason: 'baseline-unavailable', detail: `the ${what} ${base.slice(0, 7)} could not be fetched from the remote (${availability.reason}): deploying`, files: [] }
      }
    }
    const files = new Set<string>()
    const releaseFiles = new Set<string>()
    for (const base of bases) {
      if (base === request.head) continue
      const matched = new Set<string>()
      for (const paths of [...own, request.sharedPaths]) for (const file of await matching(base, paths)) matched.add(file)
      // In the diff's order, as git listed them.
      for (const change of await git.changedFiles(base, request.head)) if (matched.has(change.path)) files.add(change.path)
      if (release) for (const file of await matching(base, release)) releaseFiles.add(file)
    }
    const base = bases.length === 1 ? bases[0]! : await git.oldestCommit(bases)
    const since = bases.length === 1 ? `the ${what} ${base.slice(0, 7)}` : `the ${bases.length} commits its targets run (${bases.map(b => b.slice(0, 7)).join(', ')})`
    const detail = files.size === 0 && bases.every(b => b === request.head) ? `${request.head.slice(0, 7)} is already the ${what}` : `${files.size} changed file${files.size === 1 ? '' : 's'} since ${since}`
    return { part, changed: files.size > 0, base, reason, detail, files: [...files], releaseFiles: release ? [...releaseFiles] : undefined }
  }

  const changes = await Promise.all(request.parts.map(decide))
  for (const change of changes) {
    logger.info(`${change.part}: ${change.changed ? 'changed' : 'unchanged'} (${change.reason}) — ${change.detail}`)
    for (const file of change.files.slice(0, 10)) logger.info(`  ${quote(file)}`)
    if (change.files.length > 10) logger.info(`  … and ${change.files.length - 10} more`)
  }
  return changes
}

function describe(reason: 'input' | 'deployed' | 'before'): string {
  switch (reason) {
    case 'input':
      return 'baseline input'
    case 'deployed':
      return 'deployed commit'
    case 'before':
      return "event's previous commit"
  }
}
