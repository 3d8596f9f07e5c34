// npm run demo: the action on the example estate, as a person would watch it.
//
// Starts the loopback Azure stand-in (Entra ID, GitHub OIDC, Resource Manager; Web App
// containers simulated), registers an Entra app that trusts pushes to master_dev, and adds
// the dev Web App of examples/estate. Copies examples/estate into a throwaway git repository
// (a bare "origin" and a working clone), with a `cloud:` block pointing the config at the
// stand-in, pushes it to master_dev, and sets the Web App to run the image of that initial
// commit, as if it had been deployed. Then makes three pushes there: a frontend change, a
// backend change, and a change to both. After each push it makes a depth-1 checkout, as
// actions/checkout does, runs the bundled dist/index.js exactly as a runner would (OIDC
// sign-in, dry run), and prints what the action detected and planned. Last, it prints what
// the stand-in saw. It exits non-zero when a run fails or detects something other than
// expected, or when a token the stand-in issued shows in the action's output.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { styleText } from 'node:util'
import { parse } from 'yaml'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { pushPayload, repoRoot, runAction } from './lib/action-runner.mjs'
import { createEstate, git } from './lib/git-fixture.mjs'

const BRANCH = 'master_dev'
const ENVIRONMENT = 'dev'
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000'
const REPOSITORY = 'octo-org/estate'
/** The Entra app the estate's workflow names as vars.AZURE_CLIENT_ID. */
const CLIENT_ID = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
/** The subject of a push to master_dev's GitHub OIDC token: its federated credential trusts exactly this. */
const SUBJECT = `repo:${REPOSITORY}:ref:refs/heads/${BRANCH}`
const PARTS = ['backend', 'frontend']
/**
 * What each part is compared with here. The backend: the commit its Web App runs (the SHA tag
 * of its image), the initial one on every push, since dry runs deploy nothing. The frontend:
 * the push's previous commit, until its deployed-state reader arrives with the frontend deploy.
 */
const BASES = { backend: 'deployed', frontend: 'before' }
const estateSource = path.join(repoRoot, 'examples', 'estate')

// ---- the pushes -----------------------------------------------------------------------

/** An edit that replaces `from` (a string or RegExp) and refuses to be a silent no-op. */
const replace = (from, to) => text => {
  const next = text.replace(from, to)
  if (next === text) throw new Error(`demo edit found nothing to replace: ${from}`)
  return next
}
const append = line => text => `${text.trimEnd()}\n${line}\n`

// `expect`: the files each part differs by from its base. `spans`: the pushes those
// differences come from, where that is more than this push (default: this push when the
// part changed, none when not).
const pushes = [
  {
    title: 'a frontend change',
    message: 'Site: clearer tagline on the landing page',
    edits: { 'frontend/src/App.jsx': replace('Shared notes for small teams.', 'Shared notes for small, busy teams.') },
    expect: { backend: [], frontend: ['frontend/src/App.jsx'] }
  },
  {
    title: 'a backend change (and a README edit that must not count)',
    message: 'API: send X-Content-Type-Options: nosniff',
    edits: {
      'backend/server.c': replace(/^(\s*)"Cache-Control: no-store\\r\\n"\n/m, '$1"Cache-Control: no-store\\r\\n"\n$1"X-Content-Type-Options: nosniff\\r\\n"\n'),
      'backend/README.md': append('Every response also carries `X-Content-Type-Options: nosniff`.')
    },
    expect: { backend: ['backend/server.c'], frontend: [] }
  },
  {
    title: 'a change to both parts',
    message: 'Longer API read timeout; darker headline',
    edits: {
      'backend/server.c': replace('#define READ_TIMEOUT_SECONDS 5', '#define READ_TIMEOUT_SECONDS 10'),
      'frontend/src/index.css': replace('color: #0b6e99;', 'color: #08587a;')
    },
    // Still compared with the initial commit: push 2's server.c change was never deployed either.
    expect: { backend: ['backend/server.c'], frontend: ['frontend/src/index.css'] },
    spans: { backend: [2, 3] }
  }
]

// ---- output helpers -------------------------------------------------------------------

// styleText drops the colours when stdout is not a terminal or NO_COLOR is set.
const style = (format, text) => styleText(format, String(text), { stream: process.stdout })
const bold = text => style('bold', text)
const dim = text => style('dim', text)
const good = text => style('green', text)
const bad = text => style(['bold', 'red'], text)
const short = sha => (sha ? sha.slice(0, 7) : '—')
const ms = value => (value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`)
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`
const label = name => `  ${name.padEnd(9)}`
const indent = ' '.repeat(11)
const timed = async work => {
  const start = performance.now()
  const value = await work()
  return [value, performance.now() - start]
}

/** `1`, `1 and 2`, `1, 2 and 3`. */
const inWords = items => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`)
/** How often each status came back, e.g. `200 ×3` or `429, 200 ×2`. */
function statuses(calls) {
  const counts = new Map()
  for (const call of calls) counts.set(call.status, (counts.get(call.status) ?? 0) + 1)
  return [...counts].map(([status, n]) => (n === 1 ? String(status) : `${status} ×${n}`)).join(', ')
}

/** The lines a runner shows in the log group `name` (`::group::name` … `::endgroup::`). */
function logGroup(stdout, name) {
  const lines = stdout.split(/\r?\n/)
  const start = lines.indexOf(`::group::${name}`)
  if (start < 0) return undefined
  const end = lines.indexOf('::endgroup::', start)
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** `::error::` and `::warning::` commands, decoded as the runner shows them. */
function annotations(stdout) {
  return stdout
    .split(/\r?\n/)
    .filter(line => /^::(error|warning)( [^:]*)?::/.test(line))
    .map(line => line.replace(/^::(\w+)[^:]*::/, '$1: ').replace(/%0D/g, '').replace(/%0A/g, '\n').replace(/%25/g, '%'))
}

function describeEstate(configText) {
  const config = parse(configText)
  const parts = Object.keys(config.parts ?? {}).join(' and ')
  const environments = Object.entries(config.environments ?? {}).map(([name, env]) => {
    const refs = [...(env.branches ?? []), ...(env.tags ?? []).map(t => `tag ${t}`)]
    const apps = env.backend?.targets?.length ?? 0
    return `${name} (${refs.join(', ')}; ${plural(apps, 'Web App')})`
  })
  return `${parts}; environments ${environments.join(', ')}`
}

// ---- Azure: the stand-in --------------------------------------------------------------

/** The config's `cloud:` block for the stand-in: a custom cloud, as for Azure Stack. */
const cloudBlock = standin => `
# Added by npm run demo: Azure is the loopback stand-in (azure-standin/), a custom cloud.
cloud:
  name: standin
  authority-host: ${standin.cloud.authorityHost}
  resource-manager: ${standin.cloud.resourceManager}
  resource-manager-audience: ${standin.cloud.resourceManagerAudience}
  storage-suffix: ${standin.cloud.storageSuffix}
`

/** The claims of a push to master_dev's GitHub OIDC token, for the commit `sha`. */
function oidcClaims(sha) {
  const ref = `refs/heads/${BRANCH}`
  const workflowRef = `${REPOSITORY}/.github/workflows/deploy.yml@${ref}`
  return { sub: SUBJECT, ref, sha, workflow_ref: workflowRef, workflow_sha: sha, job_workflow_ref: workflowRef, job_workflow_sha: sha }
}

/** What a token the stand-in issued is, from its (unverified) issuer claim. */
function tokenKind(standin, token) {
  try {
    const { iss } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
    return iss === standin.githubOidc.issuer ? 'GitHub ID token' : 'access token'
  } catch {
    return 'token'
  }
}

/**
 * What the stand-in saw over all runs (`calls`: the requests each run made): the sign-ins,
 * the ARM calls, and whether a token it issued shows anywhere in the action's output but
 * the `::add-mask::` lines. Each problem is printed under its line; returns them all.
 */
function reportAzure(standin, results, app) {
  console.log()
  console.log(bold(`▸ Azure, as the stand-in saw the ${plural(results.length, 'run')}`))
  const problems = []
  const report = found => {
    for (const problem of found) console.log(`${indent}${bad('•')} ${problem}`)
    problems.push(...found)
  }
  /** The calls `pick` selects over all runs, and a note: how many per run, and their statuses. */
  const tally = pick => {
    const all = results.flatMap(r => pick(r.calls))
    return { all, text: `${results.map(r => pick(r.calls).length).join(' + ')}; ${statuses(all) || 'none'}` }
  }
  const isArm = call => /^\/subscriptions\//i.test(call.path)
  const route = call => `${call.method} …/sites/${call.path.replace(/^.*?\/sites\//i, '')}`
  const isConfigRead = call => isArm(call) && call.method === 'GET' && /\/config\/web$/i.test(call.path)

  // Sign-in: the job's GitHub ID token, exchanged at Entra ID for an ARM access token.
  const tokens = standin.issuedTokens()
  const kinds = tokens.map(token => tokenKind(standin, token))
  const count = kind => kinds.filter(k => k === kind).length
  const idTokens = tally(calls => calls.filter(call => call.path === new URL(standin.githubOidc.requestUrl).pathname))
  const tokenRequests = tally(calls => calls.filter(call => call.method === 'POST' && /\/oauth2\/v2\.0\/token$/i.test(call.path)))
  console.log(`${label('sign-in')}OIDC as ${CLIENT_ID} to the stand-in at ${standin.url} (tenant ${standin.tenantId})`)
  console.log(`${indent}${plural(idTokens.all.length, 'GitHub ID token request')} (${idTokens.text}), subject ${SUBJECT}`)
  console.log(`${indent}${plural(tokenRequests.all.length, 'Entra ID token request')} (${tokenRequests.text}) → ${plural(count('access token'), 'ARM access token')}`)
  report([
    ...(results.some(r => !r.calls.some(call => tokenRequests.all.includes(call) && call.status === 200)) ? ['a run got no access token from Entra ID'] : []),
    ...(tokenRequests.all.some(call => call.principal !== CLIENT_ID) ? [`a token request came from a client other than ${CLIENT_ID}`] : [])
  ])

  // ARM: one read of the Web App's site config per run, nothing else.
  const arm = results.flatMap(r => r.calls.filter(isArm))
  const routes = [...new Set(arm.map(route))]
  routes.forEach((name, i) => {
    const matching = tally(calls => calls.filter(call => isArm(call) && route(call) === name))
    console.log(`${i === 0 ? label('arm') : indent}${matching.all.length} × ${name} (${matching.text})`)
  })
  if (arm.length === 0) console.log(`${label('arm')}no calls`)
  const writes = arm.filter(call => call.method !== 'GET')
  const armProblems = [
    ...(results.some(r => r.calls.filter(isConfigRead).length !== 1) || arm.filter(isConfigRead).some(call => call.status !== 200)
      ? [`expected one config/web read answered 200 per run, saw ${tally(calls => calls.filter(isConfigRead)).text}`]
      : []),
    ...(writes.length > 0 ? [`a dry run wrote to ARM: ${[...new Set(writes.map(route))].join(', ')}`] : []),
    ...(arm.some(call => call.principal !== CLIENT_ID) ? [`an ARM call was made by someone other than ${CLIENT_ID}`] : [])
  ]
  if (armProblems.length === 0) console.log(dim(`${indent}one read of the image ${app} runs per dry run, as ${CLIENT_ID}; nothing written`))
  report(armProblems)

  // Every token the stand-in issued, looked for in each run's log lines (but the masking
  // commands themselves), its outputs and its job summary. A leak is named, never printed.
  const leaks = []
  for (const [index, { run }] of results.entries()) {
    const places = [
      ...`${run.stdout}\n${run.stderr}`
        .split(/\r?\n/)
        .map((line, n) => [`log line ${n + 1}`, line])
        .filter(([, line]) => !line.startsWith('::add-mask::')),
      ...Object.entries(run.outputs).map(([name, value]) => [`output ${name}`, value]),
      ['job summary', run.summary]
    ]
    for (const [t, token] of tokens.entries()) {
      for (const [where, text] of places) if (text.includes(token)) leaks.push(`push ${index + 1}: ${kinds[t]} #${t + 1} in ${where}`)
    }
  }
  const masked = tokens.filter(token => results.some(({ run }) => run.stdout.includes(`::add-mask::${token}`))).length
  const issued = `${plural(tokens.length, 'token')} issued (${plural(count('GitHub ID token'), 'GitHub ID token')}, ${plural(count('access token'), 'access token')})`
  if (tokens.length === 0) {
    console.log(`${label('secrets')}${bad('✗')} no token issued`)
    report(['the stand-in issued no token: the runs did not sign in'])
  } else if (leaks.length === 0) {
    const maskedText = masked === tokens.length ? 'each masked with ::add-mask::, and' : `${masked} of them masked with ::add-mask::; all`
    console.log(`${label('secrets')}${good('✓')} ${issued}: ${maskedText} in no other log line, output or job summary`)
  } else {
    console.log(`${label('secrets')}${bad('✗')} ${issued}: ${plural(leaks.length, 'leak')} outside ::add-mask:: lines`)
    for (const leak of leaks) console.log(`${indent}${bad('•')} ${leak}`)
    problems.push(`${plural(leaks.length, 'issued token')} in the action's output`)
  }
  return problems
}

// ---- one push, one run ----------------------------------------------------------------

async function runPush({ estate, standin, deployed, pushNumbers }, push, index) {
  console.log()
  console.log(bold(`▸ Push ${index + 1} of ${pushes.length}: ${push.title}`))
  const problems = []

  const [{ before, after }, pushTime] = await timed(async () => {
    const changes = {}
    for (const [file, edit] of Object.entries(push.edits)) changes[file] = edit(readFileSync(path.join(estate.work, file), 'utf8'))
    const after = estate.commit(changes, push.message)
    const before = estate.push(BRANCH)
    return { before, after }
  })
  pushNumbers.set(after, index + 1)
  const files = git(estate.work, ['diff', '--name-status', '--no-renames', before, after])
    .split('\n')
    .filter(Boolean)
    .map(line => line.replace('\t', ' '))
  console.log(`${label('push')}${BRANCH} ${short(before)} → ${short(after)}  "${push.message}"  ${dim(`(${ms(pushTime)})`)}`)
  files.forEach((file, i) => console.log(`${i === 0 ? label('files') : indent}${file}`))

  const [workspace, checkoutTime] = await timed(async () => estate.checkout(after, `refs/heads/${BRANCH}`))
  console.log(`${label('checkout')}depth 1 at ${short(after)}, as actions/checkout leaves it  ${dim(`(${ms(checkoutTime)})`)}`)

  // The job's OIDC token is for this push: subject master_dev, this commit.
  standin.setOidcClaims(oidcClaims(after))
  const firstCall = standin.calls.length
  const [run, runTime] = await timed(() =>
    runAction({
      workspace,
      sha: after,
      ref: `refs/heads/${BRANCH}`,
      event: { name: 'push', payload: pushPayload({ ref: `refs/heads/${BRANCH}`, before, after, repository: REPOSITORY, message: push.message }) },
      inputs: { 'client-id': CLIENT_ID, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION, 'dry-run': 'true' },
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken,
        NODE_EXTRA_CA_CERTS: standin.caCertPath
      }
    })
  )
  const { outputs } = run
  const calls = standin.calls.slice(firstCall)

  let plan
  try {
    plan = outputs.plan ? JSON.parse(outputs.plan) : undefined
  } catch {
    problems.push('the plan output is not JSON')
  }
  /** The pushes (by number) that changed `files` between `base` and this push. */
  const pushesSince = (base, paths) =>
    paths.length === 0 ? [] : git(estate.work, ['rev-list', '--reverse', `${base}..${after}`, '--', ...paths]).split('\n').filter(Boolean).map(sha => pushNumbers.get(sha) ?? short(sha))
  if (plan) {
    console.log(`${label('detected')}environment ${plan.environment} (from ${plan.environmentSource} ${BRANCH}); changed: ${outputs.changed ?? '?'}`)
    for (const part of plan.parts) {
      const { change } = part
      const verdict = part.deploy ? bold('changed  ') : 'unchanged'
      const list = change.examples.length ? `: ${change.examples.join(', ')}${change.fileCount > change.examples.length ? ', …' : ''}` : ''
      console.log(`${indent}${part.part.padEnd(9)} ${verdict}  base ${short(change.base)} (${change.reason})  ${plural(change.fileCount, 'file')}${list}`)
      const since = change.base ? pushesSince(change.base, change.examples) : []
      if (since.some(n => n !== index + 1)) {
        const earlier = since.filter(n => n !== index + 1)
        console.log(dim(`${indent}${' '.repeat(10)}↳ by pushes ${inWords(since)} since ${short(change.base)}: push ${inWords(earlier)} ${earlier.length === 1 ? 'was' : 'were'} a dry run too, never deployed`))
      }
    }
  }

  const planText = logGroup(run.stdout, 'Plan')
  planText?.forEach((line, i) => console.log(`${i === 0 ? label('plan') : indent}${dim('│')} ${line}`))

  // What this push must have produced. A failed run has no detection to compare.
  const expectedChanged = PARTS.filter(part => push.expect[part].length > 0)
  if (run.exitCode !== 0) problems.push(`the action exited with code ${run.exitCode}`)
  if (outputs.result !== 'planned') problems.push(`result is ${JSON.stringify(outputs.result ?? null)}, expected "planned"`)
  if (problems.length === 0) {
    if (!planText) problems.push('the log has no "Plan" group')
    if (outputs.environment !== ENVIRONMENT) problems.push(`environment is ${JSON.stringify(outputs.environment)}, expected "${ENVIRONMENT}"`)
    if (outputs.changed !== JSON.stringify(expectedChanged)) problems.push(`changed is ${outputs.changed}, expected ${JSON.stringify(expectedChanged)}`)
    for (const part of PARTS) {
      const [expectedBase, baseName] = BASES[part] === 'deployed' ? [deployed, 'the deployed commit'] : [before, "the push's before"]
      if (outputs[`${part}-changed`] !== String(expectedChanged.includes(part))) problems.push(`${part}-changed is ${outputs[`${part}-changed`]}, expected ${expectedChanged.includes(part)}`)
      if (outputs[`${part}-base`] !== expectedBase) problems.push(`${part}-base is ${short(outputs[`${part}-base`])}, expected ${baseName} ${short(expectedBase)}`)
      if (outputs[`${part}-reason`] !== BASES[part]) problems.push(`${part}-reason is ${outputs[`${part}-reason`]}, expected "${BASES[part]}"`)
      const change = plan?.parts.find(p => p.part === part)?.change
      const expectedFiles = [...push.expect[part]].sort()
      const actualFiles = change ? [...change.examples].sort() : []
      if (!change) problems.push(`the plan has no ${part} part`)
      else if (change.fileCount !== expectedFiles.length || JSON.stringify(actualFiles) !== JSON.stringify(expectedFiles)) {
        problems.push(`${part} files are [${actualFiles.join(', ')}] (${change.fileCount}), expected [${expectedFiles.join(', ')}]`)
      } else {
        const expectedSpan = push.spans?.[part] ?? (expectedFiles.length > 0 ? [index + 1] : [])
        const span = pushesSince(expectedBase, expectedFiles)
        if (JSON.stringify(span) !== JSON.stringify(expectedSpan)) problems.push(`${part}'s files changed in pushes [${span.join(', ')}] since ${short(expectedBase)}, expected [${expectedSpan.join(', ')}]`)
      }
    }
  }

  const timing = dim(`(action ${ms(runTime)})`)
  if (problems.length === 0) {
    console.log(`${label('result')}${good(`✓ ${outputs.result}`)}: detected ${expectedChanged.join(' and ')} as expected  ${timing}`)
  } else {
    console.log(`${label('result')}${bad(`✗ ${outputs.result ?? 'no result'}`)}  ${timing}`)
    for (const problem of problems) console.log(`${indent}${bad('•')} ${problem}`)
    for (const note of annotations(run.stdout)) console.log(note.replace(/^/gm, `${indent}  `))
    if (run.stderr.trim()) console.log(run.stderr.trim().replace(/^/gm, `${indent}  stderr: `))
  }
  return { ok: problems.length === 0, pushTime, checkoutTime, runTime, run, calls }
}

// ---- main -----------------------------------------------------------------------------

/** The stand-in, once started; closed at the end, on failure and on Ctrl-C. */
let standin
let closing
const closeStandin = () => (closing ??= standin ? standin.close() : Promise.resolve())

async function main() {
  console.log(
    bold('azure-push-deploy demo') +
      ': dry runs of the bundled action on a throwaway git repository, signed in by GitHub OIDC to a local Azure stand-in (Entra ID, Resource Manager) that answers as Azure does.'
  )
  console.log(dim('Web App containers are simulated in this demo (a later version runs them on Docker); the deploy steps themselves arrive with later versions.'))

  const bundle = path.join(repoRoot, 'dist', 'index.js')
  if (!existsSync(bundle)) throw new Error(`${path.relative(process.cwd(), bundle)} is missing: run \`npm run bundle\` first.`)

  const configText = readFileSync(path.join(estateSource, '.github', 'azure-deploy.yml'), 'utf8')
  const config = parse(configText)
  console.log()
  console.log(`${label('estate')}examples/estate: ${describeEstate(configText)}`)

  // Azure: the stand-in, an Entra app that trusts pushes to master_dev, and the dev Web App.
  const [, standinTime] = await timed(async () => {
    standin = await startAzureStandin({ containers: 'none', repository: REPOSITORY })
    standin.registerApplication({ clientId: CLIENT_ID, federatedCredentials: [{ subject: SUBJECT }] })
  })
  console.log(`${label('azure')}stand-in at ${standin.url}: Entra ID (tenant ${standin.tenantId}), GitHub OIDC, Resource Manager  ${dim(`(${ms(standinTime)})`)}`)
  console.log(`${indent}Entra app ${CLIENT_ID} trusts GitHub OIDC subject ${SUBJECT}`)

  // The estate, its config pointed at the stand-in before the initial commit.
  const estate = createEstate({ from: estateSource, prefix: 'estate-', files: { '.github/azure-deploy.yml': `${configText.trimEnd()}\n${cloudBlock(standin)}` } })
  console.log(`${label('config')}.github/azure-deploy.yml as in examples/estate, plus a cloud: block naming the stand-in (custom cloud "standin")`)
  estate.branch(BRANCH)
  const first = estate.push(BRANCH)
  const initial = estate.head()
  const fileCount = git(estate.work, ['ls-files']).split('\n').filter(Boolean).length
  console.log(`${label('origin')}${short(initial)} "initial" (${plural(fileCount, 'file')}) pushed to ${BRANCH}${first === '0'.repeat(40) ? ' (a new branch)' : ''}`)

  // The dev Web App runs the initial commit's image, as if the initial commit had been deployed.
  const { backend } = config.parts
  const [target] = config.environments[ENVIRONMENT].backend.targets
  const image = `${backend.registry}/${backend.repository}:${initial}`
  const [, appTime] = await timed(() =>
    standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: target['resource-group'], name: target.app, image, healthCheckPath: backend.health?.path })
  )
  console.log(`${label('web app')}${target.app} (${target['resource-group']}) runs ${image}  ${dim(`(${ms(appTime)})`)}`)
  console.log(`${indent}as if "initial" had been deployed (its container is simulated)`)
  console.log(dim(`${indent}Each part is compared with what is deployed; these dry runs deploy nothing, so on every push:`))
  console.log(dim(`${indent}backend   base ${short(initial)} (deployed): the commit ${target.app}'s image is tagged with; files changed since it`))
  console.log(dim(`${indent}frontend  base the push's previous commit (before), until the frontend deploy brings its own reader; files the push changed`))

  const started = performance.now()
  const context = { estate, standin, deployed: initial, pushNumbers: new Map() }
  const results = []
  for (const [index, push] of pushes.entries()) results.push(await runPush(context, push, index))
  const azureProblems = reportAzure(standin, results, target.app)

  const failed = results.filter(r => !r.ok).length
  const actionTimes = results.map(r => r.runTime)
  console.log()
  const timing = `action runs ${actionTimes.map(ms).join(', ')}; whole demo ${ms(performance.now() - started)}`
  if (failed === 0 && azureProblems.length === 0) {
    console.log(good(bold(`✓ All ${pushes.length} pushes detected and planned as expected, signed in to the stand-in, no token in the output`)) + dim(` (${timing})`))
  } else {
    const what = [failed > 0 ? `${failed} of ${pushes.length} pushes did not go as expected` : '', azureProblems.length > 0 ? `Azure: ${azureProblems.join('; ')}` : ''].filter(Boolean)
    console.log(bad(`✗ ${what.join('; ')}`) + dim(` (${timing})`))
  }
  return failed === 0 && azureProblems.length === 0 ? 0 : 1
}

// Everything the demo and the runs it starts create lands in one temp folder, removed at
// the end (createEstate, runAction and the stand-in put their folders under os.tmpdir()).
const scratch = mkdtempSync(path.join(tmpdir(), 'apd-demo-'))
process.env.TMPDIR = scratch
const cleanUp = () => rmSync(scratch, { recursive: true, force: true })
// Ctrl-C reaches the demo and its children alike: a git child killed by it fails the demo's
// synchronous call, and the signal's handler may run only after that failure is reported.
let interrupted = false
const isInterruption = error => interrupted || (error instanceof Error && 'signal' in error && error.signal === 'SIGINT')
process.once('SIGINT', () => {
  // A second Ctrl-C while the stand-in closes ends the demo at once (the default handler).
  if (!interrupted) console.error(bad('demo interrupted'))
  interrupted = true
  void closeStandin()
    .catch(() => {})
    .finally(() => {
      cleanUp()
      process.exit(130)
    })
})

let exitCode
try {
  exitCode = await main()
} catch (error) {
  if (isInterruption(error)) {
    if (!interrupted) console.error(bad('demo interrupted'))
    interrupted = true
    exitCode = 130
  } else {
    console.error(bad(`demo failed: ${error instanceof Error ? error.message : String(error)}`))
    exitCode = 1
  }
} finally {
  await closeStandin().catch(error => console.error(bad(`closing the Azure stand-in failed: ${error instanceof Error ? error.message : String(error)}`)))
  cleanUp()
}
process.exitCode = exitCode
