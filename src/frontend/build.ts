import { stat } from 'node:fs/promises'
import path from 'node:path'
import { outputTail, type CommandResult, type CommandRunner } from '../command-runner.js'
import { DeployError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { SitePartPlan } from '../plan.js'
import { splitCommandLine } from '../command-line.js'
import { listOutputFiles, type OutputEntry } from './site-files.js'
import { leavesWorkspace } from '../workspace-path.js'

export type FrontendBuildSettings = Pick<SitePartPlan, 'workingDirectory' | 'install' | 'build' | 'output'> & {
  /** The part's name, for the config keys errors name (`frontend` when left out). */
  name?: string
  /** `build-env` of the environment, values resolved. */
  buildEnv: Readonly<Record<string, string>>
}

export interface FrontendBuildContext {
  /** The checked-out repository (`GITHUB_WORKSPACE`). */
  workspace: string
}

export interface FrontendBuildDeps {
  runner: CommandRunner
  logger: Logger
  /** The process environment the build starts from. */
  env: Readonly<Record<string, string | undefined>>
}

export interface FrontendBuild {
  /** Absolute path of the built site. */
  outputDir: string
  /** Its files, listed (and checked) once: the deploy hashes these. */
  files: OutputEntry[]
  seconds: { install: number; build: number }
}

/** Lines of a failed command's output shown in the error. */
const TAIL_LINES = 20

/**
 * Credentials the runner gives this action and not the steps a user writes: the action's
 * inputs (client secret, registry password, GitHub token) and the OIDC token request. A
 * package's install script must not read them. Blanked, not dropped: the command runner
 * lays this environment over its own process environment.
 */
const ACTION_ONLY = /^(?:INPUT_|ACTIONS_ID_TOKEN_REQUEST_(?:TOKEN|URL)$|ACTIONS_RUNTIME_TOKEN$)/

/** Pure: the process environment less the action's credentials, then `build-env`, then `CI=true`. */
export function buildEnvironment(processEnv: FrontendBuildDeps['env'], buildEnv: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(processEnv)) {
    if (value !== undefined) env[name] = ACTION_ONLY.test(name) ? '' : value
  }
  return { ...env, ...buildEnv, CI: 'true' }
}

/**
 * Install, then build, in the part's working directory, each command run without a shell;
 * then check that the output folder has something to publish and nothing outside it.
 * Both command lines are checked before either runs.
 */
export async function buildFrontend(plan: FrontendBuildSettings, context: FrontendBuildContext, deps: FrontendBuildDeps): Promise<FrontendBuild> {
  const part = `parts.${plan.name ?? 'frontend'}`
  const steps = [
    { name: 'install' as const, key: `${part}.install`, line: plan.install, argv: splitCommandLine(plan.install, `${part}.install`) },
    { name: 'build' as const, key: `${part}.build`, line: plan.build, argv: splitCommandLine(plan.build, `${part}.build`) }
  ]
  const workingDir = path.resolve(context.workspace, plan.workingDirectory)
  if (!(await isDirectory(workingDir))) {
    throw new DeployError(`The frontend's working directory ${plan.workingDirectory} does not exist in the repository.`, `Set ${part}.working-directory to the folder that holds package.json.`)
  }

  const env = buildEnvironment(deps.env, plan.buildEnv)
  const seconds = { install: 0, build: 0 }
  for (const step of steps) {
    seconds[step.name] = await deps.logger.group(`Frontend ${step.name}: ${step.line}`, async () => {
      const started = performance.now()
      const [tool, ...args] = step.argv as [string, ...string[]]
      let result: CommandResult
      try {
        result = await deps.runner.run(tool, args, { cwd: workingDir, env })
      } catch (error) {
        throw new DeployError(`The frontend ${step.name} command "${step.line}" could not start in ${plan.workingDirectory}: ${(error as Error).message}`, `Install ${tool} on the runner (for example with actions/setup-node), or change ${step.key} in the config.`)
      }
      const output = outputTail(result, TAIL_LINES, '  ')
      if (result.exitCode !== 0) {
        throw new DeployError(
          `The frontend ${step.name} command "${step.line}" failed with exit code ${result.exitCode} in ${plan.workingDirectory}. Its last lines:\n${output || '(no output)'}`,
          `Fix the ${step.name} so that it passes when run in ${plan.workingDirectory}, or change ${step.key} in the config if that is the wrong command.`
        )
      }
      const took = Math.round((performance.now() - started) / 100) / 10
      if (output) deps.logger.debug(`Last lines of "${step.line}":\n${output}`)
      deps.logger.info(`${step.line}: done in ${took} s`)
      return took
    })
  }

  const outputDir = path.resolve(workingDir, plan.output)
  const shownAs = path.posix.join(plan.workingDirectory, plan.output)
  // The build may have made the output folder a link: what it leads to is checked now.
  const elsewhere = await leavesWorkspace(context.workspace, shownAs)
  if (elsewhere) {
    throw new DeployError(
      `The frontend output folder ${shownAs} leads outside the repository, to ${elsewhere}, through a symlink: nothing uploaded.`,
      `Make the build write its output to a real folder inside the repository (${part}.output), not a symlink that leaves it.`
    )
  }
  const files = await checkOutput(outputDir, shownAs, part)
  return { outputDir, files, seconds }
}

/** Missing, empty, or linking outside itself: the deploy stops before anything is uploaded. */
async function checkOutput(outputDir: string, shownAs: string, part: string): Promise<OutputEntry[]> {
  const hint = `Set ${part}.output to the folder the build writes, relative to ${part}.working-directory (for example build for Create React App, dist for Vite).`
  if (!(await isDirectory(outputDir))) throw new DeployError(`The frontend build finished but wrote no output folder ${shownAs}: nothing uploaded.`, hint)
  // Refuses links that lead outside the folder, naming the link.
  const files = await listOutputFiles(outputDir)
  if (files.length === 0) throw new DeployError(`The frontend build finished but its output folder ${shownAs} is empty: nothing uploaded.`, hint)
  return files
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory()
  } catch {
    return false
  }
}

