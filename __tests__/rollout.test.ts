/**
 * The rollout against the Azure stand-in, through the real ARM SDK: every target switched in
 * parallel, the new version verified on each, and all of them rolled back when one fails.
 * Containers are the stand-in's simulated ones here (they answer X-App-Version: <image tag>);
 * the end-to-end backend tests run real images on Docker.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { createAzureClients } from '../src/azure/clients.js'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { httpProbe } from '../src/backend/health.js'
import { rollout, type RolloutUnit } from '../src/backend/rollout.js'
import { createWebAppControl } from '../src/backend/web-app-control.js'
import type { Logger } from '../src/logger.js'
import type { WebAppTarget } from '../src/plan.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'
const SECRET = 'rollout~Secret.0123456789'
const REGISTRY = 'myregistry.azurecr.io'
const REPOSITORY = 'api'
const OLD = 'a'.repeat(40)
const NEW = 'b'.repeat(40)
const image = (sha: string) => `${REGISTRY}/${REPOSITORY}:${sha}`

let standin: Standin
const contract = useAzureContract()
let testNumber = 0
const quiet: Logger = { info: () => undefined, warning: () => undefined, debug: () => undefined, group: (_name, work) => work() }

// One stand-in for the file; each test has its own resource group.
beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', simulatedStartDelayMs: 50, onExchange: contract.onExchange })
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  standin.setContainerStartLimit(2500)
})

beforeEach(() => {
  testNumber++
  standin.setSwapDuration(200)
  standin.faults.clear()
})

afterAll(async () => {
  await standin.close()
})

const group = () => `rg-${testNumber}`

function control() {
  const cloud = resolveCloud(standin.cloudSetting)
  const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
  return createWebAppControl(createAzureClients(credential, cloud))
}

async function apps(names: string[], slots: string[] = []): Promise<WebAppTarget[]> {
  for (const name of names) await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group(), name, slots, image: image(OLD) })
  return names.map(app => ({ subscription: SUBSCRIPTION, resourceGroup: group(), app, slot: slots[0] }))
}

/** One unit per target, all of one part, to `sha` (the new image by default). */
function request(targets: WebAppTarget[], strategy: RolloutUnit['strategy'] = 'in-place', overrides: Partial<RolloutUnit> = {}): RolloutUnit[] {
  return targets.map(target => ({
    part: 'api',
    target,
    strategy,
    image: image(NEW),
    commit: NEW,
    settings: { declared: {}, prune: false },
    registry: REGISTRY,
    repository: REPOSITORY,
    verify: { mode: 'version', path: '/healthz', versionHeader: 'X-App-Version', consecutive: 2, timeoutSeconds: 4, intervalSeconds: 0.1 },
    swapTimeoutMs: 5000,
    ...overrides
  }))
}

const deps = () => ({ control: control(), verify: { probe: httpProbe, sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }), now: () => Date.now() }, logger: quiet })

/** What each production (or slot) serves now, asked over HTTPS as a user would. */
async function serving(target: WebAppTarget): Promise<string | null> {
  const state = await control().read(target)
  const response = await fetch(new URL('/healthz', state.url))
  return response.headers.get('x-app-version')
}

describe('in-place', () => {
  test('two redundant apps switch in parallel and both serve the new version', async () => {
    const targets = await apps(['api-1', 'api-2'])
    const report = await rollout(request(targets), deps())
    expect(report.failure).toBeUndefined()
    expect(report.targets.map(t => [t.app, t.status, t.previousImage, t.newImage])).toEqual([
      ['api-1', 'deployed', image(OLD), image(NEW)],
      ['api-2', 'deployed', image(OLD), image(NEW)]
    ])
    expect(await Promise.all(targets.map(serving))).toEqual([NEW, NEW])
    // In place: no swap phase.
    expect(Object.keys(report.phases).sort()).toEqual(['read', 'switch', 'verify'])
  })

  test('one of three never becomes healthy: all three go back to the previous image, verified', async () => {
    const targets = await apps(['api-1', 'api-2', 'api-3'])
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'api-2' })
    const report = await rollout(request(targets), deps())
    expect(report.ok).toBe(false)
    expect(report.failure).toMatch(/^api-2 failed to verify: timed out .* waiting for https:\/\/127\.0\.0\.1:\d+\/healthz to answer bbbbbbbbbbbb in X-App-Version; last: HTTP 200, X-App-Version: "a{40}"/)
    expect(report.targets.map(t => t.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back'])
    expect(report.targets[1]).toMatchObject({ phase: 'verify' })
    expect(await Promise.all(targets.map(serving))).toEqual([OLD, OLD, OLD])
    const configs = await Promise.all(targets.map(t => control().read(t)))
    expect(configs.map(c => c.image)).toEqual([image(OLD), image(OLD), image(OLD)])
  })

  test('two parts are one group: a worker that fails to start takes the API back with it', async () => {
    const api = await apps(['api-1', 'api-2'])
    const worker = await apps(['worker-1'])
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'worker-1' })
    const units = [...request(api), ...request(worker, 'in-place', { part: 'worker' })]
    const report = await rollout(units, deps())
    expect(report.failure).toMatch(/^worker-1 failed to verify: timed out/)
    expect(report.targets.map(t => [t.part, t.app, t.status])).toEqual([
      ['api', 'api-1', 'rolled-back'],
      ['api', 'api-2', 'rolled-back'],
      ['worker', 'worker-1', 'rolled-back']
    ])
    expect(await Promise.all([...api, ...worker].map(serving))).toEqual([OLD, OLD, OLD])
  })

  test('cancelled mid-verification: every switched target goes back, and the journal follows each step', async () => {
    const targets = await apps(['api-1', 'api-2'])
    const controller = new AbortController()
    const steps: string[] = []
    const journal = {
      planned: (units: readonly RolloutUnit[]) => steps.push(`planned ${units.length}`),
      changed: (index: number) => steps.push(`changed ${index}`),
      committed: () => steps.push('committed'),
      restored: (index: number) => steps.push(`restored ${index}`)
    }
    // The new containers never start, so verification waits until the signal fires.
    for (const app of ['api-1', 'api-2']) standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: app })
    setTimeout(() => controller.abort(new Error('the run was cancelled (SIGINT)')), 600)
    const report = await rollout(request(targets), { ...deps(), journal, signal: controller.signal })
    expect(report.ok).toBe(false)
    expect(report.failure).toBe('the run was cancelled (SIGINT)')
    expect(report.targets.map(t => t.status)).toEqual(['rolled-back', 'rolled-back'])
    expect(steps.slice(0, 3).sort()).toEqual(['changed 0', 'changed 1', 'planned 2'])
    expect(steps.slice(3).sort()).toEqual(['restored 0', 'restored 1'])
    expect(steps).not.toContain('committed')
    expect(await Promise.all(targets.map(t => control().read(t).then(state => state.image)))).toEqual([image(OLD), image(OLD)])
  })

  test('a target that does not exist fails the read, and nothing changes anywhere', async () => {
    const targets = [...(await apps(['api-1'])), { subscription: SUBSCRIPTION, resourceGroup: group(), app: 'api-missing' }]
    const report = await rollout(request(targets), deps())
    expect(report.failure).toMatch(/^api-missing failed to read: ARM 404 ResourceNotFound/)
    expect(report.untouched).toBe(true)
    expect(report.targets.map(t => t.status)).toEqual(['untouched', 'failed'])
    expect(standin.calls.filter(c => c.path.includes(`/${group()}/`) && c.method !== 'GET' && c.method !== 'POST')).toEqual([])
  })

  test('ARM answering 429 and 500 a few times: the deploy still succeeds', async () => {
    const targets = await apps(['api-1', 'api-2'])
    standin.faults.fail({ method: 'PATCH', path: /config\/web$/i, times: 2, status: 429, retryAfterSeconds: 1 })
    standin.faults.fail({ method: 'GET', path: /sites\/api-2$/i, times: 1, status: 500 })
    const report = await rollout(request(targets), deps())
    expect(report.failure).toBeUndefined()
    expect(report.targets.every(t => t.status === 'deployed')).toBe(true)
    expect(standin.calls.filter(c => c.path.includes(`/${group()}/`) && (c.status === 429 || c.status === 500))).toHaveLength(3)
  })

  test('an ARM error on the switch names the target, the phase and the ARM code; the others go back', async () => {
    const targets = await apps(['api-1', 'api-2'])
    // ARM's shape: with App Service's own { Code, Message } (the stand-in's default here) the SDK reports no code.
    standin.faults.fail({ method: 'PATCH', path: /sites\/api-2\/config\/web$/i, times: 5, status: 409 })
    const report = await rollout(request(targets), deps())
    expect(report.failure).toMatch(/^api-2 failed to switch: ARM 409 Conflict/)
    expect(report.targets.find(t => t.app === 'api-2')?.status).toBe('failed')
    expect(await serving(targets[0]!)).toBe(OLD)
  })

  test('re-deploying the same image restarts instead of re-setting it', async () => {
    const targets = await apps(['api-1'])
    const report = await rollout(request(targets, 'in-place', { image: image(OLD), commit: OLD }), deps())
    expect(report.targets[0]?.status).toBe('deployed')
    const mine = standin.calls.filter(c => c.path.includes(`/${group()}/`))
    expect(mine.some(c => c.method === 'POST' && /sites\/api-1\/restart$/i.test(c.path))).toBe(true)
    expect(mine.some(c => c.method === 'PATCH' && /config\/web$/i.test(c.path))).toBe(false)
  })
})

describe('slot-swap', () => {
  test('two apps: staging verified, swapped into production, production verified', async () => {
    const targets = await apps(['api-1', 'api-2'], ['staging'])
    const report = await rollout(request(targets, 'slot-swap'), deps())
    expect(report.failure).toBeUndefined()
    expect(report.targets.map(t => t.status)).toEqual(['deployed', 'deployed'])
    const production = targets.map(t => ({ ...t, slot: undefined }))
    expect(await Promise.all(production.map(serving))).toEqual([NEW, NEW])
    expect(await Promise.all(targets.map(serving))).toEqual([OLD, OLD])
    expect(Object.keys(report.phases)).toEqual(expect.arrayContaining(['stage', 'swap', 'verify']))
  })

  test('a staging slot that never becomes healthy: nothing is swapped, production untouched', async () => {
    const targets = await apps(['api-1', 'api-2'], ['staging'])
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'api-1', slot: 'staging' })
    const report = await rollout(request(targets, 'slot-swap'), deps())
    expect(report.failure).toMatch(/^api-1\/staging failed to stage: timed out/)
    expect(standin.calls.some(c => c.path.includes(`/${group()}/`) && /slotsswap/i.test(c.path))).toBe(false)
    expect(await Promise.all(targets.map(t => serving({ ...t, slot: undefined })))).toEqual([OLD, OLD])
  })

  test('a swap that does not finish in time: every production that swapped is swapped back', async () => {
    const targets = await apps(['api-1', 'api-2'], ['staging'])
    standin.setSwapDuration(1500)
    const report = await rollout(request(targets, 'slot-swap', { swapTimeoutMs: 1000 }), deps())
    expect(report.failure).toMatch(/failed to swap: the swap did not finish within 1s/)
    expect(report.targets.map(t => [t.status, t.phase, t.reason])).toEqual([
      ['rolled-back', 'swap', 'the swap did not finish within 1s'],
      ['rolled-back', 'swap', 'the swap did not finish within 1s']
    ])
    expect(await Promise.all(targets.map(t => serving({ ...t, slot: undefined })))).toEqual([OLD, OLD])
  }, 30_000)
})

describe('App Service as it behaves', () => {
  test.each(['location-200', 'location-204', 'async-operation'] as const)('a swap answered %s: every form counts, production is read back and serves the new version', async mode => {
    const targets = await apps(['api-1'], ['staging'])
    standin.setLroMode({ 'Microsoft.Web': mode })
    try {
      const report = await rollout(request(targets, 'slot-swap'), deps())
      expect(report.failure).toBeUndefined()
      expect(report.targets.map(t => t.status)).toEqual(['deployed'])
      expect(await serving({ ...targets[0]!, slot: undefined })).toBe(NEW)
    } finally {
      standin.setLroMode({ 'Microsoft.Web': 'location-200' })
    }
  })

  test('App Service’s own error body reaches the user: its code and message, not "Unexpected status code"', async () => {
    const targets = await apps(['api-1'])
    standin.faults.fail({ method: 'PATCH', path: /sites\/api-1\/config\/web$/i, times: 5, status: 409 })
    const report = await rollout(request(targets), deps())
    expect(report.failure).toMatch(/^api-1 failed to switch: ARM 409 Conflict: Cannot modify this site because another operation is in progress\./)
    expect(report.failure).not.toContain('Unexpected status code')
  })

  test('app settings, start command and port go in with the image in one update (one start), and a rollback restores all three', async () => {
    const [target] = await apps(['api-1'])
    await control().apply(target!, { image: image(OLD), settings: { KEEP: 'me', DEBUG: '1' }, command: '' }, await control().read(target!))
    const startsBefore = standin.state().sites.find(site => site.name === 'api-1' && site.resourceGroup === group())!.starts.length
    const units = request([{ ...target!, command: 'gunicorn app.wsgi', port: 8000 }], 'in-place', { settings: { declared: { DEBUG: '0', NEW_SETTING: 'x' }, prune: false } })
    const report = await rollout(units, deps())
    expect(report.failure).toBeUndefined()
    expect(report.targets[0]?.settings).toEqual({ added: ['NEW_SETTING', 'WEBSITES_PORT'], changed: ['DEBUG'], removed: [] })
    const after = standin.state().sites.find(site => site.name === 'api-1' && site.resourceGroup === group())!
    expect(after.appSettings).toEqual({ KEEP: 'me', DEBUG: '0', NEW_SETTING: 'x', WEBSITES_PORT: '8000' })
    expect(after.appCommandLine).toBe('gunicorn app.wsgi')
    expect(after.starts.length - startsBefore).toBe(1)
    // The same release, broken: everything goes back, settings and command included.
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'api-1' })
    const broken = request([{ ...target!, command: 'gunicorn broken.wsgi', port: 8000 }], 'in-place', { image: image('c'.repeat(40)), commit: 'c'.repeat(40), settings: { declared: { DEBUG: '2' }, prune: false } })
    const rolled = await rollout(broken, deps())
    expect(rolled.targets.map(t => t.status)).toEqual(['rolled-back'])
    const back = standin.state().sites.find(site => site.name === 'api-1' && site.resourceGroup === group())!
    expect([back.image, back.appSettings, back.appCommandLine]).toEqual([image(NEW), { KEEP: 'me', DEBUG: '0', NEW_SETTING: 'x', WEBSITES_PORT: '8000' }, 'gunicorn app.wsgi'])
  })

  test('pull credentials: an app may pull the new image only with its managed identity and AcrPull; without them the start fails and everything goes back', async () => {
    const created = await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'api-pull', image: image(OLD), identity: { systemAssigned: true } })
    const target = { subscription: SUBSCRIPTION, resourceGroup: group(), app: 'api-pull' }
    standin.configureRegistry({ server: REGISTRY })
    try {
      // acr-identity set, no role yet: App Service cannot pull, the old container keeps serving.
      const refused = await rollout(request([target], 'in-place', { acrIdentity: 'system' }), deps())
      expect(refused.targets.map(t => t.status)).toEqual(['rolled-back'])
      expect(await serving(target)).toBe(OLD)
      standin.grantAcrPull({ registry: REGISTRY, principal: String(created.principalId) })
      const report = await rollout(request([target], 'in-place', { acrIdentity: 'system' }), deps())
      expect(report.failure).toBeUndefined()
      const site = standin.state().sites.find(entry => entry.name === 'api-pull')!
      expect([site.acrUseManagedIdentityCreds, await serving(target)]).toEqual([true, NEW])
    } finally {
      standin.configureRegistry({ server: REGISTRY, credentialsRequired: false })
    }
  })

  test('a sidecar app: only the main container’s image changes, the sidecars stay, and a rollback puts the main one back', async () => {
    await standin.addWebApp({
      subscription: SUBSCRIPTION,
      resourceGroup: group(),
      name: 'api-sc',
      sidecars: [
        { name: 'main', image: image(OLD), isMain: true, targetPort: '8000' },
        { name: 'otel', image: '127.0.0.1:5000/otel/collector:0.98', isMain: false, targetPort: '4318' }
      ]
    })
    const target = { subscription: SUBSCRIPTION, resourceGroup: group(), app: 'api-sc' }
    const report = await rollout(request([target]), deps())
    expect(report.failure).toBeUndefined()
    const containers = () => standin.state().sites.find(site => site.name === 'api-sc')!.siteContainers.map((c: { name: string; image: string }) => [c.name, c.image])
    expect(standin.state().sites.find(site => site.name === 'api-sc')!.linuxFxVersion).toMatch(/^SITECONTAINERS$/i)
    expect(containers()).toEqual([
      ['main', image(NEW)],
      ['otel', '127.0.0.1:5000/otel/collector:0.98']
    ])
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'api-sc' })
    const rolled = await rollout(request([target], 'in-place', { image: image('c'.repeat(40)), commit: 'c'.repeat(40) }), deps())
    expect(rolled.targets.map(t => t.status)).toEqual(['rolled-back'])
    expect(containers()).toEqual([
      ['main', image(NEW)],
      ['otel', '127.0.0.1:5000/otel/collector:0.98']
    ])
  })

  test('verify: platform — App Service’s docker log proves the start, with no health endpoint; a container that fails to start is caught there', async () => {
    const targets = await apps(['worker-1'])
    const platformDeps = () => {
      const cloud = resolveCloud(standin.cloudSetting)
      const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
      return { ...deps(), platform: { token: async () => (await credential.getToken(`${standin.cloud.resourceManagerAudience}/.default`))!.token, fetch } }
    }
    const platform = { mode: 'platform' as const, path: '/', consecutive: 1, timeoutSeconds: 6, intervalSeconds: 0.2 }
    const report = await rollout(request(targets, 'in-place', { part: 'worker', verify: platform }), platformDeps())
    expect(report.failure).toBeUndefined()
    expect(report.targets.map(t => t.status)).toEqual(['deployed'])
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group(), name: 'worker-1' })
    const failed = await rollout(request(targets, 'in-place', { part: 'worker', verify: platform, image: image('c'.repeat(40)), commit: 'c'.repeat(40) }), platformDeps())
    expect(failed.failure).toMatch(/^worker-1 failed to verify: (App Service's docker log says the container of .* did not start|timed out)/)
    expect(failed.targets.map(t => t.status)).toEqual(['rolled-back'])
  }, 30_000)
})
