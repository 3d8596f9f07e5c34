import type { AzureClients } from '../azure/clients.js'
import { DeployError } from '../errors.js'
import type { CdnPlan } from '../plan.js'

/** Front Door and classic CDN take at most 100 paths in one purge call. */
export const PATHS_PER_PURGE = 100
/** Past this many paths one `/*` is cheaper than many calls and purges the same. */
export const MAX_LISTED_PATHS = 500

/** What a URL path segment holds as it is (RFC 3986 `pchar`: unreserved, sub-delims, `:` and `@`). */
const PATH_CHARACTER = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/

/**
 * A blob name as the path a browser requests it by, and so the path the edge caches it under:
 * each segment percent-encoded (UTF-8) except the characters a path segment holds as they
 * are. Unencoded, `?` would start a query string (Front Door purges are query-string
 * agnostic, so `/a?b.html` purges `/a`), `#` a fragment that never reaches the edge, and a
 * space or a non-ASCII character is not a valid path (the CDN refuses the purge).
 */
function edgePath(blob: string): string {
  return `/${blob
    .split('/')
    .map(segment => [...segment].map(character => (PATH_CHARACTER.test(character) ? character : encodeURIComponent(character))).join(''))
    .join('/')}`
}

/**
 * Pure: the edge paths to purge for the blobs a deploy replaced (content or headers). New
 * blobs were never cached, so they need none. An `index.html` is also served as its folder
 * (`/` and `/docs/`), so that path goes too. `all` (or too many paths) purges everything.
 */
export function purgePaths(replacedBlobs: readonly string[], mode: 'changed' | 'all'): string[] {
  if (mode === 'all') return ['/*']
  const paths = new Set<string>()
  for (const blob of replacedBlobs) {
    const edge = edgePath(blob)
    paths.add(edge)
    if (blob === 'index.html' || blob.endsWith('/index.html')) paths.add(edge.slice(0, -'index.html'.length))
  }
  if (paths.size > MAX_LISTED_PATHS) return ['/*']
  return [...paths].sort()
}

/** Split into calls of at most 100 paths each. */
export function purgeBatches(paths: readonly string[]): string[][] {
  const batches: string[][] = []
  for (let i = 0; i < paths.length; i += PATHS_PER_PURGE) batches.push(paths.slice(i, i + PATHS_PER_PURGE))
  return batches
}

export interface PurgeReport {
  paths: string[]
  /** Front Door: the hosts purged, custom domains first, then the endpoint's own host when purged. */
  domains: string[]
  calls: number
  seconds: number
}

/** What a Front Door endpoint can purge: its own host, and the custom domains its routes link. */
export interface FrontDoorHosts {
  /** `<endpoint>-<hash>.z01.azurefd.net` */
  endpointHost: string
  /** Linked custom domains that can be purged, in route order. */
  linked: string[]
  /** Linked wildcard domains (`*.contoso.com`): only their single-level subdomains can be purged. */
  wildcards: string[]
}

/**
 * Reads which hosts a Front Door endpoint serves: its host name, its routes' custom-domain
 * links (by resource id) and the profile's custom domains (for their host names). Front Door
 * purges a domain on an endpoint only when a route links it there; other domains of the
 * profile belong to other endpoints.
 */
export async function readFrontDoorHosts(edge: CdnPlan, clients: AzureClients): Promise<FrontDoorHosts> {
  const cdn = await clients.cdn(edge.subscription)
  const [endpoint, routes, hostByName] = await Promise.all([
    cdn.afdEndpoints.get(edge.resourceGroup, edge.profile, edge.endpoint),
    collect(cdn.routes.listByEndpoint(edge.resourceGroup, edge.profile, edge.endpoint)),
    collect(cdn.afdCustomDomains.listByProfile(edge.resourceGroup, edge.profile)).then(domains => new Map(domains.map(domain => [resourceName(domain.id ?? domain.name ?? ''), domain.hostName ?? ''])))
  ])
  if (!endpoint.hostName) throw new DeployError(`the Front Door endpoint ${edge.profile}/${edge.endpoint} has no host name.`, 'Check that the endpoint is deployed (az afd endpoint show).')
  const linkedHosts = new Map<string, string>()
  for (const route of routes) {
    for (const link of route.customDomains ?? []) {
      const host = hostByName.get(resourceName(link.id ?? ''))
      if (host) linkedHosts.set(host.toLowerCase(), host)
    }
  }
  const hosts = [...linkedHosts.values()]
  return { endpointHost: endpoint.hostName, linked: hosts.filter(host => !host.startsWith('*.')), wildcards: hosts.filter(host => host.startsWith('*.')) }
}

/** Resource ids differ in case between where they are defined and where they are referenced: match by the last segment. */
const resourceName = (id: string) => id.slice(id.lastIndexOf('/') + 1).toLowerCase()

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

/**
 * Pure: the hosts a Front Door purge names. Without `requested`: every linked custom domain
 * that can be purged, then the endpoint's own host (which Front Door leaves out as soon as any
 * domain is named). With `requested` (the config's `domains`): exactly those, each checked —
 * a domain no route links to the endpoint, or a wildcard domain, is an error naming what can be
 * purged, so it is found before anything is uploaded.
 */
export function purgeDomains(edge: Pick<CdnPlan, 'profile' | 'endpoint'>, hosts: FrontDoorHosts, requested?: readonly string[]): string[] {
  if (requested === undefined || requested.length === 0) return [...hosts.linked, hosts.endpointHost]
  const purgeable = new Set([hosts.endpointHost, ...hosts.linked].map(host => host.toLowerCase()))
  const wildcards = new Set(hosts.wildcards.map(wildcard => wildcard.toLowerCase()))
  // `dev.contoso.com` is purged through `*.contoso.com`; `a.dev.contoso.com` is not (single level only).
  const isSubdomainOfWildcard = (host: string) => host.includes('.') && wildcards.has(`*.${host.slice(host.indexOf('.') + 1)}`)
  const canPurge = [...purgeable, ...hosts.wildcards.map(wildcard => `single-level subdomains of ${wildcard}`)].join(', ')
  const where = `the Front Door endpoint ${edge.profile}/${edge.endpoint}`
  for (const domain of requested) {
    const host = domain.toLowerCase()
    if (host.startsWith('*.')) {
      throw new DeployError(`frontdoor domain ${domain} is a wildcard domain, and Front Door cannot purge a wildcard domain.`, `List the subdomains of it that visitors use (such as www.${domain.slice(2)}) in the environment's frontdoor.domains instead, or leave domains out to purge every linked domain of ${where}: ${canPurge}.`)
    }
    if (!purgeable.has(host) && !isSubdomainOfWildcard(host)) {
      throw new DeployError(`frontdoor domain ${domain} is not linked to ${where}: no route of the endpoint serves it, so Front Door cannot purge it there.`, `The endpoint can purge ${canPurge}. Fix the environment's frontdoor.domains (or leave it out to purge all of them), or link ${domain} to the endpoint with a route.`)
    }
  }
  return requested.filter((domain, index) => requested.findIndex(other => other.toLowerCase() === domain.toLowerCase()) === index)
}

/**
 * For the prepare phase: the hosts a Front Door purge will name, read and checked before
 * anything is uploaded. Pass the result to `purgeEdge`.
 */
export async function frontDoorPurgeDomains(edge: CdnPlan, clients: AzureClients): Promise<string[]> {
  return purgeDomains(edge, await readFrontDoorHosts(edge, clients), edge.domains)
}

/**
 * Purge a classic CDN endpoint or a Front Door endpoint, polled to completion. A Front Door
 * purge names its hosts explicitly (see `frontDoorPurgeDomains`; read here when not given).
 */
export async function purgeEdge(edge: CdnPlan, paths: readonly string[], clients: AzureClients, now: () => number = Date.now, frontDoorDomains?: readonly string[]): Promise<PurgeReport> {
  const started = now()
  const cdn = await clients.cdn(edge.subscription)
  const batches = purgeBatches(paths)
  let domains: string[] = []
  if (edge.kind === 'frontdoor') {
    domains = frontDoorDomains ? [...frontDoorDomains] : await frontDoorPurgeDomains(edge, clients)
    await Promise.all(batches.map(contentPaths => cdn.afdEndpoints.beginPurgeContentAndWait(edge.resourceGroup, edge.profile, edge.endpoint, { contentPaths, domains })))
  } else {
    await Promise.all(batches.map(contentPaths => cdn.endpoints.beginPurgeContentAndWait(edge.resourceGroup, edge.profile, edge.endpoint, { contentPaths })))
  }
  return { paths: [...paths], domains, calls: batches.length, seconds: Math.round((now() - started) / 100) / 10 }
}
