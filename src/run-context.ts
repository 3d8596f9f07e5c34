import { readFile } from 'node:fs/promises'
import { DeployError } from './errors.js'
import { isCommitSha } from './inputs.js'
import type { RefInfo } from './config.js'

/**
 * What the runner tells the action about this run, read from its environment and event
 * payload. Built once in `main.ts` from `process.env`, so tests pass their own.
 */
export interface RunContext {
  eventName: string
  /** The commit being deployed (`GITHUB_SHA`). */
  sha: string
  ref: string
  refInfo: RefInfo
  workspace: string
  /** The event's own "previous commit": `before` of a push, the base of a pull request. Undefined when there is none. */
  eventBase?: string
  repository?: string
  serverUrl: string
  runUrl?: string
}

type Env = Readonly<Record<string, string | undefined>>

interface EventPayload {
  before?: unknown
  pull_request?: { base?: { sha?: unknown } }
}

const ZERO_SHA = /^0+$/

async function readPayload(eventPath: string | undefined): Promise<EventPayload> {
  if (!eventPath) return {}
  try {
    return JSON.parse(await readFile(eventPath, 'utf8')) as EventPayload
  } catch (error) {
    throw new DeployError(`the event payload at GITHUB_EVENT_PATH (${eventPath}) could not be read: ${(error as Error).message}`, 'Run this action from a GitHub Actions workflow (or set GITHUB_EVENT_PATH to a readable JSON file).')
  }
}

function refInfo(env: Env, ref: string): RefInfo {
  if (env.GITHUB_HEAD_REF) return { branch: env.GITHUB_HEAD_REF }
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) }
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) }
  return {}
}

export async function readRunContext(env: Env): Promise<RunContext> {
  const sha = (env.GITHUB_SHA ?? '').toLowerCase()
  if (!isCommitSha(sha)) {
    throw new DeployError(`GITHUB_SHA is ${JSON.stringify(env.GITHUB_SHA ?? '')}, not a commit SHA.`, 'Run this action from a GitHub Actions workflow; the runner sets GITHUB_SHA.')
  }
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  const payload = await readPayload(env.GITHUB_EVENT_PATH)
  const candidate = eventName.startsWith('pull_request') ? payload.pull_request?.base?.sha : payload.before
  const eventBase = typeof candidate === 'string' && isCommitSha(candidate.toLowerCase()) && !ZERO_SHA.test(candidate) ? candidate.toLowerCase() : undefined
  const ref = env.GITHUB_REF ?? ''
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com'
  const repository = env.GITHUB_REPOSITORY
  const runUrl = repository && env.GITHUB_RUN_ID ? `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined
  return { eventName, sha, ref, refInfo: refInfo(env, ref), workspace, eventBase, repository, serverUrl, runUrl }
}
