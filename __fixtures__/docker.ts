/**
 * Real Docker for the tests: the engine, the local registry, and a docker CLI that builds
 * with BuildKit. `bash scripts/services/docker.sh` starts them (.ci/run does). Without
 * Docker a test skips, saying why — except under CI=true, where it fails.
 */
import { test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { detectDocker } from '../azure-standin/containers.mjs'

const run = promisify(execFile)

export const SETUP_HINT = 'run `bash scripts/services/docker.sh` first (it starts dockerd and the local registry; .ci/run does)'
export const REGISTRY = `127.0.0.1:${process.env.APD_REGISTRY_PORT ?? '5555'}`

export const docker = await detectDocker()

/** `test` where Docker answers (or in CI, where its absence must fail); `test.skip` elsewhere. */
export function dockerTestFor(suite: string) {
  if (!docker.available && process.env.CI !== 'true') console.log(`${suite} Docker tests skipped: no Docker engine here (${docker.reason}); ${SETUP_HINT}`)
  return docker.available || process.env.CI === 'true' ? test : test['skip']
}

export function requireDocker(): void {
  if (!docker.available) throw new Error(`CI needs Docker, and none answers: ${docker.reason}; ${SETUP_HINT}`)
}

export async function requireRegistry(): Promise<void> {
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) })
    if (response.ok) return
    throw new Error(`HTTP ${response.status}`)
  } catch (error) {
    throw new Error(`no registry answers GET http://${REGISTRY}/v2/ (${(error as Error).message}); ${SETUP_HINT}`)
  }
}

/**
 * The docker CLI that builds with BuildKit. A CLI 23+ does so only through the buildx plugin;
 * Debian's docker.io CLI (20.10) has BuildKit built in, so it is the fallback.
 */
export async function buildkitCli(): Promise<string> {
  for (const cli of ['docker', '/usr/bin/docker']) {
    try {
      const { stdout } = await run(cli, ['version', '--format', '{{.Client.Version}}'])
      if (Number(stdout.trim().split('.')[0]) < 23) return cli
      await run(cli, ['buildx', 'version'])
      return cli
    } catch {
      // Missing, or no buildx: try the next one.
    }
  }
  throw new Error('no docker CLI here builds with BuildKit: the first on PATH has no buildx plugin and /usr/bin/docker is not a CLI before 23')
}

/**
 * A one-file image made on this machine (`docker import` of a tar holding `file`), for tests
 * that push and pull without building: nothing is downloaded. Remove it with `docker rmi`.
 */
export async function importTinyImage(reference: string, content = `${reference}\n`): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'apd-tiny-image-'))
  try {
    await writeFile(path.join(directory, 'file'), content)
    await run('tar', ['-cf', path.join(directory, 'image.tar'), '-C', directory, 'file'])
    await run('docker', ['import', path.join(directory, 'image.tar'), reference])
    return reference
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}
