/**
 * The stand-in's container host on the real Docker engine and a real local registry: the
 * example backend is built with BuildKit, pushed, removed locally, then pulled and run by
 * createContainerHost(), and its /healthz must report the version it was built from.
 *
 * Needs `bash scripts/services/docker.sh` to have run (dockerd and a registry on
 * 127.0.0.1:${APD_REGISTRY_PORT:-5555}); .ci/run does. Without Docker the tests skip, saying
 * why, except under CI=true, where they fail.
 */
import { afterAll, describe, expect } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createContainerHost } from '../azure-standin/containers.mjs'
import { buildkitCli, docker, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'

const run = promisify(execFile)

const BACKEND = fileURLToPath(new URL('../__fixtures__/estate-legacy/backend/', import.meta.url))
const dockerTest = dockerTestFor('containers')

/** The example backend built into a FROM scratch image, built in a temp dir, never in the repo. */
async function buildBackendImage(image: string, version: string, workdir: string) {
  for (const file of ['Dockerfile', 'server.c', 'build-server.sh']) await copyFile(join(BACKEND, file), join(workdir, file))
  await run('sh', [join(workdir, 'build-server.sh')])
  const cli = await buildkitCli()
  await run(cli, ['build', '--build-arg', `APP_VERSION=${version}`, '-t', image, workdir], {
    env: { ...process.env, DOCKER_BUILDKIT: '1' }
  })
}

/** Deletes a tag's manifest from the registry (which runs with delete enabled); best effort. */
async function deleteFromRegistry(repository: string, tag: string) {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
  const manifest = `http://${REGISTRY}/v2/${repository}/manifests`
  const head = await fetch(`${manifest}/${tag}`, { method: 'HEAD', headers: { Accept: accept } })
  const digest = head.headers.get('docker-content-digest')
  if (digest) await fetch(`${manifest}/${digest}`, { method: 'DELETE' })
}

/** Polls url until it answers 200 with X-App-Version equal to version. */
async function waitForVersion(url: string, version: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      const body = await response.text()
      last = `HTTP ${response.status}, X-App-Version ${response.headers.get('x-app-version')}: ${body}`
      if (response.status === 200 && response.headers.get('x-app-version') === version) return JSON.parse(body) as unknown
    } catch (error) {
      last = (error as Error).message
    }
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  throw new Error(`${url} did not report version ${version} within ${timeoutMs} ms; last: ${last}`)
}

async function containerExists(id: string) {
  const { stdout } = await run('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`])
  return stdout.trim() !== ''
}

describe('container host (real Docker, local registry)', () => {
  const host = createContainerHost({ namePrefix: 'apd-test' })
  const sha = randomBytes(20).toString('hex')
  const image = `${REGISTRY}/estate/api:${sha}`
  const workdirs: string[] = []

  afterAll(async () => {
    if (!docker.available) return
    await host.stopAll()
    await run('docker', ['rmi', '-f', image]).catch(() => undefined)
    await deleteFromRegistry('estate/api', sha).catch(() => undefined)
    await Promise.all(workdirs.map(dir => rm(dir, { recursive: true, force: true })))
  })

  dockerTest('pulls a pushed image, runs it on a free port, and /healthz reports the commit it was built from', async () => {
    requireDocker()
    await requireRegistry()
    const workdir = await mkdtemp(join(tmpdir(), 'apd-backend-'))
    workdirs.push(workdir)
    await buildBackendImage(image, sha, workdir)
    await run('docker', ['push', image])
    // Gone locally, so start() has to pull it from the registry.
    await run('docker', ['rmi', image])

    const container = await host.start({ image, name: 'estate-api', env: { WEBSITES_PORT: 'ignored', PORT: '1' } })
    expect(container.url).toBe(`http://127.0.0.1:${container.port}`)
    expect(await waitForVersion(`${container.url}/healthz`, sha)).toEqual({ status: 'ok', version: sha })
    await run('docker', ['image', 'inspect', image])

    await container.stop()
    expect(await containerExists(container.id)).toBe(false)
    await container.stop()
  }, 180_000)

  dockerTest('an image that does not exist: start() rejects naming the image', async () => {
    requireDocker()
    await requireRegistry()
    const missing = `${REGISTRY}/estate/does-not-exist:${sha}`
    const started = host.start({ image: missing })
    await expect(started).rejects.toThrow(missing)
    await expect(started).rejects.toThrow(/manifest unknown|not found/i)
  }, 60_000)
})
