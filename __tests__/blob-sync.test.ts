/**
 * The site sync, the manifest and the archives against a real Azurite over
 * HTTPS, signed in as production signs in: a client secret exchanged with the stand-in's
 * Entra ID for a bearer token for https://storage.azure.com. What the storage holds is read
 * back through the SDK, never taken from what the code says it did.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { createHash } from 'node:crypto'
import { appendFileSync, cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TokenCredential } from '@azure/core-auth'
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { generateSite } from '../scripts/lib/generated-site.mjs'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { DeployError } from '../src/errors.js'
import { blobEndpointFor, createSiteStore, parseBlobListing, type DeployManifest, type SiteStore } from '../src/frontend/blob-store.js'
import { compileCacheControl, headersFor, IMMUTABLE, type CacheControlRule } from '../src/frontend/headers.js'
import { listSiteFiles, SiteContents } from '../src/frontend/site-files.js'
import { createReleaseArchive, releaseArchiveSegments } from '../src/frontend/archive.js'
import { deleteStale, syncSite } from '../src/frontend/sync.js'
import { planSync, type LocalEntry, type SyncPlanOptions } from '../src/frontend/sync-plan.js'
import { selfSignedTls, startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { recordingLogger } from '../__fixtures__/logger.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const CLIENT = '2b3c4d5e-6f70-4a8b-9c0d-1e2f3a4b5c6d'
const SECRET = 'storage~Secret.0123456789'
const GUARD: SyncPlanOptions = { maxDeleteShare: 0.5, allowMassDelete: false }

let standin: Standin
const contract = useAzureContract()
let azurite: Azurite
let credential: TokenCredential
let admin: BlobServiceClient
let testNumber = 0
const folders: string[] = []

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  standin.registerApplication({ clientId: CLIENT, clientSecret: SECRET })
  // Self-signed: Azurite's Put Block From URL reads from itself trusting only its own certificate.
  const storageTls = await selfSignedTls()
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

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** A fresh site container and archive container for each test. */
async function freshStore(options: { environment?: string; singleShotBytes?: number } = {}) {
  testNumber++
  const container = `site-${testNumber}`
  await admin.getContainerClient(container).create()
  const logger = recordingLogger()
  const store = createSiteStore({
    blobEndpoint: azurite.blobEndpoint,
    credential,
    container,
    archiveContainer: `deployments-${testNumber}`,
    logger,
    retry: { retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    ...options
  })
  return { store, logger, site: admin.getContainerClient(container), archive: admin.getContainerClient(`deployments-${testNumber}`) }
}

function siteFolder(options: { files: number; totalBytes: number }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'apd-site-'))
  folders.push(dir)
  generateSite(dir, options)
  return dir
}

async function localEntries(dir: string, rules: CacheControlRule[] = [], contents?: SiteContents): Promise<LocalEntry[]> {
  const cacheControl = compileCacheControl(rules)
  return (await listSiteFiles(dir, contents)).map(file => ({ file, headers: headersFor(file.path, cacheControl) }))
}

/** Plan against what the container holds now, and run it, as a deploy does: uploading the bytes as hashed. */
async function sync(store: SiteStore, dir: string, rules: CacheControlRule[] = [], guard = GUARD) {
  const logger = recordingLogger()
  const contents = new SiteContents()
  const plan = planSync(await localEntries(dir, rules, contents), await store.listSite(), guard)
  const report = await syncSite(plan, { store, logger, contents }, { concurrency: 16 })
  return { plan, report, logger }
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = []
  for await (const blob of container.listBlobsFlat()) names.push(blob.name)
  return names.sort()
}

const SMALL_SITE = { files: 150, totalBytes: 1.5e6 }

describe('sign-in', () => {
  test('the blob endpoint is the account in the cloud, unless given', () => {
    expect(blobEndpointFor('mysite', 'core.windows.net')).toBe('https://mysite.blob.core.windows.net')
    expect(blobEndpointFor('mysite', 'core.chinacloudapi.cn')).toBe('https://mysite.blob.core.chinacloudapi.cn')
    expect(blobEndpointFor('mysite', 'core.windows.net', 'https://10.0.0.5/mysite/')).toBe('https://10.0.0.5/mysite')
  })

  test("a bearer token from Entra ID is accepted; a malformed one and one for another audience are refused with 403", async () => {
    const { store } = await freshStore()
    expect(store.account).toBe('devstoreaccount1')
    await expect(store.listSite()).resolves.toEqual([])

    const malformed = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential: { getToken: async () => ({ token: 'not-a-jwt', expiresOnTimestamp: Date.now() + 3_600_000 }) }, container: store.container, archiveContainer: 'deployments' })
    const refused = await malformed.listSite().catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(DeployError)
    expect((refused as DeployError).message).toMatch(new RegExp(`^listing devstoreaccount1/${store.container} failed: 403 AuthenticationFailed`))
    expect((refused as DeployError).hint).toMatch(/refused the sign-in token/)

    // A real token of the same tenant, but for ARM: the storage must not take it.
    const armToken: TokenCredential = { getToken: () => credential.getToken(`${standin.cloud.resourceManagerAudience}/.default`) }
    const wrongAudience = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential: armToken, container: store.container, archiveContainer: 'deployments' })
    await expect(wrongAudience.listSite()).rejects.toThrow(/403 AuthenticationFailed/)
  })
})

describe('sync', () => {
  test('a first sync: every blob with its Content-Type, Cache-Control and Content-MD5, pages after assets, index.html last', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder(SMALL_SITE)
    const { plan, report, logger } = await sync(store, dir)
    expect(report.failure).toBeUndefined()
    expect(plan.uploads).toHaveLength(SMALL_SITE.files)
    expect(report.uploaded).toHaveLength(SMALL_SITE.files)
    expect(report.bytesUploaded).toBe(plan.uploads.reduce((sum, upload) => sum + upload.file.size, 0))
    expect(logger.messages('info')).toContain(`uploaded ${SMALL_SITE.files}/${SMALL_SITE.files} (1.5 MB)`)

    const local = await localEntries(dir)
    for (const { file, headers } of local) {
      const properties = await site.getBlobClient(file.path).getProperties()
      expect([file.path, properties.contentType, properties.cacheControl, Buffer.from(properties.contentMD5 ?? []).toString('base64'), properties.contentLength]).toEqual([
        file.path,
        headers.contentType,
        headers.cacheControl,
        file.md5,
        file.size
      ])
    }
    expect((await site.getBlobClient('index.html').getProperties()).contentType).toBe('text/html; charset=utf-8')
    expect((await site.getBlobClient(local.find(entry => entry.file.path.startsWith('static/js/') && entry.file.path.endsWith('.js'))!.file.path).getProperties()).cacheControl).toBe(IMMUTABLE)

    // The order, from the executor's log: no page starts before every asset is stored,
    // and the root index.html starts after every other upload finished.
    const uploads = report.log.filter(event => event.action === 'upload')
    const assets = uploads.filter(event => event.wave === 'assets')
    const pages = uploads.filter(event => event.wave === 'pages')
    const [rootIndex] = uploads.filter(event => event.wave === 'root-index')
    expect(pages.length).toBeGreaterThan(1)
    expect(Math.min(...pages.map(event => event.startedMs))).toBeGreaterThanOrEqual(Math.max(...assets.map(event => event.finishedMs)))
    expect(rootIndex!.path).toBe('index.html')
    expect(rootIndex!.startedMs).toBeGreaterThanOrEqual(Math.max(...[...assets, ...pages].map(event => event.finishedMs)))
    expect(uploads.at(-1)!.path).toBe('index.html')

    // And from what the storage recorded: index.html was created no earlier than any asset.
    const created = new Map<string, number>()
    for await (const blob of site.listBlobsFlat()) created.set(blob.name, blob.properties.createdOn!.getTime())
    const indexCreated = created.get('index.html')!
    for (const event of [...assets, ...pages]) expect(created.get(event.path)!).toBeLessThanOrEqual(indexCreated)
  })

  test('a re-sync with one changed file uploads exactly that file', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder(SMALL_SITE)
    await sync(store, dir)
    const changed = (await localEntries(dir)).find(entry => entry.file.path.endsWith('.css'))!.file.path
    writeFileSync(path.join(dir, changed), 'body { color: rebeccapurple }\n')

    const { plan, report } = await sync(store, dir)
    expect(plan.uploads.map(upload => [upload.file.path, upload.reason])).toEqual([[changed, 'changed']])
    expect(plan.unchanged).toHaveLength(SMALL_SITE.files - 1)
    expect(report.uploaded).toEqual([changed])
    expect(report.log).toHaveLength(1)
    expect((await site.getBlobClient(changed).downloadToBuffer()).toString()).toBe('body { color: rebeccapurple }\n')
    expect((await sync(store, dir)).plan.uploads).toEqual([])
  })

  test('a Cache-Control rule change fixes the headers without uploading, and keeps Content-MD5', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder(SMALL_SITE)
    await sync(store, dir)
    const rules = [{ match: 'static/media/**', value: 'public, max-age=600' }]
    const { plan, report } = await sync(store, dir, rules)
    const media = (await localEntries(dir)).filter(entry => entry.file.path.startsWith('static/media/'))
    expect(plan.uploads).toEqual([])
    expect(plan.headerFixes.map(fix => fix.path)).toEqual(media.map(entry => entry.file.path))
    expect(plan.headerFixes[0]!.previous.cacheControl).toBe(IMMUTABLE)
    expect(report.headersFixed).toHaveLength(media.length)
    expect(report.log.every(event => event.action === 'set-headers')).toBe(true)

    for (const { file, headers } of media.slice(0, 20)) {
      const properties = await site.getBlobClient(file.path).getProperties()
      expect([properties.cacheControl, properties.contentType, Buffer.from(properties.contentMD5 ?? []).toString('base64')]).toEqual(['public, max-age=600', headers.contentType, file.md5])
    }
    const again = await sync(store, dir, rules)
    expect([again.plan.uploads.length, again.plan.headerFixes.length]).toEqual([0, 0])
  })

  test('stale blobs are deleted only by deleteStale, and the guard refuses to delete most of the site', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder(SMALL_SITE)
    await sync(store, dir)
    unlinkSync(path.join(dir, 'docs', 'page-1.html'))
    const { plan, report, logger } = await sync(store, dir)
    expect(plan.stale).toEqual(['docs/page-1.html'])
    expect(await blobNames(site)).toContain('docs/page-1.html')
    expect(await deleteStale(plan, report, { store, logger })).toMatchObject({ status: 'deleted', deleted: ['docs/page-1.html'] })
    expect(await blobNames(site)).not.toContain('docs/page-1.html')

    // Most of the build gone (a broken build, a wrong output folder): refused, nothing deleted.
    const local = await localEntries(dir)
    const kept = local.slice(0, Math.floor(local.length * 0.4))
    const before = await blobNames(site)
    const guarded = planSync(kept, await store.listSite(), GUARD)
    expect(guarded.deleteRefused).toBe(`it would delete ${local.length - kept.length} of the ${local.length} blobs of the site (${Math.round(((local.length - kept.length) / local.length) * 1000) / 10}%), more than the 50% allowed`)
    const guardedSync = await syncSite(guarded, { store, logger })
    expect(await deleteStale(guarded, guardedSync, { store, logger })).toMatchObject({ status: 'refused', deleted: [] })
    expect(await blobNames(site)).toEqual(before)

    const allowed = planSync(kept, await store.listSite(), { maxDeleteShare: 0.5, allowMassDelete: true })
    expect(await deleteStale(allowed, await syncSite(allowed, { store, logger }), { store, logger })).toMatchObject({ status: 'deleted' })
    expect(await blobNames(site)).toEqual(kept.map(entry => entry.file.path).sort())
  })

  test('an upload that fails part-way: no page goes out, nothing is deleted, and a re-run converges', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder(SMALL_SITE)
    await sync(store, dir)
    const local = await localEntries(dir)
    const scripts = local.filter(entry => entry.file.path.endsWith('.js') && entry.file.path.startsWith('static/'))
    // A new release: many scripts and every page change, and one old page goes away.
    for (const { file } of scripts.slice(0, 30)) writeFileSync(file.absolute, `/* v2 */ ${file.path}\n`)
    for (const { file } of local.filter(entry => entry.file.path.endsWith('.html'))) writeFileSync(file.absolute, `<!doctype html><p>RELEASE-TWO ${file.path}</p>\n`)
    unlinkSync(path.join(dir, 'docs', 'page-2.html'))
    const before = await blobNames(site)
    const vanishing = scripts[10]!.file
    const plan = planSync(await localEntries(dir), await store.listSite(), GUARD)
    expect(plan.stale).toEqual(['docs/page-2.html'])
    // Hashed, then gone before its upload (a build still writing, a cleanup step racing the deploy).
    unlinkSync(vanishing.absolute)

    const logger = recordingLogger()
    const report = await syncSite(plan, { store, logger }, { concurrency: 4 })
    expect(report.ok).toBe(false)
    expect(report.failure).toBe(
      `uploading devstoreaccount1/${site.containerName}/${vanishing.path} failed: ENOENT: no such file or directory, open '${vanishing.absolute}'\n  → Something changed the build output while the deploy ran: make sure no other step writes to it, then re-run.`
    )
    expect(report.failed.map(failure => failure.path)).toEqual([vanishing.path])
    expect(report.log.some(event => event.wave !== 'assets')).toBe(false)
    expect((await site.getBlobClient('index.html').downloadToBuffer()).toString()).not.toMatch(/RELEASE-TWO/)
    expect(await deleteStale(plan, report, { store, logger })).toMatchObject({ status: 'refused', reason: expect.stringMatching(/^an upload failed/) })
    expect(await blobNames(site)).toEqual(before)

    writeFileSync(vanishing.absolute, `/* v2 */ ${vanishing.path}\n`)
    const rerun = await sync(store, dir)
    expect(rerun.report.ok).toBe(true)
    expect(await deleteStale(rerun.plan, rerun.report, { store, logger })).toMatchObject({ status: 'deleted', deleted: ['docs/page-2.html'] })
    const converged = planSync(await localEntries(dir), await store.listSite(), GUARD)
    expect([converged.uploads.length, converged.headerFixes.length, converged.stale.length]).toEqual([0, 0, 0])
    expect((await site.getBlobClient('index.html').downloadToBuffer()).toString()).toMatch(/RELEASE-TWO index\.html/)
  })

  test('a file rewritten after it was hashed is refused by the storage, so a stored MD5 never lies', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder({ files: 10, totalBytes: 20_000 })
    const [entry] = (await localEntries(dir)).filter(local => local.file.path === 'robots.txt')
    const same = readFileSync(entry!.file.absolute)
    writeFileSync(entry!.file.absolute, Buffer.from(same.map(byte => (byte === 0x61 ? 0x62 : 0x61))))
    await expect(store.upload(entry!.file, entry!.headers)).rejects.toThrow(/failed: 400 Md5Mismatch/)
    expect(await blobNames(site)).toEqual([])

    writeFileSync(entry!.file.absolute, 'grew')
    await expect(store.upload(entry!.file, entry!.headers)).rejects.toThrow(/changed while the deploy ran/)
  })

  test('the bytes kept when hashing are what is uploaded: a file rewritten since cannot make its Content-MD5 lie', async () => {
    const { store, site } = await freshStore()
    const dir = siteFolder({ files: 10, totalBytes: 20_000 })
    const contents = new SiteContents()
    const file = (await listSiteFiles(dir, contents)).find(candidate => candidate.path === 'robots.txt')!
    const hashed = readFileSync(file.absolute)
    writeFileSync(file.absolute, 'rewritten after hashing')
    await store.upload(file, { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-cache' }, contents)
    const stored = site.getBlobClient('robots.txt')
    expect((await stored.downloadToBuffer()).equals(hashed)).toBe(true)
    expect(Buffer.from((await stored.getProperties()).contentMD5!).toString('base64')).toBe(file.md5)
    // Nothing kept (over the budget): read now, and refused since its size changed.
    await expect(store.upload(file, { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-cache' }, new SiteContents(0))).rejects.toThrow(/changed while the deploy ran/)
  })

  test('large files go up in blocks, with Content-MD5 set', async () => {
    const { store, site } = await freshStore({ singleShotBytes: 64 * 1024 })
    const dir = siteFolder({ files: 12, totalBytes: 2e6 })
    const { report } = await sync(store, dir)
    expect(report.ok).toBe(true)
    for (const { file } of await localEntries(dir)) {
      const properties = await site.getBlobClient(file.path).getProperties()
      expect([file.path, Buffer.from(properties.contentMD5 ?? []).toString('base64')]).toEqual([file.path, file.md5])
    }
    // Put Block List leaves committed blocks; a single Put Blob leaves none.
    const committedBlocks = async (blob: string) => (await site.getBlockBlobClient(blob).getBlockList('committed')).committedBlocks?.length ?? 0
    const local = await localEntries(dir)
    expect(await committedBlocks(local.find(entry => entry.file.size > 64 * 1024)!.file.path)).toBeGreaterThanOrEqual(1)
    expect(await committedBlocks(local.find(entry => entry.file.size <= 64 * 1024)!.file.path)).toBe(0)
  })

  test('600 blobs are deleted in batches of at most 256, names with spaces and non-ASCII included', async () => {
    const { store, site } = await freshStore()
    const names = Array.from({ length: 600 }, (_, index) => (index % 100 === 0 ? `deep/dir ${index}/café ${index}.txt` : `f/${index}.txt`))
    let next = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < names.length) {
          const name = names[next++]!
          await site.getBlockBlobClient(name).upload(name, Buffer.byteLength(name))
        }
      })
    )
    expect(await blobNames(site)).toHaveLength(600)
    // Listed in pages of 256, following the next-page marker.
    const paged = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container: store.container, archiveContainer: store.archiveContainer, listPageSize: 256 })
    expect((await paged.listSite()).map(blob => blob.path)).toEqual(await blobNames(site))
    // A blob that is already gone counts as deleted. (The SDK throws on a batch of 257, so
    // passing 601 names proves they were split.)
    await store.deleteBlobs([...names, 'never/existed.txt'])
    expect(await blobNames(site)).toEqual([])
  })
})

describe('listing', () => {
  test('lists what the SDK lists: names with spaces, quotes, ampersands and non-ASCII, each with its MD5, type, cache rule and size', async () => {
    const { store, site } = await freshStore()
    const names = ['index.html', 'a b/c d.txt', 'q"uote\'s.txt', 'x&y<z>.html', 'ünï/çødé 日本.txt', 'empty', 'deep/er/still.js']
    for (const [i, name] of names.entries()) {
      const body = Buffer.from(name.repeat(i))
      await site.getBlockBlobClient(name).upload(body, body.length, { blobHTTPHeaders: i === 5 ? {} : { blobContentType: `text/x-${i}; charset=utf-8`, blobCacheControl: `max-age=${i}` } })
    }
    const bySdk = []
    for await (const item of site.listBlobsFlat()) {
      const md5 = item.properties.contentMD5
      bySdk.push({ path: item.name, md5: md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined, contentType: item.properties.contentType || undefined, cacheControl: item.properties.cacheControl || undefined, size: item.properties.contentLength })
    }
    expect(bySdk).toHaveLength(names.length)
    expect(await store.listSite()).toEqual(bySdk)
  })

  test('parseBlobListing: entities, percent-encoded names, empty properties and the next page', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/" ContainerName="$web"><Blobs>
      <Blob><Name>a &amp; b&#x27;s &lt;page&gt;.html</Name><Properties><Creation-Time>Mon, 07 Dec 2026 12:00:00 GMT</Creation-Time><Content-Length>12</Content-Length><Content-Type>text/html; charset=utf-8</Content-Type><Content-Encoding /><Content-MD5>rL0Y20zC+Fzt72VPzMSk2A==</Content-MD5><Cache-Control>no-cache</Cache-Control><BlobType>BlockBlob</BlobType></Properties><OrMetadata /></Blob>
      <Blob><Name Encoded="true">bad%01name.txt</Name><Properties><Content-Length>0</Content-Length><Content-Type /><Content-MD5 /><Cache-Control /></Properties></Blob>
    </Blobs><NextMarker>2!72!MDAwMDA0IWIudHh0ITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--</NextMarker></EnumerationResults>`
    expect(parseBlobListing(xml)).toEqual({
      blobs: [
        { path: "a & b's <page>.html", md5: 'rL0Y20zC+Fzt72VPzMSk2A==', contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache', size: 12 },
        { path: 'bad\u0001name.txt', md5: undefined, contentType: undefined, cacheControl: undefined, size: 0 }
      ],
      nextMarker: '2!72!MDAwMDA0IWIudHh0ITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--'
    })
    expect(parseBlobListing('<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>')).toEqual({ blobs: [], nextMarker: undefined })
  })
})

describe('static website', () => {
  test('switched on when off, left alone when on as configured; $web takes uploads and batch deletes', async () => {
    const { store } = await freshStore()
    const unsigned = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential: { getToken: async () => ({ token: 'not-a-jwt', expiresOnTimestamp: Date.now() + 3_600_000 }) }, container: '$web', archiveContainer: 'deployments' })
    await expect(unsigned.enableStaticWebsite('index.html')).rejects.toThrow(/^reading the static website setting of devstoreaccount1 failed: 403 AuthenticationFailed/)
    expect((await admin.getProperties()).staticWebsite?.enabled).toBeFalsy()
    expect(await store.enableStaticWebsite('index.html', '404.html')).toMatchObject({ status: 'enabled', indexDocument: 'index.html', errorDocument404Path: '404.html' })
    expect((await admin.getProperties()).staticWebsite).toMatchObject({ enabled: true, indexDocument: 'index.html', errorDocument404Path: '404.html' })
    expect(await store.enableStaticWebsite('index.html', '404.html')).toMatchObject({ status: 'already-on', changes: [] })

    // Azure creates $web when the website is switched on; Azurite only stores the setting.
    await admin.getContainerClient('$web').createIfNotExists()
    const web = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container: '$web', archiveContainer: store.archiveContainer })
    const dir = siteFolder({ files: 12, totalBytes: 50_000 })
    const plan = planSync(await localEntries(dir), await web.listSite(), GUARD)
    expect((await syncSite(plan, { store: web, logger: recordingLogger() })).ok).toBe(true)
    expect(await blobNames(admin.getContainerClient('$web'))).toHaveLength(12)
    await web.deleteBlobs(plan.uploads.map(upload => upload.file.path))
    expect(await web.listSite()).toEqual([])
  })
})

describe('manifest and archives', () => {
  const manifest: DeployManifest = {
    commit: 'c'.repeat(40),
    deployedAt: '2026-01-05T09:00:00.000Z',
    archive: `${'c'.repeat(40)}.zip`,
    files: [{ path: 'index.html', md5: 'rL0Y20zC+Fzt72VPzMSk2A==', size: 3 }]
  }

  test('a release in flight round-trips with the manifest', async () => {
    const { store } = await freshStore()
    const pending = { commit: 'e'.repeat(40), startedAt: '2026-01-06T09:00:00.000Z', replaced: ['index.html', 'docs/a b.html'] }
    await store.writeManifest({ ...manifest, pending })
    expect((await store.readManifest())?.pending).toEqual(pending)
    await store.writeManifest(manifest)
    expect((await store.readManifest())?.pending).toBeUndefined()
  })

  test('a site container that does not exist yet lists as undefined, not as an error', async () => {
    const { store } = await freshStore()
    const missing = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container: `absent-${testNumber}`, archiveContainer: store.archiveContainer })
    expect(await missing.listSiteIfExists()).toBeUndefined()
    await expect(missing.listSite()).rejects.toThrow(/ContainerNotFound/)
    expect(await store.listSiteIfExists()).toEqual([])
  })

  test('the manifest round-trips, per environment, and a damaged one is reported', async () => {
    const { store, archive } = await freshStore()
    expect(await store.readManifest()).toBeUndefined()
    await store.writeManifest(manifest)
    expect(await store.readManifest()).toEqual(manifest)
    expect(await blobNames(archive)).toEqual(['manifest.json'])
    expect((await archive.getBlobClient('manifest.json').getProperties()).contentType).toBe('application/json; charset=utf-8')

    const staging = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container: store.container, archiveContainer: store.archiveContainer, statePrefix: 'staging/' })
    expect(await staging.readManifest()).toBeUndefined()
    await staging.writeManifest({ ...manifest, commit: 'd'.repeat(40) })
    expect((await staging.readManifest())?.commit).toBe('d'.repeat(40))
    expect((await store.readManifest())?.commit).toBe('c'.repeat(40))

    await archive.getBlockBlobClient('manifest.json').upload('{"commit":"nope"}', 17)
    await expect(store.readManifest()).rejects.toThrow(/the deployed-state manifest devstoreaccount1\/deployments-\d+\/manifest\.json is not valid/)
  })

  test('archives: upload, list (releases only), download, delete; a missing one fails clearly', async () => {
    const { store, archive } = await freshStore()
    const dir = mkdtempSync(path.join(tmpdir(), 'apd-archive-'))
    folders.push(dir)
    const zip = path.join(dir, 'release.zip')
    writeFileSync(zip, Buffer.from('PK\u0005\u0006'.padEnd(22, '\u0000')))
    await store.uploadArchive('a.zip', zip)
    await sleep(20)
    await store.uploadArchive('b.zip', zip)
    await store.writeManifest(manifest)
    // The environment's lock lives in the same container: it is not a release.
    await archive.getBlockBlobClient('deploy.lock').upload('', 0)
    expect((await store.listArchives()).map(entry => [entry.name, entry.size])).toEqual([
      ['a.zip', 22],
      ['b.zip', 22]
    ])
    const properties = await archive.getBlobClient('a.zip').getProperties()
    expect([properties.contentType, Buffer.from(properties.contentMD5 ?? []).toString('base64')]).toEqual(['application/zip', createHash('md5').update(readFileSync(zip)).digest('base64')])
    expect((await archive.getProperties()).blobPublicAccess).toBeUndefined()

    await store.downloadArchive('b.zip', path.join(dir, 'back.zip'))
    expect(readFileSync(path.join(dir, 'back.zip'))).toEqual(readFileSync(zip))
    const staging = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container: store.container, archiveContainer: store.archiveContainer, statePrefix: 'staging/' })
    await staging.uploadArchive('s.zip', zip)
    expect((await staging.listArchives()).map(entry => entry.name)).toEqual(['s.zip'])
    expect((await store.listArchives()).map(entry => entry.name)).toEqual(['a.zip', 'b.zip'])
    expect(await blobNames(archive)).toContain('staging/s.zip')

    await store.deleteArchive('a.zip')
    expect((await store.listArchives()).map(entry => entry.name)).toEqual(['b.zip'])
    const missing = await store.downloadArchive('a.zip', path.join(dir, 'gone.zip')).catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(DeployError)
    expect((missing as DeployError).message).toBe(`the release archive devstoreaccount1/deployments-${testNumber}/a.zip does not exist.`)
  })

  test('release zips go up as blocks; the next release has the storage copy its unchanged entries, and is byte for byte the zip written whole', async () => {
    const secrets: string[] = []
    const { store, archive } = await freshStore()
    const copying = createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container: store.container, archiveContainer: store.archiveContainer, setSecret: value => secrets.push(value) })
    const first = siteFolder({ files: 120, totalBytes: 1.2e6 })
    const firstContents = new SiteContents()
    const firstFiles = await listSiteFiles(first, firstContents)
    const written = await copying.writeArchive('a.zip', releaseArchiveSegments(firstFiles, firstContents))
    const local = await createReleaseArchive(first, firstFiles, path.join(first, '..', `${path.basename(first)}-a.zip`))
    folders.push(local.path)
    const stored = await archive.getBlobClient('a.zip').downloadToBuffer()
    expect(stored.equals(readFileSync(local.path))).toBe(true)
    expect([written.entries, written.reused, written.bytes, written.sentBytes]).toEqual([120, 0, local.bytes, local.bytes])
    const properties = await archive.getBlobClient('a.zip').getProperties()
    expect([properties.contentType, Buffer.from(properties.contentMD5!).toString('base64'), written.md5]).toEqual(['application/zip', createHash('md5').update(stored).digest('base64'), createHash('md5').update(stored).digest('base64')])
    expect(properties.metadata?.apdformat).toMatch(/^apd-zip\/1 /)
    expect(secrets).toEqual([])

    // The next release: one page changed.
    const second = mkdtempSync(path.join(tmpdir(), 'apd-site-'))
    folders.push(second)
    cpSync(first, second, { recursive: true })
    appendFileSync(path.join(second, 'docs', 'page-0.html'), '<!-- second release -->\n')
    const secondContents = new SiteContents()
    const secondFiles = await listSiteFiles(second, secondContents)
    const previous = await copying.readArchive('a.zip')
    expect(previous?.entries.map(entry => entry.name)).toEqual(firstFiles.map(file => file.path))
    const reusing = await copying.writeArchive(
      'b.zip',
      releaseArchiveSegments(secondFiles, secondContents, { entries: new Map(previous!.entries.map(entry => [entry.name, entry])), md5s: new Map(firstFiles.map(file => [file.path, file.md5])) }),
      { previous }
    )
    const whole = await createReleaseArchive(second, secondFiles, path.join(second, '..', `${path.basename(second)}-b.zip`))
    folders.push(whole.path)
    expect((await archive.getBlobClient('b.zip').downloadToBuffer()).equals(readFileSync(whole.path))).toBe(true)
    expect([reusing.entries, reusing.reused, reusing.bytes]).toEqual([120, 119, whole.bytes])
    // Only the changed page and the directory were sent; the storage copied the rest.
    expect(reusing.sentBytes).toBeLessThan(whole.bytes / 10)
    expect(reusing.md5).toBeUndefined()
    // The read link of the copies was masked as it was made.
    expect(secrets).toHaveLength(1)
    expect(secrets[0]!.length).toBeGreaterThan(20)

    // A zip without the format's metadata (another writer's, or an older one) is not reused.
    await store.uploadArchive('c.zip', whole.path)
    expect(await store.readArchive('c.zip')).toBeUndefined()
    expect(await store.readArchive('missing.zip')).toBeUndefined()
  })
})
