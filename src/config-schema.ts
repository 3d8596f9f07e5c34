/**
 * The config file's schema: what each key accepts, its default, and the message a bad value
 * gets. Parts are named by the user, so the environments' schema is built from the parts the
 * file declares (`configSchemaFor`): an environment has one key per part, of that part's kind.
 */
import path from 'node:path'
import * as z from 'zod'

/** A part's kind: `image` builds one Docker image for Web Apps, `site` one static site. */
export type PartKind = 'image' | 'site'

/** The kinds of the two part names the first release knew; a config may leave `kind` out for them. */
export const LEGACY_PART_KINDS: Readonly<Record<string, PartKind>> = { backend: 'image', frontend: 'site' }

/** Keys of an environment that are not part names. */
export const ENVIRONMENT_KEYS = ['branches', 'tags', 'lock'] as const

export const PART_NAME = /^[a-z][a-z0-9-]{0,31}$/
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Whether text holds a control character (a header or path that carries one could split a request or a log line). */
const hasControl = (text: string) => [...text].some(char => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)

const glob = z
  .string({ error: 'must be a glob string, such as "backend/**" or "!**/*.md"' })
  .min(1, 'must not be empty')
const globList = z.array(glob, { error: 'must be a list of glob strings' }).min(1, 'must list at least one glob')

/** A folder or file inside the repository: no absolute paths, no way out with `..`. */
const repoPath = z
  .string({ error: 'must be a path inside the repository' })
  .min(1, 'must not be empty')
  .refine(p => !path.isAbsolute(p) && !path.win32.isAbsolute(p), 'must be relative to the repository root, not absolute')
  .refine(p => !path.posix.normalize(p.replaceAll('\\', '/')).split('/').includes('..'), 'must stay inside the repository (no "..")')

const named = (what: string, pattern: RegExp, accepted: string) => z.string({ error: `must be ${what}` }).regex(pattern, `must be ${what}: ${accepted}`)

const resourceGroup = named('a resource group name', /^[-\w.()]{1,89}[-\w()]$/, '1–90 letters, digits, and - _ . ( ), not ending in "."')
const appName = named('a Web App name', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/, '2–60 letters, digits and hyphens')
const slotName = named('a slot name', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}$/, 'letters, digits and hyphens')
const subscription = named('a subscription ID', /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'a GUID such as 00000000-0000-0000-0000-000000000000')
const storageAccount = named('a storage account name', /^[a-z0-9]{3,24}$/, '3–24 lowercase letters and digits')
const containerName = named('a blob container name', /^(?:\$web|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$/, '"$web" or 3–63 lowercase letters, digits and single hyphens')
const endpointName = named('a CDN / Front Door resource name', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,258}$/, 'letters, digits and hyphens')
const hostName = named('a host name', /^(?=.{1,253}$)(?:\*\.)?(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, 'such as www.example.com, without scheme, port or path')
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
const partName = named('a part name', PART_NAME, 'lowercase letters, digits and "-", starting with a letter (at most 32)')
export const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const seconds = (min: number, max: number) => z.number({ error: 'must be a number of seconds' }).int().min(min).max(max)
const commandLine = z
  .string({ error: 'must be a command line' })
  .min(1, 'must not be empty')
  .refine(text => !hasControl(text), 'must be one line without control characters')

/** A value written in the config, or `{ from-env: NAME }`: read from the step's `env:` at run time (and masked). */
export type ConfigValue = string | { fromEnv: string }
const fromEnv = z
  .strictObject({ 'from-env': z.string({ error: 'must be an environment variable name' }).regex(ENV_VAR, 'must be an environment variable name') })
  .transform((value): ConfigValue => ({ fromEnv: value['from-env'] }))
const configValue = z.union([z.string().transform((value): ConfigValue => value), fromEnv], {
  error: 'must be a string (quote numbers and booleans) or { from-env: NAME } to read it from the step\'s env:'
})
const variables = z.record(z.string().regex(ENV_VAR, 'must be an environment variable name'), configValue)
/** App Service setting names: what the portal accepts (Linux apps see `.` and `-` as `_`). */
const appSettings = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an app setting name: letters, digits, "_", "." and "-"'), configValue)

const health = z
  .strictObject({
    path: z
      .string()
      .startsWith('/', 'must start with "/"')
      .refine(text => !hasControl(text) && !/\s/.test(text), 'must be a URL path without spaces or control characters')
      .default('/'),
    'version-header': z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name').optional(),
    timeout: seconds(10, 1800).default(300),
    consecutive: z.number({ error: 'must be a whole number' }).int().min(1).max(20).default(3),
    interval: z.number({ error: 'must be a number of seconds' }).min(0.1).max(60).default(2)
  })
  .default({ path: '/', timeout: 300, consecutive: 3, interval: 2 })

/** Keys that describe how an image is built: a part with `image-from` has none of them. */
export const IMAGE_BUILD_KEYS = ['context', 'file', 'target', 'registry', 'registry-auth', 'repository', 'build-args', 'version-build-arg', 'cache', 'build-network'] as const

const imagePart = z
  .strictObject({
    kind: z.literal('image'),
    paths: globList.optional(),
    'image-from': partName.optional(),
    context: repoPath.optional(),
    file: repoPath.optional(),
    target: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a build stage name').optional(),
    registry: z.string({ error: 'must be a registry host, such as myregistry.azurecr.io' }).regex(/^[a-z0-9.-]+(?::\d+)?$/, 'must be a registry host, such as myregistry.azurecr.io').optional(),
    'registry-auth': z.enum(['auto', 'azure', 'password', 'none'], { error: 'must be one of: auto, azure, password, none' }).optional(),
    repository: z
      .string({ error: 'must be an image repository, such as "api"' })
      .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, 'must be a lowercase image repository, such as "api" or "team/api"')
      .optional(),
    'build-args': variables.optional(),
    'version-build-arg': z.string().regex(ENV_VAR, 'must be a build-arg name').optional(),
    cache: z.enum(['registry', 'gha', 'inline', 'none'], { error: 'must be one of: registry, gha, inline, none' }).optional(),
    'build-network': z.enum(['default', 'none', 'host'], { error: 'must be one of: default, none, host' }).optional(),
    verify: z.enum(['version', 'platform', 'none'], { error: 'must be one of: version, platform, none' }).default('version'),
    health
  })
  .superRefine((part, ctx) => {
    if (part['image-from'] !== undefined) {
      for (const key of IMAGE_BUILD_KEYS) {
        if (part[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `cannot be set with image-from: the image is built by part ${part['image-from']}` })
      }
      return
    }
    if (!part.paths) ctx.addIssue({ code: 'custom', path: ['paths'], message: 'is required: the globs of the files this image is built from' })
    if (!part.registry) ctx.addIssue({ code: 'custom', path: ['registry'], message: 'is required: the registry host, such as myregistry.azurecr.io (or image-from: <part> to run another part\'s image)' })
    if (!part.repository) ctx.addIssue({ code: 'custom', path: ['repository'], message: 'is required: the image repository, such as "api"' })
  })

const cacheControlRule = z.strictObject({
  match: z.union([glob, globList], { error: 'must be a glob or a list of globs' }),
  value: z
    .string({ error: 'must be a Cache-Control header value' })
    .min(1)
    .refine(text => !hasControl(text), 'must not contain control characters')
})

const sitePart = z.strictObject({
  kind: z.literal('site'),
  paths: globList,
  'working-directory': repoPath.default('.'),
  install: commandLine.default('npm ci'),
  build: commandLine.default('npm run build'),
  output: repoPath.default('build'),
  'build-env': z.record(z.string().regex(ENVIRONMENT_NAME, 'must be an environment name'), variables).default({}),
  'cache-control': z.array(cacheControlRule, { error: 'must be a list of { match, value } rules' }).default([]),
  'delete-stale': z.enum(['after-purge', 'never'], { error: 'must be "after-purge" or "never"' }).default('after-purge'),
  'max-delete-share': z.number({ error: 'must be a share between 0 and 1, such as 0.5' }).min(0).max(1).default(0.5),
  'keep-releases': z.number({ error: 'must be a whole number' }).int().min(1).max(1000).default(10),
  purge: z.enum(['changed', 'all'], { error: 'must be "changed" or "all"' }).default('changed'),
  'index-document': z.string().min(1).refine(text => !hasControl(text), 'must not contain control characters').default('index.html'),
  'error-document': z.string().min(1).refine(text => !hasControl(text), 'must not contain control characters').default('index.html'),
  'lock-timeout': seconds(0, 3600).optional()
})

const part = z.discriminatedUnion('kind', [imagePart, sitePart], { error: 'must say its kind: image (a Docker image for Web Apps) or site (a static site)' })

const webAppTarget = z.strictObject({
  subscription: subscription.optional(),
  'resource-group': resourceGroup,
  app: appName,
  slot: slotName.optional(),
  command: commandLine.optional(),
  port: z.number({ error: 'must be a port number' }).int().min(1).max(65535).optional()
})

const release = z.strictObject({
  command: commandLine,
  'run-on': z.enum(['runner', 'container-instance'], { error: 'must be "runner" or "container-instance"' }).default('runner'),
  paths: globList.optional(),
  timeout: seconds(10, 7200).default(900),
  env: variables.default({}),
  'container-instance': z
    .strictObject({
      subscription: subscription.optional(),
      'resource-group': resourceGroup.optional(),
      location: z.string().regex(/^[a-z0-9]+$/, 'must be an Azure region name such as westeurope').optional(),
      'subnet-id': z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i, 'must be a subnet resource ID').optional(),
      cpu: z.number().min(0.1).max(4).default(1),
      'memory-gb': z.number().min(0.1).max(16).default(1.5)
    })
    .optional()
})

const imageEnvironment = z.strictObject({
  strategy: z.enum(['in-place', 'slot-swap'], { error: 'must be "in-place" or "slot-swap"' }).default('in-place'),
  'acr-identity': z
    .union([z.literal('system'), z.string().regex(/^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/)], { error: 'must be "system" or the client ID of a user-assigned identity' })
    .optional(),
  'swap-timeout': seconds(5, 3600).default(900),
  'build-args': variables.default({}),
  'app-settings': appSettings.default({}),
  'prune-app-settings': z.boolean({ error: 'must be true or false' }).default(false),
  release: release.optional(),
  targets: z.array(webAppTarget, { error: 'must be a list of { resource-group, app, slot } targets' }).min(1, 'must list at least one Web App')
})

const cdnEndpoint = z.strictObject({
  subscription: subscription.optional(),
  'resource-group': resourceGroup,
  profile: endpointName,
  endpoint: endpointName
})

const siteEnvironment = z.strictObject({
  'storage-account': storageAccount,
  container: containerName.default('$web'),
  'archive-container': containerName.default('deployments'),
  'blob-endpoint': httpsUrl.optional(),
  'site-url': httpsUrl.optional(),
  cdn: cdnEndpoint.optional(),
  frontdoor: cdnEndpoint.extend({ domains: z.array(hostName, { error: 'must be a list of host names' }).optional() }).optional()
})

const lock = z.strictObject({
  'storage-account': storageAccount.optional(),
  container: containerName.optional(),
  'blob-endpoint': httpsUrl.optional(),
  timeout: seconds(0, 3600).optional()
})

const customCloud = z.strictObject({
  name: z.string().optional(),
  'authority-host': httpsUrl,
  'resource-manager': httpsUrl,
  'resource-manager-audience': httpsUrl.optional(),
  'storage-suffix': z.string({ error: 'must be a host suffix such as core.windows.net' }).regex(/^[a-z0-9.-]+(?::\d+)?$/i, 'must be a host suffix such as core.windows.net'),
  'oidc-audience': z.string().min(1).optional()
})

const cloud = z.union([z.enum(['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud']), customCloud], {
  error: 'must be AzureCloud, AzureUSGovernment, AzureChinaCloud, or a custom cloud { authority-host, resource-manager, storage-suffix }'
})

export type ImagePartConfig = z.output<typeof imagePart>
export type SitePartConfig = z.output<typeof sitePart>
export type PartConfig = ImagePartConfig | SitePartConfig
export type ImageEnvironmentConfig = z.output<typeof imageEnvironment>
export type SiteEnvironmentConfig = z.output<typeof siteEnvironment>
export type WebAppTargetConfig = z.output<typeof webAppTarget>
export type ReleaseConfig = z.output<typeof release>
export type LockConfig = z.output<typeof lock>
export type CloudConfig = z.output<typeof cloud>

/** An environment as the rest of the action reads it: its rules, its lock, and each part's settings. */
export interface EnvironmentConfig {
  branches: string[]
  tags: string[]
  lock?: LockConfig
  /** Each configured part's settings here, by part name, in the order the parts are declared. */
  parts: Record<string, ImageEnvironmentConfig | SiteEnvironmentConfig>
}

export interface DeployConfig {
  version: 1
  cloud: CloudConfig
  shared: { paths: string[] }
  /** By name, in the order the file declares them. */
  parts: Record<string, PartConfig>
  environments: Record<string, EnvironmentConfig>
}

/**
 * The parts a raw config declares, with their kinds, read before validation so that the
 * environments' schema can name them (a part with a bad kind is left out; its own error says why).
 */
export function declaredParts(raw: unknown): Map<string, PartKind> {
  const kinds = new Map<string, PartKind>()
  const parts = (raw as { parts?: unknown } | null)?.parts
  if (parts === null || typeof parts !== 'object' || Array.isArray(parts)) return kinds
  for (const [name, settings] of Object.entries(parts)) {
    const kind = (settings as { kind?: unknown } | null)?.kind
    if (kind === 'image' || kind === 'site') kinds.set(name, kind)
  }
  return kinds
}

/** `backend` and `frontend` parts without a `kind` get theirs, so configs of the first release load unchanged. */
export function withLegacyKinds(raw: unknown): unknown {
  const parts = (raw as { parts?: unknown } | null)?.parts
  if (parts === null || typeof parts !== 'object' || Array.isArray(parts)) return raw
  const filled = Object.fromEntries(
    Object.entries(parts).map(([name, settings]) => {
      const kind = Object.hasOwn(LEGACY_PART_KINDS, name) ? LEGACY_PART_KINDS[name] : undefined
      if (kind && settings !== null && typeof settings === 'object' && !Array.isArray(settings) && !('kind' in settings)) return [name, { kind, ...settings }]
      return [name, settings]
    })
  )
  return { ...(raw as object), parts: filled }
}

/** The file's schema, for the parts it declares. */
export function configSchemaFor(parts: ReadonlyMap<string, PartKind>) {
  const environment = z.strictObject({
    branches: z.array(glob, { error: 'must be a list of branch globs' }).default([]),
    tags: z.array(glob, { error: 'must be a list of tag globs' }).default([]),
    lock: lock.optional(),
    ...Object.fromEntries([...parts].filter(([name]) => !(ENVIRONMENT_KEYS as readonly string[]).includes(name)).map(([name, kind]) => [name, (kind === 'image' ? imageEnvironment : siteEnvironment).optional()]))
  })
  return z
    .strictObject({
      version: z.literal(1, { error: 'must be 1' }).default(1),
      cloud: cloud.default('AzureCloud'),
      shared: z.strictObject({ paths: z.array(glob, { error: 'must be a list of glob strings' }).default([]) }).default({ paths: [] }),
      parts: z
        .record(
          z.string().regex(PART_NAME, 'must be a part name: lowercase letters, digits and "-", starting with a letter (at most 32)').refine(name => !(ENVIRONMENT_KEYS as readonly string[]).includes(name), `must not be ${ENVIRONMENT_KEYS.join(', ')} (environment keys)`),
          part,
          { error: issue => (issue.code === 'invalid_type' ? 'must map part names to their settings, e.g. { api: { kind: image, … }, web: { kind: site, … } }' : undefined) }
        )
        .refine(declared => Object.keys(declared).length > 0, 'must configure at least one part'),
      environments: z
        .record(z.string().regex(ENVIRONMENT_NAME, 'must be an environment name: letters, digits, "-", "_" and "."'), environment, {
          error: issue => (issue.code === 'invalid_type' ? 'must map environment names to their settings' : undefined)
        })
        .refine(envs => Object.keys(envs).length > 0, 'must define at least one environment')
    })
    .superRefine((config, ctx) => checkConsistency(config as unknown as RawConfig, ctx))
}

/** The schema's output before environments are regrouped: part settings sit beside branches and tags. */
interface RawConfig {
  parts: Record<string, PartConfig>
  environments: Record<string, Record<string, unknown> & { branches: string[]; tags: string[]; lock?: LockConfig }>
}

/** Rules across keys: each environment configures each part, images come from a built part, no target or container twice. */
function checkConsistency(config: RawConfig, ctx: z.RefinementCtx): void {
  const partNames = Object.keys(config.parts)
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })
  for (const [name, settings] of Object.entries(config.parts)) {
    if (settings.kind === 'image' && settings['image-from'] !== undefined) {
      const source = Object.hasOwn(config.parts, settings['image-from']) ? config.parts[settings['image-from']] : undefined
      if (!source) issue(['parts', name, 'image-from'], `names no part; parts are ${partNames.join(', ')}`)
      else if (source.kind !== 'image' || source['image-from'] !== undefined) issue(['parts', name, 'image-from'], `must name an image part that builds its own image (${settings['image-from']} ${source.kind === 'image' ? 'runs another part\'s image' : 'is a site'})`)
    }
    if (settings.kind === 'site') {
      for (const envName of Object.keys(settings['build-env'])) {
        if (!Object.hasOwn(config.environments, envName)) issue(['parts', name, 'build-env', envName], `names an unknown environment; known: ${Object.keys(config.environments).join(', ')}`)
      }
    }
  }
  const siteContainers = new Map<string, string>()
  for (const [envName, env] of Object.entries(config.environments)) {
    for (const name of partNames) {
      const kind = config.parts[name]!.kind
      if (!Object.hasOwn(env, name) || env[name] === undefined) {
        issue(['environments', envName], `has no ${name} settings, but parts.${name} is configured: add environments.${envName}.${name} (${kind === 'image' ? 'strategy and targets' : 'storage-account'})`)
      }
    }
    for (const [name, settings] of Object.entries(env)) {
      if ((ENVIRONMENT_KEYS as readonly string[]).includes(name) || settings === undefined) continue
      const kind = config.parts[name]?.kind
      if (kind === 'image') checkImageEnvironment(envName, name, settings as ImageEnvironmentConfig, issue)
      if (kind === 'site') {
        const site = settings as SiteEnvironmentConfig
        if (site.cdn && site.frontdoor) issue(['environments', envName, name], 'sets both cdn and frontdoor: keep the one that fronts the site')
        const container = `${site['blob-endpoint'] ?? site['storage-account']}/${site.container}`.toLowerCase()
        const other = siteContainers.get(container)
        if (other) issue(['environments', envName, name, 'container'], `is the same container as ${other} (${site['storage-account']}/${site.container}): each site needs its own, or one deploy would delete the other's files`)
        else siteContainers.set(container, `environments.${envName}.${name}`)
      }
    }
  }
}

function checkImageEnvironment(envName: string, name: string, settings: ImageEnvironmentConfig, issue: (path: (string | number)[], message: string) => void): void {
  const at = ['environments', envName, name]
  if (settings.strategy === 'slot-swap') {
    settings.targets.forEach((target, index) => {
      if (!target.slot) issue([...at, 'targets', index, 'slot'], 'is required with strategy slot-swap: name the staging slot that is swapped into production')
    })
  }
  const seen = new Set<string>()
  settings.targets.forEach((target, index) => {
    const key = [target.subscription ?? '', target['resource-group'], target.app, target.slot ?? ''].join('/').toLowerCase()
    if (seen.has(key)) issue([...at, 'targets', index], 'repeats a target listed above')
    seen.add(key)
  })
  if (settings.release?.['run-on'] !== 'container-instance' && settings.release?.['container-instance']) {
    issue([...at, 'release', 'container-instance'], 'is set, but run-on is runner: set run-on: container-instance, or remove this key')
  }
}

/** Part settings moved under `parts` in each environment, in the order the parts are declared. */
export function regroupEnvironments(config: RawConfig & Omit<DeployConfig, 'environments'>): DeployConfig {
  const environments = Object.fromEntries(
    Object.entries(config.environments).map(([envName, env]) => {
      const parts = Object.fromEntries(Object.keys(config.parts).flatMap(name => (env[name] === undefined ? [] : [[name, env[name] as ImageEnvironmentConfig | SiteEnvironmentConfig]])))
      return [envName, { branches: env.branches, tags: env.tags, lock: env.lock, parts }]
    })
  )
  return { version: config.version, cloud: config.cloud, shared: config.shared, parts: config.parts, environments }
}

/** The keys a config object accepts, for "unknown key" messages. */
export function knownKeysHint(parentPath: readonly PropertyKey[], parts: ReadonlyMap<string, PartKind>): string {
  const segments = parentPath.filter(s => typeof s !== 'number').map(String)
  const [first, second, third, fourth] = segments
  if (segments.length === 0) return 'top-level keys are version, cloud, shared, parts, environments'
  if (first === 'cloud') return 'custom cloud keys are name, authority-host, resource-manager, resource-manager-audience, storage-suffix, oidc-audience'
  if (first === 'shared') return 'shared has only paths'
  if (first === 'parts' && second !== undefined) {
    const kind = parts.get(second)
    if (third === 'health') return 'health keys are path, version-header, timeout, consecutive, interval'
    if (kind === 'image') return 'image part keys are kind, paths, image-from, context, file, target, registry, registry-auth, repository, build-args, version-build-arg, cache, build-network, verify, health'
    if (kind === 'site') return 'site part keys are kind, paths, working-directory, install, build, output, build-env, cache-control, delete-stale, max-delete-share, keep-releases, purge, index-document, error-document, lock-timeout'
  }
  if (first === 'environments') {
    if (third === undefined) return `environment keys are branches, tags, lock${parts.size ? `, and the parts: ${[...parts.keys()].join(', ')}` : ''}`
    if (third === 'lock') return 'lock keys are storage-account, container, blob-endpoint, timeout'
    const kind = parts.get(third)
    if (kind === 'image') {
      if (fourth === 'targets') return 'target keys are subscription, resource-group, app, slot, command, port'
      if (fourth === 'release') return segments[4] === 'container-instance' ? 'container-instance keys are subscription, resource-group, location, subnet-id, cpu, memory-gb' : 'release keys are command, run-on, paths, timeout, env, container-instance'
      return 'image environment keys are strategy, targets, acr-identity, swap-timeout, build-args, app-settings, prune-app-settings, release'
    }
    if (kind === 'site') return fourth === undefined ? 'site environment keys are storage-account, container, archive-container, blob-endpoint, site-url, cdn, frontdoor' : 'cdn/frontdoor keys are subscription, resource-group, profile, endpoint (and domains for frontdoor)'
    if (third !== undefined) return `${third} is not a part of this config; parts are ${[...parts.keys()].join(', ')}`
  }
  return 'see the README, "Config"'
}
