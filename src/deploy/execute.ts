/**
 * The deploy of one environment as one transaction:
 *
 *   prepare   every target read (it exists, the identity may read it), every image built and
 *             pushed, every site built and planned — nothing anyone sees has changed yet
 *   lock      one lease per environment, held from the first live change to the last
 *   newest    a part whose live release descends from this commit is superseded, not deployed
 *   release   each image part's release step (migrations), once, in the new image
 *   switch    every image part's targets as one all-or-nothing group
 *   sites     each site part: upload, purge, delete stale, record what is live
 *
 * A failure stops at once and says what it left: before the switch nothing changed; a failed
 * switch rolls the whole group back; a cancellation (or the deadline) rolls back what it can
 * and the post step repairs the rest from the journal.
 */
import path from 'node:path'
import type { AzureSession } from '../azure/connect.js'
import { resourceManagerScope } from '../azure/cloud.js'
import { describeAzureError } from '../azure/errors.js'
import { buildAndPushImage, type BuiltImage } from '../backend/image-build.js'
import type { VerifyDeps } from '../backend/health.js'
import { loginToRegistry, type RegistrySession } from '../backend/registry-login.js'
import { desiredSettings } from '../backend/app-settings.js'
import { runRelease, type ReleaseResult } from '../backend/release.js'
import { rollout, type RolloutReport, type RolloutUnit, type TargetOutcome } from '../backend/rollout.js'
import { createWebAppControl, type TargetState, type WebAppControl } from '../backend/web-app-control.js'
import { targetName } from '../backend/web-app-state.js'
import type { GitRepository } from '../changes/index.js'
import type { CommandRunner } from '../command-runner.js'
import { DeployError, describeFailure } from '../errors.js'
import { blobEndpointFor } from '../frontend/blob-store.js'
import type { PreparedSite, SitePublishResult } from '../frontend/deploy.js'
import type { DeploymentOutcome, DeploymentRecord, GitHubDeployments } from '../github/deployments.js'
import { inParallel } from '../parallel.js'
import type { Logger } from '../logger.js'
import type { DeployPlan, ImageBuild, ImagePartPlan, PartPlan, SitePartPlan } from '../plan.js'
import { resolveValues } from '../values.js'
import type { PartKind } from '../config-schema.js'
import type { Journal } from './journal.js'
import { acquireDeployLock, type DeployLock } from './lock.js'

/** How each part ended. `not-run`: it was to deploy, but the run stopped before it got there. */
export type PartResult = 'deployed' | 'skipped' | 'superseded' | 'rolled-back' | 'failed' | 'not-run'

export interface PartOutcome {
  name: string
  kind: PartKind
  result: PartResult
  /** Why, for anything but deployed and skipped. */
  reason?: string
  /** Image parts: the image every target runs (built, or found already built). */
  image?: BuiltImage
  targets?: TargetOutcome[]
  release?: ReleaseResult | { skipped: string }
  site?: SitePublishResult
  /** Superseded: the newer commit that is live. */
  liveCommit?: string
}

export interface ExecutionReport {
  parts: PartOutcome[]
  rollout?: RolloutReport
  /** Set when the run failed: what the step's error says. */
  failure?: DeployError
  lock?: { name: string; waitedSeconds: number }
}

export interface ExecuteContext {
  workspace: string
  commit: string
  /** The repository's web URL, for the image's source label. */
  sourceUrl?: string
  runUrl?: string
}

export interface ExecuteDeps {
  runner: CommandRunner
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  tempDir: string
  setSecret(value: string): void
  fetch: typeof fetch
  azure: AzureSession
  git: GitRepository
  registryCredentials: { username?: string; password?: string }
  verify: VerifyDeps
  github?: GitHubDeployments
  journal: Journal
  /** Cancellation and the deadline. */
  signal: AbortSignal
  allowMassDelete: boolean
  /** The commits an image part's targets run now (read under the lock, for "newest wins"); a site's come from its manifest. */
  liveCommits(part: ImagePartPlan): Promise<string[]>
  /** Parts the `parts` input names (or `rollback-to` redeploys): deliberate, so never superseded. */
  deliberate: readonly string[]
  now?: () => number
}

/** A stop with a reason that belongs to no part (cancellation, the deadline). */
function stopped(signal: AbortSignal): DeployError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the run was cancelled'
  return new DeployError(`${reason}.`)
}

export async function executePlan(plan: DeployPlan, context: ExecuteContext, deps: ExecuteDeps): Promise<ExecutionReport> {
  const { logger, journal, signal } = deps
  const now = deps.now ?? Date.now
  const outcomes = new Map<string, PartOutcome>(plan.parts.map(part => [part.name, { name: part.name, kind: part.kind, result: part.deploy ? 'not-run' : 'skipped' }]))
  const outcome = (name: string) => outcomes.get(name)!
  const deploying = () => plan.parts.filter(part => outcome(part.name).result === 'not-run')
  const imageParts = () => deploying().filter((part): part is ImagePartPlan => part.kind === 'image')
  const siteParts = () => deploying().filter((part): part is SitePartPlan => part.kind === 'site')
  const control = createWebAppControl(deps.azure.clients)
  const records = new Map<string, DeploymentRecord>()
  const sessions = new Map<string, RegistrySession>()
  const prepared = new Map<string, PreparedSite>()
  const images = new Map<string, BuiltImage>()
  const report: ExecutionReport = { parts: [] }
  let lock: DeployLock | undefined

  /** Marks the part failed and stops the run with its error. */
  const failPart = (part: string, error: unknown): never => {
    const reason = describeFailure(error).split('\n')[0]!
    Object.assign(outcome(part), { result: 'failed', reason })
    throw error instanceof DeployError ? error : new DeployError(`${part}: ${reason}`)
  }
  const checkSignal = () => {
    if (signal.aborted) throw stopped(signal)
  }

  try {
    // GitHub deployments: in progress from the start, so a failure at any step is recorded.
    for (const part of plan.parts.filter(p => p.deploy)) {
      const record = await deps.github?.start({ environment: plan.environment, part: part.name, sha: context.commit, description: startDescription(part, context.commit) })
      if (record) {
        records.set(part.name, record)
        journal.update(data => data.deployments.push({ id: record.id, environment: record.environment, part: part.name, finished: false }))
      }
    }

    // 1. Prepare: nothing anyone sees changes.
    const snapshots = new Map<string, TargetState[]>()
    await logger.group('Prepare: check the targets, build every image and site', async () => {
      for (const part of imageParts()) {
        try {
          snapshots.set(part.name, await readTargets(part, control))
        } catch (error) {
          failPart(part.name, error)
        }
      }
      checkSignal()
      // Sites first: a broken site build stops the run before any image reaches the registry.
      for (const part of siteParts()) {
        checkSignal()
        try {
          const { prepareSite } = await import('../frontend/deploy.js')
          const buildEnv = part.rollbackTo ? {} : resolveValues(part.buildEnv, deps.env, deps.setSecret, `parts.${part.name}.build-env.${plan.environment}`)
          prepared.set(part.name, await prepareSite(part, buildEnv, { workspace: context.workspace, commit: context.commit }, { ...deps, now }))
        } catch (error) {
          failPart(part.name, error)
        }
      }
      for (const build of plan.images) {
        checkSignal()
        try {
          images.set(build.part, await buildImage(build, context, deps, sessions))
        } catch (error) {
          // The image's users fail with it.
          for (const user of imageParts().filter(p => p.imageFrom === build.part)) if (user.name !== build.part) Object.assign(outcome(user.name), { result: 'failed', reason: `its image (part ${build.part}) could not be built` })
          failPart(build.part, error)
        }
      }
      for (const part of imageParts()) outcome(part.name).image = images.get(part.imageFrom)
    })
    checkSignal()

    // 2. The environment's lock, from the first live change to the last.
    if (plan.lock) {
      const locked = plan.lock
      const started = now()
      const location = { blobEndpoint: blobEndpointFor(locked.storageAccount, deps.azure.cloud.storageSuffix, locked.blobEndpoint), container: locked.container, blob: locked.blob }
      const leaseId = crypto.randomUUID()
      journal.update(data => (data.lock = { ...location, leaseId, released: false }))
      lock = await acquireDeployLock(location, deps.azure.credential, { runUrl: context.runUrl, commit: context.commit, startedAt: new Date(now()).toISOString() }, { waitMs: locked.timeoutSeconds * 1000, leaseId, logger, signal })
      report.lock = { name: lock.name, waitedSeconds: Math.round((now() - started) / 100) / 10 }
      logger.info(`locked ${lock.name}${report.lock.waitedSeconds >= 1 ? ` after waiting ${report.lock.waitedSeconds}s` : ''}`)
    } else if (plan.warnings.length === 0) {
      logger.info('no deploy lock for this environment')
    }
    checkSignal()

    // 3. Newest wins: a part whose live release descends from this commit is left as it is.
    // A site's manifest, read here under the lock, is the one its publish starts from.
    const liveCommitsOf = async (part: PartPlan): Promise<string[]> => {
      if (part.kind === 'image') return deps.liveCommits(part)
      const site = prepared.get(part.name)!
      const manifest = await site.store.readManifest()
      site.manifestUnderLock = { manifest }
      return manifest && manifest.files.length > 0 ? [manifest.commit] : []
    }
    await Promise.all(
      deploying().map(async part => {
        if (deps.deliberate.includes(part.name)) return
        const live = await liveCommitsOf(part).catch(() => [] as string[])
        for (const commit of new Set(live)) {
          if (commit === context.commit) continue
          // The usual case first, found in a few commits of this run's history: what is live is older.
          if ((await deps.git.isAncestor(commit, context.commit)) === true) continue
          if ((await deps.git.isAncestor(context.commit, commit)) === true) {
            Object.assign(outcome(part.name), { result: 'superseded', liveCommit: commit, reason: `${commit.slice(0, 12)} is live, and it is newer than ${context.commit.slice(0, 12)}` })
            logger.warning(`${part.name}: not deployed: ${commit.slice(0, 12)} is live and descends from ${context.commit.slice(0, 12)}, so this run is older. Use the parts input (or rollback-to for a site) to go back on purpose.`)
            return
          }
        }
      })
    )

    // 4. Release steps: once, in the new image, before any target switches.
    for (const part of imageParts()) {
      const release = part.release
      if (!release) continue
      if (!release.run) {
        outcome(part.name).release = { skipped: release.reason }
        logger.info(`${part.name}: release step skipped (${release.reason})`)
        continue
      }
      checkSignal()
      const result = await logger.group(`Release step of ${part.name}`, async () => {
        const env = resolveValues(release.env, deps.env, deps.setSecret, `environments.${plan.environment}.${part.name}.release.env`)
        const appSettings = release.runOn === 'container-instance' ? releaseAppSettings(part, snapshots.get(part.name)?.[0], plan.environment, deps) : undefined
        const session = sessions.get(plan.images.find(image => image.part === part.imageFrom)?.registry ?? '') ?? [...sessions.values()][0]
        const ran = await runRelease(
          { part: part.name, image: part.image, registry: part.registry, plan: release, env, appSettings, pullCredentials: session?.pullCredentials, location: await siteLocation(part, deps.azure) },
          { runner: deps.runner, logger, dockerEnv: session?.dockerEnv ?? {}, clients: deps.azure.clients, signal, now, sleep: deps.verify.sleep }
        )
        return ran
      })
      outcome(part.name).release = result
      if (!result.ok) failPart(part.name, new DeployError(`the release step of ${part.name} failed: ${result.reason}. No target was switched.`, `Fix the release command (${release.command}) or what it needs (its output is above), then push again.`))
      logger.info(`${part.name}: release step done in ${result.seconds}s`)
    }

    // 5. Every image part's targets, as one all-or-nothing group.
    const group = imageParts()
    if (group.length > 0) {
      checkSignal()
      const units: RolloutUnit[] = []
      for (const part of group) {
        const declared = resolveValues(part.appSettings, deps.env, deps.setSecret, `environments.${plan.environment}.${part.name}.app-settings`)
        const image = outcome(part.name).image
        for (const target of part.targets) {
          units.push({
            part: part.name,
            target,
            strategy: part.strategy,
            // The commit tag, immutable by convention; the digest is reported alongside.
            image: image?.reference ?? part.image,
            commit: context.commit,
            settings: { declared, prune: part.pruneAppSettings },
            acrIdentity: part.acrIdentity,
            verify: part.verify,
            registry: part.registry,
            repository: part.repository,
            swapTimeoutMs: part.swapTimeoutSeconds * 1000
          })
        }
      }
      for (const part of group) if (part.verify.mode === 'none') logger.warning(`${part.name}: verify: none — nothing proves that the new version serves on ${part.targets.map(targetName).join(', ')}`)
      const rolled = await logger.group(`Roll out to ${units.length} target${units.length === 1 ? '' : 's'} of ${group.map(part => part.name).join(', ')}`, () =>
        rollout(units, {
          control,
          verify: deps.verify,
          platform: { token: async () => (await deps.azure.credential.getToken(resourceManagerScope(deps.azure.cloud)))?.token ?? '', fetch: deps.fetch },
          logger,
          journal: journal.rollout(),
          signal
        })
      )
      report.rollout = rolled
      for (const part of group) {
        const targets = rolled.targets.filter(target => target.part === part.name)
        Object.assign(outcome(part.name), { targets })
        if (rolled.ok) outcome(part.name).result = 'deployed'
        else if (rolled.untouched) Object.assign(outcome(part.name), { result: 'failed', reason: `${rolled.failure ?? 'the rollout failed'}; no target was changed` })
        else if (targets.some(target => target.status === 'rollback-failed')) Object.assign(outcome(part.name), { result: 'failed', reason: rolled.failure })
        else Object.assign(outcome(part.name), { result: 'rolled-back', reason: rolled.failure })
      }
      if (!rolled.ok) throw rolloutFailure(rolled, group.map(part => part.name), siteParts().map(part => part.name))
      logger.info(`Deployed ${[...new Set(units.map(unit => unit.image))].join(', ')} to ${units.length} target${units.length === 1 ? '' : 's'}.`)
    }

    // 6. Sites, one after another; the API went first, since a new site may call what only the new API has.
    const { publishSite } = siteParts().length > 0 ? await import('../frontend/deploy.js') : { publishSite: undefined }
    let siteFailure: DeployError | undefined
    for (const part of siteParts()) {
      if (signal.aborted) break
      try {
        const site = prepared.get(part.name)!
        site.seconds.lock = report.lock?.waitedSeconds ?? 0
        const published = await publishSite!(site, { ...deps, now, assertLockHeld: () => lock?.assertHeld() })
        Object.assign(outcome(part.name), { result: 'deployed', site: published })
        logger.info(`Deployed ${part.name} (${published.commit.slice(0, 12)}): ${published.uploaded} uploaded, ${published.skipped} unchanged, ${published.headersFixed} headers fixed, ${published.deleted} deleted${published.siteUrl ? `; ${published.siteUrl}` : ''}.`)
      } catch (error) {
        try {
          failPart(part.name, error)
        } catch (failure) {
          siteFailure ??= failure as DeployError
        }
      }
    }
    checkSignal()
    if (siteFailure) throw siteFailure
  } catch (error) {
    report.failure = error instanceof DeployError ? error : new DeployError(describeAzureError(error))
    const why = signal.aborted ? describeFailure(stopped(signal)) : `not deployed: the run stopped at an earlier failure (${report.failure.message.split('\n')[0]})`
    for (const part of deploying()) Object.assign(outcome(part.name), { reason: why })
  } finally {
    if (lock) {
      await lock.release()
      journal.update(data => {
        if (data.lock) data.lock.released = true
      })
    }
    await Promise.all([...sessions.values()].map(session => session.cleanup()))
    await Promise.all([...prepared.values()].map(site => site.cleanup()))
    report.parts = plan.parts.map(part => outcome(part.name))
    for (const [part, record] of records) {
      await record.finish(...deploymentOutcome(outcome(part), plan))
      journal.update(data => {
        const entry = data.deployments.find(deployment => deployment.id === record.id)
        if (entry) entry.finished = true
      })
    }
  }
  return report
}

function startDescription(part: PartPlan, commit: string): string {
  if (part.kind === 'image') return `Image of ${commit.slice(0, 12)} to ${part.targets.length} target(s)`
  return part.rollbackTo ? `Release of ${part.rollbackTo.slice(0, 12)} redeployed` : `Site of ${commit.slice(0, 12)}`
}

/** A part's GitHub deployment status from its outcome: the environment URL on success, the reason otherwise. */
export function deploymentOutcome(part: PartOutcome, plan: DeployPlan): DeploymentOutcome {
  const url = part.kind === 'image' ? part.targets?.[0]?.url || undefined : part.site?.siteUrl
  switch (part.result) {
    case 'deployed':
      if (part.kind === 'image') return ['success', { url, description: `${part.image?.pinned.split('@')[0] ?? 'image'} serving on ${part.targets?.length ?? 0} target(s)` }]
      return ['success', { url, description: `${part.site?.uploaded ?? 0} uploaded, ${part.site?.skipped ?? 0} unchanged, ${part.site?.deleted ?? 0} deleted` }]
    case 'superseded':
      return ['inactive', { description: `superseded: ${part.liveCommit?.slice(0, 12) ?? 'a newer commit'} is live in ${plan.environment}` }]
    case 'rolled-back':
      return ['failure', { url, description: `rolled-back: ${part.reason ?? 'the rollout failed'}` }]
    default:
      return ['failure', { url, description: part.reason ?? `${part.result}: the deploy stopped before this part` }]
  }
}

/** What each target runs now, and that it exists and can be read: checked before anything is built. */
async function readTargets(part: ImagePartPlan, control: WebAppControl): Promise<TargetState[]> {
  return inParallel(part.targets, 8, async target => {
    try {
      const state = await control.read(target)
      if (part.strategy === 'slot-swap') await control.read({ ...target, slot: undefined })
      return state
    } catch (error) {
      throw new DeployError(`${targetName(target)} (resource group ${target.resourceGroup}) cannot be read: ${describeAzureError(error)}. Nothing was built or changed.`, `Check environments.<name>.${part.name}.targets in the config (resource group, app, slot, subscription) and that the identity has Website Contributor on it.`)
    }
  })
}

/**
 * A container-group release runs with the first target's app settings as it will run them. The
 * ones the target already has (read from Azure) may hold secrets a migration could print: they
 * are masked. Values written in the config are in the repository, and masking them (a
 * settings module, a host name) would blank them out of every log line.
 */
function releaseAppSettings(part: ImagePartPlan, first: TargetState | undefined, environment: string, deps: Pick<ExecuteDeps, 'env' | 'setSecret'>): Record<string, string> {
  const declared = resolveValues(part.appSettings, deps.env, deps.setSecret, `environments.${environment}.${part.name}.app-settings`)
  if (!first) return declared
  const settings = desiredSettings(first.settings, { declared, prune: part.pruneAppSettings, port: part.targets[0]?.port }).settings
  for (const [name, value] of Object.entries(settings)) if (typeof part.appSettings[name] !== 'string' && value.length >= 8) deps.setSecret(value)
  return settings
}

/** The location of a part's first Web App: where a release's container group goes unless the config says. */
async function siteLocation(part: ImagePartPlan, azure: AzureSession): Promise<string | undefined> {
  if (part.release?.runOn !== 'container-instance' || part.release.containerInstance?.location) return undefined
  const target = part.targets[0]
  if (!target) return undefined
  const site = await (await azure.clients.webApps(target.subscription)).get(target.resourceGroup, target.app)
  return site.location?.toLowerCase().replace(/\s+/g, '')
}

/** Sign in to the image's registry (once per registry) and build and push it (or find it built). */
async function buildImage(build: ImageBuild, context: ExecuteContext, deps: ExecuteDeps, sessions: Map<string, RegistrySession>): Promise<BuiltImage> {
  let session = sessions.get(build.registry)
  if (!session) {
    session = await loginToRegistry(build.registry, { ...deps.registryCredentials, azure: deps.azure, mode: build.registryAuth }, deps)
    sessions.set(build.registry, session)
    const dockerConfig = session.dockerEnv.DOCKER_CONFIG
    if (dockerConfig) deps.journal.update(data => data.dockerConfigs.push(dockerConfig))
  }
  const values = resolveValues(build.buildArgs, deps.env, deps.setSecret, `the build args of ${build.part}`)
  const secretNames = new Set(Object.entries(build.buildArgs).flatMap(([name, value]) => (typeof value === 'string' ? [] : [name])))
  const contextDir = path.resolve(context.workspace, build.context)
  return deps.logger.group(`Build and push ${build.image}`, () =>
    buildAndPushImage(
      {
        part: build.part,
        registry: build.registry,
        repository: build.repository,
        commit: context.commit,
        tag: build.tag,
        target: build.target,
        network: build.network,
        context: contextDir,
        dockerfile: build.dockerfile ? path.resolve(context.workspace, build.dockerfile) : path.join(contextDir, 'Dockerfile'),
        buildArgs: Object.fromEntries(Object.entries(values).filter(([name]) => !secretNames.has(name))),
        secretBuildArgs: Object.fromEntries(Object.entries(values).filter(([name]) => secretNames.has(name))),
        versionBuildArg: build.versionBuildArg,
        cache: build.cache,
        sourceUrl: context.sourceUrl,
        createdAt: new Date()
      },
      { runner: deps.runner, logger: deps.logger, env: session!.dockerEnv, tempDir: deps.tempDir }
    )
  )
}

function rolloutFailure(rolled: RolloutReport, parts: readonly string[], sites: readonly string[]): DeployError {
  const names = parts.join(' and ')
  const notDeployed = sites.length === 0 ? '' : `; the ${sites.join(' and ')} ${sites.length === 1 ? 'was' : 'were'} not deployed`
  if (rolled.untouched) return new DeployError(`the ${names} deploy failed before any target changed: ${rolled.failure}${notDeployed}. No target was changed.`, 'Fix the cause above and push again (or re-run the job).')
  if (rolled.targets.some(target => target.status === 'rollback-failed')) {
    return new DeployError(`the ${names} deploy failed: ${rolled.failure}${notDeployed}`, 'Some targets could not be put back (see the targets output and the job summary): check them in the Azure portal.')
  }
  return new DeployError(
    `the ${names} deploy was rolled back: ${rolled.failure}${notDeployed}`,
    "Every target is back on what it ran before (image, app settings, start command). Fix the cause above (the failed target's container log helps: az webapp log tail) and push again."
  )
}
