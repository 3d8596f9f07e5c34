/**
 * The REST contract check itself: it holds the operations of the SDKs installed, and it
 * catches a request body and an answer that leave the contract, sent on purpose through the
 * stand-in (raw requests; answers forced with the stand-in's fault injection, read by the
 * real SDKs).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createRequire } from 'node:module'
import tls from 'node:tls'
import { ClientSecretCredential } from '@azure/identity'
import { WebSiteManagementClient } from '@azure/arm-appservice'
import { CdnManagementClient } from '@azure/arm-cdn'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { loadAzureContract, type AzureContract } from '../scripts/lib/azure-contract/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'

const SUBSCRIPTION = '3c0e5a2b-7d4f-4b1a-8e6c-2f3a4b5c6d7e'
const RESOURCE_GROUP = 'rg-contract'
const CLIENT_ID = '6e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b'
const CLIENT_SECRET = 'contract~Secret.ForStandinTests-0123456789'
const SITE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Web/sites/api`
const AFD = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Cdn/profiles/fd/afdEndpoints/web`

const contract = useAzureContract()
let standin: Awaited<ReturnType<typeof startAzureStandin>>
let loaded: AzureContract
const defaultCaCertificates = tls.getCACertificates('default')

beforeAll(async () => {
  loaded = await loadAzureContract()
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'api', slots: ['staging'], image: '127.0.0.1:5000/estate/api:v1' })
  standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, profile: 'fd', endpoint: 'web', domains: ['www.example.com'] })
})

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
})

const credential = () => new ClientSecretCredential(standin.tenantId, CLIENT_ID, CLIENT_SECRET, { authorityHost: standin.url, disableInstanceDiscovery: true })
const scope = () => `${standin.cloud.resourceManagerAudience}/.default`
const webSites = () => new WebSiteManagementClient(credential(), SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentials: { scopes: [scope()] } })
const cdn = () => new CdnManagementClient(credential(), SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentialScopes: [scope()] })

/** A raw ARM request, as a client that does not use the SDK would send it. */
async function armRequest(method: string, path: string, apiVersion: string, body?: unknown): Promise<number> {
  const { token } = (await credential().getToken(scope())) ?? { token: '' }
  const response = await fetch(`${standin.url}${path}?api-version=${apiVersion}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  await response.arrayBuffer()
  return response.status
}

describe('the contract, read from the installed SDKs', () => {
  test('holds Microsoft.Web from @azure/arm-appservice 19 and Microsoft.Cdn from @azure/arm-cdn 9, at their API versions', () => {
    const bySource = Object.fromEntries(loaded.sources.map(source => [source.provider, source]))
    expect(bySource['Microsoft.Web']).toMatchObject({ packageName: '@azure/arm-appservice', version: expect.stringMatching(/^19\./) })
    expect(bySource['Microsoft.Web']?.operations).toBeGreaterThan(400)
    expect(bySource['Microsoft.Cdn']).toMatchObject({ packageName: '@azure/arm-cdn', version: expect.stringMatching(/^9\./) })
    expect(bySource['Microsoft.Cdn']?.operations).toBeGreaterThan(50)
    const swap = loaded.check({ method: 'POST', path: `${SITE}/slotsswap`, query: { 'api-version': '2024-04-01' }, requestBody: '{"targetSlot":"production"}', status: 202, responseHeaders: {}, responseBody: undefined })
    expect(swap.operation).toBe('Microsoft.Web webApps.swapSlotWithProduction')
    expect(swap.violations).toEqual([
      "request: api-version is '2024-04-01', the contract's is '2025-05-01'",
      'answer: a long-running operation answered 202 without Azure-AsyncOperation, Operation-Location or Location'
    ])
    const purge = loaded.check({ method: 'POST', path: `${AFD}/purge`, query: { 'api-version': '2024-02-01' }, requestBody: '{"contentPaths":["/*"]}', status: 204, responseHeaders: {}, responseBody: undefined })
    expect(purge).toMatchObject({ operation: 'Microsoft.Cdn afdEndpoints.beginPurgeContent', violations: [] })
  })

  test('Microsoft.ContainerInstance is checked from @azure/arm-containerinstance when installed, and refused as uncovered when not', () => {
    const exchange = {
      method: 'GET',
      path: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerInstance/containerGroups/release/containers/release/logs`,
      query: { 'api-version': '2023-05-01' },
      requestBody: '',
      status: 200,
      responseHeaders: {},
      responseBody: { content: 'migrated' }
    }
    let installed = true
    try {
      createRequire(import.meta.url).resolve('@azure/arm-containerinstance')
    } catch {
      installed = false
    }
    const result = loaded.check(exchange)
    if (installed) {
      expect(result).toMatchObject({ operation: 'Microsoft.ContainerInstance containers.listLogs', violations: [] })
      expect(loaded.check({ ...exchange, responseBody: { content: 42 } }).violations).toEqual(['answer: response body.content must be a string, got number 42'])
    } else {
      expect(result.violations).toEqual([`GET ${exchange.path}: the contract of Microsoft.ContainerInstance is not loaded (@azure/arm-containerinstance is not installed)`])
    }
  })

  test('non-ARM routes (Entra ID, GitHub) are out of scope', () => {
    expect(loaded.check({ method: 'POST', path: '/tenant/oauth2/v2.0/token', query: {}, requestBody: 'grant_type=client_credentials', status: 200, responseHeaders: {}, responseBody: {} }).scope).toBe('out-of-scope')
  })
})

describe('exchanges through the stand-in', () => {
  test('what the SDKs send and the stand-in answers fits: get, configuration, a swap polled to completion, a purge', async () => {
    const web = webSites()
    await web.webApps.get(RESOURCE_GROUP, 'api')
    await web.webApps.updateConfiguration(RESOURCE_GROUP, 'api', { linuxFxVersion: 'DOCKER|127.0.0.1:5000/estate/api:v2' })
    await web.webApps.swapSlotWithProduction(RESOURCE_GROUP, 'api', { targetSlot: 'staging', preserveVnet: true }, { updateIntervalInMs: 50 })
    await cdn().afdEndpoints.beginPurgeContentAndWait(RESOURCE_GROUP, 'fd', 'web', { contentPaths: ['/index.html'], domains: ['www.example.com'] }, { updateIntervalInMs: 50 })
    const stats = await contract.stats()
    expect(stats.operations.get('Microsoft.Web webApps.swapSlotWithProduction')).toBe(1)
    expect(stats.operations.get('Microsoft.Cdn afdEndpoints.beginPurgeContent')).toBe(1)
    expect(stats.polls).toBeGreaterThanOrEqual(2)
    expect(stats.violations).toBe(0)
  })

  test('a broken request body is caught: a misspelt site-config property, a purge without contentPaths and with domains as text', async () => {
    const { violations } = await contract.outsideContract(async () => {
      expect(await armRequest('PATCH', `${SITE}/config/web`, '2025-05-01', { properties: { linuxFxVerison: 'DOCKER|127.0.0.1:5000/estate/api:v3' } })).toBe(200)
      // The stand-in refuses it too (400); the contract check names what is wrong.
      expect(await armRequest('POST', `${AFD}/purge`, '2024-02-01', { contentPath: ['/index.html'], domains: 'www.example.com' })).toBe(400)
    })
    expect(violations).toEqual([
      `PATCH ${SITE}/config/web → 200: request: request body.properties.linuxFxVerison is not a property of the model`,
      `POST ${AFD}/purge → 400: request: request body.contentPaths is required`,
      `POST ${AFD}/purge → 400: request: request body.domains must be an array, got string "www.example.com"`,
      `POST ${AFD}/purge → 400: request: request body.contentPath is not a property of the model`
    ])
  })

  test('a request no operation answers is caught: wrong method, wrong api-version', async () => {
    const { violations } = await contract.outsideContract(async () => {
      await armRequest('DELETE', `${SITE}/config/web`, '2025-05-01')
      await armRequest('GET', SITE, '2023-01-01')
    })
    expect(violations).toEqual([
      `DELETE ${SITE}/config/web → 405: DELETE ${SITE}/config/web: no Microsoft.Web operation of @azure/arm-appservice 19.0.0 is DELETE on this path`,
      `GET ${SITE} → 200: request: api-version is '2023-01-01', the contract's is '2025-05-01'`
    ])
  })

  test('a broken answer is caught: a site config whose list is text, an endpoint whose host name is a number, a swap without polling headers, an error without its code', async () => {
    const web = webSites()
    standin.faults.fail({ method: 'GET', path: /\/sites\/api\/config\/web$/, status: 200, body: { id: `${SITE}/config/web`, properties: { ipSecurityRestrictions: 'Allow all' } } })
    standin.faults.fail({ method: 'GET', path: /\/afdEndpoints\/web$/, status: 200, body: { id: AFD, name: 'web', properties: { hostName: 42, enabledState: 'Enabled' } } })
    standin.faults.fail({ method: 'POST', path: /\/sites\/api\/slotsswap$/, status: 202, body: '', retryAfterSeconds: 0 })
    standin.faults.fail({ method: 'GET', path: /\/sites\/api$/, status: 500, body: { message: 'no code' } })
    const { violations } = await contract.outsideContract(async () => {
      // The SDK itself breaks on it ("result.map is not a function"): the check says why.
      await expect(web.webApps.getConfiguration(RESOURCE_GROUP, 'api')).rejects.toThrow(TypeError)
      await cdn().afdEndpoints.get(RESOURCE_GROUP, 'fd', 'web')
      // Without a polling header the SDK has nothing to poll: it takes the 202 as the end.
      await web.webApps.swapSlotWithProduction(RESOURCE_GROUP, 'api', { targetSlot: 'staging', preserveVnet: true }, { updateIntervalInMs: 50 }).catch(() => undefined)
      await web.webApps.get(RESOURCE_GROUP, 'api', { requestOptions: {} }).catch(() => undefined)
    })
    expect(violations).toEqual(
      expect.arrayContaining([
        `GET ${SITE}/config/web → 200: answer: response body.properties.ipSecurityRestrictions must be an array, got string "Allow all"`,
        `GET ${AFD} → 200: answer: response body.properties.hostName must be a string, got number 42`,
        `POST ${SITE}/slotsswap → 202: answer: a long-running operation answered 202 without Azure-AsyncOperation, Operation-Location or Location`,
        `GET ${SITE} → 500: answer: error body must be \`{ error: { code, message } }\``
      ])
    )
    expect(standin.faults.pending()).toEqual([])
  })

  test('an answer with a status the operation does not declare is caught', async () => {
    standin.faults.fail({ method: 'GET', path: /\/sites\/api\/config\/web$/, status: 204, body: '' })
    const { violations } = await contract.outsideContract(() => webSites().webApps.getConfiguration(RESOURCE_GROUP, 'api').catch(error => error))
    expect(violations).toEqual([`GET ${SITE}/config/web → 204: answer: status 204 is not one the operation answers (200, or an error)`])
  })
})
