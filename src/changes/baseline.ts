import type { PartName } from '../parts.js'

/**
 * Why a part's base is what it is:
 * - `input`: the `baseline` input;
 * - `deployed`: the commit its targets record as deployed;
 * - `before`: the event's previous commit (`before` of a push, base of a pull request);
 * - `no-baseline`: nothing to compare with, so the part counts as changed;
 * - `baseline-unavailable`: the chosen base could not be fetched, so the part counts as changed;
 * - `forced-by-input` / `excluded-by-input`: the `parts` input decided;
 * - `not-configured`: the config has no such part.
 */
export type ChangeReason = 'input' | 'deployed' | 'before' | 'no-baseline' | 'baseline-unavailable' | 'forced-by-input' | 'excluded-by-input' | 'not-configured'

/** Reads the commit that is live on an environment's targets for one part. */
export interface DeployedShaProvider {
  /** Where the SHA comes from, for the log ("image tag on 2 Web Apps"). */
  readonly source: string
  /** The deployed commit (the oldest when targets disagree); undefined when none of ours is deployed. */
  deployedSha(): Promise<string | undefined>
}

export type DeployedShaProviders = Partial<Record<PartName, DeployedShaProvider>>

export interface Baseline {
  sha?: string
  reason: Extract<ChangeReason, 'input' | 'deployed' | 'before' | 'no-baseline'>
}

/** The first of: the input, what is deployed, the event's previous commit; else nothing. */
export function chooseBaseline(candidates: { input?: string; deployed?: string; eventBase?: string }): Baseline {
  if (candidates.input) return { sha: candidates.input, reason: 'input' }
  if (candidates.deployed) return { sha: candidates.deployed, reason: 'deployed' }
  if (candidates.eventBase) return { sha: candidates.eventBase, reason: 'before' }
  return { reason: 'no-baseline' }
}
