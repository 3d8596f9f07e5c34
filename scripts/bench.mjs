// npm run bench: performance figures of the real code on real git repositories.
//   changeDetection: detectChanges (git diff + glob matching) on a 50,000-file repository
//                    where a push changed 5,000 files, in a depth-1 checkout; 8 parts against
//                    2, side by side in one run.
//   coldStart:       spawn of dist/index.js (as the runner starts it) to its first stdout byte,
//                    next to a bare `node -e` as the floor.
//   rollout:         the backend rollout to 4 redundant Web Apps against 1, through the real
//                    ARM SDK and the Azure stand-in, with the same injected ARM latency and
//                    container start time, side by side in one run.
//   frontendDeploy:  the whole site deploy step (dist/index.js as a runner runs it) of a generated
//                    2,000-file / 29 MB build into Azurite (HTTPS, bearer tokens from the
//                    stand-in's Entra ID) against a raw parallel PUT loop of the same files, and
//                    redeploys of 1 changed page on 2,000- and 500-file sites with their time-to-live.
// Progress goes to stderr; one JSON object goes to stdout at the end.
import { execFileSync, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { actionCommand, pushPayload, repoRoot, RUNNER_TOKEN, runnerEnvironment } from './lib/action-runner.mjs'
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

/**
 * Spawn a command and time spawn → first stdout byte, and spawn → exit; `lines` are its stdout
 * lines, each with the moment (ms after the spawn) it reached this process.
 */
async function timeFirstOutput(command, args, options) {
  const start = performance.now()
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let firstMs
  let stdout = ''
  let stderr = ''
  const lines = []
  let partial = ''
  child.stdout.setEncoding('utf8').on('data', chunk => {
    const at = performance.now() - start
    firstMs ??= at
    stdout += chunk
    const parts = (partial + chunk).split('\n')
    partial = parts.pop()
    for (const text of parts) lines.push({ at, text })
  })
  child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk))
  const exitCode = await new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', code => resolve(code ?? -1))
  })
  if (firstMs === undefined) throw new Error(`${command} ${args.join(' ')} wrote nothing to stdout (exit ${exitCode}): ${stderr}`)
  return { firstMs, exitMs: performance.now() - start, exitCode, stdout, stderr, lines }
}

/** dist/index.js run as a runner runs it (timeFirstOutput's figures and its outputs); throws unless it ended with `result`. */
async function runStep(options, result) {
  const runner = runnerEnvironment(options)
  const run = await timeFirstOutput(actionCommand.command, actionCommand.args, { cwd: options.workspace, env: runner.env })
  const { outputs } = runner.results()
  runner.dispose()
  if (run.exitCode !== 0 || outputs.result !== result) {
    const said = run.lines.map(line => line.text).filter(text => !text.startsWith('::add-mask::') && !text.startsWith('::debug::'))
    throw new Error(`dist/index.js exited ${run.exitCode} with result ${outputs.result}:\n${said.slice(-30).join('\n')}\n${run.stderr}`)
  }
  return { ...run, outputs }
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

    const runAction = () => runStep({ workspace, inputs: { 'dry-run': 'true', 'subscription-id': '00000000-0000-0000-0000-000000000000' }, event, sha: after }, 'planned')
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

// ---- frontendDeploy: the whole site deploy step against Azurite ---------------------------

const FRONTEND_SITE = { files: 2000, totalBytes: 29e6 }
/** The smaller site of the time-to-live comparison: a quarter of the files and bytes. */
const SMALL_SITE = { files: 500, totalBytes: 29e6 / 4 }
const FRONTEND_CONCURRENCY = 32
const FRONTEND_PAIRS = 3
const FRONTEND_REDEPLOYS = 3
/** The page the redeploys change: a page of the site, one upload, no renamed assets. */
const REDEPLOY_PAGE = 'docs/page-0.html'
const OIDC_CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'

/**
 * Moments of one step, from its log lines as they reached this process (ms after the spawn):
 * the first pattern each name's line matches.
 */
const STEP_MARKS = [
  ['first_line', /^/],
  ['config_read', /^environment: /],
  ['changes_detected', /^::group::Plan$/],
  ['prepare_start', /^::group::Prepare/],
  ['locked', /^locked /],
  ['publish_planned', /^sync plan: /],
  ['live', /^uploaded (\d+)\/\1 /],
  ['archived', /^release archive /],
  ['published', /^Deployed frontend /]
]

/**
 * Run dist/index.js as a runner runs it; resolves with its wall time to exit, the time each
 * stdout line arrived, its outputs and its STEP_MARKS. Throws unless the step deployed.
 */
async function runDeployStep(options) {
  const run = await runStep(options, 'deployed')
  const marks = {}
  for (const [name, pattern] of STEP_MARKS) {
    const line = run.lines.find(candidate => pattern.test(candidate.text))
    if (line) marks[name] = round(line.at)
  }
  marks.exit = round(run.exitMs)
  return { ms: run.exitMs, marks, outputs: run.outputs, lines: run.lines }
}

const spread = values => ({ min: round(Math.min(...values)), median: round(median(values)), max: round(Math.max(...values)) })

/**
 * One Azurite (HTTPS, bearer tokens from the stand-in's Entra ID), one estate whose site part
 * deploys a generated build: the whole step (dist/index.js with a runner's environment, GitHub
 * OIDC sign-in, change detection, lock, upload, archive, manifest, GitHub deployment) against a
 * raw parallel PUT loop of the same files from this process, alternating, each into empty
 * containers. Then redeploys of 1 changed page on a 2,000-file and a 500-file site, with the
 * moment the page was live. The build commands are no-ops (the output is generated before the
 * step): what is timed is the deploy's own cost.
 */
async function benchFrontendDeploy(src) {
  const { BlobServiceClient } = await import('@azure/storage-blob')
  const { selfSignedTls } = await import('./lib/azurite.mjs')
  const loadAtStart = loadavg().map(round)
  const scratch = mkdtempSync(path.join(tmpdir(), 'apd-bench-deploy-'))
  const storageTls = await selfSignedTls()
  const { standin, credential } = await standinSignIn(src, { containers: 'none' }, [storageTls.caCertPem])
  standin.registerApplication({ clientId: OIDC_CLIENT, federatedCredentials: [{ subject: 'repo:octo-org/estate:ref:refs/heads/main' }] })
  standin.github.addToken(RUNNER_TOKEN, { deployments: 'write' })
  const caBundle = path.join(scratch, 'ca-bundle.pem')
  writeFileSync(caBundle, `${standin.caCertPem.trim()}\n${storageTls.caCertPem.trim()}\n`)
  let azurite
  let estate
  try {
    progress('starting Azurite (HTTPS, --oauth basic)')
    azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true })
    const admin = new BlobServiceClient(azurite.blobEndpoint, credential)

    // The sites, generated once and copied into each checkout (outside the timing).
    progress(`generating a ${FRONTEND_SITE.files}-file, ${FRONTEND_SITE.totalBytes / 1e6} MB build and a ${SMALL_SITE.files}-file one`)
    const sites = { large: path.join(scratch, 'site-large'), small: path.join(scratch, 'site-small') }
    const written = generateSite(sites.large, FRONTEND_SITE)
    generateSite(sites.small, SMALL_SITE)
    const siteBytes = written.reduce((sum, file) => sum + file.size, 0)

    // Environments by name: each first deploy gets its own containers, so each starts empty.
    const firstDeploys = Array.from({ length: FRONTEND_PAIRS + 1 }, (_, i) => `first-${i}`)
    const environments = [...firstDeploys, 'redeploy-large', 'redeploy-small']
    const site = name => ({ 'storage-account': 'devstoreaccount1', 'blob-endpoint': azurite.blobEndpoint, container: `web-${name}`, 'archive-container': `deploy-${name}` })
    const config = {
      cloud: standin.cloudSetting,
      parts: { frontend: { kind: 'site', paths: ['site/**'], 'working-directory': 'site', install: 'true', build: 'true', output: 'build' } },
      environments: Object.fromEntries(environments.map(name => [name, { frontend: site(name) }]))
    }
    const { stringify } = await import('yaml')
    estate = createEstate({ prefix: 'apd-bench-', files: { [CONFIG_PATH]: stringify(config), 'site/src/version.txt': '0\n' } })
    const firstSha = estate.head()
    const firstBefore = estate.push('main')
    const checkout = (sha, from) => {
      const workspace = estate.checkout(sha)
      execFileSync('cp', ['-R', from, path.join(workspace, 'site', 'build')])
      return workspace
    }
    const stepOptions = (workspace, sha, before, environment) => ({
      workspace,
      sha,
      event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
      inputs: { 'client-id': OIDC_CLIENT, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION, environment },
      env: { NODE_EXTRA_CA_CERTS: caBundle, ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken, GITHUB_API_URL: standin.github.apiUrl }
    })

    const cacheControl = src.compileCacheControl([])
    const entriesOf = files => files.map(file => ({ file, headers: src.headersFor(file.path, cacheControl) }))
    // The raw loop gets the files, MD5s and headers ready-made: only the PUTs are timed.
    const entries = entriesOf(await src.listSiteFiles(sites.large))
    const siteStore = container => src.createSiteStore({ blobEndpoint: azurite.blobEndpoint, credential, container, archiveContainer: 'unused', logger: silentLogger })
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
    let rawContainers = 0
    const runRaw = async () => {
      const container = `raw-${++rawContainers}`
      const client = admin.getContainerClient(container)
      await client.create()
      const start = performance.now()
      let next = 0
      const worker = async () => {
        while (next < entries.length) {
          const { file, headers } = entries[next++]
          await client.getBlockBlobClient(file.path).uploadFile(file.absolute, {
            blobHTTPHeaders: { blobContentType: headers.contentType, blobCacheControl: headers.cacheControl, blobContentMD5: Buffer.from(file.md5, 'base64') }
          })
        }
      }
      await Promise.all(Array.from({ length: FRONTEND_CONCURRENCY }, worker))
      const ms = performance.now() - start
      await checkContainer(container, entries)
      return { ms }
    }

    // Azure creates $web-like containers when the website is switched on; Azurite does not.
    for (const name of environments) await admin.getContainerClient(`web-${name}`).create()
    const workspace = checkout(firstSha, sites.large)
    let firstRound = 0
    const runFirst = async () => {
      const environment = firstDeploys[firstRound++]
      const run = await runDeployStep(stepOptions(workspace, firstSha, firstBefore, environment))
      if (run.outputs['files-uploaded'] !== String(FRONTEND_SITE.files)) throw new Error(`${environment}: uploaded ${run.outputs['files-uploaded']} files`)
      await checkContainer(`web-${environment}`, entries)
      return run
    }
    progress('warm-up: one deploy step and one raw loop, discarded')
    const [firstRuns, rawRuns] = await alternate({
      warmUp: [runFirst, runRaw],
      rounds: FRONTEND_PAIRS,
      first: runFirst,
      second: runRaw,
      roundDone: (i, step, raw) => `frontend first deploy ${i}/${FRONTEND_PAIRS}: step ${round(step.ms)} ms (live at ${step.marks.live} ms), raw loop ${round(raw.ms)} ms`
    })

    // Redeploys of one page: a commit that changes the site's sources, the page changed in its build.
    const redeploysOf = async (size, from) => {
      const environment = `redeploy-${size}`
      const full = await runDeployStep(stepOptions(checkout(firstSha, from), firstSha, firstBefore, environment))
      let before = firstSha
      const runs = []
      for (let i = 1; i <= FRONTEND_REDEPLOYS; i++) {
        const sha = estate.commit({ 'site/src/version.txt': `${size} ${i}\n` }, `page change ${i}`)
        estate.push('main')
        const next = checkout(sha, from)
        const page = path.join(next, 'site', 'build', ...REDEPLOY_PAGE.split('/'))
        appendFileSync(page, `<!-- redeploy ${i} -->\n`)
        const run = await runDeployStep(stepOptions(next, sha, before, environment))
        if (run.outputs['files-uploaded'] !== '1' || run.outputs['files-deleted'] !== '0') throw new Error(`${environment} redeploy ${i}: uploaded ${run.outputs['files-uploaded']}, deleted ${run.outputs['files-deleted']}: expected exactly 1 upload`)
        const stored = await admin.getContainerClient(`web-${environment}`).getBlobClient(REDEPLOY_PAGE).downloadToBuffer()
        if (!stored.equals(readFileSync(page))) throw new Error(`${environment} redeploy ${i}: ${REDEPLOY_PAGE} is not the changed page`)
        runs.push(run)
        progress(`redeploy ${size} ${i}/${FRONTEND_REDEPLOYS}: step ${round(run.ms)} ms, page live at ${run.marks.live} ms`)
        // BENCH_TRACE=1: every line the step printed, with the moment it arrived, to see where the time goes.
        if (process.env.BENCH_TRACE === '1') for (const line of run.lines) progress(`  ${String(round(line.at)).padStart(7)} ms  ${line.text.slice(0, 160)}`)
        before = sha
      }
      return { full, runs }
    }
    const large = await redeploysOf('large', sites.large)
    const small = await redeploysOf('small', sites.small)

    const firstMs = median(firstRuns.map(run => run.ms))
    const rawMs = median(rawRuns.map(run => run.ms))
    const redeployMs = median(large.runs.map(run => run.ms))
    const liveLarge = median(large.runs.map(run => run.marks.live))
    const liveSmall = median(small.runs.map(run => run.marks.live))
    const ratio = value => Math.round(value * 100) / 100
    const firstOverRaw = firstMs / rawMs
    const redeployOverFirst = redeployMs / firstMs
    const liveLargeOverSmall = liveLarge / liveSmall
    const timeline = runs => Object.fromEntries([...STEP_MARKS.map(([name]) => name), 'exit'].map(name => [name, round(median(runs.map(run => run.marks[name] ?? Number.NaN)))]))
    const redeploy = ({ full, runs }, files) => ({
      files,
      full_deploy_ms: round(full.ms),
      step_ms: spread(runs.map(run => run.ms)),
      time_to_live_ms: spread(runs.map(run => run.marks.live)),
      runs_ms: runs.map(run => round(run.ms)),
      timeline_ms: timeline(runs)
    })
    const mbPerSecond = ms => Math.round((siteBytes / 1e6 / (ms / 1000)) * 10) / 10
    return {
      value_ratio: ratio(firstOverRaw),
      target_ratio: 1.3,
      met: firstOverRaw <= 1.3 && redeployOverFirst <= 0.2 && liveLargeOverSmall <= 1.2,
      measures: `the whole deploy step (node dist/index.js as a runner starts it, to its exit) of a ${FRONTEND_SITE.files}-file site into empty containers ÷ a raw uploadFile loop of the same files (same headers and MD5, hashed beforehand, ${FRONTEND_CONCURRENCY} at a time, in this process); median of ${FRONTEND_PAIRS} each, alternating; met = all three ratios below`,
      ratios: {
        first_deploy_over_raw: { value: ratio(firstOverRaw), target: '<= 1.3', met: firstOverRaw <= 1.3 },
        redeploy_over_first_deploy: { value: ratio(redeployOverFirst), target: '<= 0.2', met: redeployOverFirst <= 0.2 },
        redeploy_time_to_live_2000_over_500: { value: ratio(liveLargeOverSmall), target: '<= 1.2 (independent of the site size)', met: liveLargeOverSmall <= 1.2 }
      },
      site: { files: entries.length, bytes: siteBytes },
      first_deploy: { step_ms: spread(firstRuns.map(run => run.ms)), runs_ms: firstRuns.map(run => round(run.ms)), mb_per_s: mbPerSecond(firstMs), time_to_live_ms: spread(firstRuns.map(run => run.marks.live)), timeline_ms: timeline(firstRuns) },
      raw: { ms: spread(rawRuns.map(run => run.ms)), runs_ms: rawRuns.map(run => round(run.ms)), mb_per_s: mbPerSecond(rawMs) },
      redeploy: { large: redeploy(large, FRONTEND_SITE.files), small: redeploy(small, SMALL_SITE.files) },
      load_average: { start: loadAtStart, end: loadavg().map(round) },
      notes: [
        'time_to_live: when the step logged that its last upload (the changed page; on a first deploy the root index.html) was stored, after the spawn: the page is served from then on.',
        `timeline_ms: when the step's log reached each point (median over the runs). Azurite is one Node process on the same ${availableParallelism()} cores as the step: on a busy machine (see load_average) every figure moves.`
      ]
    }
  } finally {
    estate?.dispose()
    await azurite?.stop()
    await standin.close()
    rmSync(scratch, { recursive: true, force: true })
  }
}

// `npm run bench -- rollout coldStart` runs only the named figures.
const wanted = new Set(process.argv.slice(2))
const want = name => wanted.size === 0 || wanted.has(name)
const loadBefore = loadavg()
// coldStart runs dist/index.js; the other figures run src/, compiled first.
const src = ['changeDetection', 'rollout', 'frontendDeploy'].some(want) ? await buildSource() : undefined
const changeDetection = want('changeDetection') ? await benchChangeDetection(src) : undefined
const coldStart = want('coldStart') ? await benchColdStart() : undefined
const rollout = want('rollout') ? await benchRollout(src) : undefined
const frontendDeploy = want('frontendDeploy') ? await benchFrontendDeploy(src) : undefined
progress(`done in ${round((performance.now() - started) / 1000)} s`)
// Figures from a busy machine are noisy: the load average says how busy it was.
const machine = { node: process.version, cpus: availableParallelism(), load_average: { before: loadBefore.map(round), after: loadavg().map(round) } }
process.stdout.write(`${JSON.stringify({ machine, changeDetection, coldStart, rollout, frontendDeploy }, null, 2)}\n`)
