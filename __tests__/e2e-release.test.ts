/**
 * The release step and app settings end to end, on the real estate (examples/estate: the
 * Django REST API on the Debian base image), as a runner runs the bundled action: one
 * throwaway repository, one stand-in, one Postgres database, pushed to stage again and again.
 *
 * The real components: git (a bare origin, depth-1 checkouts), Docker with the local
 * registry (the action builds the API image from the base image of
 * scripts/services/base-image.sh and pushes it), Postgres from scripts/services/postgres.sh
 * (the release step migrates it, the Web Apps use it), and the Azure stand-in, whose Web Apps
 * run the image as real containers on its Docker bridge and whose Container Instances groups
 * run on the host network.
 *
 * The estate's config as the team wrote it, with what this machine needs changed: the local
 * registry, a `cloud:` naming the stand-in, a 60 s health check, and only the API part (two
 * redundant Web Apps in stage): the worker and the site add nothing to the release step but
 * minutes (npm run demo deploys all three parts).
 *
 * The tests run in order, each push building on the one before, as a team's pushes do:
 * a first deploy; a new model and its migration; a migration that fails; a dry run and then
 * a release of new app settings; a release that is rolled back; the release step in a
 * container group. Each container start copies the image on the vfs storage driver (10–30 s
 * on 2 cores), so the file takes 5–6 minutes there; the rollback waits out the 60 s check.
 */
import { afterAll, beforeAll, describe, expect } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { parse, stringify } from 'yaml'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { buildkitCli, docker, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'
import { pushPayload, repoRoot, RUNNER_TOKEN, runAction, scanForSecrets } from '../scripts/lib/action-runner.mjs'
import { applyEdits, failingMigration, tagColor, tagModel, withoutFailingMigration } from '../scripts/lib/estate-edits.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Estate = ReturnType<typeof createEstate>
type Site = ReturnType<Standin['state']>['sites'][number]
type Run = Awaited<ReturnType<typeof runAction>>

const run = promisify(execFile)
const dockerTest = dockerTestFor('e2e-release')
const ESTATE = path.join(repoRoot, 'examples', 'estate')
const CONFIG_FILE = '.github/azure-deploy.yml'
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000'
const CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const BRANCH = 'stage'
const REF = `refs/heads/${BRANCH}`
const GROUP = 'rg-tidepool-stage'
const APPS = ['app-tidepool-api-stage-1', 'app-tidepool-api-stage-2']
const REPOSITORY = `e2e/tidepool-api-${randomBytes(4).toString('hex')}`
const DATABASE = `estate_e2e_${randomBytes(4).toString('hex')}`
/** The step's env: secrets a workflow passes from `${{ secrets.* }}`, never to show. */
const SECRET_KEY = `django-${randomBytes(24).toString('hex')}`
const API_TOKEN = `tok-${randomBytes(16).toString('hex')}`
/** Plain values of the config: the plan shows settings by name only, so these never show either. */
const NOTICE = 'Maintenance on Sunday 02:00-03:00 UTC'
const NOTICE_LATER = 'Maintenance moved to Monday 02:00-03:00 UTC'
const CORS = 'https://stage.tidepool.example,https://preview.tidepool.example'

let standin: Standin
let estate: Estate | undefined
const contract = useAzureContract()
scanForSecrets(() => standin?.issuedTokens() ?? [])
/** The runner's DATABASE_URL: Postgres at the stand-in bridge's gateway, reached from the runner, the Web Apps and the container groups alike. */
let databaseUrl = ''
/** The same database on loopback, for the checks. */
let localDatabaseUrl = ''
let runnerPath = process.env.PATH ?? ''
/** What is live on stage: the commit both Web Apps run. */
let live = ''

const readEstate = (file: string) => readFileSync(path.join(ESTATE, file), 'utf8')

/** Runs a script of scripts/services/; its stdout, trimmed (they log on stderr). */
async function service(script: string, args: string[] = []): Promise<string> {
  try {
    const { stdout } = await run('bash', [path.join(repoRoot, 'scripts', 'services', script), ...args], { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 })
    return stdout.trim()
  } catch (error) {
    throw new Error(`scripts/services/${script} failed: ${(error as Error).message}\n${(error as { stderr?: string }).stderr ?? ''}`)
  }
}

interface ConfigOptions {
  /** Added to (or replacing) stage's api app settings. */
  settings?: Record<string, unknown>
  runOn?: 'runner' | 'container-instance'
}

/**
 * examples/estate's config for this machine: the local registry, the stand-in as a custom
 * cloud, a 60 s health check, the API part only, stage only.
 */
function estateConfig({ settings = {}, runOn = 'runner' }: ConfigOptions = {}): string {
  const config = parse(readEstate(CONFIG_FILE)) as {
    parts: Record<string, Record<string, unknown>>
    environments: Record<string, Record<string, Record<string, unknown>>>
  }
  const api = config.parts.api!
  Object.assign(api, { registry: REGISTRY, repository: REPOSITORY, health: { ...(api.health as object), timeout: 60, consecutive: 2, interval: 0.5 } })
  config.parts = { api }
  const stage = config.environments.stage!
  const release = stage.api!.release as Record<string, unknown>
  release['run-on'] = runOn
  stage.api!['app-settings'] = { ...(stage.api!['app-settings'] as object), ...settings }
  config.environments = { stage: { branches: stage.branches!, api: stage.api! } }
  return stringify({ cloud: standin.cloudSetting, ...config })
}

/** Commits the edits (and the config, when given) and pushes them to stage: the new commit and what stage held before. */
function push(edits: Parameters<typeof applyEdits>[1], message: string, config?: string): { sha: string; before: string } {
  const changes = { ...applyEdits(estate!.work, edits), ...(config === undefined ? {} : { [CONFIG_FILE]: config }) }
  const sha = estate!.commit(changes, message)
  return { sha, before: estate!.push(BRANCH) }
}

/** The deploy step on a depth-1 checkout of `sha`, as the estate's workflow runs it on a push to stage. */
async function deploy(sha: string, before: string, inputs: Record<string, string> = {}): Promise<Run> {
  return runAction({
    workspace: estate!.checkout(sha, REF),
    sha,
    ref: REF,
    event: { name: 'push', payload: pushPayload({ ref: REF, before, after: sha }) },
    inputs: { 'client-id': CLIENT, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION, ...inputs },
    env: {
      NODE_EXTRA_CA_CERTS: standin.caCertPath,
      ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken,
      GITHUB_API_URL: standin.github.apiUrl,
      PATH: runnerPath,
      DJANGO_SECRET_KEY: SECRET_KEY,
      DATABASE_URL: databaseUrl,
      ESTATE_API_TOKEN: API_TOKEN
    },
    // Scanned for, in the log, the outputs and the summary, beside every token the stand-in issued.
    secrets: [SECRET_KEY, databaseUrl, API_TOKEN],
    timeoutMs: 420_000
  })
}

/** The run's log and summary, for a failed expectation to show. */
const explain = (result: Run) => `exit ${result.exitCode}, result ${result.outputs.result}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}\n--- summary ---\n${result.summary}`

function expectResult(result: Run, exitCode: number, outcome: string): void {
  if (result.exitCode !== exitCode || result.outputs.result !== outcome) throw new Error(`expected exit ${exitCode} with result ${outcome}; got ${explain(result)}`)
}

/** Each API Web App's production slot, as the stand-in holds it. */
const sites = (): Site[] => APPS.map(app => standin.state().sites.find(site => site.resourceGroup === GROUP && site.name === app && site.slot === 'production')!)
const imageOf = (sha: string) => `${REGISTRY}/${REPOSITORY}:${sha}`

/** Rows of a query, columns split on "|", from Postgres' own client. */
async function sql(query: string): Promise<string[][]> {
  const { stdout } = await run('psql', ['-X', '-At', '-d', localDatabaseUrl, '-c', query])
  return stdout.split('\n').filter(Boolean).map(line => line.split('|'))
}
/** How many times Django recorded applying that migration. */
const applications = async (app: string, name: string) => Number((await sql(`SELECT count(*) FROM django_migrations WHERE app = '${app}' AND name = '${name}'`))[0]![0])

/** A request to a Web App through its HTTPS front, as a user reaches it. */
async function callApp(site: Site, route: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; version: string | null }> {
  const response = await fetch(`https://${site.defaultHostName}${route}`, { ...init, headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...init.headers }, signal: AbortSignal.timeout(15_000) })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON (App Service's error page, Django's 500): kept as text.
  }
  return { status: response.status, body, version: response.headers.get('x-app-version') }
}

/** The commit each Web App answers on /healthz now. */
const answering = () => Promise.all(sites().map(async site => (await callApp(site, '/healthz')).version))

beforeAll(async () => {
  if (!docker.available && process.env.CI !== 'true') return
  requireDocker()
  await requireRegistry()
  standin = await startAzureStandin({ containers: 'auto', repository: 'octo-org/estate', onExchange: contract.onExchange })
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT, federatedCredentials: [{ subject: `repo:octo-org/estate:ref:${REF}` }] })
  standin.setOidcClaims({ sub: `repo:octo-org/estate:ref:${REF}`, ref: REF })
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  // A cold start of the API copies the image (vfs) and boots gunicorn: well within 90 s here.
  standin.setContainerStartLimit(90_000)
  runnerPath = `${path.dirname(await buildkitCli())}:${runnerPath}`
  if (standin.containers.network !== 'apd-standin (bridge)') throw new Error(`the stand-in's Web Apps need its bridge network: ${standin.containers.network}`)

  // The base image the Dockerfile starts FROM (built once per machine), and a database of our own.
  await service('base-image.sh')
  localDatabaseUrl = await service('postgres.sh', [DATABASE])
  if (!standin.containers.gateway) throw new Error('the stand-in found no gateway on its bridge network')
  databaseUrl = localDatabaseUrl.replace('@127.0.0.1:', `@${standin.containers.gateway}:`)

  // Two empty Web Apps, as created in the portal; stage's first deploy fills them.
  for (const app of APPS) await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: GROUP, name: app, healthCheckPath: '/healthz' })
  estate = createEstate({ from: ESTATE, prefix: 'apd-release-', files: { [CONFIG_FILE]: estateConfig() } })
  estate.branch(BRANCH)
  const before = estate.push(BRANCH)
  const first = estate.head()
  const result = await deploy(first, before)
  expectResult(result, 0, 'deployed')
  live = first
}, 900_000)

afterAll(async () => {
  estate?.dispose()
  await standin?.close()
  if (localDatabaseUrl) await run('psql', ['-X', '-q', '-d', localDatabaseUrl.replace(/\/[^/]+$/, '/postgres'), '-c', `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`]).catch(() => undefined)
  if (docker.available) {
    const { stdout } = await run('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `${REGISTRY}/${REPOSITORY}`]).catch(() => ({ stdout: '' }))
    const tags = stdout.split('\n').filter(Boolean)
    if (tags.length > 0) await run('docker', ['image', 'rm', '--force', ...tags]).catch(() => undefined)
  }
}, 120_000)

describe('the release step on the real estate', () => {
  dockerTest(
    'a new model and its migration: applied once before either Web App switches, then both serve it and its API works',
    async () => {
      const startsBefore = sites().map(site => site.starts.length)
      const { sha, before } = push(tagModel, 'Tags for notes: a model, its migration and /api/tags/')
      const result = await deploy(sha, before)
      expectResult(result, 0, 'deployed')
      live = sha

      // One release, in the new image, on the runner; Django applied 0002 once.
      expect(result.stdout.match(/^release of api: /gm)).toHaveLength(1)
      expect(result.stdout).toContain(`release of api: python manage.py migrate --noinput in ${imageOf(sha)} on the runner`)
      expect(result.stdout.match(/Applying notes\.0002_tag\.\.\. OK/g)).toHaveLength(1)
      expect(await applications('notes', '0002_tag')).toBe(1)
      expect(await applications('notes', '0001_initial')).toBe(1)

      // Before any switch: the migration's time precedes each Web App's start of the new image.
      const [[applied]] = (await sql(`SELECT extract(epoch FROM applied) * 1000 FROM django_migrations WHERE name = '0002_tag'`)) as [[string]]
      for (const [index, site] of sites().entries()) {
        const started = site.starts.slice(startsBefore[index])
        expect(started.map(start => [start.image, start.status])).toEqual([[imageOf(sha), 'succeeded']])
        expect(Number(applied)).toBeLessThan(Date.parse(started[0]!.startedAt))
      }

      // Both serve the new commit, and the new table answers through each Web App's HTTPS front.
      expect(await answering()).toEqual([sha, sha])
      const [first, second] = sites() as [Site, Site]
      const created = await callApp(first, '/api/tags/', { method: 'POST', body: JSON.stringify({ name: 'spring-tide' }) })
      expect(created).toMatchObject({ status: 201, body: { name: 'spring-tide' } })
      const listed = await callApp(second, '/api/tags/')
      expect(listed.status).toBe(200)
      expect((listed.body as { results: { name: string }[] }).results.map(tag => tag.name)).toEqual(['spring-tide'])
      expect(result.summary).toMatch(/Release step <code>python manage\.py migrate --noinput<\/code> on runner: done in [\d.]+s/)
      expect(result.summary).toMatch(/<p>Phases: read [\d.]+s, switch [\d.]+s, verify [\d.]+s[^<]*\.<\/p>/)
    },
    600_000
  )

  dockerTest(
    "a migration that fails: no Web App switches, Django's error is in the log and the job summary, result failed",
    async () => {
      const startsBefore = sites().map(site => site.starts.length)
      const settingsBefore = sites().map(site => site.appSettings)
      const callsBefore = standin.calls.length
      const { sha, before } = push(failingMigration, 'Backfill tag names from slugs')
      const result = await deploy(sha, before)
      expectResult(result, 1, 'failed')

      // Django's own error, in the step's log and in the job summary.
      const djangoError = /django\.db\.utils\.ProgrammingError: column "slug" does not exist/
      expect(result.stdout).toMatch(djangoError)
      expect(result.summary).toMatch(djangoError)
      expect(result.stdout).toContain('Applying notes.0003_backfill_tag_slugs...')
      expect(result.stdout).toMatch(/::error::azure-push-deploy: the release step of api failed: the release command exited with 1\. No target was switched\./)
      expect(result.summary).toMatch(/Release step <code>python manage\.py migrate --noinput<\/code> on runner: failed \(the release command exited with 1\)/)
      expect(JSON.parse(result.outputs.parts!)).toMatchObject({ api: { result: 'failed' } })

      // Nothing switched: the same image, the same settings, no start; the migration rolled back.
      expect(sites().map(site => site.starts.length)).toEqual(startsBefore)
      expect(sites().map(site => site.linuxFxVersion)).toEqual([`DOCKER|${imageOf(live)}`, `DOCKER|${imageOf(live)}`])
      expect(sites().map(site => site.appSettings)).toEqual(settingsBefore)
      expect(await answering()).toEqual([live, live])
      expect(await applications('notes', '0003_backfill_tag_slugs')).toBe(0)
      expect(standin.calls.slice(callsBefore).filter(call => !['GET', 'POST'].includes(call.method))).toEqual([])
    },
    600_000
  )
})

describe('app settings released with the image', () => {
  /** The commit with the new settings: planned by a dry run first, then deployed. */
  let release = { sha: '', before: '' }
  const newSettings = { ESTATE_NOTICE: NOTICE, ESTATE_API_TOKEN: { 'from-env': 'ESTATE_API_TOKEN' }, DJANGO_CORS_ALLOWED_ORIGINS: CORS }

  dockerTest(
    'the dry-run plan shows the release step, the settings diff by name and the command and port of each target, never a value',
    async () => {
      const startsBefore = sites().map(site => site.starts.length)
      const callsBefore = standin.calls.length
      release = push(withoutFailingMigration, 'A notice for the site, and a token for the API', estateConfig({ settings: newSettings }))
      const result = await deploy(release.sha, release.before, { 'dry-run': 'true' })
      expectResult(result, 0, 'planned')

      // Compared with what runs (the commit before the failed one): the config changed, the backend did not.
      expect(result.stdout).toMatch(new RegExp(`^ {2}release skip python manage\\.py migrate --noinput on runner in ${imageOf(release.sha).replace(/[.]/g, '\\.')}, once, before any target switches \\(nothing under its paths changed\\)$`, 'm'))
      expect(result.stdout).toMatch(/^ {4}env DJANGO_SECRET_KEY \(from env DJANGO_SECRET_KEY\)$/m)
      expect(result.stdout).toMatch(/^ {4}env DATABASE_URL \(from env DATABASE_URL\)$/m)
      for (const app of APPS) {
        expect(result.stdout).toContain(`    - ${app} (resource group ${GROUP}): command "gunicorn config.wsgi -b 0.0.0.0:8000", port 8000`)
        expect(result.stdout).toMatch(new RegExp(`^api ${app}: app settings \\+ESTATE_NOTICE \\+ESTATE_API_TOKEN ~DJANGO_CORS_ALLOWED_ORIGINS$`, 'm'))
      }
      expect(result.stdout).toMatch(/^ {2}setting ESTATE_NOTICE \(set in the config\)$/m)
      expect(result.stdout).toMatch(/^ {2}setting ESTATE_API_TOKEN \(from env ESTATE_API_TOKEN\)$/m)
      expect(result.stdout).toMatch(/^ {2}setting DJANGO_SECRET_KEY \(from env DJANGO_SECRET_KEY\)$/m)

      // No secret anywhere (runAction scans for them too); the log and the summary name settings, never their values.
      const written = [result.stdout, result.stderr, result.summary, Object.values(result.outputs).join('\n')].join('\n')
      for (const secret of [SECRET_KEY, API_TOKEN, databaseUrl, new URL(databaseUrl).password]) expect(written).not.toContain(secret)
      // (The plan output holds the config as written, its plain values included: they are in the repository anyway.)
      for (const value of [NOTICE, CORS, 'config.settings', 'api.stage.tidepool.example']) expect(`${result.stdout}\n${result.summary}`).not.toContain(value)

      // Nothing changed: no start, no write to Azure.
      expect(sites().map(site => site.starts.length)).toEqual(startsBefore)
      expect(standin.calls.slice(callsBefore).filter(call => !['GET', 'POST'].includes(call.method) || (call.method === 'POST' && !/\/config\/appsettings\/list$|\/token$/i.test(call.path)))).toEqual([])
    },
    300_000
  )

  dockerTest(
    'the release: both Web Apps run the new settings after one restart each, in one update with the image',
    async () => {
      const startsBefore = sites().map(site => site.starts.length)
      const callsBefore = standin.calls.length
      const result = await deploy(release.sha, release.before)
      expectResult(result, 0, 'deployed')
      live = release.sha
      expect(result.stdout).toContain('api: release step skipped (nothing under its paths changed)')

      for (const [index, site] of sites().entries()) {
        // One start each (the new image with the new settings, beside the old container), and it serves with them.
        expect(site.starts.slice(startsBefore[index]).map(start => [start.image, start.status])).toEqual([[imageOf(release.sha), 'succeeded']])
        expect(site.serving?.env).toMatchObject({ ESTATE_NOTICE: NOTICE, ESTATE_API_TOKEN: API_TOKEN, DJANGO_CORS_ALLOWED_ORIGINS: CORS, DJANGO_SECRET_KEY: SECRET_KEY, DATABASE_URL: databaseUrl, WEBSITES_PORT: '8000' })
        expect(site.appCommandLine).toBe('gunicorn config.wsgi -b 0.0.0.0:8000')
        // One update of the site carried image, settings and command; the settings were not written apart.
        const writes = standin.calls.slice(callsBefore).filter(call => call.path.toLowerCase().includes(`/sites/${site.name}`) && !['GET'].includes(call.method) && !/\/config\/appsettings\/list$/i.test(call.path))
        expect(writes.map(call => call.method)).toEqual(['PATCH'])
      }
      expect(await answering()).toEqual([release.sha, release.sha])
      const targets = JSON.parse(result.outputs.targets!) as { app: string; status: string; settings: { added: string[]; changed: string[] } }[]
      expect(targets.map(target => [target.app, target.status, target.settings])).toEqual(APPS.map(app => [app, 'deployed', { added: ['ESTATE_NOTICE', 'ESTATE_API_TOKEN'], changed: ['DJANGO_CORS_ALLOWED_ORIGINS'], removed: [] }]))
    },
    600_000
  )

  dockerTest(
    'a release whose container never becomes healthy: both Web Apps go back to the previous image and the previous settings',
    async () => {
      const previous = sites().map(site => ({ image: site.linuxFxVersion, settings: site.appSettings, command: site.appCommandLine }))
      const { sha, before } = push({}, 'Move the maintenance notice; quieter logs', estateConfig({ settings: { ...newSettings, ESTATE_NOTICE: NOTICE_LATER, DJANGO_LOG_LEVEL: 'WARNING' } }))
      standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: GROUP, name: APPS[1]! })
      const result = await deploy(sha, before)
      expectResult(result, 1, 'rolled-back')
      expect(result.stdout).toMatch(new RegExp(`::error::azure-push-deploy: the api deploy was rolled back: ${APPS[1]} failed to verify`))

      const targets = JSON.parse(result.outputs.targets!) as { app: string; status: string }[]
      expect(targets.map(target => [target.app, target.status])).toEqual(APPS.map(app => [app, 'rolled-back']))
      // Exactly what ran before: image, every setting, start command — and what serves was started with it.
      expect(sites().map(site => ({ image: site.linuxFxVersion, settings: site.appSettings, command: site.appCommandLine }))).toEqual(previous)
      for (const site of sites()) {
        expect(site.serving?.image).toBe(imageOf(live))
        expect(site.serving?.env).toMatchObject({ ESTATE_NOTICE: NOTICE })
        expect(site.serving?.env).not.toHaveProperty('DJANGO_LOG_LEVEL')
      }
      expect(await answering()).toEqual([live, live])
    },
    600_000
  )
})

describe('the release step in a container group', () => {
  dockerTest(
    'run-on: container-instance: the migration runs once in a group beside the Web Apps, its log in the step, the group deleted; then both switch',
    async () => {
      const callsBefore = standin.calls.length
      const config = estateConfig({ settings: { ESTATE_NOTICE: NOTICE, ESTATE_API_TOKEN: { 'from-env': 'ESTATE_API_TOKEN' }, DJANGO_CORS_ALLOWED_ORIGINS: CORS }, runOn: 'container-instance' })
      const { sha, before } = push(tagColor, 'Tags get a colour (expand: a nullable column)', config)
      const result = await deploy(sha, before)
      expectResult(result, 0, 'deployed')
      live = sha

      expect(result.stdout).toMatch(/^ {2}release run python manage\.py migrate --noinput on container-instance in /m)
      expect(result.stdout).toMatch(new RegExp(`release of api: python manage\\.py migrate --noinput in [^ ]+, container group ${GROUP}/apd-release-api-[0-9a-f]{8} \\(`))
      expect(result.stdout).not.toContain('on the runner')
      // The group's log, read into the step; Django applied 0003 once.
      expect(result.stdout.match(/Applying notes\.0003_tag_color\.\.\. OK/g)).toHaveLength(1)
      // The group gets the target's settings as secure variables; those written in the config are no secret, and stay readable.
      for (const value of ['config.settings', 'api.stage.tidepool.example', CORS]) expect(result.stdout).not.toContain(`::add-mask::${value}`)
      expect(await applications('notes', '0003_tag_color')).toBe(1)

      // One group, created and deleted, in the Web Apps' resource group.
      const groupCalls = standin.calls.slice(callsBefore).filter(call => /\/containerGroups\/[^/]+$/i.test(call.path) && call.method !== 'GET')
      expect(groupCalls.map(call => [call.method, call.path.toLowerCase().includes(`/resourcegroups/${GROUP}/`)])).toEqual([
        ['PUT', true],
        ['DELETE', true]
      ])
      expect(standin.state().containerGroups).toEqual([])

      expect(await answering()).toEqual([sha, sha])
      const [first, second] = sites() as [Site, Site]
      const created = await callApp(first, '/api/tags/', { method: 'POST', body: JSON.stringify({ name: 'neap-tide', color: 'teal' }) })
      expect(created).toMatchObject({ status: 201, body: { name: 'neap-tide', color: 'teal' } })
      const listed = await callApp(second, '/api/tags/')
      expect((listed.body as { results: { name: string; color: string | null }[] }).results).toEqual([
        expect.objectContaining({ name: 'neap-tide', color: 'teal' }),
        expect.objectContaining({ name: 'spring-tide', color: null })
      ])
    },
    600_000
  )
})
