/**
 * Where a cloud's services live. Every Azure client is built from one of these, so sovereign
 * clouds work by name and anything else (Azure Stack, the tests' loopback stand-in) by URL.
 */
export interface CloudEndpoints {
  name: string
  /** Entra ID, e.g. https://login.microsoftonline.com. */
  authorityHost: string
  /** Azure Resource Manager, e.g. https://management.azure.com. */
  resourceManager: string
  /** The audience ARM tokens are issued for; the token scope is `<audience>/.default`. */
  resourceManagerAudience: string
  /** Suffix of storage endpoints: https://<account>.blob.<suffix>. */
  storageSuffix: string
  /** Audience of the GitHub OIDC token that Entra ID exchanges for an access token. */
  oidcAudience: string
  /** Known clouds are in MSAL's list; any other authority host must skip instance discovery. */
  knownAuthority: boolean
}

export const KNOWN_CLOUDS = {
  AzureCloud: {
    name: 'AzureCloud',
    authorityHost: 'https://login.microsoftonline.com',
    resourceManager: 'https://management.azure.com',
    resourceManagerAudience: 'https://management.azure.com',
    storageSuffix: 'core.windows.net',
    oidcAudience: 'api://AzureADTokenExchange',
    knownAuthority: true
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    authorityHost: 'https://login.microsoftonline.us',
    resourceManager: 'https://management.usgovcloudapi.net',
    resourceManagerAudience: 'https://management.usgovcloudapi.net',
    storageSuffix: 'core.usgovcloudapi.net',
    oidcAudience: 'api://AzureADTokenExchangeUSGov',
    knownAuthority: true
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    authorityHost: 'https://login.chinacloudapi.cn',
    resourceManager: 'https://management.chinacloudapi.cn',
    resourceManagerAudience: 'https://management.chinacloudapi.cn',
    storageSuffix: 'core.chinacloudapi.cn',
    oidcAudience: 'api://AzureADTokenExchangeChina',
    knownAuthority: true
  }
} as const satisfies Record<string, CloudEndpoints>

export type KnownCloudName = keyof typeof KNOWN_CLOUDS

/** The config's `cloud:` value: a known cloud's name, or a custom cloud's endpoints. */
export type CloudSetting =
  | KnownCloudName
  | {
      name?: string
      'authority-host': string
      'resource-manager': string
      'resource-manager-audience'?: string
      'storage-suffix': string
      'oidc-audience'?: string
    }

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '')

export function resolveCloud(setting: CloudSetting = 'AzureCloud'): CloudEndpoints {
  if (typeof setting === 'string') return KNOWN_CLOUDS[setting]
  const resourceManager = withoutTrailingSlash(setting['resource-manager'])
  return {
    name: setting.name ?? 'custom',
    authorityHost: withoutTrailingSlash(setting['authority-host']),
    resourceManager,
    resourceManagerAudience: withoutTrailingSlash(setting['resource-manager-audience'] ?? resourceManager),
    storageSuffix: setting['storage-suffix'],
    oidcAudience: setting['oidc-audience'] ?? 'api://AzureADTokenExchange',
    knownAuthority: false
  }
}

/** The scope to ask Entra ID for when calling ARM. */
export function resourceManagerScope(cloud: CloudEndpoints): string {
  return `${cloud.resourceManagerAudience}/.default`
}
