// What the demo checks after each run, against what it can see for itself: the action's
// outputs, the Web Apps over HTTPS, the site in Azurite, the purges and the tokens the
// stand-in saw. Each check returns the problems it found (empty: as expected).
/* global fetch, AbortSignal */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { secretLeaks } from '../lib/action-runner.mjs'
import { ARCHIVE_CONTAINER, filesUnder, SITE_CONTAINER } from './estate.mjs'
import { ENVIRONMENT } from './runner.mjs'

const PARTS = ['backend', 'frontend']
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
 * its changed files exactly `expect.files[part]`. Returns the parts as the report shows them.
 */
export function checkDetection(push, outputs, problems) {
  const plan = jsonOutput(outputs, 'plan', undefined, problems)
  if (!plan) problems.push('the action wrote no plan output')
  if (outputs.environment !== ENVIRONMENT) problems.push(`environment is ${JSON.stringify(outputs.environment ?? null)}, expected "${ENVIRONMENT}"`)
  const changed = jsonOutput(outputs, 'changed', [], problems)
  if (!sameList(changed, push.expect.parts)) problems.push(`detected ${JSON.stringify(changed)}, expected ${JSON.stringify(push.expect.parts)}`)
  return PARTS.map(part => {
    const change = plan?.parts?.find(p => p.part === part)?.change
    const reason = outputs[`${part}-reason`] ?? change?.reason
    const expected = push.expect.files[part] ?? []
    if (change && ['deployed', 'before'].includes(reason) && !sameList(change.examples, expected)) {
      problems.push(`${part}: changed files [${change.examples.join(', ')}] since ${short(change.base)}, expected [${expected.join(', ')}]`)
    }
    return { part, changed: changed.includes(part), reason, files: change?.base ? change.fileCount : undefined }
  })
}

/** What each Web App answers now on its health path, over HTTPS (the stand-in's CA is trusted). */
export async function probeApps(standin, apps, healthPath) {
  return Promise.all(
    apps.map(async app => {
      const site = standin.state().sites.find(s => s.resourceGroup === app.resourceGroup && s.name === app.name && s.slot === 'production')
      const url = `https://${site?.defaultHostName}${healthPath}`
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
        await response.arrayBuffer()
        return { app: app.name, url, status: response.status, version: response.headers.get('x-app-version') }
      } catch (error) {
        return { app: app.name, url, error: error?.cause?.message ?? error?.message ?? String(error) }
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

/** The commit the deploy manifest in the archive container names, or undefined. */
export async function manifestCommit(admin) {
  try {
    const body = await admin.getContainerClient(ARCHIVE_CONTAINER).getBlobClient(`${ENVIRONMENT}/manifest.json`).downloadToBuffer()
    return JSON.parse(body.toString('utf8')).commit
  } catch {
    return undefined
  }
}

/**
 * The site in Azurite must be exactly the build the action made in the checkout (every
 * file, same MD5, nothing else), and the deploy manifest must name the commit.
 */
export async function checkSite({ admin, workspace, frontend, commit }, problems) {
  const outputDir = path.join(workspace, frontend['working-directory'], frontend.output)
  const built = existsSync(outputDir) ? filesUnder(outputDir) : []
  const live = await listBlobs(admin.getContainerClient(SITE_CONTAINER))
  const wrong = built.filter(file => live.get(file.path) !== md5Of(readFileSync(file.absolute))).map(file => file.path)
  const extra = [...live.keys()].filter(name => !built.some(file => file.path === name))
  if (built.length === 0) problems.push(`no build in ${frontend['working-directory']}/${frontend.output}/ of the checkout`)
  else if (wrong.length > 0 || extra.length > 0) {
    problems.push(`${SITE_CONTAINER} is not the build of ${short(commit)}: ${[...wrong.map(name => `${name} differs`), ...extra.map(name => `${name} is stale`)].join(', ')}`)
  }
  const manifest = await manifestCommit(admin)
  if (manifest !== commit) problems.push(`the deploy manifest names ${short(manifest)}, expected ${short(commit)}`)
  return { files: built.length }
}

/**
 * The purge: the stand-in must have received exactly the paths the `purged` output names, on
 * stage's Front Door endpoint with its domains, and at least one (the deploy replaced pages).
 */
export function checkPurge({ standin, purgesBefore, frontDoor, purged }, problems) {
  const purges = standin.state().purges.slice(purgesBefore)
  const received = [...new Set(purges.flatMap(p => p.contentPaths))].sort()
  if (received.length === 0) problems.push('no purge reached the stand-in')
  if (JSON.stringify(received) !== JSON.stringify([...purged].sort())) problems.push(`the stand-in received purges of ${JSON.stringify(received)}, the purged output says ${JSON.stringify(purged)}`)
  if (purges.some(p => p.profile !== frontDoor.profile || p.endpoint !== frontDoor.endpoint || JSON.stringify(p.domains) !== JSON.stringify(frontDoor.domains))) {
    problems.push(`a purge did not go to ${frontDoor.profile}/${frontDoor.endpoint} with ${frontDoor.domains.join(', ')}`)
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
 * The GitHub deployment of each part the push deployed (`stage/backend`, `stage/frontend`):
 * recorded for the commit, `in_progress` then `success`, or `failure` for a rolled-back
 * release. Returns the final state per part, for the report.
 */
export function checkGithubDeployments(standin, commit, parts, result, problems) {
  return parts.map(part => {
    const environment = `${ENVIRONMENT}/${part}`
    const recorded = standin.github.deployments().filter(d => d.environment === environment && d.sha === commit)
    const states = recorded[0]?.statuses.map(s => s.state) ?? []
    const final = part === 'backend' && result === 'rolled-back' ? 'failure' : 'success'
    if (recorded.length !== 1 || JSON.stringify(states) !== JSON.stringify(['in_progress', final])) {
      problems.push(`GitHub deployment ${environment} of ${short(commit)}: ${recorded.length} recorded, statuses [${states.join(', ')}], expected one with [in_progress, ${final}]`)
    }
    return { part, environment, state: states.at(-1) ?? 'none' }
  })
}
