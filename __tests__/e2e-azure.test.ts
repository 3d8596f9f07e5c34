/**
 * The bundled action signs in to the loopback Azure stand-in the way it signs in to Azure
 * (GitHub OIDC → Entra ID, or a client secret) and reads what each Web App runs through
 * the real ARM SDK. Every token the stand-in issued is looked for in the captured logs.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { pushPayload, RUNNER_TOKEN, runAction, scanForSecrets } from '../scripts/lib/action-runner.mjs'
import { createEstate } from '../scripts/lib/git-fixture.mjs'
import { ESTATE_CONFIG, ESTATE_FILES, SUBSCRIPTION } from './estate-config.js'
import { stringify } from 'yaml'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Estate = ReturnType<typeof createEstate>

const OIDC_CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const SECRET_CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'
const CLIENT_SECRET = 'standin~Secret.0123456789abcdef'
const IMAGE = 'myregistry.azurecr.io/api'

let standin: Standin
const contract = useAzureContract()
let estate: Estate
scanForSecrets(() => [...(standin?.issuedTokens() ?? []), CLIENT_SECRET])

beforeEach(async () => {
  standin = await startAzureStandin({ containers: 'none', onExchange: contract.onExchange })
  standin.registerApplication({ clientId: OIDC_CLIENT, federatedCredentials: [{ subject: 'repo:octo-org/estate:ref:refs/heads/main' }] })
  standin.registerApplication({ clientId: SECRET_CLIENT, clientSecret: CLIENT_SECRET })
})

afterEach(async () => {
  estate?.dispose()
  await standin.close()
})

/** The estate's config, pointed at the stand-in as a custom cloud. */
function configFor(s: Standin): string {
  return `${stringify({ cloud: s.cloudSetting })}${ESTATE_CONFIG}`
}

/**
 * History: A is live on production; B (a frontend change) was pushed but never deployed;
 * C changes the backend and is pushed with before = B.
 */
async function history({ production = (commits: { a: string; c: string }) => `${IMAGE}:${commits.a}` } = {}) {
  estate = createEstate({ files: { ...ESTATE_FILES, '.github/azure-deploy.yml': configFor(standin) } })
  const a = estate.head()
  estate.push('main')
  const b = estate.commit({ 'frontend/src/App.jsx': 'never deployed\n' })
  estate.push('main')
  const c = estate.commit({ 'backend/app.py': 'print("v3")\n' })
  const before = estate.push('main')
  for (const name of ['api-prod-1', 'api-prod-2']) {
    // Staging holds the release before the last swap: what is live is production's image.
    await standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: 'rg-prod', name, slots: ['staging'], image: production({ a, c }), slotImages: { staging: `${IMAGE}:${'0'.repeat(40)}` } })
  }
  return { a, b, c, before }
}

async function run(head: string, before: string, inputs: Record<string, string>, env: Record<string, string> = oidcEnv()) {
  const result = await runAction({
    workspace: estate.checkout(head),
    sha: head,
    event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: head }) },
    inputs: { 'subscription-id': SUBSCRIPTION, 'tenant-id': standin.tenantId, ...inputs },
    env: { NODE_EXTRA_CA_CERTS: standin.caCertPath, ...env }
  })
  // runAction has scanned the logs, outputs and summary for these (scanForSecrets above).
  return { ...result, issued: standin.issuedTokens() }
}

const oidcEnv = () => ({ ACTIONS_ID_TOKEN_REQUEST_URL: standin.githubOidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: standin.githubOidc.requestToken })

/** ARM reads of each production app's config/web, as the stand-in saw them. */
const configReads = () => standin.calls.filter(call => call.method === 'GET' && /\/sites\/api-prod-\d\/config\/web$/i.test(call.path))

describe('signing in as the runner does', () => {
  test('OIDC: the ID token becomes an access token, and each target is read through ARM', async () => {
    const { a, c, before } = await history()
    const result = await run(c, before, { 'client-id': OIDC_CLIENT, 'dry-run': 'true' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['backend-reason']).toBe('deployed')
    expect(result.outputs['backend-base']).toBe(a)
    expect(result.outputs['backend-changed']).toBe('true')
    expect(result.outputs.result).toBe('planned')

    const reads = configReads()
    expect(reads.map(call => [call.path.toLowerCase(), call.status, call.principal])).toEqual(
      expect.arrayContaining([
        [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-prod/providers/microsoft.web/sites/api-prod-1/config/web`, 200, OIDC_CLIENT],
        [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-prod/providers/microsoft.web/sites/api-prod-2/config/web`, 200, OIDC_CLIENT]
      ])
    )
    expect(standin.calls.some(call => call.path.startsWith('/github-oidc') || call.path.includes('idtoken'))).toBe(true)
    // Every token issued (the GitHub ID tokens and the ARM access token) was masked.
    expect(result.issued.length).toBeGreaterThanOrEqual(2)
    for (const token of result.issued) expect(result.stdout).toContain(`::add-mask::${token}`)
  })

  test('not a dry run, and production already runs the head: nothing to do, result skipped', async () => {
    const { c, before } = await history({ production: ({ c }) => `${IMAGE}:${c}` })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.changed).toBe('[]')
    expect(result.outputs['backend-reason']).toBe('deployed')
    expect(result.outputs['backend-base']).toBe(c)
    expect(result.outputs.result).toBe('skipped')
  })

  test('a target that runs an image this action did not deploy: the backend is deployed', async () => {
    const { c, before } = await history({ production: () => 'mcr.microsoft.com/appsvc/staticsite:latest' })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT, 'dry-run': 'true' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['backend-reason']).toBe('not-deployed')
    expect(result.stdout).toMatch(/api-prod-1 \(mcr\.microsoft\.com\/appsvc\/staticsite:latest\), api-prod-2 .* run nothing this action deployed/)
  })

  test('client secret: signs in as the app, and the secret never shows', async () => {
    const { a, c, before } = await history()
    const result = await run(c, before, { auth: 'client-secret', 'client-id': SECRET_CLIENT, 'client-secret': CLIENT_SECRET, 'dry-run': 'true' }, {})
    expect(result.exitCode).toBe(0)
    expect(result.outputs['backend-base']).toBe(a)
    expect(configReads().every(call => call.principal === SECRET_CLIENT)).toBe(true)
    expect(result.stdout).toContain(`::add-mask::${CLIENT_SECRET}`)
  })

  test('ARM answers 429 twice: the SDK waits out Retry-After and the run goes on', async () => {
    const { a, c, before } = await history()
    standin.faults.fail({ method: 'GET', path: /\/sites\/api-prod-1\/config\/web$/i, times: 2, status: 429, retryAfterSeconds: 1 })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT, 'dry-run': 'true' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['backend-base']).toBe(a)
    const statuses = standin.calls.filter(call => /\/sites\/api-prod-1\/config\/web$/i.test(call.path)).map(call => call.status)
    expect(statuses).toEqual([429, 429, 200])
  })
})

describe('sign-in failures say what to change', () => {
  test('an expired ID token, not a dry run: the step fails with Entra ID’s reason', async () => {
    const { c, before } = await history()
    standin.setOidcClaims({ exp: Math.floor(Date.now() / 1000) - 600 })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT })
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toMatch(/::error::azure-push-deploy: signing in to Azure \(oidc, standin\) failed: .*AADSTS700024/)
    expect(result.stdout).toContain('had expired')
    expect(result.outputs.result).toBe('failed')
    expect(configReads()).toEqual([])
  })

  test('a subject with no federated credential, in a dry run: a warning naming the subject to register', async () => {
    const { b, c, before } = await history()
    standin.setOidcClaims({ sub: 'repo:octo-org/estate:environment:prod' })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT, 'dry-run': 'true' })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/::warning::Dry run without Azure: .*AADSTS700213/)
    expect(result.stdout).toContain('subject repo:octo-org/estate:environment:prod')
    expect(result.outputs['backend-reason']).toBe('before')
    expect(result.outputs['backend-base']).toBe(b)
  })

  test('auth: oidc without id-token: write', async () => {
    const { c, before } = await history()
    const result = await run(c, before, { auth: 'oidc', 'client-id': OIDC_CLIENT }, {})
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('the runner offers no GitHub OIDC token')
    expect(result.stdout).toContain('permissions: { id-token: write }')
  })
})

describe('the last successful GitHub deployment stands in when the targets cannot be read', () => {
  /** An earlier run recorded prod/backend at `sha` as successful; this job's token may read deployments. */
  function recordedDeployment(sha: string) {
    standin.github.addToken(RUNNER_TOKEN, { deployments: 'read' })
    standin.github.seed({ repository: 'octo-org/estate', sha, environment: 'prod/backend', states: ['in_progress', 'success'] })
  }
  const githubEnv = () => ({ ...oidcEnv(), GITHUB_API_URL: standin.github.apiUrl })

  test('ARM refuses to read one target (403): the backend is compared with that deployment, with a warning', async () => {
    const { a, c, before } = await history()
    recordedDeployment(a)
    standin.faults.fail({ method: 'GET', path: /\/sites\/api-prod-1\/config\/web$/i, times: 5, status: 403 })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT, 'dry-run': 'true' }, githubEnv())
    expect(result.exitCode).toBe(0)
    expect(result.outputs['backend-reason']).toBe('deployed')
    expect(result.outputs['backend-base']).toBe(a)
    expect(result.stdout).toMatch(/::warning::backend: could not read what is deployed on .*; using the last successful GitHub deployment of prod\/backend, [0-9a-f]{12}/)
    expect(standin.calls.some(call => call.method === 'GET' && call.path.endsWith('/deployments') && call.status === 200)).toBe(true)
  })

  test('the same refusal with nothing recorded on GitHub: the push’s before, as without deployments', async () => {
    const { c, before } = await history()
    standin.github.addToken(RUNNER_TOKEN, { deployments: 'read' })
    standin.faults.fail({ method: 'GET', path: /\/sites\/api-prod-1\/config\/web$/i, times: 5, status: 403 })
    const result = await run(c, before, { 'client-id': OIDC_CLIENT, 'dry-run': 'true' }, githubEnv())
    expect(result.exitCode).toBe(0)
    expect(result.outputs['backend-reason']).toBe('before')
    expect(result.outputs['backend-base']).toBe(before)
  })

  test('a dry run that cannot sign in to Azure: each part is compared with its last successful GitHub deployment', async () => {
    const { a, c, before } = await history()
    recordedDeployment(a)
    // No client-id and no Azure CLI session: Azure cannot be asked.
    const result = await run(c, before, { 'dry-run': 'true' }, { GITHUB_API_URL: standin.github.apiUrl })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/::warning::Dry run without Azure/)
    expect(result.outputs['backend-reason']).toBe('deployed')
    expect(result.outputs['backend-base']).toBe(a)
    // Nothing recorded for the frontend: the event's previous commit.
    expect(result.outputs['frontend-reason']).toBe('before')
    // One warning, and it says what really happened to each part — and that a real run compares with the targets.
    const warnings = result.stdout.split('\n').filter(line => line.startsWith('::warning::'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/a real run compares each part with them, so it may deploy other parts than planned here\)\. Compared instead — backend: its last successful GitHub deployment; frontend: the event's previous commit\./)
  })
})
