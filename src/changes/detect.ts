import { isCommitSha } from '../inputs.js'
import { quote, type Logger } from '../logger.js'
import { PART_NAMES, type PartName } from '../parts.js'
import { chooseBaseline, type ChangeReason, type DeployedShaProviders } from './baseline.js'
import type { GitRepository } from './git.js'
import { compilePathFilter } from './path-filter.js'

/** What change detection decided for one part. */
export interface PartChange {
  part: PartName
  changed: boolean
  /** The commit compared against, when there was one. */
  base?: string
  reason: ChangeReason
  /** One sentence a person can read in the log and the summary. */
  detail: string
  /** Changed paths that belong to this part (its own globs or a shared path). */
  files: string[]
}

export interface DetectRequest {
  /** Path globs of each configured part. */
  parts: Partial<Record<PartName, readonly string[]>>
  /** Globs that count for every part (the config file is always one of them). */
  sharedPaths: readonly string[]
  head: string
  baselineInput?: string
  /** Set when the `parts` input names the parts to deploy. */
  forced?: readonly PartName[]
  eventBase?: string
  providers: DeployedShaProviders
  git: GitRepository
  logger: Logger
}

/** Decide, per part, whether it differs from what is deployed now. */
export async function detectChanges(request: DetectRequest): Promise<PartChange[]> {
  const { git, logger } = request
  const shared = compilePathFilter(request.sharedPaths)
  const decide = async (part: PartName): Promise<PartChange | undefined> => {
    const paths = request.parts[part]
    if (!paths) return undefined
    if (request.forced) {
      return request.forced.includes(part)
        ? { part, changed: true, reason: 'forced-by-input', detail: `the parts input selects ${part}`, files: [] }
        : { part, changed: false, reason: 'excluded-by-input', detail: `the parts input leaves ${part} out`, files: [] }
    }

    let deployed: string | undefined
    const provider = request.providers[part]
    if (!request.baselineInput && provider) {
      try {
        const sha = (await provider.deployedSha())?.toLowerCase()
        if (sha && isCommitSha(sha)) deployed = sha
        else logger.info(`${part}: no deployed commit found on ${provider.source}`)
      } catch (error) {
        logger.warning(`${part}: could not read the deployed commit from ${provider.source} (${(error as Error).message}); falling back to the event's previous commit`)
      }
    }

    const baseline = chooseBaseline({ input: request.baselineInput, deployed, eventBase: request.eventBase })
    if (!baseline.sha) {
      return { part, changed: true, reason: 'no-baseline', detail: 'nothing to compare with (no baseline input, nothing deployed, no previous commit in the event): deploying', files: [] }
    }
    if (baseline.sha === request.head) {
      return { part, changed: false, base: baseline.sha, reason: baseline.reason, detail: `${request.head.slice(0, 7)} is already the ${describe(baseline.reason)}`, files: [] }
    }
    const availability = await git.ensureCommit(baseline.sha)
    if (!availability.available) {
      return {
        part,
        changed: true,
        base: baseline.sha,
        reason: 'baseline-unavailable',
        detail: `the ${describe(baseline.reason)} ${baseline.sha.slice(0, 7)} could not be fetched from the remote (${availability.reason}): deploying`,
        files: []
      }
    }
    const own = compilePathFilter(paths)
    const files = (await git.changedFiles(baseline.sha, request.head)).filter(change => own(change.path) || shared(change.path)).map(change => change.path)
    const unique = [...new Set(files)]
    return {
      part,
      changed: unique.length > 0,
      base: baseline.sha,
      reason: baseline.reason,
      detail: `${unique.length} changed file${unique.length === 1 ? '' : 's'} since the ${describe(baseline.reason)} ${baseline.sha.slice(0, 7)}`,
      files: unique
    }
  }

  const decisions = await Promise.all(PART_NAMES.map(decide))
  const changes = decisions.filter((d): d is PartChange => d !== undefined)
  for (const change of changes) {
    logger.info(`${change.part}: ${change.changed ? 'changed' : 'unchanged'} (${change.reason}) — ${change.detail}`)
    for (const file of change.files.slice(0, 10)) logger.info(`  ${quote(file)}`)
    if (change.files.length > 10) logger.info(`  … and ${change.files.length - 10} more`)
  }
  return changes
}

function describe(reason: ChangeReason): string {
  switch (reason) {
    case 'input':
      return 'baseline input'
    case 'deployed':
      return 'deployed commit'
    case 'before':
      return "event's previous commit"
    default:
      return 'baseline'
  }
}
