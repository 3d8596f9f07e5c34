import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Scalar } from 'yaml'
import picomatch from 'picomatch'
import { ConfigError } from './errors.js'
import { configSchemaFor, declaredParts, knownKeysHint, regroupEnvironments, withLegacyKinds, type DeployConfig, type EnvironmentConfig, type ImageEnvironmentConfig, type SiteEnvironmentConfig } from './config-schema.js'
import { leavesWorkspace } from './workspace-path.js'

export type { ConfigValue, DeployConfig, EnvironmentConfig, ImageEnvironmentConfig, ImagePartConfig, PartConfig, PartKind, SiteEnvironmentConfig, SitePartConfig, WebAppTargetConfig } from './config-schema.js'

export const DEFAULT_CONFIG_PATH = '.github/azure-deploy.yml'

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
  refuseExpressions(text, configPath)
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(e => {
      const { line, col } = lineCounter.linePos(e.pos[0])
      return `line ${line}, column ${col}: ${e.message.split('\n')[0]}`
    })
    throw new ConfigError(`${configPath} is not valid YAML:\n  ${problems.join('\n  ')}`, 'Fix the YAML syntax at the line shown (indentation and quoting are the usual causes).')
  }
  const raw: unknown = withLegacyKinds(doc.toJS())
  if (raw === null || raw === undefined) {
    throw new ConfigError(`${configPath} is empty.`, 'Describe at least one part under parts: and one environment under environments: (see the README, "Config").')
  }
  const parts = declaredParts(raw)
  const result = configSchemaFor(parts).safeParse(raw)
  if (result.success) return regroupEnvironments(result.data as Parameters<typeof regroupEnvironments>[0])

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
      return `${keys.join(', ')}${line ? ` (line ${line})` : ''}: unknown key; ${knownKeysHint(issue.path, parts)}`
    }
    const line = lineOf(issue.path)
    const at = keyPath(issue.path) || '(top level)'
    // A bad key of a map (a part name): the key's own rule says what is wrong with it.
    if (issue.code === 'invalid_key') return `${at}${line ? ` (line ${line})` : ''}: the name ${issue.issues[0]?.message ?? issue.message}`
    return `${at}${line ? ` (line ${line})` : ''}: ${issue.message} (got ${describeValue(valueAt(issue.path))})`
  })
  throw new ConfigError(
    `${configPath} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`,
    `Fix the key${problems.length === 1 ? '' : 's'} named above in ${configPath}; the README's "Config" section lists every key and its accepted values.`
  )
}

/**
 * GitHub expands `${{ }}` in workflow files, not in this one: such text would be taken
 * literally (and a build could inline it into a bundle). Values from secrets come through
 * the step's `env:` and `{ from-env: NAME }`.
 */
function refuseExpressions(text: string, configPath: string): void {
  const lines = text.split(/\r?\n/)
  const index = lines.findIndex(line => line.includes('${{') && !/^\s*#/.test(line))
  if (index < 0) return
  throw new ConfigError(
    `${configPath} (line ${index + 1}) holds a GitHub expression "\${{ … }}": GitHub does not expand expressions in this file, so it would be taken literally.`,
    `Pass the value through the step's env: (in the workflow: env: { API_KEY: \${{ secrets.API_KEY }} }) and write { from-env: API_KEY } in ${configPath}: the action reads it at run time and masks it.`
  )
}

export async function loadConfig(workspace: string, configPath: string): Promise<LoadedConfig> {
  const absolute = path.resolve(workspace, configPath)
  const relative = path.relative(workspace, absolute).split(path.sep).join('/')
  if (path.isAbsolute(configPath) || relative === '' || relative === '..' || relative.startsWith('../')) {
    throw new ConfigError(`input 'config' (${JSON.stringify(configPath)}) is not a file inside the repository.`, "Set 'config:' to a path relative to the repository root, such as .github/azure-deploy.yml.")
  }
  const outside = await leavesWorkspace(workspace, relative)
  if (outside) {
    throw new ConfigError(`config file ${configPath} leads outside the repository, to ${outside}, through a symlink.`, 'Commit the config itself at that path: the deploy reads only files of the checkout.')
  }
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
  const paths = Object.entries(config.parts).flatMap(([name, part]): [key: string, relative: string | undefined, what: string][] =>
    part.kind === 'image'
      ? [
          [`parts.${name}.context`, part.context, 'a folder'],
          [`parts.${name}.file`, part.file, 'a file']
        ]
      : [
          [`parts.${name}.working-directory`, part['working-directory'], 'a folder'],
          [`parts.${name}.output`, path.posix.join(part['working-directory'], part.output), 'a folder']
        ]
  )
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

/** A part's settings in an environment (the schema makes sure each environment has every part's). */
export function imageEnvironment(environment: EnvironmentConfig, part: string): ImageEnvironmentConfig {
  return environment.parts[part] as ImageEnvironmentConfig
}

export function siteEnvironment(environment: EnvironmentConfig, part: string): SiteEnvironmentConfig {
  return environment.parts[part] as SiteEnvironmentConfig
}
