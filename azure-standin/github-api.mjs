/**
 * GitHub's REST API for deployments and deployment statuses, as `@actions/github`'s Octokit
 * calls it (base URL `<stand-in>/github-api`, like GitHub Enterprise Server's `/api/v3`).
 *
 * Follows https://docs.github.com/en/rest/deployments/deployments and
 * https://docs.github.com/en/rest/deployments/statuses (API version 2022-11-28):
 * - `POST /repos/{owner}/{repo}/deployments` → 201 with the deployment;
 * - `GET  /repos/{owner}/{repo}/deployments?environment=&sha=&ref=&task=&per_page=&page=` → newest first;
 * - `POST /repos/{owner}/{repo}/deployments/{id}/statuses` → 201; a `success` with `auto_inactive`
 *   (the default) marks the environment's earlier successful, non-transient deployments `inactive`;
 * - `GET  /repos/{owner}/{repo}/deployments/{id}/statuses` → newest first.
 * Tokens are known to the stand-in with a `deployments` permission, as a job's `permissions:`
 * grants the GITHUB_TOKEN: an unknown token gets 401 "Bad credentials"; a write (or, with
 * `none`, a read) it lacks gets 403 "Resource not accessible by integration".
 */
import { HttpError } from './https-server.mjs'

const DOCS = 'https://docs.github.com/rest/deployments'
const STATES = new Set(['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'])

/**
 * @typedef {'write' | 'read' | 'none'} Permission
 * @typedef {{ id: number, state: string, description: string, environment: string, environment_url: string, log_url: string, target_url: string, created_at: string }} DeploymentStatus
 * @typedef {{ id: number, repository: string, sha: string, ref: string, task: string, payload: unknown, environment: string, description: string | null, transient_environment: boolean, production_environment: boolean, auto_merge: boolean, required_contexts: string[] | null, created_at: string, statuses: DeploymentStatus[] }} Deployment
 */

/**
 * @param {number} status
 * @param {string} message
 * @param {string} [path] documentation page under the deployments docs
 */
function githubError(status, message, path = '') {
  return new HttpError(status, { message, documentation_url: `${DOCS}${path}`, status: String(status) })
}

/** @param {{ baseUrl: string }} options */
export function createGithubApi({ baseUrl }) {
  const apiUrl = `${baseUrl}/github-api`
  /** @type {Map<string, Permission>} */
  const tokens = new Map()
  /** @type {Deployment[]} */
  const deployments = []
  let nextId = 1000

  /**
   * @param {import('node:http').IncomingHttpHeaders} headers
   * @param {'read' | 'write'} access
   */
  function authorize(headers, access) {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(String(headers.authorization ?? ''))
    const permission = match ? tokens.get(match[1]) : undefined
    if (permission === undefined) throw githubError(401, 'Bad credentials', '')
    if (permission === 'none' || (access === 'write' && permission !== 'write')) throw githubError(403, 'Resource not accessible by integration', '/deployments')
  }

  /** @param {Record<string, string>} query */
  function page(query) {
    const perPage = Math.min(100, Math.max(1, Number(query.per_page ?? 30) || 30))
    const pageNumber = Math.max(1, Number(query.page ?? 1) || 1)
    return { start: (pageNumber - 1) * perPage, end: pageNumber * perPage }
  }

  /** @param {Deployment} deployment */
  function view(deployment) {
    const { statuses, repository, ...fields } = deployment
    const url = `${apiUrl}/repos/${repository}/deployments/${deployment.id}`
    return { ...fields, url, node_id: `DE_${deployment.id}`, original_environment: deployment.environment, statuses_url: `${url}/statuses`, repository_url: `${apiUrl}/repos/${repository}`, updated_at: statuses[0]?.created_at ?? deployment.created_at, creator: { login: 'github-actions[bot]', type: 'Bot' } }
  }

  /**
   * @param {Record<string, string>} params
   */
  function find(params) {
    const repository = `${params.owner}/${params.repo}`.toLowerCase()
    const deployment = deployments.find(d => d.id === Number(params.id) && d.repository === repository)
    if (!deployment) throw githubError(404, 'Not Found', '/statuses')
    return deployment
  }

  const REPO = '^/github-api/repos/(?<owner>[^/]+)/(?<repo>[^/]+)/deployments'

  return {
    apiUrl,
    /**
     * @param {string} token
     * @param {{ deployments?: Permission }} [permissions]
     */
    addToken(token, { deployments: permission = 'write' } = {}) {
      tokens.set(token, permission)
    },
    /** Every deployment with its statuses, oldest first, as plain data. */
    deployments: () => deployments.map(d => ({ ...d, statuses: [...d.statuses].reverse() })),
    /**
     * A deployment as if an earlier run had recorded it.
     * @param {{ repository: string, sha: string, environment: string, states: string[] }} seed
     */
    seed({ repository, sha, environment, states }) {
      const deployment = create(repository.toLowerCase(), { ref: sha, environment, auto_merge: false, required_contexts: [] })
      for (const state of states) addStatus(deployment, { state })
      return deployment.id
    },
    /** @param {ReturnType<typeof import('./https-server.mjs').createRouter>} router */
    addRoutes(router) {
      router.add('POST', new RegExp(`${REPO}$`), (request, params) => {
        authorize(request.headers, 'write')
        const body = /** @type {Record<string, unknown>} */ (request.body ?? {})
        const deployment = create(`${params.owner}/${params.repo}`.toLowerCase(), body)
        return { status: 201, body: view(deployment) }
      })
      router.add('GET', new RegExp(`${REPO}$`), (request, params) => {
        authorize(request.headers, 'read')
        const repository = `${params.owner}/${params.repo}`.toLowerCase()
        const { environment, sha, ref, task } = request.query
        const matching = deployments
          .filter(d => d.repository === repository && (environment === undefined || d.environment === environment) && (sha === undefined || d.sha === sha) && (ref === undefined || d.ref === ref) && (task === undefined || d.task === task))
          .reverse()
        const { start, end } = page(request.query)
        return { status: 200, body: matching.slice(start, end).map(view) }
      })
      router.add('POST', new RegExp(`${REPO}/(?<id>\\d+)/statuses$`), (request, params) => {
        authorize(request.headers, 'write')
        const deployment = find(params)
        const status = addStatus(deployment, /** @type {Record<string, unknown>} */ (request.body ?? {}))
        return { status: 201, body: status }
      })
      router.add('GET', new RegExp(`${REPO}/(?<id>\\d+)/statuses$`), (request, params) => {
        authorize(request.headers, 'read')
        const { start, end } = page(request.query)
        return { status: 200, body: find(params).statuses.slice(start, end) }
      })
    }
  }

  /**
   * @param {string} repository
   * @param {Record<string, unknown>} body
   */
  function create(repository, body) {
    const ref = typeof body.ref === 'string' ? body.ref : ''
    if (!ref) throw githubError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', '/deployments#create-a-deployment')
    // The stand-in holds no repository: a ref must be a full commit SHA to resolve.
    if (!/^[0-9a-f]{40}$/i.test(ref)) throw githubError(422, `No ref found for: ${ref}`, '/deployments#create-a-deployment')
    if (body.required_contexts === undefined) throw githubError(409, 'Conflict: Commit status checks failed for ' + ref + '.', '/deployments#create-a-deployment')
    const environment = typeof body.environment === 'string' && body.environment ? body.environment : 'production'
    /** @type {Deployment} */
    const deployment = {
      id: nextId++,
      repository,
      sha: ref.toLowerCase(),
      ref,
      task: typeof body.task === 'string' ? body.task : 'deploy',
      payload: body.payload ?? {},
      environment,
      description: typeof body.description === 'string' ? body.description : null,
      transient_environment: body.transient_environment === true,
      production_environment: typeof body.production_environment === 'boolean' ? body.production_environment : environment === 'production',
      auto_merge: body.auto_merge !== false,
      required_contexts: Array.isArray(body.required_contexts) ? body.required_contexts.map(String) : null,
      created_at: new Date().toISOString(),
      statuses: []
    }
    deployments.push(deployment)
    return deployment
  }

  /**
   * @param {Deployment} deployment
   * @param {Record<string, unknown>} body
   */
  function addStatus(deployment, body) {
    const state = String(body.state ?? '')
    if (!STATES.has(state)) throw githubError(422, `Validation Failed: state is not included in the list (${[...STATES].join(', ')})`, '/statuses#create-a-deployment-status')
    const description = typeof body.description === 'string' ? body.description : ''
    if (description.length > 140) throw githubError(422, 'Validation Failed: description is too long (maximum is 140 characters)', '/statuses#create-a-deployment-status')
    const logUrl = typeof body.log_url === 'string' ? body.log_url : typeof body.target_url === 'string' ? body.target_url : ''
    /** @type {DeploymentStatus} */
    const status = {
      id: nextId++,
      state,
      description,
      environment: deployment.environment,
      environment_url: typeof body.environment_url === 'string' ? body.environment_url : '',
      log_url: logUrl,
      target_url: logUrl,
      created_at: new Date().toISOString()
    }
    deployment.statuses.unshift(status)
    if (state === 'success' && body.auto_inactive !== false) {
      for (const earlier of deployments) {
        if (earlier === deployment || earlier.repository !== deployment.repository || earlier.environment !== deployment.environment || earlier.transient_environment) continue
        if (earlier.statuses[0]?.state === 'success') addStatus(earlier, { state: 'inactive', auto_inactive: false })
      }
    }
    return status
  }
}
