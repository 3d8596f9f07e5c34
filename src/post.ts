/**
 * The `post:` step: runs after the job's steps, also when the job was cancelled or failed.
 * It reads the journal the main step left and repairs what that step could not finish:
 * targets switched to a release that was never verified go back (and are proven back), the
 * environment's lock is released, the private Docker configs are deleted, GitHub deployments
 * still in progress end as failed. A main step that finished on its own leaves nothing to do.
 */
import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import * as core from '@actions/core'
import { connectAzure } from './azure/connect.js'
import { httpProbe } from './backend/health.js'
import { resourceManagerScope } from './azure/cloud.js'
import { describeFailure } from './errors.js'
import { getInputs } from './inputs.js'
import type { Dependencies } from './main.js'
import { githubDeployments } from './main.js'
import { readRunContext } from './run-context.js'
import { readJournal, type JournalData } from './deploy/journal.js'

export async function runPost(deps: Dependencies): Promise<void> {
  const { logger } = deps
  const file = core.getState('journal')
  const journal = file ? readJournal(file) : undefined
  if (!journal || journal.finished) {
    logger.info('azure-push-deploy post step: the deploy finished on its own; nothing to repair.')
    return
  }
  const done: string[] = []
  const problems: string[] = []
  try {
    await logger.group('Repair what the deploy left (it was cancelled or stopped)', async () => {
      await rollBack(journal, deps, done, problems)
      await releaseLock(journal, deps, done, problems)
      for (const directory of journal.dockerConfigs) {
        await rm(directory, { recursive: true, force: true })
        done.push(`deleted the registry credentials in ${directory}`)
      }
      await finishDeployments(journal, deps, done)
    })
  } catch (error) {
    problems.push(describeFailure(error))
  }
  for (const line of done) logger.info(line)
  if (process.env.GITHUB_STEP_SUMMARY) {
    const summary = core.summary.addHeading('azure-push-deploy post step', 3)
    summary.addList([...done, ...problems.map(problem => `not repaired: ${problem}`)].map(escapeHtml))
    await summary.write()
  }
  if (problems.length > 0) core.setFailed(`azure-push-deploy post step: ${problems.join('; ')}`)
}

function escapeHtml(untrusted: string): string {
  return untrusted.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** Sign in as the main step did (same inputs, same OIDC), on the cloud the journal names. */
async function signIn(journal: JournalData, deps: Dependencies) {
  const inputs = getInputs()
  const azure = await connectAzure({ ...inputs, dryRun: false }, journal.cloud, { env: deps.env, logger: deps.logger, getIdToken: deps.getIdToken, setSecret: core.setSecret })
  if ('unavailable' in azure) throw azure.unavailable
  return azure
}

async function rollBack(journal: JournalData, deps: Dependencies, done: string[], problems: string[]): Promise<void> {
  const rollout = journal.rollout
  const pending = rollout && rollout.state === 'switching' ? rollout.units.filter(entry => entry.changed && !entry.restored) : []
  if (pending.length === 0) return
  const azure = await signIn(journal, deps)
  const [{ createWebAppControl }, { restoreUnit }, { targetName }] = await Promise.all([import('./backend/web-app-control.js'), import('./backend/rollout.js'), import('./backend/web-app-state.js')])
  const control = createWebAppControl(azure.clients)
  const verify = { probe: httpProbe, sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }), now: () => Date.now() }
  const platform = { token: async () => (await azure.credential.getToken(resourceManagerScope(azure.cloud)))?.token ?? '', fetch }
  await Promise.all(
    pending.map(async entry => {
      const name = targetName(entry.unit.target)
      const result = await restoreUnit(entry.unit, { previous: entry.previous, production: entry.production }, { control, verify, platform })
      if (result.ok) done.push(`${name}: back on ${entry.previous.image ?? 'what it ran before'}, proven`)
      else problems.push(`${name}: ${result.reason}`)
    })
  )
}

async function releaseLock(journal: JournalData, deps: Dependencies, done: string[], problems: string[]): Promise<void> {
  const lock = journal.lock
  if (!lock || lock.released) return
  try {
    const azure = await signIn(journal, deps)
    const { releaseDeployLock } = await import('./deploy/lock.js')
    const outcome = await releaseDeployLock(lock, azure.credential, lock.leaseId)
    done.push(outcome === 'released' ? `released the deploy lock ${lock.container}/${lock.blob}` : `the deploy lock ${lock.container}/${lock.blob} was no longer held by this run`)
  } catch (error) {
    problems.push(`the deploy lock ${lock.container}/${lock.blob} (it lapses by itself within a minute): ${describeFailure(error)}`)
  }
}

async function finishDeployments(journal: JournalData, deps: Dependencies, done: string[]): Promise<void> {
  const open = journal.deployments.filter(deployment => !deployment.finished)
  if (open.length === 0) return
  const inputs = getInputs()
  const context = await readRunContext(deps.env)
  const github = githubDeployments(inputs, context, deps.env, deps.logger)
  if (!github) return
  for (const deployment of open) {
    await github.finish(deployment.id, deployment.environment, 'failure', { description: 'failure: the run was cancelled or stopped before this part finished' })
    done.push(`GitHub deployment ${deployment.environment} marked failed`)
  }
}
