/**
 * A site part in two halves. `prepareSite` builds (or fetches an archived release), hashes
 * the files and plans the sync — nothing anyone sees changes, so it runs before the
 * environment's lock and before any part goes live — and starts writing the release zip
 * (private), which goes on while the run waits for the lock and publishes, at a pace that never
 * holds up the site (see ReleaseWriting). `publishSite` runs under the lock: it records the
 * release in flight in the manifest, uploads in a safe order (assets, pages, the root
 * index.html last), purges every path it and any unfinished earlier run replaced, deletes
 * stale blobs, and records what is live once the zip is kept.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import type { AzureSession } from '../azure/connect.js'
import type { CommandRunner } from '../command-runner.js'
import { DeployError, describeFailure } from '../errors.js'
import type { Logger } from '../logger.js'
import type { SitePartPlan } from '../plan.js'
import { extractReleaseArchive, releaseArchiveSegments, type PreviousArchive } from './archive.js'
import { describeStaticWebsite, siteStoreFor, type DeployManifest, type RemoteBlob, type SiteStore, type StaticWebsiteState, type StoredArchive } from './blob-store.js'
import { buildFrontend } from './build.js'
import { compileCacheControl, headersFor } from './headers.js'
import { frontDoorPurgeDomains, purgeEdge, purgePaths, type PurgeReport } from './purge.js'
import { hashOutputFiles, listSiteFiles, SiteContents, type SiteFile } from './site-files.js'
import { planSync, type LocalEntry, type SyncPlan } from './sync-plan.js'
import { deleteStale, syncSite, type DeleteReport, type SyncReport } from './sync.js'

export interface SiteDeployContext {
  workspace: string
  commit: string
}

export interface SiteDeployDeps {
  runner: CommandRunner
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  tempDir: string
  azure: AzureSession
  allowMassDelete: boolean
  now?: () => number
  /** Waits between looks for a site container that is still being made. */
  sleep?: (ms: number) => Promise<void>
  /** Masks a credential made during the deploy (the read link a server-side copy uses). */
  setSecret?(value: string): void
}

/** A site built and planned, not yet published. */
export interface PreparedSite {
  plan: SitePartPlan
  /** The commit that goes live: the head, or the release rolled back to. */
  commit: string
  store: SiteStore
  outputDir: string
  files: SiteFile[]
  /** The files' bytes as hashed, for the upload and the release zip. */
  contents: SiteContents
  local: LocalEntry[]
  /** What the container held when prepared (undefined: it does not exist yet), and the manifest then. */
  remote?: RemoteBlob[]
  manifest?: DeployManifest
  /** The manifest as read again once the environment's lock was held (newest wins), when it was. */
  manifestUnderLock?: { manifest: DeployManifest | undefined }
  syncPlan: SyncPlan
  /** Front Door: the hosts a purge names (the endpoint's linked custom domains and its own), checked when preparing. */
  frontDoorDomains?: string[]
  /** The static website as found when preparing (only read): publishing switches it on or sets it only when it differed. */
  website: StaticWebsiteState
  seconds: Record<string, number>
  /** The release zip, written from the moment the site is planned. */
  archiving: ReleaseWriting
  /** A private folder for a fetched release. */
  scratch: string
  /** Stops the release zip if it is still being written, and removes the scratch folder. */
  cleanup(): Promise<void>
}

/**
 * The release zip being written in the background. Until the site is live it sends one block
 * at a time, so the runner's bandwidth goes to the site; the unchanged entries the storage
 * copies from the previous release start at once, since they cost the runner nothing and a
 * redeploy would otherwise wait for them after its page is live.
 */
export interface ReleaseWriting {
  /** Whether it was kept (false: it failed, with a warning, or was stopped; a rollback keeps none). */
  done: Promise<boolean>
  /** The site is live (or its upload failed): the zip goes at full speed. */
  live(): void
  /** Seconds it took, once done. */
  seconds(): number | undefined
}

export interface SitePublishResult {
  /** The commit now live: the head, or the release rolled back to. */
  commit: string
  siteUrl?: string
  archive: string
  files: number
  uploaded: number
  skipped: number
  headersFixed: number
  deleted: number
  bytesUploaded: number
  purge?: PurgeReport
  deletion: DeleteReport
  sync: SyncReport
  /** Seconds per phase. */
  seconds: Record<string, number>
}

function timer(seconds: Record<string, number>, now: () => number) {
  return async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const started = now()
    try {
      return await work()
    } finally {
      seconds[phase] = (seconds[phase] ?? 0) + Math.round((now() - started) / 100) / 10
    }
  }
}

/** Build (or fetch the archived release), hash, and plan the sync against what the container holds now. */
export async function prepareSite(plan: SitePartPlan, buildEnv: Readonly<Record<string, string>>, context: SiteDeployContext, deps: SiteDeployDeps): Promise<PreparedSite> {
  const { logger } = deps
  const now = deps.now ?? Date.now
  const seconds: Record<string, number> = {}
  const timed = timer(seconds, now)
  const store = siteStoreFor(plan, deps.azure, logger, deps.setSecret)
  const commit = plan.rollbackTo ?? context.commit
  const scratch = await mkdtemp(path.join(deps.tempDir, 'apd-site-'))
  const contents = new SiteContents()
  const stop = new AbortController()
  let archiving: ReleaseWriting | undefined
  const cleanup = async () => {
    stop.abort()
    await archiving?.done
    contents.clear()
    await rm(scratch, { recursive: true, force: true })
  }
  // What the container holds, read while the site builds and hashes: to refuse a wrong output
  // folder before anything goes live anywhere; the Front Door domains too, so a domain the
  // endpoint does not serve fails here, not after an upload; and the static website, read
  // only, so that publishing sets it only when it differs. A build failure is reported first.
  const reading = timed('list', () =>
    Promise.all([
      store.listSiteIfExists(),
      store.readManifest(),
      plan.cdn?.kind === 'frontdoor' ? frontDoorPurgeDomains(plan.cdn, deps.azure.clients) : undefined,
      store.enableStaticWebsite(plan.indexDocument, plan.errorDocument, { update: false })
    ])
  )
  reading.catch(() => undefined)
  try {
    let outputDir: string
    let files: SiteFile[]
    if (plan.rollbackTo) {
      outputDir = path.join(scratch, 'release')
      const archive = `${plan.rollbackTo}.zip`
      await logger.group(`Fetch the release of ${plan.rollbackTo.slice(0, 12)}`, async () => {
        const zip = path.join(scratch, archive)
        try {
          await store.downloadArchive(archive, zip)
        } catch (error) {
          throw new DeployError(`rollback-to ${plan.rollbackTo}: its release archive ${store.archivePath(archive)} could not be read (${(error as Error).message}).`, `Releases are kept for the last ${plan.keepReleases} deploys (keep-releases): pick a commit that was deployed since, or redeploy it by building it again.`)
        }
        await extractReleaseArchive(zip, outputDir)
      })
      files = await timed('hash', () => listSiteFiles(outputDir, contents))
    } else {
      const build = await timed('build', () => buildFrontend({ ...plan, buildEnv }, { workspace: context.workspace }, deps))
      outputDir = build.outputDir
      files = await timed('hash', () => hashOutputFiles(build.files, contents))
    }
    const cacheControl = compileCacheControl(plan.cacheControl)
    const local = files.map(file => ({ file, headers: headersFor(file.path, cacheControl) }))
    const [remote, manifest, frontDoorDomains, website] = await reading
    const syncPlan = checkedSyncPlan(plan, local, remote ?? [], deps.allowMassDelete)
    archiving = plan.rollbackTo ? { done: Promise.resolve(false), live() {}, seconds: () => undefined } : keepRelease(store, files, contents, `${commit}.zip`, manifest, stop.signal, logger, now)
    return { plan, commit, store, outputDir, files, contents, local, remote, manifest, syncPlan, frontDoorDomains, website, archiving, seconds, scratch, cleanup }
  } catch (error) {
    await cleanup()
    throw error
  }
}

function checkedSyncPlan(plan: SitePartPlan, local: readonly LocalEntry[], remote: readonly RemoteBlob[], allowMassDelete: boolean): SyncPlan {
  const syncPlan = planSync(local, remote, { maxDeleteShare: plan.maxDeleteShare, allowMassDelete })
  if (syncPlan.deleteRefused && plan.deleteStale === 'after-purge') {
    throw new DeployError(
      `refusing to deploy${plan.name === 'frontend' ? '' : ` ${plan.name}`}: ${syncPlan.deleteRefused}. Nothing was uploaded or deleted.`,
      `Check parts.${plan.name}.output (a wrong folder looks like a site that lost most of its files); if the site really shrank, set 'allow-mass-delete: true' for this run (or raise parts.${plan.name}.max-delete-share).`
    )
  }
  return syncPlan
}

const sameManifest = (a: DeployManifest | undefined, b: DeployManifest | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/**
 * Publish a prepared site, under the environment's lock. `assertLockHeld` throws when the lock
 * was lost: deleting is the one step that can break a page still cached somewhere, so it runs
 * only while the lock surely holds.
 */
export async function publishSite(prepared: PreparedSite, deps: SiteDeployDeps & { assertLockHeld(): void }): Promise<SitePublishResult> {
  const { plan, store, files, local, commit } = prepared
  const { logger } = deps
  const now = deps.now ?? Date.now
  const seconds = { ...prepared.seconds }
  const timed = timer(seconds, now)

  // The switch (on a new account $web appears only once the static website is on) only when
  // preparing found it off or set otherwise; meanwhile, the manifest again, unless it was
  // already read under the lock.
  const [website, manifest] = await Promise.all([
    prepared.website.status === 'already-on' ? undefined : timed('website', () => store.enableStaticWebsite(plan.indexDocument, plan.errorDocument)),
    prepared.manifestUnderLock ? prepared.manifestUnderLock.manifest : store.readManifest()
  ])
  if (website?.status === 'enabled') logger.info(`static website switched on (index ${plan.indexDocument}, 404 ${plan.errorDocument})`)
  else if (website) {
    const said = describeStaticWebsite(store.account, website)
    if (said) logger[said.level](said.message)
  }

  // Another deploy may have changed the site since it was prepared: plan again from what is there now.
  let syncPlan = prepared.syncPlan
  let remote = prepared.remote
  if (!sameManifest(manifest, prepared.manifest) || remote === undefined) {
    remote = await timed('list', () => siteListing(store, website ?? prepared.website, deps.sleep))
    syncPlan = checkedSyncPlan(plan, local, remote, deps.allowMassDelete)
  }
  logger.info(`sync plan: ${syncPlan.uploads.length} to upload, ${syncPlan.headerFixes.length} header fixes, ${syncPlan.unchanged.length} unchanged, ${syncPlan.stale.length} stale`)

  // Blobs whose content or headers an edge may have cached: this run's, and an unfinished run's.
  const replacedNow = [...syncPlan.uploads.filter(upload => upload.reason === 'changed').map(upload => upload.file.path), ...syncPlan.headerFixes.map(fix => fix.path)]
  const unfinished = manifest?.pending
  if (unfinished) logger.warning(`${store.account}/${store.container}: an earlier deploy of ${unfinished.commit.slice(0, 12)} (started ${unfinished.startedAt}) did not finish; its ${unfinished.replaced.length} replaced file(s) are purged with this release's`)
  const replaced = [...new Set([...(unfinished?.replaced ?? []), ...replacedNow])].sort()
  // A site an earlier tool uploaded has no manifest of ours: whatever the edge cached of it may be stale.
  const adopted = !manifest && (remote?.length ?? 0) > 0
  const pending = { commit, startedAt: new Date(now()).toISOString(), replaced }
  const live: DeployManifest = manifest ? { ...manifest, pending } : { commit, deployedAt: pending.startedAt, files: [], pending }
  await store.writeManifest(live)

  const archive = `${commit}.zip`
  let sync: SyncReport
  try {
    sync = await timed('upload', () => logger.group(`Upload to ${store.account}/${store.container}`, () => syncSite(syncPlan, { store, logger, now, contents: prepared.contents })))
  } finally {
    prepared.archiving.live()
  }
  if (!sync.ok) {
    await prepared.archiving.done
    // The failure may carry its own hint ("\n  → …"): it goes after this message, not inside it.
    const [reason = '', ...hints] = (sync.failure ?? 'see the log above').split('\n  → ')
    throw new DeployError(
      `the upload to ${store.account}/${store.container} failed: ${/[.!?]$/.test(reason) ? reason : `${reason}.`} Nothing was deleted; the site serves the files uploaded so far next to the previous ones.`,
      [...hints, 'Re-run the job: the sync uploads only what still differs.'].join('\n  → ')
    )
  }

  const paths = plan.cdn ? (adopted ? ['/*'] : purgePaths(replaced, plan.purge)) : []
  let purge: PurgeReport | undefined
  if (plan.cdn && paths.length > 0) {
    const edge = plan.cdn
    purge = await timed('purge', () => logger.group(`Purge ${edge.kind} ${edge.profile}/${edge.endpoint}`, () => purgeEdge(edge, paths, deps.azure.clients, now, prepared.frontDoorDomains)))
    logger.info(`purged ${purge.paths.length} path${purge.paths.length === 1 ? '' : 's'} in ${purge.calls} call${purge.calls === 1 ? '' : 's'}${purge.domains.length ? ` with ${purge.domains.join(', ')}` : ''} (${purge.seconds}s)`)
  }

  deps.assertLockHeld()
  const deletion: DeleteReport = plan.deleteStale === 'after-purge' ? await timed('delete', () => deleteStale(syncPlan, sync, { store, logger, now })) : { status: 'nothing-stale', deleted: [], durationMs: 0 }
  const archived = await prepared.archiving.done
  const archiveSeconds = prepared.archiving.seconds()
  if (archiveSeconds !== undefined) seconds.archive = archiveSeconds
  prepared.contents.clear()
  // What is live, and the old archives pruned (never the one just written): independent, at once.
  await Promise.all([
    store.writeManifest({ commit, deployedAt: new Date(now()).toISOString(), archive: archived ? archive : manifest?.archive, files: files.map(file => ({ path: file.path, md5: file.md5, size: file.size })) }),
    archived ? pruneArchives(store, plan.keepReleases, archive, logger) : undefined
  ])
  return {
    commit,
    siteUrl: siteUrlOf(plan, prepared.frontDoorDomains ?? purge?.domains),
    archive: store.archivePath(plan.rollbackTo ? archive : archived ? archive : ''),
    files: files.length,
    uploaded: sync.uploaded.length,
    skipped: syncPlan.unchanged.length,
    headersFixed: sync.headersFixed.length,
    deleted: deletion.deleted.length,
    bytesUploaded: sync.bytesUploaded,
    purge,
    deletion,
    sync,
    seconds
  }
}

/** How long a container that the static website switch makes may take to appear. */
const CONTAINER_APPEARS_MS = 30_000

/**
 * The site's blobs once its container exists: right after the static website is switched on,
 * Storage may take a moment to make `$web`. Still missing, the error says which of the two it
 * is — the static website is off, or it is on and the container is gone.
 */
async function siteListing(store: SiteStore, website: StaticWebsiteState, sleep: (ms: number) => Promise<void> = ms => new Promise(resolve => setTimeout(resolve, ms))): Promise<RemoteBlob[]> {
  const deadline = Date.now() + (website.status === 'enabled' ? CONTAINER_APPEARS_MS : 0)
  for (;;) {
    const blobs = await store.listSiteIfExists()
    if (blobs) return blobs
    if (Date.now() >= deadline) break
    await sleep(1000)
  }
  const where = `${store.account}/${store.container}`
  if (website.status === 'unknown') {
    throw new DeployError(`the site container ${where} does not exist, and the static website setting of ${store.account} could not be read: it is probably off.`, `Switch the static website on (portal, or az storage blob service-properties update --static-website), or give the deploy's identity "Storage Account Contributor" on ${store.account} so that it can.`)
  }
  if (website.status === 'enabled') {
    throw new DeployError(`the static website of ${store.account} was just switched on, but ${where} did not appear within ${CONTAINER_APPEARS_MS / 1000} s.`, 'Re-run the job in a minute: Storage makes the container shortly after the switch.')
  }
  throw new DeployError(`the static website of ${store.account} is on, but its container ${where} does not exist (deleted?).`, `Switch the static website off and on again to make ${store.container} anew, or check container in the config.`)
}

/** The config's site-url, else the first Front Door domain (configured, or linked to the endpoint). */
function siteUrlOf(plan: SitePartPlan, domains: readonly string[] | undefined): string | undefined {
  const host = plan.cdn?.domains?.[0] ?? domains?.[0]
  return plan.siteUrl ?? (host ? `https://${host}` : undefined)
}

/** Blocks of the release zip in flight once the site is live. */
const ARCHIVE_CONCURRENCY = 4

/**
 * The previous release's zip, when this one can reuse its entries: the manifest names the zip
 * of the release it records (so its MD5s describe that zip's files), and the zip is of this
 * format. Anything else (a first deploy, a rollback, an older format, a zip that cannot be
 * read) means the zip is written whole.
 */
async function reusableRelease(store: SiteStore, manifest: DeployManifest | undefined, archive: string, logger: Logger): Promise<(PreviousArchive & { stored: StoredArchive }) | undefined> {
  if (!manifest?.archive || manifest.archive !== `${manifest.commit}.zip` || manifest.archive === archive || manifest.files.length === 0) return undefined
  let stored: StoredArchive | undefined
  try {
    stored = await store.readArchive(manifest.archive)
  } catch (error) {
    logger.info(`the previous release archive ${store.archivePath(manifest.archive)} could not be read (${describeFailure(error)}): this one is written whole`)
    return undefined
  }
  if (!stored) return undefined
  return { stored, entries: new Map(stored.entries.map(entry => [entry.name, entry])), md5s: new Map(manifest.files.map(file => [file.path, file.md5])) }
}

/**
 * The release zip, written in the background from the moment the site is planned: unchanged
 * entries copied from the previous release by the storage, the rest compressed and sent. A
 * failure costs the redeploy of this release, not the deploy.
 */
function keepRelease(store: SiteStore, files: readonly SiteFile[], contents: SiteContents, archive: string, manifest: DeployManifest | undefined, stop: AbortSignal, logger: Logger, now: () => number): ReleaseWriting {
  let seconds: number | undefined
  const started = now()
  let live = false
  const concurrency = () => (live ? ARCHIVE_CONCURRENCY : 1)
  const write = async (): Promise<boolean> => {
    try {
      const previous = await reusableRelease(store, manifest, archive, logger)
      let written
      try {
        written = await store.writeArchive(archive, releaseArchiveSegments(files, contents, previous), { previous: previous?.stored, concurrency, signal: stop })
      } catch (error) {
        if (!previous || stop.aborted) throw error
        logger.info(`the unchanged entries of ${store.archivePath(previous.stored.name)} could not be copied (${describeFailure(error)}): the release archive is written whole`)
        written = await store.writeArchive(archive, releaseArchiveSegments(files, contents), { concurrency, signal: stop })
      }
      const reused = written.reused > 0 ? `, ${written.reused} unchanged entries copied from ${previous!.stored.name} by the storage` : ''
      logger.info(`release archive ${store.archivePath(archive)}: ${written.entries} files, ${written.bytes} bytes (${written.sentBytes} sent${reused})${written.md5 ? `, MD5 ${written.md5}` : ''}`)
      return true
    } catch (error) {
      // Stopped: the run ends before this release goes live, and says why elsewhere.
      if (!stop.aborted) logger.warning(`the release archive ${store.archivePath(archive)} could not be kept (${describeFailure(error)}): the site deploys, but rollback-to this commit will need a new build`)
      return false
    } finally {
      seconds = Math.round((now() - started) / 100) / 10
    }
  }
  return {
    done: write(),
    live() {
      live = true
    },
    seconds: () => seconds
  }
}

/** Keep the newest `keep` release archives; the one just deployed is never removed. */
async function pruneArchives(store: SiteStore, keep: number, current: string, logger: Logger): Promise<void> {
  // Oldest first, as listed: all but the last `keep` go.
  const archives = (await store.listArchives()).filter(a => a.name.endsWith('.zip'))
  const old = archives.slice(0, Math.max(0, archives.length - keep)).filter(a => a.name !== current)
  for (const archive of old) await store.deleteArchive(archive.name)
  if (old.length > 0) logger.info(`removed ${old.length} old release archive${old.length === 1 ? '' : 's'} (keep-releases: ${keep})`)
}
