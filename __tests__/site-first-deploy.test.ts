/**
 * A site's first deploy to a storage account as real teams have it: the static website off
 * and `$web` not there yet (Storage makes it a moment after the switch), the website on but
 * its container gone, an identity that cannot read the setting, and a site an earlier tool
 * uploaded. Real Azurite per case (the static website is account-wide), the stand-in's Entra
 * ID and CDN, the site deploy's own prepare and publish.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import type { TokenCredential } from '@azure/core-auth'
import { BlobServiceClient } from '@azure/storage-blob'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { createTlsMaterial } from '../azure-standin/https-server.mjs'
import { createAzureClients } from '../src/azure/clients.js'
import { resolveCloud, type CloudEndpoints } from '../src/azure/cloud.js'
import type { AzureSession } from '../src/azure/connect.js'
import { createCredential } from '../src/azure/credentials.js'
import { createCommandRunner } from '../src/command-runner.js'
import { DeployError } from '../src/errors.js'
import { prepareSite, publishSite } from '../src/frontend/deploy.js'
import type { SitePartPlan } from '../src/plan.js'
import { startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { startStorageFaultProxy, type StorageFaultProxy } from '../__fixtures__/storage-fault-proxy.js'
import { recordingLogger } from '../__fixtures__/logger.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const CLIENT = '6c3c4d5e-6f70-4a8b-9c0d-1e2f3a4b5c6f'
const SECRET = 'first~Secret.0123456789'
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const COMMIT = 'c'.repeat(40)

let standin: Standin
let storageTls: Awaited<ReturnType<typeof createTlsMaterial>>
let credential: TokenCredential
let cloud: CloudEndpoints
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none' })
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  standin.addCdnEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'cdn-site', endpoint: 'site' })
  storageTls = await createTlsMaterial()
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, storageTls.caCertPem])
  cloud = resolveCloud(standin.cloudSetting)
  credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
}, 60_000)

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

afterAll(async () => {
  await standin?.close()
})

/** A fresh Azurite (the static website is account-wide), optionally behind the storage fault proxy. */
async function freshStorage(options: { proxy?: boolean } = {}): Promise<{ endpoint: string; admin: BlobServiceClient; proxy?: StorageFaultProxy }> {
  const azurite: Azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
  cleanups.push(() => azurite.stop())
  const admin = new BlobServiceClient(azurite.blobEndpoint, credential)
  if (!options.proxy) return { endpoint: azurite.blobEndpoint, admin }
  const proxy = await startStorageFaultProxy({ upstreamPort: azurite.port, upstreamCa: storageTls.caCertPem, cert: storageTls.cert, key: storageTls.key })
  cleanups.push(() => proxy.close())
  return { endpoint: proxy.blobEndpoint, admin, proxy }
}

/** A workspace whose "build" writes a three-file site with node, no npm needed. */
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'apd-first-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    path.join(dir, 'build.mjs'),
    "import { mkdirSync, writeFileSync } from 'node:fs'\nmkdirSync('build/assets', { recursive: true })\nwriteFileSync('build/index.html', '<h1>new</h1>')\nwriteFileSync('build/about.html', '<h1>about</h1>')\nwriteFileSync('build/assets/app.js', 'console.log(1)')\n"
  )
  return dir
}

function sitePlan(blobEndpoint: string, overrides: Partial<SitePartPlan> = {}): SitePartPlan {
  return {
    name: 'frontend',
    kind: 'site',
    deploy: true,
    change: { changed: true, reason: 'no-baseline', detail: 'first deploy', fileCount: 0, examples: [] },
    workingDirectory: '.',
    install: 'node --version',
    build: 'node build.mjs',
    installArgv: ['node', '--version'],
    buildArgv: ['node', 'build.mjs'],
    output: 'build',
    buildEnv: {},
    cacheControl: [],
    deleteStale: 'after-purge',
    maxDeleteShare: 0.5,
    keepReleases: 10,
    purge: 'changed',
    indexDocument: 'index.html',
    errorDocument: 'index.html',
    storageAccount: 'devstoreaccount1',
    container: '$web',
    archiveContainer: 'deployments',
    statePrefix: 'prod/',
    blobEndpoint,
    ...overrides
  }
}

async function deploy(plan: SitePartPlan, hooks: { afterPrepare?: () => void } = {}) {
  const logger = recordingLogger()
  const azure: AzureSession = { clients: createAzureClients(credential, cloud), credential, cloud }
  const deps = { runner: createCommandRunner(), logger, env: process.env, tempDir: tmpdir(), azure, allowMassDelete: false, sleep: (ms: number) => new Promise<void>(resolve => setTimeout(resolve, Math.min(ms, 250))) }
  const prepared = await prepareSite(plan, {}, { workspace: workspace(), commit: COMMIT }, deps)
  cleanups.push(() => prepared.cleanup())
  hooks.afterPrepare?.()
  const result = await publishSite(prepared, { ...deps, assertLockHeld: () => undefined }).catch((error: unknown) => error)
  return { result, logger }
}

const blobNames = async (admin: BlobServiceClient, container: string) => {
  const names: string[] = []
  for await (const blob of admin.getContainerClient(container).listBlobsFlat()) names.push(blob.name)
  return names.sort()
}

describe('a first site deploy', () => {
  test('static website off, $web made by Storage a moment after the switch: the deploy waits for it, then uploads', async () => {
    const { endpoint, admin } = await freshStorage()
    const plan = sitePlan(endpoint)
    // Storage makes $web once the switch completes; here a second after the deploy prepared.
    const { result, logger } = await deploy(plan, { afterPrepare: () => setTimeout(() => void admin.getContainerClient('$web').createIfNotExists(), 1000) })
    expect(result).not.toBeInstanceOf(Error)
    expect(logger.messages('info')).toContain('static website switched on (index index.html, 404 index.html)')
    expect((await admin.getProperties()).staticWebsite).toMatchObject({ enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' })
    expect(await blobNames(admin, '$web')).toEqual(['about.html', 'assets/app.js', 'index.html'])
  })

  test('the static website on, but $web gone: the error says so, nothing is uploaded', async () => {
    const { endpoint, admin } = await freshStorage()
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' } })
    const { result } = await deploy(sitePlan(endpoint))
    expect(result).toBeInstanceOf(DeployError)
    expect((result as DeployError).message).toBe('the static website of devstoreaccount1 is on, but its container devstoreaccount1/$web does not exist (deleted?).')
    expect((result as DeployError).hint).toMatch(/Switch the static website off and on again/)
  })

  test('an identity that may not read the setting, and no $web: the error says the website is probably off and what role would let the deploy switch it on', async () => {
    const { endpoint, proxy } = await freshStorage({ proxy: true })
    proxy!.failServiceProperties('all')
    const { result, logger } = await deploy(sitePlan(endpoint))
    expect(logger.messages('warning').join('\n')).toMatch(/404 document could not be checked|could not/)
    expect((result as DeployError).message).toBe('the site container devstoreaccount1/$web does not exist, and the static website setting of devstoreaccount1 could not be read: it is probably off.')
    expect((result as DeployError).hint).toMatch(/Storage Account Contributor/)
  })

  test('a site an earlier tool uploaded (no manifest of ours): everything is purged, then what is not in the build is deleted', async () => {
    const { endpoint, admin } = await freshStorage()
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' } })
    const web = admin.getContainerClient('$web')
    await web.createIfNotExists()
    await web.getBlockBlobClient('index.html').upload('<h1>old</h1>', 12)
    await web.getBlockBlobClient('about.html').upload('<h1>about</h1>', 14)
    const purgesBefore = standin.state().purges.length
    const plan = sitePlan(endpoint, { cdn: { kind: 'cdn', subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'cdn-site', endpoint: 'site' } })
    const { result } = await deploy(plan)
    expect(result).not.toBeInstanceOf(Error)
    expect(standin.state().purges.slice(purgesBefore).map(purge => purge.contentPaths)).toEqual([['/*']])
    expect(await blobNames(admin, '$web')).toEqual(['about.html', 'assets/app.js', 'index.html'])
  })
})
