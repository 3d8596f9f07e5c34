// What the demo runs the action against, started where the machine can run it: Docker and
// the local registry (for the backend), Azurite (for the frontend), and the Azure stand-in
// (always). Each preparer answers with what it started, or `{ reason }` why that part of
// the demo is skipped.
/* global fetch, AbortSignal */
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { createTlsMaterial } from '../../azure-standin/https-server.mjs'
import { startAzureStandin } from '../../azure-standin/index.mjs'
import { RUNNER_TOKEN } from '../lib/action-runner.mjs'
import { repoRoot } from '../lib/action-runner.mjs'
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, AZURITE_MAIN, startAzurite } from '../lib/azurite.mjs'
import { REPOSITORY } from './runner.mjs'

export const execFileAsync = promisify(execFile)

/** The local registry `bash scripts/services/docker.sh` runs (plain HTTP on loopback, no login). */
export const REGISTRY = `127.0.0.1:${process.env.APD_REGISTRY_PORT || '5555'}`

/** Why a child process failed, in one line: its last stderr line, else its message. */
export function why(error) {
  if (error?.code === 'ENOENT') return `${error.path ?? 'the command'} is not installed`
  if (error?.killed) return 'timed out'
  const line = String(error?.stderr ?? '').trim().split('\n').filter(Boolean).at(-1)
  return line || (error instanceof Error ? error.message.split('\n')[0] : String(error))
}

/** Whether the Docker engine and the local registry answer; `problem` says which does not. */
async function checkDocker() {
  let engine
  try {
    engine = (await execFileAsync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 })).stdout.trim()
  } catch (error) {
    // The CLI's "…: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.50/info": dial unix …" adds nothing.
    return { problem: `no Docker engine (docker info: ${why(error).replace(/: Get "[^"]*":.*$/, '')})` }
  }
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) })
    if (!response.ok) return { engine, problem: `no local registry (GET http://${REGISTRY}/v2/ answers HTTP ${response.status})` }
  } catch (error) {
    return { engine, problem: `no local registry (nothing answers GET http://${REGISTRY}/v2/: ${error?.cause?.code ?? error?.message ?? error})` }
  }
  return { engine }
}

/**
 * `bash scripts/services/docker.sh` (argv, no shell string). Its state goes to the system's
 * temp folder, not the demo's: the engine and the registry it starts outlive the demo.
 */
function runDockerScript(systemTmp) {
  return new Promise(resolve => {
    const child = spawn('bash', [path.join(repoRoot, 'scripts', 'services', 'docker.sh')], { env: { ...process.env, TMPDIR: systemTmp }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', chunk => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', chunk => (output += chunk))
    child.on('error', error => resolve({ code: -1, lines: [why(error)] }))
    child.on('close', code => resolve({ code: code ?? -1, lines: output.split('\n').map(line => line.trim()).filter(Boolean) }))
  })
}

/**
 * The docker CLI that builds with BuildKit (the action gets it first on PATH): a CLI 23+
 * does so only through the buildx plugin; Debian's docker.io CLI (20.10) has it built in.
 * Without one, the action and the demo use the classic builder.
 */
async function buildkitCli() {
  for (const cli of ['docker', '/usr/bin/docker']) {
    try {
      const version = (await execFileAsync(cli, ['version', '--format', '{{.Client.Version}}'], { timeout: 10_000 })).stdout.trim()
      if (Number(version.split('.')[0]) >= 23) await execFileAsync(cli, ['buildx', 'version'], { timeout: 10_000 })
      const resolved = cli.includes('/') ? cli : (await execFileAsync('sh', ['-c', 'command -v docker'])).stdout.trim()
      return { path: resolved, version, buildkit: true }
    } catch {
      // Missing, or no buildx: try the next one.
    }
  }
  return { path: 'docker', version: '?', buildkit: false }
}

/**
 * Docker, the local registry and a C compiler, which the backend deploy needs:
 * `{ engine, cli, started }` or `{ reason }`. Runs docker.sh when the engine or the registry
 * does not answer (`started`: what it said it started).
 */
export async function prepareDocker(systemTmp) {
  let services = await checkDocker()
  let started
  if (services.problem) {
    const script = await runDockerScript(systemTmp)
    services = await checkDocker()
    if (services.problem) {
      const said = script.lines.at(-1)?.replace(/^docker\.sh: /, '')
      return { reason: script.code === 0 || !said ? services.problem : `${services.problem.replace(/ \(.*$/, '')} (${said})` }
    }
    started = script.lines.filter(line => /^(docker|registry): started/.test(line)).map(line => line.replace(/ \(.*$/, ''))
  }
  try {
    await execFileAsync(process.env.CC || 'gcc', ['--version'], { timeout: 10_000 })
  } catch (error) {
    return { reason: `no C compiler for backend/build-server.sh (${why(error)}; Debian: apt-get install gcc libc6-dev)` }
  }
  return { engine: services.engine, cli: await buildkitCli(), started: started ?? [] }
}

/**
 * Azurite, over HTTPS with a CA of its own and `--oauth basic`, which the frontend deploy
 * needs: `{ azurite, caCertPem, admin }` or `{ reason }`. `admin` reads the storage with the
 * account key.
 */
export async function prepareStorage() {
  if (!existsSync(AZURITE_MAIN)) return { reason: `Azurite is not installed (${path.relative(repoRoot, AZURITE_MAIN)} is missing: run npm ci)` }
  try {
    const tlsMaterial = await createTlsMaterial()
    const azurite = await startAzurite({ https: { cert: tlsMaterial.cert, key: tlsMaterial.key }, oauth: true })
    // The demo reads the storage with the account's well-known key, as its owner would in the
    // portal; the action itself signs in with bearer tokens from the stand-in's Entra ID.
    const admin = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY), { retryOptions: { maxTries: 2 } })
    return { azurite, caCertPem: tlsMaterial.caCertPem, admin }
  } catch (error) {
    return { reason: `Azurite did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` }
  }
}

/**
 * The loopback Azure stand-in: Entra ID, GitHub OIDC, Resource Manager, and GitHub's
 * deployments API, which accepts the job's GITHUB_TOKEN with `deployments: write`. Its Web
 * Apps run real containers when the backend can be deployed, simulated ones otherwise (the
 * estate's image would not be in any registry an engine here could pull from).
 */
export async function startStandin({ docker }) {
  const standin = await startAzureStandin({ containers: docker.reason ? 'none' : 'auto', repository: REPOSITORY })
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  return standin
}
