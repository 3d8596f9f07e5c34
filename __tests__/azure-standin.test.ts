/**
 * The Azure stand-in, driven only through the real SDKs (@azure/identity, @azure/arm-appservice,
 * @azure/arm-cdn) over real HTTPS, trusting the stand-in's CA the way a client would. Web Apps
 * run simulated containers here (`containers: 'none'`); a Docker-backed test runs real ones.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { ClientAssertionCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity'
import { WebSiteManagementClient } from '@azure/arm-appservice'
import { CdnManagementClient } from '@azure/arm-cdn'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const SUBSCRIPTION = '5a1e0c7b-2d3f-4e8a-9b6c-0d1e2f3a4b5c'
const RESOURCE_GROUP = 'rg-estate-prod'
const CLIENT_ID = '0b6c3e1d-4f2a-4c8e-a9d7-5e6f7a8b9c0d'
const CLIENT_SECRET = 'client~Secret.ForStandinTests-0123456789'
const PROD_SUBJECT = 'repo:octo-org/estate:environment:prod'
const REGISTRY = '127.0.0.1:5000/estate/api'

let standin: Standin
const contract = useAzureContract()
const defaultCaCertificates = tls.getCACertificates('default')

beforeAll(async () => {
  // A simulated container takes 300 ms to answer: ample time to see the old one still serving.
  standin = await startAzureStandin({ containers: 'none', simulatedStartDelayMs: 300, onExchange: contract.onExchange })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, federatedCredentials: [{ subject: PROD_SUBJECT }] })
  await Promise.all([
    standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'api-west', image: `${REGISTRY}:v1`, healthCheckPath: '/healthz' }),
    standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'api-swap', slots: ['staging'], image: `${REGISTRY}:v1`, healthCheckPath: '/healthz' }),
    standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'api-slots', slots: ['blue', 'green'], image: `${REGISTRY}:v1` }),
    standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'api-serving', image: `${REGISTRY}:v1`, healthCheckPath: '/healthz' })
  ])
  standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, profile: 'fd-estate', endpoint: 'web', domains: ['www.example.com', 'example.com'] })
  standin.addCdnEndpoint({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, profile: 'cdn-estate', endpoint: 'static' })
})

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
})

function secretCredential(): TokenCredential {
  return new ClientSecretCredential(standin.tenantId, CLIENT_ID, CLIENT_SECRET, { authorityHost: standin.url, disableInstanceDiscovery: true })
}

/** As @actions/core's getIDToken does: GET <request URL>&audience=..., with the runtime bearer. */
async function githubIdToken(audience = 'api://AzureADTokenExchange'): Promise<string> {
  const response = await fetch(`${standin.githubOidc.requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { Authorization: `Bearer ${standin.githubOidc.requestToken}`, Accept: 'application/json' }
  })
  expect(response.status).toBe(200)
  const { value } = (await response.json()) as { value: string }
  return value
}

function assertionCredential(): TokenCredential {
  return new ClientAssertionCredential(standin.tenantId, CLIENT_ID, () => githubIdToken(), { authorityHost: standin.url, disableInstanceDiscovery: true })
}

function webSites(credential: TokenCredential = secretCredential(), scope = `${standin.cloud.resourceManagerAudience}/.default`) {
  return new WebSiteManagementClient(credential, SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentials: { scopes: [scope] } })
}

function cdnClient() {
  return new CdnManagementClient(secretCredential(), SUBSCRIPTION, {
    endpoint: standin.cloud.resourceManager,
    credentialScopes: [`${standin.cloud.resourceManagerAudience}/.default`]
  })
}

/** The claims of a JWT, unverified (the stand-in verifies; the test only reads). */
function claimsOf(jwt: string): Record<string, unknown> {
  const [, payload = ''] = jwt.split('.')
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** The calls made from `mark` on whose path matches, as "METHOD status". */
function callsSince(mark: number, path: RegExp): string[] {
  return standin.calls.slice(mark).filter(call => path.test(call.path)).map(call => `${call.method} ${call.status}`)
}

function slotState(name: string, slot = 'production') {
  const found = standin.state().sites.find(site => site.name === name && site.slot === slot)
  if (found === undefined) throw new Error(`no ${name}/${slot} in the stand-in's state`)
  return found
}

/** One GET to a site's default host name, the way a health check reaches it. */
async function versionServedBy(defaultHostName: string): Promise<{ status: number, version: string | null }> {
  const response = await fetch(`https://${defaultHostName}/healthz`)
  const body = (await response.json()) as { version?: string }
  expect(body.version).toBe(response.headers.get('x-app-version'))
  return { status: response.status, version: response.headers.get('x-app-version') }
}

/** Polls until `check` holds, for at most `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('Entra ID sign-in', () => {
  test('a client secret signs in and webApps.get reads the site', async () => {
    const mark = standin.calls.length
    const site = await webSites().webApps.get(RESOURCE_GROUP, 'api-west')

    expect(site).toMatchObject({
      name: 'api-west',
      kind: 'app,linux,container',
      state: 'Running',
      defaultHostName: slotState('api-west').defaultHostName,
      siteConfig: expect.objectContaining({ linuxFxVersion: `DOCKER|${REGISTRY}:v1` })
    })
    const token = standin.calls.slice(mark).find(call => /\/oauth2\/v2\.0\/token$/.test(call.path))
    expect(token).toMatchObject({ method: 'POST', status: 200, principal: CLIENT_ID })
    expect(callsSince(mark, /\/sites\/api-west$/)).toEqual(['GET 200'])
    expect(standin.calls.slice(mark).find(call => call.path.endsWith('/sites/api-west'))).toMatchObject({ principal: CLIENT_ID, apiVersion: '2025-05-01' })
  })

  test('a wrong client secret is refused with AADSTS7000215', async () => {
    const credential = new ClientSecretCredential(standin.tenantId, CLIENT_ID, 'not-the-secret', { authorityHost: standin.url, disableInstanceDiscovery: true })
    await expect(credential.getToken(`${standin.cloud.resourceManagerAudience}/.default`)).rejects.toThrow(/invalid_client.*AADSTS7000215: Invalid client secret provided/s)
  })

  test('GitHub OIDC: the ID token (fetched as @actions/core does) is the client assertion, and the ARM call succeeds', async () => {
    standin.setOidcClaims({ sub: PROD_SUBJECT })
    const idToken = await githubIdToken()
    expect(claimsOf(idToken)).toMatchObject({
      iss: standin.githubOidc.issuer,
      aud: 'api://AzureADTokenExchange',
      sub: PROD_SUBJECT,
      environment: 'prod',
      repository: 'octo-org/estate',
      job_workflow_ref: expect.stringContaining('octo-org/estate/.github/workflows/')
    })

    const mark = standin.calls.length
    const site = await webSites(assertionCredential()).webApps.get(RESOURCE_GROUP, 'api-west')

    expect(site.name).toBe('api-west')
    // MSAL evaluates the assertion callback twice per token request (config and request), so
    // the runner's endpoint sees two ID-token requests for one Entra token.
    const idTokenCalls = callsSince(mark, /^\/github-oidc\/idtoken$/)
    expect(idTokenCalls.length).toBeGreaterThanOrEqual(1)
    expect(new Set(idTokenCalls)).toEqual(new Set(['GET 200']))
    expect(callsSince(mark, /\/oauth2\/v2\.0\/token$/)).toEqual(['POST 200'])
  })

  test('the OIDC endpoint refuses a request without the runtime bearer token', async () => {
    const response = await fetch(`${standin.githubOidc.requestUrl}&audience=api%3A%2F%2FAzureADTokenExchange`)
    expect(response.status).toBe(401)
  })

  test('an assertion whose subject matches no federated credential is refused with AADSTS700213', async () => {
    standin.setOidcClaims({ sub: 'repo:octo-org/estate:ref:refs/heads/feature' })
    const mark = standin.calls.length

    await expect(webSites(assertionCredential()).webApps.get(RESOURCE_GROUP, 'api-west')).rejects.toThrow(
      /AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:octo-org\/estate:ref:refs\/heads\/feature'/
    )
    expect(callsSince(mark, /\/oauth2\/v2\.0\/token$/)).toEqual(['POST 401'])
    expect(callsSince(mark, /^\/subscriptions\//)).toEqual([])
  })

  test('an expired assertion is refused with AADSTS700024', async () => {
    const now = Math.floor(Date.now() / 1000)
    standin.setOidcClaims({ sub: PROD_SUBJECT, iat: now - 3600, nbf: now - 3600, exp: now - 3000 })

    await expect(webSites(assertionCredential()).webApps.get(RESOURCE_GROUP, 'api-west')).rejects.toThrow(/AADSTS700024: Client assertion is not within its valid time range/)
  })
})

describe('ARM authentication', () => {
  test('a token that is not one Entra issued gets 401 InvalidAuthenticationToken', async () => {
    const junk: TokenCredential = { getToken: async () => ({ token: 'not-a-jwt', expiresOnTimestamp: Date.now() + 3_600_000 }) }
    const mark = standin.calls.length

    await expect(webSites(junk).webApps.get(RESOURCE_GROUP, 'api-west')).rejects.toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' })
    expect(callsSince(mark, /\/sites\/api-west$/)).toEqual(['GET 401'])
  })

  test('a token for another resource gets 401 InvalidAuthenticationTokenAudience', async () => {
    await expect(webSites(secretCredential(), 'https://storage.azure.com/.default').webApps.get(RESOURCE_GROUP, 'api-west')).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationTokenAudience'
    })
  })

  test('an unknown site is 404 ResourceNotFound, an unknown resource group 404 ResourceGroupNotFound', async () => {
    const client = webSites()
    await expect(client.webApps.get(RESOURCE_GROUP, 'no-such-app')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' })
    await expect(client.webApps.get('rg-missing', 'api-west')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' })
  })
})

describe('Microsoft.Web', () => {
  test('updateConfiguration sets linuxFxVersion and the ACR identity settings; getConfiguration reads them back', async () => {
    const client = webSites()
    const identity = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-pull`
    const mark = standin.calls.length

    const updated = await client.webApps.updateConfiguration(RESOURCE_GROUP, 'api-west', {
      linuxFxVersion: `DOCKER|${REGISTRY}:v2`,
      acrUseManagedIdentityCreds: true,
      acrUserManagedIdentityID: identity
    })
    const read = await client.webApps.getConfiguration(RESOURCE_GROUP, 'api-west')

    expect(updated.linuxFxVersion).toBe(`DOCKER|${REGISTRY}:v2`)
    expect(read).toMatchObject({ linuxFxVersion: `DOCKER|${REGISTRY}:v2`, acrUseManagedIdentityCreds: true, acrUserManagedIdentityID: identity, healthCheckPath: '/healthz' })
    expect(callsSince(mark, /\/sites\/api-west\/config\/web$/)).toEqual(['PATCH 200', 'GET 200'])
    expect(slotState('api-west').image).toBe(`${REGISTRY}:v2`)
  })

  test('swapSlotWithProduction, polled to completion, exchanges what production and staging serve', async () => {
    const client = webSites()
    await client.webApps.updateConfigurationSlot(RESOURCE_GROUP, 'api-swap', 'staging', { linuxFxVersion: `DOCKER|${REGISTRY}:v2` })
    await eventually(() => slotState('api-swap', 'staging').serving?.image === `${REGISTRY}:v2`)
    const production = slotState('api-swap')
    const mark = standin.calls.length

    await client.webApps.swapSlotWithProduction(RESOURCE_GROUP, 'api-swap', { targetSlot: 'staging', preserveVnet: true })

    expect((await client.webApps.getConfiguration(RESOURCE_GROUP, 'api-swap')).linuxFxVersion).toBe(`DOCKER|${REGISTRY}:v2`)
    expect((await client.webApps.getConfigurationSlot(RESOURCE_GROUP, 'api-swap', 'staging')).linuxFxVersion).toBe(`DOCKER|${REGISTRY}:v1`)
    expect(await versionServedBy(production.defaultHostName)).toEqual({ status: 200, version: 'v2' })
    expect(standin.state().swaps).toContainEqual(expect.objectContaining({ name: 'api-swap', source: 'staging', target: 'production', status: 'Succeeded' }))
    // As App Service answers: 202 with only Location (under the site), polled with 202s until it answers 200.
    const lro = callsSince(mark, /\/slotsswap$|\/operationStatuses\/|\/operationresults\//i)
    expect(lro[0]).toBe('POST 202')
    expect(lro.slice(1, -1).every(call => call === 'GET 202')).toBe(true)
    expect(lro.at(-1)).toBe('GET 200')
    expect(standin.calls.slice(mark).some(call => call.path.includes('/operationStatuses/'))).toBe(false)
    expect(standin.calls.slice(mark).filter(call => /\/sites\/api-swap\/operationresults\//.test(call.path)).length).toBeGreaterThanOrEqual(2)
  })

  test('swapSlot swaps two non-production slots', async () => {
    const client = webSites()
    await client.webApps.updateConfigurationSlot(RESOURCE_GROUP, 'api-slots', 'green', { linuxFxVersion: `DOCKER|${REGISTRY}:v3` })
    await eventually(() => slotState('api-slots', 'green').serving?.image === `${REGISTRY}:v3`)

    const poller = client.webApps.swapSlot(RESOURCE_GROUP, 'api-slots', 'blue', { targetSlot: 'green', preserveVnet: true })
    await poller.pollUntilDone()

    expect(slotState('api-slots', 'blue')).toMatchObject({ image: `${REGISTRY}:v3`, serving: expect.objectContaining({ image: `${REGISTRY}:v3` }) })
    expect(slotState('api-slots', 'green')).toMatchObject({ image: `${REGISTRY}:v1`, serving: expect.objectContaining({ image: `${REGISTRY}:v1` }) })
    expect(slotState('api-slots').image).toBe(`${REGISTRY}:v1`)
  })

  test('a site serves its image; after an image change the old container serves until the new one is ready', async () => {
    const { defaultHostName } = slotState('api-serving')
    expect(await versionServedBy(defaultHostName)).toEqual({ status: 200, version: 'v1' })

    await webSites().webApps.updateConfiguration(RESOURCE_GROUP, 'api-serving', { linuxFxVersion: `DOCKER|${REGISTRY}:v2` })
    expect(slotState('api-serving')).toMatchObject({ status: 'starting', starting: expect.objectContaining({ image: `${REGISTRY}:v2` }) })
    const answers: string[] = []
    await eventually(async () => {
      const { status, version } = await versionServedBy(defaultHostName)
      answers.push(`${status} ${version}`)
      return version === 'v2'
    })

    // Every answer came from a container: v1 until the switch, then v2, never an error page.
    const switchedAt = answers.indexOf('200 v2')
    expect(switchedAt).toBeGreaterThan(0)
    expect(answers.slice(0, switchedAt).every(answer => answer === '200 v1')).toBe(true)
    expect(slotState('api-serving')).toMatchObject({ status: 'serving', serving: expect.objectContaining({ image: `${REGISTRY}:v2` }) })
  })

  test('a container that never becomes healthy leaves the old one serving, and the state says why', async () => {
    const { defaultHostName } = slotState('api-serving')
    await eventually(() => slotState('api-serving').serving?.image === `${REGISTRY}:v2`)
    standin.setContainerStartLimit(500)
    standin.failContainerStart({ resourceGroup: RESOURCE_GROUP, name: 'api-serving' })
    try {
      await webSites().webApps.updateConfiguration(RESOURCE_GROUP, 'api-serving', { linuxFxVersion: `DOCKER|${REGISTRY}:v3` })
      await eventually(() => slotState('api-serving').lastStart?.status === 'failed')
    } finally {
      standin.setContainerStartLimit(30_000)
    }

    expect(slotState('api-serving')).toMatchObject({
      image: `${REGISTRY}:v3`,
      status: 'failed',
      serving: expect.objectContaining({ image: `${REGISTRY}:v2` }),
      lastStart: expect.objectContaining({ image: `${REGISTRY}:v3`, reason: expect.stringContaining("didn't respond to HTTP pings") })
    })
    expect(await versionServedBy(defaultHostName)).toEqual({ status: 200, version: 'v2' })
  })
})

describe('Microsoft.Cdn', () => {
  test('a Front Door purge with domains is polled to completion and recorded', async () => {
    const mark = standin.calls.length
    await cdnClient().afdEndpoints.beginPurgeContentAndWait(RESOURCE_GROUP, 'fd-estate', 'web', { contentPaths: ['/index.html', '/assets/*'], domains: ['www.example.com', 'example.com'] })

    expect(standin.state().purges).toContainEqual(
      expect.objectContaining({ kind: 'afd', profile: 'fd-estate', endpoint: 'web', contentPaths: ['/index.html', '/assets/*'], domains: ['www.example.com', 'example.com'], status: 'Succeeded' })
    )
    const lro = callsSince(mark, /\/afdEndpoints\/web\/purge$|\/operationStatuses\//)
    expect(lro[0]).toBe('POST 202')
    expect(lro.slice(1).every(call => call === 'GET 200')).toBe(true)
    expect(standin.calls.slice(mark).find(call => call.path.endsWith('/purge'))?.apiVersion).toBe('2024-02-01')
  })

  test('a Front Door purge of more than 100 paths is refused with 400', async () => {
    const contentPaths = Array.from({ length: 101 }, (_, index) => `/page-${index}.html`)
    await expect(cdnClient().afdEndpoints.beginPurgeContentAndWait(RESOURCE_GROUP, 'fd-estate', 'web', { contentPaths, domains: ['www.example.com'] })).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadRequest'
    })
  })

  test('the custom domains of a Front Door profile are listed with their host names', async () => {
    const hostNames: string[] = []
    for await (const domain of cdnClient().afdCustomDomains.listByProfile(RESOURCE_GROUP, 'fd-estate')) hostNames.push(domain.hostName ?? '(none)')
    expect(hostNames.sort()).toEqual(['example.com', 'www.example.com'])
  })

  test('a classic CDN purge is polled to completion and recorded', async () => {
    await cdnClient().endpoints.beginPurgeContentAndWait(RESOURCE_GROUP, 'cdn-estate', 'static', { contentPaths: ['/*'] })

    expect(standin.state().purges).toContainEqual(expect.objectContaining({ kind: 'cdn', profile: 'cdn-estate', endpoint: 'static', contentPaths: ['/*'], domains: null, status: 'Succeeded' }))
  })
})

describe('fault injection', () => {
  test('two 429s with Retry-After: 1 on getConfiguration are retried through by the SDK', async () => {
    const client = webSites()
    await client.webApps.getConfiguration(RESOURCE_GROUP, 'api-west') // signs in first, so only the ARM calls are timed
    standin.faults.fail({ method: 'GET', path: /\/sites\/api-west\/config\/web$/i, times: 2, status: 429, retryAfterSeconds: 1 })
    const mark = standin.calls.length
    const started = Date.now()

    const config = await client.webApps.getConfiguration(RESOURCE_GROUP, 'api-west')

    expect(config.linuxFxVersion).toMatch(/^DOCKER\|/)
    expect(callsSince(mark, /\/sites\/api-west\/config\/web$/)).toEqual(['GET 429', 'GET 429', 'GET 200'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900) // the SDK honoured Retry-After twice
    expect(standin.faults.pending()).toEqual([])
  })

  test('a 500 is retried by the SDK', async () => {
    const client = webSites()
    standin.faults.fail({ method: 'GET', path: /\/sites\/api-west$/i, times: 1, status: 500 })
    const mark = standin.calls.length

    const site = await client.webApps.get(RESOURCE_GROUP, 'api-west')

    expect(site.name).toBe('api-west')
    expect(callsSince(mark, /\/sites\/api-west$/)).toEqual(['GET 500', 'GET 200'])
  })

  test('a 409 is not retried: the SDK surfaces it', async () => {
    standin.faults.fail({ method: 'PATCH', path: /\/config\/web$/i, times: 1, status: 409, shape: 'arm' })
    await expect(webSites().webApps.updateConfiguration(RESOURCE_GROUP, 'api-west', { healthCheckPath: '/ready' })).rejects.toMatchObject({ statusCode: 409, code: 'Conflict' })
    expect((await webSites().webApps.getConfiguration(RESOURCE_GROUP, 'api-west')).healthCheckPath).toBe('/healthz')
  })
})
