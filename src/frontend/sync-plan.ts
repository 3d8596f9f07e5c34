/**
 * Pure: what a sync of the site must do, from the local files (with the headers they must be
 * served with) and the container's listing. Nothing here touches the network, so the same plan
 * is what `dry-run` prints and what the executor runs.
 */
import type { BlobHeaders } from './headers.js'
import type { RemoteBlob } from './blob-store.js'
import { byPath, type SiteFile } from './site-files.js'

export interface LocalEntry {
  file: SiteFile
  headers: BlobHeaders
}

/**
 * Uploads go in three waves, each finished before the next starts: everything but HTML (so
 * no page ever names an asset that is not there yet), then the pages, then the root
 * `index.html` — the entry point, switched last.
 */
export type UploadWave = 'assets' | 'pages' | 'root-index'
export const UPLOAD_WAVES: readonly UploadWave[] = ['assets', 'pages', 'root-index']

export interface PlannedUpload extends LocalEntry {
  wave: UploadWave
  /** `changed` replaces content an edge may have cached; `new` was never served. */
  reason: 'new' | 'changed'
}

export interface HeaderFix {
  path: string
  md5: string
  headers: BlobHeaders
  previous: { contentType?: string; cacheControl?: string }
}

export interface SyncPlan {
  /** In upload order: by wave, then by path. */
  uploads: PlannedUpload[]
  /** Same content, different Content-Type or Cache-Control: set the headers, keep the bytes. */
  headerFixes: HeaderFix[]
  unchanged: string[]
  /** Blobs no local file has, sorted: deleted after the purge, unless refused. */
  stale: string[]
  /** Why `stale` must not be deleted, when it is too large a share of the site. */
  deleteRefused?: string
  remoteCount: number
}

export interface SyncPlanOptions {
  /** Largest share of the remote blobs one deploy may delete (0.5: half the site). */
  maxDeleteShare: number
  allowMassDelete: boolean
}

const HTML_TYPES = /^(?:text\/html|application\/xhtml\+xml)\b/i

function waveOf(entry: LocalEntry): UploadWave {
  if (entry.file.path === 'index.html') return 'root-index'
  return HTML_TYPES.test(entry.headers.contentType) ? 'pages' : 'assets'
}

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`

export function planSync(local: readonly LocalEntry[], remote: readonly RemoteBlob[], options: SyncPlanOptions): SyncPlan {
  const remoteByPath = new Map(remote.map(blob => [blob.path, blob]))
  const uploads: PlannedUpload[] = []
  const headerFixes: HeaderFix[] = []
  const unchanged: string[] = []

  for (const entry of [...local].sort((a, b) => byPath(a.file, b.file))) {
    const existing = remoteByPath.get(entry.file.path)
    // A blob without Content-MD5 cannot be compared: it is replaced, and gets one.
    if (!existing || existing.md5 !== entry.file.md5) {
      uploads.push({ ...entry, wave: waveOf(entry), reason: existing ? 'changed' : 'new' })
    } else if (existing.contentType !== entry.headers.contentType || existing.cacheControl !== entry.headers.cacheControl) {
      headerFixes.push({ path: entry.file.path, md5: entry.file.md5, headers: entry.headers, previous: { contentType: existing.contentType, cacheControl: existing.cacheControl } })
    } else {
      unchanged.push(entry.file.path)
    }
  }
  // Stable sort: within a wave, uploads stay in path order.
  uploads.sort((a, b) => UPLOAD_WAVES.indexOf(a.wave) - UPLOAD_WAVES.indexOf(b.wave))

  const localPaths = new Set(local.map(entry => entry.file.path))
  const stale = remote
    .map(blob => blob.path)
    .filter(path => !localPaths.has(path))
    .sort()
  const plan: SyncPlan = { uploads, headerFixes, unchanged, stale, remoteCount: remote.length }
  const share = remote.length === 0 ? 0 : stale.length / remote.length
  if (share > options.maxDeleteShare && !options.allowMassDelete) {
    plan.deleteRefused = `it would delete ${stale.length} of the ${remote.length} blobs of the site (${percent(share)}), more than the ${percent(options.maxDeleteShare)} allowed`
  }
  return plan
}
