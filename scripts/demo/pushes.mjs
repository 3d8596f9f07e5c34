// The pushes the demo makes to stage, and one step: commit, push, depth-1 checkout, the
// example workflow's build step, the action run for real as a runner runs it, and the checks.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { runAction } from '../lib/action-runner.mjs'
import { AZURITE_ACCOUNT } from '../lib/azurite.mjs'
import { git } from '../lib/git-fixture.mjs'
import { checkApps, checkDetection, checkGithubDeployments, checkPurge, checkSite, checkTokens, jsonOutput, manifestCommit, probeApps, short } from './checks.mjs'
import { compileServer, replace, SITE_CONTAINER } from './estate.mjs'
import { phasesFromSummary } from './report.mjs'
import { BRANCH, oidcClaims, runOptions, SUBSCRIPTION } from './runner.mjs'

const append = line => text => `${text.trimEnd()}\n${line}\n`

/**
 * Each push: its edits, and what the action must detect (`parts`, and the files of each part
 * compared with a commit). `failOn`: the Web App (by index) on which the stand-in makes the
 * release's container never become healthy; `result`: the result the run must end with.
 */
export const pushes = [
  {
    name: 'push 1',
    title: 'frontend change',
    message: 'Site: clearer tagline on the landing page',
    edits: { 'frontend/src/App.jsx': replace('Shared notes for small teams.', 'Shared notes for small, busy teams.') },
    expect: { parts: ['frontend'], files: { frontend: ['frontend/src/App.jsx'] } }
  },
  {
    name: 'push 2',
    title: 'backend change',
    message: 'API: send X-Content-Type-Options: nosniff',
    edits: {
      'backend/server.c': replace(/^(\s*)"Cache-Control: no-store\\r\\n"\n/m, '$1"Cache-Control: no-store\\r\\n"\n$1"X-Content-Type-Options: nosniff\\r\\n"\n'),
      // Markdown next to the code is not a reason to redeploy (the config's '!**/*.md').
      'backend/README.md': append('Every response also carries `X-Content-Type-Options: nosniff`.')
    },
    expect: { parts: ['backend'], files: { backend: ['backend/server.c'] } }
  },
  {
    name: 'push 3',
    title: 'change to both',
    message: 'Longer API read timeout; darker headline',
    edits: {
      'backend/server.c': replace('#define READ_TIMEOUT_SECONDS 5', '#define READ_TIMEOUT_SECONDS 10'),
      'frontend/src/index.css': replace('color: #0b6e99;', 'color: #08587a;')
    },
    expect: { parts: ['backend', 'frontend'], files: { backend: ['backend/server.c'], frontend: ['frontend/src/index.css'] } }
  }
]

/** The optional fourth step: a release whose container never starts on the second Web App. */
export const rollbackDrill = {
  name: 'rollback drill',
  title: 'broken release',
  message: 'API: even longer read timeout',
  edits: { 'backend/server.c': replace('#define READ_TIMEOUT_SECONDS 10', '#define READ_TIMEOUT_SECONDS 20') },
  failOn: 1,
  result: 'rolled-back',
  expect: { parts: ['backend'], files: { backend: ['backend/server.c'] } }
}

const secondsSince = start => (performance.now() - start) / 1000

/**
 * One push, run and checked. `demo`: the services (`standin`, `storage`, `caCerts`,
 * `dockerCli`), the estate (`estate`, `config`, `apps`, `frontDoor`, `healthPath`, `images`:
 * local image tags to remove at the end, added to here), what runs
 * now (`live.backend`, `live.frontend`: commits) and why a part cannot be deployed here
 * (`unavailable.backend`, `unavailable.frontend`). Updates `live`; returns the step's report
 * and the run (for the log).
 */
export async function runStep(demo, push) {
  const started = performance.now()
  const problems = []
  const { estate, standin, storage, apps, frontDoor, healthPath, live, unavailable } = demo
  const { frontend } = demo.config.parts

  // The push, and the checkout a runner makes of it.
  const changes = {}
  for (const [file, edit] of Object.entries(push.edits)) changes[file] = edit(readFileSync(path.join(estate.work, file), 'utf8'))
  const after = estate.commit(changes, push.message)
  const before = estate.push(BRANCH)
  const files = git(estate.work, ['diff', '--name-only', '--no-renames', before, after]).split('\n').filter(Boolean)
  const workspace = estate.checkout(after, `refs/heads/${BRANCH}`)

  // A part this machine cannot deploy makes the run a dry run: detection only.
  const skipped = push.expect.parts.filter(part => unavailable[part]).map(part => ({ part, reason: unavailable[part] }))
  const dryRun = skipped.length > 0
  if (!unavailable.backend) await compileServer(workspace)
  const failing = push.failOn === undefined ? undefined : apps[push.failOn]
  if (failing) standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: failing.resourceGroup, name: failing.name })

  // The tags the action's build leaves in the local engine, removed when the demo ends.
  if (!dryRun && push.expect.parts.includes('backend')) {
    const { registry, repository } = demo.config.parts.backend
    demo.images.push(`${registry}/${repository}:${after}`, ...(demo.images.includes(`${registry}/${repository}:buildcache`) ? [] : [`${registry}/${repository}:buildcache`]))
  }
  const purgesBefore = standin.state().purges.length
  standin.setOidcClaims(oidcClaims(after))
  const runStarted = performance.now()
  const run = await runAction(runOptions({ services: demo, workspace, before, after, message: push.message, dryRun }))
  const actionSeconds = secondsSince(runStarted)
  const { outputs } = run

  // How the run ended, and what it detected.
  const result = dryRun ? 'planned' : (push.result ?? 'deployed')
  const exitCode = result === 'rolled-back' ? 1 : 0
  if (run.exitCode !== exitCode || outputs.result !== result) problems.push(`the action exited ${run.exitCode} with result ${outputs.result ?? '(none)'}, expected ${exitCode} with ${result}`)
  const detected = checkDetection(push, outputs, problems)
  checkTokens(standin, run, problems)

  // What runs now: each part deployed by this push, or left as it was.
  const deployed = []
  const urls = []
  const backendDeployed = !dryRun && push.expect.parts.includes('backend')
  const targets = jsonOutput(outputs, 'targets', [], problems)
  const answers = await probeApps(standin, apps, healthPath)
  if (backendDeployed) {
    if (result === 'deployed') live.backend = after
    if (targets.length !== apps.length) problems.push(`the targets output names ${targets.length} Web Apps, expected ${apps.length}`)
    const expected = result === 'rolled-back' ? 'rolled-back' : 'deployed'
    for (const t of targets) if (t.status !== expected) problems.push(`${t.app} is ${t.status}, expected ${expected}`)
    if (failing && targets.find(t => t.app === failing.name)?.phase !== 'verify') problems.push(`${failing.name} did not fail in its verify phase`)
    // A target that failed (and was rolled back) says in which phase, on a line of its own.
    deployed.push({ part: 'backend', where: targets.flatMap(t => [`${t.app} ${t.status}`, ...(t.phase ? [`  (${t.phase} failed)`] : [])]) })
    urls.push(...targets.map(t => t.url).filter(Boolean))
  }
  checkApps(answers, live.backend, problems)

  const frontendDeployed = !dryRun && push.expect.parts.includes('frontend')
  if (frontendDeployed && !storage.reason) {
    live.frontend = after
    const purged = jsonOutput(outputs, 'purged', [], problems)
    const site = await checkSite({ admin: storage.admin, workspace, frontend, commit: after }, problems)
    const purge = checkPurge({ standin, purgesBefore, frontDoor, purged }, problems)
    deployed.push({
      part: 'frontend',
      where: [
        `${AZURITE_ACCOUNT}/${SITE_CONTAINER}: ${outputs['files-uploaded'] ?? '?'} of ${site.files} uploaded`,
        `purged ${purge.paths} path${purge.paths === 1 ? '' : 's'} on Front Door`,
        `${frontDoor.profile}/${frontDoor.endpoint}`
      ]
    })
    if (outputs['site-url']) urls.push(outputs['site-url'])
  } else if (!storage.reason) {
    const manifest = await manifestCommit(storage.admin)
    if (manifest !== live.frontend) problems.push(`the deploy manifest names ${short(manifest)}, expected ${short(live.frontend)} (the site was not to change)`)
  }

  // The GitHub deployments the run recorded, one per part it deployed.
  const github = checkGithubDeployments(standin, after, deployed.map(d => d.part), result, problems)
  for (const entry of deployed) {
    const recorded = github.find(g => g.part === entry.part)
    if (recorded) entry.where.push(`GitHub ${recorded.environment}: ${recorded.state}`)
  }

  // Timings: the phases the action reported; the rest of its run, measured here.
  const phases = phasesFromSummary(run.summary)
  const reported = phases.flatMap(p => Object.values(p.seconds)).reduce((sum, value) => sum + value, 0)
  return {
    run,
    report: {
      name: push.name,
      title: push.title,
      commit: after,
      files,
      detected,
      deployed,
      skipped,
      urls,
      phases,
      otherSeconds: Math.max(0, actionSeconds - reported),
      actionSeconds,
      totalSeconds: secondsSince(started),
      outcome: dryRun ? 'planned (dry run)' : result === 'rolled-back' ? 'rolled back' : (outputs.result ?? 'failed'),
      problems
    }
  }
}
