import { randomUUID } from 'node:crypto'
import { readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { outputTail, type CommandRunner } from '../command-runner.js'
import { DeployError } from '../errors.js'
import type { Logger } from '../logger.js'
import {
  assertBuildArgNames,
  buildArgs,
  builderName,
  cacheWarning,
  digestOfManifestInspect,
  digestOfPushOutput,
  imageReference,
  imageTags,
  isManifestMissing,
  manifestInspectArgs,
  type Builder,
  type ImageBuildRequest
} from './docker-args.js'
import { createDockerCli, type DockerCli } from './docker-cli.js'

export interface ImageBuildDeps {
  runner: CommandRunner
  logger: Logger
  /** Environment for every docker command: the registry session's `dockerEnv`. */
  env: Readonly<Record<string, string>>
  /** Where the build's scratch files go (the buildx metadata file). */
  tempDir: string
}

export interface BuiltImage {
  /** `<registry>/<repository>:<commit>`. */
  reference: string
  /** The manifest digest the registry serves for that tag. */
  digest: string
  /** `<reference>@<digest>`. */
  pinned: string
  /** True when the registry already held the tag (a re-run) and nothing was built. */
  reused: boolean
  /** What built it; undefined when reused. */
  builder?: string
  /** With buildx the push happens during the build, so its time is in `build`. */
  seconds: { build: number; push: number }
}

type RegistryLookup = { state: 'found'; digest: string } | { state: 'missing' } | { state: 'unknown'; reason: string }

/** What to try after a failed build, when the failure is one a different builder or cache avoids. */
export interface BuildFallback {
  builder: Builder
  cache: ImageBuildRequest['cache']
  warning: string
}

const elapsedSeconds = (since: number) => Math.round((performance.now() - since) / 100) / 10

/**
 * Builds and pushes the backend image, or reuses the one the registry already holds for this
 * commit. Returns the digest the registry serves, which is what every target is pinned to.
 */
export async function buildAndPushImage(request: ImageBuildRequest, deps: ImageBuildDeps): Promise<BuiltImage> {
  await assertBuildInputs(request)
  const docker = createDockerCli(deps.runner, deps.env)
  const reference = imageReference(request)
  const existing = await registryDigest(reference, request.registry, docker)
  if (existing.state === 'found') {
    deps.logger.info(`${reference} is already in the registry (${existing.digest}): not building it again.`)
    return { reference, digest: existing.digest, pinned: `${reference}@${existing.digest}`, reused: true, seconds: { build: 0, push: 0 } }
  }
  if (existing.state === 'unknown') deps.logger.warning(`Could not check whether ${reference} is already in the registry (${existing.reason}); building it.`)

  const built = await build(request, docker, deps)
  const pushed = built.builder.kind === 'buildx' ? { digest: built.digest, seconds: 0 } : await push(request, imageTags({ ...request, cache: built.cache }, built.builder), docker, deps.logger)
  const digest = await pushedDigest(reference, request.registry, pushed.digest, docker, deps.logger)
  deps.logger.info(`Image: ${reference}@${digest}`)
  return { reference, digest, pinned: `${reference}@${digest}`, reused: false, builder: builderName(built.builder), seconds: { build: built.seconds, push: pushed.seconds } }
}

async function assertBuildInputs(request: ImageBuildRequest): Promise<void> {
  const kind = async (file: string) => stat(file).then(s => (s.isDirectory() ? 'directory' : 'file'), () => 'missing')
  if ((await kind(request.context)) !== 'directory') {
    throw new DeployError(`the backend's build context ${request.context} is not a directory.`, `Check parts.${request.part ?? 'backend'}.context in the config: a folder relative to the repository root (the default is the root).`)
  }
  if ((await kind(request.dockerfile)) !== 'file') {
    throw new DeployError(`the backend's Dockerfile ${request.dockerfile} does not exist.`, `Check parts.${request.part ?? 'backend'}.file in the config: relative to the repository root (the default is Dockerfile in its context).`)
  }
  assertBuildArgNames(request)
}

/** The digest the registry holds for a tag, asked with the CLI so the deploy's login applies. */
async function registryDigest(reference: string, registry: string, docker: DockerCli): Promise<RegistryLookup> {
  const result = await docker.run(manifestInspectArgs(reference, registry))
  const output = `${result.stdout}\n${result.stderr}`
  if (result.exitCode !== 0) return isManifestMissing(output) ? { state: 'missing' } : { state: 'unknown', reason: result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}` }
  const digest = digestOfManifestInspect(result.stdout)
  return digest ? { state: 'found', digest } : { state: 'unknown', reason: 'docker manifest inspect printed no digest' }
}

async function detectBuilder(docker: DockerCli): Promise<Builder> {
  const buildx = await docker.run(['buildx', 'version'])
  return buildx.exitCode === 0 ? { kind: 'buildx' } : { kind: 'docker', buildkit: true }
}

/**
 * A failed build that another builder or cache avoids: a CLI 23+ without the buildx plugin
 * refuses BuildKit builds, and buildx's `docker` driver cannot export a registry or gha cache
 * (unless the engine uses the containerd image store). Each fallback leads to a state with none.
 */
export function buildFallback(builder: Builder, cache: ImageBuildRequest['cache'], output: string): BuildFallback | undefined {
  if (builder.kind === 'docker' && builder.buildkit && /buildx component is missing or broken/i.test(output)) {
    return {
      builder: { kind: 'docker', buildkit: false },
      cache,
      warning:
        'This docker CLI has no buildx plugin, and since Docker CLI 23 `docker build` uses BuildKit only through it ("BuildKit is enabled but the buildx component is missing or broken"). ' +
        'Building again with the classic builder (DOCKER_BUILDKIT=0). Install the docker-buildx plugin (or use docker/setup-buildx-action) to build with BuildKit.'
    }
  }
  if (builder.kind === 'buildx' && (cache === 'registry' || cache === 'gha') && /cache export is not supported/i.test(output)) {
    const fallbackCache = cache === 'registry' ? 'inline' : 'none'
    return {
      builder,
      cache: fallbackCache,
      warning: `The current buildx builder uses the docker driver, which cannot export a ${cache} cache. Building again with ${fallbackCache === 'inline' ? 'an inline cache' : 'no cache'}; for cache: ${cache}, add docker/setup-buildx-action (a docker-container builder) before this step.`
    }
  }
  return undefined
}

async function build(request: ImageBuildRequest, docker: DockerCli, deps: ImageBuildDeps) {
  const started = performance.now()
  let attempt: Pick<BuildFallback, 'builder' | 'cache'> = { builder: await detectBuilder(docker), cache: request.cache }
  for (;;) {
    const { builder, cache } = attempt
    const warning = cacheWarning(cache, builder)
    if (warning) deps.logger.warning(warning)
    deps.logger.info(`Building ${imageReference(request)} with ${builderName(builder)}${cache === 'none' || warning ? '' : `, cache: ${cache}`}`)
    const metadataFile = builder.kind === 'buildx' ? path.join(deps.tempDir, `build-metadata-${randomUUID()}.json`) : undefined
    const env: Record<string, string> = builder.kind === 'docker' ? { DOCKER_BUILDKIT: builder.buildkit ? '1' : '0' } : {}
    const result = await docker.run(buildArgs({ ...request, cache }, builder, metadataFile), { env: { ...env, ...request.secretBuildArgs } })
    deps.logger.debug(`${result.stdout}\n${result.stderr}`)
    if (result.exitCode === 0) {
      const seconds = elapsedSeconds(started)
      deps.logger.info(`${builder.kind === 'buildx' ? 'Built and pushed' : 'Built'} in ${seconds} s`)
      return { builder, cache, digest: metadataFile && (await metadataDigest(metadataFile)), seconds }
    }
    if (metadataFile) await rm(metadataFile, { force: true })
    const fallback = buildFallback(builder, cache, `${result.stdout}\n${result.stderr}`)
    if (!fallback) throw buildFailure(request, builder, result)
    deps.logger.warning(fallback.warning)
    attempt = fallback
  }
}

/** `containerimage.digest` from buildx's metadata file. The docker driver may put the image ID there, so it is only a fallback. */
async function metadataDigest(metadataFile: string): Promise<string | undefined> {
  try {
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>
    const digest = metadata['containerimage.digest']
    return typeof digest === 'string' ? digest : undefined
  } catch {
    return undefined
  } finally {
    await rm(metadataFile, { force: true })
  }
}

function buildFailure(request: ImageBuildRequest, builder: Builder, result: { exitCode: number; stdout: string; stderr: string }): DeployError {
  const output = `${result.stdout}\n${result.stderr}`
  const reference = imageReference(request)
  // buildx pushes as part of the build: tell a failed push from a failed build.
  if (builder.kind === 'buildx' && /failed to push|push access denied/i.test(output)) {
    return new DeployError(`pushing ${reference} failed (${builderName(builder)} exited ${result.exitCode}):\n${outputTail(result)}`, pushHint(request, output))
  }
  return new DeployError(
    `building ${reference} with ${builderName(builder)} failed (exit code ${result.exitCode}):\n${outputTail(result)}`,
    `Fix the Dockerfile (${request.dockerfile}) or the build context (${request.context}); the lines above are the end of docker's output.`
  )
}

function pushHint(request: ImageBuildRequest, output: string): string {
  if (/unauthorized|denied|authentication required|\b40[13]\b/i.test(output)) {
    return `The deploy's identity may not push to ${request.registry}/${request.repository}: give it the AcrPush role on the registry (Azure Container Registry), or check the registry username and password.`
  }
  if (/no such host|connection refused|i\/o timeout|handshake timeout/i.test(output)) {
    return `${request.registry} is not reachable from the runner: check parts.backend.registry (the registry's login server, such as myregistry.azurecr.io).`
  }
  return `Check that ${request.registry} accepts pushes to ${request.repository}; the lines above are the end of docker's output.`
}

/** Pushes the commit tag (which must succeed) and the cache tag (which only speeds up the next build). */
async function push(request: ImageBuildRequest, tags: string[], docker: DockerCli, logger: Logger) {
  const started = performance.now()
  const [imageTag, ...cacheTags] = tags as [string, ...string[]]
  logger.info(`Pushing ${imageTag}`)
  const result = await docker.run(['push', imageTag])
  if (result.exitCode !== 0) {
    throw new DeployError(`pushing ${imageTag} failed (docker push exited ${result.exitCode}):\n${outputTail(result)}`, pushHint(request, `${result.stdout}\n${result.stderr}`))
  }
  for (const cacheTag of cacheTags) {
    const cachePush = await docker.run(['push', cacheTag])
    if (cachePush.exitCode !== 0) logger.warning(`Could not push the cache tag ${cacheTag}, so the next build starts without its cache:\n${outputTail(cachePush, 3)}`)
  }
  logger.info(`Pushed in ${elapsedSeconds(started)} s`)
  return { digest: digestOfPushOutput(result.stdout), seconds: elapsedSeconds(started) }
}

/** The registry's digest for the pushed tag; what docker reported only when the registry cannot be asked. */
async function pushedDigest(reference: string, registry: string, reported: string | undefined, docker: DockerCli, logger: Logger): Promise<string> {
  const lookup = await registryDigest(reference, registry, docker)
  if (lookup.state === 'found') {
    if (reported && reported !== lookup.digest) logger.debug(`docker reported ${reported}, the registry serves ${lookup.digest}: using the registry's`)
    return lookup.digest
  }
  if (reported) return reported
  throw new DeployError(
    `pushed ${reference}, but could not read its digest back from the registry (${lookup.state === 'unknown' ? lookup.reason : 'the tag is missing'}).`,
    `Check that ${registry} serves the tag it accepted: docker manifest inspect ${reference}`
  )
}
