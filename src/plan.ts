import path from 'node:path'
import { splitCommandLine } from './command-line.js'
import { imageEnvironment, siteEnvironment, type ConfigValue, type DeployConfig, type ImagePartConfig, type ResolvedEnvironment, type SiteEnvironmentConfig, type SitePartConfig } from './config.js'
import type { ChangeReason, PartChange } from './changes/index.js'
import { DeployError } from './errors.js'
import type { PartKind } from './config-schema.js'

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
  /** App Service's startup command for this app (`appCommandLine`); undefined leaves it as it is. */
  command?: string
  /** The port the container listens on (`WEBSITES_PORT`); undefined leaves it as it is. */
  port?: number
}

/** One image built (or found already built) for the run; every part that runs it rolls it out. */
export interface ImageBuild {
  /** The part whose settings build it. */
  part: string
  /** `<registry>/<repository>:<tag>` */
  image: string
  /** The commit SHA, with `-<environment>` when the environment adds build args. */
  tag: string
  registry: string
  registryAuth: 'auto' | 'azure' | 'password' | 'none'
  repository: string
  context: string
  dockerfile?: string
  target?: string
  buildArgs: Record<string, ConfigValue>
  /** The build arg that carries the commit SHA, so the app can report its version. */
  versionBuildArg: string
  cache: 'registry' | 'gha' | 'inline' | 'none'
  /** The network the build's RUN steps get: `none` for a hermetic build, `host`, or docker's default. */
  network: 'default' | 'none' | 'host'
}

/** The release step: one command run once in the new image before any target switches. */
export interface ReleasePlan {
  command: string
  argv: string[]
  runOn: 'runner' | 'container-instance'
  timeoutSeconds: number
  env: Record<string, ConfigValue>
  /** False when nothing its paths cover changed. */
  run: boolean
  /** Why it runs or not, for the plan and the summary. */
  reason: string
  containerInstance?: { subscription: string; resourceGroup: string; location?: string; subnetId?: string; cpu: number; memoryGb: number }
}

export interface VerifyPlan {
  mode: 'version' | 'platform' | 'none'
  path: string
  versionHeader?: string
  timeoutSeconds: number
  consecutive: number
  intervalSeconds: number
}

export interface ImagePartPlan {
  name: string
  kind: 'image'
  deploy: boolean
  change: ChangeSummary
  /** The part that builds the image (this one, unless `image-from`). */
  imageFrom: string
  /** What every target of this part runs. */
  image: string
  registry: string
  repository: string
  strategy: 'in-place' | 'slot-swap'
  targets: WebAppTarget[]
  /** Pull from ACR with the app's managed identity: `system`, or a user-assigned identity's client ID. */
  acrIdentity?: string
  swapTimeoutSeconds: number
  verify: VerifyPlan
  appSettings: Record<string, ConfigValue>
  pruneAppSettings: boolean
  release?: ReleasePlan
}

export interface CdnPlan {
  kind: 'cdn' | 'frontdoor'
  subscription: string
  resourceGroup: string
  profile: string
  endpoint: string
  domains?: string[]
}

export interface SitePartPlan {
  name: string
  kind: 'site'
  deploy: boolean
  change: ChangeSummary
  workingDirectory: string
  install: string
  build: string
  installArgv: string[]
  buildArgv: string[]
  output: string
  buildEnv: Record<string, ConfigValue>
  cacheControl: { match: string | string[]; value: string }[]
  deleteStale: 'after-purge' | 'never'
  maxDeleteShare: number
  keepReleases: number
  purge: 'changed' | 'all'
  indexDocument: string
  errorDocument: string
  /** Redeploy this commit's archived release instead of building (the `rollback-to` input). */
  rollbackTo?: string
  storageAccount: string
  container: string
  archiveContainer: string
  /** Where this part's manifest and releases live in the archive container: `<environment>/` (`<environment>/<part>/` for parts not named frontend). */
  statePrefix: string
  blobEndpoint?: string
  siteUrl?: string
  cdn?: CdnPlan
}

export type PartPlan = ImagePartPlan | SitePartPlan

/** The environment's deploy lock: a blob lease, held from the first live change to the last. */
export interface LockPlan {
  storageAccount: string
  blobEndpoint?: string
  container: string
  blob: string
  timeoutSeconds: number
}

/** Everything a run will do, decided before it does any of it. `dry-run` prints exactly this. */
export interface DeployPlan {
  environment: string
  environmentSource: ResolvedEnvironment['source']
  commit: string
  dryRun: boolean
  parts: PartPlan[]
  /** Images to build (or reuse), one per part that builds one and has a deploying user. */
  images: ImageBuild[]
  lock?: LockPlan
  /** What the plan could not settle, said once in the log (a missing lock, a missing variable in a dry run). */
  warnings: string[]
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
  /** The step's environment, to check that every `{ from-env }` value is set. */
  env: Readonly<Record<string, string | undefined>>
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

/** The archive-container prefix of a site part: the first release's layout for `frontend`. */
export function siteStatePrefix(environment: string, part: string): string {
  return part === 'frontend' ? `${environment}/` : `${environment}/${part}/`
}

/** Pure: the same config, environment, changes and variables always give the same plan. */
export function buildPlan(request: PlanRequest): DeployPlan {
  const { config, environment } = request
  const warnings: string[] = []
  let subscriptionWarned = false
  const subscriptionFor = (explicit: string | undefined, where: string, deploy: boolean): string => {
    const subscription = explicit ?? request.subscriptionId
    if (!subscription && deploy) {
      const problem = `${where} names no subscription and the 'subscription-id' input is empty`
      const hint = `Set 'subscription-id:' in the workflow step, or add subscription: to ${where} in the config.`
      if (!request.dryRun) throw new DeployError(`${problem}.`, hint)
      // A dry run still plans: it says where a real run would stop, once (the first place, as the real run would).
      if (!subscriptionWarned) warnings.push(`${problem}: a real run would stop here. ${hint}`)
      subscriptionWarned = true
    }
    return subscription ?? ''
  }
  /** Every `{ from-env }` value must be set when the part deploys; a dry run only warns. */
  const requireVariables = (values: Record<string, ConfigValue>, where: string, deploy: boolean) => {
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === 'string' || request.env[value.fromEnv] !== undefined) continue
      const problem = `${where}.${name} takes its value from the step's env ${value.fromEnv}, which is not set`
      const hint = `Add it to the step: env: { ${value.fromEnv}: \${{ secrets.${value.fromEnv} }} } (or a vars./literal value).`
      if (!deploy) continue
      if (request.dryRun) warnings.push(`${problem}. ${hint}`)
      else throw new DeployError(`${problem}.`, hint)
    }
  }

  const changes = new Map(request.changes.map(change => [change.part, change]))
  // Images before sites: the order they deploy in (a new site may call what only the new API has).
  const ordered = [...Object.entries(config.parts).filter(([, part]) => part.kind === 'image'), ...Object.entries(config.parts).filter(([, part]) => part.kind === 'site')]
  const parts = ordered.flatMap(([name, part]): PartPlan[] => {
    const change = changes.get(name)
    if (!change) return []
    return [part.kind === 'image' ? imagePlan(name, part, change) : sitePlan(name, part, change)]
  })

  const images = Object.entries(config.parts).flatMap(([name, part]): ImageBuild[] => {
    if (part.kind !== 'image' || part['image-from'] !== undefined) return []
    const users = parts.filter((p): p is ImagePartPlan => p.kind === 'image' && p.imageFrom === name && p.deploy)
    return users.length === 0 ? [] : [imageBuild(name, part)]
  })
  for (const image of images) requireVariables(image.buildArgs, `the build args of ${image.part}`, true)

  return { environment: environment.name, environmentSource: environment.source, commit: request.commit, dryRun: request.dryRun, parts, images, lock: lockPlan(), warnings }

  function imageTag(source: string): string {
    const settings = imageEnvironment(environment.settings, source)
    return Object.keys(settings['build-args']).length > 0 ? `${request.commit}-${environment.name}` : request.commit
  }

  function imageBuild(name: string, part: ImagePartConfig): ImageBuild {
    const settings = imageEnvironment(environment.settings, name)
    const tag = imageTag(name)
    const context = part.context ?? '.'
    return {
      part: name,
      image: `${part.registry}/${part.repository}:${tag}`,
      tag,
      registry: part.registry!,
      registryAuth: part['registry-auth'] ?? 'auto',
      repository: part.repository!,
      context,
      dockerfile: part.file,
      target: part.target,
      buildArgs: { ...part['build-args'], ...settings['build-args'] },
      versionBuildArg: part['version-build-arg'] ?? 'APP_VERSION',
      cache: part.cache ?? 'registry',
      network: part['build-network'] ?? 'default'
    }
  }

  function imagePlan(name: string, part: ImagePartConfig, rawChange: PartChange): ImagePartPlan {
    const change = summarise(rawChange)
    const settings = imageEnvironment(environment.settings, name)
    const imageFrom = part['image-from'] ?? name
    const source = config.parts[imageFrom] as ImagePartConfig
    const where = `environments.${environment.name}.${name}`
    requireVariables(settings['app-settings'], `${where}.app-settings`, change.changed)
    const release = settings.release
    if (release) requireVariables(release.env, `${where}.release.env`, change.changed)
    return {
      name,
      kind: 'image',
      deploy: change.changed,
      change,
      imageFrom,
      image: `${source.registry}/${source.repository}:${imageTag(imageFrom)}`,
      registry: source.registry!,
      repository: source.repository!,
      strategy: settings.strategy,
      acrIdentity: settings['acr-identity'],
      swapTimeoutSeconds: settings['swap-timeout'],
      targets: settings.targets.map((target, index) => ({
        subscription: subscriptionFor(target.subscription, `${where}.targets[${index}]`, change.changed),
        resourceGroup: target['resource-group'],
        app: target.app,
        slot: target.slot,
        command: target.command,
        port: target.port
      })),
      verify: { mode: part.verify, path: part.health.path, versionHeader: part.health['version-header'], timeoutSeconds: part.health.timeout, consecutive: part.health.consecutive, intervalSeconds: part.health.interval },
      appSettings: settings['app-settings'],
      pruneAppSettings: settings['prune-app-settings'],
      release: release && {
        command: release.command,
        argv: splitCommandLine(release.command, `${where}.release.command`),
        runOn: release['run-on'],
        timeoutSeconds: release.timeout,
        env: release.env,
        ...releaseDecision(rawChange),
        containerInstance:
          release['run-on'] === 'container-instance'
            ? {
                subscription: subscriptionFor(release['container-instance']?.subscription ?? settings.targets[0]!.subscription, `${where}.release.container-instance`, change.changed),
                resourceGroup: release['container-instance']?.['resource-group'] ?? settings.targets[0]!['resource-group'],
                location: release['container-instance']?.location,
                subnetId: release['container-instance']?.['subnet-id'],
                cpu: release['container-instance']?.cpu ?? 1,
                memoryGb: release['container-instance']?.['memory-gb'] ?? 1.5
              }
            : undefined
      }
    }
  }

  /** The release runs when the part deploys and something under its paths changed (or nothing says what changed). */
  function releaseDecision(change: PartChange): { run: boolean; reason: string } {
    if (!change.changed) return { run: false, reason: 'the part does not deploy' }
    const matched = change.releaseFiles
    if (matched === undefined) return { run: true, reason: change.files.length > 0 ? 'the part changed' : `nothing to compare with (${change.reason})` }
    if (matched.length === 0) return { run: false, reason: 'nothing under its paths changed' }
    return { run: true, reason: `${matched.length} changed file${matched.length === 1 ? '' : 's'} under its paths` }
  }

  function sitePlan(name: string, part: SitePartConfig, rawChange: PartChange): SitePartPlan {
    const change = summarise(rawChange)
    const settings = siteEnvironment(environment.settings, name)
    const edge = settings.frontdoor ? { kind: 'frontdoor' as const, ...settings.frontdoor } : settings.cdn ? { kind: 'cdn' as const, ...settings.cdn } : undefined
    const buildEnv = Object.hasOwn(part['build-env'], environment.name) ? part['build-env'][environment.name]! : {}
    requireVariables(buildEnv, `parts.${name}.build-env.${environment.name}`, change.changed && !request.rollbackTo)
    const building = change.changed && !request.rollbackTo
    return {
      name,
      kind: 'site',
      deploy: change.changed,
      change,
      workingDirectory: part['working-directory'],
      install: part.install,
      build: part.build,
      // Checked here, before anything is built or switched: a command that needs a shell is refused at once.
      installArgv: building ? splitCommandLine(part.install, `parts.${name}.install`) : [],
      buildArgv: building ? splitCommandLine(part.build, `parts.${name}.build`) : [],
      output: part.output,
      buildEnv,
      cacheControl: part['cache-control'],
      deleteStale: part['delete-stale'],
      maxDeleteShare: part['max-delete-share'],
      keepReleases: part['keep-releases'],
      purge: part.purge,
      indexDocument: part['index-document'],
      errorDocument: part['error-document'],
      rollbackTo: request.rollbackTo,
      ...siteLocation(settings),
      statePrefix: siteStatePrefix(environment.name, name),
      siteUrl: settings['site-url'],
      cdn: edge && {
        kind: edge.kind,
        subscription: subscriptionFor(edge.subscription, `environments.${environment.name}.${name}.${edge.kind}`, change.changed),
        resourceGroup: edge['resource-group'],
        profile: edge.profile,
        endpoint: edge.endpoint,
        domains: 'domains' in edge ? edge.domains : undefined
      }
    }
  }

  /** The lock's configured place, else the first site part's storage; an environment with neither has none. */
  function lockPlan(): LockPlan | undefined {
    const configured = environment.settings.lock
    const firstSite = Object.entries(config.parts).find(([, part]) => part.kind === 'site')
    const site = firstSite ? siteEnvironment(environment.settings, firstSite[0]) : undefined
    const storageAccount = configured?.['storage-account'] ?? site?.['storage-account']
    const timeoutSeconds = configured?.timeout ?? (firstSite?.[1] as SitePartConfig | undefined)?.['lock-timeout'] ?? 600
    if (!storageAccount) {
      if (parts.some(part => part.deploy) && !request.dryRun) {
        warnings.push(
          `environments.${environment.name} has no storage for its deploy lock, so two runs for ${environment.name} could overlap: add environments.${environment.name}.lock.storage-account (any storage account the identity can write blobs to), or serialise the runs with a workflow concurrency group.`
        )
      }
      return undefined
    }
    const sameAsSite = configured?.['storage-account'] === undefined || configured['storage-account'] === site?.['storage-account']
    return {
      storageAccount,
      blobEndpoint: configured?.['blob-endpoint'] ?? (sameAsSite ? site?.['blob-endpoint'] : undefined),
      container: configured?.container ?? (sameAsSite ? site?.['archive-container'] : undefined) ?? 'deployments',
      blob: `${environment.name}/deploy.lock`,
      timeoutSeconds
    }
  }
}

/** Where an environment's site lives: its storage account (or blob endpoint) and containers. */
export function siteLocation(settings: SiteEnvironmentConfig): Pick<SitePartPlan, 'storageAccount' | 'blobEndpoint' | 'container' | 'archiveContainer'> {
  return { storageAccount: settings['storage-account'], blobEndpoint: settings['blob-endpoint'], container: settings.container, archiveContainer: settings['archive-container'] }
}

/** A part's Web Apps and slots; `subscription` is '' where neither the target nor the input names one. */
export function webAppTargets(config: DeployConfig, environment: ResolvedEnvironment, part: string, defaultSubscription?: string): WebAppTarget[] {
  return imageEnvironment(environment.settings, part).targets.map(target => ({
    subscription: target.subscription ?? defaultSubscription ?? '',
    resourceGroup: target['resource-group'],
    app: target.app,
    slot: target.slot,
    command: target.command,
    port: target.port
  }))
}

export function partsToDeploy(plan: DeployPlan): string[] {
  return plan.parts.filter(p => p.deploy).map(p => p.name)
}

export function partKind(plan: DeployPlan, name: string): PartKind | undefined {
  return plan.parts.find(part => part.name === name)?.kind
}

/** A value as the plan may show it: config text as written, a variable by name; never a secret. */
function shownValue(value: ConfigValue): string {
  return typeof value === 'string' ? '(set in the config)' : `(from env ${value.fromEnv})`
}

/** argv as a person reads it: each word JSON-quoted when it holds anything but plain characters. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(word => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word))).join(' ')
}

/** The plan as a person reads it in the log. */
export function formatPlan(plan: DeployPlan): string {
  const lines = [`Plan for environment ${plan.environment} (from ${plan.environmentSource}) at ${plan.commit}${plan.dryRun ? ' — dry run, nothing will change' : ''}`]
  for (const image of plan.images) {
    lines.push(`image ${image.image} (built from part ${image.part}: ${image.dockerfile ?? path.posix.join(image.context, 'Dockerfile')}, context ${image.context}${image.target ? `, target ${image.target}` : ''})`)
  }
  for (const part of plan.parts) {
    lines.push(`${part.name} (${part.kind}): ${part.deploy ? 'DEPLOY' : 'skip'} (${part.change.reason}) — ${part.change.detail}`)
    if (!part.deploy) continue
    if (part.kind === 'image') {
      if (part.release) {
        lines.push(`  release ${part.release.run ? 'run' : 'skip'} ${formatArgv(part.release.argv)} on ${part.release.runOn} in ${part.image}, once, before any target switches (${part.release.reason})`)
        for (const [name, value] of Object.entries(part.release.env)) lines.push(`    env ${name} ${shownValue(value)}`)
      }
      lines.push(`  rollout ${part.strategy} of ${part.image} to ${part.targets.length} target${part.targets.length === 1 ? '' : 's'} in parallel, all or nothing:`)
      for (const target of part.targets) {
        const extras = [target.command === undefined ? '' : `command ${JSON.stringify(target.command)}`, target.port === undefined ? '' : `port ${target.port}`].filter(Boolean).join(', ')
        lines.push(`    - ${target.app}${target.slot ? `/${target.slot}` : ''} (resource group ${target.resourceGroup})${extras ? `: ${extras}` : ''}`)
      }
      for (const [name, value] of Object.entries(part.appSettings)) lines.push(`  setting ${name} ${shownValue(value)}`)
      if (part.pruneAppSettings) lines.push('  settings not listed here are removed (prune-app-settings)')
      lines.push(`  verify  ${verifyLine(part.verify, plan.commit)}`)
    } else {
      if (part.rollbackTo) lines.push(`  release ${part.rollbackTo.slice(0, 12)}.zip from ${part.archiveContainer}, no build (rollback)`)
      else {
        lines.push(`  install ${formatArgv(part.installArgv)} in ${part.workingDirectory}`)
        lines.push(`  build   ${formatArgv(part.buildArgv)} in ${part.workingDirectory} → ${path.posix.join(part.workingDirectory, part.output)}`)
        for (const [name, value] of Object.entries(part.buildEnv)) lines.push(`    env ${name} ${shownValue(value)}`)
      }
      lines.push(`  upload  ${part.storageAccount}/${part.container} (release archive in ${part.archiveContainer})`)
      if (part.cdn) lines.push(`  purge   ${part.cdn.kind} ${part.cdn.profile}/${part.cdn.endpoint}${part.cdn.domains?.length ? ` with ${part.cdn.domains.join(', ')}` : ''}`)
      if (part.siteUrl) lines.push(`  site    ${part.siteUrl}`)
    }
  }
  if (plan.parts.some(part => part.deploy)) lines.push(plan.lock ? `lock ${plan.lock.storageAccount}/${plan.lock.container}/${plan.lock.blob} (wait up to ${plan.lock.timeoutSeconds}s)` : 'lock none')
  return lines.join('\n')
}

function verifyLine(verify: VerifyPlan, commit: string): string {
  if (verify.mode === 'none') return 'nothing (verify: none): the rollout cannot tell whether the new version serves'
  if (verify.mode === 'platform') return `App Service's docker log says the new container started, within ${verify.timeoutSeconds}s`
  return `${verify.path} answers with ${commit.slice(0, 12)}${verify.versionHeader ? ` in header ${verify.versionHeader}` : ' in its body'}, ${verify.consecutive}× within ${verify.timeoutSeconds}s`
}
