/**
 * The CDN purge: which edge paths a deploy purges (pure), how they are split into calls, which
 * hosts a Front Door purge names (the endpoint's route-linked domains and its own host, or the
 * config's domains checked against them), and the calls themselves, made in-process through the
 * real @azure/arm-cdn client against the Azure stand-in, signed in with a client secret, and
 * polled until the stand-in reports the purge done. The stand-in purges only what Front Door
 * does: domains linked to the endpoint by its routes, never a wildcard domain.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { createAzureClients, type AzureClients } from '../src/azure/clients.js'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { DeployError } from '../src/errors.js'
import { thrownBy } from '../__fixtures__/errors.js'
import { frontDoorPurgeDomains, MAX_LISTED_PATHS, PATHS_PER_PURGE, purgeBatches, purgeDomains, purgeEdge, purgePaths, readFrontDoorHosts, type FrontDoorHosts } from '../src/frontend/purge.js'
import type { CdnPlan } from '../src/plan.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Purge = ReturnType<Standin['state']>['purges'][number]

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const CLIENT = '3c4d5e6f-7081-4a9b-8c0d-2e3f4a5b6c7d'
const SECRET = 'purge~Secret.0123456789'
const DOMAINS = ['www.example.com', 'example.com']
const API_DOMAIN = 'api.example.com'
const WILDCARD = '*.preview.example.com'
const PURGE_MS = 400

let standin: Standin
const contract = useAzureContract()
let clients: AzureClients
/** The endpoints' own *.azurefd.net host names. */
let webHost: string
let apiHost: string
let bareHost: string

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
  const cloud = resolveCloud(standin.cloudSetting)
  const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
  clients = createAzureClients(credential, cloud)
  // One profile, two endpoints, each with its own domains; a wildcard domain on a second route of
  // web-prod; a domain of the profile that no route links.
  webHost = standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-prod', endpoint: 'web-prod', domains: DOMAINS })
  apiHost = standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-prod', endpoint: 'api-prod', domains: [API_DOMAIN] })
  standin.addFrontDoorRoute({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-prod', endpoint: 'web-prod', route: 'previews', domains: [WILDCARD], linkToDefaultDomain: false })
  standin.addFrontDoorCustomDomain({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-prod', hostName: 'old.example.com' })
  bareHost = standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-bare', endpoint: 'web-bare' })
  standin.addCdnEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'cdn-classic', endpoint: 'static-site' })
  // Long enough that a purge not polled to completion would still read InProgress.
  standin.setPurgeDuration(PURGE_MS)
}, 30_000)

afterAll(async () => {
  await standin?.close()
})

const range = (count: number, name: (index: number) => string) => Array.from({ length: count }, (_, index) => name(index))

describe('purgePaths: what a deploy purges', () => {
  test.each<[string, string[], 'changed' | 'all', string[]]>([
    ['nothing replaced: nothing to purge', [], 'changed', []],
    ['a page', ['about.html'], 'changed', ['/about.html']],
    ['the root index.html is also served as /', ['index.html'], 'changed', ['/', '/index.html']],
    ['a folder index.html is also served as its folder', ['docs/index.html'], 'changed', ['/docs/', '/docs/index.html']],
    ['a name that only ends in index.html is not a folder index', ['myindex.html', 'docs/oldindex.html'], 'changed', ['/docs/oldindex.html', '/myindex.html']],
    ['sorted, each path once', ['static/js/b.js', 'index.html', 'robots.txt', 'static/js/b.js'], 'changed', ['/', '/index.html', '/robots.txt', '/static/js/b.js']],
    ['a space and non-ASCII: percent-encoded UTF-8, as a browser requests them', ['docs/café menu.html'], 'changed', ['/docs/caf%C3%A9%20menu.html']],
    ['? and # are encoded: unencoded they would start a query string or a fragment', ['q?x.html', 'h#1.html'], 'changed', ['/h%231.html', '/q%3Fx.html']],
    ['a % is encoded, so the path names the blob and not an escape', ['100%.html', 'a%20b.txt'], 'changed', ['/100%25.html', '/a%2520b.txt']],
    ['characters no URL path holds are encoded', ['a"b<c>d`e{f}g|h\\i^j[k]l.txt'], 'changed', ['/a%22b%3Cc%3Ed%60e%7Bf%7Dg%7Ch%5Ci%5Ej%5Bk%5Dl.txt']],
    ['what a path segment holds stays as it is (RFC 3986 pchar)', ["a+b,c;d=e@f:g$h&i'(j)!~*_-.txt"], 'changed', ["/a+b,c;d=e@f:g$h&i'(j)!~*_-.txt"]],
    ['characters beyond the BMP: their four UTF-8 bytes', ['img/🙂.png'], 'changed', ['/img/%F0%9F%99%82.png']],
    ['a folder index.html with an encoded folder name is also served as that folder', ['über uns/index.html'], 'changed', ['/%C3%BCber%20uns/', '/%C3%BCber%20uns/index.html']],
    ["'all': everything, whatever changed", ['about.html'], 'all', ['/*']],
    ["'all' with nothing replaced still purges everything", [], 'all', ['/*']]
  ])('%s', (_name, replaced, mode, expected) => {
    expect(purgePaths(replaced, mode)).toEqual(expected)
  })

  test(`up to ${MAX_LISTED_PATHS} paths are listed; one more and it is /*`, () => {
    const exactly = range(MAX_LISTED_PATHS, index => `static/media/f${String(index).padStart(3, '0')}.png`)
    expect(purgePaths(exactly, 'changed')).toHaveLength(MAX_LISTED_PATHS)
    expect(purgePaths([...exactly, 'static/media/one-more.png'], 'changed')).toEqual(['/*'])
    // Folder indexes count twice: 250 of them are 500 paths, 251 are 502.
    const indexes = (count: number) => range(count, index => `d${index}/index.html`)
    expect(purgePaths(indexes(250), 'changed')).toHaveLength(500)
    expect(purgePaths(indexes(251), 'changed')).toEqual(['/*'])
  })
})

describe('purgeBatches: at most 100 paths a call', () => {
  test.each([
    [0, []],
    [1, [1]],
    [100, [100]],
    [101, [100, 1]],
    [150, [100, 50]],
    [500, [100, 100, 100, 100, 100]]
  ])('%i paths → calls of %j', (count, sizes) => {
    const paths = range(count, index => `/p${index}`)
    const batches = purgeBatches(paths)
    expect(batches.map(batch => batch.length)).toEqual(sizes)
    // In order, every path exactly once.
    expect(batches.flat()).toEqual(paths)
  })

  test('the limit is the one Front Door documents', () => {
    expect(PATHS_PER_PURGE).toBe(100)
  })
})

describe('purgeEdge against the stand-in, through @azure/arm-cdn', () => {
  const frontDoor: CdnPlan = { kind: 'frontdoor', subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-prod', endpoint: 'web-prod' }
  const purgesOf = (profile: string, since: number): Purge[] => standin.state().purges.filter(purge => purge.profile === profile).slice(since)
  const countOf = (profile: string) => standin.state().purges.filter(purge => purge.profile === profile).length
  /** The stand-in's record of the calls since `mark` whose path matches. */
  const callsSince = (mark: number, pattern: RegExp) => standin.calls.slice(mark).filter(call => pattern.test(call.path))

  test("Front Door, 150 paths, no domains in the config: 2 calls (100 + 50), each naming the endpoint's linked domains and its own host, polled to completion", async () => {
    const paths = range(150, index => `/static/js/chunk-${String(index).padStart(3, '0')}.js`)
    const before = countOf('afd-prod')
    const mark = standin.calls.length
    const started = Date.now()
    const report = await purgeEdge(frontDoor, paths, clients)
    const resolvedAt = Date.now()

    // Not api.example.com (the other endpoint's), not the wildcard (unpurgeable), not old.example.com (no route).
    expect(report).toEqual({ paths, domains: [...DOMAINS, webHost], calls: 2, seconds: expect.any(Number) })
    expect(report.seconds).toBeGreaterThanOrEqual(PURGE_MS / 1000)
    const purges = purgesOf('afd-prod', before)
    expect(purges).toHaveLength(2)
    // The two calls run at once: match them by their paths, not their order.
    const bySize = [...purges].sort((a, b) => b.contentPaths.length - a.contentPaths.length)
    expect(bySize.map(purge => purge.contentPaths)).toEqual([paths.slice(0, 100), paths.slice(100)])
    for (const purge of purges) {
      expect(purge).toMatchObject({ kind: 'afd', subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', endpoint: 'web-prod', domains: [...DOMAINS, webHost], hosts: [...DOMAINS, webHost], status: 'Succeeded' })
      // Done on the stand-in before purgeEdge returned, and not before the purge's run time.
      const completedAt = Date.parse(purge.completedAt!)
      expect(completedAt).toBeGreaterThanOrEqual(started)
      expect(completedAt).toBeLessThanOrEqual(resolvedAt)
      expect(completedAt - Date.parse(purge.requestedAt)).toBeGreaterThanOrEqual(PURGE_MS - 50)
      expect(standin.state().operations.find(operation => operation.id === purge.operationId)?.status).toBe('Succeeded')
    }

    // What the stand-in saw: the endpoint, its routes and the profile's domains read once, two purge POSTs, each polled.
    for (const read of [/\/afdEndpoints\/web-prod$/i, /\/afdEndpoints\/web-prod\/routes$/i, /\/profiles\/afd-prod\/customDomains$/i]) {
      expect(callsSince(mark, read).map(call => [call.method, call.status])).toEqual([['GET', 200]])
    }
    const posts = callsSince(mark, /\/afdEndpoints\/web-prod\/purge$/i)
    expect(posts.map(call => [call.method, call.status, call.principal, call.apiVersion])).toEqual([
      ['POST', 202, CLIENT, '2024-02-01'],
      ['POST', 202, CLIENT, '2024-02-01']
    ])
    expect(callsSince(mark, /operation/i).length).toBeGreaterThanOrEqual(2)
  }, 20_000)

  test('Front Door with domains in the config: checked in the prepare phase, then exactly those are purged, with no second lookup', async () => {
    const edge = { ...frontDoor, domains: ['www.example.com'] }
    const domains = await frontDoorPurgeDomains(edge, clients)
    expect(domains).toEqual(['www.example.com'])
    const before = countOf('afd-prod')
    const mark = standin.calls.length
    const report = await purgeEdge(edge, ['/', '/index.html'], clients, Date.now, domains)
    expect(report).toMatchObject({ domains: ['www.example.com'], calls: 1 })
    // Named domains only: the endpoint's own host is not purged, as on Front Door.
    expect(purgesOf('afd-prod', before)).toEqual([expect.objectContaining({ contentPaths: ['/', '/index.html'], domains: ['www.example.com'], hosts: ['www.example.com'], status: 'Succeeded' })])
    expect(callsSince(mark, /customDomains$|\/routes$|\/afdEndpoints\/web-prod$/i)).toEqual([])
  }, 20_000)

  test('the other endpoint of the profile purges its own domain and host, not web-prod’s', async () => {
    const before = countOf('afd-prod')
    const report = await purgeEdge({ ...frontDoor, endpoint: 'api-prod' }, ['/openapi.json'], clients)
    expect(report.domains).toEqual([API_DOMAIN, apiHost])
    expect(purgesOf('afd-prod', before)).toEqual([expect.objectContaining({ endpoint: 'api-prod', hosts: [API_DOMAIN, apiHost], status: 'Succeeded' })])
  }, 20_000)

  test('a config domain linked to another endpoint: refused before any purge, naming what the endpoint can purge', async () => {
    const before = countOf('afd-prod')
    const error = await frontDoorPurgeDomains({ ...frontDoor, domains: ['www.example.com', API_DOMAIN] }, clients).then(() => undefined, (thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DeployError)
    expect((error as DeployError).message).toBe('frontdoor domain api.example.com is not linked to the Front Door endpoint afd-prod/web-prod: no route of the endpoint serves it, so Front Door cannot purge it there.')
    expect((error as DeployError).hint).toContain(`The endpoint can purge ${webHost}, www.example.com, example.com, single-level subdomains of ${WILDCARD}.`)
    await expect(purgeEdge({ ...frontDoor, domains: [API_DOMAIN] }, ['/'], clients)).rejects.toThrow(/not linked/)
    expect(countOf('afd-prod')).toBe(before)
  }, 20_000)

  test('a wildcard domain cannot be purged; a single-level subdomain of it can', async () => {
    await expect(frontDoorPurgeDomains({ ...frontDoor, domains: [WILDCARD] }, clients)).rejects.toThrow('frontdoor domain *.preview.example.com is a wildcard domain, and Front Door cannot purge a wildcard domain.')
    await expect(frontDoorPurgeDomains({ ...frontDoor, domains: ['a.pr-12.preview.example.com'] }, clients)).rejects.toThrow(/not linked/)
    const before = countOf('afd-prod')
    const report = await purgeEdge({ ...frontDoor, domains: ['pr-12.preview.example.com'] }, ['/index.html'], clients)
    expect(report.domains).toEqual(['pr-12.preview.example.com'])
    expect(purgesOf('afd-prod', before)).toEqual([expect.objectContaining({ hosts: ['pr-12.preview.example.com'], status: 'Succeeded' })])
  }, 20_000)

  test('Front Door endpoint without custom domains: its own host, named', async () => {
    const before = countOf('afd-bare')
    const report = await purgeEdge({ ...frontDoor, profile: 'afd-bare', endpoint: 'web-bare' }, ['/*'], clients)
    expect(report).toMatchObject({ paths: ['/*'], domains: [bareHost], calls: 1 })
    expect(purgesOf('afd-bare', before)).toEqual([expect.objectContaining({ kind: 'afd', endpoint: 'web-bare', contentPaths: ['/*'], domains: [bareHost], hosts: [bareHost], status: 'Succeeded' })])
  }, 20_000)

  test('readFrontDoorHosts: the endpoint host, linked domains in route order, wildcards apart', async () => {
    expect(await readFrontDoorHosts(frontDoor, clients)).toEqual({ endpointHost: webHost, linked: DOMAINS, wildcards: [WILDCARD] })
  }, 20_000)

  test('classic CDN endpoint: one call, no domains, polled to completion', async () => {
    const before = countOf('cdn-classic')
    const mark = standin.calls.length
    const report = await purgeEdge({ kind: 'cdn', subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'cdn-classic', endpoint: 'static-site' }, ['/', '/index.html'], clients)
    const resolvedAt = Date.now()
    expect(report).toEqual({ paths: ['/', '/index.html'], domains: [], calls: 1, seconds: expect.any(Number) })
    const [purge, ...more] = purgesOf('cdn-classic', before)
    expect(more).toEqual([])
    expect(purge).toMatchObject({ kind: 'cdn', endpoint: 'static-site', contentPaths: ['/', '/index.html'], domains: null, status: 'Succeeded' })
    expect(Date.parse(purge!.completedAt!)).toBeLessThanOrEqual(resolvedAt)
    expect(callsSince(mark, /\/endpoints\/static-site\/purge$/i).map(call => [call.method, call.status, call.principal])).toEqual([['POST', 202, CLIENT]])
  }, 20_000)

  test('an endpoint that does not exist: the purge fails with ARM’s 404', async () => {
    await expect(purgeEdge({ ...frontDoor, endpoint: 'no-such-endpoint', domains: ['www.example.com'] }, ['/'], clients)).rejects.toThrow(/no-such-endpoint.*was not found/)
  }, 20_000)
})

describe('purgeDomains: which hosts a Front Door purge names (pure)', () => {
  const hosts: FrontDoorHosts = { endpointHost: 'web-0123.z01.azurefd.net', linked: ['www.example.com', 'example.com'], wildcards: ['*.preview.example.com'] }
  const edge = { profile: 'afd', endpoint: 'web' }

  test.each<[string, string[] | undefined, string[]]>([
    ['no config domains: every linked one, then the endpoint host', undefined, ['www.example.com', 'example.com', 'web-0123.z01.azurefd.net']],
    ['an empty list counts as none', [], ['www.example.com', 'example.com', 'web-0123.z01.azurefd.net']],
    ['config domains: exactly those, each once, in their order', ['example.com', 'WWW.example.com', 'www.example.com'], ['example.com', 'WWW.example.com']],
    ['the endpoint host may be named', ['web-0123.z01.azurefd.net'], ['web-0123.z01.azurefd.net']],
    ['a single-level subdomain of a linked wildcard', ['pr-1.preview.example.com'], ['pr-1.preview.example.com']]
  ])('%s', (_name, requested, expected) => {
    expect(purgeDomains(edge, hosts, requested)).toEqual(expected)
  })

  test.each<[string, string, RegExp]>([
    ['a domain no route links', 'old.example.com', /old\.example\.com is not linked to the Front Door endpoint afd\/web/],
    ['a wildcard domain, even a linked one', '*.preview.example.com', /is a wildcard domain/],
    ['two levels below a wildcard', 'a.b.preview.example.com', /not linked/],
    ['the wildcard’s own apex', 'preview.example.com', /not linked/]
  ])('%s → DeployError', (_name, domain, message) => {
    const error = thrownBy(DeployError, () => purgeDomains(edge, hosts, ['www.example.com', domain]))
    expect(error.message).toMatch(message)
    expect(error.hint).toMatch(/web-0123\.z01\.azurefd\.net, www\.example\.com, example\.com, single-level subdomains of \*\.preview\.example\.com/)
  })
})

describe('the stand-in’s Front Door routes and purges, through @azure/arm-cdn', () => {
  const cdn = () => clients.cdn(SUBSCRIPTION)
  const purgeWith = async (endpoint: string, domains?: string[]) => (await cdn()).afdEndpoints.beginPurgeContentAndWait('rg-edge', 'afd-prod', endpoint, { contentPaths: ['/index.html'], ...(domains ? { domains } : {}) })

  test('routes link the profile’s custom domains to their endpoint', async () => {
    const routes = []
    for await (const route of (await cdn()).routes.listByEndpoint('rg-edge', 'afd-prod', 'web-prod')) routes.push(route)
    expect(routes.map(route => [route.name, route.linkToDefaultDomain, route.customDomains?.map(link => link.id?.split('/').pop())])).toEqual([
      ['web-prod-route', 'Enabled', ['www-example-com', 'example-com']],
      ['previews', 'Disabled', ['wildcard-preview-example-com']]
    ])
    expect(await (await cdn()).routes.get('rg-edge', 'afd-prod', 'api-prod', 'api-prod-route')).toMatchObject({ endpointName: 'api-prod', customDomains: [{ id: expect.stringMatching(/\/customDomains\/api-example-com$/), isActive: true }] })
  })

  test('without domains only the endpoint’s own host is purged', async () => {
    const before = standin.state().purges.length
    await purgeWith('web-prod')
    expect(standin.state().purges.slice(before)).toEqual([expect.objectContaining({ domains: null, hosts: [webHost] })])
  })

  test.each<[string, string[], RegExp]>([
    ['a domain of the profile linked to another endpoint', [API_DOMAIN], /'api\.example\.com' is not associated with the endpoint 'web-prod'/],
    ['a domain of the profile that no route links', ['old.example.com'], /not associated with the endpoint/],
    ['a wildcard domain', [WILDCARD], /wildcard domains is not supported/]
  ])('%s → 400 BadRequest', async (_name, domains, message) => {
    await expect(purgeWith('web-prod', domains)).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest', message: expect.stringMatching(message) })
  })
})
