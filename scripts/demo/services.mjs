// What the demo runs the action against, started where the machine can run it: Docker and
// the local registry, the Debian base image and Postgres (for the API and its worker),
// Azurite (for the site), and the Azure stand-in (always). Each preparer answers with what
// it started, or `{ reason }` why that part of the demo is skipped.
/* global fetch, AbortSignal */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { createTlsMaterial } from '../../azure-standin/https-server.mjs'
import { startAzureStandin } from '../../azure-standin/index.mjs'
import { RUNNER_TOKEN } from '../lib/action-runner.mjs'
import { repoRoot } from '../lib/action-runner.mjs'
import { AZURITE_ACCOUNT_KEY, AZURITE_MAIN, startAzurite } from '../lib/azurite.mjs'
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
 * `bash scripts/services/<script> [args]` (argv, no shell string): its exit code, its stdout
 * (what it prints for the caller) and its log lines (stderr). Its state goes to the system's
 * temp folder, not the demo's: what it starts outlives the demo, to be reused next time.
 */
function runServiceScript(script, args, systemTmp) {
  return new Promise(resolve => {
    const child = spawn('bash', [path.join(repoRoot, 'scripts', 'services', script), ...args], { env: { ...process.env, TMPDIR: systemTmp }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk))
    child.on('error', error => resolve({ code: -1, stdout: '', lines: [why(error)] }))
    child.on('close', code => resolve({ code: code ?? -1, stdout: stdout.trim(), lines: `${stdout}\n${stderr}`.split('\n').map(line => line.trim()).filter(Boolean) }))
  })
}

/** What a service script said last, as the reason it failed. */
const lastWords = (result, script) => result.lines.at(-1)?.replace(new RegExp(`^${script.replace('.', '\\.')}: `), '') ?? `exit ${result.code}`

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
 * Docker and the local registry, which the image parts need: `{ engine, cli, started }` or
 * `{ reason }`. Runs docker.sh when the engine or the registry does not answer (`started`:
 * what it said it started).
 */
export async function prepareDocker(systemTmp) {
  let services = await checkDocker()
  let started
  if (services.problem) {
    const script = await runServiceScript('docker.sh', [], systemTmp)
    services = await checkDocker()
    if (services.problem) {
      const said = lastWords(script, 'docker.sh')
      return { reason: script.code === 0 ? services.problem : `${services.problem.replace(/ \(.*$/, '')} (${said})` }
    }
    started = script.lines.filter(line => /^(docker|registry): started/.test(line)).map(line => line.replace(/ \(.*$/, ''))
  }
  return { engine: services.engine, cli: await buildkitCli(), started: started ?? [] }
}

/**
 * The Debian base image the API's Dockerfile starts FROM (scripts/services/base-image.sh):
 * `{ image, built, seconds }` or `{ reason }`. Built from Debian's archive the first time (a
 * few minutes, as root), reused after that.
 */
export async function prepareBaseImage(systemTmp) {
  const started = Date.now()
  const result = await runServiceScript('base-image.sh', [], systemTmp)
  if (result.code !== 0 || !result.stdout) return { reason: `the Debian base image could not be built (${lastWords(result, 'base-image.sh')})` }
  return { image: result.stdout.split('\n').at(-1), built: result.lines.some(line => /^base-image: built /.test(line)), seconds: (Date.now() - started) / 1000 }
}

/**
 * Postgres (scripts/services/postgres.sh) with a database of the demo's own per environment:
 * `{ urls: { [environment]: loopback URL }, databases, dropAll }` or `{ reason }`. The server
 * outlives the demo; `dropAll()` drops the databases it made.
 */
export async function preparePostgres(systemTmp, environments) {
  const suffix = randomBytes(3).toString('hex')
  const urls = {}
  const databases = []
  for (const environment of environments) {
    const database = `demo_${environment}_${suffix}`
    const result = await runServiceScript('postgres.sh', [database], systemTmp)
    if (result.code !== 0 || !result.stdout.startsWith('postgres://')) return { reason: `no Postgres (${lastWords(result, 'postgres.sh')})`, databases, dropAll: () => dropDatabases(urls) }
    urls[environment] = result.stdout.split('\n').at(-1)
    databases.push(database)
  }
  return { urls, databases, dropAll: () => dropDatabases(urls) }
}

async function dropDatabases(urls) {
  for (const url of Object.values(urls)) {
    const database = new URL(url).pathname.slice(1)
    await execFileAsync('psql', ['-X', '-q', '-d', url.replace(/\/[^/]+$/, '/postgres'), '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`], { timeout: 30_000 })
  }
}

/**
 * Where the runner, the Web Apps and the container groups all reach the database: the
 * stand-in bridge's gateway (the Web Apps run on that bridge; the host owns the address), or
 * loopback when the stand-in runs its containers on the host network.
 */
export function databaseUrlFor(standin, loopbackUrl) {
  const { gateway } = standin.containers
  return gateway ? loopbackUrl.replace('@127.0.0.1:', `@${gateway}:`) : loopbackUrl
}

/**
 * Azurite, over HTTPS with a CA of its own and `--oauth basic`, serving the estate's storage
 * accounts, which the site part needs: `{ azurite, caCertPem, admin(account) }` or
 * `{ reason }`. `admin` reads an account with its key.
 */
export async function prepareStorage(accounts) {
  if (!existsSync(AZURITE_MAIN)) return { reason: `Azurite is not installed (${path.relative(repoRoot, AZURITE_MAIN)} is missing: run npm ci)` }
  try {
    const tlsMaterial = await createTlsMaterial()
    const azurite = await startAzurite({ https: { cert: tlsMaterial.cert, key: tlsMaterial.key }, oauth: true, accounts })
    // The demo reads the storage with the account's key, as its owner would in the portal;
    // the action itself signs in with bearer tokens from the stand-in's Entra ID.
    const admin = account => new BlobServiceClient(azurite.endpointOf(account), new StorageSharedKeyCredential(account, AZURITE_ACCOUNT_KEY), { retryOptions: { maxTries: 2 } })
    return { azurite, caCertPem: tlsMaterial.caCertPem, admin }
  } catch (error) {
    return { reason: `Azurite did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` }
  }
}

/**
 * The loopback Azure stand-in: Entra ID, GitHub OIDC, Resource Manager, and GitHub's
 * deployments API, which accepts the job's GITHUB_TOKEN with `deployments: write`. Its Web
 * Apps run real containers when the image parts can be deployed, simulated ones otherwise.
 */
export async function startStandin({ docker }) {
  const standin = await startAzureStandin({ containers: docker.reason ? 'none' : 'auto', repository: REPOSITORY })
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  return standin
}
