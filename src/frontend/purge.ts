import type { AzureClients } from '../azure/clients.js'
import type { CdnPlan } from '../plan.js'

/** Front Door and classic CDN take at most 100 paths in one purge call. */
export const PATHS_PER_PURGE = 100
/** Past this many paths one `/*` is cheaper than many calls and purges the same. */
export const MAX_LISTED_PATHS = 500

/**
 * Pure: the edge paths to purge for the blobs a deploy replaced (content or headers). New
 * blobs were never cached, so they need none. An `index.html` is also served as its folder
 * (`/` and `/docs/`), so that path goes too. `all` (or too many paths) purges everything.
 */
export function purgePaths(replacedBlobs: readonly string[], mode: 'changed' | 'all'): string[] {
  if (mode === 'all') return ['/*']
  const paths = new Set<string>()
  for (const blob of replacedBlobs) {
    paths.add(`/${blob}`)
    if (blob === 'index.html' || blob.endsWith('/index.html')) paths.add(`/${blob.slice(0, -'index.html'.length)}`)
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
  /** Custom domains purged with the endpoint's own host (Front Door). */
  domains: string[]
  calls: number
  seconds: number
}

/**
 * Purge a classic CDN endpoint or a Front Door endpoint, polled to completion. Front Door
 * purges only its *.azurefd.net host unless told the custom domains: they come from the
 * config, else from the profile's custom domains.
 */
export async function purgeEdge(edge: CdnPlan, paths: readonly string[], clients: AzureClients, now: () => number = Date.now): Promise<PurgeReport> {
  const started = now()
  const cdn = clients.cdn(edge.subscription)
  const batches = purgeBatches(paths)
  let domains: string[] = []
  if (edge.kind === 'frontdoor') {
    domains = edge.domains ?? []
    if (domains.length === 0) {
      for await (const domain of cdn.afdCustomDomains.listByProfile(edge.resourceGroup, edge.profile)) if (domain.hostName) domains.push(domain.hostName)
    }
    await Promise.all(batches.map(contentPaths => cdn.afdEndpoints.beginPurgeContentAndWait(edge.resourceGroup, edge.profile, edge.endpoint, { contentPaths, ...(domains.length ? { domains } : {}) })))
  } else {
    await Promise.all(batches.map(contentPaths => cdn.endpoints.beginPurgeContentAndWait(edge.resourceGroup, edge.profile, edge.endpoint, { contentPaths })))
  }
  return { paths: [...paths], domains, calls: batches.length, seconds: Math.round((now() - started) / 100) / 10 }
}
