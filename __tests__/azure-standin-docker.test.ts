/**
 * The stand-in's App Service and Container Instances on the real Docker engine and the local
 * registry: each Web App container in a network namespace of its own, listening where App
 * Service forwards (WEBSITES_PORT, else 80), started with appCommandLine as its arguments; a
 * restart pulling a mutable tag again; a container group running its command once on the host
 * network. Needs `bash scripts/services/docker.sh`; skips without Docker except under CI=true.
 */
import { afterAll, beforeAll, describe, expect } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ClientSecretCredential } from '@azure/identity'
import { WebSiteManagementClient } from '@azure/arm-appservice'
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { buildkitCli, docker, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'

const run = promisify(execFile)
const dockerTest = dockerTestFor('azure-standin-docker')

const BACKEND = fileURLToPath(new URL('../__fixtures__/estate-legacy/backend/', import.meta.url))
const SUBSCRIPTION = '8d4b3f0e-5a6c-4b7d-8e9f-1a2b3c4d5e6f'
const CLIENT_ID = '4e9f6a3b-7c5d-4f1e-8a9b-8c7d6e5f4a3b'
const CLIENT_SECRET = 'docker~Secret.ForStandinTests-0123456789'
const RUN = randomBytes(4).toString('hex')
const API = `${REGISTRY}/standin-${RUN}/api`
const TOOL = `${REGISTRY}/standin-${RUN}/tool:1`
const VERSION_A = 'a'.repeat(40)
const VERSION_B = 'b'.repeat(40)

/** A one-off program for container groups: `/tool <exit code> [NAME...]` prints each variable named, then exits with the code. */
const TOOL_SOURCE = `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        const char *value = getenv(argv[i]);
        printf("%s=%s\\n", argv[i], value ? value : "(unset)");
    }
    return argc > 1 ? atoi(argv[1]) : 0;
}
`

let standin: Awaited<ReturnType<typeof startAzureStandin>>
const workdirs: string[] = []
const images: string[] = []
const defaultCaCertificates = tls.getCACertificates('default')

async function build(tag: string, workdir: string, args: string[] = []) {
  const cli = await buildkitCli()
  await run(cli, ['build', ...args, '-t', tag, workdir], { env: { ...process.env, DOCKER_BUILDKIT: '1' } })
  images.push(tag)
}

/** The example backend (FROM scratch, listens on PORT, 8000 by default) built for `version`. */
async function buildBackend(version: string): Promise<string> {
  const workdir = await mkdtemp(join(tmpdir(), 'apd-standin-backend-'))
  workdirs.push(workdir)
  for (const file of ['Dockerfile', 'server.c', 'build-server.sh']) await copyFile(join(BACKEND, file), join(workdir, file))
  await run('sh', [join(workdir, 'build-server.sh')])
  const tag = `${API}:${version}`
  await build(tag, workdir, ['--build-arg', `APP_VERSION=${version}`])
  await run('docker', ['push', tag])
  return tag
}

async function buildTool(): Promise<void> {
  const workdir = await mkdtemp(join(tmpdir(), 'apd-standin-tool-'))
  workdirs.push(workdir)
  await writeFile(join(workdir, 'tool.c'), TOOL_SOURCE)
  // The image's own entrypoint exits 99: a container group's command must replace it.
  await writeFile(join(workdir, 'Dockerfile'), 'FROM scratch\nCOPY tool /tool\nENTRYPOINT ["/tool", "99"]\n')
  await run('gcc', ['-static', '-Os', '-s', '-o', join(workdir, 'tool'), join(workdir, 'tool.c')])
  await build(TOOL, workdir)
  await run('docker', ['push', TOOL])
}

/** Deletes a pushed tag's manifest from the registry (which runs with delete enabled); best effort. */
async function deleteFromRegistry(image: string) {
  const [, repository = '', tag = ''] = /^[^/]+\/(.+):([^:/]+)$/.exec(image) ?? []
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
  const manifests = `http://${REGISTRY}/v2/${repository}/manifests`
  const digest = (await fetch(`${manifests}/${tag}`, { method: 'HEAD', headers: { Accept: accept } })).headers.get('docker-content-digest')
  if (digest) await fetch(`${manifests}/${digest}`, { method: 'DELETE' })
}

/** Points `tag` at what `source` is and pushes it: a mutable tag moving. */
async function retag(source: string, tag: string) {
  await run('docker', ['tag', source, tag])
  images.push(tag)
  await run('docker', ['push', tag])
}

beforeAll(async () => {
  if (!docker.available) return
  await requireRegistry()
  standin = await startAzureStandin({ containers: 'auto' })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  standin.setContainerStartLimit(20_000)
  await Promise.all([buildBackend(VERSION_A), buildBackend(VERSION_B), buildTool()])
}, 300_000)

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
  if (docker.available) {
    await Promise.all(images.map(image => deleteFromRegistry(image).catch(() => undefined)))
    await run('docker', ['rmi', '-f', ...images]).catch(() => undefined)
  }
  await Promise.all(workdirs.map(dir => rm(dir, { recursive: true, force: true })))
})

const credential = () => new ClientSecretCredential(standin.tenantId, CLIENT_ID, CLIENT_SECRET, { authorityHost: standin.url, disableInstanceDiscovery: true })
const web = () => new WebSiteManagementClient(credential(), SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentials: { scopes: [`${standin.cloud.resourceManagerAudience}/.default`] } })
const aci = () => new ContainerInstanceManagementClient(credential(), SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentialScopes: [`${standin.cloud.resourceManagerAudience}/.default`] })

function slotState(name: string) {
  const found = standin.state().sites.find(site => site.name === name && site.slot === 'production')
  if (found === undefined) throw new Error(`no ${name} in the stand-in's state`)
  return found
}

async function version(name: string): Promise<string> {
  const response = await fetch(`https://${slotState(name).defaultHostName}/healthz`)
  await response.arrayBuffer()
  return `${response.status} ${response.headers.get('x-app-version') ?? '-'}`
}

async function dockerLog(name: string): Promise<string> {
  const accessToken = await credential().getToken(`${standin.cloud.resourceManagerAudience}/.default`)
  const headers = { Authorization: `Bearer ${accessToken?.token}` }
  const files = (await (await fetch(`https://${slotState(name).scmHostName}/api/logs/docker`, { headers })).json()) as { machineName: string; href: string }[]
  const platform = files.find(file => !file.machineName.endsWith('_default'))
  return platform === undefined ? '' : (await fetch(platform.href, { headers })).text()
}

describe('Web Apps on real containers', () => {
  dockerTest('two apps both listen on 8000, each in its own namespace; appCommandLine reaches the container as its arguments', async () => {
    requireDocker()
    const options = { subscription: SUBSCRIPTION, resourceGroup: 'rg-ports', image: `${API}:${VERSION_A}`, appSettings: { WEBSITES_PORT: '8000' }, appCommandLine: `--workers 2 "a b"` }
    await Promise.all([standin.addWebApp({ ...options, name: 'ports-1' }), standin.addWebApp({ ...options, name: 'ports-2' })])

    expect(standin.state().containers).toMatchObject({ mode: 'docker', network: 'apd-standin (bridge)' })
    expect([await version('ports-1'), await version('ports-2')]).toEqual([`200 ${VERSION_A}`, `200 ${VERSION_A}`])
    const [first, second] = [slotState('ports-1').serving, slotState('ports-2').serving]
    expect(first?.port).toBe(8000)
    expect(new URL(String(first?.url)).hostname).not.toBe(new URL(String(second?.url)).hostname)
    const { stdout } = await run('docker', ['inspect', '--format', '{{json .Args}}', String(first?.container)])
    expect(JSON.parse(stdout)).toEqual(['--workers', '2', 'a b'])
    // The host's services at host.docker.internal: the bridge's own gateway (Docker's "host-gateway"
    // has no address on an engine run with --bridge=none).
    const { stdout: gateway } = await run('docker', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'apd-standin'])
    const { stdout: hosts } = await run('docker', ['inspect', '--format', '{{json .HostConfig.ExtraHosts}}', String(first?.container)])
    expect(JSON.parse(hosts)).toEqual([`host.docker.internal:${gateway.trim()}`])
  }, 120_000)

  dockerTest('without WEBSITES_PORT App Service pings port 80: an image listening on 8000 fails to start', async () => {
    requireDocker()
    await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: 'rg-ports', name: 'no-port', image: `${API}:${VERSION_A}`, appSettings: { WEBSITES_CONTAINER_START_TIME_LIMIT: '3' } })
    expect(slotState('no-port')).toMatchObject({ status: 'failed', serving: null, lastStart: expect.objectContaining({ reason: expect.stringContaining("didn't respond to HTTP pings on port: 80") }) })
    expect(await version('no-port')).toBe('503 -')
    expect(await dockerLog('no-port')).toMatch(/ERROR - Container no-port_0_[0-9a-f]{8} didn't respond to HTTP pings on port: 80, failing site start/)
  }, 120_000)

  dockerTest('a restart pulls a mutable tag again: the digest it names now serves', async () => {
    requireDocker()
    const mutable = `${API}:mutable`
    await retag(`${API}:${VERSION_A}`, mutable)
    await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: 'rg-tags', name: 'mutable', image: mutable, appSettings: { WEBSITES_PORT: '8000' } })
    expect(await version('mutable')).toBe(`200 ${VERSION_A}`)
    const firstDigest = slotState('mutable').serving?.digest

    await retag(`${API}:${VERSION_B}`, mutable)
    await web().webApps.restart('rg-tags', 'mutable', { synchronous: true })

    expect(await version('mutable')).toBe(`200 ${VERSION_B}`)
    const secondDigest = slotState('mutable').serving?.digest
    expect(secondDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(secondDigest).not.toBe(firstDigest)
    const log = await dockerLog('mutable')
    expect(log).toContain(`Digest: ${firstDigest}`)
    expect(log).toContain(`Digest: ${secondDigest}`)
  }, 120_000)
})

describe('Container Instances on real containers', () => {
  dockerTest("the command replaces the image's entrypoint; variables and secure variables reach it; exit code and output are kept; delete removes it", async () => {
    requireDocker()
    standin.addResourceGroup({ subscription: SUBSCRIPTION, resourceGroup: 'rg-release' })
    await aci().containerGroups.beginCreateOrUpdateAndWait('rg-release', 'migrate', {
      location: 'westeurope',
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [
        {
          name: 'release',
          image: TOOL,
          command: ['/tool', '3', 'GREETING', 'DATABASE_PASSWORD'],
          environmentVariables: [
            { name: 'GREETING', value: 'hello' },
            { name: 'DATABASE_PASSWORD', secureValue: 'db-secret-value' }
          ],
          resources: { requests: { cpu: 1, memoryInGB: 1 } }
        }
      ]
    })
    const deadline = Date.now() + 60_000
    let group = await aci().containerGroups.get('rg-release', 'migrate')
    while (group.instanceView?.state === 'Running' && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 200))
      group = await aci().containerGroups.get('rg-release', 'migrate')
    }

    expect(group.instanceView?.state).toBe('Failed')
    expect(group.containers[0]?.instanceView?.currentState).toMatchObject({ state: 'Terminated', exitCode: 3, detailStatus: 'Error' })
    expect((await aci().containers.listLogs('rg-release', 'migrate', 'release')).content).toBe('GREETING=hello\nDATABASE_PASSWORD=db-secret-value\n')
    const id = standin.state().containerGroups.find(recorded => recorded.name === 'migrate')?.containers[0]?.container
    const { stdout } = await run('docker', ['inspect', '--format', '{{.HostConfig.NetworkMode}}', String(id)])
    expect(stdout.trim()).toBe('host')

    await aci().containerGroups.beginDeleteAndWait('rg-release', 'migrate')
    const left = await run('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`])
    expect(left.stdout.trim()).toBe('')
  }, 120_000)
})
