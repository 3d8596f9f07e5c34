import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import * as core from '@actions/core'
import { resolveCloud } from './azure/cloud.js'
import { connectAzure, type AzureAccess, type AzureSession } from './azure/connect.js'
import { createGitRepository, detectChanges, type DeployedShaProviders, type DetectPart, type GitRepository } from './changes/index.js'
import { deployedShaProviders } from './deployed-state.js'
import { createCommandRunner, type CommandRunner } from './command-runner.js'
import { imageEnvironment, loadConfig, resolveEnvironment, type ImagePartConfig, type LoadedConfig, type ResolvedEnvironment } from './config.js'
import { DeployError, describeFailure } from './errors.js'
import { createGitHubDeployments, type GitHubDeployments } from './github/deployments.js'
import { forcedParts, getInputs, type ActionInputs } from './inputs.js'
import { inertLogText, quote, type Logger } from './logger.js'
import { buildPlan, formatPlan, partsToDeploy, type DeployPlan, type ImagePartPlan } from './plan.js'
import { httpProbe } from './backend/health.js'
import { overallResult, writeExecutionOutputs, writePlanOutputs, writeResult, writeSummary, type DeployResult } from './report.js'
import { readRunContext, type RunContext } from './run-context.js'

type Env = Readonly<Record<string, string | undefined>>

export type { AzureAccess }

/** The side effects `run()` goes through. `run()` builds the real ones; tests pass their own. */
export interface Dependencies {
  env: Env
  runner: CommandRunner
  logger: Logger
  /** A GitHub OIDC token for an audience (`core.getIDToken` on a runner). */
  getIdToken(audience: string): Promise<string>
  /** Readers of what each part has deployed; by default they ask Azure. */
  deployedShaProviders?(config: LoadedConfig, environment: ResolvedEnvironment, azure: AzureAccess): DeployedShaProviders
}

const coreLogger: Logger = {
  info: message => core.info(inertLogText(message)),
  warning: message => core.warning(message),
  debug: message => core.debug(message),
  group: (name, work) => core.group(name, work)
}

function realDependencies(): Dependencies {
  return { env: process.env, runner: createCommandRunner(), logger: coreLogger, getIdToken: audience => core.getIDToken(audience) }
}

/** The GitHub deployments of this run, unless the input turns them off or there is no token or repository. */
export function githubDeployments(inputs: Pick<ActionInputs, 'githubDeployments' | 'githubToken'>, context: RunContext, env: Env, logger: Logger): GitHubDeployments | undefined {
  if (!inputs.githubDeployments || !inputs.githubToken || !context.repository) return undefined
  return createGitHubDeployments({ token: inputs.githubToken, apiUrl: env.GITHUB_API_URL || 'https://api.github.com', repository: context.repository, runUrl: context.runUrl, logger })
}

/** Every secret this run has masked, so the job summary (which the runner does not filter) can leave them out. */
function secretRegistry() {
  const secrets = new Set<string>()
  return {
    setSecret(value: string) {
      if (value === '') return
      core.setSecret(value)
      secrets.add(value)
    },
    scrub(text: string) {
      let scrubbed = text
      for (const secret of [...secrets].sort((a, b) => b.length - a.length)) scrubbed = scrubbed.split(secret).join('***')
      return scrubbed
    }
  }
}

/** The parts as detection sees them: a part that runs another's image changes with that part's files too. */
function detectionParts(loaded: LoadedConfig, environment: ResolvedEnvironment): DetectPart[] {
  const { parts } = loaded.config
  return Object.entries(parts).map(([name, part]) => {
    if (part.kind === 'site') return { name, paths: [part.paths] }
    const source = (part['image-from'] ? parts[part['image-from']] : part) as ImagePartConfig
    const own = part['image-from'] ? (part.paths ?? []) : []
    const release = imageEnvironment(environment.settings, name).release
    // The release step depends on the image's own files unless the config names others: a change
    // to a shared path alone (the config, the workflow) deploys the part but migrates nothing.
    return { name, paths: [source.paths ?? [], ...(own.length > 0 ? [own] : [])], releasePaths: release ? (release.paths ?? source.paths ?? []) : undefined }
  })
}

/** The commits an image part's targets run now, read again under the lock (newest wins): one read per target. */
async function liveCommitsReader(azure: AzureSession): Promise<(part: ImagePartPlan) => Promise<string[]>> {
  const [{ createWebAppControl }, { commitOfImage }] = await Promise.all([import('./backend/web-app-control.js'), import('./backend/image-reference.js')])
  const control = createWebAppControl(azure.clients)
  return async part => {
    const live = part.targets.map(target => (part.strategy === 'slot-swap' ? { ...target, slot: undefined } : target))
    const images = await Promise.all(live.map(target => control.currentImage(target)))
    return images.flatMap(image => {
      const commit = image && commitOfImage(image, part.registry, part.repository)
      return commit ? [commit] : []
    })
  }
}

/** inputs → config → changes → plan → execute → report. The `post:` step repairs what a cancelled run left. */
export async function run(overrides: Partial<Dependencies> = {}): Promise<void> {
  if (core.getState('isPost') === 'true') {
    const { runPost } = await import('./post.js')
    return runPost({ ...realDependencies(), ...overrides })
  }
  core.saveState('isPost', 'true')
  const deps = { ...realDependencies(), ...overrides }
  const { logger } = deps
  const secrets = secretRegistry()
  // A rolled-back deploy fails the step but keeps `rolled-back` as its result.
  let result: DeployResult | undefined
  try {
    const inputs = getInputs()
    const context = await readRunContext(deps.env)
    logger.info(`azure-push-deploy: ${context.eventName || 'run'} of ${context.sha} (${context.ref ? quote(context.ref) : 'no ref'})`)
    const loaded = await loadConfig(context.workspace, inputs.configPath)
    const environment = resolveEnvironment(loaded.config, inputs.environment, context.refInfo)
    logger.info(`environment: ${environment.name} (from ${environment.source})`)
    const forced = inputs.rollbackTo ? siteNames(loaded) : forcedParts(inputs.parts, Object.keys(loaded.config.parts))

    const git = createGitRepository(deps.runner, context.workspace)
    if (!(await git.hasCommit(context.sha))) {
      throw new DeployError(`the workspace ${context.workspace} is not a git checkout of ${context.sha}.`, 'Add `- uses: actions/checkout@v5` before this step (any fetch-depth works: missing commits are fetched by SHA).')
    }
    const azure = await connectAzure(inputs, resolveCloud(loaded.config.cloud), { env: deps.env, logger, getIdToken: deps.getIdToken, setSecret: secrets.setSecret })
    const github = githubDeployments(inputs, context, deps.env, logger)
    const providers = deps.deployedShaProviders ? deps.deployedShaProviders(loaded, environment, azure) : await deployedShaProviders(loaded, environment, azure, { subscriptionId: inputs.subscriptionId, github, logger })

    const { config } = loaded
    const changes = await logger.group('Detect changes', () =>
      detectChanges({
        parts: detectionParts(loaded, environment),
        sharedPaths: [...config.shared.paths, loaded.path],
        head: context.sha,
        baselineInput: inputs.baseline,
        forced,
        eventBase: context.eventBase,
        providers,
        git,
        logger
      })
    )
    if ('unavailable' in azure) logger.warning(withoutAzureWarning(changes, azure.unavailable))

    const plan = buildPlan({ config, environment, changes, commit: context.sha, dryRun: inputs.dryRun, subscriptionId: inputs.subscriptionId, rollbackTo: inputs.rollbackTo, env: deps.env })
    await logger.group('Plan', async () => {
      logger.info(formatPlan(plan))
      if ('clients' in azure && plan.parts.some(part => part.kind === 'image' && part.deploy)) {
        const [{ previewSettings }, { createWebAppControl }] = await Promise.all([import('./deploy/settings-preview.js'), import('./backend/web-app-control.js')])
        for (const line of await previewSettings(plan, createWebAppControl(azure.clients), deps.env)) logger.info(line)
      }
    })
    for (const warning of plan.warnings) logger.warning(warning)
    writePlanOutputs(plan)

    if (plan.dryRun || partsToDeploy(plan).length === 0) {
      result = plan.dryRun ? 'planned' : 'skipped'
      writeResult(result)
      await writeSummary(plan, result, undefined, secrets.scrub)
      logger.info(result === 'planned' ? 'Dry run: nothing was built, uploaded or switched.' : 'Nothing changed since what is deployed: nothing to do.')
      return
    }
    if ('unavailable' in azure) throw azure.unavailable
    const deployed = await deploy(plan, { inputs, context, azure, git, github, forced: forced ?? [], secrets, deps })
    result = deployed.result
    if (deployed.failure) throw deployed.failure
  } catch (error) {
    if (!result) writeResult('failed')
    core.setFailed(`azure-push-deploy: ${describeFailure(error)}`)
  }
}

/** Execute the plan, as one transaction, with the journal the post step reads and the signals trapped. */
async function deploy(
  plan: DeployPlan,
  run: { inputs: ActionInputs; context: RunContext; azure: AzureSession; git: GitRepository; github?: GitHubDeployments; forced: readonly string[]; secrets: ReturnType<typeof secretRegistry>; deps: Dependencies }
): Promise<{ result: DeployResult; failure?: DeployError }> {
  const { inputs, context, azure, deps, secrets } = run
  const { logger } = deps
  const tempDir = deps.env.RUNNER_TEMP || tmpdir()
  const [{ createJournal }, { trapCancellation }, { executePlan }] = await Promise.all([import('./deploy/journal.js'), import('./deploy/cancel.js'), import('./deploy/execute.js')])
  const journal = createJournal(tempDir, { environment: plan.environment, commit: plan.commit, cloud: azure.cloud })
  core.saveState('journal', journal.path)
  const signals = trapCancellation(inputs.deadlineMinutes * 60_000, name => logger.warning(`${name}: stopping; whatever switched goes back (the post step finishes what this step cannot)`))
  try {
    const report = await executePlan(
      plan,
      { workspace: context.workspace, commit: context.sha, sourceUrl: context.repository ? `${context.serverUrl}/${context.repository}` : undefined, runUrl: context.runUrl },
      {
        runner: deps.runner,
        logger,
        env: deps.env,
        tempDir,
        setSecret: secrets.setSecret,
        fetch,
        azure,
        git: run.git,
        registryCredentials: { username: inputs.registryUsername, password: inputs.registryPassword },
        verify: { probe: httpProbe, sleep: (ms, signal) => sleep(ms, undefined, { signal }), now: () => Date.now() },
        github: run.github,
        journal,
        signal: signals.signal,
        allowMassDelete: inputs.allowMassDelete,
        liveCommits: await liveCommitsReader(azure),
        deliberate: run.forced
      }
    )
    const result = overallResult(report)
    writeExecutionOutputs(plan, report)
    writeResult(result)
    await writeSummary(plan, result, report, secrets.scrub)
    // Nothing left to repair: the lock released, credentials deleted, every target either serving the new release or back.
    journal.update(data => {
      data.finished = data.rollout?.state !== 'switching' || data.rollout.units.every(unit => !unit.changed || unit.restored)
    })
    if (result === 'superseded') logger.warning('A newer release is live: nothing was deployed.')
    return { result, failure: report.failure }
  } finally {
    signals.dispose()
  }
}

function siteNames(loaded: LoadedConfig): string[] {
  return Object.entries(loaded.config.parts).flatMap(([name, part]) => (part.kind === 'site' ? [name] : []))
}

/** The one warning of a dry run without Azure, saying what each part was really compared with. */
function withoutAzureWarning(changes: readonly { part: string; reason: string }[], why: unknown): string {
  const bases = changes.map(change => `${change.part}: ${change.reason === 'deployed' ? 'its last successful GitHub deployment' : change.reason === 'before' ? "the event's previous commit" : change.reason}`)
  return `Dry run without Azure: what the targets run cannot be read (a real run compares each part with them, so it may deploy other parts than planned here). Compared instead — ${bases.join('; ')}. Why: ${describeFailure(why)}`
}
