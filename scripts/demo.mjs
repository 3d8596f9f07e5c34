// npm run demo: the action on the example estate, as a person would watch it.
//
// First makes sure a Docker engine and the local registry (127.0.0.1:$APD_REGISTRY_PORT,
// 5555) answer, running `bash scripts/services/docker.sh` when they do not. Without them the
// backend deploy is skipped (and said so) and the rest runs as before. Then starts Azurite
// (HTTPS with a CA of its own, `--oauth basic`) for the frontend deploy; when it cannot
// start, that deploy is skipped (and said so).
//
// Starts the loopback Azure stand-in (Entra ID, GitHub OIDC, Resource Manager; Web App
// containers run on Docker, or are simulated without it), registers an Entra app that trusts
// pushes to master_dev (and stage), and adds the dev Web App of examples/estate (and the two
// stage ones). Copies examples/estate into a throwaway git repository (a bare "origin" and a
// working clone), with a `cloud:` block pointing the config at the stand-in (and, for the
// deploy, the local registry and a shorter health check; for the frontend deploy, stage's
// site in Azurite: storage-account devstoreaccount1 and its blob-endpoint), pushes it to
// master_dev (and stage), and sets the Web Apps to run the image of that initial commit, as
// if it had been deployed (with Docker, the demo builds that image and pushes it to the
// local registry). For the frontend it adds stage's Front Door endpoint and custom domain to
// the stand-in, creates $web in Azurite and fills it with the initial commit's build as an
// earlier tool would have left it (no Cache-Control rules, no charset, no deploy manifest).
//
// Dry runs: three pushes to master_dev: a frontend change, a backend change, and a change to
// both. After each push it makes a depth-1 checkout, as actions/checkout does, runs the
// bundled dist/index.js exactly as a runner would (OIDC sign-in, dry run), and prints what the
// action detected and planned.
//
// Frontend deploy (with Azurite): two pushes of frontend changes to stage, each run for real:
// the site built in the checkout, its release zip kept, synced into $web in order, the
// replaced paths purged on Front Door, stale blobs deleted after the purge. What the storage
// holds is then read back here (every blob's MD5 and headers, the changed page) and compared
// with the action's outputs, the purges the stand-in received and the build in the checkout.
// The first deploy replaces the earlier tool's upload; the second changes one file.
//
// Deploy (with Docker): two pushes of backend changes to stage, each run for real: the
// example's static server compiled in the checkout (backend/build-server.sh, as the example
// workflow does), the image built and pushed to the local registry, both stage Web Apps
// switched in parallel and verified, then checked over HTTPS here. The second release's
// container is made never to start on one app, and the whole rollout must roll back.
//
// Last, it prints what the stand-in saw. It exits non-zero when a run fails or detects or
// deploys something other than expected, or when a token the stand-in issued shows in the
// action's output.
/* global fetch, AbortSignal */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import tls from 'node:tls'
import { promisify, styleText } from 'node:util'
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { lookup as guessType } from 'mime-types'
import picomatch from 'picomatch'
import { parse, stringify } from 'yaml'
import { createTlsMaterial } from '../azure-standin/https-server.mjs'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { pushPayload, repoRoot, runAction } from './lib/action-runner.mjs'
import { AZURITE_ACCOUNT, AZURITE_MAIN, startAzurite } from './lib/azurite.mjs'
import { createEstate, git } from './lib/git-fixture.mjs'

const execFileAsync = promisify(execFile)

const BRANCH = 'master_dev'
const ENVIRONMENT = 'dev'
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000'
const REPOSITORY = 'octo-org/estate'
/** The Entra app the estate's workflow names as vars.AZURE_CLIENT_ID. */
const CLIENT_ID = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
/** The subject of a push to `branch`'s GitHub OIDC token: a federated credential trusts exactly one. */
const subjectOf = branch => `repo:${REPOSITORY}:ref:refs/heads/${branch}`
/** Where the real deploy goes: the example's stage environment, two redundant Web Apps, in place. */
const DEPLOY_BRANCH = 'stage'
const DEPLOY_ENVIRONMENT = 'stage'
/** The local registry `bash scripts/services/docker.sh` runs (plain HTTP on loopback, no login). */
const REGISTRY = `127.0.0.1:${process.env.APD_REGISTRY_PORT || '5555'}`
/** The health check of the demo's config: a broken release is given up on in 10 s, not 5 min. */
const HEALTH = { timeout: 10, interval: 0.5 }
const PARTS = ['backend', 'frontend']
/**
 * What each part is compared with in the dry runs. The backend: the commit its Web App runs
 * (the SHA tag of its image), the initial one on every push, since dry runs deploy nothing.
 * The frontend: the push's previous commit, since dev's deploy manifest would be in a storage
 * account nothing serves here (only stage's site is in Azurite).
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
${stringify({ cloud: standin.cloudSetting })}`

/** The claims of a push to `branch`'s GitHub OIDC token, for the commit `sha`. */
function oidcClaims(sha, branch = BRANCH) {
  const ref = `refs/heads/${branch}`
  const workflowRef = `${REPOSITORY}/.github/workflows/deploy.yml@${ref}`
  return { sub: subjectOf(branch), ref, sha, workflow_ref: workflowRef, workflow_sha: sha, job_workflow_ref: workflowRef, job_workflow_sha: sha }
}

/** What a token the stand-in issued is, from its (unverified) issuer and audience claims. */
function tokenKind(standin, token) {
  try {
    const { iss, aud } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
    if (iss === standin.githubOidc.issuer) return 'GitHub ID token'
    if (/^https:\/\/storage\.azure\.com\/?$/.test(aud)) return 'storage access token'
    return 'ARM access token'
  } catch {
    return 'token'
  }
}

/**
 * What the stand-in saw over all runs (each `{ name, kind: 'dry-run' | 'frontend' | 'deploy',
 * branch, run, calls }`, `calls` the requests the run made): the sign-ins, the ARM calls, and
 * whether a token it issued shows anywhere in the action's output but the `::add-mask::` lines.
 * Each problem is printed under its line; returns them all. `apps`: the dry runs' Web App, the
 * Web Apps the deploys may write to, and the Front Door endpoint the frontend deploys purge.
 */
function reportAzure(standin, results, apps) {
  console.log()
  console.log(bold(`▸ Azure, as the stand-in saw the ${plural(results.length, 'run')}`))
  const problems = []
  const report = found => {
    for (const problem of found) console.log(`${indent}${bad('•')} ${problem}`)
    problems.push(...found)
  }
  /** The calls `pick` selects over `runs`, and a note: how many per run, and their statuses. */
  const tally = (pick, runs = results) => {
    const all = runs.flatMap(r => pick(r.calls))
    return { all, text: `${runs.map(r => pick(r.calls).length).join(' + ')}; ${statuses(all) || 'none'}` }
  }
  const isArm = call => /^\/subscriptions\//i.test(call.path)
  const siteOf = call => /\/sites\/([^/]+)/i.exec(call.path)?.[1]
  const route = call => `${call.method} …/sites/${call.path.replace(/^.*?\/sites\//i, '')}`
  const isConfigRead = call => isArm(call) && call.method === 'GET' && /\/config\/web$/i.test(call.path)

  // Sign-in: the job's GitHub ID token, exchanged at Entra ID for an ARM access token.
  const tokens = standin.issuedTokens()
  const kinds = tokens.map(token => tokenKind(standin, token))
  const count = kind => kinds.filter(k => k === kind).length
  const idTokens = tally(calls => calls.filter(call => call.path === new URL(standin.githubOidc.requestUrl).pathname))
  const tokenRequests = tally(calls => calls.filter(call => call.method === 'POST' && /\/oauth2\/v2\.0\/token$/i.test(call.path)))
  const branches = [...new Set(results.map(r => r.branch))]
  const subjects = branches.map(branch => `${subjectOf(branch)}${branches.length > 1 ? ` (${plural(results.filter(r => r.branch === branch).length, 'run')})` : ''}`)
  console.log(`${label('sign-in')}OIDC as ${CLIENT_ID} to the stand-in at ${standin.url} (tenant ${standin.tenantId})`)
  console.log(`${indent}${plural(idTokens.all.length, 'GitHub ID token request')} (${idTokens.text}), ${subjects.length === 1 ? 'subject' : 'subjects'} ${subjects.join(', ')}`)
  const storageTokens = count('storage access token')
  console.log(
    `${indent}${plural(tokenRequests.all.length, 'Entra ID token request')} (${tokenRequests.text}) → ${plural(count('ARM access token'), 'ARM access token')}${storageTokens > 0 ? `, ${plural(storageTokens, 'storage access token')} (for Azurite)` : ''}`
  )
  report([
    ...(results.some(r => !r.calls.some(call => tokenRequests.all.includes(call) && call.status === 200)) ? ['a run got no access token from Entra ID'] : []),
    ...(tokenRequests.all.some(call => call.principal !== CLIENT_ID) ? [`a token request came from a client other than ${CLIENT_ID}`] : [])
  ])

  // ARM, dry runs: one read of the Web App's site config per run, nothing else.
  const dryRuns = results.filter(r => r.kind === 'dry-run')
  const arm = dryRuns.flatMap(r => r.calls.filter(isArm))
  const routes = [...new Set(arm.map(route))]
  routes.forEach((name, i) => {
    const matching = tally(calls => calls.filter(call => isArm(call) && route(call) === name), dryRuns)
    console.log(`${i === 0 ? label('arm') : indent}${matching.all.length} × ${name} (${matching.text})`)
  })
  if (arm.length === 0) console.log(`${label('arm')}no calls`)
  const writes = arm.filter(call => call.method !== 'GET')
  const armProblems = [
    ...(dryRuns.some(r => r.calls.filter(isConfigRead).length !== 1) || arm.filter(isConfigRead).some(call => call.status !== 200)
      ? [`expected one config/web read answered 200 per dry run, saw ${tally(calls => calls.filter(isConfigRead), dryRuns).text}`]
      : []),
    ...(writes.length > 0 ? [`a dry run wrote to ARM: ${[...new Set(writes.map(route))].join(', ')}`] : []),
    ...(arm.some(call => call.principal !== CLIENT_ID) ? [`an ARM call was made by someone other than ${CLIENT_ID}`] : [])
  ]
  if (armProblems.length === 0) console.log(dim(`${indent}one read of the image ${apps.dryRun} runs per dry run, as ${CLIENT_ID}; nothing written`))
  report(armProblems)

  // ARM, frontend deploys: the stage Web Apps read (what the backend runs), purges of the
  // Front Door endpoint and their polls; nothing else written.
  const sites = results.filter(r => r.kind === 'frontend')
  if (sites.length > 0) {
    const siteArm = sites.flatMap(r => r.calls.filter(isArm))
    const generic = call =>
      `${call.method} …/${call.path
        .replace(/^\/subscriptions\/[^/]+\/(?:resourceGroups\/[^/]+\/)?providers\//i, '')
        .replace(/(\/sites\/)[^/]+/i, '$1{app}')
        .replace(/(\/operation(?:Statuses|Results)\/)[^/]+$/i, '$1{id}')}`
    const siteRoutes = [...new Set(siteArm.map(generic))]
    siteRoutes.forEach((name, i) => {
      const matching = tally(calls => calls.filter(call => isArm(call) && generic(call) === name), sites)
      console.log(`${i === 0 ? label('frontend') : indent}${matching.all.length} × ${name} (${matching.text})`)
    })
    const { frontDoor } = apps
    const isPurge = call => call.method === 'POST' && call.path.toLowerCase().endsWith(`/profiles/${frontDoor.profile}/afdendpoints/${frontDoor.endpoint}/purge`.toLowerCase())
    const purges = siteArm.filter(isPurge)
    const otherWrites = siteArm.filter(call => call.method !== 'GET' && !isPurge(call))
    const failedCalls = siteArm.filter(call => call.status >= 400)
    const siteProblems = [
      ...(purges.length === 0 ? ['the frontend deploys purged nothing'] : []),
      ...(otherWrites.length > 0 ? [`a frontend deploy wrote to ARM: ${[...new Set(otherWrites.map(generic))].join(', ')}`] : []),
      ...(failedCalls.length > 0 ? [`${plural(failedCalls.length, 'ARM call')} failed: ${[...new Set(failedCalls.map(call => `${generic(call)} ${call.status}`))].join(', ')}`] : []),
      ...(siteArm.some(call => call.principal !== CLIENT_ID) ? [`an ARM call was made by someone other than ${CLIENT_ID}`] : [])
    ]
    if (siteProblems.length === 0) {
      console.log(dim(`${indent}{app}: ${inWords(apps.deploy)}, read only; ${plural(purges.length, 'purge')} of ${frontDoor.profile}/${frontDoor.endpoint}, as ${CLIENT_ID}; the site itself went to Azurite`))
    }
    report(siteProblems)
  }

  // ARM, deploys: what each run read and wrote, the Web App's name folded into {app}; writes
  // only to the deploy's own Web Apps.
  const deploys = results.filter(r => r.kind === 'deploy')
  if (deploys.length > 0) {
    const deployArm = deploys.flatMap(r => r.calls.filter(isArm))
    const generic = call => route(call).replace(/(\/sites\/)[^/]+/i, '$1{app}')
    const deployRoutes = [...new Set(deployArm.map(generic))]
    deployRoutes.forEach((name, i) => {
      const matching = tally(calls => calls.filter(call => isArm(call) && generic(call) === name), deploys)
      console.log(`${i === 0 ? label('deploys') : indent}${matching.all.length} × ${name} (${matching.text})`)
    })
    const deployWrites = deployArm.filter(call => call.method !== 'GET')
    const elsewhere = [...new Set(deployWrites.map(siteOf).filter(site => !apps.deploy.some(app => app.toLowerCase() === site?.toLowerCase())))]
    const failedCalls = deployArm.filter(call => call.status >= 400)
    const deployProblems = [
      ...(deployWrites.length === 0 ? ['the deploys wrote nothing to ARM'] : []),
      ...(elsewhere.length > 0 ? [`a deploy wrote to Web Apps other than ${inWords(apps.deploy)}: ${elsewhere.join(', ')}`] : []),
      ...(failedCalls.length > 0 ? [`${plural(failedCalls.length, 'ARM call')} failed: ${[...new Set(failedCalls.map(call => `${route(call)} ${call.status}`))].join(', ')}`] : []),
      ...(deployArm.some(call => call.principal !== CLIENT_ID) ? [`an ARM call was made by someone other than ${CLIENT_ID}`] : [])
    ]
    if (deployProblems.length === 0) {
      console.log(dim(`${indent}{app}: ${inWords(apps.deploy)}, as ${CLIENT_ID}; ${plural(deployWrites.length, 'write')} (switch and rollback), none to ${apps.dryRun}`))
    }
    report(deployProblems)
  }

  // Every token the stand-in issued, looked for in each run's log lines (but the masking
  // commands themselves), its outputs and its job summary. A leak is named, never printed.
  const leaks = []
  for (const { name, run } of results) {
    const places = [
      ...`${run.stdout}\n${run.stderr}`
        .split(/\r?\n/)
        .map((line, n) => [`log line ${n + 1}`, line])
        .filter(([, line]) => !line.startsWith('::add-mask::')),
      ...Object.entries(run.outputs).map(([output, value]) => [`output ${output}`, value]),
      ['job summary', run.summary]
    ]
    for (const [t, token] of tokens.entries()) {
      for (const [where, text] of places) if (text.includes(token)) leaks.push(`${name}: ${kinds[t]} #${t + 1} in ${where}`)
    }
  }
  const masked = tokens.filter(token => results.some(({ run }) => run.stdout.includes(`::add-mask::${token}`))).length
  const issued = `${plural(tokens.length, 'token')} issued (${plural(count('GitHub ID token'), 'GitHub ID token')}, ${plural(tokens.length - count('GitHub ID token'), 'access token')})`
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

async function runPush({ estate, standin, caCerts, deployed, pushNumbers }, push, index) {
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
        NODE_EXTRA_CA_CERTS: caCerts
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
  return { ok: problems.length === 0, name: `push ${index + 1}`, kind: 'dry-run', branch: BRANCH, pushTime, checkoutTime, runTime, run, calls }
}

// ---- Docker: the engine, the local registry, a docker CLI that builds with BuildKit -----

/** Why a child process failed, in one line: its last stderr line, else its message. */
function why(error) {
  if (error?.code === 'ENOENT') return `${error.path ?? 'the command'} is not installed (not on PATH)`
  if (error?.killed) return 'timed out'
  const line = String(error?.stderr ?? '').trim().split('\n').filter(Boolean).at(-1)
  return line || (error instanceof Error ? error.message.split('\n')[0] : String(error))
}

/** Whether the Docker engine and the local registry answer; `problem` says which does not, and why. */
async function checkServices() {
  let engine
  try {
    engine = (await execFileAsync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 })).stdout.trim()
  } catch (error) {
    // The CLI's "…: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.50/info": dial unix …" adds nothing.
    return { problem: `docker info: ${why(error).replace(/: Get "[^"]*":.*$/, '')}` }
  }
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) })
    if (!response.ok) return { engine, problem: `the registry at ${REGISTRY} answers GET /v2/ with HTTP ${response.status}` }
  } catch (error) {
    return { engine, problem: `no registry answers GET http://${REGISTRY}/v2/ (${error?.cause?.code ?? error?.message ?? error})` }
  }
  return { engine }
}

/**
 * `bash scripts/services/docker.sh` (argv, no shell string): starts dockerd and the registry,
 * or says why it cannot. Its state goes to the system's temp folder, not the demo's scratch
 * one: the engine and the registry it starts outlive the demo.
 */
function runServicesScript(systemTmp) {
  return new Promise(resolve => {
    const child = spawn('bash', [path.join(repoRoot, 'scripts', 'services', 'docker.sh')], { env: { ...process.env, TMPDIR: systemTmp }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', chunk => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', chunk => (output += chunk))
    child.on('error', error => resolve({ code: -1, lines: [why(error)] }))
    child.on('close', code => resolve({ code: code ?? -1, lines: output.split('\n').map(line => line.trim()).filter(Boolean) }))
  })
}

/**
 * The docker CLI that builds with BuildKit (the action is given it first on PATH, as the e2e
 * tests do): a CLI 23+ does so only through the buildx plugin; Debian's docker.io CLI (20.10)
 * has BuildKit built in. Without one, the action and the demo use the classic builder.
 */
async function buildkitCli() {
  for (const cli of ['docker', '/usr/bin/docker']) {
    try {
      const version = (await execFileAsync(cli, ['version', '--format', '{{.Client.Version}}'], { timeout: 10_000 })).stdout.trim()
      if (Number(version.split('.')[0]) >= 23) await execFileAsync(cli, ['buildx', 'version'], { timeout: 10_000 })
      const resolved = cli.includes('/') ? cli : (await execFileAsync('sh', ['-c', 'command -v docker'])).stdout.trim()
      return { path: resolved, version, buildkit: true }
    } catch {
      // Missing, or no buildx: try the next one.
    }
  }
  return { path: 'docker', version: '?', buildkit: false }
}

/**
 * Docker, the registry and a C compiler for the backend deploy: `{ engine, cli }`, or
 * `{ reason }` why the deploy is skipped. Runs docker.sh when the engine or the registry is
 * not answering, and shows the one or two lines it printed.
 */
async function prepareDocker(systemTmp) {
  let services = await checkServices()
  if (services.problem) {
    console.log(`${label('docker')}${services.problem}: running bash scripts/services/docker.sh`)
    const [script, scriptTime] = await timed(() => runServicesScript(systemTmp))
    const said = script.lines.filter(line => /^(docker|registry|docker\.sh|installing)\b/.test(line)).slice(-2)
    for (const line of said.length > 0 ? said : script.lines.slice(-2)) console.log(`${indent}${dim('│')} ${line}`)
    console.log(dim(`${indent}docker.sh exited with ${script.code}  (${ms(scriptTime)})`))
    services = await checkServices()
    if (services.problem) return { reason: script.code === 0 ? services.problem : (script.lines.at(-1) ?? services.problem).replace(/^docker\.sh: /, '') }
  }
  try {
    await execFileAsync(process.env.CC || 'gcc', ['--version'], { timeout: 10_000 })
  } catch (error) {
    return { reason: `backend/build-server.sh needs a C compiler and a static libc (Debian: gcc, libc6-dev): ${why(error)}` }
  }
  return { engine: services.engine, cli: await buildkitCli() }
}

/** Builds `image` from the checkout of `commit` and pushes it, as an earlier deploy would have. */
async function buildImage({ estate, commit, image, cli }) {
  const workspace = estate.checkout(commit, `refs/heads/${BRANCH}`)
  const env = { ...process.env, DOCKER_BUILDKIT: cli.buildkit ? '1' : '0' }
  try {
    await execFileAsync('sh', [path.join(workspace, 'backend', 'build-server.sh')], { timeout: 120_000 })
    await execFileAsync(cli.path, ['build', '--quiet', '--build-arg', `APP_VERSION=${commit}`, '--tag', image, path.join(workspace, 'backend')], { env, timeout: 300_000 })
    await execFileAsync(cli.path, ['push', image], { env, timeout: 300_000 })
  } catch (error) {
    throw new Error(`building and pushing ${image} failed: ${why(error)}`)
  }
}

// ---- the deploys: real runs to stage ---------------------------------------------------

// Each a push of a backend change to stage, deployed for real. `failOn`: the index of the
// Web App on which the stand-in makes the release's container never become healthy.
const deploySteps = [
  {
    title: "push 2's backend change, promoted to stage",
    message: pushes[1].message,
    edits: pushes[1].edits,
    expect: { result: 'deployed', exitCode: 0, status: 'deployed' }
  },
  {
    title: 'a broken release: its container never starts on one of the two apps',
    message: 'API: longer read timeout',
    edits: { 'backend/server.c': pushes[2].edits['backend/server.c'] },
    failOn: 1,
    expect: { result: 'rolled-back', exitCode: 1, status: 'rolled-back' }
  }
]

/** The `<commit>` of `<registry>/<repository>:<commit>[@digest]`, shortened. */
const tagOf = image => (image ? short(/:([0-9a-f]{40})(@|$)/.exec(image)?.[1] ?? image) : '—')

/** Apply a step's edits, push them to the deploy branch, print the push and check it out at depth 1. */
async function pushToDeployBranch(estate, step) {
  const [{ before, after }, pushTime] = await timed(async () => {
    const changes = {}
    for (const [file, edit] of Object.entries(step.edits)) changes[file] = edit(readFileSync(path.join(estate.work, file), 'utf8'))
    const after = estate.commit(changes, step.message)
    const before = estate.push(DEPLOY_BRANCH)
    return { before, after }
  })
  const files = git(estate.work, ['diff', '--name-status', '--no-renames', before, after])
    .split('\n')
    .filter(Boolean)
    .map(line => line.replace('\t', ' '))
  console.log(`${label('push')}${DEPLOY_BRANCH} ${short(before)} → ${short(after)}  "${step.message}"  ${dim(`(${ms(pushTime)})`)}`)
  files.forEach((file, i) => console.log(`${i === 0 ? label('files') : indent}${file}`))
  const [workspace, checkoutTime] = await timed(async () => estate.checkout(after, `refs/heads/${DEPLOY_BRANCH}`))
  console.log(`${label('checkout')}depth 1 at ${short(after)}, as actions/checkout leaves it  ${dim(`(${ms(checkoutTime)})`)}`)
  return { before, after, workspace }
}

/** What a Web App answers now on its health path, over HTTPS (the stand-in's CA is trusted). */
async function probeApp(standin, app, healthPath) {
  const site = standin.state().sites.find(s => s.resourceGroup === app.resourceGroup && s.name === app.name && s.slot === 'production')
  const url = `https://${site?.defaultHostName}${healthPath}`
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
    await response.arrayBuffer()
    return { url, status: response.status, version: response.headers.get('x-app-version'), nosniff: response.headers.get('x-content-type-options') }
  } catch (error) {
    return { url, error: error?.cause?.message ?? error?.message ?? String(error) }
  }
}

async function runDeploy({ estate, standin, caCerts, cli, apps, healthPath, deployed }, step, index) {
  console.log()
  console.log(bold(`▸ Deploy ${index + 1} of ${deploySteps.length}: ${step.title}`))
  const problems = []

  const { before, after, workspace } = await pushToDeployBranch(estate, step)
  // The example workflow's step before the action: the image copies this prebuilt binary.
  const [compiled, compileTime] = await timed(() => execFileAsync('sh', [path.join(workspace, 'backend', 'build-server.sh')], { timeout: 120_000 }))
  console.log(`${label('server')}sh backend/build-server.sh: ${compiled.stdout.trim().replace(`${workspace}/`, '')}  ${dim(`(${ms(compileTime)})`)}`)

  const failing = step.failOn === undefined ? undefined : apps[step.failOn]
  if (failing) {
    standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: failing.resourceGroup, name: failing.name })
    console.log(`${label('fault')}the stand-in makes ${failing.name}'s next container never become healthy (as a release crashing at start)`)
  }

  standin.setOidcClaims(oidcClaims(after, DEPLOY_BRANCH))
  const firstCall = standin.calls.length
  const [run, runTime] = await timed(() =>
    runAction({
      workspace,
      sha: after,
      ref: `refs/heads/${DEPLOY_BRANCH}`,
      event: { name: 'push', payload: pushPayload({ ref: `refs/heads/${DEPLOY_BRANCH}`, before, after, repository: REPOSITORY, message: step.message }) },
      inputs: { 'client-id': CLIENT_ID, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION },
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken,
        NODE_EXTRA_CA_CERTS: caCerts,
        // A docker CLI that builds with BuildKit first, as on a runner with buildx.
        PATH: cli.path.includes('/') ? `${path.dirname(cli.path)}:${process.env.PATH ?? ''}` : (process.env.PATH ?? '')
      },
      timeoutMs: 240_000
    })
  )
  const { outputs } = run
  const calls = standin.calls.slice(firstCall)

  console.log(
    `${label('detected')}environment ${outputs.environment ?? '?'}; changed: ${outputs.changed ?? '?'}; backend base ${short(outputs['backend-base'])} (${outputs['backend-reason'] ?? '?'}), frontend base ${short(outputs['frontend-base'])} (${outputs['frontend-reason'] ?? '?'})`
  )

  // What was built: the image output, and the build and push times from the job summary.
  const built = /\((already in the registry: build skipped|built in ([\d.]+)s, pushed in ([\d.]+)s)\)/.exec(run.summary)
  const builder = /^Building \S+ with (.+?)(?:, cache: .*)?$/m.exec(run.stdout)?.[1]
  if (outputs.image) {
    console.log(`${label('image')}${outputs.image}`)
    const how = built?.[2] ? `built${builder ? ` with ${builder}` : ''} in ${built[2]} s, pushed in ${built[3]} s` : (built?.[1] ?? 'no build times in the job summary')
    console.log(`${indent}${how}, to the local registry ${REGISTRY}`)
  }
  const phases = /Phases: ([^<]*?)\.<\/p>/.exec(run.summary)?.[1]
  if (phases) console.log(`${label('phases')}${phases.replace(/(\d)s\b/g, '$1 s')}  ${dim('(rollout wall time per phase, from the job summary)')}`)
  const rolloutLog = logGroup(run.stdout, `Roll out to ${plural(apps.length, 'target')} (in-place)`)
  rolloutLog?.forEach((line, i) => console.log(`${i === 0 ? label('log') : indent}${dim('│')} ${line.replace(/^::(\w+)::/, '$1: ')}`))

  let targets = []
  try {
    targets = outputs.targets ? JSON.parse(outputs.targets) : []
  } catch {
    problems.push('the targets output is not JSON')
  }
  const width = Math.max(...apps.map(app => app.name.length))
  targets.forEach((t, i) => {
    const status = t.status === step.expect.status ? good(t.status.padEnd(11)) : bad(t.status.padEnd(11))
    // A rolled-back target went to the new image and back; the reason is in the error below.
    const images = `${tagOf(t.previousImage)} → ${tagOf(t.newImage)}${t.status === 'rolled-back' ? ` → ${tagOf(t.previousImage)}` : ''}`
    const failedIn = t.phase ? `  (failed to ${t.phase})` : ''
    console.log(`${i === 0 ? label('targets') : indent}${t.app.padEnd(width)}  ${status}  ${images}  ${t.seconds} s${failedIn}`)
  })
  if (run.exitCode !== 0) for (const note of annotations(run.stdout).filter(n => n.startsWith('error'))) console.log(`${label('error')}${note.replace(/^error: /, '').replace(/\n/g, `\n${indent}`)}`)

  // The proof: each Web App, asked over HTTPS on its health path, answers with the commit.
  const expected = step.expect.status === 'deployed' ? after : deployed
  const [answers, probeTime] = await timed(() => Promise.all(apps.map(app => probeApp(standin, app, healthPath))))
  const serves = answer => answer.status === 200 && answer.version === expected
  answers.forEach((answer, i) => {
    const ok = serves(answer)
    const extra = answer.nosniff ? `, X-Content-Type-Options: ${answer.nosniff}` : ''
    const text = answer.error ? `failed: ${answer.error}` : `${answer.status}, X-App-Version ${short(answer.version)}${extra}`
    console.log(`${i === 0 ? label('https') : indent}GET ${answer.url} → ${text}  ${ok ? good('✓') : bad('✗')}`)
    if (!ok) problems.push(`${apps[i].name} answers ${answer.error ?? `${answer.status} with X-App-Version ${short(answer.version)}`}, expected ${short(expected)}`)
  })
  if (answers.every(serves)) {
    console.log(dim(`${indent}${step.expect.status === 'deployed' ? `both serve the new commit ${short(after)}` : `both still serve ${short(deployed)}, the commit deploy ${index} put there`}  (${ms(probeTime)})`))
  }

  // What this deploy must have produced.
  if (run.exitCode !== step.expect.exitCode) problems.push(`the action exited with code ${run.exitCode}, expected ${step.expect.exitCode}`)
  if (outputs.result !== step.expect.result) problems.push(`result is ${JSON.stringify(outputs.result ?? null)}, expected "${step.expect.result}"`)
  if (outputs.environment !== DEPLOY_ENVIRONMENT) problems.push(`environment is ${JSON.stringify(outputs.environment)}, expected "${DEPLOY_ENVIRONMENT}"`)
  if (outputs.changed !== JSON.stringify(['backend'])) problems.push(`changed is ${outputs.changed}, expected ["backend"]`)
  if (outputs['backend-reason'] !== 'deployed' || outputs['backend-base'] !== deployed) {
    problems.push(`the backend was compared with ${short(outputs['backend-base'])} (${outputs['backend-reason']}), expected the deployed ${short(deployed)}`)
  }
  if (!new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/[^:]+:${after}@sha256:[0-9a-f]{64}$`).test(outputs.image ?? '')) problems.push(`image is ${JSON.stringify(outputs.image ?? null)}, expected ${REGISTRY}/…:${short(after)}@sha256:…`)
  if (!phases) problems.push('the job summary has no rollout phases')
  if (targets.length !== apps.length || targets.some(t => t.status !== step.expect.status)) {
    problems.push(`targets are ${targets.map(t => `${t.app} ${t.status}`).join(', ') || 'none'}, expected ${plural(apps.length, 'target')} ${step.expect.status}`)
  }
  if (failing && targets.find(t => t.app === failing.name)?.phase !== 'verify') problems.push(`${failing.name} did not fail in its verify phase`)
  if (step.expect.status === 'deployed' && answers.some(answer => answer.nosniff !== 'nosniff')) problems.push('a Web App does not send X-Content-Type-Options: nosniff, the change this commit made')

  const timing = dim(`(action ${ms(runTime)})`)
  if (problems.length === 0) {
    const what = step.expect.status === 'deployed' ? `${short(after)} built, pushed and verified on both Web Apps` : `${failing?.name} failed to verify, so both went back to ${short(deployed)}, all or nothing`
    console.log(`${label('result')}${good(`✓ ${outputs.result}`)}: ${what}  ${timing}`)
  } else {
    console.log(`${label('result')}${bad(`✗ ${outputs.result ?? 'no result'}`)}  ${timing}`)
    for (const problem of problems) console.log(`${indent}${bad('•')} ${problem}`)
    if (run.exitCode !== step.expect.exitCode) for (const note of annotations(run.stdout)) console.log(note.replace(/^/gm, `${indent}  `))
    if (run.stderr.trim()) console.log(run.stderr.trim().replace(/^/gm, `${indent}  stderr: `))
  }
  return { ok: problems.length === 0, name: `deploy ${index + 1}`, kind: 'deploy', branch: DEPLOY_BRANCH, after, runTime, run, calls }
}

// ---- the frontend: Azurite, the earlier site, real deploys to stage ---------------------

/**
 * Azurite's well-known key for that account, the same on every install (Azurite's README).
 * The demo looks at the storage with it, as the account's owner would in the portal; the
 * action itself signs in with bearer tokens from the stand-in's Entra ID (`--oauth basic`).
 */
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
const SITE_CONTAINER = '$web'
const ARCHIVE_CONTAINER = 'deployments'
/** How the team's earlier tool left the site: a guessed Content-Type, one Cache-Control for every file. */
const EARLIER_CACHE_CONTROL = 'public, max-age=3600'


/**
 * Azurite for the frontend deploy, with a CA of its own: `{ azurite, caCertPem, admin }`, or
 * `{ reason }` why the frontend deploy is skipped.
 */
async function prepareStorage() {
  if (!existsSync(AZURITE_MAIN)) return { reason: `Azurite is not installed (${path.relative(repoRoot, AZURITE_MAIN)} is missing: run npm ci)` }
  let tlsMaterial
  let azurite
  try {
    tlsMaterial = await createTlsMaterial()
    azurite = await startAzurite({ https: { cert: tlsMaterial.cert, key: tlsMaterial.key }, oauth: true })
  } catch (error) {
    return { reason: `Azurite did not start: ${error instanceof Error ? error.message : String(error)}` }
  }
  const admin = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), { retryOptions: { maxTries: 2 } })
  return { azurite, caCertPem: tlsMaterial.caCertPem, admin }
}

/** The copied config, edited for the frontend deploy: stage's site is in Azurite. */
const storageConfig = blobEndpoint =>
  replace(
    /^(\s*)storage-account: sttidepoolwebstage$/m,
    `$1storage-account: ${AZURITE_ACCOUNT} # npm run demo: Azurite's account (was sttidepoolwebstage)\n$1blob-endpoint: ${blobEndpoint} # npm run demo: Azurite, HTTPS, bearer tokens`
  )

const md5Of = content => createHash('md5').update(content).digest('base64')

/** Every file under `dir`, by its path relative to it with `/`: `{ path, absolute }`. */
function filesUnder(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap(entry => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [{ path: `${prefix}${entry.name}`, absolute: path.join(dir, entry.name) }]))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** What a container holds: path → { md5, contentType, cacheControl, size }. */
async function listBlobs(container) {
  const blobs = new Map()
  for await (const blob of container.listBlobsFlat()) {
    const { contentMD5, contentType, cacheControl, contentLength } = blob.properties
    blobs.set(blob.name, { md5: contentMD5 && Buffer.from(contentMD5).toString('base64'), contentType, cacheControl, size: contentLength ?? 0 })
  }
  return blobs
}

/** A blob's content and headers, read back from the storage. */
async function readBlob(container, name) {
  const response = await container.getBlobClient(name).download()
  const chunks = []
  for await (const chunk of response.readableStreamBody) chunks.push(chunk)
  return { text: Buffer.concat(chunks).toString('utf8'), contentType: response.contentType, cacheControl: response.cacheControl }
}

/**
 * The site as the team's earlier tool left it: the initial commit's build for stage, every
 * file uploaded with its MD5, a Content-Type guessed without charset, and one Cache-Control.
 * No deploy manifest: to the action, nothing it deployed runs there yet.
 */
async function seedEarlierSite({ estate, commit, frontend, site }) {
  const workspace = estate.checkout(commit, `refs/heads/${DEPLOY_BRANCH}`)
  const workingDir = path.join(workspace, frontend['working-directory'])
  try {
    await execFileAsync('npm', ['run', 'build'], { cwd: workingDir, env: { ...process.env, ...frontend['build-env'][DEPLOY_ENVIRONMENT], CI: 'true' }, timeout: 120_000 })
  } catch (error) {
    throw new Error(`building the earlier site failed: ${why(error)}`)
  }
  const files = filesUnder(path.join(workingDir, frontend.output))
  for (const file of files) {
    const content = readFileSync(file.absolute)
    await site.getBlockBlobClient(file.path).upload(content, content.length, {
      blobHTTPHeaders: { blobContentType: guessType(file.path) || 'application/octet-stream', blobCacheControl: EARLIER_CACHE_CONTROL, blobContentMD5: createHash('md5').update(content).digest() }
    })
  }
  return files
}

/** Pure: the edge paths the action must purge for `replaced` blobs (an index.html is also its folder). */
function expectedPurgePaths(replaced) {
  const paths = new Set()
  for (const blob of replaced) {
    paths.add(`/${blob}`)
    if (blob === 'index.html' || blob.endsWith('/index.html')) paths.add(`/${blob.slice(0, -'index.html'.length)}`)
  }
  return [...paths].sort()
}

// Each a push of a frontend change to stage, deployed for real to Azurite. `proof`: a blob
// read back afterwards, which must hold `text`.
const frontendSteps = [
  {
    title: "push 1's frontend change, promoted to stage: the action's first deploy of the site",
    message: pushes[0].message,
    edits: { ...pushes[0].edits, 'frontend/public/index.html': replace('shared notes for small teams', 'shared notes for small, busy teams') },
    proof: { blob: 'index.html', text: 'shared notes for small, busy teams' },
    expect: { reason: 'not-deployed' }
  },
  {
    title: 'a one-file change: robots.txt',
    message: 'Site: keep crawlers out of /drafts/',
    edits: { 'frontend/public/robots.txt': replace(/^Disallow:$/m, 'Disallow: /drafts/') },
    proof: { blob: 'robots.txt', text: 'Disallow: /drafts/' },
    expect: { reason: 'deployed', uploaded: 1 }
  }
]

/** The action's own log lines about the site deploy, in order. */
const SITE_LOG = /^(static website|release archive|sync plan:|uploaded \d|fixed the headers|purged \d|deleted \d|removed \d)/

async function runFrontendDeploy({ estate, standin, storage, caCerts, frontend, frontDoor, siteUrl, cacheRules, deployedBackend, deployedSite }, step, index) {
  console.log()
  console.log(bold(`▸ Frontend deploy ${index + 1} of ${frontendSteps.length}: ${step.title}`))
  const problems = []
  const site = storage.admin.getContainerClient(SITE_CONTAINER)
  const archives = storage.admin.getContainerClient(ARCHIVE_CONTAINER)

  const { before, after, workspace } = await pushToDeployBranch(estate, step)

  const previous = await listBlobs(site)
  const purgesBefore = standin.state().purges.length
  standin.setOidcClaims(oidcClaims(after, DEPLOY_BRANCH))
  const firstCall = standin.calls.length
  const [run, runTime] = await timed(() =>
    runAction({
      workspace,
      sha: after,
      ref: `refs/heads/${DEPLOY_BRANCH}`,
      event: { name: 'push', payload: pushPayload({ ref: `refs/heads/${DEPLOY_BRANCH}`, before, after, repository: REPOSITORY, message: step.message }) },
      inputs: { 'client-id': CLIENT_ID, 'tenant-id': standin.tenantId, 'subscription-id': SUBSCRIPTION },
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken,
        // One PEM with both CAs: the stand-in's (Entra ID, ARM) and Azurite's.
        NODE_EXTRA_CA_CERTS: caCerts
      },
      timeoutMs: 180_000
    })
  )
  const { outputs } = run
  const calls = standin.calls.slice(firstCall)

  const frontendBase = outputs['frontend-reason'] === 'deployed' ? `base ${short(outputs['frontend-base'])} (deployed: the deploy manifest)` : `(${outputs['frontend-reason'] ?? '?'})`
  console.log(`${label('detected')}environment ${outputs.environment ?? '?'}; changed: ${outputs.changed ?? '?'}; frontend ${frontendBase}; backend base ${short(outputs['backend-base'])} (${outputs['backend-reason'] ?? '?'})`)
  const notDeployed = /^frontend: changed \(not-deployed\) — (.*)$/m.exec(run.stdout)?.[1]
  if (notDeployed) console.log(dim(`${indent}${notDeployed}`))
  // The build's own output goes to the debug log only; its commands' times to the log.
  const commandTimes = [frontend.install, frontend.build].map(line => `${line} ${/: done in ([\d.]+) s$/m.exec(run.stdout.split(/\r?\n/).find(l => l.startsWith(`${line}: done in`)) ?? '')?.[1] ?? '?'} s`)
  const buildDebug = run.stdout.split(/\r?\n/).find(line => line.startsWith(`::debug::Last lines of "${frontend.build}"`))
  const inlined = /Inlined: ([^%]*)/.exec(buildDebug ?? '')?.[1]
  if (run.stdout.includes(`${frontend.build}: done in`)) {
    console.log(`${label('build')}${commandTimes.join(', ')} in ${frontend['working-directory']}/ → ${frontend['working-directory']}/${frontend.output}/${inlined ? `; inlined ${inlined}` : ''}`)
  }
  const siteLog = run.stdout.split(/\r?\n/).filter(line => SITE_LOG.test(line))
  siteLog.forEach((line, i) => console.log(`${i === 0 ? label('log') : indent}${dim('│')} ${line}`))
  if (run.exitCode !== 0) for (const note of annotations(run.stdout).filter(n => n.startsWith('error'))) console.log(`${label('error')}${note.replace(/^error: /, '').replace(/\n/g, `\n${indent}`)}`)

  // What the storage holds now, against the build the action made in the checkout.
  const outputDir = path.join(workspace, frontend['working-directory'], frontend.output)
  const built = existsSync(outputDir) ? filesUnder(outputDir).map(file => ({ ...file, md5: md5Of(readFileSync(file.absolute)) })) : []
  const live = await listBlobs(site)

  // What a correct sync of that build over the previous blobs does, and must report.
  const uploads = built.filter(file => previous.get(file.path)?.md5 !== file.md5)
  const kept = built.filter(file => previous.get(file.path)?.md5 === file.md5)
  const fixed = kept.filter(file => ['contentType', 'cacheControl'].some(header => previous.get(file.path)[header] !== live.get(file.path)?.[header]))
  const stale = [...previous.keys()].filter(name => !built.some(file => file.path === name))
  const replaced = [...uploads.filter(file => previous.has(file.path)), ...fixed].map(file => file.path)
  const expected = { uploaded: uploads.length, skipped: kept.length - fixed.length, headersFixed: fixed.length, deleted: stale.length, purged: expectedPurgePaths(replaced) }

  const count = name => (outputs[name] === undefined ? '?' : outputs[name])
  console.log(`${label('sync')}${count('files-uploaded')} uploaded, ${count('files-skipped')} skipped (unchanged), ${count('headers-fixed')} headers fixed, ${count('files-deleted')} deleted`)
  if (uploads.length > 0) console.log(dim(`${indent}uploaded: ${uploads.map(file => `${file.path}${previous.has(file.path) ? '' : ' (new)'}`).join(', ')}`))
  if (fixed.length > 0) console.log(dim(`${indent}headers fixed: ${fixed.map(file => file.path).join(', ')}`))
  if (stale.length > 0) console.log(dim(`${indent}deleted: ${stale.join(', ')}`))

  // The purge, as the action reports it and as the stand-in received it.
  let purged = []
  try {
    purged = JSON.parse(outputs.purged ?? '[]')
  } catch {
    problems.push('the purged output is not JSON')
  }
  const purges = standin.state().purges.slice(purgesBefore)
  const received = [...new Set(purges.flatMap(p => p.contentPaths))].sort()
  const domains = [...new Set(purges.flatMap(p => p.domains ?? []))]
  const purgeTime = /purged \d+ paths? in \d+ calls?.*\(([\d.]+)s\)$/m.exec(run.stdout)?.[1]
  if (purges.length > 0) {
    console.log(`${label('purge')}Front Door ${purges[0].profile}/${purges[0].endpoint}, ${domains.length ? `domains ${domains.join(', ')}` : 'no custom domain'}: ${plural(purges.length, 'call')}${purgeTime ? `, ${purgeTime} s` : ''}`)
    console.log(`${indent}${received.join(', ')}`)
  } else {
    console.log(`${label('purge')}none${purged.length === 0 ? ': no blob an edge could have cached was replaced' : ''}`)
  }

  // The release archive and the deploy manifest, read back from the private container.
  const archiveName = `${DEPLOY_ENVIRONMENT}/${after}.zip`
  const archive = await archives.getBlobClient(archiveName).getProperties().catch(() => undefined)
  const archiveAccess = await archives.getAccessPolicy().then(policy => policy.blobPublicAccess ?? 'private').catch(error => `unreadable (${error?.message ?? error})`)
  const manifest = await readBlob(archives, `${DEPLOY_ENVIRONMENT}/manifest.json`).then(blob => JSON.parse(blob.text)).catch(() => undefined)
  const phases = /<td>((?:[a-z]+ [\d.]+s(?:, )?)+)<\/td>\s*<\/tr>\s*<\/table>/.exec(run.summary)?.[1]
  const archivePath = `${ARCHIVE_CONTAINER}/${archiveName}`
  console.log(`${label('archive')}${outputs.archive ?? '—'}${archive ? ` (${outputs.archive === archivePath ? '' : `stored as ${archivePath}, `}${archive.contentLength} bytes, ${archive.contentType}, container ${archiveAccess})` : ''}`)
  if (manifest) console.log(`${indent}manifest ${ARCHIVE_CONTAINER}/${DEPLOY_ENVIRONMENT}/manifest.json: ${short(manifest.commit)}, ${plural(manifest.files?.length ?? 0, 'file')}`)
  if (phases) console.log(`${label('phases')}${phases.replace(/(\d)s\b/g, '$1 s')}  ${dim('(from the job summary)')}`)
  console.log(`${label('site')}${outputs['site-url'] || '—'}  ${dim('(site-url output: the Front Door domain, not served on this machine)')}`)
  console.log(`${indent}files in ${storage.azurite.blobEndpoint}/${SITE_CONTAINER}/ (Azurite)`)

  // The proof: what the storage serves now is this build, with the right headers.
  const exact = built.length > 0 && live.size === built.length && built.every(file => live.get(file.path)?.md5 === file.md5)
  console.log(`${label('storage')}${SITE_CONTAINER} holds ${plural(live.size, 'blob')}: ${exact ? `exactly ${frontend['working-directory']}/${frontend.output}/ of ${short(after)}, each with its Content-MD5  ${good('✓')}` : bad(`not the build of ${short(after)} (${built.length} files built)`)}`)
  if (!exact) problems.push(`${SITE_CONTAINER} does not hold exactly the build of ${short(after)}`)
  const cacheControlFor = name => cacheRules.find(rule => rule.test(name))?.value
  const wrongHeaders = [...live].filter(([name, blob]) => blob.cacheControl !== cacheControlFor(name) || !/; charset=utf-8$/.test(blob.contentType ?? ''))
  if (index === 0 || wrongHeaders.length > 0) {
    const width = Math.max(...[...live.keys()].map(name => name.length))
    for (const [name, blob] of live) {
      const ok = !wrongHeaders.some(([wrong]) => wrong === name)
      console.log(`${indent}${name.padEnd(width)}  ${(blob.contentType ?? '—').padEnd(40)}  ${blob.cacheControl ?? '—'}  ${ok ? good('✓') : bad('✗')}`)
    }
  }
  if (wrongHeaders.length > 0) problems.push(`${plural(wrongHeaders.length, 'blob')} without the config's Cache-Control or a charset: ${wrongHeaders.map(([name]) => name).join(', ')}`)
  const proof = await readBlob(site, step.proof.blob).catch(error => ({ error: error?.message ?? String(error) }))
  const holds = proof.text?.includes(step.proof.text)
  console.log(
    `${indent}GET ${SITE_CONTAINER}/${step.proof.blob} → ${proof.error ? `failed: ${proof.error}` : `${holds ? `"…${step.proof.text}…"` : 'without the change'}; Content-Type ${proof.contentType}, Cache-Control ${proof.cacheControl}`}  ${holds ? good('✓') : bad('✗')}`
  )
  if (!holds) problems.push(`${SITE_CONTAINER}/${step.proof.blob} does not hold "${step.proof.text}"`)
  if (step.proof.blob === 'index.html' && holds) {
    const script = /src="\/(static\/js\/[^"]+)"/.exec(proof.text)?.[1]
    const gone = stale.filter(name => !live.has(name))
    console.log(`${indent}it loads ${script ?? '?'}, which is there  ${script && live.has(script) ? good('✓') : bad('✗')}${gone.length ? `; the earlier ${gone.join(', ')} is gone` : ''}`)
    if (!script || !live.has(script)) problems.push(`index.html loads ${script ?? 'no script'}, which ${SITE_CONTAINER} does not hold`)
  }

  // What this deploy must have produced.
  if (run.exitCode !== 0) problems.push(`the action exited with code ${run.exitCode}`)
  if (outputs.result !== 'deployed') problems.push(`result is ${JSON.stringify(outputs.result ?? null)}, expected "deployed"`)
  if (outputs.environment !== DEPLOY_ENVIRONMENT) problems.push(`environment is ${JSON.stringify(outputs.environment)}, expected "${DEPLOY_ENVIRONMENT}"`)
  if (outputs.changed !== JSON.stringify(['frontend'])) problems.push(`changed is ${outputs.changed}, expected ["frontend"]`)
  if (outputs['frontend-reason'] !== step.expect.reason) problems.push(`the frontend's reason is ${outputs['frontend-reason']}, expected ${step.expect.reason}`)
  if (step.expect.reason === 'deployed' && outputs['frontend-base'] !== deployedSite) problems.push(`the frontend was compared with ${short(outputs['frontend-base'])}, expected the deployed ${short(deployedSite)}`)
  if (outputs['backend-reason'] !== 'deployed' || outputs['backend-base'] !== deployedBackend) problems.push(`the backend was compared with ${short(outputs['backend-base'])} (${outputs['backend-reason']}), expected the deployed ${short(deployedBackend)}`)
  const reported = { uploaded: outputs['files-uploaded'], skipped: outputs['files-skipped'], headersFixed: outputs['headers-fixed'], deleted: outputs['files-deleted'] }
  for (const [name, value] of Object.entries(reported)) if (value !== String(expected[name])) problems.push(`${name} is ${value ?? 'missing'}, expected ${expected[name]}`)
  if (step.expect.uploaded !== undefined && uploads.length !== step.expect.uploaded) problems.push(`${plural(uploads.length, 'file')} differed from the live site, expected ${step.expect.uploaded}`)
  if (JSON.stringify(purged) !== JSON.stringify(expected.purged)) problems.push(`purged ${JSON.stringify(purged)}, expected ${JSON.stringify(expected.purged)}`)
  if (JSON.stringify(received) !== JSON.stringify(expected.purged)) problems.push(`the stand-in received purges of ${JSON.stringify(received)}, expected ${JSON.stringify(expected.purged)}`)
  if (purges.some(p => p.kind !== 'afd' || p.endpoint !== frontDoor.endpoint || p.profile !== frontDoor.profile || JSON.stringify(p.domains) !== JSON.stringify(frontDoor.domains))) problems.push(`a purge did not go to ${frontDoor.profile}/${frontDoor.endpoint} with ${frontDoor.domains.join(', ')}`)
  if (stale.length > 0) {
    const purgedAt = siteLog.findIndex(line => line.startsWith('purged '))
    const deletedAt = siteLog.findIndex(line => line.startsWith('deleted '))
    if (purgedAt < 0 || deletedAt < purgedAt) problems.push('the stale blobs were not deleted after the purge')
  }
  if (outputs['site-url'] !== siteUrl) problems.push(`site-url is ${JSON.stringify(outputs['site-url'] ?? null)}, expected ${siteUrl}`)
  // The output names the blob the release is kept in: <archive-container>/<environment>/<commit>.zip.
  if (outputs.archive !== archivePath) problems.push(`archive is ${JSON.stringify(outputs.archive ?? null)}, expected ${archivePath}`)
  if (!archive) problems.push(`no release archive ${archivePath}`)
  if (archiveAccess !== 'private') problems.push(`the archive container ${ARCHIVE_CONTAINER} is ${archiveAccess}, not private`)
  if (manifest?.commit !== after) problems.push(`the deploy manifest names ${short(manifest?.commit)}, expected ${short(after)}`)

  const timing = dim(`(action ${ms(runTime)})`)
  if (problems.length === 0) {
    const what = index === 0 ? `${short(after)} built, synced over the earlier site and purged` : `${short(after)}: ${plural(uploads.length, 'file')} uploaded, the rest left alone`
    console.log(`${label('result')}${good(`✓ ${outputs.result}`)}: ${what}  ${timing}`)
  } else {
    console.log(`${label('result')}${bad(`✗ ${outputs.result ?? 'no result'}`)}  ${timing}`)
    for (const problem of problems) console.log(`${indent}${bad('•')} ${problem}`)
    if (run.exitCode !== 0) for (const note of annotations(run.stdout)) console.log(note.replace(/^/gm, `${indent}  `))
    if (run.stderr.trim()) console.log(run.stderr.trim().replace(/^/gm, `${indent}  stderr: `))
  }
  return { ok: problems.length === 0, name: `frontend deploy ${index + 1}`, kind: 'frontend', branch: DEPLOY_BRANCH, after, runTime, run, calls, uploaded: uploads.length }
}

// ---- main -----------------------------------------------------------------------------

/** The stand-in, once started; closed at the end, on failure and on Ctrl-C. */
let standin
let closing
const closeStandin = () => (closing ??= standin ? standin.close() : Promise.resolve())
/** Azurite, once started; stopped at the end, on failure and on Ctrl-C. */
let azurite
let stopping
const stopAzurite = () => (stopping ??= azurite ? azurite.stop() : Promise.resolve())
/** Images the demo and its deploys left in the local engine (`cli`: the docker CLI), removed at the end. */
const localImages = { cli: 'docker', refs: new Set() }

/** The copied config, edited for the real deploy: the local registry, and a shorter health check. */
const deployConfig = text =>
  [
    replace(/^(\s*registry: )(\S+)(.*)$/m, `$1${REGISTRY} # npm run demo: the local registry (was $2)`),
    replace(
      /^(\s*)timeout: 300\n(\s*)consecutive: 3$/m,
      `$1timeout: ${HEALTH.timeout} # npm run demo: was 300, so that a broken release is given up on quickly\n$2consecutive: 3\n$2interval: ${HEALTH.interval} # npm run demo: was the default, 2`
    )
  ].reduce((next, edit) => edit(next), text)

async function main() {
  const started = performance.now()
  console.log(
    bold('azure-push-deploy demo') +
      ': the bundled action on a throwaway git repository, signed in by GitHub OIDC to a local Azure stand-in (Entra ID, Resource Manager, Web Apps) that answers as Azure does.'
  )
  console.log(
    dim(
      'Three dry runs on master_dev show what it detects; then two real frontend deploys of the example site to stage, into Azurite behind a Front Door on the stand-in; then, with Docker, two real backend deploys to the two stage Web Apps: one that succeeds and one that rolls back.'
    )
  )

  const bundle = path.join(repoRoot, 'dist', 'index.js')
  if (!existsSync(bundle)) throw new Error(`${path.relative(process.cwd(), bundle)} is missing: run \`npm run bundle\` first.`)

  const sourceConfig = readFileSync(path.join(estateSource, '.github', 'azure-deploy.yml'), 'utf8')
  console.log()
  console.log(`${label('estate')}examples/estate: ${describeEstate(sourceConfig)}`)

  // Docker, the registry, a compiler: the backend deploy needs them all, the dry runs none.
  const [docker, dockerTime] = await timed(() => prepareDocker(systemTmp))
  if (docker.reason) {
    console.log(`${label('deploy')}${bad('skipped')}: ${docker.reason}`)
    console.log(`${indent}The backend deploy needs Docker and the local registry (bash scripts/services/docker.sh starts them; it needs root and apt).`)
    console.log(`${indent}The rest goes on as before, on simulated Web App containers.`)
  } else {
    localImages.cli = docker.cli.path
    const builds = docker.cli.buildkit ? `${docker.cli.path} (CLI ${docker.cli.version}) builds with BuildKit` : 'no docker CLI here builds with BuildKit: the classic builder'
    console.log(`${label('docker')}engine ${docker.engine} and the registry on ${REGISTRY} answer; ${builds}  ${dim(`(${ms(dockerTime)})`)}`)
  }
  let deploy = !docker.reason

  // Storage: Azurite, for the frontend deploy. Without it that deploy is skipped.
  const [storage, storageTime] = await timed(() => prepareStorage())
  const siteDeploy = !storage.reason
  if (storage.reason) {
    console.log(`${label('frontend')}${bad('skipped')}: ${storage.reason}`)
    console.log(`${indent}The frontend deploy needs Azurite (node_modules/azurite, a dev dependency); the rest goes on.`)
  } else {
    azurite = storage.azurite
    console.log(`${label('storage')}Azurite at ${azurite.blobEndpoint}: HTTPS (a CA of its own), --oauth basic (bearer tokens from Entra ID)  ${dim(`(${ms(storageTime)})`)}`)
  }

  // Azure: the stand-in, an Entra app that trusts pushes to master_dev (and stage), Web Apps.
  const stage = deploy || siteDeploy
  const branches = stage ? [BRANCH, DEPLOY_BRANCH] : [BRANCH]
  const [, standinTime] = await timed(async () => {
    // `auto`: real containers when Docker answers. Without the deploy, simulated ones: the
    // dev Web App's image names the example's registry, which no engine here could pull.
    standin = await startAzureStandin({ containers: deploy ? 'auto' : 'none', repository: REPOSITORY })
    standin.registerApplication({ clientId: CLIENT_ID, federatedCredentials: branches.map(branch => ({ subject: subjectOf(branch) })) })
  })
  const containers = standin.containers.mode === 'docker' ? 'on Docker' : `simulated${deploy && standin.containers.reason ? ` (${standin.containers.reason})` : ''}`
  console.log(`${label('azure')}stand-in at ${standin.url}: Entra ID (tenant ${standin.tenantId}), GitHub OIDC, Resource Manager; Web App containers ${containers}  ${dim(`(${ms(standinTime)})`)}`)
  console.log(`${indent}Entra app ${CLIENT_ID} trusts GitHub OIDC ${branches.length === 1 ? 'subject' : 'subjects'} ${branches.map(subjectOf).join(', ')}`)
  if (deploy && standin.containers.mode !== 'docker') {
    console.log(`${label('deploy')}${bad('skipped')}: the stand-in found no Docker engine (${standin.containers.reason}); the dry runs go on`)
    deploy = false
  }
  // The process trusts the stand-in's CA, to ask the Web Apps over HTTPS itself, and Azurite's.
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem, ...(siteDeploy ? [storage.caCertPem] : [])])
  // The action's runs trust both through one PEM file (NODE_EXTRA_CA_CERTS takes one file).
  const caCerts = siteDeploy ? path.join(scratch, 'stand-in-and-azurite-ca.pem') : standin.caCertPath
  if (siteDeploy) writeFileSync(caCerts, `${standin.caCertPem.trim()}\n${storage.caCertPem.trim()}\n`)

  // The estate, its config pointed at the stand-in (and the local registry, and Azurite) before the initial commit.
  const edited = [deploy ? deployConfig : undefined, siteDeploy ? storageConfig(azurite.blobEndpoint) : undefined].filter(Boolean).reduce((next, edit) => edit(next), sourceConfig)
  const configText = `${edited.trimEnd()}\n${cloudBlock(standin)}`
  const config = parse(configText)
  const { backend, frontend } = config.parts
  const estate = createEstate({ from: estateSource, prefix: 'estate-', files: { '.github/azure-deploy.yml': configText } })
  console.log(`${label('config')}.github/azure-deploy.yml as in examples/estate, plus a cloud: block naming the stand-in (custom cloud "standin")`)
  if (deploy) {
    const original = parse(sourceConfig).parts.backend
    console.log(`${indent}edited by the demo for the deploy: registry ${REGISTRY} (was ${original.registry}; repository ${backend.repository} kept),`)
    console.log(`${indent}health check timeout ${HEALTH.timeout} s (was ${original.health.timeout}) and interval ${HEALTH.interval} s (was 2), so a broken release fails fast`)
  }
  if (siteDeploy) {
    const original = parse(sourceConfig).environments[DEPLOY_ENVIRONMENT].frontend
    console.log(`${indent}edited for the frontend deploy: ${DEPLOY_ENVIRONMENT}'s storage-account ${AZURITE_ACCOUNT} (was ${original['storage-account']}), blob-endpoint ${azurite.blobEndpoint}`)
  }
  estate.branch(BRANCH)
  const first = estate.push(BRANCH)
  const initial = estate.head()
  if (stage) estate.push(DEPLOY_BRANCH)
  const fileCount = git(estate.work, ['ls-files']).split('\n').filter(Boolean).length
  console.log(`${label('origin')}${short(initial)} "initial" (${plural(fileCount, 'file')}) pushed to ${BRANCH}${first === '0'.repeat(40) ? ' (a new branch)' : ''}${stage ? ` and ${DEPLOY_BRANCH}` : ''}`)

  // The Web Apps run the initial commit's image, as if the initial commit had been deployed.
  const image = `${backend.registry}/${backend.repository}:${initial}`
  if (deploy) {
    const [, imageTime] = await timed(() => buildImage({ estate, commit: initial, image, cli: docker.cli }))
    localImages.refs.add(image)
    console.log(`${label('image')}${image}  ${dim(`(${ms(imageTime)})`)}`)
    console.log(`${indent}built from "initial" and pushed by the demo, standing for an earlier deploy`)
  }
  const [target] = config.environments[ENVIRONMENT].backend.targets
  const toApp = t => ({ resourceGroup: t['resource-group'], name: t.app })
  const devApp = toApp(target)
  const stageApps = stage ? config.environments[DEPLOY_ENVIRONMENT].backend.targets.map(toApp) : []
  const [, appTime] = await timed(() =>
    Promise.all([devApp, ...stageApps].map(app => standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: app.resourceGroup, name: app.name, image, healthCheckPath: backend.health?.path })))
  )
  console.log(`${label('web app')}${devApp.name} (${devApp.resourceGroup}) runs ${image}  ${dim(`(${ms(appTime)})`)}`)
  for (const app of stageApps) console.log(`${indent}${app.name} (${app.resourceGroup}) runs the same image`)
  console.log(`${indent}as if "initial" had been deployed (${deploy ? 'real containers on Docker, each Web App on its own https://127.0.0.1:<port>' : 'its container is simulated'})`)
  if (deploy) {
    const notServing = standin.state().sites.filter(site => site.slot === 'production' && site.serving?.image !== image)
    if (notServing.length > 0) throw new Error(`${notServing.map(site => site.name).join(', ')} did not start ${image}: ${notServing[0].lastStart?.reason ?? notServing[0].status}`)
  }

  // The stage site: Front Door on the stand-in, $web in Azurite holding what an earlier tool put there.
  const siteSettings = config.environments[DEPLOY_ENVIRONMENT].frontend
  const frontDoor = siteSettings.frontdoor
  if (siteDeploy) {
    standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: frontDoor['resource-group'], profile: frontDoor.profile, endpoint: frontDoor.endpoint, domains: frontDoor.domains })
    console.log(`${label('edge')}Front Door ${frontDoor.profile}/${frontDoor.endpoint} (${frontDoor['resource-group']}) with the custom domain ${inWords(frontDoor.domains)}, on the stand-in`)
    const site = storage.admin.getContainerClient(SITE_CONTAINER)
    const [earlier, seedTime] = await timed(async () => {
      // Azurite creates no $web when its static website is switched on, as Azure does: the demo does.
      await site.create()
      return seedEarlierSite({ estate, commit: initial, frontend, site })
    })
    console.log(`${label('site')}${AZURITE_ACCOUNT}/${SITE_CONTAINER} created in Azurite (switching the static website on does not create it there), and filled  ${dim(`(${ms(seedTime)})`)}`)
    console.log(`${indent}with "initial"'s build as the team's earlier tool left it: ${plural(earlier.length, 'file')}, Content-MD5, Content-Type guessed without charset,`)
    console.log(`${indent}Cache-Control "${EARLIER_CACHE_CONTROL}" on every file, and no deploy manifest (${earlier.map(file => file.path).join(', ')})`)
  }

  console.log(dim(`${indent}Each part is compared with what is deployed; these dry runs deploy nothing, so on every push:`))
  console.log(dim(`${indent}backend   base ${short(initial)} (deployed): the commit ${target.app}'s image is tagged with; files changed since it`))
  console.log(dim(`${indent}frontend  base the push's previous commit (before): dev's deploy manifest would be in ${config.environments[ENVIRONMENT].frontend['storage-account']}, which`))
  console.log(dim(`${indent}          nothing serves here${siteDeploy ? " (only stage's site is in Azurite)" : ''}, so the action falls back to it; files the push changed`))

  const context = { estate, standin, caCerts, deployed: initial, pushNumbers: new Map() }
  const results = []
  for (const [index, push] of pushes.entries()) results.push(await runPush(context, push, index))

  // The frontend deploys: pushes to stage, run for real into Azurite.
  if (stage) estate.branch(DEPLOY_BRANCH, initial)
  const siteDeploys = []
  if (siteDeploy) {
    console.log()
    console.log(bold(`▸ Frontend: real runs on ${DEPLOY_BRANCH}, the site to ${AZURITE_ACCOUNT}/${SITE_CONTAINER} in Azurite, purged on Front Door ${frontDoor.profile}/${frontDoor.endpoint}`))
    console.log(dim(`${indent}No dry-run input: each run builds the site (npm ci, npm run build), keeps the release zip, syncs it in order (assets, pages,`))
    console.log(dim(`${indent}index.html last), purges what it replaced, then deletes stale blobs, and writes the deploy manifest the next run compares with.`))
    const cacheRules = frontend['cache-control'].map(rule => ({ test: picomatch(rule.match, { dot: true }), value: rule.value }))
    const siteContext = { estate, standin, storage, caCerts, frontend, frontDoor, siteUrl: siteSettings['site-url'], cacheRules, deployedBackend: initial, deployedSite: undefined }
    for (const [index, step] of frontendSteps.entries()) {
      if (index > 0 && !siteDeploys.at(-1).ok) {
        console.log()
        console.log(`${bold(`▸ Frontend deploy ${index + 1} of ${frontendSteps.length}`)}: ${bad('skipped')}, frontend deploy ${index} did not go as expected`)
        siteDeploys.push({ ok: false, skipped: true })
        continue
      }
      const result = await runFrontendDeploy(siteContext, step, index)
      if (result.ok) siteContext.deployedSite = result.after
      siteDeploys.push(result)
    }
  }

  // The deploys: pushes to stage, run for real.
  const deploys = []
  if (deploy) {
    console.log()
    console.log(bold(`▸ Deploy: real runs on ${DEPLOY_BRANCH}, to ${inWords(stageApps.map(app => app.name))} (in place, in parallel, all or nothing)`))
    console.log(dim(`${indent}No dry-run input. These pushes change only the backend: the frontend is compared with its deploy manifest${siteDeploy ? ' in Azurite' : ''}`))
    console.log(dim(`${indent}${siteDeploy ? `(the frontend deploys' last commit)` : `(in ${parse(sourceConfig).environments[DEPLOY_ENVIRONMENT].frontend['storage-account']}, unreachable here: the push's previous commit instead)`} and stays as it is.`))
    // The tag the action's inline layer cache (cache: registry without buildx) is pushed under.
    localImages.refs.add(`${REGISTRY}/${backend.repository}:buildcache`)
    const deployContext = { estate, standin, caCerts, cli: docker.cli, apps: stageApps, healthPath: backend.health.path, deployed: initial }
    for (const [index, step] of deploySteps.entries()) {
      if (index > 0 && !deploys.at(-1).ok) {
        console.log()
        console.log(`${bold(`▸ Deploy ${index + 1} of ${deploySteps.length}`)}: ${bad('skipped')}, deploy ${index} did not go as expected`)
        deploys.push({ ok: false, skipped: true })
        continue
      }
      const result = await runDeploy(deployContext, step, index)
      localImages.refs.add(`${REGISTRY}/${backend.repository}:${result.after}`)
      if (result.ok && step.expect.status === 'deployed') deployContext.deployed = result.after
      deploys.push(result)
    }
  }
  const ran = deploys.filter(d => !d.skipped)
  const sitesRan = siteDeploys.filter(d => !d.skipped)
  const azureProblems = reportAzure(standin, [...results, ...sitesRan, ...ran], { dryRun: target.app, deploy: stageApps.map(app => app.name), frontDoor })

  const failed = results.filter(r => !r.ok).length
  const failedDeploys = ran.filter(d => !d.ok).length
  const skippedDeploys = deploys.length - ran.length
  const failedSites = sitesRan.filter(d => !d.ok).length
  const skippedSites = siteDeploys.length - sitesRan.length
  console.log()
  const timing = [
    `dry runs ${results.map(r => ms(r.runTime)).join(', ')}`,
    ...(sitesRan.length > 0 ? [`frontend deploys ${sitesRan.map(r => ms(r.runTime)).join(', ')}`] : []),
    ...(ran.length > 0 ? [`backend deploys ${ran.map(r => ms(r.runTime)).join(', ')}`] : []),
    `whole demo ${ms(performance.now() - started)}`
  ].join('; ')
  const ok = failed === 0 && failedDeploys === 0 && skippedDeploys === 0 && failedSites === 0 && skippedSites === 0 && azureProblems.length === 0
  if (ok) {
    const site = siteDeploy
      ? `; the site deployed to Azurite twice (over the earlier tool's upload: ${sitesRan[0].uploaded} uploaded; then ${plural(sitesRan[1].uploaded, 'file')}) and purged on Front Door`
      : `; frontend deploy skipped (${storage.reason})`
    const deployed = deploy
      ? `; deployed to both stage Web Apps and verified over HTTPS, and a broken release rolled back on both`
      : `; backend deploy skipped (${docker.reason ?? 'no Docker'})`
    console.log(good(bold(`✓ All ${pushes.length} pushes detected and planned as expected${site}${deployed}; signed in to the stand-in, no token in the output`)) + dim(` (${timing})`))
  } else {
    const what = [
      failed > 0 ? `${failed} of ${pushes.length} pushes did not go as expected` : '',
      failedSites > 0 ? `${failedSites} of ${frontendSteps.length} frontend deploys did not go as expected${skippedSites > 0 ? `, ${skippedSites} skipped after it` : ''}` : '',
      failedDeploys > 0 ? `${failedDeploys} of ${deploySteps.length} deploys did not go as expected${skippedDeploys > 0 ? `, ${skippedDeploys} skipped after it` : ''}` : '',
      azureProblems.length > 0 ? `Azure: ${azureProblems.join('; ')}` : ''
    ].filter(Boolean)
    console.log(bad(`✗ ${what.join('; ')}`) + dim(` (${timing})`))
  }
  return ok ? 0 : 1
}

/** Removes the image tags the demo and its deploys left in the local engine (the registry keeps them). */
async function removeLocalImages() {
  if (localImages.refs.size === 0) return
  try {
    await execFileAsync(localImages.cli, ['image', 'rm', ...localImages.refs], { timeout: 60_000 })
  } catch (error) {
    // An image already gone is fine; anything else is only worth a line.
    if (!/No such image/i.test(String(error?.stderr ?? ''))) console.error(dim(`removing the demo's local images failed: ${why(error)}`))
  }
}

// Everything the demo and the runs it starts create lands in one temp folder, removed at
// the end (createEstate, runAction and the stand-in put their folders under os.tmpdir()).
const systemTmp = tmpdir()
const scratch = mkdtempSync(path.join(systemTmp, 'apd-demo-'))
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
  void Promise.allSettled([closeStandin(), stopAzurite()])
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
  await stopAzurite().catch(error => console.error(bad(`stopping Azurite failed: ${error instanceof Error ? error.message : String(error)}`)))
  await removeLocalImages()
  cleanUp()
}
process.exitCode = exitCode
