// What the demo checks after each run, against what it can see for itself: the action's
// outputs, the Web Apps over HTTPS, the database the release step migrated, the site in
// Azurite, the purges and the tokens the stand-in saw. Each check adds the problems it found
// to `problems` (none: as expected).
/* global fetch, AbortSignal */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { secretLeaks } from '../lib/action-runner.mjs'
import { filesUnder } from './estate.mjs'
import { execFileAsync } from './services.mjs'

export const short = sha => (sha ? sha.slice(0, 7) : '—')
const sameList = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort())

/** An output holding JSON, parsed; a problem when it is not JSON. */
export function jsonOutput(outputs, name, fallback, problems) {
  if (outputs[name] === undefined || outputs[name] === '') return fallback
  try {
    return JSON.parse(outputs[name])
  } catch {
    problems.push(`the ${name} output is not JSON`)
    return fallback
  }
}

/**
 * The detection: the parts the action found changed must be exactly `expect.parts`, and
 * where a part was compared with a commit (what is deployed, or the push's previous one)
 * its changed files exactly `expect.files[part]`. Returns every part of the config as the
 * report shows it.
 */
export function checkDetection({ push, environment, parts }, outputs, problems) {
  const plan = jsonOutput(outputs, 'plan', undefined, problems)
  if (!plan) problems.push('the action wrote no plan output')
  if (outputs.environment !== environment) problems.push(`environment is ${JSON.stringify(outputs.environment ?? null)}, expected "${environment}"`)
  const changed = jsonOutput(outputs, 'changed', [], problems)
  if (!sameList(changed, push.expect.parts)) problems.push(`detected ${JSON.stringify(changed)}, expected ${JSON.stringify(push.expect.parts)}`)
  return parts.map(part => {
    const change = plan?.parts?.find(p => p.name === part)?.change
    const expected = push.expect.files?.[part] ?? []
    if (change && ['deployed', 'before'].includes(change.reason) && !sameList(change.examples, expected)) {
      problems.push(`${part}: changed files [${change.examples.join(', ')}] since ${short(change.base)}, expected [${expected.join(', ')}]`)
    }
    return { part, changed: changed.includes(part), reason: change?.reason, files: change?.base ? change.fileCount : undefined }
  })
}

/** What each Web App answers now on the health path, over HTTPS (the stand-in's CA is trusted); the worker answers every path with its version. */
export async function probeApps(standin, apps, healthPath) {
  return Promise.all(
    apps.map(async app => {
      const site = standin.state().sites.find(s => s.resourceGroup === app.resourceGroup && s.name === app.app && s.slot === 'production')
      const url = `https://${site?.defaultHostName}${healthPath}`
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
        await response.arrayBuffer()
        return { app: app.app, url, status: response.status, version: response.headers.get('x-app-version') }
      } catch (error) {
        return { app: app.app, url, error: error?.cause?.message ?? error?.message ?? String(error) }
      }
    })
  )
}

/** Every Web App must answer 200 with `commit` in X-App-Version. */
export function checkApps(answers, commit, problems) {
  for (const answer of answers) {
    if (answer.status !== 200 || answer.version !== commit) {
      problems.push(`${answer.app} answers ${answer.error ?? `${answer.status} with X-App-Version ${short(answer.version)}`}, expected ${short(commit)}`)
    }
  }
}

/** Rows of a query against `databaseUrl`, columns split on "|", from Postgres' own client. */
async function sql(databaseUrl, query) {
  const { stdout } = await execFileAsync('psql', ['-X', '-At', '-d', databaseUrl, '-c', query], { timeout: 30_000 })
  return stdout.split('\n').filter(Boolean).map(line => line.split('|'))
}

/**
 * The release step, in the database: each of `migrations` (`app.name`) recorded as applied
 * exactly once (one release, not one per Web App), and the run's log shows it applied.
 * Returns how many migrations the log shows applied, for the report.
 */
export async function checkMigrations({ databaseUrl, migrations, log }, problems) {
  const applied = [...log.matchAll(/Applying (\w+\.\w+)\.\.\. OK/g)].map(match => match[1])
  for (const migration of migrations) {
    const [app, name] = migration.split('.')
    let rows
    try {
      rows = await sql(databaseUrl, `SELECT count(*) FROM django_migrations WHERE app = '${app}' AND name = '${name}'`)
    } catch (error) {
      problems.push(`the database could not be read (${error?.message?.split('\n')[0] ?? error})`)
      return applied.length
    }
    const count = Number(rows[0]?.[0] ?? 0)
    if (count !== 1) problems.push(`django_migrations records ${migration} ${count} time(s), expected once`)
    if (!applied.includes(migration)) problems.push(`the run's log does not show ${migration} applied`)
  }
  return applied.length
}

/**
 * The new table through the API, as a user reaches it: a tag created through the first Web
 * App's HTTPS front, then listed through the second's.
 */
export async function checkTagsApi({ standin, apps, name }, problems) {
  const urlOf = app => `https://${standin.state().sites.find(s => s.resourceGroup === app.resourceGroup && s.name === app.app && s.slot === 'production')?.defaultHostName}/api/tags/`
  const [first, second = first] = apps
  try {
    const created = await fetch(urlOf(first), { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ name }), signal: AbortSignal.timeout(15_000) })
    if (created.status !== 201) problems.push(`POST /api/tags/ on ${first.app} answered ${created.status}, expected 201: ${(await created.text()).slice(0, 120)}`)
    else await created.arrayBuffer()
    const listed = await fetch(urlOf(second), { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(15_000) })
    const page = listed.status === 200 ? await listed.json() : undefined
    if (!page?.results?.some(tag => tag.name === name)) problems.push(`GET /api/tags/ on ${second.app} answered ${listed.status} without the tag ${name}`)
  } catch (error) {
    problems.push(`the tags API did not answer (${error?.cause?.message ?? error?.message ?? error})`)
  }
}

const md5Of = content => createHash('md5').update(content).digest('base64')

/** What a container holds: blob name → its Content-MD5 (base64). */
async function listBlobs(container) {
  const blobs = new Map()
  for await (const blob of container.listBlobsFlat()) {
    const md5 = blob.properties.contentMD5
    blobs.set(blob.name, md5 && Buffer.from(md5).toString('base64'))
  }
  return blobs
}

/** The commit the site's deploy manifest names (`<environment>/<part>/manifest.json` in the archive container), or undefined. */
export async function manifestCommit({ admin, site, environment }) {
  try {
    const body = await admin(site.account).getContainerClient(site.archiveContainer).getBlobClient(`${environment}/${site.name}/manifest.json`).downloadToBuffer()
    return JSON.parse(body.toString('utf8')).commit
  } catch {
    return undefined
  }
}

/**
 * The site in Azurite must be exactly the build the action made in the checkout (every
 * file, same MD5, nothing else), and the deploy manifest must name the commit.
 */
export async function checkSite({ admin, site, environment, workspace, commit }, problems) {
  const outputDir = path.join(workspace, site.part['working-directory'], site.part.output)
  const built = existsSync(outputDir) ? filesUnder(outputDir) : []
  let live
  try {
    live = await listBlobs(admin(site.account).getContainerClient(site.container))
  } catch (error) {
    problems.push(`${site.account}/${site.container} could not be listed: ${error?.message?.split('\n')[0] ?? error}`)
    return { files: built.length }
  }
  const wrong = built.filter(file => live.get(file.path) !== md5Of(readFileSync(file.absolute))).map(file => file.path)
  const extra = [...live.keys()].filter(name => !built.some(file => file.path === name))
  if (built.length === 0) problems.push(`no build in ${site.part['working-directory']}/${site.part.output}/ of the checkout`)
  else if (wrong.length > 0 || extra.length > 0) {
    problems.push(`${site.account}/${site.container} is not the build of ${short(commit)}: ${[...wrong.map(name => `${name} differs`), ...extra.map(name => `${name} is stale`)].join(', ')}`)
  }
  const manifest = await manifestCommit({ admin, site, environment })
  if (manifest !== commit) problems.push(`the deploy manifest names ${short(manifest)}, expected ${short(commit)}`)
  return { files: built.length }
}

/**
 * The purge: the stand-in must have received exactly the paths the `purged` output names,
 * on the environment's Front Door endpoint with its domains (or its classic CDN endpoint),
 * and at least one when the deploy replaced pages (`replaced`); none for a site's first
 * deploy, which replaces nothing a CDN could hold.
 */
export function checkPurge({ standin, purgesBefore, edge, purged, replaced }, problems) {
  const purges = standin.state().purges.slice(purgesBefore)
  const received = [...new Set(purges.flatMap(p => p.contentPaths))].sort()
  if (replaced && received.length === 0) problems.push('no purge reached the stand-in')
  if (!replaced && purges.length > 0) problems.push(`a first deploy replaced nothing, yet ${purges.length} purge(s) reached the stand-in`)
  if (JSON.stringify(received) !== JSON.stringify([...purged].sort())) problems.push(`the stand-in received purges of ${JSON.stringify(received)}, the purged output says ${JSON.stringify(purged)}`)
  const domains = edge.kind === 'frontdoor' ? (edge.domains ?? null) : null
  if (purges.some(p => p.profile !== edge.profile || p.endpoint !== edge.endpoint || JSON.stringify(p.domains) !== JSON.stringify(domains))) {
    problems.push(`a purge did not go to ${edge.profile}/${edge.endpoint}${domains ? ` with ${domains.join(', ')}` : ''}`)
  }
  return { paths: received.length, calls: purges.length }
}

/**
 * No token the stand-in issued may show in the run's log (but the `::add-mask::` lines that
 * hide it), outputs or job summary: the scan runAction makes. A leak is counted, never printed.
 */
export function checkTokens(standin, run, problems) {
  const written = { stdout: run.stdout, stderr: run.stderr, outputs: Object.values(run.outputs).join('\n'), summary: run.summary }
  const leaked = standin.issuedTokens().filter(token => secretLeaks(written, [token]).length > 0)
  if (leaked.length > 0) problems.push(`${leaked.length} token(s) the stand-in issued show in the action's output`)
}

/**
 * The GitHub deployment of each part the push deployed (`<environment>/<part>`): recorded
 * for the commit, `in_progress` then `success`, or `failure` for a rolled-back part. Returns
 * the final state per part, for the report.
 */
export function checkGithubDeployments({ standin, environment, commit, parts, rolledBack }, problems) {
  return parts.map(part => {
    const name = `${environment}/${part}`
    const recorded = standin.github.deployments().filter(d => d.environment === name && d.sha === commit)
    const states = recorded[0]?.statuses.map(s => s.state) ?? []
    const final = rolledBack.includes(part) ? 'failure' : 'success'
    if (recorded.length !== 1 || JSON.stringify(states) !== JSON.stringify(['in_progress', final])) {
      problems.push(`GitHub deployment ${name} of ${short(commit)}: ${recorded.length} recorded, statuses [${states.join(', ')}], expected one with [in_progress, ${final}]`)
    }
    return { part, environment: name, state: states.at(-1) ?? 'none' }
  })
}
