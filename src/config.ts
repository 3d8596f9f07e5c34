import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Scalar } from 'yaml'
import picomatch from 'picomatch'
import * as z from 'zod'
import { ConfigError } from './errors.js'
import { PART_NAMES } from './parts.js'
import { leavesWorkspace } from './workspace-path.js'

export const DEFAULT_CONFIG_PATH = '.github/azure-deploy.yml'

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

const name = (what: string, pattern: RegExp, accepted: string) =>
  z.string({ error: `must be ${what}` }).regex(pattern, `must be ${what}: ${accepted}`)

const resourceGroup = name('a resource group name', /^[-\w.()]{1,89}[-\w()]$/, '1–90 letters, digits, and - _ . ( ), not ending in "."')
const appName = name('a Web App name', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/, '2–60 letters, digits and hyphens')
const slotName = name('a slot name', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}$/, 'letters, digits and hyphens')
const subscription = name('a subscription ID', /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'a GUID such as 00000000-0000-0000-0000-000000000000')
const storageAccount = name('a storage account name', /^[a-z0-9]{3,24}$/, '3–24 lowercase letters and digits')
const containerName = name('a blob container name', /^(?:\$web|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$/, '"$web" or 3–63 lowercase letters, digits and single hyphens')
const endpointName = name('a CDN / Front Door resource name', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,258}$/, 'letters, digits and hyphens')
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
const envName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const variables = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string({ error: 'must be a string (quote numbers and booleans)' }))

const backendPart = z.strictObject({
  paths: globList,
  context: repoPath.default('.'),
  file: repoPath.optional(),
  registry: z.string({ error: 'must be a registry host, such as myregistry.azurecr.io' }).regex(/^[a-z0-9.-]+(?::\d+)?$/, 'must be a registry host, such as myregistry.azurecr.io'),
  repository: z.string({ error: 'must be an image repository, such as "api"' }).regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, 'must be a lowercase image repository, such as "api" or "team/api"'),
  'build-args': variables.default({}),
  'version-build-arg': z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a build-arg name').default('APP_VERSION'),
  cache: z.enum(['registry', 'gha', 'inline', 'none'], { error: 'must be one of: registry, gha, inline, none' }).default('registry'),
  health: z
    .strictObject({
      path: z.string().startsWith('/', 'must start with "/"').default('/'),
      'version-header': z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name').optional(),
      timeout: z.number({ error: 'must be a number of seconds' }).int().min(10).max(1800).default(300),
      consecutive: z.number({ error: 'must be a whole number' }).int().min(1).max(20).default(3),
      interval: z.number({ error: 'must be a number of seconds' }).min(0.1).max(60).default(2)
    })
    .default({ path: '/', timeout: 300, consecutive: 3, interval: 2 })
})

const cacheControlRule = z.strictObject({
  match: z.union([glob, globList], { error: 'must be a glob or a list of globs' }),
  value: z.string({ error: 'must be a Cache-Control header value' }).min(1)
})

const frontendPart = z.strictObject({
  paths: globList,
  'working-directory': repoPath.default('.'),
  install: z.string({ error: 'must be a command line' }).min(1).default('npm ci'),
  build: z.string({ error: 'must be a command line' }).min(1).default('npm run build'),
  output: repoPath.default('build'),
  'build-env': z.record(z.string().regex(envName, 'must be an environment name'), variables).default({}),
  'cache-control': z.array(cacheControlRule, { error: 'must be a list of { match, value } rules' }).default([]),
  'delete-stale': z.enum(['after-purge', 'never'], { error: 'must be "after-purge" or "never"' }).default('after-purge'),
  'max-delete-share': z.number({ error: 'must be a share between 0 and 1, such as 0.5' }).min(0).max(1).default(0.5),
  'keep-releases': z.number({ error: 'must be a whole number' }).int().min(1).max(1000).default(10),
  purge: z.enum(['changed', 'all'], { error: 'must be "changed" or "all"' }).default('changed'),
  'index-document': z.string().min(1).default('index.html'),
  'error-document': z.string().min(1).default('index.html'),
  'lock-timeout': z.number({ error: 'must be a number of seconds' }).int().min(0).max(3600).default(600)
})

const backendTarget = z.strictObject({
  subscription: subscription.optional(),
  'resource-group': resourceGroup,
  app: appName,
  slot: slotName.optional()
})

const backendEnvironment = z.strictObject({
  strategy: z.enum(['in-place', 'slot-swap'], { error: 'must be "in-place" or "slot-swap"' }).default('in-place'),
  'acr-identity': z
    .union([z.literal('system'), z.string().regex(/^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/)], { error: 'must be "system" or the client ID of a user-assigned identity' })
    .optional(),
  'swap-timeout': z.number({ error: 'must be a number of seconds' }).int().min(5).max(3600).default(900),
  targets: z.array(backendTarget, { error: 'must be a list of { resource-group, app, slot } targets' }).min(1, 'must list at least one Web App')
})

const cdnEndpoint = z.strictObject({
  subscription: subscription.optional(),
  'resource-group': resourceGroup,
  profile: endpointName,
  endpoint: endpointName
})

const frontendEnvironment = z.strictObject({
  'storage-account': storageAccount,
  container: containerName.default('$web'),
  'archive-container': containerName.default('deployments'),
  'blob-endpoint': httpsUrl.optional(),
  'site-url': httpsUrl.optional(),
  cdn: cdnEndpoint.optional(),
  frontdoor: cdnEndpoint.extend({ domains: z.array(z.string().min(1)).optional() }).optional()
})

const environment = z.strictObject({
  branches: z.array(glob, { error: 'must be a list of branch globs' }).default([]),
  tags: z.array(glob, { error: 'must be a list of tag globs' }).default([]),
  backend: backendEnvironment.optional(),
  frontend: frontendEnvironment.optional()
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

const configSchema = z
  .strictObject({
    version: z.literal(1, { error: 'must be 1' }).default(1),
    cloud: cloud.default('AzureCloud'),
    shared: z.strictObject({ paths: z.array(glob, { error: 'must be a list of glob strings' }).default([]) }).default({ paths: [] }),
    parts: z
      .strictObject({ backend: backendPart.optional(), frontend: frontendPart.optional() }, { error: 'must map part names (backend, frontend) to their settings' })
      .refine(parts => parts.backend || parts.frontend, 'must configure backend, frontend, or both'),
    environments: z
      .record(z.string().regex(envName, 'must be an environment name: letters, digits, "-", "_" and "."'), environment, {
        error: 'must map environment names to their settings'
      })
      .refine(envs => Object.keys(envs).length > 0, 'must define at least one environment')
  })
  .superRefine((config, ctx) => {
    for (const [envName, env] of Object.entries(config.environments)) {
      for (const part of PART_NAMES) {
        if (config.parts[part] && !env[part]) {
          ctx.addIssue({
            code: 'custom',
            path: ['environments', envName],
            message: `has no ${part} settings, but parts.${part} is configured: add environments.${envName}.${part} (${part === 'backend' ? 'strategy and targets' : 'storage-account'})`
          })
        }
        if (!config.parts[part] && env[part]) {
          ctx.addIssue({
            code: 'custom',
            path: ['environments', envName, part],
            message: `is set, but parts.${part} is not configured: add parts.${part} with its paths, or remove this key`
          })
        }
      }
      if (env.backend?.strategy === 'slot-swap') {
        env.backend.targets.forEach((target, index) => {
          if (!target.slot) {
            ctx.addIssue({
              code: 'custom',
              path: ['environments', envName, 'backend', 'targets', index, 'slot'],
              message: 'is required with strategy slot-swap: name the staging slot that is swapped into production'
            })
          }
        })
      }
      const seen = new Set<string>()
      env.backend?.targets.forEach((target, index) => {
        const key = [target.subscription ?? '', target['resource-group'], target.app, target.slot ?? ''].join('/').toLowerCase()
        if (seen.has(key)) {
          ctx.addIssue({ code: 'custom', path: ['environments', envName, 'backend', 'targets', index], message: 'repeats a target listed above' })
        }
        seen.add(key)
      })
      if (env.frontend?.cdn && env.frontend.frontdoor) {
        ctx.addIssue({ code: 'custom', path: ['environments', envName, 'frontend'], message: 'sets both cdn and frontdoor: keep the one that fronts the site' })
      }
    }
    for (const envName of Object.keys(config.parts.frontend?.['build-env'] ?? {})) {
      if (!Object.hasOwn(config.environments, envName)) {
        ctx.addIssue({
          code: 'custom',
          path: ['parts', 'frontend', 'build-env', envName],
          message: `names an unknown environment; known: ${Object.keys(config.environments).join(', ')}`
        })
      }
    }
  })

export type DeployConfig = z.output<typeof configSchema>
export type EnvironmentConfig = DeployConfig['environments'][string]
export type BackendTarget = NonNullable<EnvironmentConfig['backend']>['targets'][number]

/** The config as loaded, with where it came from (its path counts as a shared path). */
export interface LoadedConfig {
  path: string
  config: DeployConfig
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function keyPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`
    return text ? `${text}.${String(segment)}` : String(segment)
  }, '')
}

/** Parse and validate config text; every problem names its key path, line, value and fix. */
export function parseConfig(text: string, configPath: string): DeployConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(e => {
      const { line, col } = lineCounter.linePos(e.pos[0])
      return `line ${line}, column ${col}: ${e.message.split('\n')[0]}`
    })
    throw new ConfigError(`${configPath} is not valid YAML:\n  ${problems.join('\n  ')}`, 'Fix the YAML syntax at the line shown (indentation and quoting are the usual causes).')
  }
  const raw: unknown = doc.toJS()
  if (raw === null || raw === undefined) {
    throw new ConfigError(`${configPath} is empty.`, 'Describe at least one part under parts: and one environment under environments: (see the README, "Config").')
  }
  const result = configSchema.safeParse(raw)
  if (result.success) return result.data

  // The line of the deepest node along the path: the key itself for a map entry (not its
  // value, which may start on the next line), the item for a list entry.
  const lineOf = (segments: readonly PropertyKey[]): number | undefined => {
    let node: unknown = doc.contents
    let offset: number | undefined
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find(item => isScalar(item.key) && item.key.value === segment)
        if (!pair) break
        offset = (pair.key as Scalar).range?.[0] ?? offset
        node = pair.value
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment]
        if (!isNode(item)) break
        offset = item.range?.[0] ?? offset
        node = item
      } else break
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset).line
  }
  const valueAt = (segments: readonly PropertyKey[]): unknown =>
    segments.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), raw)

  const problems = result.error.issues.map(issue => {
    if (issue.code === 'unrecognized_keys') {
      const parent = keyPath(issue.path)
      const keys = issue.keys.map(k => (parent ? `${parent}.${k}` : k))
      const line = lineOf([...issue.path, issue.keys[0] ?? ''])
      return `${keys.join(', ')}${line ? ` (line ${line})` : ''}: unknown key; ${knownKeysHint(issue.path)}`
    }
    const line = lineOf(issue.path)
    const at = keyPath(issue.path) || '(top level)'
    return `${at}${line ? ` (line ${line})` : ''}: ${issue.message} (got ${describeValue(valueAt(issue.path))})`
  })
  throw new ConfigError(
    `${configPath} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`,
    `Fix the key${problems.length === 1 ? '' : 's'} named above in ${configPath}; the README's "Config" section lists every key and its accepted values.`
  )
}

function knownKeysHint(parentPath: readonly PropertyKey[]): string {
  const parent = keyPath(parentPath.filter(s => typeof s !== 'number'))
  const known: Record<string, string> = {
    '': 'top-level keys are version, cloud, shared, parts, environments',
    cloud: 'custom cloud keys are name, authority-host, resource-manager, resource-manager-audience, storage-suffix, oidc-audience',
    parts: 'parts are backend and frontend',
    'parts.backend': 'backend keys are paths, context, file, registry, repository, build-args, version-build-arg, cache, health',
    'parts.backend.health': 'health keys are path, version-header, timeout, consecutive, interval',
    'parts.frontend': 'frontend keys are paths, working-directory, install, build, output, build-env, cache-control, delete-stale, max-delete-share, keep-releases, purge, index-document, error-document, lock-timeout',
    shared: 'shared has only paths'
  }
  if (known[parent]) return known[parent]
  if (parentPath[0] === 'environments') {
    const depth = parentPath.length
    if (depth === 2) return 'environment keys are branches, tags, backend, frontend'
    if (parentPath[2] === 'backend') return depth === 3 ? 'backend environment keys are strategy, targets, acr-identity, swap-timeout' : 'target keys are subscription, resource-group, app, slot'
    if (parentPath[2] === 'frontend') return depth === 3 ? 'frontend environment keys are storage-account, container, archive-container, blob-endpoint, site-url, cdn, frontdoor' : 'cdn/frontdoor keys are subscription, resource-group, profile, endpoint (and domains for frontdoor)'
  }
  return 'see the README, "Config"'
}

export async function loadConfig(workspace: string, configPath: string): Promise<LoadedConfig> {
  const absolute = path.resolve(workspace, configPath)
  let text: string
  try {
    text = await readFile(absolute, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new ConfigError(
        `config file ${configPath} was not found in the workspace (${workspace}).`,
        `Commit a config at ${configPath} (the README's "Config" section has a complete example), set 'config:' to where yours is, or make sure actions/checkout runs before this step.`
      )
    }
    throw new ConfigError(`config file ${configPath} could not be read: ${(error as Error).message}`)
  }
  const relative = path.relative(workspace, absolute).split(path.sep).join('/')
  const config = parseConfig(text, configPath)
  await refuseLinksOut(workspace, config, configPath)
  return { path: relative, config }
}

/**
 * The schema keeps each repository path relative and free of `..`; a symlink in the checkout
 * can still lead elsewhere, so each is resolved on disk: what would build or publish files
 * from outside the repository (the runner's home, /etc) is refused before anything runs.
 */
async function refuseLinksOut(workspace: string, config: DeployConfig, configPath: string): Promise<void> {
  const { backend, frontend } = config.parts
  const paths: [key: string, relative: string | undefined, what: string][] = [
    ['parts.backend.context', backend?.context, 'a folder'],
    ['parts.backend.file', backend?.file, 'a file'],
    ['parts.frontend.working-directory', frontend?.['working-directory'], 'a folder'],
    ['parts.frontend.output', frontend && path.posix.join(frontend['working-directory'], frontend.output), 'a folder']
  ]
  for (const [key, relative, what] of paths) {
    if (relative === undefined) continue
    const target = await leavesWorkspace(workspace, relative)
    if (target) {
      throw new ConfigError(
        `${configPath}: ${key} (${JSON.stringify(relative)}) leads outside the repository, to ${target}, through a symlink.`,
        `Point ${key} at ${what} inside the repository, not at a symlink that leaves it: the deploy builds and publishes only files of the checkout.`
      )
    }
  }
}

/** Where the environment name came from, for the log and the plan. */
export type EnvironmentSource = 'input' | 'branch' | 'tag'

export interface ResolvedEnvironment {
  name: string
  source: EnvironmentSource
  settings: EnvironmentConfig
}

/** The pushed ref, reduced to what environment resolution needs. */
export interface RefInfo {
  branch?: string
  tag?: string
}

/** The `environment` input wins; else the first environment whose branch (or tag) globs match. */
export function resolveEnvironment(config: DeployConfig, requested: string | undefined, ref: RefInfo): ResolvedEnvironment {
  const names = Object.keys(config.environments)
  const listing = names
    .map(n => {
      const env = config.environments[n]
      const rules = [...(env?.branches ?? []).map(b => `branch ${b}`), ...(env?.tags ?? []).map(t => `tag ${t}`)]
      return `${n}${rules.length ? ` (${rules.join(', ')})` : ''}`
    })
    .join('; ')
  if (requested) {
    const settings = Object.hasOwn(config.environments, requested) ? config.environments[requested] : undefined
    if (!settings) {
      throw new ConfigError(`environment ${JSON.stringify(requested)} is not defined in the config. Known environments: ${listing}.`, `Set 'environment:' to one of ${names.join(', ')}, or add environments.${requested} to the config.`)
    }
    return { name: requested, source: 'input', settings }
  }
  for (const name of names) {
    const settings = config.environments[name]!
    if (ref.branch && settings.branches.some(g => picomatch.isMatch(ref.branch!, g, { dot: true, flags: 's' }))) return { name, source: 'branch', settings }
    if (ref.tag && settings.tags.some(g => picomatch.isMatch(ref.tag!, g, { dot: true, flags: 's' }))) return { name, source: 'tag', settings }
  }
  const pushed = ref.branch ? `branch ${JSON.stringify(ref.branch)}` : ref.tag ? `tag ${JSON.stringify(ref.tag)}` : 'this run (no branch or tag)'
  throw new ConfigError(
    `no environment matches ${pushed}. Known environments: ${listing}.`,
    `Set 'environment:' in the workflow step, or add the ${ref.tag ? 'tag' : 'branch'} to an environment's ${ref.tag ? 'tags' : 'branches'} in the config.`
  )
}
