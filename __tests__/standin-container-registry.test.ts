/**
 * The stand-in's Azure Container Registry: the token exchange with its audience and role checks,
 * the Docker token endpoint, the Bearer challenges of the registry API, and real `docker login`,
 * `docker push` and `docker pull` through its loopback front into the local registry. Entra
 * tokens come from the stand-in through @azure/identity; the Docker tests skip without Docker,
 * saying why, except under CI=true, where they fail.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { ClientSecretCredential } from '@azure/identity'
import { ACR_AUDIENCE, ACR_REFRESH_TOKEN_USER } from '../azure-standin/container-registry.mjs'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { createCommandRunner } from '../src/command-runner.js'
import { dockerTestFor, importTinyImage, requireDocker, requireRegistry } from '../__fixtures__/docker.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Registry = Awaited<ReturnType<Standin['addContainerRegistry']>>

const PUSHER = { clientId: '6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b', clientSecret: 'pusher~Secret.0123456789' }
const PULLER = { clientId: '7b2a3c4d-5e6f-4a71-9b8c-0d1e2f3a4b5c', clientSecret: 'puller~Secret.0123456789' }
const STRANGER = { clientId: '8c3b4d5e-6f7a-4b82-8c9d-1e2f3a4b5c6d', clientSecret: 'stranger~Secret.0123456789' }
const AUTHENTICATION_REQUIRED = 'authentication required, visit https://aka.ms/acr/authorization for more information.'

let standin: Standin
let registry: Registry
const defaultCaCertificates = tls.getCACertificates('default')
const dockerTest = dockerTestFor('standin-container-registry')

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none' })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  for (const app of [PUSHER, PULLER, STRANGER]) standin.registerApplication(app)
  registry = await standin.addContainerRegistry({ name: 'estateregistry' })
  standin.grantRegistryRole({ registry: 'estateregistry', principal: PUSHER.clientId, role: 'AcrPush' })
  standin.grantRegistryRole({ registry: 'estateregistry', principal: PULLER.clientId, role: 'AcrPull' })
})

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
})

async function entraToken(app: { clientId: string; clientSecret: string }, resource: string): Promise<string> {
  const credential = new ClientSecretCredential(standin.tenantId, app.clientId, app.clientSecret, { authorityHost: standin.url, disableInstanceDiscovery: true })
  const token = await credential.getToken(`${resource}/.default`)
  return token!.token
}

async function exchange(accessToken: string, overrides: Record<string, string> = {}) {
  const response = await fetch(`${registry.url}/oauth2/exchange`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'access_token', service: registry.loginServer, tenant: standin.tenantId, access_token: accessToken, ...overrides })
  })
  return { status: response.status, body: (await response.json()) as { refresh_token?: string; errors?: { code: string; message: string }[] } }
}

async function refreshTokenFor(app: { clientId: string; clientSecret: string }): Promise<string> {
  const { status, body } = await exchange(await entraToken(app, ACR_AUDIENCE))
  expect(status).toBe(200)
  return body.refresh_token!
}

/** As docker asks: GET with Basic auth (the null GUID and the refresh token), one query per scope. */
async function accessTokenFor(refreshToken: string, scopes: string[]) {
  const query = new URLSearchParams({ service: registry.loginServer })
  for (const scope of scopes) query.append('scope', scope)
  const response = await fetch(`${registry.url}/oauth2/token?${query}`, { headers: { Authorization: `Basic ${Buffer.from(`${ACR_REFRESH_TOKEN_USER}:${refreshToken}`).toString('base64')}` } })
  return { status: response.status, body: (await response.json()) as { access_token?: string; errors?: { code: string; message: string }[] } }
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}

const exchanges = () => standin.state().registries.find(entry => entry.name === 'estateregistry')!.exchanges

describe('POST /oauth2/exchange', () => {
  test('a registry-audience token of a principal with a role → a refresh token for this registry', async () => {
    const { status, body } = await exchange(await entraToken(PUSHER, ACR_AUDIENCE))
    expect(status).toBe(200)
    expect(claimsOf(body.refresh_token!)).toMatchObject({ iss: 'Azure Container Registry', aud: registry.loginServer, grant_type: 'refresh_token', tenant: standin.tenantId })
    expect(exchanges().at(-1)).toMatchObject({ status: 200, principal: PUSHER.clientId, audience: 'registry', error: null })
    expect(standin.issuedTokens()).toContain(body.refresh_token)
  })

  test('an ARM-audience token is exchanged while authentication-as-arm is enabled, and refused once it is disabled', async () => {
    const armToken = await entraToken(PUSHER, standin.cloud.resourceManagerAudience)
    expect((await exchange(armToken)).status).toBe(200)
    expect(exchanges().at(-1)).toMatchObject({ status: 200, audience: 'arm' })

    standin.setRegistryAuthenticationAsArm('estateregistry', false)
    try {
      const refused = await exchange(armToken)
      expect(refused).toEqual({ status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: expect.stringMatching(/authentication-as-arm.*https:\/\/containerregistry\.azure\.net/) }] } })
      expect(exchanges().at(-1)).toMatchObject({ status: 401, audience: 'arm' })
      // The registry's own audience is accepted whatever the policy.
      expect((await exchange(await entraToken(PUSHER, ACR_AUDIENCE))).status).toBe(200)
    } finally {
      standin.setRegistryAuthenticationAsArm('estateregistry', true)
    }
  })

  test.each<[string, number, () => Promise<Record<string, string>>, RegExp]>([
    ['a token for another resource (Storage)', 401, async () => ({ access_token: await entraToken(PUSHER, 'https://storage.azure.com') }), /audience 'https:\/\/storage\.azure\.com' is not accepted/],
    ['a principal with no role on the registry', 401, async () => ({ access_token: await entraToken(STRANGER, ACR_AUDIENCE) }), /has no role on the registry estateregistry/],
    ['a token that is not an Entra token', 401, async () => ({ access_token: 'eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.' }), /not a valid Microsoft Entra access token/],
    ['another tenant named', 401, async () => ({ access_token: await entraToken(PUSHER, ACR_AUDIENCE), tenant: '11111111-2222-3333-4444-555555555555' }), /not issued by the tenant/],
    ['another service', 400, async () => ({ access_token: await entraToken(PUSHER, ACR_AUDIENCE), service: 'other.azurecr.io' }), /is not this registry/],
    ['a deprecated grant type', 400, async () => ({ access_token: await entraToken(PUSHER, ACR_AUDIENCE), grant_type: 'refresh_token' }), /not supported/]
  ])('%s → %i in ACR’s error shape', async (_name, status, form, message) => {
    const refused = await exchange('', await form())
    expect(refused.status).toBe(status)
    expect(refused.body.errors).toEqual([{ code: status === 401 ? 'UNAUTHORIZED' : 'UNSUPPORTED', message: expect.stringMatching(message) }])
  })

  test('only POST: a GET is a 404, as ACR answers', async () => {
    const response = await fetch(`${registry.url}/oauth2/exchange`)
    expect(response.status).toBe(404)
  })

  test('a tenant without the registry audience: Entra refuses the token with AADSTS500011', async () => {
    standin.setEntraResourceAvailable(ACR_AUDIENCE, false)
    try {
      await expect(entraToken(PUSHER, ACR_AUDIENCE)).rejects.toThrow(/AADSTS500011/)
    } finally {
      standin.setEntraResourceAvailable(ACR_AUDIENCE, true)
    }
  })
})

describe('GET|POST /oauth2/token and the registry API', () => {
  test('docker’s token request: the scopes the role allows, nothing more', async () => {
    const pusher = await accessTokenFor(await refreshTokenFor(PUSHER), ['repository:estate/api:pull,push'])
    expect(pusher.status).toBe(200)
    expect(claimsOf(pusher.body.access_token!).access).toEqual([{ type: 'repository', name: 'estate/api', actions: ['pull', 'push'] }])

    const puller = await accessTokenFor(await refreshTokenFor(PULLER), ['repository:estate/api:pull,push'])
    expect(claimsOf(puller.body.access_token!).access).toEqual([{ type: 'repository', name: 'estate/api', actions: ['pull'] }])
  })

  test('the documented POST form (grant_type=refresh_token) answers the same way', async () => {
    const response = await fetch(`${registry.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', service: registry.loginServer, scope: 'repository:estate/api:pull', refresh_token: await refreshTokenFor(PUSHER) })
    })
    expect(response.status).toBe(200)
    const { access_token: accessToken } = (await response.json()) as { access_token: string }
    expect(claimsOf(accessToken).access).toEqual([{ type: 'repository', name: 'estate/api', actions: ['pull'] }])
  })

  test('a wrong user name or a token it did not issue → 401 with a challenge', async () => {
    const wrongUser = await fetch(`${registry.url}/oauth2/token?service=${registry.loginServer}`, { headers: { Authorization: `Basic ${Buffer.from(`admin:${await refreshTokenFor(PUSHER)}`).toString('base64')}` } })
    expect(wrongUser.status).toBe(401)
    expect(wrongUser.headers.get('www-authenticate')).toBe(`Bearer realm="${registry.url}/oauth2/token",service="${registry.loginServer}"`)
    expect((await accessTokenFor('not-a-refresh-token', [])).body.errors).toEqual([{ code: 'UNAUTHORIZED', message: expect.stringMatching(/not valid for this registry/) }])
  })

  test('the registry API without a token, or beyond its scope: 401 with ACR’s body and a Bearer challenge naming the scope', async () => {
    const anonymous = await fetch(`${registry.url}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe(`Bearer realm="${registry.url}/oauth2/token",service="${registry.loginServer}"`)
    expect(anonymous.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
    expect(await anonymous.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: AUTHENTICATION_REQUIRED }] })

    const pullOnly = await accessTokenFor(await refreshTokenFor(PULLER), ['repository:estate/api:pull,push'])
    const upload = await fetch(`${registry.url}/v2/estate/api/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${pullOnly.body.access_token}` } })
    expect(upload.status).toBe(401)
    expect(upload.headers.get('www-authenticate')).toBe(`Bearer realm="${registry.url}/oauth2/token",service="${registry.loginServer}",scope="repository:estate/api:pull,push"`)
    expect(await upload.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: AUTHENTICATION_REQUIRED, detail: [{ Type: 'repository', Name: 'estate/api', Action: 'push' }] }] })
  })
})

describe('the real docker CLI through the registry front', () => {
  let dockerConfig: string
  const runner = createCommandRunner()
  const tag = `apd-standin-acr-${process.pid}:v1`

  beforeAll(async () => {
    dockerConfig = await mkdtemp(join(tmpdir(), 'apd-standin-acr-'))
  })

  afterAll(async () => {
    await rm(dockerConfig, { recursive: true, force: true })
  })

  const docker = (args: string[], input?: string) => runner.run('docker', args, { env: { DOCKER_CONFIG: dockerConfig }, ...(input ? { input: Buffer.from(input) } : {}) })

  dockerTest('AcrPush: docker login with the refresh token and docker push work; AcrPull: pull works, push is refused', async () => {
    requireDocker()
    await requireRegistry()
    const image = `${registry.loginServer}/estate/api:v1`
    await importTinyImage(tag)
    try {
      expect((await docker(['tag', tag, image])).exitCode).toBe(0)
      const login = await docker(['login', registry.loginServer, '--username', ACR_REFRESH_TOKEN_USER, '--password-stdin'], await refreshTokenFor(PUSHER))
      expect(login).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('Login Succeeded') })
      const push = await docker(['push', image])
      expect(push.exitCode).toBe(0)
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1]
      expect(standin.state().registries[0]!.pushes).toContainEqual(expect.objectContaining({ repository: 'estate/api', reference: 'v1', digest, principal: PUSHER.clientId }))

      expect((await docker(['login', registry.loginServer, '--username', ACR_REFRESH_TOKEN_USER, '--password-stdin'], await refreshTokenFor(PULLER))).exitCode).toBe(0)
      expect((await docker(['pull', image])).exitCode).toBe(0)
      expect((await docker(['tag', tag, `${registry.loginServer}/estate/api:v2`])).exitCode).toBe(0)
      const refused = await docker(['push', `${registry.loginServer}/estate/api:v2`])
      expect(refused.exitCode).not.toBe(0)
      expect(`${refused.stdout}${refused.stderr}`).toMatch(/unauthorized|authentication required|denied/i)
    } finally {
      await docker(['rmi', '--force', tag, image, `${registry.loginServer}/estate/api:v2`])
    }
  }, 120_000)

  dockerTest('a refresh token the registry did not issue: docker login fails with the registry’s words', async () => {
    requireDocker()
    const login = await docker(['login', registry.loginServer, '--username', ACR_REFRESH_TOKEN_USER, '--password-stdin'], 'not-a-refresh-token')
    expect(login.exitCode).not.toBe(0)
    expect(login.stderr).toMatch(/unauthorized: the refresh token is not valid for this registry/)
  }, 60_000)
})
