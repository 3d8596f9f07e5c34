/**
 * The environment's deploy lock against a real Azurite over HTTPS, signed in with an Entra
 * token from the stand-in: a blob lease, renewed, naming its holder, released by the post
 * step from the lease ID the journal kept.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TokenCredential } from '@azure/core-auth'
import { BlobServiceClient } from '@azure/storage-blob'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { createTlsMaterial } from '../azure-standin/https-server.mjs'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { DeployError } from '../src/errors.js'
import { acquireDeployLock, releaseDeployLock, type LockLocation } from '../src/deploy/lock.js'
import { startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { recordingLogger } from '../__fixtures__/logger.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const CLIENT = '5b3c4d5e-6f70-4a8b-9c0d-1e2f3a4b5c6e'
const SECRET = 'lock~Secret.0123456789'
const HOLDER = { runUrl: 'https://github.com/octo-org/estate/actions/runs/1', commit: 'a'.repeat(40), startedAt: '2026-12-07T10:00:00.000Z' }
const RETRY = { retryDelayInMs: 10, maxRetryDelayInMs: 50 }

let standin: Standin
let azurite: Azurite
let credential: TokenCredential
let admin: BlobServiceClient
let testNumber = 0

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none' })
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  const storageTls = await createTlsMaterial()
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, storageTls.caCertPem])
  azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
  const cloud = resolveCloud(standin.cloudSetting)
  credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
  admin = new BlobServiceClient(azurite.blobEndpoint, credential)
}, 60_000)

afterAll(async () => {
  await azurite?.stop()
  await standin?.close()
})

/** A lock in a container of its own (created by the first acquire). */
function freshLocation(environment = 'prod'): LockLocation {
  testNumber++
  return { blobEndpoint: azurite.blobEndpoint, container: `locks-${testNumber}`, blob: `${environment}/deploy.lock` }
}

describe('deploy lock', () => {
  test('two deploys serialise: the second waits until the first releases, and says who it waits for', async () => {
    const location = freshLocation()
    const logger = recordingLogger()
    const first = await acquireDeployLock(location, credential, HOLDER, { waitMs: 10_000, pollMs: 100, retry: RETRY })
    let secondHeld = false
    const second = acquireDeployLock(location, credential, { ...HOLDER, commit: 'b'.repeat(40) }, { waitMs: 10_000, pollMs: 100, logger, retry: RETRY }).then(lock => {
      secondHeld = true
      return lock
    })
    await sleep(800)
    expect(secondHeld).toBe(false)
    expect(logger.messages('info')).toEqual([
      `waiting for another deploy to release devstoreaccount1/locks-${testNumber}/prod/deploy.lock (up to 10 s)`,
      `  it is held by run ${HOLDER.runUrl}, commit ${'a'.repeat(12)}, started ${HOLDER.startedAt}`
    ])
    await first.release()
    const lock = await second
    expect(secondHeld).toBe(true)
    lock.assertHeld()
    const { metadata } = await admin.getContainerClient(location.container).getBlobClient(location.blob).getProperties()
    expect(metadata?.commit).toBe('b'.repeat(40))
    await lock.release()
    await lock.release()
  })

  test('a deploy that cannot get the lock in time fails naming the holder', async () => {
    const location = freshLocation()
    const held = await acquireDeployLock(location, credential, HOLDER, { waitMs: 1000, retry: RETRY })
    const started = Date.now()
    const error = await acquireDeployLock(location, credential, HOLDER, { waitMs: 700, pollMs: 100, retry: RETRY }).catch((failure: unknown) => failure)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(error).toBeInstanceOf(DeployError)
    expect((error as DeployError).message).toBe(
      `another deploy of this environment holds the lock devstoreaccount1/locks-${testNumber}/prod/deploy.lock (run ${HOLDER.runUrl}, commit ${'a'.repeat(12)}, started ${HOLDER.startedAt}); waited 1 s. It expires by itself within 60 s if its runner died.`
    )
    await held.release()
  })

  test('a cancelled wait stops at once', async () => {
    const location = freshLocation()
    const held = await acquireDeployLock(location, credential, HOLDER, { waitMs: 1000, retry: RETRY })
    const controller = new AbortController()
    const waiting = acquireDeployLock(location, credential, HOLDER, { waitMs: 30_000, pollMs: 100, signal: controller.signal, retry: RETRY }).catch((failure: unknown) => failure)
    await sleep(300)
    const stoppedAt = Date.now()
    controller.abort(new Error('the run was cancelled (SIGINT)'))
    const error = await waiting
    expect(Date.now() - stoppedAt).toBeLessThan(2000)
    expect((error as DeployError).message).toMatch(/^stopped while waiting for the deploy lock .*: the run was cancelled \(SIGINT\)$/)
    await held.release()
  })

  test('the lease is renewed in the background, and a lost lease is reported', async () => {
    const location = freshLocation()
    const logger = recordingLogger()
    const lock = await acquireDeployLock(location, credential, HOLDER, { leaseSeconds: 15, waitMs: 1000, renewEveryMs: 100, logger, retry: RETRY })
    expect(lock.name).toBe(`devstoreaccount1/locks-${testNumber}/prod/deploy.lock`)
    await sleep(400)
    lock.assertHeld()
    const blob = admin.getContainerClient(location.container).getBlobClient(location.blob)
    expect((await blob.getProperties()).leaseState).toBe('leased')
    // Someone breaks the lease (an operator, or it lapsed while the runner was frozen).
    await blob.getBlobLeaseClient().breakLease(0)
    await sleep(400)
    expect(() => lock.assertHeld()).toThrow(/the deploy lock devstoreaccount1\/locks-\d+\/prod\/deploy\.lock was lost/)
    expect(logger.messages('warning')[0]).toMatch(/renewing the lease on .* failed/)
    await lock.release()
  })

  test('the post step releases a lock by the lease ID the journal kept; a lock no longer held is left alone', async () => {
    const location = freshLocation()
    const leaseId = crypto.randomUUID()
    const lock = await acquireDeployLock(location, credential, HOLDER, { waitMs: 1000, leaseId, retry: RETRY })
    expect(lock.leaseId).toBe(leaseId)
    // The main step was killed: its lock is still leased.
    const blob = admin.getContainerClient(location.container).getBlobClient(location.blob)
    expect((await blob.getProperties()).leaseState).toBe('leased')
    expect(await releaseDeployLock(location, credential, leaseId, RETRY)).toBe('released')
    expect((await blob.getProperties()).leaseState).toBe('available')
    // Another run holds it now: the post step must not take it away.
    const other = await acquireDeployLock(location, credential, HOLDER, { waitMs: 1000, retry: RETRY })
    expect(await releaseDeployLock(location, credential, leaseId, RETRY)).toBe('not-held')
    expect((await blob.getProperties()).leaseState).toBe('leased')
    await other.release()
  })
})
