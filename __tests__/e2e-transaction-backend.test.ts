/**
 * A deploy is one transaction per environment (issue 10), shown end to end on image parts:
 * the bundled action run as a runner runs it (the runner's Cancel and the post step
 * included), the example backend built by the real Docker engine and pushed to the local
 * registry, Web Apps of the Azure stand-in running it on real containers, and the
 * environment's lock a blob lease in Azurite behind the recording storage proxy.
 *
 * Each test names the failure mode it shows: what went wrong between the steps of a deploy
 * (a cancellation, a second deploy, an older re-run, a failed build of another part, a
 * missing target) and what the estate must look like afterwards, read from the stand-in,
 * the containers, the registry and the storage, not from what the action says.
 */
import { afterAll, beforeAll, describe, expect } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { stringify } from 'yaml'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { buildkitCli, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'
import { buildBackendServer, deploymentStates, dockerConfigsIn, linesOf, partsOf, registryHasTag, startServices, SUBSCRIPTION, waitUntil, type Services } from '../__fixtures__/e2e-services.js'
import { createJob, pushPayload, type ActionRun, type Job, type RunningStep } from '../scripts/lib/action-runner.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'

type Estate = ReturnType<typeof createEstate>

const dockerTest = dockerTestFor('e2e-transaction-backend')
const REPOSITORY = `e2e/txn-${randomBytes(4).toString('hex')}`
const BACKEND = new URL('../__fixtures__/estate-legacy/backend/', import.meta.url)
const backendFile = (name: string) => readFileSync(new URL(name, BACKEND), 'utf8')
const LOCK_BLOB = (environment: string) => `${environment}/deploy.lock`

const contract = useAzureContract()
let services: Services
const estates: Estate[] = []
const jobs: Job[] = []
/** PATH for the action: a docker CLI that builds with BuildKit first, as on a runner with buildx. */
let runnerPath = process.env.PATH ?? ''

beforeAll(async () => {
  if (process.env.CI === 'true') requireDocker()
  services = await startServices({ containers: 'auto', onExchange: contract.onExchange })
  services.standin.setContainerStartLimit(20_000)
  try {
    runnerPath = `${path.dirname(await buildkitCli())}:${runnerPath}`
  } catch {
    // The action falls back to the classic builder, slower but the same result.
  }
}, 60_000)

afterAll(async () => {
  for (const job of jobs) job.dispose()
  for (const estate of estates) estate.dispose()
  await services?.stop()
})

// ---------------------------------------------------------------------------------------------
// The estate and the runs.

const HEALTH = '{ path: /healthz, version-header: X-App-Version, timeout: 60, consecutive: 2, interval: 0.25 }'
const targetsYaml = (group: string, apps: readonly string[]) => apps.map(app => `        - { resource-group: ${group}, app: ${app} }`).join('\n')
/** The environment's lock: a lease in Azurite, through the proxy. */
const lockYaml = () => `    lock: { storage-account: devstoreaccount1, blob-endpoint: '${services.proxy.blobEndpoint}', container: deployments, timeout: 300 }\n`

/** The backend part's files: the example API stand-in, built from source by the workflow before the action. */
const BACKEND_FILES = () => ({
  'backend/server.c': backendFile('server.c'),
  'backend/Dockerfile': backendFile('Dockerfile'),
  'backend/build-server.sh': backendFile('build-server.sh'),
  'backend/.dockerignore': backendFile('.dockerignore')
})

/** A release of the backend: a comment in the server's source is enough to make a new image. */
const release = (name: string) => ({ 'backend/server.c': `${backendFile('server.c')}\n/* ${name} */\n` })

function backendConfig(environments: string, site = ''): string {
  return `${stringify({ cloud: services.standin.cloudSetting })}parts:
  backend:
    paths: ['backend/**']
    context: backend
    registry: ${REGISTRY}
    repository: ${REPOSITORY}
    cache: none
    health: ${HEALTH}
${site}environments:
${environments}`
}

function estateWith(files: Record<string, string>): Estate {
  const estate = createEstate({ files })
  estates.push(estate)
  return estate
}

let runIds = 5000

/** A job of the workflow for `sha` (its push's `before`), checked out and with the server built, not yet started. */
async function jobFor(estate: Estate, sha: string, before: string, inputs: Record<string, string> = {}): Promise<Job> {
  const workspace = estate.checkout(sha)
  await buildBackendServer(workspace)
  const job = createJob({
    workspace,
    sha,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
    inputs: { ...services.signIn, ...inputs },
    env: { ...services.runnerEnv(), PATH: runnerPath, GITHUB_RUN_ID: String(++runIds) },
    timeoutMs: 300_000
  })
  jobs.push(job)
  return job
}

/** A whole job: its main step, then its post step as the runner runs it. */
async function deploy(estate: Estate, sha: string, before: string, inputs: Record<string, string> = {}): Promise<ActionRun & { post?: ActionRun; lines: string[]; error: string }> {
  const job = await jobFor(estate, sha, before, inputs)
  const main = await job.run()
  const post = await job.post()
  return { ...main, ...linesOf(main), post }
}

const site = (group: string, app: string) => {
  const entry = services.standin.state().sites.find(s => s.resourceGroup === group && s.name === app && s.slot === 'production')
  if (!entry) throw new Error(`no Web App ${group}/${app} in the stand-in`)
  return entry
}
/** What a target answers now: its real container's X-App-Version. */
async function serving(group: string, app: string): Promise<string | null> {
  const response = await fetch(`https://${site(group, app).defaultHostName}/healthz`)
  return response.headers.get('x-app-version')
}
/** The commit of the image a target is configured for. */
const configured = (group: string, app: string) => site(group, app).image?.split(':').at(-1) ?? null
/** The commits of every image start a target has seen. */
const started = (group: string, app: string) => site(group, app).starts.map(start => start.image.split(':').at(-1))

/** ARM calls since `from` that change a Web App whose name starts with `app` (POST …/list is a read). */
const writesTo = (from: number, app: string) =>
  services.standin.calls.slice(from).filter(call => call.method !== 'GET' && !/\/list$/i.test(call.path) && call.path.toLowerCase().includes(`/sites/${app.toLowerCase()}`))

/** The lease state of the environment's lock blob; `no lock` when there is none. */
async function leaseOf(environment: string): Promise<string | undefined> {
  const blob = services.admin.getContainerClient('deployments').getBlobClient(LOCK_BLOB(environment))
  return (await blob.exists()) ? (await blob.getProperties()).leaseState : 'no lock'
}

// ---------------------------------------------------------------------------------------------

/**
 * Three Web Apps on the first release; the second release rolls out with api-3's new container
 * slow to start; once api-1 and api-2 serve it, the main step is stopped by `stop` (the
 * runner's Cancel, or a kill), then the post step runs as the runner runs it.
 */
async function stoppedMidRollout(group: string, stop: (main: RunningStep) => Promise<ActionRun>) {
  const apps = ['api-1', 'api-2', 'api-3']
  const estate = estateWith({ ...BACKEND_FILES(), '.github/azure-deploy.yml': backendConfig(`  prod:\n    branches: [main]\n${lockYaml()}    backend:\n      targets:\n${targetsYaml(group, apps)}\n`) })
  for (const app of apps) await services.standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: app, appSettings: { WEBSITES_PORT: '8000' } })
  const first = estate.head()
  const deployed = await deploy(estate, first, estate.push('main'))
  expect(deployed.error).toBe('')
  expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([first, first, first])

  const second = estate.commit(release('release 2'), 'release 2')
  const job = await jobFor(estate, second, estate.push('main'))
  services.standin.failContainerStart({ resourceGroup: group, name: 'api-3' })
  const main = job.start()
  await main.waitForLine(/\(2\/3 verified\)/, 240_000)
  // The moment of the issue: two targets serve the new release; the third is configured for it and serves the old one.
  expect(apps.map(app => configured(group, app))).toEqual([second, second, second])
  expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([second, second, first])

  const stopped = await stop(main)
  const afterMain = { serving: await Promise.all(apps.map(app => serving(group, app))), lease: await leaseOf('prod'), dockerConfigs: dockerConfigsIn(job.runnerTemp) }
  const post = await job.post()
  return { apps, estate, first, second, job, stopped, afterMain, post }
}

describe('a deploy is one transaction per environment: image parts', () => {
  dockerTest(
    'cancelled mid-rollout: the runner’s Cancel and the post step leave every target on one verified release; a re-run deploys',
    async () => {
      await requireRegistry()
      const group = 'rg-cancel'
      const { apps, estate, first, second, job, stopped: cancelled, post } = await stoppedMidRollout(group, main => main.cancel())

      // Every target on one verified release: the previous one, configured and serving.
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([first, first, first])
      expect(apps.map(app => configured(group, app))).toEqual([first, first, first])
      // The GitHub deployment of the cancelled release ended as failed, not left in progress.
      expect(deploymentStates(services.standin, 'prod/backend', second).map(states => states.at(-1))).toEqual(['failure'])
      // The lock is free and the private Docker config is gone.
      expect(await leaseOf('prod')).not.toBe('leased')
      expect(dockerConfigsIn(job.runnerTemp)).toEqual([])
      // What each step said: the main step was stopped by the signal and says so; the post step repaired or found nothing left.
      expect(cancelled.signals[0]).toBe('SIGINT')
      expect(cancelled.exitCode).not.toBe(0)
      expect(linesOf(cancelled).lines.some(line => /^::warning::SIGINT: stopping/.test(line))).toBe(true)
      expect(['rolled-back', 'failed']).toContain(cancelled.outputs.result)
      expect(post?.exitCode).toBe(0)
      // `signals` tells how far the runner had to go: SIGINT alone when the main step rolled back in its grace period.
      console.log(`cancel: signals ${cancelled.signals.join(', ')}; main step result ${cancelled.outputs.result}; post step said:\n${linesOf(post ?? { stdout: '', stderr: '' }).lines.join('\n')}`)

      // The same commit again: deployed (what serves is the previous release), not skipped.
      const rerun = await deploy(estate, second, first)
      expect(rerun.error).toBe('')
      expect(rerun.outputs.result).toBe('deployed')
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([second, second, second])
    },
    600_000
  )

  dockerTest(
    'killed mid-rollout (no handler of the main step runs): the post step alone puts every target back, proven, and frees the lock',
    async () => {
      await requireRegistry()
      const group = 'rg-killed'
      const { apps, estate, first, second, job, stopped: killed, afterMain, post } = await stoppedMidRollout(group, main => main.kill())
      // What the kill left: the mixed estate.
      expect(killed.signal).toBe('SIGKILL')
      expect(afterMain.serving).toEqual([second, second, first])

      // The post step: every switched target back on the first release and proven serving it.
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([first, first, first])
      expect(apps.map(app => configured(group, app))).toEqual([first, first, first])
      // The kill had left the lock held and the credentials on disk; the post step took both away.
      expect(afterMain.lease).toBe('leased')
      expect(afterMain.dockerConfigs).toHaveLength(1)
      expect(deploymentStates(services.standin, 'prod/backend', second).map(states => states.at(-1))).toEqual(['failure'])
      expect(await leaseOf('prod')).not.toBe('leased')
      expect(dockerConfigsIn(job.runnerTemp)).toEqual([])
      expect(post?.exitCode).toBe(0)
      const said = linesOf(post ?? { stdout: '', stderr: '' }).lines
      for (const app of apps) expect(said).toContainEqual(expect.stringMatching(new RegExp(`^${app}: back on .*:${first}, proven$`)))
      expect(post?.summary).toContain('azure-push-deploy post step')

      // A re-run of the same commit deploys it.
      const rerun = await deploy(estate, second, first)
      expect(rerun.error).toBe('')
      expect(rerun.outputs.result).toBe('deployed')
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([second, second, second])
    },
    600_000
  )

  dockerTest(
    'two backend deploys of two commits at once: the lock serialises them, the newer ends live everywhere, each run tells the truth',
    async () => {
      await requireRegistry()
      const group = 'rg-race'
      const apps = ['race-1', 'race-2']
      const environments = `  prod:\n    branches: [main]\n${lockYaml()}    backend:\n      targets:\n${targetsYaml(group, apps)}\n  staging:\n${lockYaml()}    backend:\n      targets:\n${targetsYaml(group, ['race-staging'])}\n`
      const estate = estateWith({ ...BACKEND_FILES(), '.github/azure-deploy.yml': backendConfig(environments) })
      for (const app of [...apps, 'race-staging']) await services.standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: app, appSettings: { WEBSITES_PORT: '8000' } })
      const base = estate.head()
      estate.push('main')
      const older = estate.commit(release('A'), 'release A')
      const olderBefore = estate.push('main')
      const newer = estate.commit(release('B'), 'release B')
      const newerBefore = estate.push('main')

      // B's image is built already: B went to staging first.
      const staged = await deploy(estate, newer, newerBefore, { environment: 'staging' })
      expect(staged.error).toBe('')
      expect(await registryHasTag(REGISTRY, REPOSITORY, newer)).toBe(true)

      // Whichever run takes the lock first keeps it (its release held back at the storage) until the other waits for it.
      const held = services.proxy.hold(request => request.container === 'deployments' && request.blob === LOCK_BLOB('prod') && request.leaseAction === 'release')
      const [jobA, jobB] = await Promise.all([jobFor(estate, older, olderBefore, { environment: 'prod' }), jobFor(estate, newer, newerBefore, { environment: 'prod' })])
      const [runA, runB] = [jobA.start(), jobB.start()]
      const WAITING = 'waiting for another deploy to release devstoreaccount1/deployments/prod/deploy.lock'
      try {
        await waitUntil(() => runA.stdout().includes(WAITING) || runB.stdout().includes(WAITING), 240_000, 'one deploy to wait for the other’s lock')
      } finally {
        held.release()
      }
      const [a, b] = await Promise.all([runA.done, runB.done])
      await Promise.all([jobA.post(), jobB.post()])
      const [linesA, linesB] = [linesOf(a), linesOf(b)]

      // The newer commit is live everywhere.
      expect(await Promise.all(apps.map(app => serving(group, app)))).toEqual([newer, newer])
      expect(apps.map(app => configured(group, app))).toEqual([newer, newer])
      expect([linesA.error, linesB.error]).toEqual(['', ''])
      expect([a.exitCode, b.exitCode]).toEqual([0, 0])

      const aWaited = a.stdout.includes(WAITING)
      const bWaited = b.stdout.includes(WAITING)
      expect([aWaited, bWaited].filter(Boolean)).toHaveLength(1)
      // The waiting run names the lock's holder: its run, its commit.
      const [waiter, holderSha] = aWaited ? [linesA, newer] : [linesB, older]
      expect(waiter.lines).toContainEqual(expect.stringMatching(new RegExp(`^  it is held by run https://github\\.com/octo-org/estate/actions/runs/\\d+, commit ${holderSha.slice(0, 12)}, started \\d{4}-`)))

      expect(b.outputs.result).toBe('deployed')
      expect(partsOf(b).backend).toMatchObject({ result: 'deployed' })
      expect(deploymentStates(services.standin, 'prod/backend', newer)).toEqual([['in_progress', 'success']])
      if (aWaited) {
        // A got the lock second: B (newer) was live, so A deployed nothing.
        expect(a.outputs.result).toBe('superseded')
        expect(partsOf(a).backend).toMatchObject({ result: 'superseded', live: newer })
        expect(linesA.lines).toContainEqual(expect.stringMatching(new RegExp(`^::warning::backend: not deployed: ${newer.slice(0, 12)} is live and descends from ${older.slice(0, 12)}`)))
        for (const app of apps) expect([app, started(group, app)]).toEqual([app, [newer]])
        expect(deploymentStates(services.standin, 'prod/backend', older)).toEqual([['in_progress', 'inactive']])
      } else {
        // A got the lock first: it deployed, then B replaced it.
        expect(a.outputs.result).toBe('deployed')
        expect(partsOf(a).backend).toMatchObject({ result: 'deployed' })
        for (const app of apps) expect([app, started(group, app)]).toEqual([app, [older, newer]])
        expect(deploymentStates(services.standin, 'prod/backend', older)).toEqual([['in_progress', 'success', 'inactive']])
      }
      console.log(`two deploys at once: ${aWaited ? 'B (newer) took the lock first, A was superseded' : 'A (older) took the lock first, then B replaced it'}; base ${base.slice(0, 12)}`)
      expect(await leaseOf('prod')).not.toBe('leased')
    },
    600_000
  )

  dockerTest(
    'an older re-run after a newer push went live: superseded, the newer release still serving, its GitHub deployment inactive',
    async () => {
      await requireRegistry()
      const group = 'rg-older'
      const apps = ['older-1']
      const estate = estateWith({ ...BACKEND_FILES(), '.github/azure-deploy.yml': backendConfig(`  prod:\n    branches: [main]\n${lockYaml()}    backend:\n      targets:\n${targetsYaml(group, apps)}\n`) })
      await services.standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: 'older-1', appSettings: { WEBSITES_PORT: '8000' } })
      const first = estate.head()
      const firstBefore = estate.push('main')
      expect((await deploy(estate, first, firstBefore)).outputs.result).toBe('deployed')
      const second = estate.commit(release('release 2'), 'release 2')
      expect((await deploy(estate, second, estate.push('main'))).outputs.result).toBe('deployed')
      expect(await serving(group, 'older-1')).toBe(second)

      // The first push's job, re-run.
      const rerun = await deploy(estate, first, firstBefore)
      expect(await serving(group, 'older-1')).toBe(second)
      expect(configured(group, 'older-1')).toBe(second)
      expect(started(group, 'older-1')).toEqual([first, second])
      expect(rerun.error).toBe('')
      expect(rerun.exitCode).toBe(0)
      expect(rerun.outputs.result).toBe('superseded')
      expect(partsOf(rerun).backend).toMatchObject({ result: 'superseded', live: second })
      expect(rerun.lines).toContainEqual(expect.stringMatching(new RegExp(`^::warning::backend: not deployed: ${second.slice(0, 12)} is live and descends from ${first.slice(0, 12)}`)))
      // GitHub: the re-run's deployment is inactive (not a success that would name the older release live).
      expect(deploymentStates(services.standin, 'prod/backend', first).at(-1)).toEqual(['in_progress', 'inactive'])
      expect(deploymentStates(services.standin, 'prod/backend', second)).toEqual([['in_progress', 'success']])
    },
    600_000
  )
})

describe('a deploy is one transaction per environment: bounded calls', () => {
  dockerTest(
    'an ARM call that hangs is given up after its per-try timeout and retried: the rollout goes on instead of stalling for as long as it hangs',
    async () => {
      await requireRegistry()
      const group = 'rg-hang'
      const estate = estateWith({ ...BACKEND_FILES(), '.github/azure-deploy.yml': backendConfig(`  prod:\n    branches: [main]\n${lockYaml()}    backend:\n      targets:\n${targetsYaml(group, ['hang-1'])}\n`) })
      await services.standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: 'hang-1', appSettings: { WEBSITES_PORT: '8000' } })
      const sha = estate.head()
      const job = await jobFor(estate, sha, estate.push('main'))
      // The switch's PATCH of the site config is answered only after HANG_MS (ARM accepted it and never said so in time).
      const HANG_MS = 240_000
      services.standin.faults.delay({ method: 'PATCH', path: /\/sites\/hang-1\/config\/web$/i, times: 1, delayMs: HANG_MS })
      const main = job.start()
      await main.waitForLine('::group::Roll out to 1 target', 240_000)
      const switching = Date.now()
      const run = await main.done
      const seconds = (Date.now() - switching) / 1000
      await job.post()
      expect(linesOf(run).error).toBe('')
      expect(run.outputs.result).toBe('deployed')
      expect(await serving(group, 'hang-1')).toBe(sha)
      // Done in far less time than the call hung.
      expect(seconds).toBeLessThan(HANG_MS / 1000 / 2)
      console.log(`a hung PATCH: deployed ${Math.round(seconds)} s after the switch began (the call hung ${HANG_MS / 1000} s)`)
    },
    600_000
  )
})

describe('a deploy is one transaction per environment: checks and builds before the first live change', () => {
  /** A site part whose build runs `node build.mjs`: public/ copied to build/, after importing src/app.mjs (a syntax error there breaks the build). */
  const SITE_FILES = {
    'frontend/package.json': `${JSON.stringify({ name: 'site', version: '1.0.0', private: true, type: 'module', scripts: { build: 'node build.mjs' } }, null, 2)}\n`,
    'frontend/package-lock.json': `${JSON.stringify({ name: 'site', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'site', version: '1.0.0' } } }, null, 2)}\n`,
    'frontend/build.mjs': "import { cpSync, rmSync } from 'node:fs'\nawait import('./src/app.mjs')\nrmSync('build', { recursive: true, force: true })\ncpSync('public', 'build', { recursive: true })\n",
    'frontend/src/app.mjs': 'export const release = 1\n',
    'frontend/public/index.html': '<!doctype html><title>Site</title><h1>Release 1</h1>\n',
    'frontend/public/app.js': 'console.log("release 1")\n'
  }
  const SITE_PART = `  frontend:
    paths: ['frontend/**']
    working-directory: frontend
    output: build
`
  const siteEnvironment = () => `    frontend:\n      storage-account: devstoreaccount1\n      blob-endpoint: '${services.proxy.blobEndpoint}'\n      container: mixed-web\n      archive-container: mixed-deployments\n`

  dockerTest(
    'a broken frontend build in a push that also changes the backend deploys nothing; a target that does not exist is found before any image is pushed',
    async () => {
      await requireRegistry()
      const group = 'rg-mixed'
      const configFor = (apps: string[]) => backendConfig(`  prod:\n    branches: [main]\n    backend:\n      targets:\n${targetsYaml(group, apps)}\n${siteEnvironment()}`, SITE_PART)
      const estate = estateWith({ ...BACKEND_FILES(), ...SITE_FILES, '.github/azure-deploy.yml': configFor(['mixed-1']) })
      await services.standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: group, name: 'mixed-1', appSettings: { WEBSITES_PORT: '8000' } })
      await services.admin.getContainerClient('mixed-web').createIfNotExists()
      const web = services.admin.getContainerClient('mixed-web')
      const first = estate.head()
      const deployed = await deploy(estate, first, estate.push('main'))
      expect(deployed.error).toBe('')
      expect(deployed.outputs.result).toBe('deployed')
      expect(await serving(group, 'mixed-1')).toBe(first)
      const siteBefore = new Map<string, string>()
      for await (const blob of web.listBlobsFlat()) siteBefore.set(blob.name, Buffer.from(blob.properties.contentMD5 ?? []).toString('base64'))
      expect([...siteBefore.keys()].sort()).toEqual(['app.js', 'index.html'])

      // A push that changes the backend and breaks the site's build.
      const broken = estate.commit({ ...release('release 2'), 'frontend/src/app.mjs': 'export const release = = 2\n', 'frontend/public/index.html': '<!doctype html><title>Site</title><h1>Release 2</h1>\n' }, 'api 2, site 2 (broken)')
      const requestsBefore = services.proxy.requests.length
      const callsBefore = services.standin.calls.length
      const failed = await deploy(estate, broken, estate.push('main'))
      // Nothing live changed: the Web App neither switched nor started anything; no blob of the site was written.
      expect(configured(group, 'mixed-1')).toBe(first)
      expect(started(group, 'mixed-1')).toEqual([first])
      expect(await serving(group, 'mixed-1')).toBe(first)
      const writes = services.proxy.requests.slice(requestsBefore).filter(request => request.method !== 'GET' && request.method !== 'HEAD' && request.container === 'mixed-web')
      expect(writes).toEqual([])
      const after = new Map<string, string>()
      for await (const blob of web.listBlobsFlat()) after.set(blob.name, Buffer.from(blob.properties.contentMD5 ?? []).toString('base64'))
      expect(after).toEqual(siteBefore)
      expect(writesTo(callsBefore, 'mixed-1')).toEqual([])
      // The step failed, naming the build; per part: the site failed, the backend did not run.
      expect(failed.exitCode).toBe(1)
      expect(failed.outputs.result).toBe('failed')
      expect(failed.error).toMatch(/frontend/)
      expect(partsOf(failed)).toMatchObject({ frontend: { result: 'failed' }, backend: { result: 'not-run' } })
      expect(deploymentStates(services.standin, 'prod/backend', broken).map(states => states.at(-1))).toEqual(['failure'])
      expect(deploymentStates(services.standin, 'prod/frontend', broken).map(states => states.at(-1))).toEqual(['failure'])

      // The site fixed, a backend change, and a second target that does not exist.
      const missing = estate.commit({ ...release('release 3'), 'frontend/src/app.mjs': 'export const release = 3\n', '.github/azure-deploy.yml': configFor(['mixed-1', 'mixed-missing']) }, 'api 3 to two apps; one does not exist')
      const callsBeforeMissing = services.standin.calls.length
      const refused = await deploy(estate, missing, estate.push('main'))
      expect(await registryHasTag(REGISTRY, REPOSITORY, missing)).toBe(false)
      expect(configured(group, 'mixed-1')).toBe(first)
      expect(started(group, 'mixed-1')).toEqual([first])
      expect(writesTo(callsBeforeMissing, 'mixed-')).toEqual([])
      expect(refused.exitCode).toBe(1)
      expect(refused.outputs.result).toBe('failed')
      expect(refused.error).toMatch(/mixed-missing \(resource group rg-mixed\) cannot be read: .*(Nothing was built or changed|No target was changed)/)
      expect(refused.error).not.toMatch(/rolled back|every target is back/i)
      expect(partsOf(refused)).toMatchObject({ backend: { result: 'failed' }, frontend: { result: 'not-run' } })
    },
    600_000
  )
})
