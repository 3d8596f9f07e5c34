import type { DeployedShaProvider } from '../changes/index.js'
import type { WebAppTarget } from '../plan.js'
import { commitOfImage } from './image-reference.js'
import type { WebAppControl } from './web-app-control.js'

/** A target as people name it: `app` or `app/slot`. */
export function targetName(target: Pick<WebAppTarget, 'app' | 'slot'>): string {
  return target.slot ? `${target.app}/${target.slot}` : target.app
}

/** The backend's deployed commits: the SHA tag of the image each target runs. */
export function webAppDeployedCommits(targets: readonly WebAppTarget[], image: { registry: string; repository: string }, reader: Pick<WebAppControl, 'currentImage'>): DeployedShaProvider {
  return {
    source: `the image tags of ${targets.length} Web App${targets.length === 1 ? '' : 's'}`,
    async deployedCommits() {
      const missing = targets.filter(t => !t.subscription)
      if (missing.length > 0) throw new Error(`no subscription for ${missing.map(targetName).join(', ')} (set 'subscription-id')`)
      const images = await Promise.all(targets.map(target => reader.currentImage(target)))
      const commits: string[] = []
      const unknown: string[] = []
      images.forEach((current, index) => {
        const commit = current && commitOfImage(current, image.registry, image.repository)
        if (commit) commits.push(commit)
        else unknown.push(`${targetName(targets[index]!)} (${current ?? 'no container image'})`)
      })
      return { commits, unknown }
    }
  }
}
