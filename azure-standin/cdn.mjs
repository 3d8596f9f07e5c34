/**
 * Microsoft.Cdn: cache purges of classic Azure CDN endpoints and of Azure Front Door
 * Standard/Premium endpoints, and the AFD lookups a deploy needs. Routes follow the Cdn
 * specification (azure-rest-api-specs specification/cdn, api-version 2024-02-01, the default of
 * @azure/arm-cdn 9):
 *
 * | route (under /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Cdn/profiles/{p}) | operationId | answers |
 * | POST endpoints/{e}/purge `{ contentPaths }`                    | Endpoints_PurgeContent      | 202 + Azure-AsyncOperation/Location + Retry-After, then Succeeded |
 * | POST afdEndpoints/{e}/purge `{ contentPaths, domains? }`       | AFDEndpoints_PurgeContent   | 202 + Azure-AsyncOperation (+ Location) + Retry-After, then Succeeded |
 * | GET  endpoints/{e}, afdEndpoints/{e}                           | Endpoints_Get, AFDEndpoints_Get | 200 Endpoint / AFDEndpoint |
 * | GET  customDomains                                             | AFDCustomDomains_ListByProfile | 200 `{ value: AFDDomain[] }` with `properties.hostName` |
 *
 * Without `domains` an AFD purge covers only the endpoint's own `*.azurefd.net` host name.
 * A single purge takes at most 100 URLs (Front Door limits table, "URLs in a single cache
 * purge call: 100": MicrosoftDocs/azure-docs includes/front-door-limits.md, shown at
 * https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits);
 * the stand-in answers more with 400 in ARM's error shape, in its own wording.
 * Purges are recorded with their paths and domains when accepted.
 */
import { createHash } from 'node:crypto'
import { armError } from './https-server.mjs'

const PROFILE = '^/subscriptions/(?<subscription>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.Cdn/profiles/(?<profile>[^/]+)'
const MAX_AFD_PURGE_PATHS = 100

/**
 * @typedef {object} CdnEndpoint
 * @property {'cdn' | 'afd'} kind
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} profile
 * @property {string} endpoint
 * @property {string} hostName
 *
 * @typedef {object} Purge
 * @property {'cdn' | 'afd'} kind
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} profile
 * @property {string} endpoint
 * @property {string[]} contentPaths
 * @property {string[] | null} domains null when the request named none
 * @property {string} operationId
 * @property {string} status
 * @property {string} requestedAt
 * @property {string} [completedAt]
 */

/**
 * @param {object} options
 * @param {ReturnType<typeof import('./long-running.mjs').createLongRunningOperations>} options.operations
 * @param {{ has(subscription: string, resourceGroup?: string): boolean, add(subscription: string, resourceGroup: string): void }} options.groups
 * @param {() => number} options.purgeDurationMs
 */
export function createCdn({ operations, groups, purgeDurationMs }) {
  /** @type {Map<string, CdnEndpoint>} */
  const endpoints = new Map()
  /** AFD custom domains by profile key: resource name → host name. @type {Map<string, Map<string, string>>} */
  const customDomains = new Map()
  /** @type {Purge[]} */
  const purges = []

  /** @param {string[]} parts */
  const key = (...parts) => parts.join('/').toLowerCase()

  /**
   * The endpoint a route names, or the 404 ARM answers.
   * @param {Record<string, string>} params
   * @param {'cdn' | 'afd'} kind
   */
  function resolve({ subscription = '', resourceGroup = '', profile = '', endpoint = '' }, kind) {
    if (!groups.has(subscription)) throw armError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`)
    if (!groups.has(subscription, resourceGroup)) throw armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`)
    const found = endpoints.get(key(kind, subscription, resourceGroup, profile, endpoint))
    if (found === undefined) {
      const type = kind === 'afd' ? 'afdEndpoints' : 'endpoints'
      throw armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Cdn/profiles/${profile}/${type}/${endpoint}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`)
    }
    return found
  }

  /**
   * @param {CdnEndpoint} endpoint
   * @param {string} type
   */
  const endpointId = (endpoint, type) =>
    `/subscriptions/${endpoint.subscription}/resourcegroups/${endpoint.resourceGroup}/providers/Microsoft.Cdn/profiles/${endpoint.profile}/${type}/${endpoint.endpoint}`

  /**
   * Checks a purge body; answers 400 in ARM's shape when it would not be accepted.
   * @param {unknown} body
   * @param {'cdn' | 'afd'} kind
   */
  function validatePurge(body, kind) {
    const { contentPaths, domains } = /** @type {{ contentPaths?: unknown, domains?: unknown }} */ (body ?? {})
    if (!Array.isArray(contentPaths) || contentPaths.length === 0) {
      throw armError(400, 'BadRequest', 'The purge request must list at least one path in contentPaths.')
    }
    const badPath = contentPaths.find(path => typeof path !== 'string' || !path.startsWith('/'))
    if (badPath !== undefined) throw armError(400, 'BadRequest', `The content path '${String(badPath)}' is not valid: a path starts with '/', e.g. '/pictures/city.png' or '/pictures/*'.`)
    if (kind === 'afd' && contentPaths.length > MAX_AFD_PURGE_PATHS) {
      throw armError(400, 'BadRequest', `A purge request can list at most ${MAX_AFD_PURGE_PATHS} content paths; this one lists ${contentPaths.length}. Purge with a wildcard path such as '/*' instead.`)
    }
    if (domains !== undefined && (!Array.isArray(domains) || domains.some(domain => typeof domain !== 'string'))) {
      throw armError(400, 'BadRequest', 'domains must be a list of host names.')
    }
    return { contentPaths: /** @type {string[]} */ (contentPaths), domains: /** @type {string[] | undefined} */ (domains) }
  }

  /**
   * POST .../purge.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {Record<string, string>} params
   * @param {'cdn' | 'afd'} kind
   */
  function purge(request, params, kind) {
    const endpoint = resolve(params, kind)
    const { contentPaths, domains } = validatePurge(request.body, kind)
    if (kind === 'afd' && domains !== undefined) {
      const known = [endpoint.hostName, ...(customDomains.get(key(endpoint.subscription, endpoint.resourceGroup, endpoint.profile))?.values() ?? [])].map(host => host.toLowerCase())
      const unknown = domains.find(domain => !known.includes(domain.toLowerCase()))
      if (unknown !== undefined) {
        throw armError(400, 'BadRequest', `The domain '${unknown}' is neither the endpoint's host name nor a custom domain of profile '${endpoint.profile}'.`)
      }
    }
    /** @type {Purge} */
    const record = {
      kind,
      subscription: endpoint.subscription,
      resourceGroup: endpoint.resourceGroup,
      profile: endpoint.profile,
      endpoint: endpoint.endpoint,
      contentPaths: [...contentPaths],
      domains: domains === undefined ? null : [...domains],
      operationId: '',
      status: 'InProgress',
      requestedAt: new Date().toISOString()
    }
    const { operation, reply } = operations.start({
      kind: `purge ${kind} ${endpoint.profile}/${endpoint.endpoint}`,
      subscription: endpoint.subscription,
      namespace: 'Microsoft.Cdn',
      apiVersion: request.apiVersion ?? '',
      durationMs: purgeDurationMs(),
      complete: () => {
        record.status = 'Succeeded'
        record.completedAt = new Date().toISOString()
      }
    })
    record.operationId = operation.id
    purges.push(record)
    return reply
  }

  return {
    /**
     * A classic Azure CDN endpoint.
     * @param {{ subscription: string, resourceGroup: string, profile: string, endpoint: string }} options
     */
    addCdnEndpoint({ subscription, resourceGroup, profile, endpoint }) {
      groups.add(subscription, resourceGroup)
      endpoints.set(key('cdn', subscription, resourceGroup, profile, endpoint), { kind: 'cdn', subscription, resourceGroup, profile, endpoint, hostName: `${endpoint}.azureedge.net` })
    },
    /**
     * An Azure Front Door Standard/Premium endpoint and the profile's custom domains.
     * @param {{ subscription: string, resourceGroup: string, profile: string, endpoint: string, domains?: string[] }} options
     */
    addFrontDoorEndpoint({ subscription, resourceGroup, profile, endpoint, domains = [] }) {
      groups.add(subscription, resourceGroup)
      // AFD appends a hash to the endpoint's host name: <endpoint>-<hash>.z01.azurefd.net.
      const hash = createHash('sha256').update(key(subscription, resourceGroup, profile, endpoint)).digest('hex').slice(0, 16)
      endpoints.set(key('afd', subscription, resourceGroup, profile, endpoint), { kind: 'afd', subscription, resourceGroup, profile, endpoint, hostName: `${endpoint}-${hash}.z01.azurefd.net` })
      const profileKey = key(subscription, resourceGroup, profile)
      const byName = customDomains.get(profileKey) ?? new Map()
      // Custom domain resources are named after their host name with dots as dashes, as the portal does.
      for (const domain of domains) byName.set(domain.replaceAll('.', '-'), domain)
      customDomains.set(profileKey, byName)
    },
    /** Every purge so far, oldest first. */
    state() {
      return { purges: purges.map(record => ({ ...record, contentPaths: [...record.contentPaths], domains: record.domains && [...record.domains] })) }
    },
    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      /** @param {string} pattern */
      const route = pattern => new RegExp(`${PROFILE}/${pattern}$`, 'i')
      router.add('POST', route('endpoints/(?<endpoint>[^/]+)/purge'), (request, params) => purge(request, params, 'cdn'))
      router.add('POST', route('afdEndpoints/(?<endpoint>[^/]+)/purge'), (request, params) => purge(request, params, 'afd'))
      router.add('GET', route('endpoints/(?<endpoint>[^/]+)'), (request, params) => {
        const endpoint = resolve(params, 'cdn')
        return {
          status: 200,
          body: {
            id: endpointId(endpoint, 'endpoints'),
            name: endpoint.endpoint,
            type: 'Microsoft.Cdn/profiles/endpoints',
            location: 'Global',
            tags: {},
            properties: { hostName: endpoint.hostName, originHostHeader: null, isHttpAllowed: true, isHttpsAllowed: true, queryStringCachingBehavior: 'IgnoreQueryString', resourceState: 'Running', provisioningState: 'Succeeded', origins: [] }
          }
        }
      })
      router.add('GET', route('afdEndpoints/(?<endpoint>[^/]+)'), (request, params) => {
        const endpoint = resolve(params, 'afd')
        return {
          status: 200,
          body: {
            id: endpointId(endpoint, 'afdendpoints'),
            name: endpoint.endpoint,
            type: 'Microsoft.Cdn/profiles/afdendpoints',
            location: 'Global',
            tags: {},
            properties: { hostName: endpoint.hostName, enabledState: 'Enabled', provisioningState: 'Succeeded', deploymentStatus: 'Succeeded', profileName: endpoint.profile, autoGeneratedDomainNameLabelScope: 'TenantReuse' }
          }
        }
      })
      router.add('GET', route('customDomains'), (request, { subscription = '', resourceGroup = '', profile = '' }) => {
        if (!groups.has(subscription)) throw armError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`)
        if (!groups.has(subscription, resourceGroup)) throw armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`)
        const byName = customDomains.get(key(subscription, resourceGroup, profile))
        if (byName === undefined) {
          throw armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Cdn/profiles/${profile}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`)
        }
        const value = [...byName].map(([name, hostName]) => ({
          id: `/subscriptions/${subscription}/resourcegroups/${resourceGroup}/providers/Microsoft.Cdn/profiles/${profile}/customdomains/${name}`,
          name,
          type: 'Microsoft.Cdn/profiles/customdomains',
          properties: {
            hostName,
            profileName: profile,
            domainValidationState: 'Approved',
            deploymentStatus: 'Succeeded',
            provisioningState: 'Succeeded',
            tlsSettings: { certificateType: 'ManagedCertificate', minimumTlsVersion: 'TLS12' }
          }
        }))
        return { status: 200, body: { value } }
      })
    }
  }
}
