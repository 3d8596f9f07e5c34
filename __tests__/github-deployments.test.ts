/**
 * GitHub deployments through the real Octokit of `@actions/github`, against the stand-in's
 * GitHub REST API (GITHUB_API_URL pointed at it): what is created, the statuses in order,
 * the refusals of a token without `deployments: write`, and the last successful deployment
 * as a fallback deployed-SHA provider.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { createGitHubDeployments, githubDeploymentProvider, type GitHubDeployments } from '../src/github/deployments.js'
import { recordingLogger } from '../__fixtures__/logger.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const REPOSITORY = 'octo-org/estate'
const RUN_URL = 'https://github.com/octo-org/estate/actions/runs/4242'
const WRITER = 'ghs_deploymentsWrite000000000000000000'
const READER = 'ghs_deploymentsReadOnly00000000000000'
const NO_DEPLOYMENTS = 'ghs_contentsReadOnly0000000000000000000'
const SHA_1 = '1'.repeat(40)
const SHA_2 = '2'.repeat(40)
const SHA_3 = '3'.repeat(40)

let standin: Standin
const contract = useAzureContract()

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
  standin.github.addToken(WRITER, { deployments: 'write' })
  standin.github.addToken(READER, { deployments: 'read' })
})

afterAll(async () => {
  await standin.close()
})

function client(token: string, repository = REPOSITORY) {
  const logger = recordingLogger()
  const deployments = createGitHubDeployments({ token, apiUrl: standin.github.apiUrl, repository, runUrl: RUN_URL, logger })
  return { deployments, logger }
}

const deploymentCalls = () => standin.calls.filter(call => call.path.startsWith('/github-api/'))
const ofRepository = (repository: string) => standin.github.deployments().filter(d => d.repository === repository)

describe('recording a deploy', () => {
  test('a deployment per environment and part, in_progress then success with the URL and the run', async () => {
    const repository = 'octo-org/record'
    const { deployments, logger } = client(WRITER, repository)
    const record = await deployments.start({ environment: 'prod', part: 'backend', sha: SHA_1, description: 'Image of 111111111111 to 2 target(s)' })
    expect(record?.environment).toBe('prod/backend')
    await record?.finish('success', { url: 'https://api-prod-1.azurewebsites.net', description: 'serving on 2 target(s)' })

    const [deployment, ...others] = ofRepository(repository)
    expect(others).toEqual([])
    expect(deployment).toMatchObject({ id: record?.id, sha: SHA_1, ref: SHA_1, environment: 'prod/backend', task: 'deploy', auto_merge: false, required_contexts: [], transient_environment: false })
    expect(deployment?.statuses.map(s => [s.state, s.environment_url, s.log_url])).toEqual([
      ['in_progress', '', RUN_URL],
      ['success', 'https://api-prod-1.azurewebsites.net', RUN_URL]
    ])
    expect(logger.messages('warning')).toEqual([])
  })

  test('a long description is cut to the 140 characters GitHub accepts', async () => {
    const repository = 'octo-org/long'
    const { deployments, logger } = client(WRITER, repository)
    const record = await deployments.start({ environment: 'dev', part: 'frontend', sha: SHA_1, description: 'x'.repeat(300) })
    await record?.finish('failure', { description: `rolled-back: ${'why '.repeat(80)}` })
    const statuses = ofRepository(repository)[0]?.statuses ?? []
    expect(statuses.map(s => s.state)).toEqual(['in_progress', 'failure'])
    expect(statuses.every(s => s.description.length <= 140)).toBe(true)
    expect(logger.messages('warning')).toEqual([])
  })

  test('a token without deployments: write: one warning naming the permission, then nothing more is sent', async () => {
    const repository = 'octo-org/read-only'
    const { deployments, logger } = client(READER, repository)
    const before = deploymentCalls().length
    expect(await deployments.start({ environment: 'prod', part: 'backend', sha: SHA_1, description: 'backend' })).toBeUndefined()
    expect(await deployments.start({ environment: 'prod', part: 'frontend', sha: SHA_1, description: 'frontend' })).toBeUndefined()
    expect(deploymentCalls().slice(before).map(call => [call.method, call.status])).toEqual([['POST', 403]])
    expect(logger.messages('warning')).toHaveLength(1)
    expect(logger.messages('warning')[0]).toMatch(/Resource not accessible by integration.*deployments: write.*github-deployments: 'false'/)
    expect(ofRepository(repository)).toEqual([])
  })

  test('an unknown token: 401, a warning, no deployment', async () => {
    const { deployments, logger } = client('ghs_unknownToken0000000000000000000000', 'octo-org/unknown')
    expect(await deployments.start({ environment: 'prod', part: 'backend', sha: SHA_1, description: 'backend' })).toBeUndefined()
    expect(logger.messages('warning')[0]).toMatch(/Bad credentials.*HTTP 401/)
  })
})

describe('the last successful deployment', () => {
  let deployments: GitHubDeployments
  const repository = 'octo-org/history'

  beforeAll(async () => {
    deployments = client(WRITER, repository).deployments
    // prod/backend: SHA_1 succeeded, then SHA_2 succeeded (SHA_1 becomes inactive), then SHA_3 failed.
    for (const [sha, state] of [
      [SHA_1, 'success'],
      [SHA_2, 'success'],
      [SHA_3, 'failure']
    ] as const) {
      const record = await deployments.start({ environment: 'prod', part: 'backend', sha, description: 'backend' })
      await record?.finish(state, { description: state })
    }
  })

  test('a later success marks the earlier one inactive; a failure never counts', async () => {
    const byState = ofRepository(repository).map(d => [d.sha, d.statuses.map(s => s.state)])
    expect(byState).toEqual([
      [SHA_1, ['in_progress', 'success', 'inactive']],
      [SHA_2, ['in_progress', 'success']],
      [SHA_3, ['in_progress', 'failure']]
    ])
    expect(await deployments.lastSuccessful('prod', 'backend')).toBe(SHA_2)
  })

  test('another part or environment has its own history', async () => {
    expect(await deployments.lastSuccessful('prod', 'frontend')).toBeUndefined()
    expect(await deployments.lastSuccessful('stage', 'backend')).toBeUndefined()
  })

  test('as a fallback provider: used only when the targets cannot be read', async () => {
    const logger = recordingLogger()
    const unreadable = { source: 'image tags of 2 Web Apps', deployedCommits: () => Promise.reject(new Error('AuthorizationFailed')) }
    const readable = { source: 'image tags of 2 Web Apps', deployedCommits: () => Promise.resolve({ commits: [SHA_3], unknown: [] }) }

    expect(await githubDeploymentProvider(deployments, 'prod', 'backend', logger, readable).deployedCommits()).toEqual({ commits: [SHA_3], unknown: [] })
    expect(logger.messages('warning')).toEqual([])

    expect(await githubDeploymentProvider(deployments, 'prod', 'backend', logger, unreadable).deployedCommits()).toEqual({ commits: [SHA_2], unknown: [] })
    expect(logger.messages('warning')[0]).toMatch(/backend: could not read what is deployed on image tags of 2 Web Apps \(AuthorizationFailed\); using the last successful GitHub deployment of prod\/backend, 222222222222/)

    // Nothing recorded for stage: the targets' own error stands.
    await expect(githubDeploymentProvider(deployments, 'stage', 'backend', logger, unreadable).deployedCommits()).rejects.toThrow('AuthorizationFailed')
  })

  test('alone (Azure cannot be asked): its commit, or none when GitHub cannot be read', async () => {
    const logger = recordingLogger()
    expect(await githubDeploymentProvider(deployments, 'prod', 'backend', logger).deployedCommits()).toEqual({ commits: [SHA_2], unknown: [] })
    const offline = createGitHubDeployments({ token: WRITER, apiUrl: 'http://127.0.0.1:1', repository, logger })
    expect(await githubDeploymentProvider(offline, 'prod', 'backend', logger).deployedCommits()).toEqual({ commits: [], unknown: [] })
    expect(logger.messages('info').some(line => /the last successful GitHub deployment of prod\/backend could not be read/.test(line))).toBe(true)
    // A token with no deployments permission at all: an info line saying it cannot read them.
    standin.github.addToken(NO_DEPLOYMENTS, { deployments: 'none' })
    const refused = createGitHubDeployments({ token: NO_DEPLOYMENTS, apiUrl: standin.github.apiUrl, repository, logger })
    expect(await githubDeploymentProvider(refused, 'prod', 'backend', logger).deployedCommits()).toEqual({ commits: [], unknown: [] })
    expect(logger.messages('info').at(-1)).toMatch(/could not be read \(.*HTTP 403: the token cannot read deployments\)/)
  })
})
