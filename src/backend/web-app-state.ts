import type { DeployedShaProvider } from '../changes/index.js'
import type { VerifyPlan, WebAppTarget } from '../plan.js'
import type { Probe } from './health.js'
import { commitOfImage } from './image-reference.js'
import type { WebAppControl } from './web-app-control.js'

/** A target as people name it: `app` or `app/slot`. */
export function targetName(target: Pick<WebAppTarget, 'app' | 'slot'>): string {
  return target.slot ? `${target.app}/${target.slot}` : target.app
}

/** How long detection waits for one target's health path. */
const SERVED_PROBE_MS = 10_000

/**
 * An image part's deployed commits: the SHA tag of the image each target is configured for.
 * With `verify: version`, each target is also asked which version it serves: one configured
 * for a release it does not serve (a run stopped between the switch and the proof) counts as
 * unfinished, so the next run deploys again instead of calling the part unchanged.
 */
export function webAppDeployedCommits(
  targets: readonly WebAppTarget[],
  image: { registry: string; repository: string },
  reader: Pick<WebAppControl, 'read'>,
  served?: { verify: VerifyPlan; probe: Probe }
): DeployedShaProvider {
  return {
    source: `the image tags of ${targets.length} Web App${targets.length === 1 ? '' : 's'}`,
    async deployedCommits() {
      const missing = targets.filter(t => !t.subscription)
      if (missing.length > 0) throw new Error(`no subscription for ${missing.map(targetName).join(', ')} (set 'subscription-id')`)
      const states = await Promise.all(targets.map(target => reader.read(target)))
      const commits: string[] = []
      const unknown: string[] = []
      const configured: (string | undefined)[] = states.map((state, index) => {
        const commit = state.image && commitOfImage(state.image, image.registry, image.repository)
        if (commit) commits.push(commit)
        else unknown.push(`${targetName(targets[index]!)} (${state.image ?? 'no container image'})`)
        return commit || undefined
      })
      const unfinished: string[] = []
      if (served && served.verify.mode === 'version' && unknown.length === 0) {
        const { verify, probe } = served
        await Promise.all(
          states.map(async (state, index) => {
            const commit = configured[index]!
            const url = new URL(verify.path, state.url).toString()
            try {
              const answer = await probe(url, verify.versionHeader, AbortSignal.timeout(SERVED_PROBE_MS))
              const carried = verify.versionHeader ? (answer.header ?? '') : answer.body
              if (answer.status < 200 || answer.status >= 300 || !carried.toLowerCase().includes(commit)) {
                unfinished.push(`${targetName(targets[index]!)} is configured for ${commit.slice(0, 12)} but does not serve it (HTTP ${answer.status})`)
              }
            } catch (error) {
              unfinished.push(`${targetName(targets[index]!)} is configured for ${commit.slice(0, 12)} but ${url} does not answer (${(error as Error).message})`)
            }
          })
        )
      }
      return { commits, unknown, unfinished }
    }
  }
}
