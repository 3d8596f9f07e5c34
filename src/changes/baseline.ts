/**
 * Why a part's base is what it is:
 * - `input`: the `baseline` input;
 * - `deployed`: the commit its targets record as deployed;
 * - `before`: the event's previous commit (`before` of a push, base of a pull request);
 * - `no-baseline`: nothing to compare with, so the part counts as changed;
 * - `not-deployed`: a target runs nothing this action deployed, so the part counts as changed;
 * - `baseline-unavailable`: the chosen base could not be fetched, so the part counts as changed;
 * - `unfinished`: an earlier run left a release of this part half done (journalled), so it is deployed again;
 * - `forced-by-input` / `excluded-by-input`: the `parts` input decided;
 * - `not-configured`: the config has no such part.
 */
export type ChangeReason = 'input' | 'deployed' | 'before' | 'no-baseline' | 'not-deployed' | 'baseline-unavailable' | 'unfinished' | 'forced-by-input' | 'excluded-by-input' | 'not-configured'

/** What a part's targets say is deployed on them. */
export interface DeployedCommits {
  /** The commit each target that runs a build of ours was built from (duplicates allowed). */
  commits: string[]
  /** Targets that run something with no commit of ours (a first deploy, a manual change), by name. */
  unknown: string[]
  /** Releases an earlier run started and did not finish (a journalled upload, a target that serves another version than it is configured for), said as a person reads it. */
  unfinished?: string[]
}

/** Reads what is live on an environment's targets for one part. */
export interface DeployedShaProvider {
  /** Where the commits come from, for the log ("image tags of 2 Web Apps"). */
  readonly source: string
  deployedCommits(): Promise<DeployedCommits>
}

/** By part name. */
export type DeployedShaProviders = Record<string, DeployedShaProvider | undefined>

/** The commits to compare with: one, or one per distinct deployed commit when targets disagree. */
export type Baseline = { shas: string[]; reason: 'input' | 'deployed' | 'before' } | { shas: []; reason: 'no-baseline' }

/** The first of: the input, what is deployed, the event's previous commit; else nothing. */
export function chooseBaseline(candidates: { input?: string; deployed?: readonly string[]; eventBase?: string }): Baseline {
  if (candidates.input) return { shas: [candidates.input], reason: 'input' }
  const deployed = [...new Set(candidates.deployed ?? [])]
  if (deployed.length > 0) return { shas: deployed, reason: 'deployed' }
  if (candidates.eventBase) return { shas: [candidates.eventBase], reason: 'before' }
  return { shas: [], reason: 'no-baseline' }
}
