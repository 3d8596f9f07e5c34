import * as core from '@actions/core'
import { createGitRepository, detectChanges, type DeployedShaProviders } from './changes/index.js'
import { createCommandRunner, type CommandRunner } from './command-runner.js'
import { loadConfig, resolveEnvironment, type LoadedConfig, type ResolvedEnvironment } from './config.js'
import { DeployError, describeFailure } from './errors.js'
import { forcedParts, getInputs } from './inputs.js'
import type { Logger } from './logger.js'
import { buildPlan, formatPlan, partsToDeploy } from './plan.js'
import { writePlanOutputs, writeResult, writeSummary } from './report.js'
import { readRunContext } from './run-context.js'

/** The side effects `run()` goes through. `run()` builds the real ones; tests pass their own. */
export interface Dependencies {
  env: Readonly<Record<string, string | undefined>>
  runner: CommandRunner
  logger: Logger
  /** Readers of what each part has deployed on the chosen environment. */
  deployedShaProviders(config: LoadedConfig, environment: ResolvedEnvironment): DeployedShaProviders
}

const coreLogger: Logger = {
  info: message => core.info(message),
  warning: message => core.warning(message),
  debug: message => core.debug(message),
  group: (name, work) => core.group(name, work)
}

function realDependencies(): Dependencies {
  return { env: process.env, runner: createCommandRunner(), logger: coreLogger, deployedShaProviders: () => ({}) }
}

/** inputs → config → changes → plan → execute → report. */
export async function run(overrides: Partial<Dependencies> = {}): Promise<void> {
  const deps = { ...realDependencies(), ...overrides }
  const { logger } = deps
  try {
    const inputs = getInputs()
    const context = await readRunContext(deps.env)
    logger.info(`azure-push-deploy: ${context.eventName || 'run'} of ${context.sha} (${context.ref || 'no ref'})`)
    const loaded = await loadConfig(context.workspace, inputs.configPath)
    const environment = resolveEnvironment(loaded.config, inputs.environment, context.refInfo)
    logger.info(`environment: ${environment.name} (from ${environment.source})`)

    const git = createGitRepository(deps.runner, context.workspace)
    if (!(await git.hasCommit(context.sha))) {
      throw new DeployError(`the workspace ${context.workspace} is not a git checkout of ${context.sha}.`, 'Add `- uses: actions/checkout@v5` before this step (any fetch-depth works: missing commits are fetched by SHA).')
    }
    const { config } = loaded
    const changes = await logger.group('Detect changes', () =>
      detectChanges({
        parts: { backend: config.parts.backend?.paths, frontend: config.parts.frontend?.paths },
        sharedPaths: [...config.shared.paths, loaded.path],
        head: context.sha,
        baselineInput: inputs.baseline,
        forced: forcedParts(inputs.parts),
        eventBase: context.eventBase,
        providers: deps.deployedShaProviders(loaded, environment),
        git,
        logger
      })
    )

    const plan = buildPlan({ config, environment, changes, commit: context.sha, dryRun: inputs.dryRun, subscriptionId: inputs.subscriptionId })
    await logger.group('Plan', async () => logger.info(formatPlan(plan)))
    writePlanOutputs(plan)

    const toDeploy = partsToDeploy(plan)
    let result: 'planned' | 'skipped'
    if (plan.dryRun) result = 'planned'
    else if (toDeploy.length === 0) result = 'skipped'
    else {
      throw new DeployError(
        `this version of azure-push-deploy plans deploys but cannot run them yet (${toDeploy.join(' and ')} changed).`,
        "Set 'dry-run: true' to see the plan."
      )
    }
    writeResult(result)
    await writeSummary(plan, result)
    logger.info(result === 'planned' ? 'Dry run: nothing was built, uploaded or switched.' : 'Nothing changed since what is deployed: nothing to do.')
  } catch (error) {
    writeResult('failed')
    core.setFailed(`azure-push-deploy: ${describeFailure(error)}`)
  }
}
