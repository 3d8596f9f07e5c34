import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import * as core from '@actions/core'
import { resolveCloud } from './azure/cloud.js'
import { connectAzure, type AzureAccess } from './azure/connect.js'
import { createGitRepository, detectChanges, type DeployedShaProviders } from './changes/index.js'
import { deployedShaProviders } from './deployed-state.js'
import { createCommandRunner, type CommandRunner } from './command-runner.js'
import { loadConfig, resolveEnvironment, type LoadedConfig, type ResolvedEnvironment } from './config.js'
import { DeployError, describeFailure } from './errors.js'
import { createGitHubDeployments, type DeploymentOutcome, type GitHubDeployments } from './github/deployments.js'
import { forcedParts, getInputs, type ActionInputs } from './inputs.js'
import { inertLogText, quote, type Logger } from './logger.js'
import { buildPlan, formatPlan, partsToDeploy, type BackendPlan, type FrontendPlan } from './plan.js'
import type { BackendDeployResult } from './backend/deploy.js'
import type { FrontendDeployResult } from './frontend/deploy.js'
import { httpProbe } from './backend/health.js'
import { backendDeploymentStatus, backendResult, frontendDeploymentStatus, writeBackendOutputs, writeFrontendOutputs, writePlanOutputs, writeResult, writeSummary, type DeployResult } from './report.js'
import { readRunContext, type RunContext } from './run-context.js'
import type { PartName } from './parts.js'

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
function githubDeployments(inputs: ActionInputs, context: RunContext, env: Env, logger: Logger): GitHubDeployments | undefined {
  if (!inputs.githubDeployments || !inputs.githubToken || !context.repository) return undefined
  return createGitHubDeployments({ token: inputs.githubToken, apiUrl: env.GITHUB_API_URL || 'https://api.github.com', repository: context.repository, runUrl: context.runUrl, logger })
}

/** Runs one part's deploy inside its GitHub deployment; a deploy that throws is recorded as a failure. */
async function tracked<T>(
  github: GitHubDeployments | undefined,
  start: { environment: string; part: PartName; sha: string; description: string },
  deploy: () => Promise<T>,
  outcome: (result: T) => DeploymentOutcome
): Promise<T> {
  const record = await github?.start(start)
  let result: T
  try {
    result = await deploy()
  } catch (error) {
    await record?.finish('failure', { description: describeFailure(error) })
    throw error
  }
  await record?.finish(...outcome(result))
  return result
}

/** inputs → config → changes → plan → execute → report. */
export async function run(overrides: Partial<Dependencies> = {}): Promise<void> {
  const deps = { ...realDependencies(), ...overrides }
  const { logger } = deps
  // A rolled-back deploy fails the step but keeps `rolled-back` as its result.
  let result: DeployResult | undefined
  try {
    const inputs = getInputs()
    const context = await readRunContext(deps.env)
    logger.info(`azure-push-deploy: ${context.eventName || 'run'} of ${context.sha} (${context.ref ? quote(context.ref) : 'no ref'})`)
    const loaded = await loadConfig(context.workspace, inputs.configPath)
    const environment = resolveEnvironment(loaded.config, inputs.environment, context.refInfo)
    logger.info(`environment: ${environment.name} (from ${environment.source})`)

    const git = createGitRepository(deps.runner, context.workspace)
    if (!(await git.hasCommit(context.sha))) {
      throw new DeployError(`the workspace ${context.workspace} is not a git checkout of ${context.sha}.`, 'Add `- uses: actions/checkout@v5` before this step (any fetch-depth works: missing commits are fetched by SHA).')
    }
    const azure = await connectAzure(inputs, resolveCloud(loaded.config.cloud), { env: deps.env, logger, getIdToken: deps.getIdToken, setSecret: core.setSecret })
    if ('unavailable' in azure) {
      logger.warning(`Dry run without Azure: what is deployed cannot be read, so each part is compared with the event's previous commit. Why: ${describeFailure(azure.unavailable)}`)
    }
    const github = githubDeployments(inputs, context, deps.env, logger)
    const providers = deps.deployedShaProviders ? deps.deployedShaProviders(loaded, environment, azure) : await deployedShaProviders(loaded, environment, azure, { subscriptionId: inputs.subscriptionId, github, logger })

    const { config } = loaded
    const changes = await logger.group('Detect changes', () =>
      detectChanges({
        parts: { backend: config.parts.backend?.paths, frontend: config.parts.frontend?.paths },
        sharedPaths: [...config.shared.paths, loaded.path],
        head: context.sha,
        baselineInput: inputs.baseline,
        // A rollback redeploys the frontend's archived release, whatever changed.
        forced: inputs.rollbackTo ? ['frontend'] : forcedParts(inputs.parts),
        eventBase: context.eventBase,
        providers,
        git,
        logger
      })
    )

    const plan = buildPlan({ config, environment, changes, commit: context.sha, dryRun: inputs.dryRun, subscriptionId: inputs.subscriptionId, rollbackTo: inputs.rollbackTo })
    await logger.group('Plan', async () => logger.info(formatPlan(plan)))
    writePlanOutputs(plan)

    const toDeploy = partsToDeploy(plan)
    if (plan.dryRun || toDeploy.length === 0) {
      result = plan.dryRun ? 'planned' : 'skipped'
      writeResult(result)
      await writeSummary(plan, result)
      logger.info(result === 'planned' ? 'Dry run: nothing was built, uploaded or switched.' : 'Nothing changed since what is deployed: nothing to do.')
      return
    }
    if ('unavailable' in azure) throw azure.unavailable
    const tempDir = deps.env.RUNNER_TEMP || tmpdir()
    const backendPlan = plan.parts.find((part): part is BackendPlan => part.part === 'backend' && part.deploy)
    const frontendPlan = plan.parts.find((part): part is FrontendPlan => part.part === 'frontend' && part.deploy)

    // The API first: a new site may call what only the new API has.
    let backend: BackendDeployResult | undefined
    if (backendPlan) {
      const { deployBackend } = await import('./backend/deploy.js')
      const start = { environment: plan.environment, part: 'backend' as const, sha: context.sha, description: `Image of ${context.sha.slice(0, 12)} to ${backendPlan.targets.length} target(s)` }
      backend = await tracked(github, start, () => deployBackend(
        backendPlan,
        { workspace: context.workspace, commit: context.sha, sourceUrl: context.repository ? `${context.serverUrl}/${context.repository}` : undefined },
        {
          runner: deps.runner,
          logger,
          env: deps.env,
          tempDir,
          setSecret: core.setSecret,
          fetch,
          azure,
          registryCredentials: { username: inputs.registryUsername, password: inputs.registryPassword },
          verify: { probe: httpProbe, sleep: (ms, signal) => sleep(ms, undefined, { signal }), now: () => Date.now() }
        }
      ), backendDeploymentStatus)
      writeBackendOutputs(backend)
      if (!backend.rollout.ok) {
        result = backendResult(backend.rollout)
        writeResult(result)
        await writeSummary(plan, result, { backend })
        throw new DeployError(
          `the backend deploy ${result === 'rolled-back' ? 'was rolled back' : 'failed'}: ${backend.rollout.failure}${frontendPlan ? '; the frontend was not deployed' : ''}`,
          result === 'rolled-back'
            ? "Every target is back on the image it ran before. Fix the cause above (the failed target's container log helps: az webapp log tail) and push again."
            : 'Some targets could not be put back (see the targets output and the job summary): check them in the Azure portal.'
        )
      }
      logger.info(`Deployed ${backend.image.pinned} to ${backend.rollout.targets.length} target${backend.rollout.targets.length === 1 ? '' : 's'}.`)
    }
    let frontend: FrontendDeployResult | undefined
    if (frontendPlan) {
      const { deployFrontend } = await import('./frontend/deploy.js')
      const start = { environment: plan.environment, part: 'frontend' as const, sha: context.sha, description: frontendPlan.rollbackTo ? `Release of ${frontendPlan.rollbackTo.slice(0, 12)} redeployed` : `Site of ${context.sha.slice(0, 12)}` }
      frontend = await tracked(
        github,
        start,
        () =>
          deployFrontend(
            frontendPlan,
            { workspace: context.workspace, commit: context.sha, environment: plan.environment },
            { runner: deps.runner, logger, env: deps.env, tempDir, azure, allowMassDelete: inputs.allowMassDelete }
          ),
        frontendDeploymentStatus
      )
      writeFrontendOutputs(frontend)
      logger.info(`Deployed the site (${frontend.commit.slice(0, 12)}): ${frontend.uploaded} uploaded, ${frontend.skipped} unchanged, ${frontend.headersFixed} headers fixed, ${frontend.deleted} deleted${frontend.siteUrl ? `; ${frontend.siteUrl}` : ''}.`)
    }
    result = 'deployed'
    writeResult(result)
    await writeSummary(plan, result, { backend, frontend })
  } catch (error) {
    if (!result) writeResult('failed')
    core.setFailed(`azure-push-deploy: ${describeFailure(error)}`)
  }
}
