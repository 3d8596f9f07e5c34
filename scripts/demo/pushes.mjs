// The pushes the demo makes, and one step: commit, push, depth-1 checkout, the action run
// for real as a runner runs it, and the checks.
import { performance } from 'node:perf_hooks'
import { runAction } from '../lib/action-runner.mjs'
import { append, applyEdits, replace, tagModel } from '../lib/estate-edits.mjs'
import { git, ZERO_SHA } from '../lib/git-fixture.mjs'
import { checkApps, checkDetection, checkGithubDeployments, checkMigrations, checkPurge, checkSite, checkTagsApi, checkTokens, jsonOutput, manifestCommit, probeApps, short } from './checks.mjs'
import { IMAGE_PARTS, siteOf, webAppsOf } from './estate.mjs'
import { phasesFromSummary } from './report.mjs'
import { BRANCHES, oidcClaims, runOptions, SUBSCRIPTION } from './runner.mjs'

const SITE = 'web'
const API_FILES = ['backend/notes/migrations/0002_tag.py', 'backend/notes/models.py', 'backend/notes/serializers.py', 'backend/notes/urls.py', 'backend/notes/views.py']

/**
 * Each step: where it goes (`environment`), its edits, and what the action must detect
 * (`parts`, and the files of each part compared with a commit). `migrations`: what the
 * release step must have applied once (checked in the database); `tag`: a tag created and
 * listed through the API's Web Apps; `failOn`: the API Web App (by index) on which the
 * stand-in makes the release's container never become healthy; `result`: how the run ends;
 * `firstSiteDeploy`: the site goes into an empty container (nothing to purge).
 */
export const pushes = [
  {
    name: 'push 1',
    title: 'site only',
    environment: 'stage',
    message: 'Site: clearer tagline on the landing page',
    edits: { 'frontend/src/pages/Home.jsx': replace('Shared notes for small teams.', 'Shared notes for small, busy teams.') },
    expect: { parts: [SITE], files: { [SITE]: ['frontend/src/pages/Home.jsx'] } }
  },
  {
    name: 'push 2',
    title: 'API with a migration',
    environment: 'stage',
    message: 'API: tags for notes (a model, its migration, /api/tags/)',
    edits: {
      ...tagModel,
      // Markdown next to the code is not a reason to redeploy (the config's '!**/*.md').
      'backend/README.md': append('Tags: `GET /api/tags/` lists them, `POST /api/tags/` `{"name"}` adds one.')
    },
    expect: { parts: IMAGE_PARTS, files: { api: API_FILES, worker: API_FILES } },
    migrations: ['notes.0002_tag'],
    tag: 'spring-tide'
  },
  {
    name: 'push 3',
    title: 'API and site',
    environment: 'stage',
    message: 'Longer keep-alive for the API; darker headline',
    edits: {
      'backend/gunicorn.conf.py': replace('keepalive = 5', 'keepalive = 10'),
      'frontend/src/index.css': replace('color: #0b6e99;', 'color: #08587a;')
    },
    expect: { parts: [...IMAGE_PARTS, SITE], files: { api: ['backend/gunicorn.conf.py'], worker: ['backend/gunicorn.conf.py'], [SITE]: ['frontend/src/index.css'] } }
  }
]

/** The rollback drill: a release whose container never starts on stage's second API Web App. */
export const rollbackDrill = {
  name: 'rollback drill',
  title: 'broken release',
  environment: 'stage',
  message: 'API: longer worker timeout',
  edits: { 'backend/gunicorn.conf.py': replace('timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))', 'timeout = int(os.environ.get("GUNICORN_TIMEOUT", "90"))') },
  failOn: 1,
  result: 'rolled-back',
  expect: { parts: IMAGE_PARTS, files: { api: ['backend/gunicorn.conf.py'], worker: ['backend/gunicorn.conf.py'] } }
}

/**
 * A push to dev: master_dev made from stage's branch, with one commit of its own. Nothing the
 * action deployed runs in dev yet, so every part deploys, and the release step migrates dev's
 * empty database from the first migration on.
 */
export const devPush = {
  name: 'push to dev',
  title: 'first deploy of dev',
  environment: 'dev',
  message: 'About page: say where the API runs',
  edits: { 'frontend/src/pages/About.jsx': replace('talking to a Django REST API on App Service.', 'talking to a Django REST API (and its worker) on App Service.') },
  expect: { parts: [...IMAGE_PARTS, SITE] },
  // Dev's $web is empty: the site's first deploy replaces nothing a CDN could hold, so nothing is purged.
  firstSiteDeploy: true,
  migrations: ['notes.0001_initial', 'notes.0002_tag'],
  tag: 'neap-tide'
}

const secondsSince = start => (performance.now() - start) / 1000

/**
 * One push, run and checked. `demo`: the services (`standin`, `storage`, `caCerts`,
 * `dockerCli`, `secrets` and `databaseUrls` per environment), the estate (`estate`,
 * `config`, `images`: local image tags to remove at the end, added to here), what runs now
 * (`live[environment]`: `{ image, site }` commits) and why a part cannot be deployed here
 * (`unavailable[part]`). Updates `live`; returns the step's report and the run (for the log).
 */
export async function runStep(demo, push) {
  const started = performance.now()
  const problems = []
  const { estate, standin, storage, config, live, unavailable } = demo
  const { environment } = push
  const branch = BRANCHES[environment]
  const apps = webAppsOf(config, environment)
  const site = siteOf(config, environment)
  const current = (live[environment] ??= {})

  // The push, and the checkout a runner makes of it.
  if (git(estate.work, ['rev-parse', '--abbrev-ref', 'HEAD']) !== branch) estate.branch(branch)
  const after = estate.commit(applyEdits(estate.work, push.edits), push.message)
  const before = estate.push(branch)
  const files = git(estate.work, ['diff', '--name-only', '--no-renames', before === ZERO_SHA ? `${after}~1` : before, after]).split('\n').filter(Boolean)
  const workspace = estate.checkout(after, `refs/heads/${branch}`)

  // A part this machine cannot deploy makes the run a dry run: detection only.
  const skipped = push.expect.parts.filter(part => unavailable[part]).map(part => ({ part, reason: unavailable[part] }))
  const dryRun = skipped.length > 0
  const failing = push.failOn === undefined ? undefined : apps.filter(app => app.part === 'api')[push.failOn]
  if (failing) standin.failContainerStart({ subscription: SUBSCRIPTION, resourceGroup: failing.resourceGroup, name: failing.app })

  // The tags the action's build leaves in the local engine, removed when the demo ends.
  const imageDeploys = !dryRun && push.expect.parts.some(part => IMAGE_PARTS.includes(part))
  if (imageDeploys) {
    const { registry, repository } = config.parts.api
    for (const tag of [after, 'buildcache']) if (!demo.images.includes(`${registry}/${repository}:${tag}`)) demo.images.push(`${registry}/${repository}:${tag}`)
  }
  const purgesBefore = standin.state().purges.length
  standin.setOidcClaims(oidcClaims(branch, after))
  const runStarted = performance.now()
  const run = await runAction(runOptions({ services: demo, branch, workspace, before, after, message: push.message, dryRun, secrets: demo.secrets[environment] }))
  const actionSeconds = secondsSince(runStarted)
  const { outputs } = run

  // How the run ended, and what it detected.
  const result = dryRun ? 'planned' : (push.result ?? 'deployed')
  const exitCode = result === 'rolled-back' ? 1 : 0
  if (run.exitCode !== exitCode || outputs.result !== result) problems.push(`the action exited ${run.exitCode} with result ${outputs.result ?? '(none)'}, expected ${exitCode} with ${result}`)
  // A part compared with what is deployed counts every file changed since its last deploy:
  // those of earlier pushes that did not deploy it (a dry run, a rollback) too.
  const pending = (demo.pending ??= {})
  const expectedFiles = Object.fromEntries(push.expect.parts.map(part => [part, [...new Set([...(pending[`${environment}/${part}`] ?? []), ...(push.expect.files?.[part] ?? [])])].sort()]))
  const detected = checkDetection({ push: { ...push, expect: { ...push.expect, files: expectedFiles } }, environment, parts: Object.keys(config.parts) }, outputs, problems)
  for (const part of push.expect.parts) {
    if (!dryRun && (result === 'deployed' || !IMAGE_PARTS.includes(part))) delete pending[`${environment}/${part}`]
    else pending[`${environment}/${part}`] = expectedFiles[part]
  }
  checkTokens(standin, run, problems)

  // What runs now: each part deployed by this push, or left as it was.
  const deployed = []
  const urls = []
  const targets = jsonOutput(outputs, 'targets', [], problems)
  if (imageDeploys) {
    if (result === 'deployed') current.image = after
    if (targets.length !== apps.length) problems.push(`the targets output names ${targets.length} Web Apps, expected ${apps.length}`)
    const expected = result === 'rolled-back' ? 'rolled-back' : 'deployed'
    for (const t of targets) if (t.status !== expected) problems.push(`${t.app} is ${t.status}, expected ${expected}`)
    if (failing && targets.find(t => t.app === failing.app)?.phase !== 'verify') problems.push(`${failing.app} did not fail in its verify phase`)
    const applied = push.migrations ? await checkMigrations({ databaseUrl: demo.databaseUrls[environment], migrations: push.migrations, log: run.stdout }, problems) : [...run.stdout.matchAll(/Applying \w+\.\w+\.\.\. OK/g)].length
    if (push.tag && result === 'deployed') await checkTagsApi({ standin, apps: apps.filter(app => app.part === 'api'), name: push.tag }, problems)
    const release = /release step done in ([\d.]+)s/.test(run.stdout) ? `release: migrate, ${applied} migration${applied === 1 ? '' : 's'} applied` : 'release: skipped'
    for (const part of IMAGE_PARTS) {
      // A target that failed (and was rolled back) says in which phase, on a line of its own.
      const own = targets.filter(t => t.part === part)
      deployed.push({ part, where: [...(part === 'api' ? [release] : []), ...own.flatMap(t => [`${t.app} ${t.status}`, ...(t.phase ? [`  (${t.phase} failed)`] : [])])] })
    }
    urls.push(...targets.filter(t => t.part === 'api').map(t => t.url).filter(Boolean))
  }
  if (current.image !== undefined) checkApps(await probeApps(standin, apps, config.parts.api.health.path), current.image, problems)

  const siteDeploys = !dryRun && push.expect.parts.includes(SITE)
  if (siteDeploys && !storage.reason) {
    current.site = after
    const purged = jsonOutput(outputs, 'purged', [], problems)
    const built = await checkSite({ admin: storage.admin, site, environment, workspace, commit: after }, problems)
    const purge = checkPurge({ standin, purgesBefore, edge: site.edge, purged, replaced: push.firstSiteDeploy !== true }, problems)
    const edge = site.edge.kind === 'frontdoor' ? 'Front Door' : 'the CDN'
    deployed.push({
      part: SITE,
      where: [
        `${site.account}/${site.container}: ${outputs['files-uploaded'] ?? '?'} of ${built.files} uploaded`,
        purge.paths === 0 ? `no purge: nothing on ${edge} to replace` : `purged ${purge.paths} path${purge.paths === 1 ? '' : 's'} on ${edge}`,
        `${site.edge.profile}/${site.edge.endpoint}`
      ]
    })
    if (outputs['site-url']) urls.push(outputs['site-url'])
  } else if (!storage.reason) {
    const manifest = await manifestCommit({ admin: storage.admin, site, environment })
    if (manifest !== current.site) problems.push(`the deploy manifest names ${short(manifest)}, expected ${short(current.site)} (the site was not to change)`)
  }

  // The GitHub deployments the run recorded, one per part it deployed.
  const github = checkGithubDeployments({ standin, environment, commit: after, parts: deployed.map(d => d.part), rolledBack: result === 'rolled-back' ? IMAGE_PARTS : [] }, problems)
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
      title: `${push.title} (${environment})`,
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
