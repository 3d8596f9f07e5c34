/**
 * The deployed-SHA providers decide the baseline: run() in process, on real repositories,
 * with providers standing where the backend and frontend readers of live targets plug in.
 */
import { afterAll, afterEach, describe, expect, test } from '@jest/globals'
import { run } from '../src/main.js'
import type { DeployedShaProvider } from '../src/changes/index.js'
import type { Logger } from '../src/logger.js'
import { createEstate } from '../scripts/lib/git-fixture.mjs'
import { pushPayload, runnerEnvironment } from '../scripts/lib/action-runner.mjs'
import { ESTATE_FILES, SUBSCRIPTION } from './estate-config.js'

type Estate = ReturnType<typeof createEstate>
const estates: Estate[] = []
const originalEnv = { ...process.env }
// @actions/core keeps the first GITHUB_STEP_SUMMARY path of the process, so the runner
// folders live until every in-process run is done.
const runnerTemps: (() => void)[] = []
afterAll(() => runnerTemps.forEach(dispose => dispose()))

afterEach(() => {
  while (estates.length) estates.pop()!.dispose()
  process.env = { ...originalEnv }
  process.exitCode = undefined
})

function collectingLogger() {
  const lines: { level: string; message: string }[] = []
  const logger: Logger = {
    info: message => lines.push({ level: 'info', message }),
    warning: message => lines.push({ level: 'warning', message }),
    debug: () => undefined,
    group: async (_name, work) => work()
  }
  return { logger, lines }
}

const provider = (deployed: string | string[] | undefined | Error, unknown: string[] = []): DeployedShaProvider => ({
  source: 'test targets',
  deployedCommits: async () => {
    if (deployed instanceof Error) throw deployed
    return { commits: deployed === undefined ? [] : [deployed].flat(), unknown }
  }
})

/**
 * History: A deployed; B changes the frontend but its deploy failed (A stays live);
 * C changes the backend and is pushed with before = B.
 */
function historyWithFailedDeploy() {
  const estate = createEstate({ files: ESTATE_FILES })
  estates.push(estate)
  const deployed = estate.head()
  estate.push('main')
  const failed = estate.commit({ 'frontend/src/App.jsx': 'never went live\n' })
  estate.push('main')
  const head = estate.commit({ 'backend/app.py': 'print("v3")\n' })
  const before = estate.push('main')
  return { estate, deployed, failed, head, before }
}

async function runInProcess(estate: Estate, head: string, before: string, providers: Record<string, DeployedShaProvider>, inputs: Record<string, string> = {}) {
  const runner = runnerEnvironment({
    workspace: estate.checkout(head),
    sha: head,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: head }) },
    inputs: { 'subscription-id': SUBSCRIPTION, ...inputs }
  })
  process.env = { ...originalEnv, ...runner.env }
  const { logger, lines } = collectingLogger()
  await run({ env: process.env, logger, deployedShaProviders: () => providers })
  runnerTemps.push(runner.dispose)
  return { ...runner.results(), lines }
}

describe('baseline from what is deployed', () => {
  test('a deployed SHA older than before: the failed deploy’s changes count too', async () => {
    const { estate, deployed, head, before } = historyWithFailedDeploy()
    const { outputs } = await runInProcess(estate, head, before, { backend: provider(deployed), frontend: provider(deployed) }, { 'dry-run': 'true' })
    expect(JSON.parse(outputs.changed!)).toEqual(['backend', 'frontend'])
    expect(outputs['frontend-reason']).toBe('deployed')
    expect(outputs['frontend-base']).toBe(deployed)
    expect(outputs['backend-base']).toBe(deployed)
  })

  test('the same push compared with before alone misses the frontend', async () => {
    const { estate, head, before, failed } = historyWithFailedDeploy()
    expect(before).toBe(failed)
    const { outputs } = await runInProcess(estate, head, before, {}, { 'dry-run': 'true' })
    expect(JSON.parse(outputs.changed!)).toEqual(['backend'])
    expect(outputs['frontend-reason']).toBe('before')
  })

  test('what is deployed is already the head: nothing changed', async () => {
    const { estate, head, before } = historyWithFailedDeploy()
    const { outputs } = await runInProcess(estate, head, before, { backend: provider(head), frontend: provider(head) }, { 'dry-run': 'true' })
    expect(outputs.changed).toBe('[]')
    expect([outputs['backend-reason'], outputs['backend-base']]).toEqual(['deployed', head])
    expect(process.exitCode).toBeUndefined()
  })

  test('a provider that cannot read the targets: a warning, then the event’s before', async () => {
    const { estate, head, before } = historyWithFailedDeploy()
    const { outputs, lines } = await runInProcess(estate, head, before, { frontend: provider(new Error('403 Forbidden')) }, { 'dry-run': 'true' })
    expect(outputs['frontend-reason']).toBe('before')
    expect(outputs['frontend-base']).toBe(before)
    expect(lines).toContainEqual({ level: 'warning', message: expect.stringContaining('403 Forbidden') })
  })

  test('nothing of ours deployed yet: falls back to before', async () => {
    const { estate, head, before } = historyWithFailedDeploy()
    const { outputs } = await runInProcess(estate, head, before, { backend: provider(undefined) }, { 'dry-run': 'true' })
    expect(outputs['backend-reason']).toBe('before')
  })

  test('a deployed SHA the remote no longer has: the part counts as changed', async () => {
    const { estate, head, before } = historyWithFailedDeploy()
    const gone = 'f'.repeat(40)
    const { outputs } = await runInProcess(estate, head, before, { frontend: provider(gone) }, { 'dry-run': 'true' })
    expect(outputs['frontend-changed']).toBe('true')
    expect(outputs['frontend-reason']).toBe('baseline-unavailable')
    expect(outputs['frontend-base']).toBe(gone)
  })

  test('parts deployed at different commits: each base is fetched into the shallow clone', async () => {
    const { estate, deployed, failed, head, before } = historyWithFailedDeploy()
    for (let attempt = 0; attempt < 3; attempt++) {
      const { outputs } = await runInProcess(estate, head, before, { backend: provider(deployed), frontend: provider(failed) }, { 'dry-run': 'true' })
      expect([outputs['backend-reason'], outputs['backend-base']]).toEqual(['deployed', deployed])
      expect([outputs['frontend-reason'], outputs['frontend-base']]).toEqual(['deployed', failed])
      expect(JSON.parse(outputs.changed!)).toEqual(['backend'])
    }
  })

  test('targets that run different commits: the part differs if it differs from any; the base is the oldest', async () => {
    const { estate, deployed, failed, head, before } = historyWithFailedDeploy()
    // backend: one target on the head, one on the first commit: the older one still needs the backend change
    const { outputs } = await runInProcess(estate, head, before, { backend: provider([head, deployed]), frontend: provider([failed, head]) }, { 'dry-run': 'true' })
    expect([outputs['backend-changed'], outputs['backend-reason'], outputs['backend-base']]).toEqual(['true', 'deployed', deployed])
    // frontend: both commits already hold the head's frontend
    expect([outputs['frontend-changed'], outputs['frontend-reason'], outputs['frontend-base']]).toEqual(['false', 'deployed', failed])
  })

  test('a target that runs nothing this action deployed: the part is deployed', async () => {
    const { estate, head, before } = historyWithFailedDeploy()
    const { outputs } = await runInProcess(estate, head, before, { frontend: provider([head], ['webprod/$web']) }, { 'dry-run': 'true' })
    expect([outputs['frontend-changed'], outputs['frontend-reason'], outputs['frontend-base']]).toEqual(['true', 'not-deployed', ''])
  })

  test('the baseline input wins over what is deployed', async () => {
    const { estate, head, before, failed } = historyWithFailedDeploy()
    let asked = false
    const watching: DeployedShaProvider = { source: 'test targets', deployedCommits: async () => ((asked = true), { commits: [head], unknown: [] }) }
    const { outputs } = await runInProcess(estate, head, before, { frontend: watching }, { 'dry-run': 'true', baseline: failed })
    expect(outputs['frontend-reason']).toBe('input')
    expect(outputs['frontend-base']).toBe(failed)
    expect(asked).toBe(false)
  })
})
