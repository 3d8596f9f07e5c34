import type { AzureAccess } from './azure/connect.js'
import { createWebAppReader, webAppDeployedCommits } from './backend/web-app-state.js'
import type { DeployedShaProviders } from './changes/index.js'
import type { LoadedConfig, ResolvedEnvironment } from './config.js'
import { webAppTargets } from './plan.js'

/** What is deployed, read from the environment's targets. */
export async function deployedShaProviders(loaded: LoadedConfig, environment: ResolvedEnvironment, azure: AzureAccess, subscriptionId?: string): Promise<DeployedShaProviders> {
  const providers: DeployedShaProviders = {}
  if (!('clients' in azure)) return providers
  const backend = loaded.config.parts.backend
  if (backend && environment.settings.backend) {
    // With slot-swap, production serves what was last swapped in; the staging slots hold the one before.
    const swapped = environment.settings.backend.strategy === 'slot-swap'
    const live = webAppTargets(environment, subscriptionId).map(target => (swapped ? { ...target, slot: undefined } : target))
    providers.backend = webAppDeployedCommits(live, backend, createWebAppReader(azure.clients))
  }
  const site = environment.settings.frontend
  if (loaded.config.parts.frontend && site) {
    const [{ blobEndpointFor, createSiteStore }, { siteDeployedCommits }] = await Promise.all([import('./frontend/blob-store.js'), import('./frontend/deployed-release.js')])
    const store = createSiteStore({
      blobEndpoint: blobEndpointFor(site['storage-account'], azure.cloud.storageSuffix, site['blob-endpoint']),
      credential: azure.credential,
      container: site.container,
      archiveContainer: site['archive-container'],
      environment: environment.name
    })
    providers.frontend = siteDeployedCommits(store)
  }
  return providers
}
