/**
 * The static website switch against a real Azurite over HTTPS, signed in as production signs
 * in: switched on when off; on a website already on, an index or 404 document that differs
 * from the config is set (an SPA's `error-document: index.html` must not be ignored), other
 * service properties are kept, and what changed is reported; an identity that may not read or
 * set the service properties gets a warning that says the 404 document could not be checked
 * (the 403 comes from a proxy in front of Azurite, in Azure's shape). What the account holds is
 * read back through the SDK.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import type { TokenCredential } from '@azure/core-auth'
import { BlobServiceClient } from '@azure/storage-blob'
import { createTlsMaterial } from '../azure-standin/https-server.mjs'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { createSiteStore, describeStaticWebsite, type SiteStore } from '../src/frontend/blob-store.js'
import { startStorageFaultProxy, type StorageFaultProxy } from '../__fixtures__/storage-fault-proxy.js'

const CLIENT = '4c5d6e7f-8091-4a2b-9c3d-4e5f6a7b8c9d'
const SECRET = 'website~Secret.0123456789'

let standin: Awaited<ReturnType<typeof startAzureStandin>>
let azurite: Azurite
let proxy: StorageFaultProxy
let credential: TokenCredential
let admin: BlobServiceClient
let store: SiteStore

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none' })
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  const storageTls = await createTlsMaterial()
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, storageTls.caCertPem])
  azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
  proxy = await startStorageFaultProxy({ upstreamPort: azurite.port, upstreamCa: storageTls.caCertPem, cert: storageTls.cert, key: storageTls.key })
  credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: CLIENT, clientSecret: SECRET }, resolveCloud(standin.cloudSetting), { getIdToken: async () => '', setSecret: () => undefined })
  admin = new BlobServiceClient(azurite.blobEndpoint, credential)
  store = createSiteStore({ blobEndpoint: proxy.blobEndpoint, credential, container: '$web', archiveContainer: 'deployments', retry: { maxTries: 1 } })
}, 60_000)

afterAll(async () => {
  await proxy?.close()
  await azurite?.stop()
  await standin?.close()
})

beforeEach(async () => {
  proxy.failServiceProperties(undefined)
  await admin.setProperties({ staticWebsite: { enabled: false } })
})

const website = async () => (await admin.getProperties()).staticWebsite
const propertyCalls = (mark: number) => proxy.requests.slice(mark).filter(request => request.query.comp === 'properties').map(request => `${request.method} ${request.status}`)

describe('enableStaticWebsite', () => {
  test('off → switched on with the config’s index and 404 documents', async () => {
    const state = await store.enableStaticWebsite('index.html', 'index.html')
    expect(state).toEqual({
      status: 'enabled',
      indexDocument: 'index.html',
      errorDocument404Path: 'index.html',
      changes: [
        { setting: 'enabled', from: false, to: true },
        { setting: 'indexDocument', to: 'index.html' },
        { setting: 'errorDocument404Path', to: 'index.html' }
      ]
    })
    expect(await website()).toMatchObject({ enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' })
    expect(describeStaticWebsite('devstoreaccount1', state)).toEqual({ level: 'info', message: 'static website of devstoreaccount1 switched on (index document index.html, 404 document index.html)' })
  })

  test('on with only an index document: the config’s 404 document is set, CORS and logging are kept', async () => {
    const cors = [{ allowedOrigins: 'https://www.example.com', allowedMethods: 'GET', allowedHeaders: '*', exposedHeaders: '*', maxAgeInSeconds: 60 }]
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html' }, cors, blobAnalyticsLogging: { version: '1.0', read: true, write: false, deleteProperty: false, retentionPolicy: { enabled: true, days: 3 } } })

    const state = await store.enableStaticWebsite('index.html', 'index.html')
    expect(state).toEqual({ status: 'updated', indexDocument: 'index.html', errorDocument404Path: 'index.html', changes: [{ setting: 'errorDocument404Path', to: 'index.html' }] })
    const properties = await admin.getProperties()
    expect(properties.staticWebsite).toMatchObject({ enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' })
    expect(properties.cors).toEqual(cors)
    expect(properties.blobAnalyticsLogging).toMatchObject({ read: true, retentionPolicy: { enabled: true, days: 3 } })
    expect(describeStaticWebsite('devstoreaccount1', state)).toEqual({ level: 'info', message: 'static website of devstoreaccount1 set to the config: 404 document (none) → index.html' })
  })

  test('on with other documents: both set to the config’s, each change reported with what it was', async () => {
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'default.htm', errorDocument404Path: '404.html' } })
    const state = await store.enableStaticWebsite('index.html', 'index.html')
    expect(state).toMatchObject({
      status: 'updated',
      changes: [
        { setting: 'indexDocument', from: 'default.htm', to: 'index.html' },
        { setting: 'errorDocument404Path', from: '404.html', to: 'index.html' }
      ]
    })
    expect(await website()).toMatchObject({ indexDocument: 'index.html', errorDocument404Path: 'index.html' })
  })

  test('on and as the config says: nothing is written', async () => {
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: '404.html' } })
    const mark = proxy.requests.length
    const state = await store.enableStaticWebsite('index.html', '404.html')
    expect(state).toEqual({ status: 'already-on', indexDocument: 'index.html', errorDocument404Path: '404.html', changes: [] })
    expect(propertyCalls(mark)).toEqual(['GET 200'])
    expect(describeStaticWebsite('devstoreaccount1', state)).toBeUndefined()
  })

  test('asked only to check: what differs is reported as a warning, nothing is written', async () => {
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html' } })
    const mark = proxy.requests.length
    const state = await store.enableStaticWebsite('index.html', 'index.html', { update: false })
    expect(state).toEqual({ status: 'differs', indexDocument: 'index.html', changes: [{ setting: 'errorDocument404Path', to: 'index.html' }] })
    expect(propertyCalls(mark)).toEqual(['GET 200'])
    expect((await website())?.errorDocument404Path).toBeUndefined()
    expect(describeStaticWebsite('devstoreaccount1', state)).toEqual({ level: 'warning', message: 'the static website of devstoreaccount1 differs from the config, left as it is: 404 document (none) → index.html' })
  })

  test('an identity that may not read the service properties: a warning that the 404 document could not be checked', async () => {
    proxy.failServiceProperties('all')
    const state = await store.enableStaticWebsite('index.html', 'index.html')
    expect(state).toEqual({ status: 'unknown', reason: expect.stringContaining('may not read the service properties of devstoreaccount1') })
    expect(describeStaticWebsite('devstoreaccount1', state)).toEqual({ level: 'warning', message: expect.stringMatching(/so the static website and its 404 document could not be checked; make sure it is on/) })
    expect((await website())?.enabled).toBe(false)
  })

  test('an identity that may read but not set them: a warning naming the change it could not make', async () => {
    await admin.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: '404.html' } })
    proxy.failServiceProperties('write')
    const mark = proxy.requests.length
    const state = await store.enableStaticWebsite('index.html', 'index.html')
    expect(propertyCalls(mark)).toEqual(['GET 200', 'PUT 403'])
    expect(state).toEqual({ status: 'unknown', reason: expect.stringContaining('may not set the service properties of devstoreaccount1') })
    expect(describeStaticWebsite('devstoreaccount1', state)?.message).toContain('so 404 document 404.html → index.html could not be made')
    expect((await website())?.errorDocument404Path).toBe('404.html')
  })
})
