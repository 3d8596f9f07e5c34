/**
 * Every ARM call is bounded per try and retried: a try that hangs is given up after the
 * per-try timeout and sent again, so a call ARM does not answer costs a bounded time, never
 * as long as it hangs. Through the real ARM SDK against the stand-in, whose faults hold a
 * request back before answering it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { createAzureClients, type AzureClients } from '../src/azure/clients.js'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const CLIENT = '5e6f7081-92a3-4b4c-8d5e-6f708192a3b4'
const SECRET = 'timeout~Secret.0123456789'
const TRY_MS = 400

let standin: Standin
const contract = useAzureContract()
let clients: AzureClients

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
  await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: 'rg-timeout', name: 'slow-app', image: '127.0.0.1:5000/api:v1' })
  const cloud = resolveCloud(standin.cloudSetting)
  const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
  clients = createAzureClients(credential, cloud, { tryTimeoutMs: TRY_MS })
  // Sign in once, so the timings below are the ARM call's alone.
  await (await clients.webApps(SUBSCRIPTION)).get('rg-timeout', 'slow-app')
})

afterAll(async () => {
  standin.faults.clear()
  await standin.close()
})

const configPath = /\/sites\/slow-app\/config\/web$/i

describe('the per-try timeout of ARM calls', () => {
  test('a try that hangs is given up after the per-try timeout and retried: the call succeeds long before the hang ends', async () => {
    standin.faults.delay({ method: 'GET', path: configPath, times: 1, delayMs: 30_000 })
    const started = Date.now()
    const config = await (await clients.webApps(SUBSCRIPTION)).getConfiguration('rg-timeout', 'slow-app')
    const seconds = (Date.now() - started) / 1000
    expect(config.linuxFxVersion).toBe('DOCKER|127.0.0.1:5000/api:v1')
    expect(seconds).toBeGreaterThanOrEqual(TRY_MS / 1000)
    expect(seconds).toBeLessThan(20)
    expect(standin.faults.pending()).toEqual([])
  })

  test('every try hangs: the call fails after the SDK’s tries, saying it timed out, not that it was cancelled', async () => {
    standin.faults.delay({ method: 'GET', path: configPath, times: 4, delayMs: 30_000 })
    const started = Date.now()
    const failure = await (await clients.webApps(SUBSCRIPTION))
      .getConfiguration('rg-timeout', 'slow-app')
      .then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string }
      )
    expect(failure?.code).toBe('ETIMEDOUT')
    expect(failure?.message).toMatch(/^GET https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\/sites\/slow-app\/config\/web did not answer within 0\.4 s$/)
    // Four tries (the first and three retries), each given up after TRY_MS.
    expect(standin.faults.pending()).toEqual([])
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * TRY_MS)
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 60_000)

  test('the caller’s cancellation is not a timeout: the call stops at once and is not retried', async () => {
    standin.faults.delay({ method: 'GET', path: configPath, times: 2, delayMs: 30_000 })
    const cancel = new AbortController()
    setTimeout(() => cancel.abort(), 100)
    const failure = await (await clients.webApps(SUBSCRIPTION))
      .getConfiguration('rg-timeout', 'slow-app', { abortSignal: cancel.signal })
      .then(
        () => undefined,
        (error: unknown) => error as Error
      )
    expect(failure?.name).toBe('AbortError')
    // The second hang was never asked for.
    expect(standin.faults.pending()).toHaveLength(1)
    standin.faults.clear()
  })
})
