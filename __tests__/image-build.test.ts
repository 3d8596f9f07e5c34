/**
 * buildAndPushImage with the real Docker engine and the real local registry: the example
 * backend is built, pushed, labelled and pinned by digest; a second run for the same commit
 * reuses it without building; failures name their phase.
 *
 * Needs `bash scripts/services/docker.sh` to have run (dockerd and a registry on
 * 127.0.0.1:${APD_REGISTRY_PORT:-5555}). Without Docker the Docker tests skip, saying why,
 * except under CI=true, where they fail.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '../azure-standin/containers.mjs'
import { buildAndPushImage, buildFallback, type ImageBuildDeps } from '../src/backend/image-build.js'
import type { Builder, ImageBuildRequest } from '../src/backend/docker-args.js'
import { loginToRegistry, type RegistrySession } from '../src/backend/registry-login.js'
import { createCommandRunner, type CommandRunner } from '../src/command-runner.js'
import { DeployError } from '../src/errors.js'
import { recordingLogger } from '../__fixtures__/logger.js'
import { recordingRunner } from '../__fixtures__/command-runner.js'
import { docker, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'

const run = promisify(execFile)

const BACKEND = fileURLToPath(new URL('../__fixtures__/estate-legacy/backend/', import.meta.url))
const SOURCE_URL = 'https://github.com/octo-org/estate'
const MANIFEST_TYPES = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'

const dockerTest = dockerTestFor('image-build')

/** A second CLI that builds with BuildKit (Debian's 20.10 here, whose BuildKit needs no plugin). */
const BUILDKIT_CLI = '/usr/bin/docker'
const buildkitCliReason = await buildkitCliUnusable()
if (docker.available && buildkitCliReason) console.log(`image-build BuildKit test skipped: ${buildkitCliReason}`)
const buildkitTest = docker.available && !buildkitCliReason ? test : test['skip']

async function buildkitCliUnusable(): Promise<string | undefined> {
  try {
    const { stdout } = await run(BUILDKIT_CLI, ['version', '--format', '{{.Client.Version}}'])
    if (Number(stdout.trim().split('.')[0]) < 23) return undefined
    await run(BUILDKIT_CLI, ['buildx', 'version'])
    return undefined
  } catch (error) {
    return `${BUILDKIT_CLI} cannot build with BuildKit (${(error as Error).message.split('\n')[0]})`
  }
}

async function requireDockerAndRegistry() {
  requireDocker()
  await requireRegistry()
}

async function registryGet(path: string, accept?: string): Promise<Response> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}`, { headers: accept ? { Accept: accept } : {} })
  if (!response.ok) throw new Error(`GET /v2/${path}: HTTP ${response.status}`)
  return response
}

/** The image config the registry serves for a tag, and the digest it serves it under. */
async function imageInRegistry(repository: string, tag: string) {
  const response = await registryGet(`${repository}/manifests/${tag}`, MANIFEST_TYPES)
  const manifest = (await response.json()) as { config: { digest: string } }
  const config = (await (await registryGet(`${repository}/blobs/${manifest.config.digest}`)).json()) as { config: { Labels?: Record<string, string>; Env?: string[] } }
  return { digest: response.headers.get('docker-content-digest'), labels: config.config.Labels ?? {}, env: config.config.Env ?? [] }
}

async function deleteFromRegistry(repository: string, tag: string) {
  const head = await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_TYPES } })
  const digest = head.headers.get('docker-content-digest')
  if (digest) await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' })
}

/** The real runner, with `docker` meaning another CLI. */
function runnerWithDocker(cli: string): CommandRunner {
  const real = createCommandRunner()
  return { run: (tool, args, options) => real.run(tool === 'docker' ? cli : tool, args, options) }
}

const isBuild = (args: readonly string[]) => args[0] === 'build' || (args[0] === 'buildx' && args[1] === 'build')

describe('buildFallback', () => {
  const BUILDKIT: Builder = { kind: 'docker', buildkit: true }
  const BUILDX: Builder = { kind: 'buildx' }
  const NO_BUILDX = 'ERROR: BuildKit is enabled but the buildx component is missing or broken.\n       Install the buildx component to build images with BuildKit:'
  const NO_CACHE_EXPORT = 'ERROR: failed to build: Cache export is not supported for the docker driver.\nSwitch to a different driver, or turn on the containerd image store, and try again.'

  test.each<[string, Builder, ImageBuildRequest['cache'], string, { builder: Builder; cache: string } | undefined]>([
    ['BuildKit without buildx → classic builder', BUILDKIT, 'registry', NO_BUILDX, { builder: { kind: 'docker', buildkit: false }, cache: 'registry' }],
    ['classic builder failing → nothing more to try', { kind: 'docker', buildkit: false }, 'none', NO_BUILDX, undefined],
    ['buildx docker driver, registry cache → inline cache', BUILDX, 'registry', NO_CACHE_EXPORT, { builder: BUILDX, cache: 'inline' }],
    ['buildx docker driver, gha cache → no cache', BUILDX, 'gha', NO_CACHE_EXPORT, { builder: BUILDX, cache: 'none' }],
    ['buildx, inline cache failing → nothing more to try', BUILDX, 'inline', NO_CACHE_EXPORT, undefined],
    ['a Dockerfile error → nothing to try', BUILDKIT, 'registry', 'COPY failed: file not found in build context', undefined]
  ])('%s', (_name, builder, cache, output, expected) => {
    const fallback = buildFallback(builder, cache, output)
    if (!expected) return expect(fallback).toBeUndefined()
    expect({ builder: fallback?.builder, cache: fallback?.cache }).toEqual(expected)
    expect(fallback?.warning).toBeTruthy()
  })
})

describe('buildAndPushImage (real Docker, local registry)', () => {
  const repository = `apd-test/image-build-${randomBytes(3).toString('hex')}`
  const commit = randomBytes(20).toString('hex')
  const reference = `${REGISTRY}/${repository}:${commit}`
  const scratch: string[] = []
  let workdir: string
  let session: RegistrySession | undefined

  const request = (overrides: Partial<ImageBuildRequest> = {}): ImageBuildRequest => ({
    registry: REGISTRY,
    repository,
    commit,
    context: workdir,
    dockerfile: join(workdir, 'Dockerfile'),
    buildArgs: {},
    versionBuildArg: 'APP_VERSION',
    cache: 'registry',
    sourceUrl: SOURCE_URL,
    createdAt: new Date('2026-03-04T05:06:07Z'),
    ...overrides
  })

  const deps = (runner: CommandRunner, logger = recordingLogger()): ImageBuildDeps => ({ runner, logger, env: session?.dockerEnv ?? {}, tempDir: scratch[0]! })

  beforeAll(async () => {
    scratch.push(await mkdtemp(join(tmpdir(), 'apd-image-build-temp-')))
    workdir = await mkdtemp(join(tmpdir(), 'apd-image-build-'))
    scratch.push(workdir)
    for (const file of ['Dockerfile', 'server.c', 'build-server.sh']) await copyFile(join(BACKEND, file), join(workdir, file))
    if (!docker.available) return
    await run('sh', [join(workdir, 'build-server.sh')])
    session = await loginToRegistry(REGISTRY, {}, { runner: createCommandRunner(), logger: recordingLogger(), env: process.env, tempDir: scratch[0]!, setSecret: () => undefined, fetch })
  }, 60_000)

  afterAll(async () => {
    if (docker.available) {
      for (const tag of [commit, 'buildcache', `${commit.slice(0, 8)}-buildkit`]) {
        await deleteFromRegistry(repository, tag).catch(() => undefined)
        await run('docker', ['rmi', '-f', `${REGISTRY}/${repository}:${tag}`]).catch(() => undefined)
      }
    }
    await session?.cleanup()
    await Promise.all(scratch.map(dir => rm(dir, { recursive: true, force: true })))
  })

  dockerTest('builds the example backend, pushes it with the OCI labels and the commit as APP_VERSION, and pins it by the registry digest', async () => {
    await requireDockerAndRegistry()
    const logger = recordingLogger()
    const runner = recordingRunner(call => createCommandRunner().run(call.tool, call.args, call.options))
    const started = performance.now()
    const image = await buildAndPushImage(request(), deps(runner, logger))
    console.log(`first build with ${image.builder}: build ${image.seconds.build} s, push ${image.seconds.push} s, total ${Math.round(performance.now() - started)} ms`)

    const inRegistry = await imageInRegistry(repository, commit)
    expect(image).toEqual({ reference, digest: inRegistry.digest, pinned: `${reference}@${inRegistry.digest}`, reused: false, builder: expect.any(String), seconds: { build: expect.any(Number), push: expect.any(Number) } })
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(inRegistry.labels).toMatchObject({
      'org.opencontainers.image.revision': commit,
      'org.opencontainers.image.source': SOURCE_URL,
      'org.opencontainers.image.created': '2026-03-04T05:06:07.000Z'
    })
    expect(inRegistry.env).toContain(`APP_VERSION=${commit}`)
    // Every docker command ran with the deploy's private Docker config.
    expect(runner.calls.every(call => call.options.env?.DOCKER_CONFIG === session!.dockerEnv.DOCKER_CONFIG)).toBe(true)
    expect(runner.calls.filter(call => isBuild(call.args)).length).toBeGreaterThan(0)
    expect(logger.messages('info').join('\n')).toMatch(/Building .* with docker/)
  }, 180_000)

  dockerTest('a second run for the same commit reuses the pushed image: same digest, nothing built or pushed', async () => {
    await requireDockerAndRegistry()
    const logger = recordingLogger()
    const runner = recordingRunner(call => createCommandRunner().run(call.tool, call.args, call.options))
    const first = await imageInRegistry(repository, commit)
    const image = await buildAndPushImage(request({ createdAt: new Date() }), deps(runner, logger))
    expect(image).toEqual({ reference, digest: first.digest, pinned: `${reference}@${first.digest}`, reused: true, seconds: { build: 0, push: 0 } })
    expect(runner.calls.map(call => call.args.slice(0, 2))).toEqual([['manifest', 'inspect']])
    expect(logger.messages('info')).toContainEqual(expect.stringMatching(/already in the registry .*not building it again/))
  }, 60_000)

  buildkitTest('with a CLI that builds with BuildKit, a registry cache also leaves the :buildcache tag', async () => {
    await requireDockerAndRegistry()
    const logger = recordingLogger()
    const tag = `${commit.slice(0, 8)}-buildkit`
    const image = await buildAndPushImage(request({ commit: tag, versionBuildArg: 'APP_VERSION' }), deps(runnerWithDocker(BUILDKIT_CLI), logger))
    console.log(`BuildKit build with ${image.builder}: build ${image.seconds.build} s, push ${image.seconds.push} s`)
    expect(image.builder).not.toMatch(/classic/)
    expect(image.digest).toBe((await imageInRegistry(repository, tag)).digest)
    expect((await imageInRegistry(repository, 'buildcache')).digest).toMatch(/^sha256:/)
    expect(logger.messages('warning')).toEqual([])
  }, 180_000)

  dockerTest('a Dockerfile that cannot build → DeployError for the build phase, with docker output', async () => {
    await requireDockerAndRegistry()
    const broken = join(workdir, 'Dockerfile.broken')
    await writeFile(broken, 'FROM scratch\nCOPY does-not-exist /x\n')
    const failed = buildAndPushImage(request({ commit: randomBytes(20).toString('hex'), dockerfile: broken }), deps(createCommandRunner()))
    await expect(failed).rejects.toThrow(DeployError)
    await expect(failed).rejects.toThrow(/^building .* failed .*\n[\s\S]*does-not-exist/)
    await expect(failed).rejects.toMatchObject({ hint: expect.stringContaining('Dockerfile.broken') })
  }, 120_000)

  dockerTest('a registry nobody answers on → DeployError for the push phase', async () => {
    await requireDockerAndRegistry()
    const closedRegistry = `127.0.0.1:${await freePort()}`
    const logger = recordingLogger()
    const failed = buildAndPushImage(request({ registry: closedRegistry, cache: 'none' }), deps(createCommandRunner(), logger))
    await expect(failed).rejects.toThrow(new RegExp(`^pushing ${closedRegistry.replaceAll('.', '\\.')}/.* failed`))
    await expect(failed).rejects.toMatchObject({ hint: expect.stringMatching(/not reachable/) })
    expect(logger.messages('warning').join('\n')).toMatch(/Could not check whether .* is already in the registry/)
    await run('docker', ['rmi', '-f', `${closedRegistry}/${repository}:${commit}`]).catch(() => undefined)
  }, 120_000)

  test('no Dockerfile → DeployError naming it, before docker runs', async () => {
    const runner = recordingRunner(() => {
      throw new Error('docker must not run')
    })
    const missing = join(workdir, 'nope', 'Dockerfile')
    const failed = buildAndPushImage(request({ dockerfile: missing }), deps(runner))
    await expect(failed).rejects.toThrow(DeployError)
    await expect(failed).rejects.toThrow(`the backend's Dockerfile ${missing} does not exist.`)
    await expect(failed).rejects.toMatchObject({ hint: expect.stringContaining('parts.backend.file') })
    expect(runner.calls).toEqual([])
  })

  test('no build context → DeployError naming it', async () => {
    const failed = buildAndPushImage(request({ context: join(workdir, 'nope') }), deps(recordingRunner(() => ({ exitCode: 1, stdout: '', stderr: '' }))))
    await expect(failed).rejects.toThrow(/build context .*nope is not a directory/)
    await expect(failed).rejects.toMatchObject({ hint: expect.stringContaining('parts.backend.context') })
  })

  test('a bad build arg name → DeployError before docker runs', async () => {
    const runner = recordingRunner(() => ({ exitCode: 1, stdout: '', stderr: '' }))
    await expect(buildAndPushImage(request({ buildArgs: { 'BAD-NAME': 'x' } }), deps(runner))).rejects.toThrow(/"BAD-NAME" is not a variable name/)
    expect(runner.calls).toEqual([])
  })
})
