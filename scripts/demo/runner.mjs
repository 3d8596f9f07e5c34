// How the demo runs the action: as the estate's workflow step on a GitHub runner, for one
// push to an environment's branch. Everything the step is given (inputs, event, environment)
// is built here.
import path from 'node:path'
import { pushPayload } from '../lib/action-runner.mjs'

export const REPOSITORY = 'octo-org/estate'
export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000'
/** The Entra app the estate's workflow names as vars.AZURE_CLIENT_ID. */
export const CLIENT_ID = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
/** The environments the demo pushes to, by the branch the estate's config maps to each. */
export const BRANCHES = { stage: 'stage', dev: 'master_dev' }

/** The subject of the GitHub OIDC token of a push to `branch`: one the Entra app trusts. */
export const subjectOf = branch => `repo:${REPOSITORY}:ref:refs/heads/${branch}`

/** The claims of the job's GitHub OIDC token for a push of `sha` to `branch`. */
export function oidcClaims(branch, sha) {
  const ref = `refs/heads/${branch}`
  const workflowRef = `${REPOSITORY}/.github/workflows/deploy.yml@${ref}`
  return { sub: subjectOf(branch), ref, sha, workflow_ref: workflowRef, workflow_sha: sha, job_workflow_ref: workflowRef, job_workflow_sha: sha }
}

/**
 * The environment the runner gives the step, beyond the INPUT_* and GITHUB_* variables
 * runAction sets: the job's OIDC token service and GitHub API (the stand-in's), the CAs to
 * trust (the stand-in's and Azurite's, in one PEM file), a docker CLI that builds with
 * BuildKit first on PATH (as on a runner with buildx), and the step's `env:`, the GitHub
 * environment's secrets the config reads with `{ from-env }` (DJANGO_SECRET_KEY, DATABASE_URL).
 * @param {{ standin: { githubOidc: { requestUrl: string, requestToken: string }, github: { apiUrl: string } }, caCerts: string, dockerCli?: string }} services
 * @param {Record<string, string>} secrets
 * @returns {Record<string, string>}
 */
function runnerEnv({ standin, caCerts, dockerCli }, secrets) {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken,
    GITHUB_API_URL: standin.github.apiUrl,
    NODE_EXTRA_CA_CERTS: caCerts,
    ...(dockerCli?.includes('/') ? { PATH: `${path.dirname(dockerCli)}:${process.env.PATH ?? ''}` } : {}),
    ...secrets
  }
}

/**
 * What runAction needs for one push: the checkout, the push event, the step's `with:` (the
 * estate workflow's, plus `dry-run` when a part cannot be deployed here), its environment
 * and the environment's secrets (scanned for in everything the run writes).
 */
export function runOptions({ services, branch, workspace, before, after, message, dryRun, secrets }) {
  const ref = `refs/heads/${branch}`
  return {
    workspace,
    sha: after,
    ref,
    event: { name: 'push', payload: pushPayload({ ref, before, after, repository: REPOSITORY, message }) },
    inputs: { 'client-id': CLIENT_ID, 'tenant-id': services.standin.tenantId, 'subscription-id': SUBSCRIPTION, ...(dryRun ? { 'dry-run': 'true' } : {}) },
    env: runnerEnv(services, secrets),
    secrets: Object.values(secrets),
    timeoutMs: 600_000
  }
}

/**
 * The action's log as the runner shows it: workflow commands rendered (groups as `▸ name`,
 * `::error::` and `::warning::` as `error:` / `warning:`), debug lines and `::add-mask::`
 * commands left out, and every secret in `secrets` masked as `***`.
 * @param {string} log
 * @param {string[]} secrets
 * @returns {string}
 */
export function asRunnerShows(log, secrets) {
  const decode = text => text.replace(/%0D/g, '').replace(/%0A/g, '\n').replace(/%25/g, '%')
  const lines = []
  for (const line of log.split(/\r?\n/)) {
    if (/^::(add-mask|debug|endgroup)::/.test(line)) continue
    const group = /^::group::(.*)$/.exec(line)
    const note = /^::(error|warning|notice)(?: [^:]*)?::(.*)$/.exec(line)
    lines.push(group ? `▸ ${group[1]}` : note ? `${note[1]}: ${decode(note[2])}` : line)
  }
  let text = lines.join('\n').trimEnd()
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) if (secret) text = text.split(secret).join('***')
  return text
}
