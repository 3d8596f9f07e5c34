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
    const [{ siteStoreFor }, { siteDeployedCommits }] = await Promise.all([import('./frontend/blob-store.js'), import('./frontend/deployed-release.js')])
    const location = { storageAccount: site['storage-account'], blobEndpoint: site['blob-endpoint'], container: site.container, archiveContainer: site['archive-container'] }
    providers.frontend = siteDeployedCommits(siteStoreFor(location, environment.name, azure))
  }
  return providers
}
