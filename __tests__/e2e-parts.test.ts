/**
 * Named parts end to end, as a runner runs the bundled action: one repository with an API
 * (`api`, an image rolled out to two Web Apps and verified by the version it answers), a
 * worker that runs the API's image with its own start command (`worker`, `image-from: api`,
 * verified from App Service's docker log), and two static sites (`web` behind Front Door,
 * `admin`) in two containers of one Azurite account.
 *
 * The Web Apps are the Azure stand-in's, running the real containers on Docker; the image is
 * built from the small C server of the legacy estate and pushed to the local registry. What
 * happened is read from where it lives — the stand-in's state and its Kudu docker log, the
 * registry's tags, Azurite's blobs, the stand-in's GitHub deployments — not from what the
 * action says it did. The tests run in order on one estate, each push building on the last.
 */
import { afterAll, beforeAll, describe, expect } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { ClientSecretCredential } from '@azure/identity'
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { stringify } from 'yaml'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { createTlsMaterial } from '../azure-standin/https-server.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { buildkitCli, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'
import { pushPayload, RUNNER_TOKEN, runAction, scanForSecrets } from '../scripts/lib/action-runner.mjs'
import { AZURITE_ACCOUNT_KEY, startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Estate = ReturnType<typeof createEstate>
type SiteState = ReturnType<Standin['state']>['sites'][number]
type Call = Standin['calls'][number]
type Purge = ReturnType<Standin['state']>['purges'][number]

const run = promisify(execFile)
const dockerTest = dockerTestFor('e2e-parts')
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
/** The test's own identity, to read Azurite and Kudu as an operator would. */
const INSPECTOR = '4d5e6f70-8192-4aab-9c0d-3e4f5a6b7c8d'
const INSPECTOR_SECRET = 'inspector~Secret.0123456789'
const GROUP = 'rg-parts'
const API_APPS = ['api-1', 'api-2'] as const
const WORKER_APP = 'worker-1'
const WORKER_COMMAND = 'worker --queue default'
const DOMAIN = 'www.example.com'
const REPOSITORY = `e2e/parts-${randomBytes(4).toString('hex')}`
const PARTS = ['api', 'worker', 'web', 'admin'] as const
const BACKEND = new URL('../__fixtures__/estate-legacy/backend/', import.meta.url)
const backendFile = (name: string) => readFileSync(new URL(name, BACKEND), 'utf8')

let standin: Standin
const contract = useAzureContract()
let azurite: Azurite
let estate: Estate
let scratch: string
let caBundle: string
let credential: ClientSecretCredential
let webContainer: ContainerClient
let adminContainer: ContainerClient
let deploymentsContainer: ContainerClient
/** PATH for the action: a docker CLI that builds with BuildKit first, as on a runner with buildx. */
let runnerPath = process.env.PATH ?? ''
scanForSecrets(() => [...(standin?.issuedTokens() ?? []), INSPECTOR_SECRET, AZURITE_ACCOUNT_KEY])

// ---------------------------------------------------------------------------------------------
// The estate's repository.

/** A site's `npm run build`: public/ copied to build/. */
const SITE_BUILD = `import { cpSync, rmSync } from 'node:fs'
rmSync('build', { recursive: true, force: true })
cpSync('public', 'build', { recursive: true })
console.log('built')
`
function siteFiles(folder: string, title: string): Record<string, string> {
  const name = `tidepool-${folder}`
  return {
    [`${folder}/package.json`]: `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', scripts: { build: 'node build.mjs' } }, null, 2)}\n`,
    [`${folder}/package-lock.json`]: `${JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name, version: '1.0.0' } } }, null, 2)}\n`,
    [`${folder}/build.mjs`]: SITE_BUILD,
    [`${folder}/public/index.html`]: page(title),
    [`${folder}/public/app.js`]: `document.title = ${JSON.stringify(title)};\n`,
    [`${folder}/public/robots.txt`]: 'User-agent: *\nAllow: /\n'
  }
}
const page = (title: string) => `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><script src="/app.js"></script></body></html>\n`

function configText(): string {
  return `${stringify({ cloud: standin.cloudSetting })}parts:
  api:
    kind: image
    paths: ['backend/**', '!**/*.md']
    context: backend
    registry: ${REGISTRY}
    repository: ${REPOSITORY}
    cache: none
    health: { path: /healthz, version-header: X-App-Version, timeout: 30, consecutive: 2, interval: 0.25 }
  worker:
    kind: image
    image-from: api
    paths: ['worker/**']
    verify: platform
    health: { timeout: 60, interval: 0.5 }
  web:
    kind: site
    paths: ['web/**']
    working-directory: web
    lock-timeout: 30
  admin:
    kind: site
    paths: ['admin/**']
    working-directory: admin
environments:
  prod:
    branches: [main]
    api:
      targets:
${API_APPS.map(app => `        - { resource-group: ${GROUP}, app: ${app} }`).join('\n')}
    worker:
      app-settings: { WORKER_QUEUE: default }
      targets:
        - { resource-group: ${GROUP}, app: ${WORKER_APP}, command: '${WORKER_COMMAND}' }
    web:
      storage-account: devstoreaccount1
      blob-endpoint: ${azurite.blobEndpoint}
      site-url: https://${DOMAIN}
      frontdoor: { resource-group: rg-edge, profile: afd-parts, endpoint: web-parts }
    admin:
      storage-account: devstoreaccount1
      container: admin
      blob-endpoint: ${azurite.blobEndpoint}
`
}

// ---------------------------------------------------------------------------------------------
// Running the action and reading back what happened.

interface PartOutput {
  kind: 'image' | 'site'
  changed: boolean
  base: string
  reason: string
  result: string
  why?: string
  image?: string
  targets?: { app: string; status: string }[]
  uploaded?: number
  purged?: string[]
}

interface Deploy {
  exitCode: number
  stdout: string
  outputs: Record<string, string>
  summary: string
  parts: Record<string, PartOutput>
  /** The ::error:: message, decoded. */
  error: string
  /** Images built and pushed in this run: the `Build and push` groups of the log. */
  builds: string[]
  /** ARM requests the stand-in received while the action ran. */
  calls: Call[]
  purges: Purge[]
  seconds: number
}

/** Push, check out at depth 1, build the static server as the workflow's step would, run the action. */
async function deploy(sha: string, before: string, inputs: Record<string, string> = {}): Promise<Deploy> {
  const workspace = estate.checkout(sha)
  await run('sh', [path.join(workspace, 'backend', 'build-server.sh')])
  const callsBefore = standin.calls.length
  const purgesBefore = standin.state().purges.length
  const started = Date.now()
  const result = await runAction({
    workspace,
    sha,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
    inputs: { 'client-id': CLIENT, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION, ...inputs },
    env: { NODE_EXTRA_CA_CERTS: caBundle, ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken, GITHUB_API_URL: standin.github.apiUrl, PATH: runnerPath },
    timeoutMs: 240_000
  })
  // runAction has scanned the logs, outputs and summary for every issued token (scanForSecrets above).
  const errorLine = result.stdout.split('\n').find(line => line.startsWith('::error::')) ?? ''
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    outputs: result.outputs,
    summary: result.summary,
    parts: JSON.parse(result.outputs.parts ?? '{}') as Record<string, PartOutput>,
    error: errorLine.slice('::error::'.length).replaceAll('%0A', '\n').replaceAll('%0D', '\r').replaceAll('%25', '%'),
    builds: [...result.stdout.matchAll(/^::group::Build and push (\S+)$/gm)].map(match => match[1]!),
    calls: standin.calls.slice(callsBefore),
    purges: standin.state().purges.slice(purgesBefore),
    seconds: Math.round((Date.now() - started) / 100) / 10
  }
}

const results = (deployed: Deploy) => Object.fromEntries(PARTS.map(name => [name, deployed.parts[name]?.result]))
const imageOf = (sha: string) => `${REGISTRY}/${REPOSITORY}:${sha}`

function site(app: string): SiteState {
  const entry = standin.state().sites.find(s => s.resourceGroup === GROUP && s.name === app && s.slot === 'production')
  if (!entry) throw new Error(`no Web App ${app} in the stand-in`)
  return entry
}

/** What a Web App answers now: its real container's X-App-Version. */
async function serving(app: string): Promise<string | null> {
  const response = await fetch(`https://${site(app).defaultHostName}/healthz`)
  return response.headers.get('x-app-version')
}

/** Requests that change a Web App (reads, `…/list` included, are left out). */
const writesTo = (calls: Call[], app: string) => calls.filter(call => call.method !== 'GET' && !/\/list$/i.test(call.path) && new RegExp(`/sites/${app}(?:/|$)`, 'i').test(call.path))

/** The registry's tags of the estate's image. */
async function registryTags(): Promise<string[]> {
  const response = await fetch(`http://${REGISTRY}/v2/${REPOSITORY}/tags/list`)
  if (response.status === 404) return []
  return (((await response.json()) as { tags?: string[] | null }).tags ?? []).sort()
}

/** Each blob of a site container: its MD5 and its ETag (a rewrite changes the ETag even with the same bytes). */
async function blobs(container: ContainerClient): Promise<Record<string, { md5: string; etag: string }>> {
  const listed: Record<string, { md5: string; etag: string }> = {}
  for await (const blob of container.listBlobsFlat()) {
    listed[blob.name] = { md5: Buffer.from(blob.properties.contentMD5 ?? []).toString('base64'), etag: blob.properties.etag }
  }
  return listed
}

async function manifestCommit(part: 'web' | 'admin'): Promise<string> {
  const text = (await deploymentsContainer.getBlobClient(`prod/${part}/manifest.json`).downloadToBuffer()).toString('utf8')
  return (JSON.parse(text) as { commit: string }).commit
}

/** The GitHub deployment statuses of one part at one commit: `[[state, description], …]` per deployment. */
const githubStatuses = (part: string, sha: string) =>
  standin.github
    .deployments()
    .filter(d => d.environment === `prod/${part}` && d.sha === sha)
    .map(d => d.statuses.map(s => [s.state, s.description]))

/** The GitHub environments this commit was deployed to. */
const githubEnvironments = (sha: string) => [...new Set(standin.github.deployments().filter(d => d.sha === sha).map(d => d.environment))].sort()

/** A Web App's docker log as Kudu serves it, read with an operator's token: the platform's file and the container's output. */
async function kuduLog(app: string): Promise<{ platform: string; output: string }> {
  const { token } = (await credential.getToken(`${standin.cloud.resourceManagerAudience}/.default`))!
  const headers = { Authorization: `Bearer ${token}` }
  const files = (await (await fetch(`${site(app).scmUrl}/api/logs/docker`, { headers })).json()) as { href: string }[]
  const texts = await Promise.all(files.map(async file => [file.href, await (await fetch(file.href, { headers })).text()] as const))
  return {
    platform: texts.filter(([href]) => !href.endsWith('_default_docker.log')).map(([, text]) => text).join('\n'),
    output: texts.filter(([href]) => href.endsWith('_default_docker.log')).map(([, text]) => text).join('\n')
  }
}

/** The platform's lines about `image` after its latest pull. */
function afterLastPull(platformLog: string, image: string): string[] {
  const lines = platformLog.split('\n')
  const pulled = lines.findLastIndex(line => line.includes(`Pulling image: ${image}`))
  return pulled < 0 ? [] : lines.slice(pulled)
}

/** Every part has its own heading in the job summary, with how it ended. */
function expectSummaryParts(deployed: Deploy, headings: Record<(typeof PARTS)[number], string>): void {
  for (const part of PARTS) expect(deployed.summary).toContain(`<h3>${part}: ${headings[part]}</h3>`)
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  if (process.env.CI === 'true') requireDocker()
  standin = await startAzureStandin({ containers: 'auto', onExchange: contract.onExchange })
  standin.registerApplication({ clientId: CLIENT, federatedCredentials: [{ subject: 'repo:octo-org/estate:ref:refs/heads/main' }] })
  standin.registerApplication({ clientId: INSPECTOR, clientSecret: INSPECTOR_SECRET })
  standin.setContainerStartLimit(15_000)
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-parts', endpoint: 'web-parts', domains: [DOMAIN] })
  // The example image listens on 8000; App Service assumes 80 unless WEBSITES_PORT says.
  for (const app of [...API_APPS, WORKER_APP]) await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: GROUP, name: app, appSettings: { WEBSITES_PORT: '8000' } })
  try {
    runnerPath = `${path.dirname(await buildkitCli())}:${runnerPath}`
  } catch {
    // The action falls back to the classic builder, slower but the same result.
  }

  // Azurite over HTTPS with bearer tokens; the action trusts its CA and the stand-in's.
  const storageTls = await createTlsMaterial()
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, storageTls.caCertPem])
  scratch = mkdtempSync(path.join(tmpdir(), 'apd-e2e-parts-'))
  caBundle = path.join(scratch, 'ca-bundle.pem')
  writeFileSync(caBundle, `${standin.caCertPem.trim()}\n${storageTls.caCertPem.trim()}\n`)
  azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
  credential = new ClientSecretCredential(standin.tenantId, INSPECTOR, INSPECTOR_SECRET, { authorityHost: standin.url, disableInstanceDiscovery: true })
  const storage = new BlobServiceClient(azurite.blobEndpoint, credential)
  webContainer = storage.getContainerClient('$web')
  adminContainer = storage.getContainerClient('admin')
  deploymentsContainer = storage.getContainerClient('deployments')
  // Azure makes $web when the static website is switched on, Azurite does not; the admin site's container is the team's own.
  await webContainer.createIfNotExists()
  await adminContainer.createIfNotExists()

  estate = createEstate({
    files: {
      '.github/azure-deploy.yml': configText(),
      'backend/server.c': backendFile('server.c'),
      'backend/Dockerfile': backendFile('Dockerfile'),
      'backend/build-server.sh': backendFile('build-server.sh'),
      'backend/.dockerignore': backendFile('.dockerignore'),
      'worker/queues.conf': 'default\n',
      ...siteFiles('web', 'Tidepool'),
      ...siteFiles('admin', 'Tidepool admin')
    }
  })
}, 120_000)

afterAll(async () => {
  estate?.dispose()
  await azurite?.stop()
  await standin?.close()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** The commits of the tests so far, in order. */
const commits: Record<string, string> = {}

describe('an estate of four named parts, through the bundled action', () => {
  dockerTest(
    'the first deploy: every part deploys, the API and the worker from one image build, each with its GitHub deployment',
    async () => {
      await requireRegistry()
      const sha = estate.head()
      const deployed = await deploy(sha, estate.push('main'))
      expect(deployed.error).toBe('')
      expect(deployed.exitCode).toBe(0)
      expect(deployed.outputs.result).toBe('deployed')
      expect(JSON.parse(deployed.outputs.changed!)).toEqual(['api', 'worker', 'web', 'admin'])
      expect(results(deployed)).toEqual({ api: 'deployed', worker: 'deployed', web: 'deployed', admin: 'deployed' })
      expect(deployed.builds).toEqual([imageOf(sha)])
      expect(await registryTags()).toEqual([sha])
      expect(await Promise.all(API_APPS.map(serving))).toEqual([sha, sha])
      expect(site(WORKER_APP).image).toBe(imageOf(sha))
      expect(Object.keys(await blobs(webContainer)).sort()).toEqual(['app.js', 'index.html', 'robots.txt'])
      expect(Object.keys(await blobs(adminContainer)).sort()).toEqual(['app.js', 'index.html', 'robots.txt'])
      expect(await Promise.all([manifestCommit('web'), manifestCommit('admin')])).toEqual([sha, sha])
      // One GitHub deployment per part, each in progress and then successful.
      expect(githubEnvironments(sha)).toEqual(['prod/admin', 'prod/api', 'prod/web', 'prod/worker'])
      for (const part of PARTS) expect(githubStatuses(part, sha)).toEqual([[['in_progress', expect.any(String)], ['success', expect.any(String)]]])
      expectSummaryParts(deployed, { api: 'deployed', worker: 'deployed', web: 'deployed', admin: 'deployed' })
      commits.first = sha
      console.log(`e2e-parts: first deploy ${deployed.seconds}s`)
    },
    300_000
  )

  dockerTest(
    'a push that changes only the admin site deploys only admin: no image built, the Web Apps and the other site untouched',
    async () => {
      const webBefore = await blobs(webContainer)
      const tagsBefore = await registryTags()
      const sha = estate.commit({ 'admin/public/index.html': page('Tidepool admin, release 2') }, 'admin: release 2')
      const deployed = await deploy(sha, estate.push('main'))
      expect(deployed.error).toBe('')
      expect(deployed.exitCode).toBe(0)
      expect(deployed.outputs.result).toBe('deployed')
      expect(JSON.parse(deployed.outputs.changed!)).toEqual(['admin'])
      expect(results(deployed)).toEqual({ api: 'skipped', worker: 'skipped', web: 'skipped', admin: 'deployed' })
      // Each part was compared with what it runs: the first commit.
      for (const part of PARTS) expect([part, deployed.parts[part]!.reason, deployed.parts[part]!.base]).toEqual([part, 'deployed', commits.first])
      expect(deployed.parts.admin).toMatchObject({ changed: true, uploaded: 1 })
      expect(deployed.builds).toEqual([])
      expect(await registryTags()).toEqual(tagsBefore)
      for (const app of [...API_APPS, WORKER_APP]) expect([app, writesTo(deployed.calls, app)]).toEqual([app, []])
      expect(await blobs(webContainer)).toEqual(webBefore)
      expect(deployed.purges).toEqual([])
      expect(await adminContainer.getBlobClient('index.html').downloadToBuffer()).toEqual(Buffer.from(page('Tidepool admin, release 2')))
      expect(await Promise.all([manifestCommit('web'), manifestCommit('admin')])).toEqual([commits.first, sha])
      expect(githubEnvironments(sha)).toEqual(['prod/admin'])
      expectSummaryParts(deployed, { api: 'unchanged', worker: 'unchanged', web: 'unchanged', admin: 'deployed' })
      commits.admin = sha
      console.log(`e2e-parts: admin only ${deployed.seconds}s`)
    },
    300_000
  )

  dockerTest(
    'a push that changes only the web site deploys only web and purges its Front Door endpoint; admin untouched',
    async () => {
      const adminBefore = await blobs(adminContainer)
      const sha = estate.commit({ 'web/public/index.html': page('Tidepool, release 2') }, 'web: release 2')
      const deployed = await deploy(sha, estate.push('main'))
      expect(deployed.error).toBe('')
      expect(results(deployed)).toEqual({ api: 'skipped', worker: 'skipped', web: 'deployed', admin: 'skipped' })
      expect(deployed.builds).toEqual([])
      expect(deployed.purges.map(purge => [purge.endpoint, purge.contentPaths, purge.hosts])).toEqual([['web-parts', ['/', '/index.html'], expect.arrayContaining([DOMAIN])]])
      expect(deployed.parts.web!.purged).toEqual(['/', '/index.html'])
      expect(await blobs(adminContainer)).toEqual(adminBefore)
      expect(githubEnvironments(sha)).toEqual(['prod/web'])
      console.log(`e2e-parts: web only ${deployed.seconds}s`)
    },
    300_000
  )

  dockerTest(
    'a push that changes the API deploys api and worker together from one build; the worker runs that image with its own command, verified by the platform',
    async () => {
      const tagsBefore = await registryTags()
      const sha = estate.commit({ 'backend/server.c': `${backendFile('server.c')}\n/* release 2 */\n` }, 'api: release 2')
      const deployed = await deploy(sha, estate.push('main'))
      expect(deployed.error).toBe('')
      expect(deployed.exitCode).toBe(0)
      expect(deployed.outputs.result).toBe('deployed')
      expect(JSON.parse(deployed.outputs.changed!)).toEqual(['api', 'worker'])
      expect(results(deployed)).toEqual({ api: 'deployed', worker: 'deployed', web: 'skipped', admin: 'skipped' })
      // One build, one new tag in the registry, one image for both parts.
      expect(deployed.builds).toEqual([imageOf(sha)])
      expect(await registryTags()).toEqual([...tagsBefore, sha].sort())
      expect(deployed.parts.worker!.image).toBe(deployed.parts.api!.image)
      expect(deployed.parts.api!.image).toMatch(new RegExp(`^${imageOf(sha)}@sha256:[0-9a-f]{64}$`))
      expect(deployed.parts.api!.targets!.map(t => [t.app, t.status])).toEqual(API_APPS.map(app => [app, 'deployed']))
      expect(deployed.parts.worker!.targets!.map(t => [t.app, t.status])).toEqual([[WORKER_APP, 'deployed']])
      expect(await Promise.all(API_APPS.map(serving))).toEqual([sha, sha])

      // The worker's Web App: the API's image, its own start command and settings; the API's apps keep theirs.
      const worker = site(WORKER_APP)
      expect([worker.image, worker.appCommandLine, worker.appSettings.WORKER_QUEUE]).toEqual([imageOf(sha), WORKER_COMMAND, 'default'])
      expect(worker.serving).toMatchObject({ image: imageOf(sha), command: ['worker', '--queue', 'default'], env: expect.objectContaining({ WORKER_QUEUE: 'default' }) })
      for (const app of API_APPS) expect([app, site(app).appCommandLine, site(app).appSettings.WORKER_QUEUE]).toEqual([app, '', undefined])

      // Verified by the platform: App Service's docker log records the new container's start,
      // and the worker's container was never asked for a version (its output has no health request).
      expect(deployed.stdout).toContain(`${WORKER_APP}: switched to ${imageOf(sha)}; waiting for App Service's record that its container started`)
      expect(deployed.stdout).toMatch(new RegExp(`${WORKER_APP}: new version serving after \\d+s`))
      const log = await kuduLog(WORKER_APP)
      expect(afterLastPull(log.platform, imageOf(sha)).some(line => /initialized successfully and is ready to serve requests/.test(line))).toBe(true)
      expect(log.output).toContain(`tidepool-api stand-in ${sha} listening on port 8000`)
      expect(log.output).not.toMatch(/GET \/healthz/)
      expect((await kuduLog(API_APPS[0])).output).toMatch(/GET \/healthz 200/)

      for (const part of ['api', 'worker']) expect([part, githubStatuses(part, sha)]).toEqual([part, [[['in_progress', expect.any(String)], ['success', expect.stringContaining(imageOf(sha))]]]])
      expect(githubEnvironments(sha)).toEqual(['prod/api', 'prod/worker'])
      expectSummaryParts(deployed, { api: 'deployed', worker: 'deployed', web: 'unchanged', admin: 'unchanged' })
      expect(deployed.summary).toContain('<h3>api rollout</h3>')
      expect(deployed.summary).toContain('<h3>worker rollout</h3>')
      commits.api = sha
      console.log(`e2e-parts: api and worker ${deployed.seconds}s`)
    },
    300_000
  )

  dockerTest(
    'a worker that fails to start rolls the API back too: every target on the previous image, result rolled-back, the parts output names the worker',
    async () => {
      const previous = imageOf(commits.api!)
      const sha = estate.commit({ 'backend/server.c': `${backendFile('server.c')}\n/* release 3 */\n` }, 'api: release 3')
      const before = estate.push('main')
      standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: GROUP, name: WORKER_APP })
      const deployed = await deploy(sha, before)
      // The error first: when a rollback fails too, its message says where and why.
      expect(deployed.error).toMatch(new RegExp(`^azure-push-deploy: the api and worker deploy was rolled back: ${WORKER_APP} failed to verify: App Service's docker log says the container of ${imageOf(sha)} did not start`))
      expect(deployed.exitCode).toBe(1)
      expect(deployed.outputs.result).toBe('rolled-back')
      expect(deployed.outputs['rolled-back']).toBe('true')
      expect(results(deployed)).toEqual({ api: 'rolled-back', worker: 'rolled-back', web: 'skipped', admin: 'skipped' })
      // Which part failed: its own target is the one that failed; the API's were switched and put back.
      expect(deployed.parts.worker!.why).toMatch(new RegExp(`^${WORKER_APP} failed to verify: `))
      expect(deployed.parts.worker!.targets).toEqual([expect.objectContaining({ app: WORKER_APP, status: 'rolled-back', phase: 'verify', reason: expect.stringContaining("App Service's docker log says") })])
      expect(deployed.parts.api!.targets!.map(t => [t.app, t.status, 'phase' in t])).toEqual(API_APPS.map(app => [app, 'rolled-back', false]))
      expect(deployed.builds).toEqual([imageOf(sha)])

      // Everything back on the previous image, the worker with its own command; the API serves the previous commit.
      expect(await Promise.all(API_APPS.map(serving))).toEqual([commits.api, commits.api])
      for (const app of API_APPS) expect([app, site(app).image, site(app).serving?.image]).toEqual([app, previous, previous])
      const worker = site(WORKER_APP)
      expect([worker.image, worker.appCommandLine, worker.serving?.image, worker.serving?.command]).toEqual([previous, WORKER_COMMAND, previous, ['worker', '--queue', 'default']])
      expect(worker.starts.map(start => [start.image, start.status]).slice(-2)).toEqual([
        [imageOf(sha), 'failed'],
        [previous, 'succeeded']
      ])

      for (const part of ['api', 'worker']) expect([part, githubStatuses(part, sha)]).toEqual([part, [[['in_progress', expect.any(String)], ['failure', expect.stringMatching(new RegExp(`^rolled-back: ${WORKER_APP} failed to verify`))]]]])
      expectSummaryParts(deployed, { api: 'rolled-back', worker: 'rolled-back', web: 'unchanged', admin: 'unchanged' })
      commits.broken = sha
      console.log(`e2e-parts: worker fails, all rolled back ${deployed.seconds}s`)
    },
    300_000
  )

  dockerTest(
    'the parts input with part names (admin,worker) deploys exactly those',
    async () => {
      const sha = estate.commit({ 'docs/notes.md': 'No part builds from this.\n' }, 'docs')
      const deployed = await deploy(sha, estate.push('main'), { parts: 'admin,worker' })
      expect(deployed.error).toBe('')
      expect(deployed.exitCode).toBe(0)
      expect(deployed.outputs.result).toBe('deployed')
      expect(JSON.parse(deployed.outputs.changed!)).toEqual(['worker', 'admin'])
      expect(results(deployed)).toEqual({ api: 'skipped', worker: 'deployed', web: 'skipped', admin: 'deployed' })
      expect(Object.fromEntries(PARTS.map(part => [part, deployed.parts[part]!.reason]))).toEqual({ api: 'excluded-by-input', worker: 'forced-by-input', web: 'excluded-by-input', admin: 'forced-by-input' })
      // The worker runs the API's image of this commit: built once, though the API's Web Apps do not change.
      expect(deployed.builds).toEqual([imageOf(sha)])
      for (const app of API_APPS) expect([app, writesTo(deployed.calls, app)]).toEqual([app, []])
      expect(await Promise.all(API_APPS.map(serving))).toEqual([commits.api, commits.api])
      expect([site(WORKER_APP).image, site(WORKER_APP).appCommandLine, site(WORKER_APP).serving?.image]).toEqual([imageOf(sha), WORKER_COMMAND, imageOf(sha)])
      expect(await Promise.all([manifestCommit('web'), manifestCommit('admin')])).toEqual([expect.not.stringMatching(sha), sha])
      expect(deployed.purges).toEqual([])
      expect(githubEnvironments(sha)).toEqual(['prod/admin', 'prod/worker'])
      expectSummaryParts(deployed, { api: 'unchanged', worker: 'deployed', web: 'unchanged', admin: 'deployed' })
      console.log(`e2e-parts: parts admin,worker ${deployed.seconds}s`)
    },
    300_000
  )
})
