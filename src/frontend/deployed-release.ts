import type { DeployedShaProvider } from '../changes/index.js'
import type { SiteStore } from './blob-store.js'

/** The frontend's deployed commit: the manifest the last successful deploy wrote. */
export function siteDeployedCommits(store: Pick<SiteStore, 'account' | 'container' | 'archiveContainer' | 'readManifest'>): DeployedShaProvider {
  return {
    source: `the deploy manifest in ${store.account}/${store.archiveContainer}`,
    async deployedCommits() {
      const manifest = await store.readManifest()
      if (manifest) return { commits: [manifest.commit], unknown: [] }
      return { commits: [], unknown: [`${store.account}/${store.container} (no deploy manifest yet)`] }
    }
  }
}
