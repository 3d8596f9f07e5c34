/**
 * Runs a SyncPlan against the site's container: the upload waves in order (each complete
 * before the next starts), then the header fixes. Deleting stale blobs is a separate step,
 * run by the orchestrator after the purge, and never after a failed upload.
 */
import { describeFailure } from '../errors.js'
import type { Logger } from '../logger.js'
import { inParallel } from '../parallel.js'
import type { ContentReader } from './archive.js'
import type { SiteStore } from './blob-store.js'
import { UPLOAD_WAVES, type SyncPlan, type UploadWave } from './sync-plan.js'

const DEFAULT_UPLOAD_CONCURRENCY = 32

export interface SyncDeps {
  store: Pick<SiteStore, 'upload' | 'setHeaders' | 'deleteBlobs'>
  logger: Logger
  now?: () => number
  /** The files' bytes as hashed: uploaded without reading the files again. */
  contents?: ContentReader
}

export interface SyncOptions {
  /** Requests in flight at once (32). */
  concurrency?: number
  /** A progress line every this many uploads (default: a tenth of them, at least 100). */
  progressEvery?: number
}

/** One request of the sync, in the order it started. */
export interface SyncEvent {
  action: 'upload' | 'set-headers'
  path: string
  wave?: UploadWave
  startedMs: number
  finishedMs: number
  ok: boolean
}

export interface SyncReport {
  ok: boolean
  /** What failed first, and on which blob; the rest of the work was not started. */
  failure?: string
  uploaded: string[]
  headersFixed: string[]
  failed: { path: string; error: string }[]
  bytesUploaded: number
  /** Milliseconds per phase. */
  durations: { uploads: number; headerFixes: number }
  log: SyncEvent[]
}

export type DeleteReport =
  | { status: 'deleted'; deleted: string[]; durationMs: number }
  | { status: 'nothing-stale'; deleted: []; durationMs: 0 }
  | { status: 'refused'; deleted: []; reason: string; durationMs: 0 }

/**
 * Run `work` over `items`, at most `concurrency` at a time, in list order. After the first
 * failure no new item starts; those in flight finish.
 */
async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<boolean>): Promise<void> {
  let stopped = false
  await inParallel(items, concurrency, async item => {
    if (!stopped && !(await work(item))) stopped = true
  })
}

export async function syncSite(plan: SyncPlan, deps: SyncDeps, options: SyncOptions = {}): Promise<SyncReport> {
  const now = deps.now ?? Date.now
  const concurrency = options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY
  const total = plan.uploads.length
  const progressEvery = options.progressEvery ?? Math.max(100, Math.ceil(total / 10))
  const report: SyncReport = { ok: true, uploaded: [], headersFixed: [], failed: [], bytesUploaded: 0, durations: { uploads: 0, headerFixes: 0 }, log: [] }
  const started = now()

  /** Run one request, recording it; false when it failed. */
  const run = async (action: SyncEvent['action'], path: string, wave: UploadWave | undefined, request: () => Promise<void>): Promise<boolean> => {
    const event: SyncEvent = { action, path, wave, startedMs: now() - started, finishedMs: 0, ok: false }
    report.log.push(event)
    try {
      await request()
      event.ok = true
      return true
    } catch (error) {
      const message = describeFailure(error)
      report.failed.push({ path, error: message })
      report.failure ??= message
      report.ok = false
      return false
    } finally {
      event.finishedMs = now() - started
    }
  }

  for (const wave of UPLOAD_WAVES) {
    const uploads = plan.uploads.filter(upload => upload.wave === wave)
    await inPool(uploads, concurrency, async upload => {
      const ok = await run('upload', upload.file.path, wave, () => deps.store.upload(upload.file, upload.headers, deps.contents))
      if (!ok) return false
      report.uploaded.push(upload.file.path)
      report.bytesUploaded += upload.file.size
      const done = report.uploaded.length
      if (done % progressEvery === 0 || done === total) deps.logger.info(`uploaded ${done}/${total} (${(report.bytesUploaded / 1e6).toFixed(1)} MB)`)
      return true
    })
    // A page must never go live before an asset it names: stop at the first failed wave.
    if (!report.ok) break
  }
  report.durations.uploads = now() - started

  if (report.ok) {
    const fixesStarted = now()
    await inPool(plan.headerFixes, concurrency, async fix => {
      const ok = await run('set-headers', fix.path, undefined, () => deps.store.setHeaders(fix.path, fix.headers, fix.md5))
      if (ok) report.headersFixed.push(fix.path)
      return ok
    })
    report.durations.headerFixes = now() - fixesStarted
    if (plan.headerFixes.length > 0) deps.logger.info(`fixed the headers of ${report.headersFixed.length}/${plan.headerFixes.length} blobs without uploading them`)
  }
  if (!report.ok) deps.logger.warning(`the sync stopped after ${report.failed.length} failed request(s); nothing will be deleted. First: ${report.failure}`)
  return report
}

/**
 * Delete the plan's stale blobs, in batches. Refused when the sync did not complete (a page
 * still being served may name them) or when the plan's mass-delete guard tripped.
 */
export async function deleteStale(plan: SyncPlan, sync: SyncReport, deps: SyncDeps): Promise<DeleteReport> {
  if (!sync.ok) return { status: 'refused', deleted: [], reason: `an upload failed (${sync.failure ?? 'see above'}), so the old files stay`, durationMs: 0 }
  if (plan.deleteRefused) return { status: 'refused', deleted: [], reason: plan.deleteRefused, durationMs: 0 }
  if (plan.stale.length === 0) return { status: 'nothing-stale', deleted: [], durationMs: 0 }
  const now = deps.now ?? Date.now
  const started = now()
  await deps.store.deleteBlobs(plan.stale)
  deps.logger.info(`deleted ${plan.stale.length} stale blob(s)`)
  return { status: 'deleted', deleted: [...plan.stale], durationMs: now() - started }
}
