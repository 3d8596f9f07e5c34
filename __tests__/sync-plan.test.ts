/**
 * The sync planner (pure) and the executor's scheduling, with an in-memory store. What
 * Azurite really stores is checked in blob-sync.test.ts.
 */
import { describe, expect, test } from '@jest/globals'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RemoteBlob, SiteStore } from '../src/frontend/blob-store.js'
import type { BlobHeaders } from '../src/frontend/headers.js'
import { deleteStale, syncSite } from '../src/frontend/sync.js'
import { planSync, type LocalEntry, type SyncPlanOptions } from '../src/frontend/sync-plan.js'
import { recordingLogger } from '../__fixtures__/logger.js'

const GUARD: SyncPlanOptions = { maxDeleteShare: 0.5, allowMassDelete: false }
const HTML: BlobHeaders = { contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' }
const JS: BlobHeaders = { contentType: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable' }

function local(path: string, md5 = `md5-of-${path}`, headers: BlobHeaders = path.endsWith('.html') ? HTML : JS): LocalEntry {
  return { file: { path, absolute: `/build/${path}`, size: 10, md5 }, headers }
}

function remote(path: string, md5 = `md5-of-${path}`, headers: Partial<BlobHeaders> = path.endsWith('.html') ? HTML : JS): RemoteBlob {
  return { path, md5, contentType: headers.contentType, cacheControl: headers.cacheControl, size: 10 }
}

describe('planSync: what each file needs', () => {
  test.each([
    ['only local', [local('a.js')], [], { uploads: [['a.js', 'new']], headerFixes: [], unchanged: [], stale: [] }],
    ['same MD5 and headers', [local('a.js')], [remote('a.js')], { uploads: [], headerFixes: [], unchanged: ['a.js'], stale: [] }],
    ['other MD5', [local('a.js', 'new')], [remote('a.js', 'old')], { uploads: [['a.js', 'changed']], headerFixes: [], unchanged: [], stale: [] }],
    ['a remote blob without Content-MD5', [local('a.js')], [{ ...remote('a.js'), md5: undefined }], { uploads: [['a.js', 'changed']], headerFixes: [], unchanged: [], stale: [] }],
    ['other Cache-Control', [local('a.js')], [remote('a.js', 'md5-of-a.js', { ...JS, cacheControl: 'no-cache' })], { uploads: [], headerFixes: ['a.js'], unchanged: [], stale: [] }],
    ['other Content-Type', [local('a.js')], [remote('a.js', 'md5-of-a.js', { ...JS, contentType: 'application/octet-stream' })], { uploads: [], headerFixes: ['a.js'], unchanged: [], stale: [] }],
    ['no headers at all remotely', [local('a.js')], [remote('a.js', 'md5-of-a.js', {})], { uploads: [], headerFixes: ['a.js'], unchanged: [], stale: [] }],
    ['only remote', [local('a.js')], [remote('a.js'), remote('old.js')], { uploads: [], headerFixes: [], unchanged: ['a.js'], stale: ['old.js'] }]
  ])('%s', (_name, localFiles, remoteBlobs, expected) => {
    const plan = planSync(localFiles, remoteBlobs, GUARD)
    expect({
      uploads: plan.uploads.map(upload => [upload.file.path, upload.reason]),
      headerFixes: plan.headerFixes.map(fix => fix.path),
      unchanged: plan.unchanged,
      stale: plan.stale
    }).toEqual(expected)
  })

  test('a header fix carries every header and the MD5, since setting headers replaces them all', () => {
    const plan = planSync([local('a.js')], [remote('a.js', 'md5-of-a.js', { contentType: JS.contentType, cacheControl: 'max-age=60' })], GUARD)
    expect(plan.headerFixes).toEqual([{ path: 'a.js', md5: 'md5-of-a.js', headers: JS, previous: { contentType: JS.contentType, cacheControl: 'max-age=60' } }])
  })
})

describe('planSync: upload order', () => {
  test('everything but HTML first, then the pages, then the root index.html; by path inside each wave', () => {
    const files = [
      local('index.html'),
      local('docs/index.html'),
      local('static/js/main.1a2b3c4d.js'),
      local('404.html'),
      local('robots.txt', undefined, { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-cache' }),
      local('legacy/page.xhtml', undefined, { contentType: 'application/xhtml+xml', cacheControl: 'no-cache' }),
      local('static/css/main.5e6f7a8b.css'),
      local('about.htm', undefined, HTML)
    ]
    const plan = planSync(files, [], GUARD)
    expect(plan.uploads.map(upload => [upload.wave, upload.file.path])).toEqual([
      ['assets', 'robots.txt'],
      ['assets', 'static/css/main.5e6f7a8b.css'],
      ['assets', 'static/js/main.1a2b3c4d.js'],
      ['pages', '404.html'],
      ['pages', 'about.htm'],
      ['pages', 'docs/index.html'],
      ['pages', 'legacy/page.xhtml'],
      ['root-index', 'index.html']
    ])
  })
})

describe('planSync: the mass-delete guard', () => {
  const site = (count: number) => Array.from({ length: count }, (_, index) => `page-${String(index).padStart(3, '0')}.html`)

  test.each([
    // remote blobs, kept locally, guard, refused?
    [10, 5, GUARD, undefined],
    [10, 4, GUARD, 'it would delete 6 of the 10 blobs of the site (60%), more than the 50% allowed'],
    [10, 4, { maxDeleteShare: 0.5, allowMassDelete: true }, undefined],
    [3, 0, { maxDeleteShare: 0.25, allowMassDelete: false }, 'it would delete 3 of the 3 blobs of the site (100%), more than the 25% allowed'],
    [3, 2, { maxDeleteShare: 0.25, allowMassDelete: false }, 'it would delete 1 of the 3 blobs of the site (33.3%), more than the 25% allowed'],
    [0, 0, GUARD, undefined]
  ])('%i remote, %i kept', (remoteCount, keptCount, guard, refused) => {
    const names = site(remoteCount)
    const plan = planSync(
      names.slice(0, keptCount).map(name => local(name)),
      names.map(name => remote(name)),
      guard
    )
    expect(plan.stale).toEqual(names.slice(keptCount))
    expect(plan.deleteRefused).toBe(refused)
  })
})

/** A store that keeps blobs in memory, tracks requests in flight, and fails the paths it is told to. */
function memoryStore(failing: string[] = []) {
  const blobs = new Map<string, string>()
  let inFlight = 0
  const state = { maxInFlight: 0, deleted: [] as string[] }
  const store: Pick<SiteStore, 'upload' | 'setHeaders' | 'deleteBlobs'> = {
    async upload(file) {
      inFlight++
      state.maxInFlight = Math.max(state.maxInFlight, inFlight)
      await sleep(1)
      inFlight--
      if (failing.includes(file.path)) throw new Error(`cannot read ${file.path}`)
      blobs.set(file.path, file.md5)
    },
    async setHeaders() {},
    async deleteBlobs(paths) {
      state.deleted.push(...paths)
    }
  }
  return { store, blobs, state }
}

describe('syncSite', () => {
  const files = (count: number) => Array.from({ length: count }, (_, index) => local(`static/js/chunk-${String(index).padStart(4, '0')}.js`))

  test('bounded concurrency, progress lines, bytes and a log in start order', async () => {
    const { store, state } = memoryStore()
    const logger = recordingLogger()
    const plan = planSync([...files(2000), local('index.html')], [], GUARD)
    const report = await syncSite(plan, { store, logger }, { concurrency: 8, progressEvery: 500 })
    expect(report.ok).toBe(true)
    expect(state.maxInFlight).toBe(8)
    expect(logger.messages('info')).toEqual(['uploaded 500/2001 (0.0 MB)', 'uploaded 1000/2001 (0.0 MB)', 'uploaded 1500/2001 (0.0 MB)', 'uploaded 2000/2001 (0.0 MB)', 'uploaded 2001/2001 (0.0 MB)'])
    expect(report.bytesUploaded).toBe(20_010)
    expect(report.log.at(-1)).toMatchObject({ path: 'index.html', wave: 'root-index', ok: true })
  })

  test('a failed asset stops the sync before any page, and deleteStale then refuses', async () => {
    const { store, blobs, state } = memoryStore(['static/js/chunk-0003.js'])
    const logger = recordingLogger()
    const plan = planSync([...files(20), local('docs/page.html'), local('index.html')], [remote('old.js')], { maxDeleteShare: 1, allowMassDelete: false })
    const report = await syncSite(plan, { store, logger }, { concurrency: 2 })
    expect(report).toMatchObject({ ok: false, failure: 'cannot read static/js/chunk-0003.js', failed: [{ path: 'static/js/chunk-0003.js' }] })
    expect([...blobs.keys()].some(path => path.endsWith('.html'))).toBe(false)
    // In flight when it failed, the next one finished; nothing after it started.
    expect(blobs.size).toBeLessThanOrEqual(4)
    expect(logger.messages('warning')).toEqual(['the sync stopped after 1 failed request(s); nothing will be deleted. First: cannot read static/js/chunk-0003.js'])
    expect(await deleteStale(plan, report, { store, logger })).toEqual({ status: 'refused', deleted: [], reason: 'an upload failed (cannot read static/js/chunk-0003.js), so the old files stay', durationMs: 0 })
    expect(state.deleted).toEqual([])
  })

  test('deleteStale deletes exactly the stale blobs, or nothing when there are none', async () => {
    const { store, state } = memoryStore()
    const logger = recordingLogger()
    const plan = planSync([local('a.js')], [remote('a.js'), remote('b.js'), remote('c.js')], { maxDeleteShare: 0.7, allowMassDelete: false })
    const report = await syncSite(plan, { store, logger })
    expect(await deleteStale(plan, report, { store, logger })).toMatchObject({ status: 'deleted', deleted: ['b.js', 'c.js'] })
    expect(state.deleted).toEqual(['b.js', 'c.js'])
    const clean = planSync([local('a.js')], [remote('a.js')], GUARD)
    expect(await deleteStale(clean, await syncSite(clean, { store, logger }), { store, logger })).toEqual({ status: 'nothing-stale', deleted: [], durationMs: 0 })
  })
})
