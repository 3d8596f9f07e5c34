/**
 * The backend deploy end to end, as a runner runs the bundled action: the real Docker engine
 * builds the example backend and pushes it to a real local registry, the Azure stand-in's Web
 * Apps pull and run it on that engine, and the health check reaches the real containers.
 */
import { afterAll, beforeAll, describe, expect } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { pushPayload, RUNNER_TOKEN, runAction, scanForSecrets } from '../scripts/lib/action-runner.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'
import { buildkitCli, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'
import { stringify } from 'yaml'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Estate = ReturnType<typeof createEstate>

const run = promisify(execFile)
const dockerTest = dockerTestFor('e2e-backend')
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const REPOSITORY = `e2e/api-${randomBytes(4).toString('hex')}`
const BACKEND = new URL('../__fixtures__/estate-legacy/backend/', import.meta.url)
const backendFile = (name: string) => readFileSync(new URL(name, BACKEND), 'utf8')

let standin: Standin
const contract = useAzureContract()
const estates: Estate[] = []
scanForSecrets(() => standin?.issuedTokens() ?? [])
/** PATH for the action: a docker CLI that builds with BuildKit first, as on a runner with buildx. */
let runnerPath = process.env.PATH ?? ''

beforeAll(async () => {
  if (process.env.CI === 'true') requireDocker()
  standin = await startAzureStandin({ containers: 'auto', onExchange: contract.onExchange })
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT, federatedCredentials: [{ subject: 'repo:octo-org/estate:ref:refs/heads/main' }] })
  standin.setContainerStartLimit(20_000)
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  try {
    runnerPath = `${path.dirname(await buildkitCli())}:${runnerPath}`
  } catch {
    // The action falls back to the classic builder, slower but the same result.
  }
}, 60_000)

afterAll(async () => {
  for (const estate of estates) estate.dispose()
  await standin?.close()
})

/** A repository holding only the backend (as the users split theirs), deployed to `targets`. */
function estateWith(environments: string): Estate {
  const config = `${stringify({ cloud: standin.cloudSetting })}parts:
  backend:
    paths: ['backend/**', '!**/*.md']
    context: backend
    registry: ${REGISTRY}
    repository: ${REPOSITORY}
    cache: none
    health: { path: /healthz, version-header: X-App-Version, timeout: 30, consecutive: 2, interval: 0.25 }
environments:
${environments}`
  const estate = createEstate({
    files: {
      '.github/azure-deploy.yml': config,
      'backend/server.c': backendFile('server.c'),
      'backend/Dockerfile': backendFile('Dockerfile'),
      'backend/build-server.sh': backendFile('build-server.sh'),
      'backend/.dockerignore': backendFile('.dockerignore')
    }
  })
  estates.push(estate)
  return estate
}

/** Push, check out at depth 1, build the static server as the workflow's step would, run the action. */
async function deploy(estate: Estate, sha: string, before: string, inputs: Record<string, string> = {}) {
  const workspace = estate.checkout(sha)
  await run('sh', [path.join(workspace, 'backend', 'build-server.sh')])
  const result = await runAction({
    workspace,
    sha,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
    inputs: { 'client-id': CLIENT, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION, ...inputs },
    env: { NODE_EXTRA_CA_CERTS: standin.caCertPath, ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken, GITHUB_API_URL: standin.github.apiUrl, PATH: runnerPath },
    timeoutMs: 240_000
  })
  // runAction has scanned the logs, outputs and summary for every issued token (scanForSecrets above).
  return result
}

/** What a target answers now: its real container's X-App-Version. */
async function serving(group: string, app: string, slot?: string): Promise<string | null> {
  const entry = standin.state().sites.find(s => s.resourceGroup === group && s.name === app && s.slot === (slot ?? 'production'))
  const response = await fetch(`https://${entry?.defaultHostName}/healthz`)
  return response.headers.get('x-app-version')
}

/** The GitHub deployment statuses recorded for that commit's backend, in order. */
const githubStatuses = (sha: string) =>
  standin.github
    .deployments()
    .filter(d => d.environment === 'prod/backend' && d.sha === sha)
    .map(d => d.statuses.map(s => [s.state, s.environment_url, s.description]))

const targetsYaml = (group: string, apps: string[], slot?: string) => apps.map(app => `        - { resource-group: ${group}, app: ${app}${slot ? `, slot: ${slot}` : ''} }`).join('\n')

describe('backend deploy on real containers', () => {
  dockerTest(
    'in place to two redundant apps; a re-run reuses the image; a broken release on one of three rolls all back',
    async () => {
      await requireRegistry()
      const group = 'rg-inplace'
      const apps = ['api-1', 'api-2', 'api-3']
      const estate = estateWith(`  prod:\n    branches: [main]\n    backend:\n      targets:\n${targetsYaml(group, apps)}\n`)
      // The estate's apps already carry WEBSITES_PORT for the example image (it listens on 8000, App Service assumes 80).
      for (const app of apps) await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: app, appSettings: { WEBSITES_PORT: '8000' } })
      const first = estate.head()
      const before = estate.push('main')

      // 1. First deploy: the apps run no image of ours yet.
      const deployed = await deploy(estate, first, before)
      expect(deployed.stdout).not.toContain('::error::')
      expect(deployed.exitCode).toBe(0)
      expect(deployed.outputs['backend-reason']).toBe('not-deployed')
      expect(deployed.outputs.result).toBe('deployed')
      expect(deployed.outputs.image).toMatch(new RegExp(`^${REGISTRY}/${REPOSITORY}:${first}@sha256:[0-9a-f]{64}$`))
      const targets = JSON.parse(deployed.outputs.targets!) as { app: string; status: string; newImage: string }[]
      expect(targets.map(t => [t.app, t.status])).toEqual(apps.map(app => [app, 'deployed']))
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([first, first, first])
      expect(standin.state().containers.mode).toBe('docker')
      // The GitHub deployment prod/backend: in progress, then success at the first target's URL.
      expect(githubStatuses(first)).toEqual([
        [
          ['in_progress', '', expect.stringContaining('to 3 target(s)')],
          ['success', (JSON.parse(deployed.outputs.targets!) as { url: string }[])[0]!.url, expect.stringContaining('serving on 3 target(s)')]
        ]
      ])

      // 2. The same commit again, forced: the image is reused, not rebuilt.
      const rerun = await deploy(estate, first, first, { parts: 'backend' })
      expect(rerun.exitCode).toBe(0)
      expect(rerun.stdout).toMatch(/already in the registry|already holds/)
      expect(rerun.outputs.image).toBe(deployed.outputs.image)

      // 3. A release whose container never becomes healthy on api-2: all three go back.
      const broken = estate.commit({ 'backend/server.c': `${backendFile('server.c')}\n/* release 2 */\n` }, 'release 2')
      const pushedBefore = estate.push('main')
      standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: group, name: 'api-2' })
      const failed = await deploy(estate, broken, pushedBefore)
      expect(failed.exitCode).toBe(1)
      expect(failed.outputs.result).toBe('rolled-back')
      expect(failed.outputs['rolled-back']).toBe('true')
      expect(failed.stdout).toMatch(/::error::azure-push-deploy: the backend deploy was rolled back: api-2 failed to verify: timed out .* last: HTTP 200, X-App-Version: "[0-9a-f]{40}"/)
      const after = JSON.parse(failed.outputs.targets!) as { app: string; status: string; phase?: string }[]
      expect(after.map(t => t.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back'])
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([first, first, first])
      expect(failed.summary).toContain('backend rollout')
      expect(githubStatuses(broken)).toEqual([[['in_progress', '', expect.any(String)], ['failure', expect.any(String), expect.stringMatching(/^rolled-back: api-2 failed to verify/)]]])
    },
    300_000
  )

  dockerTest(
    'slot-swap to two apps: staging verified, swapped, production serves the new release',
    async () => {
      await requireRegistry()
      const group = 'rg-swap'
      const apps = ['web-1', 'web-2']
      const estate = estateWith(`  prod:\n    branches: [main]\n    backend:\n      strategy: slot-swap\n      targets:\n${targetsYaml(group, apps, 'staging')}\n`)
      for (const app of apps) await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: app, slots: ['staging'], appSettings: { WEBSITES_PORT: '8000' } })
      const head = estate.head()
      const result = await deploy(estate, head, estate.push('main'))
      expect(result.stdout).not.toContain('::error::')
      expect(result.outputs.result).toBe('deployed')
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([head, head])
      expect(standin.calls.filter((c: { method: string; path: string }) => c.method === 'POST' && /slotsswap$/i.test(c.path) && c.path.includes(group))).toHaveLength(2)
    },
    300_000
  )
})
