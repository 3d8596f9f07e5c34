/**
 * The stand-in's App Service where it behaves as real App Service does rather than as a deploy
 * would like: long-running operations announced only by Location, App Service's own error
 * bodies, restarts with downtime and a fresh pull, pull credentials, sidecar apps, Kudu's
 * docker log, one PATCH of the site for image + command + settings, and what a container is
 * started with. Driven through @azure/arm-appservice 19 (plain fetch where no SDK call exists),
 * with simulated containers; azure-standin-docker.test.ts runs the same rules on real Docker.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { ClientSecretCredential } from '@azure/identity'
import { WebSiteManagementClient, type SiteContainer } from '@azure/arm-appservice'
import { CdnManagementClient } from '@azure/arm-cdn'
import { startAzureStandin } from '../azure-standin/index.mjs'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const SUBSCRIPTION = '6b2f1d8c-3e4a-4f5b-8c7d-9e0f1a2b3c4d'
const CLIENT_ID = '2c7d4e1f-5a3b-4d9c-8e7f-6a5b4c3d2e1f'
const CLIENT_SECRET = 'appservice~Secret.ForStandinTests-0123456789'
const LOOPBACK = '127.0.0.1:5000/estate/api'
const ACR = 'estateacr.azurecr.io'
const API_VERSION = '2025-05-01'

let standin: Standin
let appNumber = 0
const defaultCaCertificates = tls.getCACertificates('default')

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', simulatedStartDelayMs: 300 })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
})

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
})

const credential = () => new ClientSecretCredential(standin.tenantId, CLIENT_ID, CLIENT_SECRET, { authorityHost: standin.url, disableInstanceDiscovery: true })
const web = () => new WebSiteManagementClient(credential(), SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentials: { scopes: [`${standin.cloud.resourceManagerAudience}/.default`] } })

async function token(audience = standin.cloud.resourceManagerAudience): Promise<string> {
  const accessToken = await credential().getToken(`${audience}/.default`)
  if (accessToken === null) throw new Error('no token')
  return accessToken.token
}

/** A fresh Web App in its own resource group; the group and name are returned. */
async function newApp(options: Omit<Parameters<Standin['addWebApp']>[0], 'subscription' | 'resourceGroup' | 'name'> = {}) {
  appNumber += 1
  const app = { resourceGroup: `rg-app-${appNumber}`, name: `app-${appNumber}` }
  const created = await standin.addWebApp({ subscription: SUBSCRIPTION, ...app, ...options })
  return { ...app, created, id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${app.resourceGroup}/providers/Microsoft.Web/sites/${app.name}` }
}

function slotState(name: string, slot = 'production') {
  const found = standin.state().sites.find(site => site.name === name && site.slot === slot)
  if (found === undefined) throw new Error(`no ${name}/${slot} in the stand-in's state`)
  return found
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 30))
  }
}

/** Status and X-App-Version of one GET to the slot's host, as a user would ask. */
async function served(name: string, slot = 'production'): Promise<string> {
  const response = await fetch(`https://${slotState(name, slot).defaultHostName}/healthz`)
  await response.arrayBuffer()
  return `${response.status} ${response.headers.get('x-app-version') ?? '-'}`
}

/** Samples what the slot answers until it serves `version`; every answer seen, in order, without repeats. */
async function answersUntil(name: string, version: string): Promise<string[]> {
  const seen: string[] = []
  await eventually(async () => {
    const answer = await served(name)
    if (seen.at(-1) !== answer) seen.push(answer)
    return answer === `200 ${version}`
  })
  return seen
}

/** The platform docker log of a slot, read through Kudu as a deploy would. */
async function dockerLog(name: string, slot = 'production'): Promise<string> {
  const scm = slotState(name, slot).scmHostName
  const listing = await fetch(`https://${scm}/api/logs/docker`, { headers: { Authorization: `Bearer ${await token()}` } })
  expect(listing.status).toBe(200)
  const files = (await listing.json()) as { machineName: string; href: string }[]
  const platform = files.find(file => !file.machineName.endsWith('_default'))
  if (platform === undefined) return ''
  const response = await fetch(platform.href, { headers: { Authorization: `Bearer ${await token()}` } })
  expect(response.status).toBe(200)
  return response.text()
}

describe('long-running operations as App Service sends them', () => {
  test('a swap answers 202 with only Location under the site, 202 while it runs, then 200; the SDK resolves', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1`, slotImages: { staging: `${LOOPBACK}:v2` } })
    const headers = { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' }
    standin.setSwapDuration(600)

    const accepted = await fetch(`${standin.url}${app.id}/slotsswap?api-version=${API_VERSION}`, { method: 'POST', headers, body: JSON.stringify({ targetSlot: 'staging', preserveVnet: true }) })
    expect(accepted.status).toBe(202)
    expect(accepted.headers.get('azure-asyncoperation')).toBeNull()
    const location = accepted.headers.get('location') ?? ''
    expect(location).toMatch(new RegExp(`^${standin.url}${app.id}/operationresults/[0-9a-f-]{36}\\?api-version=${API_VERSION}$`))
    const polls: number[] = []
    await eventually(async () => {
      const poll = await fetch(location, { headers })
      polls.push(poll.status)
      return poll.status !== 202
    })
    expect(polls.at(0)).toBe(202)
    expect(polls.at(-1)).toBe(200)
    expect(await served(app.name)).toBe('200 v2')

    // The same through the SDK: its poller follows Location and accepts the final 200.
    await web().webApps.swapSlotWithProduction(app.resourceGroup, app.name, { targetSlot: 'staging', preserveVnet: true })
    expect(await served(app.name)).toBe('200 v1')
    standin.setSwapDuration(300)
  })

  test('location-204: the swap happens, but @azure/arm-appservice 19 rejects the final 204 ("Unexpected status code: 204")', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1`, slotImages: { staging: `${LOOPBACK}:v2` } })
    standin.setLroMode({ 'Microsoft.Web': 'location-204' })
    try {
      await expect(web().webApps.swapSlotWithProduction(app.resourceGroup, app.name, { targetSlot: 'staging', preserveVnet: true })).rejects.toMatchObject({
        statusCode: 204,
        message: 'Unexpected status code: 204'
      })
    } finally {
      standin.setLroMode({ 'Microsoft.Web': 'location-200' })
    }
    // Azure's state says what happened: the swap succeeded.
    expect(standin.state().swaps).toContainEqual(expect.objectContaining({ name: app.name, status: 'Succeeded' }))
    expect(await served(app.name)).toBe('200 v2')
    expect((await web().webApps.getConfiguration(app.resourceGroup, app.name)).linuxFxVersion).toBe(`DOCKER|${LOOPBACK}:v2`)
  })

  test('async-operation: Azure-AsyncOperation and Location; the SDK polls the status resource, then GETs Location', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1`, slotImages: { staging: `${LOOPBACK}:v2` } })
    standin.setLroMode({ 'Microsoft.Web': 'async-operation' })
    const mark = standin.calls.length
    try {
      await web().webApps.swapSlotWithProduction(app.resourceGroup, app.name, { targetSlot: 'staging', preserveVnet: true })
    } finally {
      standin.setLroMode({ 'Microsoft.Web': 'location-200' })
    }
    const polls = standin.calls.slice(mark).filter(call => /operation(Statuses|Results)\//i.test(call.path)).map(call => `${call.path.includes('operationStatuses') ? 'status' : 'result'} ${call.status}`)
    expect(polls.filter(poll => poll === 'status 200').length).toBeGreaterThanOrEqual(1)
    expect(polls.at(-1)).toBe('result 200')
    expect(await served(app.name)).toBe('200 v2')
    expect(() => standin.setLroMode({ 'Microsoft.Web': 'location-201' as never })).toThrow(/not one of async-operation, location-200, location-204/)
  })

  test('Cdn purges keep Microsoft.Cdn\'s habit (Azure-AsyncOperation) whatever Microsoft.Web does', async () => {
    standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'fd', endpoint: 'web', domains: ['www.example.com'] })
    standin.setLroMode({ 'Microsoft.Web': 'location-204' })
    const mark = standin.calls.length
    try {
      const cdn = new CdnManagementClient(credential(), SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentialScopes: [`${standin.cloud.resourceManagerAudience}/.default`] })
      await cdn.afdEndpoints.beginPurgeContentAndWait('rg-edge', 'fd', 'web', { contentPaths: ['/*'], domains: ['www.example.com'] })
    } finally {
      standin.setLroMode({ 'Microsoft.Web': 'location-200' })
    }
    expect(standin.calls.slice(mark).some(call => /\/providers\/Microsoft\.Cdn\/locations\/[^/]+\/operationStatuses\//.test(call.path) && call.status === 200)).toBe(true)
    expect(standin.state().lroModes).toEqual({ 'microsoft.web': 'location-200' })
  })
})

describe("App Service's own error bodies", () => {
  test('a validation error is { Code, Message, … }: the SDK finds neither, and onResponse is where Message can be read', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    let rawBody: unknown
    const error = (await web()
      .webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: 'DOCKER|not a valid image' }, { onResponse: raw => (rawBody = raw.parsedBody) })
      .catch((caught: unknown) => caught)) as { statusCode?: number; code?: string; message?: string }
    expect(error).toMatchObject({ statusCode: 400, code: undefined, message: 'Unexpected status code: 400' })
    expect(rawBody).toMatchObject({ Code: 'BadRequest', Message: 'The parameter LinuxFxVersion has an invalid value.', Target: null, Innererror: null })
  })

  test('an injected fault on a Microsoft.Web route answers in App Service\'s shape; ARM-level statuses keep ARM\'s; shape: "arm" overrides', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    const headers = { Authorization: `Bearer ${await token()}` }
    const configUrl = `${standin.url}${app.id}/config/web?api-version=${API_VERSION}`
    const path = new RegExp(`/sites/${app.name}/config/web$`)
    const bodies: unknown[] = []
    for (const fault of [{ status: 409 }, { status: 500 }, { status: 404 }, { status: 429, retryAfterSeconds: 0 }, { status: 409, shape: 'arm' as const }]) {
      standin.faults.fail({ method: 'GET', path, ...fault })
      const response = await fetch(configUrl, { headers })
      expect(response.status).toBe(fault.status)
      bodies.push(await response.json())
    }
    expect(bodies).toEqual([
      expect.objectContaining({ Code: 'Conflict', Message: expect.stringMatching(/^Cannot modify this site because another operation is in progress/) }),
      expect.objectContaining({ Code: 'InternalServerError', Message: expect.any(String) }),
      { error: expect.objectContaining({ code: 'Http404' }) },
      { error: expect.objectContaining({ code: 'TooManyRequests' }) },
      { error: expect.objectContaining({ code: 'Conflict' }) }
    ])
    // ARM's own answers stay ARM's: the SDK reads their code.
    await expect(web().webApps.get(app.resourceGroup, 'no-such-app')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' })
  })

  test('a second swap while one runs is App Service\'s 409 { Code: "Conflict" }', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1` })
    standin.setSwapDuration(1500)
    try {
      const first = web().webApps.swapSlotWithProduction(app.resourceGroup, app.name, { targetSlot: 'staging', preserveVnet: true })
      await eventually(() => slotState(app.name).swapInProgress)
      let rawBody: unknown
      await expect(
        web().webApps.swapSlotWithProduction(app.resourceGroup, app.name, { targetSlot: 'staging', preserveVnet: true }, { onResponse: raw => (rawBody ??= raw.parsedBody) })
      ).rejects.toMatchObject({ statusCode: 409, code: undefined })
      expect(rawBody).toMatchObject({ Code: 'Conflict', Message: expect.stringContaining('another operation is in progress') })
      await first
    } finally {
      standin.setSwapDuration(300)
    }
  })
})

describe('restart and pull', () => {
  test('a restart stops the container, pulls the image again and starts it: the slot answers 503 meanwhile', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    expect(await served(app.name)).toBe('200 v1')

    await web().webApps.restart(app.resourceGroup, app.name, { softRestart: false, synchronous: false })
    const answers = await answersUntil(app.name, 'v1')

    expect(answers).toContain('503 -')
    expect(slotState(app.name)).toMatchObject({ restarts: 1, status: 'serving', lastStart: expect.objectContaining({ mode: 'restart', status: 'succeeded' }) })
    const log = await dockerLog(app.name)
    expect(log.match(new RegExp(`INFO  - Pulling image: ${LOOPBACK}:v1`, 'g'))).toHaveLength(2)
    expect(log).toMatch(/Status: Image is up to date for/)
  })

  test('synchronous=true answers once the new container serves', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    await web().webApps.restart(app.resourceGroup, app.name, { softRestart: false, synchronous: true })
    expect(await served(app.name)).toBe('200 v1')
    expect(slotState(app.name).status).toBe('serving')
  })

  test('an app settings change restarts the app (downtime); a new image starts beside the old one (none)', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    await web().webApps.updateApplicationSettings(app.resourceGroup, app.name, { properties: { FEATURE: 'on' } })
    expect(await answersUntil(app.name, 'v1')).toContain('503 -')
    await eventually(() => slotState(app.name).status === 'serving')

    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: `DOCKER|${LOOPBACK}:v2` })
    expect(await answersUntil(app.name, 'v2')).toEqual(['200 v1', '200 v2'])
    expect(slotState(app.name).lastStart).toMatchObject({ mode: 'beside', status: 'succeeded' })

    // The same image again, nothing else changed: nothing restarts.
    const starts = slotState(app.name).starts.length
    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: `DOCKER|${LOOPBACK}:v2` })
    expect(slotState(app.name).starts).toHaveLength(starts)
  })

  test('a registry that needs credentials: without them the start fails as App Service logs it, and the old container keeps serving', async () => {
    const registry = 'locked.azurecr.io'
    standin.configureRegistry({ server: registry })
    const app = await newApp({ image: `${LOOPBACK}:v1` })

    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: `DOCKER|${registry}/api:v2` })
    await eventually(() => slotState(app.name).lastStart?.status === 'failed')

    expect(slotState(app.name)).toMatchObject({ image: `${registry}/api:v2`, serving: expect.objectContaining({ image: `${LOOPBACK}:v1` }) })
    expect(slotState(app.name).lastStart?.reason).toMatch(/unauthorized: locked\.azurecr\.io needs credentials and none were given/)
    expect(await served(app.name)).toBe('200 v1')
    const log = await dockerLog(app.name)
    expect(log).toMatch(/ERROR - DockerApiException: .*unauthorized: authentication required/)
    expect(log).toContain('WARN  - Image pull failed. Defaulting to local copy if present.')
    expect(log).toContain('ERROR - Image pull failed: Verify docker image configuration and credentials (if using private repository)')
    expect(log).toContain(`INFO  - Stopping site ${app.name} because it failed during startup.`)
  })

  test('managed identity: the system-assigned identity pulls once it holds AcrPull; a user-assigned one by its client id', async () => {
    standin.configureRegistry({ server: ACR })
    const puller = standin.addManagedIdentity({ subscription: SUBSCRIPTION, resourceGroup: 'rg-identities', name: 'id-acr-pull' })
    const app = await newApp({ identity: { systemAssigned: true, userAssigned: [puller.id] }, acrUseManagedIdentityCreds: true, image: `${ACR}/api:v1` })
    // Not granted yet: nothing could be pulled, nothing serves.
    expect(slotState(app.name)).toMatchObject({ status: 'failed', serving: null })
    expect(slotState(app.name).lastStart?.reason).toMatch(/the system-assigned identity of app-\d+ \(principal [0-9a-f-]{36}\) has no AcrPull role on estateacr\.azurecr\.io/)
    const site = await web().webApps.get(app.resourceGroup, app.name)
    expect(site.identity).toMatchObject({ type: 'SystemAssigned, UserAssigned', principalId: app.created.principalId, userAssignedIdentities: { [puller.id]: { clientId: puller.clientId, principalId: puller.principalId } } })

    standin.grantAcrPull({ registry: ACR, principal: String(app.created.principalId) })
    await web().webApps.restart(app.resourceGroup, app.name, { synchronous: true })
    expect(await served(app.name)).toBe('200 v1')

    // A client id that names no identity of the app: the new image cannot be pulled; v1 keeps serving.
    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: `DOCKER|${ACR}/api:v2`, acrUserManagedIdentityID: '00000000-1111-2222-3333-444444444444' })
    await eventually(() => slotState(app.name).lastStart?.status === 'failed')
    expect(slotState(app.name).lastStart?.reason).toMatch(/no user-assigned identity with client id 00000000-1111-2222-3333-444444444444 is assigned/)
    expect(await served(app.name)).toBe('200 v1')

    // The user-assigned identity, granted: the same image now pulls (a config change: a restart).
    standin.grantAcrPull({ registry: ACR, principal: puller.principalId })
    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { acrUserManagedIdentityID: puller.clientId })
    await eventually(async () => (await served(app.name)) === '200 v2')
    expect(standin.state()).toMatchObject({ acrPullGrants: expect.arrayContaining([{ registry: ACR, principal: puller.principalId }]) })
  })

  test('DOCKER_REGISTRY_SERVER_* app settings pull from a registry with users; a wrong password falls back to the local copy', async () => {
    const registry = 'private.registry.example'
    standin.configureRegistry({ server: registry, users: [{ username: 'deployer', password: 'right-password' }] })
    const appSettings = { DOCKER_REGISTRY_SERVER_URL: `https://${registry}`, DOCKER_REGISTRY_SERVER_USERNAME: 'deployer', DOCKER_REGISTRY_SERVER_PASSWORD: 'right-password', GREETING: 'hello' }
    const app = await newApp({ image: `${registry}/api:v1`, appSettings })
    expect(await served(app.name)).toBe('200 v1')
    // The registry credentials are App Service's, not the app's.
    expect(slotState(app.name).serving?.env).toMatchObject({ GREETING: 'hello', WEBSITE_SITE_NAME: app.name })
    expect(Object.keys(slotState(app.name).serving?.env ?? {}).filter(key => key.startsWith('DOCKER_REGISTRY_'))).toEqual([])

    // Wrong password: the restart's pull is refused, and the worker's local copy starts again.
    await web().webApps.updateApplicationSettings(app.resourceGroup, app.name, { properties: { ...appSettings, DOCKER_REGISTRY_SERVER_PASSWORD: 'wrong' } })
    await eventually(() => slotState(app.name).lastStart?.mode === 'restart' && slotState(app.name).lastStart?.status === 'succeeded')
    expect(await dockerLog(app.name)).toContain('WARN  - Image pull failed. Defaulting to local copy if present.')
    expect(await served(app.name)).toBe('200 v1')
  })
})

describe('one update, one restart (PATCH sites/{name})', () => {
  test('webApps.update with linuxFxVersion, appCommandLine and appSettings applies all of it and starts the container once', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1`, appSettings: { OLD_SETTING: 'gone soon' } })
    const starts = slotState(app.name).starts.length

    const site = await web().webApps.update(app.resourceGroup, app.name, {
      siteConfig: {
        linuxFxVersion: `DOCKER|${LOOPBACK}:v2`,
        appCommandLine: `gunicorn config.wsgi -b "0.0.0.0:8000" --log-level 'info'`,
        appSettings: [
          { name: 'WEBSITES_PORT', value: '8000' },
          { name: 'DJANGO_SETTINGS_MODULE', value: 'config.settings' }
        ]
      }
    })
    await eventually(() => slotState(app.name).status === 'serving' && slotState(app.name).serving?.image === `${LOOPBACK}:v2`)

    const state = slotState(app.name)
    expect(state.starts.length - starts).toBe(1)
    expect(state.lastStart).toMatchObject({ mode: 'beside', status: 'succeeded' })
    expect(state.serving).toMatchObject({ port: 8000, command: ['gunicorn', 'config.wsgi', '-b', '0.0.0.0:8000', '--log-level', 'info'] })
    expect(state.serving?.env).toMatchObject({ WEBSITES_PORT: '8000', DJANGO_SETTINGS_MODULE: 'config.settings' })
    expect(state.serving?.env).not.toHaveProperty('OLD_SETTING')
    // The answer and a later GET carry no app settings; they are read with config/appsettings/list.
    expect(site.siteConfig?.appSettings ?? null).toBeNull()
    expect((await web().webApps.get(app.resourceGroup, app.name)).siteConfig?.appSettings ?? null).toBeNull()
    expect((await web().webApps.listApplicationSettings(app.resourceGroup, app.name)).properties).toEqual({ WEBSITES_PORT: '8000', DJANGO_SETTINGS_MODULE: 'config.settings' })
    expect((await web().webApps.getConfiguration(app.resourceGroup, app.name)).appCommandLine).toBe(`gunicorn config.wsgi -b "0.0.0.0:8000" --log-level 'info'`)
  })

  test('webApps.updateSlot does the same for a slot; the same image with a new command is one restart', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1` })
    const starts = slotState(app.name, 'staging').starts.length
    await web().webApps.updateSlot(app.resourceGroup, app.name, 'staging', { siteConfig: { appCommandLine: 'serve --workers 2', appSettings: [{ name: 'MODE', value: 'staging' }] } })
    await eventually(() => slotState(app.name, 'staging').status === 'serving' && slotState(app.name, 'staging').starts.length > starts)
    expect(slotState(app.name, 'staging').starts.length - starts).toBe(1)
    expect(slotState(app.name, 'staging')).toMatchObject({ lastStart: expect.objectContaining({ mode: 'restart' }), serving: expect.objectContaining({ command: ['serve', '--workers', '2'] }) })
    expect(slotState(app.name).appSettings).toEqual({})
  })

  test('appSettings that are not a NameValuePair list: App Service\'s 400', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    const response = await fetch(`${standin.url}${app.id}?api-version=${API_VERSION}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ properties: { siteConfig: { appSettings: { WEBSITES_PORT: '8000' } } } })
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ Code: 'BadRequest', Message: 'The parameter AppSettings has an invalid value.' })
  })
})

describe('what App Service passes to the container', () => {
  test('the port: WEBSITES_PORT, else 80; a PORT setting is only an environment variable', async () => {
    const plain = await newApp({ image: `${LOOPBACK}:v1` })
    const withPort = await newApp({ image: `${LOOPBACK}:v1`, appSettings: { PORT: '3000' } })
    const withWebsitesPort = await newApp({ image: `${LOOPBACK}:v1`, appSettings: { WEBSITES_PORT: '8000', PORT: '3000' } })
    expect(slotState(plain.name).serving).toMatchObject({ port: 80 })
    expect(slotState(withPort.name).serving).toMatchObject({ port: 80, env: expect.objectContaining({ PORT: '3000' }) })
    expect(slotState(withWebsitesPort.name).serving).toMatchObject({ port: 8000 })
    expect(await dockerLog(withWebsitesPort.name)).toMatch(/INFO {2}- docker run -d -p \d+:8000 --name app-\d+_0_[0-9a-f]{8} -e WEBSITES_PORT=8000 .*-e WEBSITE_SITE_NAME=app-\d+ .*127\.0\.0\.1:5000\/estate\/api:v1 $/m)
  })

  test('app settings and WEBSITE_* variables as environment; appCommandLine split as a command line after the image', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1`, appSettings: { DATABASE_URL: 'postgres://db/estate' }, appCommandLine: `python -c "print('a b')" --flag=x\\ y` })
    expect(slotState(app.name, 'staging').serving).toMatchObject({
      command: ['python', '-c', "print('a b')", '--flag=x y'],
      env: expect.objectContaining({ DATABASE_URL: 'postgres://db/estate', WEBSITE_SITE_NAME: app.name, WEBSITE_SLOT_NAME: 'staging', WEBSITE_HOSTNAME: slotState(app.name, 'staging').defaultHostName })
    })
  })
})

describe('sidecar apps (linuxFxVersion SITECONTAINERS)', () => {
  const sidecars = [
    { name: 'main', image: `${LOOPBACK}:v1`, isMain: true, targetPort: '8000', environmentVariables: [{ name: 'DB', value: 'DATABASE_URL' }] },
    { name: 'otel', image: '127.0.0.1:5000/otel/collector:0.98', isMain: false, targetPort: '4318' }
  ]

  test('the site containers are listed, read, replaced and deleted through the SDK', async () => {
    const app = await newApp({ slots: ['staging'], sidecars, appSettings: { DATABASE_URL: 'postgres://db' } })
    expect((await web().webApps.getConfiguration(app.resourceGroup, app.name)).linuxFxVersion).toBe('SITECONTAINERS')
    const listed: SiteContainer[] = []
    for await (const container of web().webApps.listSiteContainers(app.resourceGroup, app.name)) listed.push(container)
    expect(listed.map(container => [container.name, container.image, container.isMain, container.targetPort])).toEqual([
      [`${app.name}/main`, `${LOOPBACK}:v1`, true, '8000'],
      [`${app.name}/otel`, '127.0.0.1:5000/otel/collector:0.98', false, '4318']
    ])
    expect(await web().webApps.getSiteContainerSlot(app.resourceGroup, app.name, 'staging', 'otel')).toMatchObject({ type: 'Microsoft.Web/sites/slots/sitecontainers', image: '127.0.0.1:5000/otel/collector:0.98' })
    expect(slotState(app.name)).toMatchObject({ sidecarMode: true, image: `${LOOPBACK}:v1`, serving: expect.objectContaining({ port: 8000, env: expect.objectContaining({ DB: 'postgres://db' }) }), sidecars: { otel: expect.objectContaining({ status: 'running' }) } })

    await web().webApps.deleteSiteContainer(app.resourceGroup, app.name, 'otel')
    await web().webApps.deleteSiteContainer(app.resourceGroup, app.name, 'otel') // 204: already gone
    const after: string[] = []
    for await (const container of web().webApps.listSiteContainers(app.resourceGroup, app.name)) after.push(String(container.name))
    expect(after).toEqual([`${app.name}/main`])
    expect(slotState(app.name).sidecars).toEqual({})
    await expect(web().webApps.getSiteContainer(app.resourceGroup, app.name, 'otel')).rejects.toMatchObject({ statusCode: 404 })
  })

  test("a new main image starts beside the old one; the sidecars' containers are not touched", async () => {
    const app = await newApp({ sidecars })
    const sidecarBefore = slotState(app.name).sidecars.otel

    const updated = await web().webApps.createOrUpdateSiteContainer(app.resourceGroup, app.name, 'main', { image: `${LOOPBACK}:v2`, isMain: true, targetPort: '8000' })
    expect(updated).toMatchObject({ image: `${LOOPBACK}:v2`, isMain: true })
    expect(await answersUntil(app.name, 'v2')).toEqual(['200 v1', '200 v2'])

    expect(slotState(app.name).sidecars.otel).toEqual(sidecarBefore)
    expect(slotState(app.name).lastStart).toMatchObject({ mode: 'beside', image: `${LOOPBACK}:v2` })
    // A second main container is refused.
    await expect(web().webApps.createOrUpdateSiteContainer(app.resourceGroup, app.name, 'second', { image: `${LOOPBACK}:v3`, isMain: true })).rejects.toMatchObject({ statusCode: 400 })
  })

  test('PATCHing DOCKER|… onto a sidecar app leaves sidecar mode: its sidecars stop', async () => {
    const app = await newApp({ sidecars })
    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: `DOCKER|${LOOPBACK}:v3` })
    await eventually(async () => (await served(app.name)) === '200 v3')
    await eventually(() => Object.keys(slotState(app.name).sidecars).length === 0)
    expect(slotState(app.name)).toMatchObject({ sidecarMode: false, serving: expect.objectContaining({ port: 80 }) })
  })
})

describe("Kudu's docker log", () => {
  test('each slot has an SCM host in hostNameSslStates (Repository) and enabledHostNames, serving its own docker log', async () => {
    const app = await newApp({ slots: ['staging'], image: `${LOOPBACK}:v1`, slotImages: { staging: `${LOOPBACK}:v2` } })
    const site = await web().webApps.getSlot(app.resourceGroup, app.name, 'staging')
    const repository = site.hostNameSslStates?.find(state => state.hostType === 'Repository')?.name
    expect(repository).toBe(slotState(app.name, 'staging').scmHostName)
    expect(site.enabledHostNames).toContain(repository)

    const log = await dockerLog(app.name, 'staging')
    const lines = log.split('\n')
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}- Pulling image: 127\.0\.0\.1:5000\/estate\/api:v2$/)
    expect(log).toMatch(/INFO {2}- {2}Digest: sha256:[0-9a-f]{64}/)
    expect(log).toMatch(/INFO {2}- Pull Image successful, Time taken: 0 Minutes and \d+ Seconds/)
    expect(log).toContain('INFO  - Starting container for site')
    expect(log).toMatch(new RegExp(`INFO  - Initiating warmup request to container ${app.name}__staging_0_[0-9a-f]{8} for site ${app.name}__staging`))
    expect(log).toMatch(new RegExp(`INFO  - Container ${app.name}__staging_0_[0-9a-f]{8} for site ${app.name}__staging initialized successfully and is ready to serve requests\\.`))
    expect(await dockerLog(app.name)).toContain(`Pulling image: ${LOOPBACK}:v1`)
  })

  test('the listing and the files: Kudu\'s JSON, and 401 without an ARM token', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1` })
    const scm = `https://${slotState(app.name).scmHostName}`
    expect((await fetch(`${scm}/api/logs/docker`)).status).toBe(401)
    expect((await fetch(`${scm}/api/logs/docker`, { headers: { Authorization: `Bearer ${await token('https://storage.azure.com')}` } })).status).toBe(401)
    const listing = await fetch(`${scm}/api/logs/docker`, { headers: { Authorization: `Bearer ${await token()}` } })
    const files = (await listing.json()) as { machineName: string; lastUpdated: string; size: number; href: string; path: string }[]
    const machine = slotState(app.name).dockerLog.machine
    expect(files).toEqual([
      { machineName: machine, lastUpdated: expect.stringMatching(/Z$/), size: expect.any(Number), href: `${scm}/api/vfs/LogFiles/${slotState(app.name).dockerLog.file}`, path: `/home/LogFiles/${slotState(app.name).dockerLog.file}` },
      expect.objectContaining({ machineName: `${machine}_default`, href: expect.stringMatching(/_default_docker\.log$/) })
    ])
    const file = await fetch(files[0]!.href, { headers: { Authorization: `Bearer ${await token()}` } })
    expect(Buffer.byteLength(await file.text())).toBe(files[0]!.size)
    expect((await fetch(`${scm}/api/vfs/LogFiles/2020_01_01_RD000000000000_docker.log`, { headers: { Authorization: `Bearer ${await token()}` } })).status).toBe(404)
  })

  test('a start that fails is logged as App Service logs it', async () => {
    const app = await newApp({ image: `${LOOPBACK}:v1`, appSettings: { WEBSITES_PORT: '8000', WEBSITES_CONTAINER_START_TIME_LIMIT: '1' } })
    standin.failContainerStart({ resourceGroup: app.resourceGroup, name: app.name })
    await web().webApps.updateConfiguration(app.resourceGroup, app.name, { linuxFxVersion: `DOCKER|${LOOPBACK}:v2` })
    await eventually(() => slotState(app.name).lastStart?.status === 'failed')
    const log = await dockerLog(app.name)
    expect(log).toMatch(new RegExp(`ERROR - Container ${app.name}_0_[0-9a-f]{8} for site ${app.name} did not start within expected time limit\\. Elapsed time = \\d+\\.\\d+ sec`))
    expect(log).toMatch(new RegExp(`ERROR - Container ${app.name}_0_[0-9a-f]{8} didn't respond to HTTP pings on port: 8000, failing site start\\. See container logs for debugging\\.`))
    expect(log.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`INFO  - Stopping site ${app.name} because it failed during startup\\.$`))
    expect(await served(app.name)).toBe('200 v1')
  })
})
