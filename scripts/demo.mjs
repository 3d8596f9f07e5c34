// npm run demo: the action on the example estate, as a person would watch it.
//
// Copies examples/estate into a throwaway git repository (a bare "origin" and a working
// clone), pushes it to master_dev, then makes three pushes there: a frontend change, a
// backend change, and a change to both. After each push it makes a depth-1 checkout, as
// actions/checkout does, runs the bundled dist/index.js exactly as a runner would, in
// dry-run mode, and prints what the action detected and planned. It exits non-zero when a
// run fails or detects something other than what the push changed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { styleText } from 'node:util'
import { parse } from 'yaml'
import { pushPayload, repoRoot, runAction } from './lib/action-runner.mjs'
import { createEstate, git } from './lib/git-fixture.mjs'

const BRANCH = 'master_dev'
const ENVIRONMENT = 'dev'
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000'
const PARTS = ['backend', 'frontend']
const estateSource = path.join(repoRoot, 'examples', 'estate')

// ---- the pushes -----------------------------------------------------------------------

/** An edit that replaces `from` (a string or RegExp) and refuses to be a silent no-op. */
const replace = (from, to) => text => {
  const next = text.replace(from, to)
  if (next === text) throw new Error(`demo edit found nothing to replace: ${from}`)
  return next
}
const append = line => text => `${text.trimEnd()}\n${line}\n`

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
    expect: { backend: ['backend/server.c'], frontend: ['frontend/src/index.css'] }
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

// ---- one push, one run ----------------------------------------------------------------

async function runPush(estate, push, index) {
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
  const files = git(estate.work, ['diff', '--name-status', '--no-renames', before, after])
    .split('\n')
    .filter(Boolean)
    .map(line => line.replace('\t', ' '))
  console.log(`${label('push')}${BRANCH} ${short(before)} → ${short(after)}  "${push.message}"  ${dim(`(${ms(pushTime)})`)}`)
  files.forEach((file, i) => console.log(`${i === 0 ? label('files') : indent}${file}`))

  const [workspace, checkoutTime] = await timed(async () => estate.checkout(after, `refs/heads/${BRANCH}`))
  console.log(`${label('checkout')}depth 1 at ${short(after)}, as actions/checkout leaves it  ${dim(`(${ms(checkoutTime)})`)}`)

  const [run, runTime] = await timed(() =>
    runAction({
      workspace,
      sha: after,
      ref: `refs/heads/${BRANCH}`,
      event: { name: 'push', payload: pushPayload({ ref: `refs/heads/${BRANCH}`, before, after, message: push.message }) },
      inputs: { 'dry-run': 'true', 'subscription-id': SUBSCRIPTION }
    })
  )
  const { outputs } = run

  let plan
  try {
    plan = outputs.plan ? JSON.parse(outputs.plan) : undefined
  } catch {
    problems.push('the plan output is not JSON')
  }
  if (plan) {
    console.log(`${label('detected')}environment ${plan.environment} (from ${plan.environmentSource} ${BRANCH}); changed: ${outputs.changed ?? '?'}`)
    for (const part of plan.parts) {
      const { change } = part
      const verdict = part.deploy ? bold('changed  ') : 'unchanged'
      const list = change.examples.length ? `: ${change.examples.join(', ')}${change.fileCount > change.examples.length ? ', …' : ''}` : ''
      console.log(`${indent}${part.part.padEnd(9)} ${verdict}  base ${short(change.base)} (${change.reason})  ${plural(change.fileCount, 'file')}${list}`)
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
      if (outputs[`${part}-changed`] !== String(expectedChanged.includes(part))) problems.push(`${part}-changed is ${outputs[`${part}-changed`]}, expected ${expectedChanged.includes(part)}`)
      if (outputs[`${part}-base`] !== before) problems.push(`${part}-base is ${short(outputs[`${part}-base`])}, expected the push's before ${short(before)}`)
      if (outputs[`${part}-reason`] !== 'before') problems.push(`${part}-reason is ${outputs[`${part}-reason`]}, expected "before"`)
      const change = plan?.parts.find(p => p.part === part)?.change
      const expectedFiles = [...push.expect[part]].sort()
      const actualFiles = change ? [...change.examples].sort() : []
      if (!change) problems.push(`the plan has no ${part} part`)
      else if (change.fileCount !== expectedFiles.length || JSON.stringify(actualFiles) !== JSON.stringify(expectedFiles)) {
        problems.push(`${part} files are [${actualFiles.join(', ')}] (${change.fileCount}), expected [${expectedFiles.join(', ')}]`)
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
  return { ok: problems.length === 0, pushTime, checkoutTime, runTime }
}

// ---- main -----------------------------------------------------------------------------

async function main() {
  console.log(bold('azure-push-deploy demo') + ': a dry run on local stand-ins (a throwaway git repository, the bundled action, no Azure); the Azure deploy steps arrive with later versions.')

  const bundle = path.join(repoRoot, 'dist', 'index.js')
  if (!existsSync(bundle)) throw new Error(`${path.relative(process.cwd(), bundle)} is missing: run \`npm run bundle\` first.`)

  const configText = readFileSync(path.join(estateSource, '.github', 'azure-deploy.yml'), 'utf8')
  console.log()
  console.log(`${label('estate')}examples/estate: ${describeEstate(configText)}`)

  const estate = createEstate({ from: estateSource, prefix: 'estate-' })
  estate.branch(BRANCH)
  const first = estate.push(BRANCH)
  const fileCount = git(estate.work, ['ls-files']).split('\n').filter(Boolean).length
  console.log(`${label('origin')}${short(estate.head())} "initial" (${plural(fileCount, 'file')}) pushed to ${BRANCH}${first === '0'.repeat(40) ? ' (a new branch)' : ''}`)
  console.log(dim(`${indent}Each part is compared with the commit deployed on its targets; nothing is deployed here to ask,`))
  console.log(dim(`${indent}so the base is the push's previous commit ("before" in the push event).`))

  const started = performance.now()
  const results = []
  for (const [index, push] of pushes.entries()) results.push(await runPush(estate, push, index))

  const failed = results.filter(r => !r.ok).length
  const actionTimes = results.map(r => r.runTime)
  console.log()
  const timing = `action runs ${actionTimes.map(ms).join(', ')}; whole demo ${ms(performance.now() - started)}`
  if (failed === 0) console.log(good(bold(`✓ All ${pushes.length} pushes detected and planned as expected`)) + dim(` (${timing})`))
  else console.log(bad(`✗ ${failed} of ${pushes.length} pushes did not go as expected`) + dim(` (${timing})`))
  return failed === 0 ? 0 : 1
}

// Everything the demo and the runs it starts create lands in one temp folder, removed at
// the end (createEstate and runAction put their folders under os.tmpdir()).
const scratch = mkdtempSync(path.join(tmpdir(), 'apd-demo-'))
process.env.TMPDIR = scratch
const cleanUp = () => rmSync(scratch, { recursive: true, force: true })
process.once('SIGINT', () => {
  cleanUp()
  process.exit(130)
})

let exitCode
try {
  exitCode = await main()
} catch (error) {
  console.error(bad(`demo failed: ${error instanceof Error ? error.message : String(error)}`))
  exitCode = 1
} finally {
  cleanUp()
}
process.exitCode = exitCode
