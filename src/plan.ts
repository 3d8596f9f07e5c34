import path from 'node:path'
import type { DeployConfig, ResolvedEnvironment } from './config.js'
import type { ChangeReason, PartChange } from './changes/index.js'
import { DeployError } from './errors.js'
import type { PartName } from './parts.js'

export interface ChangeSummary {
  changed: boolean
  base?: string
  reason: ChangeReason
  detail: string
  fileCount: number
  /** A few changed paths, to show in the summary. */
  examples: string[]
}

export interface WebAppTarget {
  subscription: string
  resourceGroup: string
  app: string
  slot?: string
}

export interface BackendPlan {
  part: 'backend'
  deploy: boolean
  change: ChangeSummary
  /** `<registry>/<repository>:<commit>`: the one image every target runs. */
  image: string
  registry: string
  repository: string
  context: string
  dockerfile?: string
  buildArgs: Record<string, string>
  /** The build arg that carries the commit SHA, so the app can report its version. */
  versionBuildArg: string
  cache: 'registry' | 'gha' | 'inline' | 'none'
  strategy: 'in-place' | 'slot-swap'
  targets: WebAppTarget[]
  /** Pull from ACR with the app's managed identity: `system`, or a user-assigned identity's client ID. */
  acrIdentity?: string
  swapTimeoutSeconds: number
  health: { path: string; versionHeader?: string; timeoutSeconds: number; consecutive: number; intervalSeconds: number }
}

export interface CdnPlan {
  kind: 'cdn' | 'frontdoor'
  subscription: string
  resourceGroup: string
  profile: string
  endpoint: string
  domains?: string[]
}

export interface FrontendPlan {
  part: 'frontend'
  deploy: boolean
  change: ChangeSummary
  workingDirectory: string
  install: string
  build: string
  output: string
  buildEnv: Record<string, string>
  cacheControl: { match: string | string[]; value: string }[]
  deleteStale: 'after-purge' | 'never'
  maxDeleteShare: number
  keepReleases: number
  purge: 'changed' | 'all'
  indexDocument: string
  errorDocument: string
  /** How long to wait for another deploy of the same site to finish. */
  lockTimeoutSeconds: number
  /** Redeploy this commit's archived release instead of building (the `rollback-to` input). */
  rollbackTo?: string
  storageAccount: string
  container: string
  archiveContainer: string
  blobEndpoint?: string
  siteUrl?: string
  cdn?: CdnPlan
}

export type PartPlan = BackendPlan | FrontendPlan

/** Everything a run will do, decided before it does any of it. `dry-run` prints exactly this. */
export interface DeployPlan {
  environment: string
  environmentSource: ResolvedEnvironment['source']
  commit: string
  dryRun: boolean
  parts: PartPlan[]
}

export interface PlanRequest {
  config: DeployConfig
  environment: ResolvedEnvironment
  changes: readonly PartChange[]
  commit: string
  dryRun: boolean
  /** The `subscription-id` input: the default for targets that name none. */
  subscriptionId?: string
  rollbackTo?: string
}

const EXAMPLE_COUNT = 5

function summarise(change: PartChange): ChangeSummary {
  return {
    changed: change.changed,
    base: change.base,
    reason: change.reason,
    detail: change.detail,
    fileCount: change.files.length,
    examples: change.files.slice(0, EXAMPLE_COUNT)
  }
}

/** Pure: the same config, environment and changes always give the same plan. */
export function buildPlan(request: PlanRequest): DeployPlan {
  const { config, environment } = request
  const subscriptionFor = (explicit: string | undefined, where: string, deploy: boolean): string => {
    const subscription = explicit ?? request.subscriptionId
    if (!subscription && deploy) {
      throw new DeployError(`${where} names no subscription and the 'subscription-id' input is empty.`, `Set 'subscription-id:' in the workflow step, or add subscription: to ${where} in the config.`)
    }
    return subscription ?? ''
  }

  const parts = request.changes.map((change): PartPlan => (change.part === 'backend' ? backendPlan(summarise(change)) : frontendPlan(summarise(change))))
  return { environment: environment.name, environmentSource: environment.source, commit: request.commit, dryRun: request.dryRun, parts }

  function backendPlan(change: ChangeSummary): BackendPlan {
    const part = config.parts.backend!
    const settings = environment.settings.backend!
    return {
      part: 'backend',
      deploy: change.changed,
      change,
      image: `${part.registry}/${part.repository}:${request.commit}`,
      registry: part.registry,
      repository: part.repository,
      context: part.context,
      dockerfile: part.file,
      buildArgs: part['build-args'],
      versionBuildArg: part['version-build-arg'],
      cache: part.cache,
      strategy: settings.strategy,
      acrIdentity: settings['acr-identity'],
      swapTimeoutSeconds: settings['swap-timeout'],
      targets: webAppTargets(environment, request.subscriptionId).map((target, index) => ({
        ...target,
        subscription: subscriptionFor(target.subscription || undefined, `environments.${environment.name}.backend.targets[${index}]`, change.changed)
      })),
      health: { path: part.health.path, versionHeader: part.health['version-header'], timeoutSeconds: part.health.timeout, consecutive: part.health.consecutive, intervalSeconds: part.health.interval }
    }
  }

  function frontendPlan(change: ChangeSummary): FrontendPlan {
    const part = config.parts.frontend!
    const settings = environment.settings.frontend!
    const edge = settings.frontdoor ? { kind: 'frontdoor' as const, ...settings.frontdoor } : settings.cdn ? { kind: 'cdn' as const, ...settings.cdn } : undefined
    return {
      part: 'frontend',
      deploy: change.changed,
      change,
      workingDirectory: part['working-directory'],
      install: part.install,
      build: part.build,
      output: part.output,
      buildEnv: Object.hasOwn(part['build-env'], environment.name) ? part['build-env'][environment.name]! : {},
      cacheControl: part['cache-control'],
      deleteStale: part['delete-stale'],
      maxDeleteShare: part['max-delete-share'],
      keepReleases: part['keep-releases'],
      purge: part.purge,
      indexDocument: part['index-document'],
      errorDocument: part['error-document'],
      lockTimeoutSeconds: part['lock-timeout'],
      rollbackTo: request.rollbackTo,
      ...siteLocation(settings),
      siteUrl: settings['site-url'],
      cdn: edge && {
        kind: edge.kind,
        subscription: subscriptionFor(edge.subscription, `environments.${environment.name}.frontend.${edge.kind}`, change.changed),
        resourceGroup: edge['resource-group'],
        profile: edge.profile,
        endpoint: edge.endpoint,
        domains: 'domains' in edge ? edge.domains : undefined
      }
    }
  }
}

/** The environment's Web Apps and slots; `subscription` is '' where neither the target nor the input names one. */
/** Where an environment's site lives: its storage account (or blob endpoint) and containers. */
export function siteLocation(settings: NonNullable<ResolvedEnvironment['settings']['frontend']>): Pick<FrontendPlan, 'storageAccount' | 'blobEndpoint' | 'container' | 'archiveContainer'> {
  return { storageAccount: settings['storage-account'], blobEndpoint: settings['blob-endpoint'], container: settings.container, archiveContainer: settings['archive-container'] }
}

export function webAppTargets(environment: ResolvedEnvironment, defaultSubscription?: string): WebAppTarget[] {
  return (environment.settings.backend?.targets ?? []).map(target => ({
    subscription: target.subscription ?? defaultSubscription ?? '',
    resourceGroup: target['resource-group'],
    app: target.app,
    slot: target.slot
  }))
}

export function partsToDeploy(plan: DeployPlan): PartName[] {
  return plan.parts.filter(p => p.deploy).map(p => p.part)
}

/** The plan as a person reads it in the log. */
export function formatPlan(plan: DeployPlan): string {
  const lines = [`Plan for environment ${plan.environment} (from ${plan.environmentSource}) at ${plan.commit}${plan.dryRun ? ' — dry run, nothing will change' : ''}`]
  for (const part of plan.parts) {
    lines.push(`${part.part}: ${part.deploy ? 'DEPLOY' : 'skip'} (${part.change.reason}) — ${part.change.detail}`)
    if (!part.deploy) continue
    if (part.part === 'backend') {
      lines.push(`  image   ${part.image}`)
      lines.push(`  build   ${part.dockerfile ?? `${part.context}/Dockerfile`} (context ${part.context})`)
      lines.push(`  rollout ${part.strategy} to ${part.targets.length} target${part.targets.length === 1 ? '' : 's'} in parallel, all or nothing:`)
      for (const target of part.targets) lines.push(`    - ${target.app}${target.slot ? `/${target.slot}` : ''} (resource group ${target.resourceGroup})`)
      lines.push(`  verify  ${part.health.path} answers with ${plan.commit.slice(0, 12)}${part.health.versionHeader ? ` in header ${part.health.versionHeader}` : ' in its body'}, ${part.health.consecutive}× within ${part.health.timeoutSeconds}s`)
    } else {
      if (part.rollbackTo) lines.push(`  release ${part.rollbackTo.slice(0, 12)}.zip from ${part.archiveContainer}, no build (rollback)`)
      else lines.push(`  build   ${part.install} && ${part.build} in ${part.workingDirectory} → ${path.posix.join(part.workingDirectory, part.output)}`)
      lines.push(`  upload  ${part.storageAccount}/${part.container} (release archive in ${part.archiveContainer})`)
      if (part.cdn) lines.push(`  purge   ${part.cdn.kind} ${part.cdn.profile}/${part.cdn.endpoint}${part.cdn.domains?.length ? ` with ${part.cdn.domains.join(', ')}` : ''}`)
      if (part.siteUrl) lines.push(`  site    ${part.siteUrl}`)
    }
  }
  return lines.join('\n')
}
