import type { DeployedShaProvider } from '../changes/index.js'
import type { SiteStore } from './blob-store.js'

/**
 * A site's deployed commit: the manifest the last successful deploy wrote. A release recorded
 * as in flight (`pending`) did not finish: the site counts as changed until one does.
 */
export function siteDeployedCommits(store: Pick<SiteStore, 'account' | 'container' | 'archiveContainer' | 'readManifest'>): DeployedShaProvider {
  return {
    source: `the deploy manifest in ${store.account}/${store.archiveContainer}`,
    async deployedCommits() {
      const manifest = await store.readManifest()
      if (!manifest) return { commits: [], unknown: [`${store.account}/${store.container} (no deploy manifest yet)`] }
      const unfinished = manifest.pending ? [`the upload of ${manifest.pending.commit.slice(0, 12)} to ${store.account}/${store.container}, started ${manifest.pending.startedAt}`] : []
      // A first release that never finished has no commit that is live.
      const commits = manifest.files.length === 0 && manifest.pending ? [] : [manifest.commit]
      return { commits, unknown: [], unfinished }
    }
  }
}
