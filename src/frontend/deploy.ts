import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import type { AzureSession } from '../azure/connect.js'
import type { CommandRunner } from '../command-runner.js'
import { DeployError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { FrontendPlan } from '../plan.js'
import { createReleaseArchive, extractReleaseArchive } from './archive.js'
import { siteStoreFor, type SiteStore } from './blob-store.js'
import { buildFrontend } from './build.js'
import { compileCacheControl, headersFor } from './headers.js'
import { purgeEdge, purgePaths, type PurgeReport } from './purge.js'
import { hashOutputFiles, listSiteFiles, type OutputEntry } from './site-files.js'
import { planSync } from './sync-plan.js'
import { deleteStale, syncSite, type DeleteReport, type SyncReport } from './sync.js'

export interface FrontendDeployContext {
  workspace: string
  commit: string
  environment: string
}

export interface FrontendDeployDeps {
  runner: CommandRunner
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  tempDir: string
  azure: AzureSession
  allowMassDelete: boolean
  now?: () => number
}

export interface FrontendDeployResult {
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

/**
 * Build (or take an archived release), keep the release zip, then sync the site in a safe
 * order: assets, pages, the root index.html last; purge what changed; only then delete
 * stale blobs; record what is live. One deploy of a site at a time, under a blob lease.
 */
export async function deployFrontend(plan: FrontendPlan, context: FrontendDeployContext, deps: FrontendDeployDeps): Promise<FrontendDeployResult> {
  const { logger } = deps
  const now = deps.now ?? Date.now
  const seconds: Record<string, number> = {}
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const started = now()
    try {
      return await work()
    } finally {
      seconds[phase] = Math.round((now() - started) / 100) / 10
    }
  }
  const store = siteStoreFor(plan, context.environment, deps.azure, logger)
  const live = plan.rollbackTo ?? context.commit
  const archive = `${live}.zip`
  const scratch = await mkdtemp(path.join(deps.tempDir, 'apd-frontend-'))
  const lock = await timed('lock', () => store.acquireLock({ waitMs: plan.lockTimeoutSeconds * 1000 }))
  try {
    let outputDir: string
    /** The build's files as it listed them; a release fetched for a rollback is listed here. */
    let built: OutputEntry[] | undefined
    if (plan.rollbackTo) {
      outputDir = path.join(scratch, 'release')
      await logger.group(`Fetch the release of ${plan.rollbackTo.slice(0, 12)}`, async () => {
        const zip = path.join(scratch, archive)
        try {
          await store.downloadArchive(archive, zip)
        } catch (error) {
          throw new DeployError(`rollback-to ${plan.rollbackTo}: its release archive ${store.archivePath(archive)} could not be read (${(error as Error).message}).`, `Releases are kept for the last ${plan.keepReleases} deploys (keep-releases): pick a commit that was deployed since, or redeploy it by building it again.`)
        }
        await extractReleaseArchive(zip, outputDir)
      })
    } else {
      const build = await timed('build', () => buildFrontend(plan, { workspace: context.workspace }, deps))
      outputDir = build.outputDir
      built = build.files
    }

    // Hash the local files while the container is listed: on a large site both take a while.
    const [files, remote, website] = await Promise.all([built ? hashOutputFiles(built) : listSiteFiles(outputDir), store.listSite(), store.enableStaticWebsite(plan.indexDocument, plan.errorDocument)])
    if (website.status === 'enabled') logger.info(`static website switched on (index ${plan.indexDocument}, 404 ${plan.errorDocument})`)
    if (website.status === 'unknown') logger.warning(`could not check the static website setting of ${store.account} (${website.reason}); make sure it is on (a data role cannot read it: Storage Account Contributor can)`)
    const cacheControl = compileCacheControl(plan.cacheControl)
    const local = files.map(file => ({ file, headers: headersFor(file.path, cacheControl) }))
    // Checked before the release archive goes up: a refused build leaves nothing behind.
    const syncPlan = planSync(local, remote, { maxDeleteShare: plan.maxDeleteShare, allowMassDelete: deps.allowMassDelete })
    if (syncPlan.deleteRefused && plan.deleteStale === 'after-purge') {
      throw new DeployError(`refusing to deploy: ${syncPlan.deleteRefused}. Nothing was uploaded or deleted.`, "Check parts.frontend.output (a wrong folder looks like a site that lost most of its files); if the site really shrank, set 'allow-mass-delete: true' for this run (or raise parts.frontend.max-delete-share).")
    }
    logger.info(`sync plan: ${syncPlan.uploads.length} to upload, ${syncPlan.headerFixes.length} header fixes, ${syncPlan.unchanged.length} unchanged, ${syncPlan.stale.length} stale`)

    if (!plan.rollbackTo) {
      await timed('archive', async () => {
        const zip = await createReleaseArchive(outputDir, files, path.join(scratch, archive))
        await store.uploadArchive(archive, zip.path)
        logger.info(`release archive ${store.archivePath(archive)}: ${files.length} files, ${zip.bytes} bytes, sha256 ${zip.sha256}`)
      })
    }

    const sync = await timed('upload', () => logger.group(`Upload to ${store.account}/${store.container}`, () => syncSite(syncPlan, { store, logger, now })))
    if (!sync.ok) {
      // The failure may carry its own hint ("\n  → …"): it goes after this message, not inside it.
      const [reason = '', ...hints] = (sync.failure ?? 'see the log above').split('\n  → ')
      throw new DeployError(
        `the upload to ${store.account}/${store.container} failed: ${/[.!?]$/.test(reason) ? reason : `${reason}.`} Nothing was deleted; the site serves the files uploaded so far next to the previous ones.`,
        [...hints, 'Re-run the job: the sync uploads only what still differs.'].join('\n  → ')
      )
    }

    const replaced = [...syncPlan.uploads.filter(upload => upload.reason === 'changed').map(upload => upload.file.path), ...syncPlan.headerFixes.map(fix => fix.path)]
    const paths = plan.cdn ? purgePaths(replaced, plan.purge) : []
    let purge: PurgeReport | undefined
    if (plan.cdn && paths.length > 0) {
      const edge = plan.cdn
      purge = await timed('purge', () => logger.group(`Purge ${edge.kind} ${edge.profile}/${edge.endpoint}`, () => purgeEdge(edge, paths, deps.azure.clients, now)))
      logger.info(`purged ${purge.paths.length} path${purge.paths.length === 1 ? '' : 's'} in ${purge.calls} call${purge.calls === 1 ? '' : 's'}${purge.domains.length ? ` with ${purge.domains.join(', ')}` : ''} (${purge.seconds}s)`)
    }

    // Deleting is the one step that can break a page still cached somewhere: only while
    // this deploy surely holds the lock.
    lock.assertHeld()
    const deletion: DeleteReport =
      plan.deleteStale === 'after-purge' ? await timed('delete', () => deleteStale(syncPlan, sync, { store, logger, now })) : { status: 'nothing-stale', deleted: [], durationMs: 0 }
    await store.writeManifest({ commit: live, deployedAt: new Date(now()).toISOString(), archive, files: files.map(file => ({ path: file.path, md5: file.md5, size: file.size })) })
    await pruneArchives(store, plan.keepReleases, archive, logger)
    return {
      commit: live,
      siteUrl: plan.siteUrl ?? (plan.cdn?.domains?.[0] ?? purge?.domains[0] ? `https://${plan.cdn?.domains?.[0] ?? purge?.domains[0]}` : undefined),
      archive: store.archivePath(archive),
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
  } finally {
    await lock.release()
    await rm(scratch, { recursive: true, force: true })
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
