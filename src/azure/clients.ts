import type { TokenCredential } from '@azure/core-auth'
import { WebSiteManagementClient } from '@azure/arm-appservice'
import { CdnManagementClient } from '@azure/arm-cdn'
import { resourceManagerScope, type CloudEndpoints } from './cloud.js'

/** The Azure Resource Manager clients the action uses, one per subscription, all on one cloud. */
export interface AzureClients {
  readonly cloud: CloudEndpoints
  webApps(subscription: string): WebSiteManagementClient['webApps']
  cdn(subscription: string): CdnManagementClient
}

const USER_AGENT = 'azure-push-deploy'

/**
 * Built from the cloud's endpoints, never the SDK defaults, so a sovereign cloud (or the
 * tests' stand-in) gets every call. The SDKs' own pipelines retry 429 (honouring
 * Retry-After) and 5xx with bounded backoff.
 */
export function createAzureClients(credential: TokenCredential, cloud: CloudEndpoints): AzureClients {
  const scope = resourceManagerScope(cloud)
  const webSites = new Map<string, WebSiteManagementClient>()
  const cdns = new Map<string, CdnManagementClient>()
  return {
    cloud,
    webApps(subscription) {
      let client = webSites.get(subscription)
      if (!client) {
        client = new WebSiteManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentials: { scopes: [scope] }, userAgentOptions: { userAgentPrefix: USER_AGENT } })
        webSites.set(subscription, client)
      }
      return client.webApps
    },
    cdn(subscription) {
      let client = cdns.get(subscription)
      if (!client) {
        client = new CdnManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], userAgentOptions: { userAgentPrefix: USER_AGENT } })
        cdns.set(subscription, client)
      }
      return client
    }
  }
}
