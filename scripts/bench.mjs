// npm run bench: performance figures of the real code on real git repositories.
//   changeDetection: detectChanges (git diff + glob matching) on a 50,000-file repository
//                    where a push changed 5,000 files, in a depth-1 checkout; 8 parts against
//                    2, side by side in one run.
//   coldStart:       spawn of dist/index.js (as the runner starts it) to its first stdout byte,
//                    next to a bare `node -e` as the floor.
//   rollout:         the backend rollout to 4 redundant Web Apps against 1, through the real
//                    ARM SDK and the Azure stand-in, with the same injected ARM latency and
//                    container start time, side by side in one run.
//   frontendSync:    a generated 2,000-file / 29 MB build into one Azurite (HTTPS, bearer tokens
//                    from the stand-in's Entra ID): the real sync path against a raw parallel
//                    PUT loop and against one-by-one uploads, and a redeploy of 1 changed file.
// Progress goes to stderr; one JSON object goes to stdout at the end.
import { execFileSync, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { actionCommand, pushPayload, repoRoot, runnerEnvironment } from './lib/action-runner.mjs'
import { startAzurite } from './lib/azurite.mjs'
import { generateSite } from './lib/generated-site.mjs'
import { createEstate, git } from './lib/git-fixture.mjs'

const started = performance.now()
const progress = message => process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(1)} s]: ${message}\n`)
const round = ms => Math.round(ms * 10) / 10
const median = values => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const CONFIG_PATH = '.github/azure-deploy.yml'
const PARTS = { backend: ['backend/**', '!**/*.md'], frontend: ['frontend/**', '!**/*.md'] }
/**
 * Eight parts over the same tree, as a grown estate has them: an API and a worker that runs its
 * image (the API's globs plus its own), two sites, and four more parts with narrower globs.
 */
const EIGHT_PARTS = [
  { name: 'api', paths: [PARTS.backend] },
  { name: 'worker', paths: [PARTS.backend, ['backend/app/worker/**']] },
  { name: 'web', paths: [PARTS.frontend] },
  { name: 'admin', paths: [['frontend/src/admin/**', '!**/*.md']] },
  { name: 'docs', paths: [['backend/notes/**']] },
  { name: 'scheduler', paths: [['backend/app/**/*.py', '!backend/app/legacy/**']] },
  { name: 'assets', paths: [['frontend/public/**']] },
  { name: 'shared-site', paths: [['shared/**']] }
]
const TWO_PARTS = Object.entries(PARTS).map(([name, paths]) => ({ name, paths: [paths] }))
const SHARED = ['shared/**', CONFIG_PATH]

// The 50,000-file tree: folder, file count, extension. The config file is the last one.
const TREE = [
  ['backend/app', 18_000, 'py'],
  ['backend/notes', 2_000, 'md'],
  ['frontend/src', 17_000, 'tsx'],
  ['frontend/notes', 1_000, 'md'],
  ['docs', 6_000, 'md'],
  ['shared', 500, 'json'],
  ['tools', 2_500, 'sh'],
  ['infra', 2_999, 'bicep']
]
const TREE_FILES = TREE.reduce((sum, [, count]) => sum + count, 1)

// The second commit: 5,000 changes spread over each folder (every step-th file), and the
// parts each folder counts for. Markdown under backend/ and frontend/ is excluded by '!**/*.md'.
const CHANGES = [
  { folder: 'backend/app', modify: 1_700, remove: 100, add: 100, parts: ['backend'] },
  { folder: 'backend/notes', modify: 100, parts: [] },
  { folder: 'frontend/src', modify: 1_600, remove: 50, add: 50, parts: ['frontend'] },
  { folder: 'frontend/notes', modify: 100, parts: [] },
  { folder: 'docs', modify: 1_150, parts: [] },
  { folder: 'shared', modify: 50, parts: ['backend', 'frontend'] }
]

const fileName = (folder, index, ext) => `${folder}/d${Math.floor(index / 100)}/f${index}.${ext}`

/** A fast-import commit on refs/heads/main: `files` maps path to content, or null to delete. */
function fastImportCommit(message, parent, files) {
  const lines = [
    'commit refs/heads/main',
    'author Octo Cat <octocat@example.com> 1700000000 +0000',
    'committer Octo Cat <octocat@example.com> 1700000000 +0000',
    `data ${Buffer.byteLength(message)}`,
    message
  ]
  if (parent) lines.push(`from ${parent}`)
  for (const [file, content] of files) {
    if (content === null) lines.push(`D ${file}`)
    else lines.push(`M 100644 inline ${file}`, `data ${Buffer.byteLength(content)}`, content)
  }
  return `${lines.join('\n')}\n\n`
}

function initialFiles() {
  const files = []
  for (const [folder, count, ext] of TREE) {
    for (let i = 0; i < count; i++) {
      const file = fileName(folder, i, ext)
      files.push([file, `${file} v1\n`])
    }
  }
  files.push([CONFIG_PATH, 'version: 1\n'])
  return files
}

/** The second commit's files, and the paths each part must report. */
function changedFiles() {
  const files = []
  const expected = { backend: [], frontend: [] }
  for (const { folder, modify, remove = 0, add = 0, parts } of CHANGES) {
    const [, count, ext] = TREE.find(([name]) => name === folder)
    const step = Math.floor(count / modify)
    const touched = []
    for (let i = 0; i < modify; i++) {
      const file = fileName(folder, i * step, ext)
      files.push([file, `${file} v2\n`])
      touched.push(file)
    }
    for (let i = 0; i < remove; i++) {
      const file = fileName(folder, i * step + 1, ext)
      files.push([file, null])
      touched.push(file)
    }
    for (let i = 0; i < add; i++) {
      const file = fileName(folder, count + i, ext)
      files.push([file, `${file} new\n`])
      touched.push(file)
    }
    for (const part of parts) expected[part].push(...touched)
  }
  return { files, expected }
}

/**
 * Compile src/ with the project's compiler options into build/bench, so the bench runs the
 * real source. Only src/ is compiled: a type error in a test file must not stop the bench.
 */
async function buildSource() {
  const buildDir = path.join(repoRoot, 'build')
  const outDir = path.join(buildDir, 'bench')
  const project = path.join(buildDir, 'tsconfig.bench.json')
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(buildDir, { recursive: true })
  writeFileSync(project, JSON.stringify({ extends: '../tsconfig.json', include: ['../src'], compilerOptions: { noEmit: false, outDir: 'bench' } }))
  progress('compiling src/ with tsc into build/bench')
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  execFileSync(process.execPath, [tsc, '-p', project], { cwd: repoRoot, stdio: ['ignore', 2, 2] })
  const load = file => import(pathToFileURL(path.join(outDir, file)).href)
  const modules = await Promise.all(
    [
      'changes/index',
      'command-runner',
      'azure/clients',
      'azure/cloud',
      'azure/credentials',
      'backend/health',
      'backend/rollout',
      'backend/web-app-control',
      'frontend/site-files',
      'frontend/headers',
      'frontend/blob-store',
      'frontend/sync-plan',
      'frontend/sync'
    ].map(name => load(`src/${name}.js`))
  )
  return Object.assign({}, ...modules)
}

const silentLogger = { info() {}, warning() {}, debug() {}, group: (_name, work) => work() }

/**
 * The warm-up runs (discarded), then `rounds` rounds of `first` and `second` alternating, so
 * that machine noise falls on both alike; `roundDone(i, first, second)` is each round's log line.
 * Returns the runs of each: `[firstRuns, secondRuns]`.
 */
async function alternate({ warmUp, rounds, first, second, roundDone }) {
  for (const run of warmUp) await run()
  const firstRuns = []
  const secondRuns = []
  for (let i = 1; i <= rounds; i++) {
    firstRuns.push(await first())
    secondRuns.push(await second())
    progress(roundDone(i, firstRuns.at(-1), secondRuns.at(-1)))
  }
  return [firstRuns, secondRuns]
}

/**
 * The Azure stand-in, trusted with `extraCaCerts`, and an Entra app `bench` signed in to it
 * with a client secret, as production signs in: `{ standin, cloud, credential }`.
 */
async function standinSignIn(src, options, extraCaCerts = []) {
  const { startAzureStandin } = await import('../azure-standin/index.mjs')
  const tls = await import('node:tls')
  const standin = await startAzureStandin(options)
  try {
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, ...extraCaCerts])
    standin.registerApplication({ clientId: 'bench', clientSecret: 'bench-secret' })
    const cloud = src.resolveCloud(standin.cloudSetting)
    const credential = src.createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: 'bench', clientSecret: 'bench-secret' }, cloud, { getIdToken: async () => '', setSecret() {} })
    return { standin, cloud, credential }
  } catch (error) {
    await standin.close()
    throw error
  }
}

/**
 * Wraps a GitRepository to time the fetch and the diff inside one detectChanges call. Parts
 * share a base, so several calls may wait on one fetch or diff: each span is the wall time
 * from the first call's start to the last call's end, never a sum of overlapping waits.
 */
function timedGit(inner) {
  const spans = { ensureCommitMs: 0, diffMs: 0, diffEntries: 0 }
  const windows = {}
  const time = async (span, work) => {
    const start = performance.now()
    try {
      return await work()
    } finally {
      const window = (windows[span] ??= { start, end: start })
      window.start = Math.min(window.start, start)
      window.end = Math.max(window.end, performance.now())
      spans[span] = window.end - window.start
    }
  }
  return {
    spans,
    git: {
      ...inner,
      ensureCommit: sha => time('ensureCommitMs', () => inner.ensureCommit(sha)),
      changedFiles: (base, head) =>
        time('diffMs', async () => {
          const changes = await inner.changedFiles(base, head)
          spans.diffEntries = changes.length
          return changes
        })
    }
  }
}

async function benchChangeDetection(src) {
  const estate = createEstate({ prefix: 'apd-bench-' })
  try {
    const setupStart = performance.now()
    progress(`generating ${TREE_FILES} files with git fast-import, pushing them to origin`)
    git(estate.work, ['fast-import', '--quiet'], { input: fastImportCommit('initial', undefined, initialFiles()) })
    estate.push('main')
    const base = estate.head()
    const { files, expected } = changedFiles()
    progress(`second commit: ${files.length} changed files, pushing it`)
    git(estate.work, ['fast-import', '--quiet'], { input: fastImportCommit('change', base, files) })
    estate.push('main')
    const head = estate.head()
    const treeFiles = git(estate.origin, ['ls-tree', '-r', '--name-only', '-z', base]).split('\0').filter(Boolean).length
    if (treeFiles !== TREE_FILES) throw new Error(`generated ${treeFiles} files, expected ${TREE_FILES}`)
    progress('depth-1 checkout of the head, as actions/checkout makes it')
    const workspace = estate.checkout(head)
    const setupMs = performance.now() - setupStart

    const detect = async (parts = TWO_PARTS) => {
      const { git: repository, spans } = timedGit(src.createGitRepository(src.createCommandRunner(), workspace))
      const start = performance.now()
      const changes = await src.detectChanges({ parts, sharedPaths: SHARED, head, eventBase: base, providers: {}, git: repository, logger: silentLogger })
      const totalMs = performance.now() - start
      if (parts === TWO_PARTS) checkMatches(changes, expected, base, spans.diffEntries, files.length)
      else if (changes.length !== parts.length || spans.diffEntries !== files.length) throw new Error(`8 parts: ${changes.length} decisions over ${spans.diffEntries} diff entries`)
      return { totalMs, ...spans }
    }

    const probe = src.createGitRepository(src.createCommandRunner(), workspace)
    if (await probe.hasCommit(base)) throw new Error('the depth-1 checkout already holds the base commit: the cold run would not fetch')
    progress('cold run (fetches the base commit)')
    const cold = await detect()
    const warm = []
    for (let i = 1; i <= 5; i++) {
      warm.push(await detect())
      progress(`warm run ${i}/5: ${round(warm.at(-1).totalMs)} ms`)
    }
    const valueMs = median(warm.map(run => run.totalMs))
    // 8 parts against 2, alternating, on the same checkout: one diff either way, more globs to match.
    const [twoParts, eightParts] = await alternate({
      warmUp: [() => detect(EIGHT_PARTS).then(run => run.totalMs)],
      rounds: 9,
      first: () => detect(TWO_PARTS).then(run => run.totalMs),
      second: () => detect(EIGHT_PARTS).then(run => run.totalMs),
      roundDone: (i, two, eight) => `parts ${i}/9: 2 parts ${round(two)} ms, 8 parts ${round(eight)} ms`
    })
    const partsRatio = median(eightParts) / median(twoParts)
    return {
      value_ms: round(valueMs),
      target_ms: 1000,
      met: valueMs < 1000,
      measures: 'detectChanges, diff + match, base already fetched: median of 5 fresh calls',
      runs_ms: warm.map(run => round(run.totalMs)),
      diff_ms: round(median(warm.map(run => run.diffMs))),
      match_and_overhead_ms: round(median(warm.map(run => run.totalMs - run.diffMs - run.ensureCommitMs))),
      cold: {
        total_ms: round(cold.totalMs),
        fetch_ms: round(cold.ensureCommitMs),
        diff_and_match_ms: round(cold.totalMs - cold.ensureCommitMs)
      },
      repository: { files: TREE_FILES, changed_files: files.length, diff_entries: cold.diffEntries },
      matched: { backend: expected.backend.length, frontend: expected.frontend.length },
      eight_parts: {
        value_ratio: Math.round(partsRatio * 100) / 100,
        target_ratio: 1.2,
        met: partsRatio <= 1.2,
        measures: 'detectChanges with 8 parts ÷ with 2 parts on the same push, median of 9 each, alternating',
        two_parts_ms: twoParts.map(round),
        eight_parts_ms: eightParts.map(round)
      },
      setup_ms: round(setupMs)
    }
  } finally {
    estate.dispose()
  }
}

/** Throw unless each part reports exactly the paths the second commit changed for it. */
function checkMatches(changes, expected, base, diffEntries, changed) {
  if (diffEntries !== changed) throw new Error(`git diff reported ${diffEntries} changes, expected ${changed}`)
  for (const part of Object.keys(PARTS)) {
    const change = changes.find(c => c.part === part)
    if (!change || !change.changed || change.reason !== 'before' || change.base !== base) {
      throw new Error(`${part}: unexpected decision ${JSON.stringify(change && { ...change, files: change.files.length })}`)
    }
    const got = [...change.files].sort().join('\n')
    const want = [...expected[part]].sort().join('\n')
    if (got !== want) throw new Error(`${part}: matched ${change.files.length} files, expected ${expected[part].length}`)
  }
}

/** Spawn a command and time spawn → first stdout byte, and spawn → exit. */
async function timeFirstOutput(command, args, options) {
  const start = performance.now()
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let firstMs
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', chunk => {
    firstMs ??= performance.now() - start
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk))
  const exitCode = await new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', code => resolve(code ?? -1))
  })
  if (firstMs === undefined) throw new Error(`${command} ${args.join(' ')} wrote nothing to stdout (exit ${exitCode}): ${stderr}`)
  return { firstMs, exitMs: performance.now() - start, exitCode, stdout, stderr }
}

const COLD_START_CONFIG = `version: 1
shared:
  paths: ['shared/**']
parts:
  backend:
    paths: ['backend/**', '!**/*.md']
    registry: example.azurecr.io
    repository: api
  frontend:
    paths: ['frontend/**']
environments:
  production:
    branches: [main]
    backend:
      targets:
        - resource-group: rg-prod
          app: app-prod-1
    frontend:
      storage-account: stprod
`

async function benchColdStart() {
  progress('cold start: small estate, dry run of a push')
  const estate = createEstate({
    prefix: 'apd-bench-',
    files: { [CONFIG_PATH]: COLD_START_CONFIG, 'backend/app.py': 'print(1)\n', 'frontend/index.html': '<p>1</p>\n', 'README.md': '# estate\n' }
  })
  try {
    estate.push('main')
    const before = estate.head()
    const after = estate.commit({ 'backend/app.py': 'print(2)\n' })
    estate.push('main')
    const workspace = estate.checkout(after)
    const event = { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after }) }

    const runAction = async () => {
      const runner = runnerEnvironment({ workspace, inputs: { 'dry-run': 'true', 'subscription-id': '00000000-0000-0000-0000-000000000000' }, event, sha: after })
      const run = await timeFirstOutput(actionCommand.command, actionCommand.args, { cwd: workspace, env: runner.env })
      const { result } = runner.results().outputs
      runner.dispose()
      if (run.exitCode !== 0 || result !== 'planned') throw new Error(`dist/index.js exited ${run.exitCode} with result ${result}:\n${run.stdout}${run.stderr}`)
      return run
    }
    const runFloor = () => timeFirstOutput(process.execPath, ['-e', 'console.log(1)'], { cwd: workspace, env: { PATH: process.env.PATH, HOME: process.env.HOME } })

    // One discarded run of each warms the page cache (and fetches the base into the workspace);
    // then the two alternate so that machine noise falls on both alike.
    const [floor, action] = await alternate({
      warmUp: [runAction, runFloor],
      rounds: 10,
      first: runFloor,
      second: runAction,
      roundDone: (i, floorRun, actionRun) => `cold start ${i}/10: action ${round(actionRun.firstMs)} ms, node -e ${round(floorRun.firstMs)} ms`
    })
    const valueMs = median(action.map(run => run.firstMs))
    const floorMs = median(floor.map(run => run.firstMs))
    return {
      value_ms: round(valueMs),
      target_ms: 300,
      met: valueMs < 300,
      measures: 'spawn of node dist/index.js (dry run, push event) to its first stdout byte: median of 10',
      runs_ms: action.map(run => round(run.firstMs)),
      floor_ms: round(floorMs),
      floor_runs_ms: floor.map(run => round(run.firstMs)),
      over_floor_ms: round(valueMs - floorMs),
      run_to_exit_ms: round(median(action.map(run => run.exitMs)))
    }
  } finally {
    estate.dispose()
  }
}

/** Rollout wall time for 1 and for 4 targets, alternating so machine noise falls on both. */
async function benchRollout(src) {
  const { setTimeout: sleep } = await import('node:timers/promises')
  const CONTAINER_START_MS = 1500
  const ARM_LATENCY_MS = 200
  const { standin, cloud, credential } = await standinSignIn(src, { containers: 'none', simulatedStartDelayMs: CONTAINER_START_MS })
  try {
    const subscription = '11111111-2222-3333-4444-555555555555'
    const control = src.createWebAppControl(src.createAzureClients(credential, cloud))
    standin.faults.delay({ path: /^\/subscriptions\//i, times: 1_000_000, delayMs: ARM_LATENCY_MS })
    const verify = { probe: src.httpProbe, sleep: (ms, signal) => sleep(ms, undefined, { signal }), now: () => performance.now() }
    const image = sha => `bench.azurecr.io/api:${sha}`
    let group = 0
    const once = async count => {
      const resourceGroup = `rg-bench-${++group}`
      const names = Array.from({ length: count }, (_, i) => `api-${i + 1}`)
      for (const name of names) await standin.addWebApp({ subscription, resourceGroup, name, image: image('a'.repeat(40)) })
      const targets = names.map(app => ({ subscription, resourceGroup, app }))
      const start = performance.now()
      const report = await src.rollout(
        targets.map(target => ({
          part: 'api',
          target,
          strategy: 'in-place',
          image: image('b'.repeat(40)),
          commit: 'b'.repeat(40),
          settings: { declared: {}, prune: false },
          registry: 'bench.azurecr.io',
          repository: 'api',
          verify: { mode: 'version', path: '/healthz', versionHeader: 'X-App-Version', consecutive: 3, timeoutSeconds: 60, intervalSeconds: 0.25 },
          swapTimeoutMs: 60_000
        })),
        { control, verify, logger: silentLogger }
      )
      const ms = performance.now() - start
      if (!report.ok) throw new Error(`bench rollout failed: ${report.failure}`)
      return ms
    }
    const [one, four] = await alternate({
      warmUp: [() => once(1)], // warms the token cache and the SDK
      rounds: 3,
      first: () => once(1),
      second: () => once(4),
      roundDone: (i, oneMs, fourMs) => `rollout ${i}/3: 1 target ${round(oneMs)} ms, 4 targets ${round(fourMs)} ms`
    })
    const ratio = median(four) / median(one)
    return {
      value_ratio: Math.round(ratio * 100) / 100,
      target_ratio: 1.25,
      met: ratio < 1.25,
      measures: 'in-place rollout (read, switch, verify 3 answers in a row) to 4 Web Apps ÷ to 1, median of 3 each, alternating',
      injected: { arm_latency_ms_per_call: ARM_LATENCY_MS, container_start_ms: CONTAINER_START_MS },
      one_target_ms: one.map(round),
      four_targets_ms: four.map(round)
    }
  } finally {
    await standin.close()
  }
}

// ---- frontendSync: the site sync against Azurite ------------------------------------------

/** The kernel's clock ticks per second (the unit of /proc/<pid>/stat times), asked once. */
let clockTicks
function clockTicksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}
/** CPU milliseconds (user + system) a process has used so far, from /proc; undefined off Linux. */
function processCpuMs(pid) {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond()
  } catch {
    return undefined
  }
}

const FRONTEND_SITE = { files: 2000, totalBytes: 29e6 }
const FRONTEND_CONCURRENCY = 32
const FRONTEND_PAIRS = 3
const FRONTEND_REDEPLOYS = 3
/** The page the redeploys change: a page of the site, one upload, no renamed assets. */
const REDEPLOY_PAGE = 'docs/page-0.html'

/**
 * One Azurite, one generated build. (a) the real sync path into an empty container, (b) a raw
 * parallel PUT loop, alternating so that noise falls on both; (c) one-by-one uploads, once;
 * (d) redeploys of 1 changed file after a full sync. Every run goes into a fresh container
 * and is checked by listing the container afterwards (outside the timing).
 */
async function benchFrontendSync(src) {
  const { createTlsMaterial } = await import('../azure-standin/https-server.mjs')
  const { BlobServiceClient } = await import('@azure/storage-blob')
  const siteDir = mkdtempSync(path.join(tmpdir(), 'apd-bench-site-'))
  const storageTls = await createTlsMaterial()
  // Bearer tokens from the stand-in's Entra ID for https://storage.azure.com, as production signs in.
  const { standin, credential } = await standinSignIn(src, { containers: 'none' }, [storageTls.caCertPem])
  let azurite
  try {
    progress(`generating a ${FRONTEND_SITE.files}-file, ${FRONTEND_SITE.totalBytes / 1e6} MB build`)
    const written = generateSite(siteDir, FRONTEND_SITE)
    const siteBytes = written.reduce((sum, file) => sum + file.size, 0)
    if (written.length !== FRONTEND_SITE.files) throw new Error(`generated ${written.length} files, expected ${FRONTEND_SITE.files}`)

    progress('starting Azurite (HTTPS, --oauth basic)')
    azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
    const admin = new BlobServiceClient(azurite.blobEndpoint, credential)

    const cacheControl = src.compileCacheControl([])
    const entriesOf = files => files.map(file => ({ file, headers: src.headersFor(file.path, cacheControl) }))
    // The raw loops get the files, MD5s and headers ready-made: only the PUTs are timed.
    const entries = entriesOf(await src.listSiteFiles(siteDir))

    let containers = 0
    const freshContainer = async kind => {
      const name = `${kind}-${++containers}`
      await admin.getContainerClient(name).create()
      return name
    }
    const siteStore = container => src.createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container, archiveContainer: 'deployments', logger: silentLogger })
    /** Throws unless the container holds exactly the local files, each with its MD5 and headers. */
    const checkContainer = async (name, expected) => {
      const want = new Map(expected.map(entry => [entry.file.path, entry]))
      const blobs = await siteStore(name).listSite()
      for (const blob of blobs) {
        const entry = want.get(blob.path)
        if (!entry || blob.md5 !== entry.file.md5 || blob.contentType !== entry.headers.contentType || blob.cacheControl !== entry.headers.cacheControl) {
          throw new Error(`${name}/${blob.path}: not the local file with its headers (MD5 ${blob.md5}, ${blob.contentType}, ${blob.cacheControl})`)
        }
      }
      if (blobs.length !== expected.length) throw new Error(`${name} holds ${blobs.length} blobs, expected ${expected.length}`)
    }
    /** Wall time, and the CPU time Azurite and this process used meanwhile. */
    const measure = async work => {
      const azuriteBefore = processCpuMs(azurite.pid)
      const benchBefore = process.cpuUsage()
      const start = performance.now()
      const value = await work()
      const ms = performance.now() - start
      const bench = process.cpuUsage(benchBefore)
      const azuriteAfter = processCpuMs(azurite.pid)
      return { ms, value, benchCpuMs: (bench.user + bench.system) / 1000, azuriteCpuMs: azuriteBefore === undefined || azuriteAfter === undefined ? undefined : azuriteAfter - azuriteBefore }
    }

    /** (a), and (d): the real code path, as deployFrontend runs it (minus the build, archive and purge). */
    const sync = async container => {
      const store = siteStore(container)
      const phases = {}
      let mark = performance.now()
      const lap = name => {
        const now = performance.now()
        phases[name] = now - mark
        mark = now
      }
      // Hashed and listed at once, as deployFrontend does: each timed on its own, and together.
      const own = async (name, work) => {
        const start = performance.now()
        const value = await work()
        phases[name] = performance.now() - start
        return value
      }
      const [files, remote] = await Promise.all([own('hash', () => src.listSiteFiles(siteDir)), own('list', () => store.listSite())])
      lap('hash_and_list')
      const plan = src.planSync(entriesOf(files), remote, { maxDeleteShare: 0.5, allowMassDelete: false })
      lap('plan')
      const report = await src.syncSite(plan, { store, logger: silentLogger }, { concurrency: FRONTEND_CONCURRENCY })
      lap('upload')
      if (!report.ok) throw new Error(`sync into ${container} failed: ${report.failure}`)
      return { plan, report, phases }
    }
    /** (b) and (c): uploadFile with the same headers and MD5, `concurrency` at a time, no listing or planning. */
    const rawPut = async (container, concurrency) => {
      const client = admin.getContainerClient(container)
      let next = 0
      const worker = async () => {
        while (next < entries.length) {
          const { file, headers } = entries[next++]
          await client.getBlockBlobClient(file.path).uploadFile(file.absolute, {
            blobHTTPHeaders: { blobContentType: headers.contentType, blobCacheControl: headers.cacheControl, blobContentMD5: Buffer.from(file.md5, 'base64') }
          })
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
    }

    const runSync = async () => {
      const container = await freshContainer('sync')
      const run = await measure(() => sync(container))
      if (run.value.report.uploaded.length !== entries.length) throw new Error(`the sync into ${container} uploaded ${run.value.report.uploaded.length} files, expected ${entries.length}`)
      await checkContainer(container, entries)
      return { ...run, container }
    }
    const runRaw = async concurrency => {
      const container = await freshContainer(concurrency === 1 ? 'one-by-one' : 'raw')
      const run = await measure(() => rawPut(container, concurrency))
      await checkContainer(container, entries)
      return { ...run, container }
    }

    // One discarded run of each warms the token cache, the TLS sessions, the page cache and Azurite.
    progress('warm-up: one sync and one raw loop, discarded')
    const [syncRuns, rawRuns] = await alternate({
      warmUp: [runSync, () => runRaw(FRONTEND_CONCURRENCY)],
      rounds: FRONTEND_PAIRS,
      first: runSync,
      second: () => runRaw(FRONTEND_CONCURRENCY),
      roundDone: (i, syncRun, rawRun) => `frontend sync ${i}/${FRONTEND_PAIRS}: sync ${round(syncRun.ms)} ms, raw loop ${round(rawRun.ms)} ms`
    })
    progress('one-by-one uploads (once)')
    const oneByOne = await runRaw(1)
    progress(`one-by-one: ${round(oneByOne.ms)} ms`)

    // (d) into the last synced container: change one page, sync again, exactly one upload.
    const container = syncRuns.at(-1).container
    const page = path.join(siteDir, ...REDEPLOY_PAGE.split('/'))
    const redeploys = []
    for (let i = 1; i <= FRONTEND_REDEPLOYS; i++) {
      appendFileSync(page, `<!-- redeploy ${i} -->\n`)
      const run = await measure(() => sync(container))
      const { plan, report } = run.value
      if (plan.uploads.length !== 1 || report.uploaded.length !== 1 || report.uploaded[0] !== REDEPLOY_PAGE || plan.headerFixes.length !== 0 || plan.stale.length !== 0) {
        throw new Error(`redeploy ${i} planned ${plan.uploads.length} uploads (${plan.uploads.map(u => u.file.path).join(', ')}), ${plan.headerFixes.length} header fixes, ${plan.stale.length} stale; uploaded ${report.uploaded.length}: expected exactly 1 upload of ${REDEPLOY_PAGE}`)
      }
      redeploys.push(run)
      progress(`redeploy ${i}/${FRONTEND_REDEPLOYS} (1 changed file): ${round(run.ms)} ms`)
    }
    await checkContainer(container, entriesOf(await src.listSiteFiles(siteDir)))

    const syncMs = median(syncRuns.map(run => run.ms))
    const rawMs = median(rawRuns.map(run => run.ms))
    const redeployMs = median(redeploys.map(run => run.ms))
    const ratio = value => Math.round(value * 100) / 100
    const syncOverRaw = syncMs / rawMs
    const oneByOneOverSync = oneByOne.ms / syncMs
    const redeployOverFull = redeployMs / syncMs
    const phasesOf = runs => Object.fromEntries(Object.keys(runs[0].value.phases).map(phase => [phase, round(median(runs.map(run => run.value.phases[phase])))]))
    const cpuOf = runs => {
      const azuriteMs = runs.map(run => run.azuriteCpuMs).filter(ms => ms !== undefined)
      return { azurite_ms: azuriteMs.length ? round(median(azuriteMs)) : null, bench_process_ms: round(median(runs.map(run => run.benchCpuMs))) }
    }
    const mbPerSecond = ms => Math.round((siteBytes / 1e6 / (ms / 1000)) * 10) / 10
    return {
      value_ratio: ratio(syncOverRaw),
      target_ratio: 1.5,
      met: syncOverRaw <= 1.5 && oneByOneOverSync >= 2 && redeployOverFull < 0.1,
      measures: `full sync (listSiteFiles + listSite + planSync + syncSite, concurrency ${FRONTEND_CONCURRENCY}) into an empty container ÷ a raw uploadFile loop (same headers and MD5, files hashed beforehand) at the same concurrency; median of ${FRONTEND_PAIRS} each, alternating, each into a fresh container; met = all three ratios below`,
      ratios: {
        sync_over_raw: { value: ratio(syncOverRaw), target: '<= 1.5', met: syncOverRaw <= 1.5 },
        one_by_one_over_sync: { value: ratio(oneByOneOverSync), target: '>= 2', met: oneByOneOverSync >= 2 },
        redeploy_over_full: { value: Math.round(redeployOverFull * 1000) / 1000, target: '< 0.10', met: redeployOverFull < 0.1 }
      },
      site: { files: entries.length, bytes: siteBytes },
      sync: { median_ms: round(syncMs), runs_ms: syncRuns.map(run => round(run.ms)), mb_per_s: mbPerSecond(syncMs), phases_ms: phasesOf(syncRuns), cpu: cpuOf(syncRuns) },
      raw: { median_ms: round(rawMs), runs_ms: rawRuns.map(run => round(run.ms)), mb_per_s: mbPerSecond(rawMs), cpu: cpuOf(rawRuns) },
      one_by_one: { ms: round(oneByOne.ms), mb_per_s: mbPerSecond(oneByOne.ms), cpu: cpuOf([oneByOne]) },
      redeploy: {
        changed_files: 1,
        uploads: 1,
        median_ms: round(redeployMs),
        runs_ms: redeploys.map(run => round(run.ms)),
        phases_ms: phasesOf(redeploys),
        cpu: cpuOf(redeploys)
      },
      notes: [
        `Loopback Azurite (one Node process) on the same ${availableParallelism()} cores as this client is the bottleneck of the uploads: cpu.azurite_ms is the CPU time Azurite used during each kind of run, next to its wall time. The raw loop is a floor set by Azurite here, not by the network; on real Azure, where each PUT costs a round trip, one-by-one uploads fall much further behind.`,
        'phases_ms: hash (listSiteFiles) and list (listSite) run at once, as deployFrontend runs them; hash_and_list is their wall time together. A redeploy is bound by this process, not by Azurite: it hashes every local file again and parses the listing of every blob, on one JavaScript thread (compare redeploy.cpu).'
      ]
    }
  } finally {
    await azurite?.stop()
    await standin.close()
    rmSync(siteDir, { recursive: true, force: true })
  }
}

// `npm run bench -- rollout coldStart` runs only the named figures.
const wanted = new Set(process.argv.slice(2))
const want = name => wanted.size === 0 || wanted.has(name)
const loadBefore = loadavg()
// coldStart runs dist/index.js; the other figures run src/, compiled first.
const src = ['changeDetection', 'rollout', 'frontendSync'].some(want) ? await buildSource() : undefined
const changeDetection = want('changeDetection') ? await benchChangeDetection(src) : undefined
const coldStart = want('coldStart') ? await benchColdStart() : undefined
const rollout = want('rollout') ? await benchRollout(src) : undefined
const frontendSync = want('frontendSync') ? await benchFrontendSync(src) : undefined
progress(`done in ${round((performance.now() - started) / 1000)} s`)
// Figures from a busy machine are noisy: the load average says how busy it was.
const machine = { node: process.version, cpus: availableParallelism(), load_average: { before: loadBefore.map(round), after: loadavg().map(round) } }
process.stdout.write(`${JSON.stringify({ machine, changeDetection, coldStart, rollout, frontendSync }, null, 2)}\n`)
