/**
 * A deploy is one transaction per environment (issue 10), shown end to end on site parts:
 * the bundled action run as a runner runs it, signed in through GitHub OIDC with the Azure
 * stand-in's Entra ID, uploading to a real Azurite (behind the recording storage proxy, which
 * also breaks an upload when a test asks) and purging a Front Door endpoint of the stand-in
 * (whose faults break a purge when a test asks).
 *
 * Each test names the failure mode it shows, and reads the outcome from the storage and the
 * stand-in's records: what the site holds, byte for byte, what was purged and when, what
 * the manifest names as live.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ContainerClient } from '@azure/storage-blob'
import { stringify } from 'yaml'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { deploymentStates, linesOf, partsOf, startServices, SUBSCRIPTION, waitUntil, type Services } from '../__fixtures__/e2e-services.js'
import type { StorageRequest } from '../__fixtures__/storage-fault-proxy.js'
import { createJob, pushPayload, type ActionRun, type Job } from '../scripts/lib/action-runner.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'

type Estate = ReturnType<typeof createEstate>
type Purge = ReturnType<Services['standin']['state']>['purges'][number]

const contract = useAzureContract()
let services: Services
const estates: Estate[] = []
const jobs: Job[] = []

beforeAll(async () => {
  services = await startServices({ containers: 'none', onExchange: contract.onExchange })
}, 60_000)

afterAll(async () => {
  for (const job of jobs) job.dispose()
  for (const estate of estates) estate.dispose()
  await services?.stop()
})

// ---------------------------------------------------------------------------------------------
// A site of its own per test: its containers, its Front Door endpoint.

/** `npm run build`: public/ copied to build/. */
const BUILD_SCRIPT = "import { cpSync, rmSync } from 'node:fs'\nrmSync('build', { recursive: true, force: true })\ncpSync('public', 'build', { recursive: true })\n"
const page = (title: string) => `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title><script src="/app.js"></script></head><body><h1>${title}</h1></body></html>\n`

const SITE_FILES: Record<string, string> = {
  'frontend/package.json': `${JSON.stringify({ name: 'site', version: '1.0.0', private: true, type: 'module', scripts: { build: 'node build.mjs' } }, null, 2)}\n`,
  'frontend/package-lock.json': `${JSON.stringify({ name: 'site', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'site', version: '1.0.0' } } }, null, 2)}\n`,
  'frontend/build.mjs': BUILD_SCRIPT,
  'frontend/public/index.html': page('Home'),
  'frontend/public/about.html': page('About'),
  'frontend/public/old.html': page('Old'),
  'frontend/public/robots.txt': 'User-agent: *\nAllow: /\n',
  'frontend/public/images/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>\n',
  'frontend/public/app.js': 'console.log("release 1")\n'
}

interface Site {
  name: string
  estate: Estate
  web: ContainerClient
  archive: ContainerClient
  /** The hosts a purge of the endpoint names: its linked domain, then its own host. */
  purgedHosts: string[]
}

async function siteFor(name: string, files: Record<string, string> = {}): Promise<Site> {
  const domain = `www.${name}.example.com`
  const host = services.standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: `afd-${name}`, endpoint: `web-${name}`, domains: [domain] })
  const config = `${stringify({ cloud: services.standin.cloudSetting })}parts:
  frontend:
    paths: ['frontend/**']
    working-directory: frontend
    output: build
    lock-timeout: 120
environments:
  prod:
    branches: [main]
    frontend:
      storage-account: devstoreaccount1
      blob-endpoint: '${services.proxy.blobEndpoint}'
      container: ${name}-web
      archive-container: ${name}-deployments
      frontdoor: { resource-group: rg-edge, profile: afd-${name}, endpoint: web-${name} }
`
  const estate = createEstate({ files: { ...SITE_FILES, ...files, '.github/azure-deploy.yml': config } })
  estates.push(estate)
  const web = services.admin.getContainerClient(`${name}-web`)
  await web.createIfNotExists()
  return { name, estate, web, archive: services.admin.getContainerClient(`${name}-deployments`), purgedHosts: [domain, host] }
}

interface Deploy extends ActionRun {
  lines: string[]
  error: string
  /** The checkout the action ran in: its frontend/build is exactly what was built. */
  workspace: string
  /** What the storage received while the job ran (this site's containers). */
  storage: StorageRequest[]
  /** Purges of this site's endpoint the stand-in recorded while the job ran. */
  purges: Purge[]
}

let runIds = 6000

function jobFor(site: Site, sha: string, before: string): { job: Job; workspace: string } {
  const workspace = site.estate.checkout(sha)
  const job = createJob({
    workspace,
    sha,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
    inputs: services.signIn,
    env: { ...services.runnerEnv(), GITHUB_RUN_ID: String(++runIds) },
    timeoutMs: 180_000
  })
  jobs.push(job)
  return { job, workspace }
}

const purgesOf = (site: Site) => services.standin.state().purges.filter(purge => purge.endpoint === `web-${site.name}`)
const storageOf = (site: Site, from: number) => services.proxy.requests.slice(from).filter(request => request.container?.startsWith(`${site.name}-`))

/** A whole job (main step, then post step), and what the storage and the endpoint saw meanwhile. */
async function finish(site: Site, job: Job, workspace: string, running: Promise<ActionRun>, since: { requests: number; purges: number }): Promise<Deploy> {
  const main = await running
  await job.post()
  return { ...main, ...linesOf(main), workspace, storage: storageOf(site, since.requests), purges: purgesOf(site).slice(since.purges) }
}

async function deploy(site: Site, sha: string, before: string): Promise<Deploy> {
  const since = { requests: services.proxy.requests.length, purges: purgesOf(site).length }
  const { job, workspace } = jobFor(site, sha, before)
  return finish(site, job, workspace, job.run(), since)
}

const md5 = (content: Buffer) => createHash('md5').update(content).digest('base64')

/** What the build in that workspace wrote: path → MD5. */
function builtMd5s(workspace: string): Map<string, string> {
  const root = path.join(workspace, 'frontend', 'build')
  return new Map(
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter(entry => entry.isFile())
      .map(entry => {
        const absolute = path.join(entry.parentPath, entry.name)
        return [path.relative(root, absolute).split(path.sep).join('/'), md5(readFileSync(absolute))] as const
      })
      .sort(([a], [b]) => (a < b ? -1 : 1))
  )
}

/** The site as Azurite holds it: blob → stored Content-MD5. */
async function storedMd5s(site: Site): Promise<Map<string, string>> {
  const blobs: [string, string][] = []
  for await (const blob of site.web.listBlobsFlat()) blobs.push([blob.name, Buffer.from(blob.properties.contentMD5 ?? []).toString('base64')])
  return new Map(blobs.sort(([a], [b]) => (a < b ? -1 : 1)))
}

interface Manifest {
  commit: string
  pending?: { commit: string; replaced: string[] }
}
const manifestOf = async (site: Site) => JSON.parse((await site.archive.getBlobClient('prod/manifest.json').downloadToBuffer()).toString('utf8')) as Manifest

/** Uploads (successful blob PUTs) to the site's container, in arrival order. */
const sitePuts = (site: Site, storage: StorageRequest[]) => storage.filter(request => request.container === `${site.name}-web` && request.method === 'PUT' && request.query.comp === undefined && request.status === 201)
/** Deletes of blobs of the site: batch deletes, or single ones. */
const siteDeletes = (site: Site, storage: StorageRequest[]) => storage.filter(request => request.container === `${site.name}-web` && ((request.method === 'POST' && request.query.comp === 'batch') || request.method === 'DELETE'))

// ---------------------------------------------------------------------------------------------

describe('a deploy is one transaction per environment: site parts', () => {
  test('an older re-run after a newer push went live: superseded, the newer release still served, its GitHub deployment inactive', async () => {
    const site = await siteFor('older')
    const first = site.estate.head()
    const firstBefore = site.estate.push('main')
    expect((await deploy(site, first, firstBefore)).outputs.result).toBe('deployed')
    const second = site.estate.commit({ 'frontend/public/about.html': page('About us') }, 'about: us')
    const newer = await deploy(site, second, site.estate.push('main'))
    expect(newer.outputs.result).toBe('deployed')

    // The first push's job, re-run: the site stays the second release.
    const rerun = await deploy(site, first, firstBefore)
    expect((await manifestOf(site)).commit).toBe(second)
    expect(await storedMd5s(site)).toEqual(builtMd5s(newer.workspace))
    expect(sitePuts(site, rerun.storage)).toEqual([])
    expect(rerun.purges).toEqual([])
    expect(rerun.error).toBe('')
    expect(rerun.exitCode).toBe(0)
    expect(rerun.outputs.result).toBe('superseded')
    expect(partsOf(rerun).frontend).toMatchObject({ result: 'superseded', live: second })
    expect(rerun.lines).toContainEqual(expect.stringMatching(new RegExp(`^::warning::frontend: not deployed: ${second.slice(0, 12)} is live and descends from ${first.slice(0, 12)}`)))
    expect(deploymentStates(services.standin, 'prod/frontend', first).at(-1)).toEqual(['in_progress', 'inactive'])
  }, 300_000)

  test('two site deploys started 0.7 s apart, the newer taking the lock first: the older is superseded, the newer ends live', async () => {
    const site = await siteFor('apart')
    expect((await deploy(site, site.estate.head(), site.estate.push('main'))).outputs.result).toBe('deployed')
    const older = site.estate.commit({ 'frontend/public/robots.txt': 'User-agent: *\nDisallow: /drafts/\n' }, 'robots: drafts')
    const olderBefore = site.estate.push('main')
    const newer = site.estate.commit({ 'frontend/public/index.html': page('Home, newer edition') }, 'home: newer')
    const newerBefore = site.estate.push('main')

    // The first request for the lock (the older run's, which started first) reaches the storage only once another run holds it.
    const isAcquire = (request: StorageRequest) => request.container === `${site.name}-deployments` && request.blob === 'prod/deploy.lock' && request.leaseAction === 'acquire'
    let first = true
    const held = services.proxy.hold(request => isAcquire(request) && first && !(first = false))
    const since = { requests: services.proxy.requests.length, purges: purgesOf(site).length }
    const olderJob = jobFor(site, older, olderBefore)
    const olderRun = olderJob.job.run()
    await sleep(700)
    const newerJob = jobFor(site, newer, newerBefore)
    const newerRun = newerJob.job.run()
    try {
      await waitUntil(() => held.count === 1 && services.proxy.requests.slice(since.requests).some(request => isAcquire(request) && request.status === 201), 120_000, 'the newer run to take the lock')
    } finally {
      held.release()
    }
    const [olderDone, newerDone] = await Promise.all([finish(site, olderJob.job, olderJob.workspace, olderRun, since), finish(site, newerJob.job, newerJob.workspace, newerRun, since)])

    // The newer commit is live, byte for byte.
    expect((await manifestOf(site)).commit).toBe(newer)
    expect(await storedMd5s(site)).toEqual(builtMd5s(newerJob.workspace))
    expect([olderDone.error, newerDone.error]).toEqual(['', ''])
    expect(newerDone.outputs.result).toBe('deployed')
    // The older one waited for the lock (naming its holder), then found the newer live.
    expect(olderDone.lines).toContainEqual(expect.stringMatching(new RegExp(`^  it is held by run https://github\\.com/octo-org/estate/actions/runs/\\d+, commit ${newer.slice(0, 12)}, started `)))
    // Both runs together uploaded the newer release's two changed files, once: nothing of the older went up after it.
    expect(sitePuts(site, storageOf(site, since.requests)).map(request => request.blob).sort()).toEqual(['index.html', 'robots.txt'])
    expect(olderDone.outputs.result).toBe('superseded')
    expect(partsOf(olderDone).frontend).toMatchObject({ result: 'superseded', live: newer })
    expect(deploymentStates(services.standin, 'prod/frontend', older)).toEqual([['in_progress', 'inactive']])
  }, 300_000)

  test('a purge failure: the re-run purges every path the failed run replaced (reported in purged), and only then deletes stale blobs', async () => {
    const site = await siteFor('purge')
    const first = site.estate.head()
    expect((await deploy(site, first, site.estate.push('main'))).outputs.result).toBe('deployed')

    // The second release replaces two files and drops one; its purge fails (Front Door answers 500 every time).
    const second = site.estate.commit({ 'frontend/public/about.html': page('About us'), 'frontend/public/app.js': 'console.log("release 2")\n', 'frontend/public/old.html': null }, 'release 2')
    const pushedBefore = site.estate.push('main')
    services.standin.faults.fail({ method: 'POST', path: new RegExp(`/afdEndpoints/web-${site.name}/purge$`, 'i'), times: 100, status: 500 })
    let failed: Deploy
    try {
      failed = await deploy(site, second, pushedBefore)
    } finally {
      services.standin.faults.clear()
    }
    expect(failed.exitCode).toBe(1)
    expect(failed.outputs.result).toBe('failed')
    expect(sitePuts(site, failed.storage).map(request => request.blob).sort()).toEqual(['about.html', 'app.js'])
    expect(siteDeletes(site, failed.storage)).toEqual([])
    expect((await storedMd5s(site)).has('old.html')).toBe(true)

    // The job re-run: nothing left to upload, but the edge still holds the old about.html and app.js.
    const rerun = await deploy(site, second, pushedBefore)
    expect(rerun.error).toBe('')
    expect(rerun.outputs.result).toBe('deployed')
    expect(sitePuts(site, rerun.storage)).toEqual([])
    expect(JSON.parse(rerun.outputs.purged ?? '[]')).toEqual(['/about.html', '/app.js'])
    expect(partsOf(rerun).frontend?.purged).toEqual(['/about.html', '/app.js'])
    expect(rerun.purges).toEqual([expect.objectContaining({ contentPaths: ['/about.html', '/app.js'], domains: site.purgedHosts, status: 'Succeeded' })])
    // Only then is the stale blob deleted.
    const deletes = siteDeletes(site, rerun.storage)
    expect(deletes.length).toBeGreaterThan(0)
    for (const remove of deletes) expect(remove.startedAt).toBeGreaterThanOrEqual(Date.parse(rerun.purges[0]!.completedAt!))
    expect(await storedMd5s(site)).toEqual(builtMd5s(rerun.workspace))
    const manifest = await manifestOf(site)
    expect(manifest.commit).toBe(second)
    expect(manifest.pending).toBeUndefined()
  }, 300_000)

  test('a failed upload followed by a revert push: the site ends byte-identical to the reverted commit, the manifest names the revert', async () => {
    const site = await siteFor('revert')
    const first = site.estate.head()
    const deployed = await deploy(site, first, site.estate.push('main'))
    expect(deployed.outputs.result).toBe('deployed')

    // The second release changes two assets and a page; the storage refuses one asset, the other goes up.
    site.estate.commit({ 'frontend/public/robots.txt': 'User-agent: *\nDisallow: /\n', 'frontend/public/images/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"><rect width="8" height="8"/></svg>\n', 'frontend/public/about.html': page('About, second edition') }, 'release 2')
    const second = site.estate.head()
    const pushedBefore = site.estate.push('main')
    services.proxy.failPuts((container, blob) => container === `${site.name}-web` && blob === 'images/logo.svg')
    let failed: Deploy
    try {
      failed = await deploy(site, second, pushedBefore)
    } finally {
      services.proxy.failPuts(undefined)
    }
    expect(failed.exitCode).toBe(1)
    expect(failed.outputs.result).toBe('failed')
    // Half of the second release is live: the new robots.txt.
    expect(sitePuts(site, failed.storage).map(request => request.blob)).toEqual(['robots.txt'])
    expect((await site.web.getBlobClient('robots.txt').downloadToBuffer()).toString('utf8')).toBe('User-agent: *\nDisallow: /\n')

    // The second release is reverted: the tree is the first one again.
    site.estate.git(['revert', '--no-edit', 'HEAD'])
    const revert = site.estate.head()
    const reverted = await deploy(site, revert, site.estate.push('main'))
    // Byte for byte the revert's build, which is the first release's.
    expect(await storedMd5s(site)).toEqual(builtMd5s(deployed.workspace))
    expect(builtMd5s(reverted.workspace)).toEqual(builtMd5s(deployed.workspace))
    const manifest = await manifestOf(site)
    expect(manifest.commit).toBe(revert)
    expect(manifest.pending).toBeUndefined()
    expect(reverted.error).toBe('')
    expect(reverted.outputs.result).toBe('deployed')
    expect(sitePuts(site, reverted.storage).map(request => request.blob)).toEqual(['robots.txt'])
    // Purged: what the failed run set out to replace (its pending record) and what this run replaced.
    expect(reverted.purges.map(purge => purge.contentPaths)).toEqual([['/about.html', '/images/logo.svg', '/robots.txt']])
  }, 300_000)

  test('purge paths of blob names with spaces, ?, # and non-ASCII are percent-encoded as the browser requests them', async () => {
    const names = ['files/a b.txt', 'files/q?x.txt', 'files/h#1.txt', 'files/café.txt']
    const site = await siteFor('encoded', Object.fromEntries(names.map(name => [`frontend/public/${name}`, `${name} 1\n`])))
    expect((await deploy(site, site.estate.head(), site.estate.push('main'))).outputs.result).toBe('deployed')
    const second = site.estate.commit(Object.fromEntries(names.map(name => [`frontend/public/${name}`, `${name} 2\n`])), 'files 2')
    const run = await deploy(site, second, site.estate.push('main'))
    expect(run.error).toBe('')
    const expected = ['/files/a%20b.txt', '/files/caf%C3%A9.txt', '/files/h%231.txt', '/files/q%3Fx.txt']
    expect(run.purges.map(purge => purge.contentPaths)).toEqual([expected])
    expect(JSON.parse(run.outputs.purged ?? '[]')).toEqual(expected)
    expect(await storedMd5s(site)).toEqual(builtMd5s(run.workspace))
  }, 300_000)

  test('a committed config that is a symlink out of the checkout is refused before anything is read or changed', async () => {
    const site = await siteFor('symlink')
    // The same config, but kept outside the repository and committed as a symlink to it.
    const outside = path.join(site.estate.root, 'outside')
    mkdirSync(outside)
    const configFile = path.join(site.estate.work, '.github', 'azure-deploy.yml')
    writeFileSync(path.join(outside, 'azure-deploy.yml'), readFileSync(configFile))
    site.estate.commit({ '.github/azure-deploy.yml': null }, 'config: moved out')
    symlinkSync(path.join(outside, 'azure-deploy.yml'), configFile)
    const linked = site.estate.commit({}, 'config: a symlink to it')
    const requests = services.proxy.requests.length
    const run = await deploy(site, linked, site.estate.push('main'))
    expect(run.exitCode).toBe(1)
    expect(run.error).toMatch(/^azure-push-deploy: config file \.github\/azure-deploy\.yml leads outside the repository, to .*\/outside\/azure-deploy\.yml, through a symlink\./)
    expect(run.outputs.result).toBe('failed')
    expect(storageOf(site, requests)).toEqual([])
    expect(deploymentStates(services.standin, 'prod/frontend', linked)).toEqual([])
  }, 120_000)
})
