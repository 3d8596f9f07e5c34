/**
 * What an end-to-end test of a whole deploy runs against: the Azure stand-in (Entra ID, ARM,
 * GitHub's OIDC and deployments API; Web Apps on real Docker containers when asked), a real
 * Azurite over HTTPS that accepts the stand-in's bearer tokens, and the recording storage
 * proxy in front of it (the blob endpoint the configs name). The test reads the storage as an
 * app of its own (a client secret), never through what the action says it did.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { BlobServiceClient } from '@azure/storage-blob'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { createTlsMaterial } from '../azure-standin/https-server.mjs'
import { AZURITE_ACCOUNT_KEY, startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { RUNNER_TOKEN, scanForSecrets, type ActionRun } from '../scripts/lib/action-runner.mjs'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { startStorageFaultProxy, type StorageFaultProxy } from './storage-fault-proxy.js'

export type Standin = Awaited<ReturnType<typeof startAzureStandin>>

export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const OIDC_CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const ADMIN_CLIENT = '4d5e6f70-8192-4aab-9c0d-3e4f5a6b7c8d'
const ADMIN_SECRET = 'inspector~Secret.0123456789'

export interface Services {
  standin: Standin
  azurite: Azurite
  proxy: StorageFaultProxy
  /** The storage as the test reads it. */
  admin: BlobServiceClient
  /** The stand-in's CA and the storage's, for NODE_EXTRA_CA_CERTS. */
  caBundle: string
  /** What a job's step gets to sign in and record deployments: the runner's OIDC variables, the CAs, the stand-in's GitHub API. */
  runnerEnv(): Record<string, string>
  /** The inputs every run passes: client, tenant and subscription. */
  signIn: Record<string, string>
  stop(): Promise<void>
}

/**
 * Start the stand-in (`containers: 'auto'` runs Web Apps on Docker), Azurite and the proxy;
 * every token the stand-in issues, the Azurite key and the test's own secret are scanned for in
 * every run's output from then on.
 */
export async function startServices(options: { containers: 'auto' | 'none'; onExchange: NonNullable<Parameters<typeof startAzureStandin>[0]>['onExchange'] }): Promise<Services> {
  const standin = await startAzureStandin({ containers: options.containers, onExchange: options.onExchange })
  scanForSecrets(() => [...standin.issuedTokens(), ADMIN_SECRET, AZURITE_ACCOUNT_KEY])
  standin.registerApplication({ clientId: OIDC_CLIENT, federatedCredentials: [{ subject: 'repo:octo-org/estate:ref:refs/heads/main' }] })
  standin.registerApplication({ clientId: ADMIN_CLIENT, clientSecret: ADMIN_SECRET })
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })

  const storageTls = await createTlsMaterial()
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, storageTls.caCertPem])
  const scratch = mkdtempSync(path.join(tmpdir(), 'apd-e2e-services-'))
  const caBundle = path.join(scratch, 'ca-bundle.pem')
  writeFileSync(caBundle, `${standin.caCertPem.trim()}\n${storageTls.caCertPem.trim()}\n`)
  const azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
  const proxy = await startStorageFaultProxy({ upstreamPort: azurite.port, upstreamCa: storageTls.caCertPem, cert: storageTls.cert, key: storageTls.key })

  const cloud = resolveCloud(standin.cloudSetting)
  const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: ADMIN_CLIENT, clientSecret: ADMIN_SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
  const admin = new BlobServiceClient(azurite.blobEndpoint, credential)

  return {
    standin,
    azurite,
    proxy,
    admin,
    caBundle,
    runnerEnv: () => ({
      NODE_EXTRA_CA_CERTS: caBundle,
      ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken,
      GITHUB_API_URL: standin.github.apiUrl
    }),
    signIn: { 'client-id': OIDC_CLIENT, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION },
    async stop() {
      await proxy.close()
      await azurite.stop()
      await standin.close()
      rmSync(scratch, { recursive: true, force: true })
    }
  }
}

/** Log lines of a run (workflow commands included, masks left out); the ::error:: message decoded. */
export function linesOf(run: Pick<ActionRun, 'stdout' | 'stderr'>): { lines: string[]; error: string } {
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter(line => !line.startsWith('::add-mask::'))
  const errorLine = lines.find(line => line.startsWith('::error::')) ?? ''
  return { lines, error: errorLine.slice('::error::'.length).replaceAll('%0A', '\n').replaceAll('%0D', '\r').replaceAll('%25', '%') }
}

/** The `parts` output, parsed (an empty object when the run wrote none). */
export function partsOf(run: Pick<ActionRun, 'outputs'>): Record<string, { kind: string; result: string; why?: string; live?: string; purged?: string[]; uploaded?: number; changed: boolean; reason: string }> {
  return run.outputs.parts ? (JSON.parse(run.outputs.parts) as ReturnType<typeof partsOf>) : {}
}

/** Each GitHub deployment of `environment` for `sha`, as the list of its statuses' states. */
export function deploymentStates(standin: Standin, environment: string, sha: string): string[][] {
  return standin.github
    .deployments()
    .filter(deployment => deployment.environment === environment && deployment.sha === sha)
    .map(deployment => deployment.statuses.map(status => status.state))
}

/** The private Docker configs a run left in the job's RUNNER_TEMP (where registry credentials go). */
export function dockerConfigsIn(runnerTemp: string): string[] {
  return readdirSync(runnerTemp).filter(name => name.startsWith('docker-config-'))
}

/** Whether the registry holds that tag (GET of its manifest, as `docker manifest inspect` asks). */
export async function registryHasTag(registry: string, repository: string, tag: string): Promise<boolean> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' }
  })
  return response.ok
}

const run = promisify(execFile)

/** Build the example backend's static server in a checkout, as the workflow's step before the action does. */
export async function buildBackendServer(workspace: string): Promise<void> {
  await run('sh', [path.join(workspace, 'backend', 'build-server.sh')])
}

/** Polls `condition` every 100 ms; fails naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}
