import type { AzureAccess } from './azure/connect.js'
import { httpProbe } from './backend/health.js'
import { createWebAppControl } from './backend/web-app-control.js'
import { webAppDeployedCommits } from './backend/web-app-state.js'
import type { DeployedShaProviders } from './changes/index.js'
import { imageEnvironment, siteEnvironment, type ImagePartConfig, type LoadedConfig, type ResolvedEnvironment } from './config.js'
import { githubDeploymentProvider, type GitHubDeployments } from './github/deployments.js'
import type { Logger } from './logger.js'
import { siteLocation, siteStatePrefix, webAppTargets } from './plan.js'

/**
 * What is deployed, read from each part's targets in the environment; the last successful
 * GitHub deployment of a part stands in when its targets cannot be read (or Azure cannot be asked).
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
  for (const part of Object.keys(loaded.config.parts)) {
    providers[part] = githubDeploymentProvider(github, environment.name, part, options.logger, providers[part])
  }
  return providers
}

async function targetProviders(loaded: LoadedConfig, environment: ResolvedEnvironment, azure: AzureAccess, subscriptionId?: string): Promise<DeployedShaProviders> {
  const providers: DeployedShaProviders = {}
  if (!('clients' in azure)) return providers
  const { config } = loaded
  const control = createWebAppControl(azure.clients)
  const siteModules = Object.values(config.parts).some(part => part.kind === 'site') ? await Promise.all([import('./frontend/blob-store.js'), import('./frontend/deployed-release.js')]) : undefined
  for (const [name, part] of Object.entries(config.parts)) {
    if (part.kind === 'image') {
      const source = (part['image-from'] ? config.parts[part['image-from']] : part) as ImagePartConfig
      // With slot-swap, production serves what was last swapped in; the staging slots hold the one before.
      const swapped = imageEnvironment(environment.settings, name).strategy === 'slot-swap'
      const live = webAppTargets(config, environment, name, subscriptionId).map(target => (swapped ? { ...target, slot: undefined } : target))
      const verify = { mode: part.verify, path: part.health.path, versionHeader: part.health['version-header'], timeoutSeconds: part.health.timeout, consecutive: part.health.consecutive, intervalSeconds: part.health.interval }
      providers[name] = webAppDeployedCommits(live, { registry: source.registry!, repository: source.repository! }, control, { verify, probe: httpProbe })
    } else if (siteModules) {
      const [{ siteStoreFor }, { siteDeployedCommits }] = siteModules
      providers[name] = siteDeployedCommits(siteStoreFor({ ...siteLocation(siteEnvironment(environment.settings, name)), statePrefix: siteStatePrefix(environment.name, name) }, azure))
    }
  }
  return providers
}
