import type { CommandResult, CommandRunner } from '../command-runner.js'
import { DeployError } from '../errors.js'

/** The docker CLI with the deploy's environment (its private DOCKER_CONFIG) on every call. */
export interface DockerCli {
  run(args: readonly string[], options?: { env?: Record<string, string>; input?: Buffer }): Promise<CommandResult>
}

export function createDockerCli(runner: CommandRunner, dockerEnv: Readonly<Record<string, string>>): DockerCli {
  return {
    async run(args, options = {}) {
      try {
        return await runner.run('docker', args, { env: { ...dockerEnv, ...options.env }, input: options.input })
      } catch (error) {
        throw new DeployError(
          `could not run docker: ${error instanceof Error ? error.message : String(error)}`,
          "The backend deploy builds and pushes with Docker: use a runner that has it (GitHub's ubuntu runners do), or install it in an earlier step."
        )
      }
    }
  }
}

