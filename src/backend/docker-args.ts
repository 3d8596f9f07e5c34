import { DeployError } from '../errors.js'
import { isLoopbackRegistry } from './registry-host.js'

export type CacheMode = 'registry' | 'gha' | 'inline' | 'none'

/** What builds the image: the buildx plugin, or `docker build` with BuildKit or the classic builder. */
export type Builder = { kind: 'buildx' } | { kind: 'docker'; buildkit: boolean }

export interface ImageBuildRequest {
  /** The part that builds it, for the config keys messages name (`backend` when left out). */
  part?: string
  registry: string
  repository: string
  /** The full commit SHA: the image tag, the revision label and the version build arg. */
  commit: string
  /** Absolute path of the build context. */
  context: string
  /** Absolute path of the Dockerfile. */
  dockerfile: string
  buildArgs: Readonly<Record<string, string>>
  /**
   * Build args whose values come from the step's env (secrets): named on the command line
   * without a value, so docker reads them from its environment and no process listing shows them.
   */
  secretBuildArgs?: Readonly<Record<string, string>>
  /** The image tag: the commit SHA, or `<sha>-<environment>` when the environment adds build args. */
  tag?: string
  /** The Dockerfile stage to build (`--target`). */
  target?: string
  /** The network of the build's RUN steps (`--network`); docker's default when left out. */
  network?: 'default' | 'none' | 'host'
  /** The build arg that receives the commit SHA, so the app can report its version. */
  versionBuildArg: string
  cache: CacheMode
  /** The repository's web address, for the `org.opencontainers.image.source` label. */
  sourceUrl?: string
  createdAt: Date
}

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `<registry>/<repository>:<commit>`: the one tag every target runs. */
export function imageReference(request: Pick<ImageBuildRequest, 'registry' | 'repository' | 'commit' | 'tag'>): string {
  return `${request.registry}/${request.repository}:${request.tag ?? request.commit}`
}

/**
 * Where the next build finds its cache: a BuildKit cache manifest (`cache: registry` with
 * buildx) or an image carrying inline cache metadata (`inline`, or `registry` without buildx).
 */
function cacheReference(request: Pick<ImageBuildRequest, 'registry' | 'repository'>): string {
  return `${request.registry}/${request.repository}:buildcache`
}

export function builderName(builder: Builder): string {
  if (builder.kind === 'buildx') return 'docker buildx build'
  return builder.buildkit ? 'docker build (BuildKit)' : 'docker build (classic builder)'
}

/** Plain `docker build` cannot export a cache manifest, so a registry cache becomes an inline one. */
function effectiveCache(cache: CacheMode, builder: Builder): CacheMode {
  if (builder.kind === 'buildx') return cache
  if (!builder.buildkit || cache === 'gha') return 'none'
  return cache === 'registry' ? 'inline' : cache
}

/** Why the configured cache is not used with this builder, or undefined when it is. */
export function cacheWarning(cache: CacheMode, builder: Builder): string | undefined {
  if (cache === 'none' || effectiveCache(cache, builder) !== 'none') return undefined
  if (builder.kind === 'docker' && !builder.buildkit) return `cache: ${cache} needs BuildKit; the classic builder builds without a cache.`
  return 'cache: gha needs docker buildx (set it up with docker/setup-buildx-action); building without a cache.'
}

/** Every tag the build writes: the commit tag, and the cache tag when the image itself is the cache. */
export function imageTags(request: ImageBuildRequest, builder: Builder): string[] {
  const tags = [imageReference(request)]
  if (effectiveCache(request.cache, builder) === 'inline') tags.push(cacheReference(request))
  return tags
}

function cacheFlags(request: ImageBuildRequest, builder: Builder): string[] {
  const cacheRef = cacheReference(request)
  const cache = effectiveCache(request.cache, builder)
  if (builder.kind === 'docker') {
    return cache === 'inline' ? ['--cache-from', cacheRef, '--build-arg', 'BUILDKIT_INLINE_CACHE=1'] : []
  }
  switch (cache) {
    case 'registry':
      return ['--cache-from', `type=registry,ref=${cacheRef}`, '--cache-to', `type=registry,ref=${cacheRef},mode=max`]
    case 'gha':
      return ['--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max']
    case 'inline':
      return ['--cache-from', `type=registry,ref=${cacheRef}`, '--cache-to', 'type=inline']
    case 'none':
      return []
  }
}

/** Refuses a build arg name that is not a variable name, or one that would override the version. */
export function assertBuildArgNames(request: Pick<ImageBuildRequest, 'buildArgs' | 'secretBuildArgs' | 'versionBuildArg' | 'part'>): void {
  for (const name of [...Object.keys(request.buildArgs), ...Object.keys(request.secretBuildArgs ?? {}), request.versionBuildArg]) {
    if (!BUILD_ARG_NAME.test(name)) {
      throw new DeployError(`build arg name ${JSON.stringify(name)} is not a variable name.`, `Use letters, digits and underscores, not starting with a digit (parts.${request.part ?? 'backend'}.build-args, version-build-arg).`)
    }
  }
  if (Object.hasOwn(request.buildArgs, request.versionBuildArg) || Object.hasOwn(request.secretBuildArgs ?? {}, request.versionBuildArg)) {
    throw new DeployError(
      `parts.${request.part ?? 'backend'}.build-args sets ${request.versionBuildArg}, the build arg the deploy sets to the commit SHA.`,
      `Remove ${request.versionBuildArg} from build-args, or name another build arg in version-build-arg.`
    )
  }
}

function buildArgFlags(request: ImageBuildRequest): string[] {
  assertBuildArgNames(request)
  const pairs = [...Object.entries(request.buildArgs), [request.versionBuildArg, request.commit]]
  return [...pairs.flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]), ...Object.keys(request.secretBuildArgs ?? {}).flatMap(name => ['--build-arg', name])]
}

function labelFlags(request: ImageBuildRequest): string[] {
  const labels = [
    `org.opencontainers.image.revision=${request.commit}`,
    ...(request.sourceUrl ? [`org.opencontainers.image.source=${request.sourceUrl}`] : []),
    `org.opencontainers.image.created=${request.createdAt.toISOString()}`
  ]
  return labels.flatMap(label => ['--label', label])
}

/**
 * The build command's arguments. buildx pushes as it builds and writes the digest to
 * `metadataFile`; `--provenance=false` keeps that digest the image manifest's, not an index's.
 * Plain `docker build` only builds: the tags are pushed afterwards. The context comes last.
 */
export function buildArgs(request: ImageBuildRequest, builder: Builder, metadataFile?: string): string[] {
  const buildx = builder.kind === 'buildx'
  return [
    ...(buildx ? ['buildx', 'build'] : ['build']),
    '--file',
    request.dockerfile,
    ...imageTags(request, builder).flatMap(tag => ['--tag', tag]),
    ...labelFlags(request),
    ...buildArgFlags(request),
    ...(request.target ? ['--target', request.target] : []),
    ...(request.network && request.network !== 'default' ? ['--network', request.network] : []),
    ...cacheFlags(request, builder),
    ...(buildx ? ['--provenance=false', '--push', ...(metadataFile ? ['--metadata-file', metadataFile] : [])] : []),
    request.context
  ]
}

/**
 * Reads a tag's manifest from the registry with the CLI's own credentials. A plain-HTTP
 * (loopback) registry needs `--insecure`: without it the CLI reports "no such manifest" even
 * when the tag exists.
 */
export function manifestInspectArgs(reference: string, registry: string): string[] {
  return ['manifest', 'inspect', '--verbose', ...(isLoopbackRegistry(registry) ? ['--insecure'] : []), reference]
}

/** `docker manifest inspect` exits 1 with this when the registry answered but holds no such tag. */
export function isManifestMissing(output: string): boolean {
  return /no such manifest|manifest unknown/i.test(output)
}

/** The digest of the pushed manifest, from `docker push` output (`<tag>: digest: sha256:… size: …`). */
export function digestOfPushOutput(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1]
}

/**
 * The manifest digest from `docker manifest inspect --verbose`: one image's descriptor, or for
 * an index the linux/amd64 entry (what App Service pulls).
 */
export function digestOfManifestInspect(output: string): string | undefined {
  interface Entry {
    Descriptor?: { digest?: string; platform?: { os?: string; architecture?: string } }
  }
  let parsed: Entry | Entry[]
  try {
    parsed = JSON.parse(output) as Entry | Entry[]
  } catch {
    return undefined
  }
  const entry = Array.isArray(parsed) ? parsed.find(e => e.Descriptor?.platform?.os === 'linux' && e.Descriptor.platform.architecture === 'amd64') : parsed
  const digest = entry?.Descriptor?.digest
  return digest && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined
}
