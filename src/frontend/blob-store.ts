/**
 * The storage account of a frontend environment, as the deploy uses it: the site container
 * (`$web`), the private archive container (release zips, the deployed-state manifest, the
 * deploy lock) and the static-website switch. A thin executor over @azure/storage-blob: it
 * decides nothing, and every failure becomes a DeployError naming the blob and what to change.
 */
import { createHash, randomUUID } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { TokenCredential } from '@azure/core-auth'
import { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createHttpHeaders, createPipelineFromOptions, createPipelineRequest } from '@azure/core-rest-pipeline'
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, type BlobHTTPHeaders, type BlockBlobClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob'
import * as z from 'zod'
import { DeployError } from '../errors.js'
import type { AzureSession } from '../azure/connect.js'
import type { Logger } from '../logger.js'
import type { SitePartPlan } from '../plan.js'
import type { BlobHeaders } from './headers.js'
import { digest, type SiteFile } from './site-files.js'
import { inParallel } from '../parallel.js'
import { ARCHIVE_FORMAT, readArchiveDirectory, type ArchiveEntry, type ArchiveSegment, type ArchiveSummary, type ContentReader } from './archive.js'

/** A blob of the site as listed: what the planner compares local files with. */
export interface RemoteBlob {
  path: string
  /** Base64 Content-MD5; missing on blobs uploaded in blocks by tools that did not set it. */
  md5?: string
  contentType?: string
  cacheControl?: string
  size: number
}

export interface ArchiveBlob {
  name: string
  size: number
  lastModified: Date
}

/** What is live, written after a successful deploy: change detection compares against `commit`. */
export interface DeployManifest {
  commit: string
  /** ISO 8601. */
  deployedAt: string
  archive?: string
  files: { path: string; md5: string; size: number }[]
  /**
   * A release in flight, written before its first upload: the blobs it replaces (their edge
   * paths must be purged whatever happens next). Cleared only once the purge succeeded, so a
   * run that finds it deploys the site again and purges these paths with its own.
   */
  pending?: { commit: string; startedAt: string; replaced: string[] }
}

/** One static-website setting as it was and as the config wants it. */
export interface StaticWebsiteChange {
  setting: 'enabled' | 'indexDocument' | 'errorDocument404Path'
  from?: string | boolean
  to: string | boolean
}

export type StaticWebsiteState =
  /**
   * `enabled`: it was off and is now on; `updated`: it was on, and its index or 404 document was
   * set to the config's; `already-on`: nothing to change; `differs`: asked only to check, and it
   * differs from the config (nothing was changed). `changes` says what was (or would be) changed.
   */
  | { status: 'enabled' | 'updated' | 'already-on' | 'differs'; indexDocument?: string; errorDocument404Path?: string; changes: StaticWebsiteChange[] }
  /** The identity may not read (or set) the account's service properties (a data role does not include them). */
  | { status: 'unknown'; reason: string }

export interface StaticWebsiteOptions {
  /** false: only compare with the config, and report what differs (`differs`) without changing it. */
  update?: boolean
}

export interface SiteStoreOptions {
  /** `https://<account>.blob.<suffix>` (see blobEndpointFor) or an explicit one. */
  blobEndpoint: string
  credential: TokenCredential
  /** The site's container, `$web` for a static website. */
  container: string
  /** The private container for release archives and the manifest. */
  archiveContainer: string
  /** Keeps several environments' (and sites') manifests and archives apart in one archive container: `prod/`, `prod/admin/`. */
  statePrefix?: string
  logger?: Logger
  /** Storage SDK retries (429, 5xx, network errors); tests shorten the delays. */
  retry?: { maxTries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number; tryTimeoutInMs?: number }
  /** Files up to this size go in one request whose MD5 the service checks; larger ones in blocks. */
  singleShotBytes?: number
  /** Masks a credential the store makes (the read-only link a server-side copy reads from). */
  setSecret?(value: string): void
  /** Blobs per page of the listing (5000, the most the service gives); tests page smaller. */
  listPageSize?: number
}

/** A release zip of this format, as far as a new one can reuse it. */
export interface StoredArchive {
  name: string
  entries: ArchiveEntry[]
}

export interface ArchiveWriteOptions {
  /**
   * The zip the segments' copies come from. Archives are written and pruned under the
   * environment's lock, so it stays as read while the lock holds.
   */
  previous?: StoredArchive
  /** Blocks sent at once, asked before each: fewer while the site uploads. */
  concurrency?: () => number
  /** Stops the write before its next block (nothing is committed). */
  signal?: AbortSignal
}

export interface ArchiveWriteReport extends ArchiveSummary {
  /** Bytes sent from the runner (the rest were copied by the storage). */
  sentBytes: number
  /** Base64 MD5 of the whole zip, when all of it was sent (a copied range is never read here). */
  md5?: string
}

export interface SiteStore {
  readonly account: string
  readonly container: string
  readonly archiveContainer: string
  /** Where an archive of this name is kept: `<archive container>/<environment>/<name>`. */
  archivePath(name: string): string
  listSite(): Promise<RemoteBlob[]>
  /** The site's blobs, or undefined when its container does not exist (yet). */
  listSiteIfExists(): Promise<RemoteBlob[] | undefined>
  /** `contents`: the bytes as hashed, for files sent in one request (else the file is read). */
  upload(file: SiteFile, headers: BlobHeaders, contents?: ContentReader): Promise<void>
  setHeaders(path: string, headers: BlobHeaders, md5: string): Promise<void>
  deleteBlobs(paths: readonly string[]): Promise<void>
  /**
   * Switches the static website on with the config's index and 404 documents, or sets those
   * that differ on a website already on (other service properties keep their values).
   */
  enableStaticWebsite(indexDocument: string, errorDocument404Path?: string, options?: StaticWebsiteOptions): Promise<StaticWebsiteState>
  uploadArchive(name: string, file: string): Promise<void>
  /** The entries of an archive this deploy can reuse: undefined when it is missing or of another format. */
  readArchive(name: string): Promise<StoredArchive | undefined>
  /**
   * Writes a release zip from its segments, as blocks: bytes staged as they come, copies of the
   * previous zip made by the storage (Put Block From URL), committed in order.
   */
  writeArchive(name: string, segments: AsyncGenerator<ArchiveSegment, ArchiveSummary>, options?: ArchiveWriteOptions): Promise<ArchiveWriteReport>
  downloadArchive(name: string, destination: string): Promise<void>
  listArchives(): Promise<ArchiveBlob[]>
  deleteArchive(name: string): Promise<void>
  readManifest(): Promise<DeployManifest | undefined>
  writeManifest(manifest: DeployManifest): Promise<void>
}

/** Azure's limit of sub-requests in one batch. */
const BATCH_SIZE = 256
const PARALLEL_BATCHES = 4
const BLOCK_SIZE = 8 * 1024 * 1024
const BLOCK_CONCURRENCY = 4
const SINGLE_SHOT_BYTES = 32 * 1024 * 1024
/** Blocks of a release zip: bytes staged in this size, copies in at most this size. */
const ARCHIVE_BLOCK_BYTES = 4 * 1024 * 1024
const ARCHIVE_COPY_BYTES = 100 * 1024 * 1024
const ARCHIVE_COPY_CONCURRENCY = 4
/** Blob metadata that says which format a release zip is in. */
const FORMAT_METADATA = 'apdformat'
/** The read link of a server-side copy: long enough for a slow deploy, no longer. */
const COPY_LINK_MS = 60 * 60 * 1000
/** The end of a zip read in one go: its central directory for about 10,000 files. */
const ARCHIVE_TAIL_BYTES = 1024 * 1024
/** The service version of the requests made without the SDK (any since 2019 answers them the same way). */
const API_VERSION = '2024-11-04'
const STORAGE_SCOPE = 'https://storage.azure.com/.default'
const MANIFEST = 'manifest.json'
const LOCK = 'deploy.lock'
const DATA_ROLE = 'Storage Blob Data Contributor'
/** 403 codes of an identity that signed in but lacks a role (or is kept out by the firewall). */
const PERMISSION_REFUSED = new Set(['AuthorizationPermissionMismatch', 'AuthorizationFailure'])

const SETTING_NAMES: Record<StaticWebsiteChange['setting'], string> = { enabled: 'static website', indexDocument: 'index document', errorDocument404Path: '404 document' }

/** `404 document 404.html → index.html, index document default.htm → index.html` */
function describeChanges(changes: readonly StaticWebsiteChange[]): string {
  return changes
    .map(change => (change.setting === 'enabled' ? 'static website off → on' : `${SETTING_NAMES[change.setting]} ${change.from === undefined ? '(none)' : String(change.from)} → ${String(change.to)}`))
    .join(', ')
}

/**
 * Pure: the log line for what `enableStaticWebsite` found or did, with its level; nothing when
 * the website already matched the config.
 */
export function describeStaticWebsite(account: string, state: StaticWebsiteState): { level: 'info' | 'warning'; message: string } | undefined {
  switch (state.status) {
    case 'already-on':
      return undefined
    case 'enabled':
      return { level: 'info', message: `static website of ${account} switched on (index document ${state.indexDocument}, 404 document ${state.errorDocument404Path ?? 'none'})` }
    case 'updated':
      return { level: 'info', message: `static website of ${account} set to the config: ${describeChanges(state.changes)}` }
    case 'differs':
      return { level: 'warning', message: `the static website of ${account} differs from the config, left as it is: ${describeChanges(state.changes)}` }
    case 'unknown':
      return { level: 'warning', message: `${state.reason}; make sure it is on, with the index and 404 documents the config names` }
  }
}

/** The explicit endpoint (private endpoints, tests), else the account's in the cloud. */
export function blobEndpointFor(account: string, storageSuffix: string, explicit?: string): string {
  if (explicit) return explicit.replace(/\/+$/, '')
  return `https://${account}.blob.${storageSuffix}`
}

const manifestSchema = z.object({
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  deployedAt: z.string(),
  archive: z.string().optional(),
  files: z.array(z.object({ path: z.string(), md5: z.string(), size: z.number() })),
  pending: z.object({ commit: z.string().regex(/^[0-9a-f]{40}$/), startedAt: z.string(), replaced: z.array(z.string()) }).optional()
})

interface StorageFailure {
  /** Set on local file-system errors, which have no status. */
  syscall?: string
  statusCode?: number
  code?: string
  message?: string
  details?: { errorCode?: string }
}

/** The service's error code: on the error for most calls, only in its details for a failed download. */
const errorCodeOf = (error: unknown) => (error as StorageFailure).code ?? (error as StorageFailure).details?.errorCode

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const decodeXml = (text: string) =>
  text.includes('&') ? text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => (name[0] === '#' ? String.fromCodePoint(name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1))) : (XML_ENTITIES[name] ?? entity))) : text

const BLOB_ELEMENT = /<Blob>([\s\S]*?)<\/Blob>/g
const NAME_ELEMENT = /^\s*<Name( Encoded="true")?>([^<]*)<\/Name>/
const propertyElement = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`)
const CONTENT_LENGTH = propertyElement('Content-Length')
const CONTENT_TYPE = propertyElement('Content-Type')
const CONTENT_MD5 = propertyElement('Content-MD5')
const CACHE_CONTROL = propertyElement('Cache-Control')
const NEXT_MARKER = /<NextMarker>([^<]+)<\/NextMarker>/

/**
 * Pure: one page of a flat List Blobs answer, read for the four properties the planner
 * compares. A site's listing is thousands of blobs with twenty properties each: reading only
 * these is many times faster than a general XML parser, and it is on every deploy's path.
 */
export function parseBlobListing(xml: string): { blobs: RemoteBlob[]; nextMarker?: string } {
  const blobs: RemoteBlob[] = []
  for (const [, body = ''] of xml.matchAll(BLOB_ELEMENT)) {
    const name = NAME_ELEMENT.exec(body)
    if (!name) throw new Error(`a blob of the listing has no name: ${body.slice(0, 200)}`)
    // Names with characters XML cannot carry come percent-encoded, marked Encoded="true".
    const path = name[1] ? decodeURIComponent(name[2]!) : decodeXml(name[2]!)
    const text = (element: RegExp) => {
      const found = element.exec(body)?.[1]
      return found ? decodeXml(found) : undefined
    }
    blobs.push({ path, md5: text(CONTENT_MD5), contentType: text(CONTENT_TYPE), cacheControl: text(CACHE_CONTROL), size: Number(text(CONTENT_LENGTH) ?? 0) })
  }
  const marker = NEXT_MARKER.exec(xml)?.[1]
  return { blobs, nextMarker: marker ? decodeXml(marker) : undefined }
}


export function createSiteStore(options: SiteStoreOptions): SiteStore {
  // Every call bounded: a try that hangs is given up after tryTimeoutInMs and retried.
  const pipeline: StoragePipelineOptions = {
    retryOptions: { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 120_000, ...options.retry }
  }
  const service = new BlobServiceClient(options.blobEndpoint, options.credential, pipeline)
  const account = service.accountName
  const site = service.getContainerClient(options.container)
  const archive = service.getContainerClient(options.archiveContainer)
  const prefix = options.statePrefix ?? ''
  const singleShotBytes = options.singleShotBytes ?? SINGLE_SHOT_BYTES

  const where = (container: ContainerClient, blob?: string) => `${account}/${container.containerName}${blob === undefined ? '' : `/${blob}`}`

  /** A storage error as the user should read it: what, where, the service's code, and what to change. */
  function failure(action: string, target: string, error: unknown): DeployError {
    if (error instanceof DeployError) return error
    const storage = error as StorageFailure
    if (storage.syscall) {
      return new DeployError(`${action} ${target} failed: ${storage.message}`, 'Something changed the build output while the deploy ran: make sure no other step writes to it, then re-run.')
    }
    const code = errorCodeOf(error)
    const status = storage.statusCode
    const firstLine = (storage.message ?? String(error)).split('\n')[0]
    const message = `${action} ${target} failed: ${status ? `${status} ` : ''}${code ? `${code}: ` : ''}${firstLine}`
    return new DeployError(message, hintFor(status, code, target))
  }

  function hintFor(status: number | undefined, code: string | undefined, target: string): string | undefined {
    if (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo') {
      return `The storage service refused the sign-in token: check the cloud's storage suffix and that the account ${account} is in the signed-in tenant.`
    }
    if (status === 403) {
      return `The signed-in identity needs the "${DATA_ROLE}" role on the storage account ${account} (a role assignment can take some minutes to apply); if the account has a firewall, it must let the runner in.`
    }
    if (code === 'ContainerNotFound') {
      return target.startsWith(`${account}/$web`)
        ? `The static website of ${account} is off, so $web does not exist: switch it on (portal, or az storage blob service-properties update --static-website), or give the deploy's identity "Storage Account Contributor" so that it can.`
        : `Create the container, or fix its name in the config.`
    }
    if (status === undefined && /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET|REQUEST_SEND_ERROR/.test(code ?? '')) {
      return `Check storage-account and blob-endpoint in the config, and that the runner can reach ${options.blobEndpoint}.`
    }
    return undefined
  }

  async function attempt<T>(action: string, target: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw failure(action, target, error)
    }
  }

  let archiveReady: Promise<void> | undefined
  /** The archive container, created private on first use. */
  function ensureArchiveContainer(): Promise<void> {
    archiveReady ??= attempt('creating', where(archive), async () => {
      await archive.createIfNotExists()
    }).catch(error => {
      archiveReady = undefined
      throw error
    })
    return archiveReady
  }

  /**
   * Put one local file with all its headers. Small files go in one request that carries the
   * MD5 the file was hashed with, so the service refuses bytes that changed since (and the
   * stored Content-MD5 can never lie); large ones go in blocks with Content-MD5 set on commit.
   * The file is opened first: a file that vanished or cannot be read fails here, not in a retry loop.
   */
  async function putFile(blob: BlockBlobClient, absolute: string, size: number, md5: string, headers: BlobHTTPHeaders): Promise<void> {
    const handle = await open(absolute, 'r')
    try {
      const actualSize = (await handle.stat()).size
      if (actualSize !== size) throw new DeployError(`${absolute} changed while the deploy ran (${size} bytes when hashed, ${actualSize} now).`, 'Make sure nothing writes to the build output during the deploy.')
      const blobHTTPHeaders = { ...headers, blobContentMD5: Buffer.from(md5, 'base64') }
      if (size <= singleShotBytes) {
        // A factory, so a retried request reads the file again from the start.
        const body = () => handle.createReadStream({ start: 0, autoClose: false })
        await blob.upload(body, size, { blobHTTPHeaders, transactionalContentMD5: blobHTTPHeaders.blobContentMD5 })
      } else {
        await blob.uploadFile(absolute, { blobHTTPHeaders, blockSize: BLOCK_SIZE, concurrency: BLOCK_CONCURRENCY, maxSingleShotSize: singleShotBytes })
      }
    } finally {
      await handle.close()
    }
  }

  const manifestBlob = archive.getBlockBlobClient(`${prefix}${MANIFEST}`)

  // The two requests a site sync makes by the thousand, the listing and the small uploads, go
  // through Azure's standard pipeline (retries, proxy, bearer token) without the SDK's general
  // serializers: on a runner's two cores their CPU is taken from the uploads themselves.
  const retry = { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 120_000, ...options.retry }
  const lean = createPipelineFromOptions({ retryOptions: { maxRetries: retry.maxTries - 1, retryDelayInMs: retry.retryDelayInMs, maxRetryDelayInMs: retry.maxRetryDelayInMs } })
  lean.addPolicy(bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: STORAGE_SCOPE }))
  const leanClient = createDefaultHttpClient()
  /** One request; an answer other than `expected` throws what `failure` reads: status, the service's code, its message. */
  const send = async (method: 'GET' | 'PUT', url: string, expected: number, headers: Record<string, string>, body?: Buffer) => {
    const request = createPipelineRequest({ url, method, body, timeout: retry.tryTimeoutInMs, headers: createHttpHeaders({ 'x-ms-version': API_VERSION, ...headers }) })
    const response = await lean.sendRequest(leanClient, request)
    if (response.status !== expected) {
      const message = /<Message>([^<]*)<\/Message>/.exec(response.bodyAsText ?? '')?.[1]
      throw Object.assign(new Error(message ? decodeXml(message) : `${response.status} from ${method} ${url.split('?')[0]}`), { statusCode: response.status, code: response.headers.get('x-ms-error-code') })
    }
    return response
  }

  const listSite = async (): Promise<RemoteBlob[]> =>
    attempt('listing', where(site), async () => {
      const blobs: RemoteBlob[] = []
      let marker: string | undefined
      do {
        const url = `${site.url}?restype=container&comp=list&maxresults=${options.listPageSize ?? 5000}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`
        const response = await send('GET', url, 200, { accept: 'application/xml' })
        const page = parseBlobListing(response.bodyAsText ?? '')
        blobs.push(...page.blobs)
        marker = page.nextMarker
      } while (marker)
      return blobs
    })

  return {
    account,
    container: options.container,
    archiveContainer: options.archiveContainer,
    archivePath: name => `${options.archiveContainer}/${prefix}${name}`,

    async listSiteIfExists() {
      try {
        return await listSite()
      } catch (error) {
        if (error instanceof DeployError && /ContainerNotFound/.test(error.message)) return undefined
        throw error
      }
    },

    listSite,

    async upload(file, headers, contents) {
      const blob = site.getBlockBlobClient(file.path)
      const blobHTTPHeaders = { blobContentType: headers.contentType, blobCacheControl: headers.cacheControl }
      await attempt('uploading', where(site, file.path), async () => {
        if (!contents || file.size > singleShotBytes) return putFile(blob, file.absolute, file.size, file.md5, blobHTTPHeaders)
        // The bytes as hashed, in one Put Blob the service checks against their MD5, which it keeps.
        const body = await contents.read(file)
        await send('PUT', blob.url, 201, {
          'x-ms-blob-type': 'BlockBlob',
          'content-type': 'application/octet-stream',
          'content-md5': file.md5,
          'x-ms-blob-content-md5': file.md5,
          'x-ms-blob-content-type': headers.contentType,
          'x-ms-blob-cache-control': headers.cacheControl
        }, body)
      })
    },

    async setHeaders(path, headers, md5) {
      // Set Blob Properties replaces every header: Content-MD5 included, or it is wiped.
      await attempt('setting the headers of', where(site, path), async () => {
        await site.getBlobClient(path).setHTTPHeaders({ blobContentType: headers.contentType, blobCacheControl: headers.cacheControl, blobContentMD5: Buffer.from(md5, 'base64') })
      })
    },

    async deleteBlobs(paths) {
      const batches: string[][] = []
      for (let i = 0; i < paths.length; i += BATCH_SIZE) batches.push(paths.slice(i, i + BATCH_SIZE))
      const batchClient = site.getBlobBatchClient()
      await inParallel(batches, PARALLEL_BATCHES, async batch => {
        const clients = batch.map(path => site.getBlobClient(path))
        const pathByUrl = new Map(clients.map((client, index) => [client.url, batch[index]!]))
        const response = await attempt('deleting blobs from', where(site), () => batchClient.deleteBlobs(clients))
        // A blob already gone is what we wanted; anything else is a failure.
        const failed = response.subResponses.filter(sub => sub.status >= 300 && sub.status !== 404)
        if (failed.length > 0) {
          const first = failed[0]!
          throw new DeployError(
            `deleting ${failed.length} of ${batch.length} blobs from ${where(site)} failed; the first: ${pathByUrl.get(first._request.url) ?? first._request.url}: ${first.status} ${first.errorCode ?? first.statusMessage}`,
            first.status === 403 ? hintFor(403, first.errorCode, where(site)) : undefined
          )
        }
      })
    },

    async enableStaticWebsite(indexDocument, errorDocument404Path, { update = true } = {}) {
      const unreadable = `the signed-in identity may not read the service properties of ${account} (that needs "Storage Account Contributor", which "${DATA_ROLE}" does not include), so the static website and its 404 document could not be checked`
      let current
      try {
        current = (await service.getProperties()).staticWebsite
      } catch (error) {
        if (!PERMISSION_REFUSED.has(errorCodeOf(error) ?? '')) throw failure('reading the static website setting of', account, error)
        return { status: 'unknown', reason: unreadable }
      }
      const enabled = current?.enabled === true
      // An account that names its index by absolute path (defaultIndexDocumentPath) keeps it: the two exclude each other.
      const byPath = enabled && Boolean(current?.defaultIndexDocumentPath)
      const changes: StaticWebsiteChange[] = []
      if (!enabled) changes.push({ setting: 'enabled', from: false, to: true })
      if (!byPath && (!enabled || current?.indexDocument !== indexDocument)) changes.push({ setting: 'indexDocument', ...(enabled ? { from: current?.indexDocument } : {}), to: indexDocument })
      if (errorDocument404Path !== undefined && (!enabled || current?.errorDocument404Path !== errorDocument404Path)) {
        changes.push({ setting: 'errorDocument404Path', ...(enabled ? { from: current?.errorDocument404Path } : {}), to: errorDocument404Path })
      }
      const wanted = {
        indexDocument: byPath ? current?.indexDocument : indexDocument,
        errorDocument404Path: errorDocument404Path ?? (enabled ? current?.errorDocument404Path : undefined)
      }
      if (changes.length === 0) return { status: 'already-on', ...wanted, changes }
      if (!update) return { status: 'differs', indexDocument: current?.indexDocument, errorDocument404Path: current?.errorDocument404Path, changes }
      try {
        // Elements left out of Set Blob Service Properties keep their values (CORS, logging…).
        await service.setProperties({ staticWebsite: { enabled: true, ...wanted, ...(byPath ? { defaultIndexDocumentPath: current?.defaultIndexDocumentPath } : {}) } })
      } catch (error) {
        if (!PERMISSION_REFUSED.has(errorCodeOf(error) ?? '')) throw failure('setting the static website of', account, error)
        return { status: 'unknown', reason: `the signed-in identity may not set the service properties of ${account} (that needs "Storage Account Contributor", which "${DATA_ROLE}" does not include), so ${describeChanges(changes)} could not be made` }
      }
      return { status: enabled ? 'updated' : 'enabled', ...wanted, changes }
    },

    async uploadArchive(name, file) {
      await ensureArchiveContainer()
      const blobName = `${prefix}${name}`
      await attempt('uploading', where(archive, blobName), async () => {
        const { md5, size } = await digest(file)
        await putFile(archive.getBlockBlobClient(blobName), file, size, md5, { blobContentType: 'application/zip' })
      })
    },

    async readArchive(name) {
      const blob = archive.getBlobClient(`${prefix}${name}`)
      let properties
      try {
        properties = await blob.getProperties()
      } catch (error) {
        const code = errorCodeOf(error)
        if (code === 'BlobNotFound' || code === 'ContainerNotFound') return undefined
        throw failure('reading', where(archive, blob.name), error)
      }
      const size = properties.contentLength ?? 0
      if (properties.metadata?.[FORMAT_METADATA] !== ARCHIVE_FORMAT || !properties.etag || size === 0) return undefined
      const conditions = { ifMatch: properties.etag }
      const read = async (bytes: number) => attempt('reading', where(archive, blob.name), () => blob.downloadToBuffer(size - bytes, bytes, { conditions }))
      let directory = readArchiveDirectory(await read(Math.min(size, ARCHIVE_TAIL_BYTES)), size)
      if (directory && 'needBytes' in directory) directory = readArchiveDirectory(await read(directory.needBytes), size)
      if (!directory || 'needBytes' in directory) return undefined
      return { name, entries: directory.entries }
    },

    async writeArchive(name, segments, { previous, concurrency = () => BLOCK_CONCURRENCY, signal } = {}) {
      await ensureArchiveContainer()
      const blobName = `${prefix}${name}`
      const blob = archive.getBlockBlobClient(blobName)
      const ids: string[] = []
      // Block ids of this write alone (a run of the same commit may write the same blob at once), all of one length.
      const writer = randomUUID().replaceAll('-', '').slice(0, 13)
      const staging = new Set<Promise<void>>()
      let failed: unknown
      const md5 = createHash('md5')
      let sentBytes = 0

      const nextId = () => {
        const id = Buffer.from(`${writer}-${String(ids.length).padStart(6, '0')}`).toString('base64')
        ids.push(id)
        return id
      }
      /** Copies, in zip order, each with its block id: made once the bytes are staged. */
      const copies: { id: string; start: number; count: number }[] = []
      /** Starts one block once fewer than `concurrency()` are in flight; the first failure stops the rest. */
      const stage = async (request: (id: string) => Promise<unknown>) => {
        while (staging.size >= Math.max(1, concurrency())) await Promise.race(staging)
        if (failed) throw failed
        signal?.throwIfAborted()
        const id = nextId()
        const done: Promise<void> = attempt('writing', where(archive, blobName), () => request(id)).then(
          () => void staging.delete(done),
          error => {
            staging.delete(done)
            failed ??= error
          }
        )
        staging.add(done)
      }
      /** A read-only link to the previous zip, for the storage to copy from. */
      const copySource = async () => {
        const previousBlob = archive.getBlobClient(`${prefix}${previous!.name}`)
        const startsOn = new Date(Date.now() - 5 * 60 * 1000)
        const expiresOn = new Date(Date.now() + COPY_LINK_MS)
        const key = await attempt('asking a user delegation key of', account, () => service.getUserDelegationKey(startsOn, expiresOn))
        const sas = generateBlobSASQueryParameters({ containerName: archive.containerName, blobName: previousBlob.name, permissions: BlobSASPermissions.parse('r'), startsOn, expiresOn }, key, account)
        if (sas.signature) options.setSecret?.(sas.signature)
        return `${previousBlob.url}?${sas.toString()}`
      }

      let pending: Buffer[] = []
      let pendingBytes = 0
      const flush = async () => {
        if (pendingBytes === 0) return
        const body = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes)
        pending = []
        pendingBytes = 0
        const transactionalContentMD5 = createHash('md5').update(body).digest()
        sentBytes += body.length
        await stage(id => blob.stageBlock(id, body, body.length, { transactionalContentMD5 }))
      }

      let step = await segments.next()
      try {
        for (; !step.done; step = await segments.next()) {
          const segment = step.value
          if ('bytes' in segment) {
            md5.update(segment.bytes)
            pending.push(segment.bytes)
            pendingBytes += segment.bytes.length
            if (pendingBytes >= ARCHIVE_BLOCK_BYTES) await flush()
            continue
          }
          if (!previous) throw new Error('a copy from the previous release, but none was named')
          await flush()
          for (let start = segment.copy.start; start < segment.copy.end; start += ARCHIVE_COPY_BYTES) {
            copies.push({ id: nextId(), start, count: Math.min(ARCHIVE_COPY_BYTES, segment.copy.end - start) })
          }
        }
        await flush()
        await Promise.all(staging)
        if (failed) throw failed
        if (copies.length > 0) {
          signal?.throwIfAborted()
          const url = await copySource()
          await inParallel(copies, ARCHIVE_COPY_CONCURRENCY, async ({ id, start, count }) => {
            signal?.throwIfAborted()
            await attempt('writing', where(archive, blobName), () => blob.stageBlockFromURL(id, url, start, count))
          })
        }
      } catch (error) {
        // Let the generator finish what it started, then report the first cause.
        await segments.return({ entries: 0, reused: 0, bytes: 0 }).catch(() => undefined)
        await Promise.allSettled(staging)
        throw failed ?? error
      }
      signal?.throwIfAborted()
      const wholeMd5 = copies.length > 0 ? undefined : md5.digest()
      await attempt('writing', where(archive, blobName), () =>
        blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: 'application/zip', ...(wholeMd5 ? { blobContentMD5: wholeMd5 } : {}) }, metadata: { [FORMAT_METADATA]: ARCHIVE_FORMAT } })
      )
      return { ...step.value, sentBytes, md5: wholeMd5?.toString('base64') }
    },

    async downloadArchive(name, destination) {
      const blobName = `${prefix}${name}`
      try {
        await archive.getBlobClient(blobName).downloadToFile(destination)
      } catch (error) {
        const code = errorCodeOf(error)
        if (code === 'BlobNotFound' || code === 'ContainerNotFound') {
          throw new DeployError(`the release archive ${where(archive, blobName)} does not exist.`, 'It may have been pruned: only the last releases are kept. Pick a commit that is still archived, or deploy it by pushing again.')
        }
        throw failure('downloading', where(archive, blobName), error)
      }
    },

    async listArchives() {
      await ensureArchiveContainer()
      return attempt('listing', where(archive), async () => {
        const archives: ArchiveBlob[] = []
        // One level only: other environments' folders, the manifest and the lock are not releases.
        for await (const item of archive.listBlobsByHierarchy('/', { prefix })) {
          if (item.kind === 'prefix') continue
          const name = item.name.slice(prefix.length)
          if (name === MANIFEST || name === LOCK) continue
          archives.push({ name, size: item.properties.contentLength ?? 0, lastModified: item.properties.lastModified })
        }
        return archives.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      })
    },

    async deleteArchive(name) {
      const blobName = `${prefix}${name}`
      await attempt('deleting', where(archive, blobName), () => archive.getBlobClient(blobName).deleteIfExists())
    },

    async readManifest() {
      let text: string
      try {
        text = (await manifestBlob.downloadToBuffer()).toString('utf8')
      } catch (error) {
        const code = errorCodeOf(error)
        if (code === 'BlobNotFound' || code === 'ContainerNotFound') return undefined
        throw failure('reading', where(archive, manifestBlob.name), error)
      }
      let parsed: z.infer<typeof manifestSchema>
      try {
        parsed = manifestSchema.parse(JSON.parse(text))
      } catch (error) {
        throw new DeployError(`the deployed-state manifest ${where(archive, manifestBlob.name)} is not valid: ${(error as Error).message.split('\n')[0]}`, 'Delete it: the next deploy writes a new one (until then every part counts as changed).')
      }
      return parsed
    },

    async writeManifest(manifest) {
      await ensureArchiveContainer()
      const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
      await attempt('writing', where(archive, manifestBlob.name), () =>
        manifestBlob.upload(body, body.length, { blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8', blobCacheControl: 'no-cache', blobContentMD5: createHash('md5').update(body).digest() } })
      )
    }
  }
}

/** Where a site lives, as the plan names it. */
export type SiteLocation = Pick<SitePartPlan, 'storageAccount' | 'blobEndpoint' | 'container' | 'archiveContainer' | 'statePrefix'>

/** The store of a site: the account's blob endpoint on the deploy's cloud (or the explicit one), signed in as the deploy. */
export function siteStoreFor(site: SiteLocation, azure: Pick<AzureSession, 'credential' | 'cloud'>, logger?: Logger, setSecret?: (value: string) => void): SiteStore {
  return createSiteStore({
    setSecret,
    blobEndpoint: blobEndpointFor(site.storageAccount, azure.cloud.storageSuffix, site.blobEndpoint),
    credential: azure.credential,
    container: site.container,
    archiveContainer: site.archiveContainer,
    statePrefix: site.statePrefix,
    logger
  })
}
