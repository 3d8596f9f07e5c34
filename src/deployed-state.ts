import type { AzureAccess } from './azure/connect.js'
import { createWebAppControl } from './backend/web-app-control.js'
import { webAppDeployedCommits } from './backend/web-app-state.js'
import type { DeployedShaProviders } from './changes/index.js'
import type { LoadedConfig, ResolvedEnvironment } from './config.js'
import { githubDeploymentProvider, type GitHubDeployments } from './github/deployments.js'
import type { Logger } from './logger.js'
import { PART_NAMES } from './parts.js'
import { siteLocation, webAppTargets } from './plan.js'

/**
 * What is deployed, read from the environment's targets; the last successful GitHub
 * deployment of each part stands in when the targets cannot be read (or Azure cannot be asked).
 */
export async function deployedShaProviders(
  loaded: LoadedConfig,
  environment: ResolvedEnvironment,
  azure: AzureAccess,
  options: { subscriptionId?: string; github?: GitHubDeployments; logger: Logger }
): Promise<DeployedShaProviders> {
  const providers = await targetProviders(loaded, environment, azure, options.subscriptionId)
  const { github } = options
  if (!github) return providers
  for (const part of PART_NAMES) {
    if (!loaded.config.parts[part] || !environment.settings[part]) continue
    providers[part] = githubDeploymentProvider(github, environment.name, part, options.logger, providers[part])
  }
  return providers
}

async function targetProviders(loaded: LoadedConfig, environment: ResolvedEnvironment, azure: AzureAccess, subscriptionId?: string): Promise<DeployedShaProviders> {
  const providers: DeployedShaProviders = {}
  if (!('clients' in azure)) return providers
  const backend = loaded.config.parts.backend
  if (backend && environment.settings.backend) {
    // With slot-swap, production serves what was last swapped in; the staging slots hold the one before.
    const swapped = environment.settings.backend.strategy === 'slot-swap'
    const live = webAppTargets(environment, subscriptionId).map(target => (swapped ? { ...target, slot: undefined } : target))
    providers.backend = webAppDeployedCommits(live, backend, createWebAppControl(azure.clients))
  }
  const site = environment.settings.frontend
  if (loaded.config.parts.frontend && site) {
    const [{ siteStoreFor }, { siteDeployedCommits }] = await Promise.all([import('./frontend/blob-store.js'), import('./frontend/deployed-release.js')])
    providers.frontend = siteDeployedCommits(siteStoreFor(siteLocation(site), environment.name, azure))
  }
  return providers
}
