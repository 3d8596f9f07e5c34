/**
 * The frontend deploy end to end, as a runner runs the bundled action: a repository holding
 * only the site (its `npm run build` a small node script, so every output file is known),
 * signed in through GitHub OIDC with the Azure stand-in's Entra ID, deploying to a real
 * Azurite over HTTPS with that bearer token, and purging a Front Door endpoint of the
 * stand-in through @azure/arm-cdn.
 *
 * Between the action and Azurite sits a recording proxy (its blob-endpoint in the config): it
 * tells in which order the storage received the requests, and injects a 403 on one blob
 * when a test asks. What is stored is read back from Azurite directly, what was purged from
 * the stand-in's records: never from what the action says it did.
 *
 * The tests run in order on one site, each release building on the last.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { pushPayload, RUNNER_TOKEN, runAction, scanForSecrets } from '../scripts/lib/action-runner.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'
import { resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { AZURITE_ACCOUNT_KEY, selfSignedTls, startAzurite, type Azurite } from '../scripts/lib/azurite.mjs'
import { startStorageFaultProxy, type StorageFaultProxy, type StorageRequest } from '../__fixtures__/storage-fault-proxy.js'
import { stringify } from 'yaml'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Estate = ReturnType<typeof createEstate>
type Purge = ReturnType<Standin['state']>['purges'][number]

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const OIDC_CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const ADMIN_CLIENT = '4d5e6f70-8192-4aab-9c0d-3e4f5a6b7c8d'
const ADMIN_SECRET = 'inspector~Secret.0123456789'
const DOMAINS = ['www.example.com', 'example.com']
const LOCK = 'devstoreaccount1/deployments/prod/deploy.lock'
const READ_ONLY_TOKEN = 'ghs_contentsReadOnly0000000000000000000'

const NO_CACHE = 'no-cache'
const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'public, max-age=300, must-revalidate'
const IMAGES_RULE = 'public, max-age=86400'
const IMAGES_RULE_2 = 'public, max-age=600'

let standin: Standin
const contract = useAzureContract()
let azurite: Azurite
let proxy: StorageFaultProxy
let estate: Estate
let admin: BlobServiceClient
let web: ContainerClient
let deployments: ContainerClient
let scratch: string
/** What the purges name: the endpoint's route-linked domains, then its own *.azurefd.net host. */
let purgedHosts: string[]
let caBundle: string
scanForSecrets(() => [...(standin?.issuedTokens() ?? []), ADMIN_SECRET, AZURITE_ACCOUNT_KEY])

// ---------------------------------------------------------------------------------------------
// The site's repository.

/** `npm run build`: public/ as is; each file of src/ under static/ with a content hash in its name; pages pointed at those names. */
const BUILD_SCRIPT = `import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

rmSync('build', { recursive: true, force: true })
cpSync('public', 'build', { recursive: true })
const bundles = {}
for (const name of existsSync('src') ? readdirSync('src').sort() : []) {
  const content = readFileSync(path.join('src', name))
  const ext = path.extname(name)
  const hashed = \`static/\${ext.slice(1)}/\${path.basename(name, ext)}.\${createHash('sha256').update(content).digest('hex').slice(0, 8)}\${ext}\`
  mkdirSync(path.dirname(path.join('build', hashed)), { recursive: true })
  writeFileSync(path.join('build', hashed), content)
  bundles[name] = '/' + hashed
}
for (const page of readdirSync('build', { recursive: true }).map(String).filter(name => name.endsWith('.html'))) {
  const file = path.join('build', page)
  writeFileSync(file, readFileSync(file, 'utf8').replace(/%([\\w.]+)%/g, (text, name) => bundles[name] ?? text))
}
console.log('built ' + Object.keys(bundles).length + ' bundles')
`

const page = (title: string, body = '') =>
  `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="%app.css%"></head>\n<body><h1>${title}</h1>${body}<script src="%vendor.js%"></script><script src="%app.js%"></script></body>\n</html>\n`
const bytes = (head: string, length: number, seed: number) => Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(Array.from({ length }, (_, index) => (index * 31 + seed) % 256))])

/** The first release: 11 files in public/, 3 in src/ → 14 in the build. */
const RELEASE_1: Record<string, string | Buffer | null> = {
  'frontend/package.json': `${JSON.stringify({ name: 'tidepool-site', version: '1.0.0', private: true, type: 'module', scripts: { build: 'node build.mjs' } }, null, 2)}\n`,
  'frontend/package-lock.json': `${JSON.stringify({ name: 'tidepool-site', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'tidepool-site', version: '1.0.0' } } }, null, 2)}\n`,
  'frontend/build.mjs': BUILD_SCRIPT,
  'frontend/public/index.html': page('Tidepool', '<a href="/about.html">About</a> <a href="/docs/">Docs</a>'),
  'frontend/public/about.html': page('About'),
  'frontend/public/docs/index.html': page('Docs', '<a href="guide.html">Guide</a> <a href="old.html">Old</a>'),
  'frontend/public/docs/guide.html': page('Guide'),
  'frontend/public/docs/old.html': page('Old page'),
  'frontend/public/robots.txt': 'User-agent: *\nAllow: /\n',
  'frontend/public/manifest.json': `${JSON.stringify({ name: 'Tidepool', start_url: '/' })}\n`,
  'frontend/public/favicon.ico': bytes('\u0000\u0000\u0001\u0000', 300, 1),
  'frontend/public/images/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>\n',
  'frontend/public/images/hero.png': bytes('\u0089PNG\r\n\u001a\n', 4000, 2),
  'frontend/public/fonts/brand.woff2': bytes('wOF2', 2000, 3),
  'frontend/src/app.js': 'document.querySelector("h1").dataset.release = "1";\n',
  'frontend/src/vendor.js': '/*! vendor */ window.vendor = { version: "1.0.0" };\n',
  'frontend/src/app.css': 'body { font-family: sans-serif; color: #0b6e99; }\n'
}

/** Content-Type and Cache-Control each output file must be stored with (the images rule from the config). */
function expectedHeaders(blob: string, imagesRule: string): [string, string] {
  const table: [RegExp, string, string][] = [
    [/^(index|about|docs\/[a-z]+)\.html$/, 'text/html; charset=utf-8', NO_CACHE],
    [/^manifest\.json$/, 'application/json; charset=utf-8', NO_CACHE],
    [/^robots\.txt$/, 'text/plain; charset=utf-8', REVALIDATE],
    [/^favicon\.ico$/, 'image/vnd.microsoft.icon', REVALIDATE],
    [/^images\/logo\.svg$/, 'image/svg+xml; charset=utf-8', imagesRule],
    [/^images\/hero\.png$/, 'image/png', imagesRule],
    [/^fonts\/brand\.woff2$/, 'font/woff2', REVALIDATE],
    [/^static\/js\/(app|vendor)\.[0-9a-f]{8}\.js$/, 'text/javascript; charset=utf-8', IMMUTABLE],
    [/^static\/css\/app\.[0-9a-f]{8}\.css$/, 'text/css; charset=utf-8', IMMUTABLE]
  ]
  const row = table.find(([pattern]) => pattern.test(blob))
  if (!row) throw new Error(`no expected headers for ${blob}`)
  return [row[1], row[2]]
}

function configFor(imagesRule: string): string {
  return `${stringify({ cloud: standin.cloudSetting })}parts:
  frontend:
    paths: ['frontend/**']
    working-directory: frontend
    output: build
    lock-timeout: 30
    cache-control:
      - { match: 'images/**', value: '${imagesRule}' }
environments:
  prod:
    branches: [main]
    frontend:
      storage-account: devstoreaccount1
      blob-endpoint: ${proxy.blobEndpoint}
      site-url: https://www.example.com
      frontdoor: { resource-group: rg-edge, profile: afd-prod, endpoint: web-prod }
`
}

// ---------------------------------------------------------------------------------------------
// Running the action and reading back what happened.

interface Deploy {
  exitCode: number
  stdout: string
  outputs: Record<string, string>
  summary: string
  /** The checkout the action ran in: its frontend/build is exactly what was built. */
  workspace: string
  /** Log lines, workflow commands included. */
  lines: string[]
  /** The ::error:: message, decoded. */
  error: string
  /** What the storage received while the action ran. */
  storage: StorageRequest[]
  /** Purges the stand-in recorded while the action ran. */
  purges: Purge[]
}

async function deploy(sha: string, before: string, inputs: Record<string, string> = {}): Promise<Deploy> {
  const workspace = estate.checkout(sha)
  const requestsBefore = proxy.requests.length
  const purgesBefore = standin.state().purges.length
  const result = await runAction({
    workspace,
    sha,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
    inputs: { 'client-id': OIDC_CLIENT, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION, ...inputs },
    env: { NODE_EXTRA_CA_CERTS: caBundle, ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken, GITHUB_API_URL: standin.github.apiUrl },
    timeoutMs: 90_000
  })
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter(line => !line.startsWith('::add-mask::'))
  // Signed in through the stand-in; runAction has scanned for its tokens (scanForSecrets above).
  expect(standin.issuedTokens().length).toBeGreaterThan(0)
  const errorLine = lines.find(line => line.startsWith('::error::')) ?? ''
  const error = errorLine.slice('::error::'.length).replaceAll('%0A', '\n').replaceAll('%0D', '\r').replaceAll('%25', '%')
  return { exitCode: result.exitCode, stdout: result.stdout, outputs: result.outputs, summary: result.summary, workspace, lines, error, storage: proxy.requests.slice(requestsBefore), purges: standin.state().purges.slice(purgesBefore) }
}

const md5 = (content: Buffer) => createHash('md5').update(content).digest('base64')

/** What the build in that workspace wrote: path → bytes. */
function built(workspace: string): Map<string, Buffer> {
  const root = path.join(workspace, 'frontend', 'build')
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter(entry => entry.isFile())
  return new Map(
    files
      .map(entry => {
        const absolute = path.join(entry.parentPath, entry.name)
        return [path.relative(root, absolute).split(path.sep).join('/'), readFileSync(absolute)] as const
      })
      .sort(([a], [b]) => (a < b ? -1 : 1))
  )
}

interface StoredBlob {
  md5?: string
  contentType?: string
  cacheControl?: string
  size: number
  lastModified: number
}

/** The site as Azurite holds it. */
async function site(): Promise<Map<string, StoredBlob>> {
  const blobs = new Map<string, StoredBlob>()
  for await (const blob of web.listBlobsFlat()) {
    const { contentMD5, contentType, cacheControl, contentLength, lastModified } = blob.properties
    blobs.set(blob.name, { md5: contentMD5 && Buffer.from(contentMD5).toString('base64'), contentType, cacheControl, size: contentLength ?? 0, lastModified: lastModified.getTime() })
  }
  return blobs
}

const md5s = (blobs: Map<string, StoredBlob>) => new Map([...blobs].map(([name, blob]) => [name, blob.md5]))
const builtMd5s = (files: Map<string, Buffer>) => new Map([...files].map(([name, content]) => [name, md5(content)]))
const download = async (blob: string) => (await web.getBlobClient(blob).downloadToBuffer()).toString('utf8')

/** Files of `next` that are new or differ from `previous`: what a sync from one to the other uploads. */
const differing = (previous: Map<string, Buffer>, next: Map<string, Buffer>) => [...next].filter(([name, content]) => !previous.get(name)?.equals(content)).map(([name]) => name)

/** Successful blob PUTs (uploads) to the site's container, in arrival order. */
const sitePuts = (storage: StorageRequest[]) => storage.filter(request => request.container === '$web' && request.method === 'PUT' && request.query.comp === undefined && request.status === 201)
const siteDeletes = (storage: StorageRequest[]) => storage.filter(request => request.container === '$web' && request.method === 'POST' && request.query.comp === 'batch')

/**
 * The safe order, from what the storage and the stand-in recorded: no page is received before
 * every asset of the run is stored, the root index.html after everything else, and the batch
 * deletes after every purge of the run completed.
 */
function expectSafeOrder(run: Deploy): void {
  const puts = sitePuts(run.storage)
  const isHtml = (request: StorageRequest) => request.blob!.endsWith('.html')
  const assets = puts.filter(request => !isHtml(request))
  const pages = puts.filter(request => isHtml(request) && request.blob !== 'index.html')
  const root = puts.filter(request => request.blob === 'index.html')
  if (assets.length > 0 && pages.length + root.length > 0) {
    expect(Math.min(...[...pages, ...root].map(request => request.startedAt))).toBeGreaterThanOrEqual(Math.max(...assets.map(request => request.finishedAt)))
  }
  if (root.length > 0) {
    expect(root).toHaveLength(1)
    expect(puts.at(-1)?.blob).toBe('index.html')
    const others = [...assets, ...pages]
    if (others.length > 0) expect(root[0]!.startedAt).toBeGreaterThanOrEqual(Math.max(...others.map(request => request.finishedAt)))
  }
  for (const remove of siteDeletes(run.storage)) {
    for (const purge of run.purges) expect(remove.startedAt).toBeGreaterThanOrEqual(Date.parse(purge.completedAt!))
  }
}

/** The `<phase> <seconds>s` of the job summary's frontend row. */
function phaseSeconds(summary: string, phase: string): number {
  const match = new RegExp(`\\b${phase} (\\d+(?:\\.\\d+)?)s\\b`).exec(summary)
  if (!match) throw new Error(`no ${phase} phase in the summary:\n${summary}`)
  return Number(match[1])
}

async function manifestCommit(): Promise<string> {
  return (JSON.parse((await deployments.getBlobClient('prod/manifest.json').downloadToBuffer()).toString('utf8')) as { commit: string }).commit
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  standin.registerApplication({ clientId: OIDC_CLIENT, federatedCredentials: [{ subject: 'repo:octo-org/estate:ref:refs/heads/main' }] })
  standin.registerApplication({ clientId: ADMIN_CLIENT, clientSecret: ADMIN_SECRET })
  purgedHosts = [...DOMAINS, standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: 'rg-edge', profile: 'afd-prod', endpoint: 'web-prod', domains: DOMAINS })]
  // The job's GITHUB_TOKEN, with `deployments: write`; another with read only.
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  standin.github.addToken(READ_ONLY_TOKEN, { deployments: 'read' })

  // One self-signed certificate for Azurite and the proxy in front of it (Azurite's Put Block
  // From URL reads from itself trusting only that certificate); the action trusts it and the stand-in's CA.
  const storageTls = await selfSignedTls()
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, storageTls.caCertPem])
  scratch = mkdtempSync(path.join(tmpdir(), 'apd-e2e-frontend-'))
  caBundle = path.join(scratch, 'ca-bundle.pem')
  writeFileSync(caBundle, `${standin.caCertPem.trim()}\n${storageTls.caCertPem.trim()}\n`)
  azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
  proxy = await startStorageFaultProxy({ upstreamPort: azurite.port, upstreamCa: storageTls.caCertPem, cert: storageTls.cert, key: storageTls.key })

  // The test reads the storage directly, as an app of its own with a client secret.
  const cloud = resolveCloud(standin.cloudSetting)
  const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: ADMIN_CLIENT, clientSecret: ADMIN_SECRET }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
  admin = new BlobServiceClient(azurite.blobEndpoint, credential)
  web = admin.getContainerClient('$web')
  deployments = admin.getContainerClient('deployments')
  // Azure creates $web when the static website is switched on; Azurite only stores the setting.
  await web.createIfNotExists()

  estate = createEstate({ files: { ...RELEASE_1, '.github/azure-deploy.yml': configFor(IMAGES_RULE) } })
}, 60_000)

afterAll(async () => {
  estate?.dispose()
  await proxy?.close()
  await azurite?.stop()
  await standin?.close()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** The releases so far, as the tests make them. */
const releases: Record<string, { sha: string; run: Deploy }> = {}

describe('frontend deploy through the bundled action, to Azurite behind Front Door', () => {
  test('a first deploy: every blob with its Content-Type, Cache-Control and Content-MD5; assets, then pages, index.html last', async () => {
    const sha = estate.head()
    const run = await deploy(sha, estate.push('main'))
    expect(run.error).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.outputs.result).toBe('deployed')
    expect(run.outputs['frontend-reason']).toBe('not-deployed')
    expect(run.outputs['frontend-changed']).toBe('true')
    expect(run.outputs['site-url']).toBe('https://www.example.com')
    expect(run.outputs['files-uploaded']).toBe('14')
    expect([run.outputs['files-skipped'], run.outputs['files-deleted'], run.outputs['headers-fixed'], run.outputs.purged]).toEqual(['0', '0', '0', '[]'])
    expect(run.lines).toContain('static website switched on (index index.html, 404 index.html)')
    expect(run.lines.some(line => line.startsWith('::group::Frontend install: npm ci'))).toBe(true)

    // Every file the build wrote, and nothing else, with the right headers and its MD5.
    const files = built(run.workspace)
    expect(files.size).toBe(14)
    const stored = await site()
    expect([...stored.keys()].sort()).toEqual([...files.keys()])
    for (const [name, content] of files) {
      const blob = stored.get(name)!
      expect([name, blob.contentType, blob.cacheControl]).toEqual([name, ...expectedHeaders(name, IMAGES_RULE)])
      expect([name, blob.md5, blob.size]).toEqual([name, md5(content), content.length])
    }
    // The pages name the hashed bundles the build wrote.
    const index = await download('index.html')
    expect(index).toBe(files.get('index.html')!.toString('utf8'))
    for (const bundle of [...files.keys()].filter(name => name.startsWith('static/'))) expect(index).toContain(`"/${bundle}"`)
    // HEAD gives Content-MD5 as the header a client checks.
    expect(Buffer.from((await web.getBlobClient('images/hero.png').getProperties()).contentMD5!).toString('base64')).toBe(md5(files.get('images/hero.png')!))

    // The order, from what the storage received (ms), and from what it stored (its times have whole seconds).
    expect(sitePuts(run.storage)).toHaveLength(14)
    expectSafeOrder(run)
    const indexModified = stored.get('index.html')!.lastModified
    for (const [name, blob] of stored) expect([name, blob.lastModified <= indexModified]).toEqual([name, true])
    expect(run.purges).toEqual([])

    // The static website, the release archive (private) and the manifest.
    expect((await admin.getProperties()).staticWebsite).toMatchObject({ enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' })
    expect(run.outputs.archive).toBe(`deployments/prod/${sha}.zip`)
    const archive = await deployments.getBlobClient(`prod/${sha}.zip`).getProperties()
    expect(archive.contentType).toBe('application/zip')
    expect(archive.contentLength).toBeGreaterThan(0)
    expect((await deployments.getProperties()).blobPublicAccess).toBeUndefined()
    expect((await deployments.getBlobClient(`prod/${sha}.zip`).downloadToBuffer()).subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004')
    expect(await manifestCommit()).toBe(sha)
    expect(run.summary).toContain('frontend sync')
    // The GitHub deployment prod/frontend: in progress, then success at the site's URL, linked to the run.
    expect(standin.github.deployments().map(d => [d.environment, d.sha, d.statuses.map(s => [s.state, s.environment_url, s.log_url])])).toEqual([
      [
        'prod/frontend',
        sha,
        [
          ['in_progress', '', 'https://github.com/octo-org/estate/actions/runs/4242'],
          ['success', 'https://www.example.com', 'https://github.com/octo-org/estate/actions/runs/4242']
        ]
      ]
    ])
    releases.first = { sha, run }
  }, 120_000)

  test('a redeploy with one page changed: exactly that upload, purged on the endpoint’s linked domains and its own host', async () => {
    const first = releases.first!
    const sha = estate.commit({ 'frontend/public/about.html': page('About us') }, 'about: new title')
    const run = await deploy(sha, estate.push('main'))
    expect(run.error).toBe('')
    expect(run.outputs.result).toBe('deployed')
    // What is deployed comes from the manifest, not from the push.
    expect(run.outputs['frontend-reason']).toBe('deployed')
    expect(run.outputs['frontend-base']).toBe(first.sha)
    expect([run.outputs['files-uploaded'], run.outputs['files-skipped'], run.outputs['headers-fixed'], run.outputs['files-deleted']]).toEqual(['1', '13', '0', '0'])
    expect(sitePuts(run.storage).map(request => request.blob)).toEqual(['about.html'])
    expect(run.outputs.purged).toBe('["/about.html"]')
    expect(run.purges).toEqual([expect.objectContaining({ kind: 'afd', profile: 'afd-prod', endpoint: 'web-prod', contentPaths: ['/about.html'], domains: purgedHosts, hosts: purgedHosts, status: 'Succeeded' })])
    expect(await download('about.html')).toContain('<h1>About us</h1>')
    expect(md5s(await site())).toEqual(builtMd5s(built(run.workspace)))
    expect(await manifestCommit()).toBe(sha)
    // The release zip: the 13 unchanged entries copied from the first release's by the storage, only the page sent.
    expect(run.lines).toContainEqual(expect.stringMatching(new RegExp(`^release archive deployments/prod/${sha}\\.zip: 14 files, \\d+ bytes \\(\\d+ sent, 13 unchanged entries copied from ${first.sha}\\.zip by the storage\\)$`)))
    releases.second = { sha, run }
  }, 120_000)

  test('a Cache-Control rule change: the headers are fixed in place, nothing uploaded, Content-MD5 kept', async () => {
    const sha = estate.commit({ '.github/azure-deploy.yml': configFor(IMAGES_RULE_2) }, 'images: cache 10 minutes')
    const run = await deploy(sha, estate.push('main'))
    expect(run.error).toBe('')
    expect(run.outputs.result).toBe('deployed')
    expect([run.outputs['files-uploaded'], run.outputs['headers-fixed'], run.outputs['files-deleted']]).toEqual(['0', '2', '0'])
    expect(sitePuts(run.storage)).toEqual([])
    const fixes = run.storage.filter(request => request.container === '$web' && request.method === 'PUT' && request.query.comp === 'properties')
    expect(fixes.map(request => request.blob).sort()).toEqual(['images/hero.png', 'images/logo.svg'])
    const files = built(run.workspace)
    const stored = await site()
    for (const [name, content] of files) {
      expect([name, stored.get(name)!.contentType, stored.get(name)!.cacheControl, stored.get(name)!.md5]).toEqual([name, ...expectedHeaders(name, IMAGES_RULE_2), md5(content)])
    }
    // Served with new headers: the edge copies of those two go.
    expect(JSON.parse(run.outputs.purged!)).toEqual(['/images/hero.png', '/images/logo.svg'])
    expect(run.purges.map(purge => [purge.contentPaths, purge.domains, purge.status])).toEqual([[['/images/hero.png', '/images/logo.svg'], purgedHosts, 'Succeeded']])

    // The same build zipped twice, in two checkouts a release apart: the same bytes, this time
    // all of them copied from the last release's zip.
    const [previous, current] = await Promise.all([releases.second!.sha, sha].map(commit => deployments.getBlobClient(`prod/${commit}.zip`).downloadToBuffer()))
    expect(current!.equals(previous!)).toBe(true)
    expect(run.lines.some(line => line.includes(', 14 unchanged entries copied from '))).toBe(true)
    releases.third = { sha, run }
  }, 120_000)

  test('a deleted page: its blob is removed only after the purge of the page that linked it', async () => {
    const sha = estate.commit({ 'frontend/public/docs/old.html': null, 'frontend/public/docs/index.html': page('Docs', '<a href="guide.html">Guide</a>') }, 'docs: drop the old page')
    const run = await deploy(sha, estate.push('main'))
    expect(run.error).toBe('')
    expect(run.outputs.result).toBe('deployed')
    expect([run.outputs['files-uploaded'], run.outputs['files-deleted']]).toEqual(['1', '1'])

    // The stand-in recorded the purge, done, before the storage received the delete…
    expect(run.purges).toEqual([expect.objectContaining({ contentPaths: ['/docs/', '/docs/index.html'], domains: purgedHosts, status: 'Succeeded' })])
    const deletes = siteDeletes(run.storage)
    expect(deletes).toHaveLength(1)
    expect(deletes[0]!.status).toBe(202)
    expect(deletes[0]!.startedAt).toBeGreaterThanOrEqual(Date.parse(run.purges[0]!.completedAt!))
    expectSafeOrder(run)
    // …and the action's log tells the same order.
    const purgedAt = run.lines.findIndex(line => line.startsWith(`purged 2 paths in 1 call with ${purgedHosts.join(', ')} (`))
    const deletedAt = run.lines.indexOf('deleted 1 stale blob(s)')
    expect(purgedAt).toBeGreaterThan(-1)
    expect(deletedAt).toBeGreaterThan(purgedAt)
    // Only now: the blob is gone, and the site is exactly the build.
    const stored = await site()
    expect(stored.has('docs/old.html')).toBe(false)
    expect(md5s(stored)).toEqual(builtMd5s(built(run.workspace)))
    releases.fourth = { sha, run }
  }, 120_000)

  test('the mass-delete guard: a build that lost most files fails the step before anything is uploaded or deleted', async () => {
    const before = await site()
    const dropped = Object.fromEntries(Object.keys(RELEASE_1).filter(name => /^frontend\/(public\/(?!index\.html|about\.html)|src\/)/.test(name)).map(name => [name, null]))
    const sha = estate.commit(dropped, 'a build that lost its files')
    const run = await deploy(sha, estate.push('main'))
    expect(run.exitCode).toBe(1)
    expect(run.outputs.result).toBe('failed')
    expect(built(run.workspace).size).toBe(2)
    const stale = before.size - 2
    const share = Math.round((stale / before.size) * 1000) / 10
    expect(run.error).toBe(
      `azure-push-deploy: refusing to deploy: it would delete ${stale} of the ${before.size} blobs of the site (${share}%), more than the 50% allowed. Nothing was uploaded or deleted.\n` +
        "  → Check parts.frontend.output (a wrong folder looks like a site that lost most of its files); if the site really shrank, set 'allow-mass-delete: true' for this run (or raise parts.frontend.max-delete-share)."
    )
    // Nothing written but the lock's lease: not a blob of the site, not a release archive, not the manifest.
    expect(run.storage.filter(request => request.method === 'PUT' && request.status < 300 && request.query.comp !== 'lease')).toEqual([])
    expect(siteDeletes(run.storage)).toEqual([])
    expect(run.purges).toEqual([])
    expect(await site()).toEqual(before)
    expect(await deployments.getBlobClient(`prod/${sha}.zip`).exists()).toBe(false)
    expect(await manifestCommit()).toBe(releases.fourth!.sha)
    // Its GitHub deployment failed, with the reason; the last successful one is still the fourth release.
    const recorded = standin.github.deployments().filter(d => d.sha === sha)
    expect(recorded.map(d => d.statuses.map(s => s.state))).toEqual([['in_progress', 'failure']])
    expect(recorded[0]!.statuses[1]!.description).toMatch(/^refusing to deploy: it would delete/)
  }, 120_000)

  test('an upload that fails part-way (403 on one asset): no page replaced, nothing deleted; fixed, a re-run uploads only what still differs', async () => {
    const previous = releases.fourth!
    // Release 5: the files back (after the refused build), a new logo, new script, new pages.
    const sha = estate.commit(
      {
        ...Object.fromEntries(Object.entries(RELEASE_1).filter(([name]) => name !== 'frontend/public/docs/old.html')),
        'frontend/public/about.html': page('About us'),
        'frontend/public/docs/index.html': page('Docs', '<a href="guide.html">Guide</a>'),
        'frontend/public/images/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="8" height="8"/></svg>\n',
        'frontend/src/app.js': 'document.querySelector("h1").dataset.release = "5";\n',
        'frontend/public/index.html': page('Tidepool', '<a href="/about.html">About</a> <a href="/docs/">Docs</a> <p>Release 5</p>'),
        'frontend/public/docs/guide.html': page('Guide, second edition')
      },
      'release 5'
    )
    const pushedBefore = estate.push('main')
    const before = await site()
    const indexBefore = await download('index.html')

    proxy.failPuts((container, blob) => container === '$web' && blob === 'images/logo.svg')
    let failed: Deploy
    try {
      failed = await deploy(sha, pushedBefore)
    } finally {
      proxy.failPuts(undefined)
    }
    const files = built(failed.workspace)
    const planned = differing(built(previous.run.workspace), files)
    const oldBundle = [...before.keys()].find(name => /^static\/js\/app\./.test(name))!
    const newBundle = [...files.keys()].find(name => /^static\/js\/app\./.test(name))!
    expect(newBundle).not.toBe(oldBundle)
    // The new script's name is in every page, so every page changed with it.
    expect(planned.sort()).toEqual(['about.html', 'docs/guide.html', 'docs/index.html', 'images/logo.svg', 'index.html', newBundle].sort())

    expect(failed.exitCode).toBe(1)
    expect(failed.outputs.result).toBe('failed')
    expect(failed.error).toBe(
      'azure-push-deploy: the upload to devstoreaccount1/$web failed: uploading devstoreaccount1/$web/images/logo.svg failed: 403 AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission. Nothing was deleted; the site serves the files uploaded so far next to the previous ones.\n' +
        '  → The signed-in identity needs the "Storage Blob Data Contributor" role on the storage account devstoreaccount1 (a role assignment can take some minutes to apply); if the account has a firewall, it must let the runner in.\n' +
        '  → Re-run the job: the sync uploads only what still differs.'
    )
    expect(failed.storage.filter(request => request.fault).map(request => [request.blob, request.status])).toEqual([['images/logo.svg', 403]])
    // Part-way: the new script (in flight with the logo) went up; the pages' wave never
    // started, so no page reached the storage; nothing was deleted or purged.
    const succeeded = sitePuts(failed.storage).map(request => request.blob!)
    expect(succeeded).toEqual([newBundle])
    expect(failed.lines).toContain('::group::Upload to devstoreaccount1/$web')
    expect(siteDeletes(failed.storage)).toEqual([])
    expect(failed.purges).toEqual([])
    const afterFailure = await site()
    expect(await download('index.html')).toBe(indexBefore)
    expect(afterFailure.get('index.html')).toEqual(before.get('index.html'))
    expect(afterFailure.has(oldBundle)).toBe(true)
    // Every blob that was there is still there, untouched; the only additions are what went through.
    for (const [name, blob] of before) expect([name, afterFailure.get(name)]).toEqual([name, blob])
    expect([...afterFailure.keys()].filter(name => !before.has(name)).sort()).toEqual([...succeeded].sort())
    expect(await manifestCommit()).toBe(previous.sha)

    // The cause fixed, the job re-run: only what still differs goes up, then purge, then delete.
    const rerun = await deploy(sha, pushedBefore)
    expect(rerun.error).toBe('')
    expect(rerun.outputs.result).toBe('deployed')
    const remaining = planned.filter(name => !succeeded.includes(name))
    expect(sitePuts(rerun.storage).map(request => request.blob).sort()).toEqual([...remaining].sort())
    expect(rerun.outputs['files-uploaded']).toBe(String(remaining.length))
    expect(rerun.outputs['files-deleted']).toBe('1')
    expect(rerun.purges.map(purge => purge.contentPaths)).toEqual([['/', '/about.html', '/docs/', '/docs/guide.html', '/docs/index.html', '/images/logo.svg', '/index.html']])
    expectSafeOrder(rerun)
    const converged = await site()
    expect(md5s(converged)).toEqual(builtMd5s(built(rerun.workspace)))
    expect(converged.has(oldBundle)).toBe(false)
    expect(await download('index.html')).toContain('Release 5')
    expect(await manifestCommit()).toBe(sha)
    releases.fifth = { sha, run: rerun }
  }, 180_000)

  test('two deploys to the same environment at once: the lease serialises them, both succeed', async () => {
    const sha = estate.commit({ 'frontend/public/robots.txt': 'User-agent: *\nDisallow: /drafts/\n' }, 'robots: keep drafts out')
    const pushedBefore = estate.push('main')
    const [one, two] = await Promise.all([deploy(sha, pushedBefore), deploy(sha, pushedBefore)])
    for (const run of [one, two]) {
      expect(run.error).toBe('')
      expect(run.exitCode).toBe(0)
      expect(run.outputs.result).toBe('deployed')
    }
    // One waited for the other's lease; the other did the upload.
    const waiting = `waiting for another deploy to release ${LOCK} (up to 30 s)`
    const waited = [one, two].filter(run => run.lines.includes(waiting))
    expect(waited).toHaveLength(1)
    const [waiter] = waited
    const first = waiter === one ? two : one
    expect([first.outputs['files-uploaded'], waiter!.outputs['files-uploaded']]).toEqual(['1', '0'])
    expect([first.outputs['files-skipped'], waiter!.outputs['files-skipped']]).toEqual(['12', '13'])
    expect(phaseSeconds(waiter!.summary, 'lock')).toBeGreaterThanOrEqual(1)
    expect(phaseSeconds(waiter!.summary, 'lock')).toBeGreaterThan(phaseSeconds(first.summary, 'lock'))

    // What the storage saw: a refused acquire, then acquire / release strictly alternating,
    // and the one upload inside the first lease.
    const storage = proxy.requests.filter(request => request.startedAt >= Math.min(one.storage[0]!.startedAt, two.storage[0]!.startedAt))
    const leases = storage.filter(request => request.container === 'deployments' && request.blob === 'prod/deploy.lock' && request.query.comp === 'lease')
    expect(leases.some(request => request.leaseAction === 'acquire' && request.status === 409)).toBe(true)
    const granted = leases.filter(request => (request.leaseAction === 'acquire' && request.status === 201) || (request.leaseAction === 'release' && request.status === 200))
    expect(granted.map(request => request.leaseAction)).toEqual(['acquire', 'release', 'acquire', 'release'])
    const uploads = sitePuts(storage)
    expect(uploads.map(request => request.blob)).toEqual(['robots.txt'])
    expect(uploads[0]!.startedAt).toBeGreaterThanOrEqual(granted[0]!.finishedAt)
    expect(uploads[0]!.finishedAt).toBeLessThanOrEqual(granted[1]!.startedAt)
    expect(md5s(await site())).toEqual(builtMd5s(built(first.workspace)))
    expect(await manifestCommit()).toBe(sha)
    releases.sixth = { sha, run: first }
  }, 180_000)

  test('rollback-to the first commit: its archived release goes live again, without a build', async () => {
    const first = releases.first!
    const head = estate.head()
    const run = await deploy(head, head, { 'rollback-to': first.sha })
    expect(run.error).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.outputs.result).toBe('deployed')
    expect(run.lines.some(line => line === `::group::Fetch the release of ${first.sha.slice(0, 12)}`)).toBe(true)
    // No build ran: neither command's group, and no build folder in the checkout.
    expect(run.lines.filter(line => /^::group::Frontend (install|build)|npm (ci|run build): done/.test(line))).toEqual([])
    expect(existsSync(path.join(run.workspace, 'frontend', 'build'))).toBe(false)

    // The site is the first release again, byte for byte, headers included.
    const release = built(first.run.workspace)
    const stored = await site()
    expect(md5s(stored)).toEqual(builtMd5s(release))
    expect(await download('index.html')).toBe(release.get('index.html')!.toString('utf8'))
    for (const [name, blob] of stored) expect([name, blob.contentType, blob.cacheControl]).toEqual([name, ...expectedHeaders(name, IMAGES_RULE_2)])
    expectSafeOrder(run)
    expect(run.purges.length).toBe(1)
    expect(run.purges[0]!.contentPaths).toEqual(expect.arrayContaining(['/', '/index.html', '/about.html', '/robots.txt']))
    // Live is the first commit, so change detection compares with it from now on.
    expect(await manifestCommit()).toBe(first.sha)
  }, 120_000)

  test('rollback-to a commit whose archive is gone: a clear error, the site untouched', async () => {
    const gone = releases.second!.sha
    await deployments.getBlobClient(`prod/${gone}.zip`).delete()
    const before = await site()
    const head = estate.head()
    const run = await deploy(head, head, { 'rollback-to': gone })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.result).toBe('failed')
    expect(run.error).toContain(`rollback-to ${gone}: its release archive`)
    expect(run.error).toContain(`the release archive devstoreaccount1/deployments/prod/${gone}.zip does not exist.`)
    expect(run.error).toMatch(/→ Releases are kept for the last 10 deploys \(keep-releases\)/)
    expect(run.storage.filter(request => request.container === '$web' && request.method !== 'GET')).toEqual([])
    expect(await site()).toEqual(before)
    expect(await manifestCommit()).toBe(releases.first!.sha)
    // The lock was released: nothing holds the lease now.
    expect((await deployments.getBlobClient('prod/deploy.lock').getProperties()).leaseState).toBe('available')
  }, 120_000)

  test('a GITHUB_TOKEN without deployments: write: one warning, and the deploy goes on', async () => {
    const recorded = standin.github.deployments().length
    const sha = estate.commit({ 'frontend/public/about.html': page('About the team') }, 'about: team')
    const run = await deploy(sha, estate.push('main'), { 'github-token': READ_ONLY_TOKEN })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.result).toBe('deployed')
    expect(run.outputs['files-uploaded']).not.toBe('0')
    expect(await download('about.html')).toContain('<h1>About the team</h1>')
    expect(run.lines.filter(line => line.startsWith('::warning::'))).toEqual([expect.stringMatching(/^::warning::GitHub deployments are not recorded for this run: .*Resource not accessible by integration.*deployments: write/)])
    expect(standin.github.deployments()).toHaveLength(recorded)
    expect(run.lines.some(line => line.includes(READ_ONLY_TOKEN))).toBe(false)
  }, 120_000)
})
