// npm run demo: the action on the real example estate, from a fresh `npm ci`, in one command.
//
// 1. Services. Docker and the local registry (127.0.0.1:$APD_REGISTRY_PORT, 5555): when they
//    do not answer, `bash scripts/services/docker.sh` starts them (it needs root, and apt to
//    install what is missing). The Debian base image the API's Dockerfile starts FROM
//    (scripts/services/base-image.sh: built from Debian's archive once per machine, a few
//    minutes; reused after). Postgres (scripts/services/postgres.sh) with a database of the
//    demo's own for stage and one for dev. Azurite (HTTPS with a CA of its own, `--oauth
//    basic`) serving the estate's storage accounts. The loopback Azure stand-in (Entra ID,
//    GitHub OIDC, Resource Manager, Front Door and CDN purges, Container Instances, GitHub's
//    deployments API; Web App containers on Docker, simulated without it) always, with an
//    Entra app that trusts GitHub OIDC tokens of pushes to stage and master_dev. What cannot
//    run is said, with why, and skipped: a push that changes a part this machine cannot
//    deploy runs as a dry run (detection only), and the rollback drill needs the API's
//    deploy. --no-docker and --no-azurite leave them out on purpose.
// 2. The estate. examples/estate (the Django REST API and its worker, the React site) copied
//    into a throwaway git repository (a bare origin and a working clone), its config pointed
//    at this machine (the local registry, a 60 s health check, each storage account at
//    Azurite's endpoint for it, a `cloud:` block naming the stand-in), committed and pushed to
//    stage. Stage then runs that first commit as the team's earlier tooling left it: both API
//    Web Apps and the worker run its image (built and pushed to the local registry) with
//    their app settings and start commands, its database is migrated, Front Door's endpoint
//    exists, and $web holds its site (no Cache-Control rules, no deploy manifest). Dev's Web
//    Apps and CDN endpoint exist, running nothing yet.
// 3. Three pushes to stage: the site only; the API with a new model and its migration (plus
//    a README edit that must not count); both. Each is checked out at depth 1 as
//    actions/checkout does, and the bundled dist/index.js runs for real as a runner runs it
//    (OIDC sign-in to the stand-in, the environment's secrets in the step's env). Then the
//    demo checks for itself: the parts detected are exactly the ones changed (and their
//    files); every Web App answers the commit that should run over HTTPS; the release step
//    applied the migration once (django_migrations) and the new table answers through the
//    Web Apps; the site in Azurite is exactly the new build and its deploy manifest names
//    it; the stand-in received the purge the action reported; each deployed part's GitHub
//    deployment went in_progress → success; no token or secret shows in the action's output.
// 4. The rollback drill (skip it with --no-rollback): an API release whose container never
//    becomes healthy on the second Web App; the run must roll all three Web Apps back, which
//    still serve push 3's commit, and its GitHub deployments must end in failure.
// 5. A push to dev (master_dev, made from stage's branch): nothing the action deployed runs
//    there yet, so every part deploys, the release step migrates dev's empty database, and
//    the site goes behind dev's classic CDN endpoint.
// 6. The report: a block per push that fits a 100-column terminal (files changed, parts
//    detected and why, where each part went, the URLs, seconds per phase from the action's
//    job summary, the rest of the action's run and the step's total, measured here), then
//    what was skipped and what failed. --report <file> also writes it as Markdown: one wide
//    table, a row per push, as a job summary shows it.
//
// The log is one line per step; the action's own output shows only when a step fails, or
// with --verbose. Everything the demo started is stopped, its databases dropped and its temp
// folders removed at the end, on failure and on Ctrl-C. Exits non-zero when a step failed,
// naming it.
//
// The pieces, under scripts/demo/: services.mjs (Docker, the base image, Postgres, Azurite,
// the stand-in), estate.mjs (the repository and the environments' starting point),
// runner.mjs (what the runner gives the step: inputs, event, environment, all built in one
// place), pushes.mjs (the pushes, one step run and checked), checks.mjs (what is checked after
// a run), report.mjs (the report; pure). The edits the pushes make to the estate are in
// scripts/lib/estate-edits.mjs, shared with the end-to-end tests.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import tls from 'node:tls'
import { styleText } from 'node:util'
import { repoRoot, RUNNER_TOKEN } from './lib/action-runner.mjs'
import { short } from './demo/checks.mjs'
import { IMAGE_PARTS, prepareEstate, SITE_ACCOUNTS, siteOf, webAppsOf } from './demo/estate.mjs'
import { devPush, pushes, rollbackDrill, runStep } from './demo/pushes.mjs'
import { formatReport, formatReportMarkdown, seconds } from './demo/report.mjs'
import { asRunnerShows, BRANCHES, CLIENT_ID, subjectOf } from './demo/runner.mjs'
import { databaseUrlFor, execFileAsync, prepareBaseImage, prepareDocker, preparePostgres, prepareStorage, REGISTRY, startStandin, why } from './demo/services.mjs'

const USAGE = `usage: npm run demo [-- options]
  --verbose        show the action's own output for every run (by default only for a failed one)
  --no-rollback    leave out the rollback drill (a broken release rolled back on both Web Apps)
  --no-docker      leave Docker out: no API or worker deploys (pushes that change them run as dry runs)
  --no-azurite     leave Azurite out: no site deploys (pushes that change the site run as dry runs)
  --report <file>  also write the report as Markdown, one wide table as a job summary shows it`

const FLAGS = ['--verbose', '--no-rollback', '--no-docker', '--no-azurite', '--help', '-h']
const args = process.argv.slice(2)
const unknown = []
let reportFile
for (let i = 0; i < args.length; i++) {
  const [name, value] = args[i].startsWith('--report=') ? ['--report', args[i].slice('--report='.length)] : [args[i], args[i + 1]]
  if (name === '--report' && value && !value.startsWith('-')) {
    // npm runs the demo from the package's folder; a relative path is the caller's.
    reportFile = path.resolve(process.env.INIT_CWD ?? process.cwd(), value)
    if (!args[i].startsWith('--report=')) i++
  } else if (!FLAGS.includes(name)) unknown.push(args[i])
}
if (args.includes('--help') || args.includes('-h') || unknown.length > 0) {
  if (unknown.length > 0) console.error(`unknown option ${unknown.join(' ')}${unknown.some(arg => arg.startsWith('--report')) ? ' (--report needs a file name)' : ''}`)
  console.log(USAGE)
  process.exit(unknown.length > 0 ? 2 : 0)
}
const verbose = args.includes('--verbose')
const withRollback = !args.includes('--no-rollback')

// ---- the log: one line per step -------------------------------------------------------

// styleText drops the colours when stdout is not a terminal or NO_COLOR is set.
const style = (format, text) => styleText(format, String(text), { stream: process.stdout })
const dim = text => style('dim', text)
const good = text => style('green', text)
const bad = text => style(['bold', 'red'], text)
let lineOpen = false
/** Starts a step's line; `done` ends it with the outcome and the time taken. */
function begin(name, text) {
  process.stdout.write(`  ${name.padEnd(16)}${text} `)
  lineOpen = true
  const started = performance.now()
  return (outcome, ok = true) => {
    if (!lineOpen) process.stdout.write(`  ${name.padEnd(16)}… `)
    console.log(`${ok ? outcome : bad(outcome)}  ${dim(seconds((performance.now() - started) / 1000))}`)
    lineOpen = false
  }
}
/** Lines under the current step (the action's log, problems): the step's line is ended first. */
function detail(text) {
  if (lineOpen) console.log('')
  lineOpen = false
  for (const line of text.split(/\r?\n/)) console.log(`${' '.repeat(18)}│ ${line}`)
}
/** The action's log of one run, as the runner shows it (tokens the stand-in issued masked). */
const actionLog = (run, secrets) => [asRunnerShows(run.stdout, secrets), run.stderr.trim() ? `stderr:\n${asRunnerShows(run.stderr, secrets)}` : ''].filter(Boolean).join('\n')

// ---- what the demo started, stopped at the end, on failure and on Ctrl-C ----------------

const systemTmp = tmpdir()
// Every folder the demo and the runs it starts make lands in one temp folder (createEstate,
// runAction, Azurite and the stand-in put theirs under os.tmpdir()).
const scratch = mkdtempSync(path.join(systemTmp, 'apd-demo-'))
process.env.TMPDIR = scratch
const started = { standin: undefined, azurite: undefined, postgres: undefined, images: [], dockerCli: 'docker' }
let cleaning
function cleanUp() {
  cleaning ??= (async () => {
    const problems = []
    await started.standin?.close().catch(error => problems.push(`closing the stand-in: ${error?.message ?? error}`))
    await started.azurite?.stop().catch(error => problems.push(`stopping Azurite: ${error?.message ?? error}`))
    // The server stays for the next run; the demo's databases go.
    await started.postgres?.dropAll().catch(error => problems.push(`dropping the demo's databases: ${why(error)}`))
    if (started.images.length > 0) {
      // The local tags of the images built; the registry keeps its copies.
      await execFileAsync(started.dockerCli, ['image', 'rm', '--force', ...started.images], { timeout: 60_000 }).catch(error => {
        if (!/No such image/i.test(String(error?.stderr ?? ''))) problems.push(`removing the local images: ${why(error)}`)
      })
    }
    rmSync(scratch, { recursive: true, force: true })
    return problems
  })()
  return cleaning
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => {
    if (lineOpen) console.log('')
    console.error(bad(`demo interrupted (${signal}): stopping what it started`))
    // A second signal while cleaning up ends the demo at once (the default handler).
    void cleanUp().finally(() => process.exit(code))
  })
}

// ---- the demo -------------------------------------------------------------------------

/** What the reasons in the report's `detected` column mean, for those that occur in it. */
const REASONS = {
  deployed: "compared with the commit that runs (the Web Apps' image tag, the site's deploy manifest)",
  'not-deployed': "nothing the action deployed runs there yet (empty Web Apps, a site the earlier tool uploaded without a deploy manifest), so all of the part's files count",
  before: "what is deployed could not be read (the part's service is not on this machine), so compared with the push's previous commit"
}
/** The report of a step that did not run to its checks: no files, parts, URLs or timings. */
const emptyReport = (push, fields) => ({ name: push.name, title: `${push.title} (${push.environment})`, files: [], detected: [], deployed: [], skipped: [], urls: [], phases: [], outcome: '', problems: [], ...fields })

function detectedReasons(reports) {
  const seen = new Set(reports.flatMap(report => report.detected.filter(d => d.changed).map(d => d.reason)))
  return Object.entries(REASONS).filter(([reason]) => seen.has(reason)).map(([reason, meaning]) => `${reason}: ${meaning}`).join('; ')
}

/** Marks the image parts as not deployable here, once, with why. */
function imagePartsUnavailable(unavailable, skipped, reason) {
  if (unavailable.api) return
  for (const part of IMAGE_PARTS) unavailable[part] = reason
  skipped.push(`api and worker deploys: ${reason}; pushes that change them run as dry runs${withRollback ? ', and the rollback drill is left out' : ''}`)
}

async function main() {
  const demoStarted = performance.now()
  console.log(`${style('bold', 'azure-push-deploy demo')}: a throwaway copy of examples/estate (a Django REST API and its worker,`)
  console.log('a React site) pushed to stage three times, a rollback drill, then a push to dev: each deployed for')
  console.log('real by dist/index.js against local stand-ins for Azure (options: npm run demo -- --help).')
  console.log('')
  if (!existsSync(path.join(repoRoot, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run `npm run bundle` first')

  // Services: what the machine can run.
  const unavailable = {}
  const skipped = []
  let done = begin('docker', '…')
  const docker = args.includes('--no-docker') ? { reason: 'left out (--no-docker)' } : await prepareDocker(systemTmp)
  if (docker.reason) {
    imagePartsUnavailable(unavailable, skipped, docker.reason)
    done(`– API deploys skipped: ${docker.reason}`, false)
  } else {
    started.dockerCli = docker.cli.path
    const startedNow = docker.started.length > 0 ? `; docker.sh ${docker.started.join(', ')}` : ''
    done(good(`✓ engine ${docker.engine}, registry ${REGISTRY}${startedNow}; builds with ${docker.cli.path}${docker.cli.buildkit ? ' (BuildKit)' : ' (classic builder)'}`))
  }

  let postgres = { reason: 'needs Docker' }
  if (!unavailable.api) {
    done = begin('base image', '…')
    const base = await prepareBaseImage(systemTmp)
    if (base.reason) {
      imagePartsUnavailable(unavailable, skipped, base.reason)
      done(`– API deploys skipped: ${base.reason}`, false)
    } else done(good(`✓ ${base.image}${base.built ? ` (built from Debian's archive now, in ${seconds(base.seconds)}; reused next time)` : ' (built before, reused)'}`))
  }
  if (!unavailable.api) {
    done = begin('postgres', '…')
    postgres = await preparePostgres(systemTmp, Object.keys(BRANCHES))
    started.postgres = postgres
    if (postgres.reason) {
      imagePartsUnavailable(unavailable, skipped, `${postgres.reason}: the release step has no database to migrate`)
      done(`– API deploys skipped: ${postgres.reason}`, false)
    } else done(good(`✓ ${new URL(Object.values(postgres.urls)[0]).host}, databases ${postgres.databases.join(', ')}`))
  }

  done = begin('azurite', '…')
  const storage = args.includes('--no-azurite') ? { reason: 'left out (--no-azurite)' } : await prepareStorage(SITE_ACCOUNTS)
  if (storage.reason) {
    unavailable.web = storage.reason
    skipped.push(`site deploys: ${storage.reason}; pushes that change the site run as dry runs`)
    done(`– site deploys skipped: ${storage.reason}`, false)
  } else {
    started.azurite = storage.azurite
    done(good(`✓ https://127.0.0.1:${storage.azurite.port}, accounts ${SITE_ACCOUNTS.join(', ')} (bearer tokens)`))
  }

  done = begin('azure stand-in', '…')
  const standin = await startStandin({ docker: unavailable.api ? { reason: unavailable.api } : docker })
  started.standin = standin
  standin.registerApplication({ clientId: CLIENT_ID, federatedCredentials: Object.values(BRANCHES).map(branch => ({ subject: subjectOf(branch) })) })
  if (!unavailable.api && standin.containers.mode !== 'docker') imagePartsUnavailable(unavailable, skipped, `the stand-in runs no containers on Docker (${standin.containers.reason})`)
  done(good(`✓ ${standin.url}: Entra ID, GitHub OIDC, ARM; Web Apps ${standin.containers.mode === 'docker' ? `on Docker (${standin.containers.network})` : 'simulated'}`))

  // The process trusts the stand-in's CA (to ask the Web Apps itself); the runs trust it
  // and Azurite's through one PEM file (NODE_EXTRA_CA_CERTS takes one file).
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, ...(storage.reason ? [] : [storage.caCertPem])])
  const caCerts = path.join(scratch, 'stand-in-and-azurite-ca.pem')
  writeFileSync(caCerts, [standin.caCertPem, storage.caCertPem].filter(Boolean).map(pem => pem.trim()).join('\n') + '\n')

  // Each environment's secrets, as its GitHub environment holds them: what the config's
  // { from-env } values read. DATABASE_URL names the database where the runner, the Web Apps
  // and the container groups all reach it.
  const secrets = {}
  const databaseUrls = {}
  for (const environment of Object.keys(BRANCHES)) {
    databaseUrls[environment] = postgres.urls?.[environment] ?? `postgres://estate:unused@127.0.0.1:1/${environment}`
    secrets[environment] = { DJANGO_SECRET_KEY: `demo-${environment}-${randomBytes(24).toString('hex')}`, DATABASE_URL: postgres.urls ? databaseUrlFor(standin, databaseUrls[environment]) : databaseUrls[environment] }
  }

  done = begin('estate', 'examples/estate in a throwaway repository …')
  const estate = await prepareEstate({
    standin,
    docker: unavailable.api ? { reason: unavailable.api } : docker,
    storage,
    images: started.images,
    secrets,
    migrationEnv: postgres.urls ? { DJANGO_SECRET_KEY: secrets.stage.DJANGO_SECRET_KEY, DATABASE_URL: databaseUrls.stage } : undefined
  })
  const stageApps = webAppsOf(estate.config, 'stage')
  done(good(`✓ "initial" ${short(estate.initial)} live on stage: ${stageApps.length} Web Apps${storage.reason ? '' : `, its site in ${siteOf(estate.config, 'stage').container}`}`))

  // The pushes, the drill, the push to dev.
  const demo = { ...estate, standin, storage, caCerts, dockerCli: docker.cli?.path, unavailable, secrets, databaseUrls, images: started.images, live: { stage: { image: estate.initial, site: undefined } } }
  const steps = [...pushes, ...(withRollback ? [rollbackDrill] : []), devPush]
  const reports = []
  for (const push of steps) {
    if (push === rollbackDrill && unavailable.api) {
      reports.push(emptyReport(push, { skippedBecause: `needs the API's deploy: ${unavailable.api}` }))
      begin(push.name, push.title)(`– skipped: needs the API's deploy`, false)
      continue
    }
    done = begin(push.name, `${push.title} (${push.environment}) …`)
    try {
      const { run, report } = await runStep(demo, push)
      reports.push(report)
      const ok = report.problems.length === 0
      done(ok ? good(`✓ ${report.outcome} ${short(report.commit)}`) : `✗ ${report.outcome}`, ok)
      if (!ok) detail(report.problems.map(problem => `✗ ${problem}`).join('\n'))
      if (verbose || !ok) detail(actionLog(run, [RUNNER_TOKEN, ...standin.issuedTokens(), ...Object.values(secrets).flatMap(Object.values)]))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      reports.push(emptyReport(push, { outcome: 'failed', problems: [message] }))
      done(`✗ ${message}`, false)
    }
  }

  done = begin('cleanup', '…')
  const cleanupProblems = await cleanUp()
  const stopped = ['the stand-in and its Web Apps', ...(storage.reason ? [] : ['Azurite']), ...(postgres.databases?.length ? ["the demo's databases"] : []), ...(started.images.length > 0 ? ['local image tags'] : []), 'temp repositories']
  done(cleanupProblems.length === 0 ? good(`✓ stopped or removed: ${stopped.join(', ')}`) : `✗ ${cleanupProblems.join('; ')}`, cleanupProblems.length === 0)

  const stageSite = siteOf(estate.config, 'stage')
  const notes = [
    'timings: seconds per phase as the action wrote them in its job summary (api: the image build and push, the release step, then the rollout of every Web App of api and worker together: read, switch, verify, rollback; web: lock, build, archive, upload, purge, delete). No output reports the rest of the run (Node start, OIDC sign-in, change detection, reading what is deployed): "other" is that rest, measured around the run. total: the whole step (commit, push, depth-1 checkout, the action, the checks); action: the action alone.',
    `detected: ${detectedReasons(reports)}.`,
    ...(storage.reason ? [] : [`URLs: the Web Apps are the stand-in's (each on its own https://127.0.0.1:<port>, under its CA). ${stageSite.siteUrl} is the site-url output, stage's Front Door domain, not served here; the site's files are in Azurite at ${storage.azurite.endpointOf(stageSite.account)}/${stageSite.container}/.`])
  ]
  const report = { steps: reports, skipped, notes, totalSeconds: (performance.now() - demoStarted) / 1000 }
  console.log('')
  // Blocks that fit the terminal (100 columns at most: wider lines read worse).
  console.log(formatReport(report, { width: Math.min(100, Math.max(60, process.stdout.columns || 100)) }))
  if (reportFile) {
    writeFileSync(reportFile, formatReportMarkdown(report))
    console.log(dim(`the report as Markdown: ${reportFile}`))
  }
  return reports.some(report => !report.skippedBecause && report.problems.length > 0) || cleanupProblems.length > 0 ? 1 : 0
}

let exitCode = 1
try {
  exitCode = await main()
} catch (error) {
  if (lineOpen) console.log('')
  console.error(bad(`demo failed: ${error instanceof Error ? error.message : String(error)}`))
  exitCode = 1
} finally {
  const problems = await cleanUp()
  for (const problem of problems) console.error(bad(`cleanup: ${problem}`))
}
process.exitCode = exitCode
