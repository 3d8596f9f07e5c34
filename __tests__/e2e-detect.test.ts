/**
 * The bundled action, run as a GitHub runner runs it, on real repositories: a bare origin
 * that receives real pushes, and a depth-1 checkout of each pushed commit.
 */
import { afterEach, describe, expect, test } from '@jest/globals'
import { createEstate, ZERO_SHA } from '../scripts/lib/git-fixture.mjs'
import { pushPayload, runAction as runBundledAction, RUNNER_TOKEN } from '../scripts/lib/action-runner.mjs'
import { ESTATE_FILES, SUBSCRIPTION } from './estate-config.js'

type Estate = ReturnType<typeof createEstate>

interface Scenario {
  /** Builds history and returns what the runner would see for the last push. */
  push(estate: Estate): { sha: string; ref: string; event: { name: string; payload: object }; inputs?: Record<string, string> }
  changed: string[]
  /** `before` and `input` stand for the push's before and the baseline input. */
  backend: { base: string; reason: string }
  frontend: { base: string; reason: string }
  environment?: string
}

const CLIENT_SECRET = 'client~Secret.ForTests-0123456789'

/**
 * Every run of the bundled action here also passes a client secret, and its captured logs
 * logs, outputs and summary are scanned: a secret may appear only in its ::add-mask:: command.
 */
async function runAction(options: Parameters<typeof runBundledAction>[0]) {
  const run = await runBundledAction({ ...options, inputs: { 'client-secret': CLIENT_SECRET, ...options.inputs } })
  const logs = `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  for (const secret of [RUNNER_TOKEN, CLIENT_SECRET]) {
    expect(logs).not.toContain(secret)
    expect(JSON.stringify(run.outputs) + run.summary).not.toContain(secret)
    expect(run.stdout).toContain(`::add-mask::${secret}`)
  }
  return run
}

const estates: Estate[] = []
afterEach(() => {
  while (estates.length) estates.pop()!.dispose()
})

/** Start an estate with its first commit already on origin/main; returns the estate. */
function startEstate(): Estate {
  const estate = createEstate({ files: ESTATE_FILES })
  estate.push('main')
  estates.push(estate)
  return estate
}

/** Commit, push to a branch, and describe the push event as GitHub would. */
function pushed(estate: Estate, changes: Record<string, string | null>, { branch = 'main', force = false, message = 'change' } = {}) {
  const sha = estate.commit(changes, message)
  const ref = `refs/heads/${branch}`
  const before = estate.push(branch, { force })
  return { sha, ref, event: { name: 'push', payload: pushPayload({ ref, before, after: sha, forced: force, message }) } }
}

const BEFORE = { base: 'before', reason: 'before' }
const NO_BASELINE = { base: '', reason: 'no-baseline' }

const scenarios: Record<string, Scenario> = {
  'backend only': {
    push: e => pushed(e, { 'backend/app.py': 'print("v2")\n' }),
    changed: ['backend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'frontend only': {
    push: e => pushed(e, { 'frontend/src/App.jsx': 'export default () => "v2"\n' }),
    changed: ['frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'both parts': {
    push: e => pushed(e, { 'backend/app.py': 'print("v2")\n', 'frontend/src/App.jsx': 'x\n' }),
    changed: ['backend', 'frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'docs only, with !**/*.md excluded': {
    push: e => pushed(e, { 'backend/README.md': '# API v2\n', 'frontend/NOTES.md': 'n\n', 'docs/guide.md': '# v2\n' }),
    changed: [],
    backend: BEFORE,
    frontend: BEFORE
  },
  'a shared path: the config file itself': {
    push: e => pushed(e, { '.github/azure-deploy.yml': `${ESTATE_FILES['.github/azure-deploy.yml']}# tuned\n` }),
    changed: ['backend', 'frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'a shared path from shared.paths (package-lock.json)': {
    push: e => pushed(e, { 'package-lock.json': '{"lockfileVersion":3}\n' }),
    changed: ['backend', 'frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'first push of a new branch (before is all zeros)': {
    push: e => {
      e.branch('feature/login')
      return pushed(e, { 'frontend/src/Login.jsx': 'login\n' }, { branch: 'feature/login' })
    },
    changed: ['backend', 'frontend'],
    backend: NO_BASELINE,
    frontend: NO_BASELINE,
    environment: 'dev'
  },
  'force push that drops a commit which touched the frontend': {
    push: e => {
      const start = e.head()
      pushed(e, { 'frontend/src/App.jsx': 'deployed-then-dropped\n' })
      e.branch('main', start)
      return pushed(e, { 'backend/app.py': 'print("rewritten")\n' }, { force: true })
    },
    changed: ['backend', 'frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'a merge commit brings in a branch that changed the frontend': {
    push: e => {
      const start = e.head()
      e.branch('feature/ui')
      e.commit({ 'frontend/src/Button.jsx': 'button\n' }, 'ui')
      e.branch('main', start)
      e.commit({ 'docs/guide.md': '# merged\n' }, 'docs')
      e.push('main')
      e.git(['merge', '--no-ff', '--quiet', '-m', 'Merge feature/ui', 'feature/ui'])
      const sha = e.head()
      const before = e.push('main')
      return { sha, ref: 'refs/heads/main', event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha, message: 'Merge feature/ui' }) } }
    },
    changed: ['frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'a tag push (new tag: before is all zeros; environment from tags)': {
    push: e => {
      const sha = e.commit({ 'backend/app.py': 'print("1.0")\n' }, 'release')
      e.push('main')
      e.tag('v1.0.0')
      const ref = 'refs/tags/v1.0.0'
      return { sha, ref, event: { name: 'push', payload: pushPayload({ ref, before: ZERO_SHA, after: sha }) } }
    },
    changed: ['backend', 'frontend'],
    backend: NO_BASELINE,
    frontend: NO_BASELINE,
    environment: 'prod'
  },
  'workflow_dispatch (no before)': {
    push: e => {
      const sha = e.commit({ 'backend/app.py': 'print("manual")\n' })
      e.push('main')
      return { sha, ref: 'refs/heads/main', event: { name: 'workflow_dispatch', payload: { ref: 'refs/heads/main', inputs: {}, repository: { full_name: 'octo-org/estate' }, sender: { login: 'octocat' } } } }
    },
    changed: ['backend', 'frontend'],
    backend: NO_BASELINE,
    frontend: NO_BASELINE
  },
  'schedule (no before)': {
    push: e => {
      const sha = e.head()
      return { sha, ref: 'refs/heads/main', event: { name: 'schedule', payload: { schedule: '0 3 * * *', repository: { full_name: 'octo-org/estate' } } } }
    },
    changed: ['backend', 'frontend'],
    backend: NO_BASELINE,
    frontend: NO_BASELINE
  },
  'a rename from frontend/ to backend/': {
    push: e => {
      e.git(['mv', 'frontend/src/App.jsx', 'backend/App.jsx'])
      return pushed(e, {}, { message: 'move' })
    },
    changed: ['backend', 'frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'file names with a space and with Hangul': {
    push: e => pushed(e, { 'frontend/src/my page.jsx': 'space\n', 'backend/한글 모듈.py': 'hangul\n' }),
    changed: ['backend', 'frontend'],
    backend: BEFORE,
    frontend: BEFORE
  },
  'a baseline input older than before': {
    push: e => {
      const first = e.head()
      pushed(e, { 'frontend/src/App.jsx': 'earlier\n' })
      const last = pushed(e, { 'backend/app.py': 'print("later")\n' })
      return { ...last, inputs: { baseline: first } }
    },
    changed: ['backend', 'frontend'],
    backend: { base: 'input', reason: 'input' },
    frontend: { base: 'input', reason: 'input' }
  },
  'parts: backend forces the backend and leaves the frontend out': {
    push: e => ({ ...pushed(e, { 'docs/guide.md': 'x\n' }), inputs: { parts: 'backend' } }),
    changed: ['backend'],
    backend: { base: '', reason: 'forced-by-input' },
    frontend: { base: '', reason: 'excluded-by-input' }
  }
}

describe('change detection through the bundled action', () => {
  test.each(Object.entries(scenarios))('%s', async (_name, scenario) => {
    const estate = startEstate()
    const push = scenario.push(estate)
    const baselineInput = push.inputs?.baseline
    const workspace = estate.checkout(push.sha, push.ref)
    const run = await runAction({
      workspace,
      sha: push.sha,
      ref: push.ref,
      event: push.event,
      inputs: { 'dry-run': 'true', 'subscription-id': SUBSCRIPTION, ...push.inputs }
    })
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const { outputs } = run
    const before = (push.event.payload as { before?: string }).before
    const expectedBase = (spec: Scenario['backend']) => {
      if (spec.base === 'before') return before
      if (spec.base === 'input') return baselineInput
      return spec.base
    }
    expect(JSON.parse(outputs.changed!)).toEqual(scenario.changed)
    expect(outputs['backend-changed']).toBe(String(scenario.changed.includes('backend')))
    expect(outputs['frontend-changed']).toBe(String(scenario.changed.includes('frontend')))
    expect(outputs['backend-reason']).toBe(scenario.backend.reason)
    expect(outputs['frontend-reason']).toBe(scenario.frontend.reason)
    expect(outputs['backend-base']).toBe(expectedBase(scenario.backend))
    expect(outputs['frontend-base']).toBe(expectedBase(scenario.frontend))
    expect(outputs.environment).toBe(scenario.environment ?? 'prod')
    expect(outputs.result).toBe('planned')
  })
})

describe('what the runner shows', () => {
  test('odd file names reach the plan verbatim and cannot inject workflow commands', async () => {
    const estate = startEstate()
    const evil = 'frontend/src/evil\n::set-output name=result::deployed\n::error::pwned.js'
    const push = pushed(estate, { 'frontend/src/my page.jsx': 'space\n', 'backend/한글 모듈.py': 'hangul\n', [evil]: 'x\n' })
    const run = await runAction({ workspace: estate.checkout(push.sha), sha: push.sha, event: push.event, inputs: { 'dry-run': 'true', 'subscription-id': SUBSCRIPTION } })
    expect(run.exitCode).toBe(0)
    const plan = JSON.parse(run.outputs.plan!) as { parts: { part: string; change: { examples: string[] } }[] }
    const examples = plan.parts.flatMap(p => p.change.examples)
    expect(examples).toEqual(expect.arrayContaining(['frontend/src/my page.jsx', 'backend/한글 모듈.py', evil]))
    expect(run.outputs.result).toBe('planned')
    const commandLines = run.stdout.split('\n').filter(line => line.startsWith('::'))
    expect(commandLines.filter(line => !/^::(add-mask|group|endgroup)::|^::warning::Dry run without Azure/.test(line))).toEqual([])
    expect(run.stdout).toContain(JSON.stringify(evil))
    expect(run.summary).toContain('한글 모듈.py')
  })
})

describe('mistakes fail the step before anything happens, saying what to change', () => {
  const failures: [string, Record<string, string>, Record<string, string | null>, RegExp[]][] = [
    ['an unknown environment', { environment: 'staging' }, {}, [/environment "staging" is not defined/, /Known environments: dev \(branch master_dev, branch feature\/\*\); prod/, /Set 'environment:' to one of dev, prod/]],
    ['parts: fronted', { parts: 'fronted' }, {}, [/input 'parts' names "fronted", which the config does not have\. Its parts: backend, frontend\./, /Set 'parts:' to auto, all, or some of those names/]],
    ['a branch name as baseline', { baseline: 'main' }, {}, [/input 'baseline' is "main", which is not a full commit SHA/]],
    ['a missing config file', { config: '.github/deploy.yml' }, {}, [/config file \.github\/deploy\.yml was not found/, /actions\/checkout/]],
    ['a broken config', {}, { '.github/azure-deploy.yml': 'parts:\n  backend:\n    paths: [backend/**\n' }, [/is not valid YAML/, /line \d+/]],
    ['a config with a typo in a target', {}, { '.github/azure-deploy.yml': ESTATE_FILES['.github/azure-deploy.yml']!.replace('resource-group: rg-dev', 'resource_group: rg-dev') }, [/environments\.dev\.backend\.targets\[0\]\.resource_group \(line \d+\): unknown key/, /target keys are subscription, resource-group, app, slot/]]
  ]
  test.each(failures)('%s', async (_name, inputs, changes, messages) => {
    const estate = startEstate()
    const push = pushed(estate, { 'backend/app.py': 'print("v2")\n', ...changes })
    const run = await runAction({ workspace: estate.checkout(push.sha), sha: push.sha, event: push.event, inputs: { 'subscription-id': SUBSCRIPTION, ...inputs } })
    expect(run.exitCode).toBe(1)
    const error = run.stdout.split('::error::')[1] ?? ''
    for (const message of messages) expect(error).toMatch(message)
    expect(run.outputs.result).toBe('failed')
    expect(run.outputs.plan).toBeUndefined()
  })

  test('a workspace that is not a checkout', async () => {
    const estate = startEstate()
    const push = pushed(estate, { 'backend/app.py': 'print("v2")\n' })
    estate.git(['tag', 'unused'])
    const run = await runAction({ workspace: estate.work, sha: 'a'.repeat(40), event: push.event, inputs: { 'dry-run': 'true' } })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/::error::azure-push-deploy: the workspace .* is not a git checkout of a{40}/)
    expect(run.stdout).toContain('actions/checkout')
  })

  test('a deploy target with no subscription anywhere: a dry run still plans, saying what a real run needs', async () => {
    const estate = startEstate()
    const push = pushed(estate, { 'backend/app.py': 'print("v2")\n' })
    const dry = await runAction({ workspace: estate.checkout(push.sha), sha: push.sha, event: push.event, inputs: { 'dry-run': 'true' } })
    expect(dry.exitCode).toBe(0)
    expect(dry.outputs.result).toBe('planned')
    expect(dry.stdout).toMatch(/::warning::environments\.prod\.backend\.targets\[0\] names no subscription and the 'subscription-id' input is empty: a real run would stop here\. Set 'subscription-id:'/)
    // One warning for what the dry run could not read, one for the missing subscription: no more.
    expect(dry.stdout.split('\n').filter(line => line.startsWith('::warning::'))).toHaveLength(2)
  })
})
