import type { DeployedCommits, DeployedShaProvider } from '../changes/index.js'
import type { Logger } from '../logger.js'

/**
 * GitHub deployments: one per environment and part (`prod/backend`, `prod/frontend`), with
 * statuses `in_progress` → `success` / `failure`, so the repository's Environments page and
 * the commit show what is live where. Reporting is best effort: a token without
 * `deployments: write` (or an API outage) costs one warning, never the deploy.
 */
export interface GitHubDeploymentsOptions {
  token: string
  /** `GITHUB_API_URL` (GitHub Enterprise Server has its own). */
  apiUrl: string
  /** `owner/name` */
  repository: string
  /** The run's page, the statuses' log URL. */
  runUrl?: string
  logger: Logger
}

/** `inactive`: the part was not deployed because a newer release is live (superseded). */
export type DeploymentState = 'success' | 'failure' | 'inactive'

/** How a part's deploy ended, as its last status: state, environment URL, one-line description. */
export type DeploymentOutcome = [state: DeploymentState, details: { url?: string; description: string }]

/** One part's deployment, started; `finish` records how it ended. */
export interface DeploymentRecord {
  readonly id: number
  readonly environment: string
  finish(...outcome: DeploymentOutcome): Promise<void>
}

export interface GitHubDeployments {
  /** Creates the deployment and its `in_progress` status; undefined when GitHub refused (warned once). */
  start(request: { environment: string; part: string; sha: string; description: string }): Promise<DeploymentRecord | undefined>
  /** The commit of the part's latest deployment whose latest status is `success`, if any. */
  lastSuccessful(environment: string, part: string): Promise<string | undefined>
  /** Records the end of a deployment another process started (the post step, from the journal). */
  finish(id: number, environment: string, ...outcome: DeploymentOutcome): Promise<void>
}

/** The GitHub environment a part's deployments are recorded under. */
function deploymentEnvironment(environment: string, part: string): string {
  return `${environment}/${part}`
}

/** How many of the newest deployments `lastSuccessful` looks through. */
const LOOKBACK = 20

/** GitHub caps a status description at 140 characters. */
function shortDescription(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length <= 140 ? oneLine : `${oneLine.slice(0, 139)}…`
}

/** An API error in a few words; `access` is what the call needed of the token. */
function explain(error: unknown, access: 'read' | 'write' = 'write'): string {
  const status = (error as { status?: unknown }).status
  const message = error instanceof Error ? error.message : String(error)
  if (status === 403 || status === 404) return `${message} (HTTP ${status}: the token cannot ${access} deployments)`
  if (status === 401) return `${message} (HTTP 401: the token was refused)`
  return message
}

export function createGitHubDeployments(options: GitHubDeploymentsOptions): GitHubDeployments {
  const { logger } = options
  const [owner = '', repo = ''] = options.repository.split('/')
  let octokit: Promise<ReturnType<typeof import('@actions/github').getOctokit>> | undefined
  const client = () => (octokit ??= import('@actions/github').then(github => github.getOctokit(options.token, { baseUrl: options.apiUrl })))
  /** After the first refusal nothing more is sent: one warning per run, not one per part. */
  let disabled = false

  const refuse = (error: unknown) => {
    disabled = true
    logger.warning(
      `GitHub deployments are not recorded for this run: ${explain(error)}. The deploy goes on. ` +
        "To record them, give the job `permissions: { deployments: write }`; to stop trying, set `github-deployments: 'false'`."
    )
  }

  /** One status of a deployment, linked to the run. */
  const status = async (id: number, state: 'in_progress' | DeploymentState, details: { url?: string; description: string }) => {
    const api = await client()
    await api.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: id,
      state,
      description: shortDescription(details.description),
      ...(options.runUrl ? { log_url: options.runUrl } : {}),
      ...(details.url ? { environment_url: details.url } : {}),
      // A success marks the environment's earlier successful deployments inactive.
      auto_inactive: state === 'success'
    })
  }

  /** How a deployment ended; a refusal costs a warning, never the deploy. */
  const finish = async (id: number, environment: string, state: DeploymentState, details: { url?: string; description: string }) => {
    try {
      await status(id, state, details)
      logger.info(`GitHub deployment ${id} (${environment}): ${state}`)
    } catch (error) {
      logger.warning(`GitHub deployment ${id} (${environment}) could not be marked ${state}: ${explain(error)}`)
    }
  }

  return {
    async start({ environment, part, sha, description }) {
      if (disabled) return undefined
      const name = deploymentEnvironment(environment, part)
      try {
        const api = await client()
        const created = await api.rest.repos.createDeployment({
          owner,
          repo,
          ref: sha,
          environment: name,
          task: 'deploy',
          description: shortDescription(description),
          payload: { part, tool: 'azure-push-deploy' },
          // Deploys the commit as pushed: no merge of the default branch, no wait for checks.
          auto_merge: false,
          required_contexts: [],
          transient_environment: false
        })
        if (created.status !== 201 || !('id' in created.data)) throw new Error(`GitHub answered ${created.status}: ${JSON.stringify(created.data)}`)
        const id = created.data.id
        await status(id, 'in_progress', { description })
        logger.info(`GitHub deployment ${id} (${name}): in progress`)
        return { id, environment: name, finish: (state, details) => finish(id, name, state, details) }
      } catch (error) {
        refuse(error)
        return undefined
      }
    },

    finish,

    async lastSuccessful(environment, part) {
      const api = await client()
      const { data: deployments } = await api.rest.repos.listDeployments({ owner, repo, environment: deploymentEnvironment(environment, part), per_page: LOOKBACK })
      // Newest first; an `inactive` one was replaced by a later success, a `failure` never served.
      for (const deployment of deployments) {
        const { data: statuses } = await api.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: deployment.id, per_page: 1 })
        if (statuses[0]?.state === 'success') return deployment.sha.toLowerCase()
      }
      return undefined
    }
  }
}

/**
 * What a part's last successful GitHub deployment says is live, as a deployed-SHA provider:
 * alone when Azure cannot be asked (a dry run without credentials), else behind the targets'
 * own reader, used only when the targets cannot be read.
 */
export function githubDeploymentProvider(deployments: GitHubDeployments, environment: string, part: string, logger: Logger, primary?: DeployedShaProvider): DeployedShaProvider {
  const fromGitHub = `the last successful GitHub deployment of ${deploymentEnvironment(environment, part)}`
  const read = async (): Promise<string | undefined> => deployments.lastSuccessful(environment, part)
  if (!primary) {
    return {
      source: fromGitHub,
      async deployedCommits(): Promise<DeployedCommits> {
        try {
          const sha = await read()
          return { commits: sha ? [sha] : [], unknown: [] }
        } catch (error) {
          logger.info(`${part}: ${fromGitHub} could not be read (${explain(error, 'read')})`)
          return { commits: [], unknown: [] }
        }
      }
    }
  }
  return {
    source: primary.source,
    async deployedCommits(): Promise<DeployedCommits> {
      try {
        return await primary.deployedCommits()
      } catch (targetsError) {
        const sha = await read().catch(() => undefined)
        if (!sha) throw targetsError
        logger.warning(`${part}: could not read what is deployed on ${primary.source} (${(targetsError as Error).message}); using ${fromGitHub}, ${sha.slice(0, 12)}`)
        return { commits: [sha], unknown: [] }
      }
    }
  }
}
