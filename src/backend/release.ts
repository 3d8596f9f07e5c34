/**
 * The release step, like Heroku's release phase: one command (migrations, typically) run once,
 * in the new image, after it is pushed and before any target switches, under the environment's
 * lock. Exit 0 lets the rollout go on; anything else stops the deploy with nothing switched.
 *
 * - `runner`: `docker run` of the image on the runner (host network), for databases the runner
 *   can reach. Variables go through docker's environment (`-e NAME`), never its command line.
 * - `container-instance`: a one-off Azure Container Instances group beside the Web Apps (in
 *   their subnet when given), with the target's app settings as secure variables; its log is
 *   read into the step; the group is deleted afterwards whatever happened.
 *
 * The command is the whole process, whatever the image's ENTRYPOINT and CMD, as a Container
 * Instances `command` is: `python manage.py migrate` runs python, on the runner and in ACI alike.
 */
import { randomUUID } from 'node:crypto'
import type { ContainerGroup } from '@azure/arm-containerinstance'
import type { AzureClients } from '../azure/clients.js'
import { describeAzureError } from '../azure/errors.js'
import type { CommandRunner } from '../command-runner.js'
import type { Logger } from '../logger.js'
import type { ReleasePlan } from '../plan.js'
import { formatArgv } from '../plan.js'

export interface ReleaseRequest {
  part: string
  /** The image the targets are about to run. */
  image: string
  registry: string
  plan: ReleasePlan
  /** The release's `env`, resolved. */
  env: Record<string, string>
  /** `container-instance`: the first target's app settings as it will run them. */
  appSettings?: Record<string, string>
  /** `container-instance`: how the group pulls the image. */
  pullCredentials?: { username: string; password: string } | { identity: string }
  /** `container-instance`: where the Web Apps are, when the config names no location. */
  location?: string
}

export interface ReleaseResult {
  ok: boolean
  exitCode?: number
  seconds: number
  /** The command's output, last lines (for the job summary; the step's log has all of it). */
  log: string[]
  /** Why it failed, in one sentence. */
  reason?: string
}

export interface ReleaseDeps {
  runner: CommandRunner
  logger: Logger
  /** The registry session's environment for docker (its private DOCKER_CONFIG). */
  dockerEnv: Record<string, string>
  clients?: AzureClients
  signal: AbortSignal
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

const LOG_LINES = 60

const tail = (text: string) =>
  text
    .split(/\r?\n/)
    .filter(line => line.trim() !== '')
    .slice(-LOG_LINES)

export async function runRelease(request: ReleaseRequest, deps: ReleaseDeps): Promise<ReleaseResult> {
  return request.plan.runOn === 'container-instance' ? runInContainerInstance(request, deps) : runOnRunner(request, deps)
}

/**
 * Pure: the docker argv of a release on the runner. The command replaces the image's entrypoint
 * (as in Container Instances). Values are not in it: `-e NAME` reads them from docker's environment.
 */
export function releaseRunArgs(name: string, image: string, argv: readonly string[], variables: readonly string[]): string[] {
  const [tool = '', ...args] = argv
  return ['run', '--rm', '--name', name, '--network', 'host', '--pull', 'missing', '--entrypoint', tool, ...variables.flatMap(variable => ['-e', variable]), image, ...args]
}

async function runOnRunner(request: ReleaseRequest, deps: ReleaseDeps): Promise<ReleaseResult> {
  const now = deps.now ?? Date.now
  const started = now()
  const name = `apd-release-${randomUUID().slice(0, 12)}`
  const { plan } = request
  const args = releaseRunArgs(name, request.image, plan.argv, Object.keys(request.env))
  deps.logger.info(`release of ${request.part}: ${formatArgv(plan.argv)} in ${request.image} on the runner (timeout ${plan.timeoutSeconds}s)`)
  let stoppedFor: string | undefined
  const stop = (why: string) => {
    stoppedFor ??= why
    void deps.runner.run('docker', ['kill', name], { env: deps.dockerEnv })
  }
  const timer = setTimeout(() => stop(`it ran past its timeout of ${plan.timeoutSeconds}s`), plan.timeoutSeconds * 1000)
  const onAbort = () => stop(String((deps.signal.reason as Error | undefined)?.message ?? 'the run was stopped'))
  deps.signal.addEventListener('abort', onAbort, { once: true })
  try {
    const result = await deps.runner.run('docker', args, { env: { ...deps.dockerEnv, ...request.env } })
    const output = `${result.stdout}\n${result.stderr}`
    // All of it in the step's log, as a container group's is: a migration's error comes after
    // what it had applied, and a long traceback must not push that out.
    for (const line of output.split(/\r?\n/)) if (line.trim() !== '') deps.logger.info(`  ${line}`)
    const log = tail(output)
    const seconds = Math.round((now() - started) / 100) / 10
    if (stoppedFor) return { ok: false, exitCode: result.exitCode, seconds, log, reason: `the release command was stopped: ${stoppedFor}` }
    if (result.exitCode !== 0) return { ok: false, exitCode: result.exitCode, seconds, log, reason: `the release command exited with ${result.exitCode}${result.exitCode === 125 ? ' (docker could not start it: see its output)' : ''}` }
    return { ok: true, exitCode: 0, seconds, log }
  } finally {
    clearTimeout(timer)
    deps.signal.removeEventListener('abort', onAbort)
  }
}

/** Pure: the container group of a release. Every variable is a secure one: the group's definition does not show it. */
export function releaseContainerGroup(request: ReleaseRequest, location: string): ContainerGroup {
  const instance = request.plan.containerInstance!
  const variables = { ...(request.appSettings ?? {}), ...request.env }
  const credentials = request.pullCredentials
  return {
    location,
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'release',
        image: request.image,
        command: [...request.plan.argv],
        resources: { requests: { cpu: instance.cpu, memoryInGB: instance.memoryGb } },
        environmentVariables: Object.entries(variables).map(([name, value]) => ({ name, secureValue: value }))
      }
    ],
    ...(credentials ? { imageRegistryCredentials: [{ server: request.registry, ...credentials }] } : {}),
    ...(credentials && 'identity' in credentials ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [credentials.identity]: {} } } } : {}),
    ...(instance.subnetId ? { subnetIds: [{ id: instance.subnetId }] } : {})
  }
}

async function runInContainerInstance(request: ReleaseRequest, deps: ReleaseDeps): Promise<ReleaseResult> {
  const now = deps.now ?? Date.now
  const sleep = deps.sleep ?? ((ms: number, signal?: AbortSignal) => new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    }, { once: true })
  }))
  const started = now()
  const instance = request.plan.containerInstance!
  if (!deps.clients) return { ok: false, seconds: 0, log: [], reason: 'a container-instance release needs the Azure sign-in' }
  const location = instance.location ?? request.location
  if (!location) return { ok: false, seconds: 0, log: [], reason: 'no location for the container group: set release.container-instance.location' }
  const api = await deps.clients.containerInstances(instance.subscription)
  const group = `apd-release-${request.part}-${randomUUID().slice(0, 8)}`
  const seconds = () => Math.round((now() - started) / 100) / 10
  deps.logger.info(`release of ${request.part}: ${formatArgv(request.plan.argv)} in ${request.image}, container group ${instance.resourceGroup}/${group} (${location}${instance.subnetId ? ', in the configured subnet' : ''}; timeout ${request.plan.timeoutSeconds}s)`)
  let printed = 0
  let log: string[] = []
  const readLog = async () => {
    try {
      const content = (await api.containers.listLogs(instance.resourceGroup, group, 'release')).content ?? ''
      const lines = content.split(/\r?\n/).filter(line => line.trim() !== '')
      for (const line of lines.slice(printed)) deps.logger.info(`  ${line}`)
      printed = Math.max(printed, lines.length)
      log = lines.slice(-LOG_LINES)
    } catch {
      // Not there yet (the container has not started): read again at the next poll.
    }
  }
  try {
    try {
      await api.containerGroups.beginCreateOrUpdateAndWait(instance.resourceGroup, group, releaseContainerGroup(request, location), { abortSignal: deps.signal })
    } catch (error) {
      return { ok: false, seconds: seconds(), log, reason: `the container group could not be created: ${describeAzureError(error)}` }
    }
    const deadline = started + request.plan.timeoutSeconds * 1000
    for (;;) {
      const current = await api.containerGroups.get(instance.resourceGroup, group).catch(() => undefined)
      const state = current?.containers[0]?.instanceView?.currentState
      await readLog()
      if (state?.state === 'Terminated') {
        const exitCode = state.exitCode ?? -1
        return exitCode === 0 ? { ok: true, exitCode, seconds: seconds(), log } : { ok: false, exitCode, seconds: seconds(), log, reason: `the release command exited with ${exitCode}${state.detailStatus ? ` (${state.detailStatus})` : ''}` }
      }
      if (current?.provisioningState === 'Failed') {
        const event = current.containers[0]?.instanceView?.events?.at(-1)?.message
        return { ok: false, seconds: seconds(), log, reason: `the container group failed${event ? `: ${event}` : ''}` }
      }
      if (deps.signal.aborted) return { ok: false, seconds: seconds(), log, reason: `the release was stopped: ${String((deps.signal.reason as Error | undefined)?.message ?? 'cancelled')}` }
      if (now() >= deadline) return { ok: false, seconds: seconds(), log, reason: `it ran past its timeout of ${request.plan.timeoutSeconds}s` }
      await sleep(2000, deps.signal)
    }
  } finally {
    await api.containerGroups.beginDeleteAndWait(instance.resourceGroup, group).catch((error: unknown) => {
      deps.logger.warning(`the release's container group ${instance.resourceGroup}/${group} could not be deleted (${describeAzureError(error)}): delete it by hand`)
    })
  }
}
