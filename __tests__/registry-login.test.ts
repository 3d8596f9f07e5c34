/**
 * Registry login: which login a registry gets; Azure Container Registry's token exchange,
 * registry audience first and ARM audience as the fallback, through the Azure stand-in's
 * registry front with real `docker login` and `docker push` (and, for answers the stand-in does
 * not give, over real HTTPS against a local server standing in for `<registry>/oauth2/exchange`);
 * the refresh token reaching `docker login` through stdin only; every token masked; error
 * guidance; a private Docker config that cleanup removes. The Docker tests skip without Docker,
 * saying why, except under CI=true, where they fail.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { createTlsMaterial, listenHttps, readBody } from '../azure-standin/https-server.mjs'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { KNOWN_CLOUDS, resolveCloud } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'
import { ACR_AUDIENCE, ACR_TOKEN_USERNAME, chooseRegistryLogin, loginToRegistry, type RegistryCredentials, type RegistryLoginDeps } from '../src/backend/registry-login.js'
import { createCommandRunner } from '../src/command-runner.js'
import { DeployError } from '../src/errors.js'
import { recordingRunner, succeeded } from '../__fixtures__/command-runner.js'
import { recordingLogger } from '../__fixtures__/logger.js'
import { thrownBy } from '../__fixtures__/errors.js'
import { docker, dockerTestFor, importTinyImage, REGISTRY as LOCAL_REGISTRY, requireDocker, requireRegistry, SETUP_HINT } from '../__fixtures__/docker.js'

const ACR = 'estateregistry.azurecr.io'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const REFRESH_TOKEN = 'acr-refresh.eyJqdGkiOiJyZWZyZXNoIn0.signature'

/** An Entra-shaped access token (unsigned: only its `tid` claim is read). */
function armAccessToken(tid = TENANT): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: 'https://management.azure.com', tid })}.sig`
}

/** A TokenCredential that hands out one token and remembers the scopes asked for. */
function fixedCredential(token: string | null): TokenCredential & { scopes: string[] } {
  const scopes: string[] = []
  return {
    scopes,
    async getToken(scope: string | string[]): Promise<AccessToken | null> {
      scopes.push(...[scope].flat())
      return token === null ? null : { token, expiresOnTimestamp: Date.now() + 3_600_000 }
    }
  }
}

interface ExchangeRequest {
  method: string
  path: string
  contentType: string | undefined
  form: Record<string, string>
}

type ExchangeReply = { status: number; body: string }

const dockerTest = dockerTestFor('registry-login')

describe('chooseRegistryLogin', () => {
  const azure = { credential: fixedCredential('t'), cloud: KNOWN_CLOUDS.AzureCloud }
  test.each<[string, string, string, RegistryCredentials]>([
    ['ACR with the Azure sign-in', 'acr-token', ACR, { azure }],
    ['ACR in US Government', 'acr-token', 'govregistry.azurecr.us', { azure }],
    ['ACR with a username and password: those win', 'password', ACR, { azure, username: 'ci-token', password: 'p' }],
    ['another registry with a username and password', 'password', 'ghcr.io', { username: 'octo', password: 'p' }],
    ['a loopback registry', 'none', '127.0.0.1:5555', { azure }],
    ['another registry without credentials', 'none', 'registry.example.com', { azure }],
    ['registry-auth azure: any host is an ACR (custom domain, loopback)', 'acr-token', '127.0.0.1:5555', { azure, mode: 'azure' }],
    ['registry-auth azure on a custom domain', 'acr-token', 'registry.contoso.com', { azure, mode: 'azure' }],
    ['registry-auth password on an ACR', 'password', ACR, { azure, mode: 'password', username: 'ci-token', password: 'p' }],
    ['registry-auth none: no login even with credentials', 'none', ACR, { azure, mode: 'none', username: 'ci-token', password: 'p' }],
    ['registry-auth auto is the default', 'acr-token', ACR, { azure, mode: 'auto' }]
  ])('%s → %s', (_name, method, registry, credentials) => {
    expect(chooseRegistryLogin(registry, credentials).method).toBe(method)
  })

  test('a registry without credentials is allowed, with a warning; a loopback one quietly', () => {
    expect(chooseRegistryLogin('registry.example.com', {})).toMatchObject({ method: 'none', warn: true, reason: expect.stringMatching(/registry-username/) })
    expect(chooseRegistryLogin('localhost:5000', {})).toMatchObject({ method: 'none', warn: false })
  })

  test.each<[string, RegistryCredentials, RegExp]>([
    ['a username without a password', { username: 'octo' }, /username is set without a password/],
    ['a password without a username', { password: 'p' }, /password is set without a username/],
    ['ACR without any sign-in', {}, /Azure Container Registry, but the deploy has no Azure sign-in/],
    ['registry-auth azure without any sign-in', { mode: 'azure' }, /registry-auth is azure, but the deploy has no Azure sign-in/],
    ['registry-auth password without a username and password', { mode: 'password' }, /registry-auth is password, but registry-username and registry-password are not set/]
  ])('%s → DeployError', (_name, credentials, message) => {
    const error = thrownBy(DeployError, () => chooseRegistryLogin(ACR, credentials))
    expect(error.message).toMatch(message)
    expect(error.hint).toBeTruthy()
  })
})

describe('loginToRegistry: Azure Container Registry token exchange over HTTPS', () => {
  const defaultCaCertificates = tls.getCACertificates('default')
  const exchanges: ExchangeRequest[] = []
  let reply: ExchangeReply
  let server: Awaited<ReturnType<typeof listenHttps>>
  let tempDir: string
  let home: string

  beforeAll(async () => {
    const material = await createTlsMaterial()
    tls.setDefaultCACertificates([...defaultCaCertificates, material.caCertPem])
    server = await listenHttps(material, async (incoming: IncomingMessage, response) => {
      const url = new URL(incoming.url ?? '/', 'https://registry')
      const text = await readBody(incoming)
      exchanges.push({ method: incoming.method ?? '', path: url.pathname, contentType: incoming.headers['content-type'], form: Object.fromEntries(new URLSearchParams(text)) })
      response.writeHead(reply.status, { 'Content-Type': 'application/json' })
      response.end(reply.body)
    })
    tempDir = await mkdtemp(join(tmpdir(), 'apd-registry-login-'))
    home = join(tempDir, 'home')
  })

  afterAll(async () => {
    await server?.close()
    tls.setDefaultCACertificates(defaultCaCertificates)
    await rm(tempDir, { recursive: true, force: true })
  })

  /** fetch, with the registry's host swapped for the local server's: the request itself is real HTTPS. */
  const fetchViaLocalServer: typeof fetch = (input, init) => {
    const url = new URL(String(input))
    return fetch(`${server.url}${url.pathname}${url.search}`, init)
  }

  /** What the login did, in order: masks, HTTP exchanges and docker commands. */
  function loginDeps(events: string[]) {
    const runner = recordingRunner(call => {
      events.push(`docker ${call.args[0]}`)
      return succeeded
    })
    const deps: RegistryLoginDeps = {
      runner,
      logger: recordingLogger(),
      env: { HOME: home },
      tempDir: join(tempDir, 'runner-temp'),
      setSecret: value => void events.push(`mask ${value}`),
      fetch: (input, init) => {
        events.push('exchange')
        return fetchViaLocalServer(input, init)
      }
    }
    return { runner, deps }
  }

  test('exchanges a registry-audience token for a refresh token, masks both, and logs docker in with it through stdin', async () => {
    exchanges.length = 0
    reply = { status: 200, body: JSON.stringify({ refresh_token: REFRESH_TOKEN }) }
    const accessToken = armAccessToken()
    const credential = fixedCredential(accessToken)
    const events: string[] = []
    const { runner, deps } = loginDeps(events)

    const session = await loginToRegistry(ACR, { azure: { credential, cloud: KNOWN_CLOUDS.AzureCloud, tenantId: TENANT } }, deps)

    expect(credential.scopes).toEqual(['https://containerregistry.azure.net/.default'])
    expect(exchanges).toEqual([
      { method: 'POST', path: '/oauth2/exchange', contentType: 'application/x-www-form-urlencoded', form: { grant_type: 'access_token', service: ACR, tenant: TENANT, access_token: accessToken } }
    ])
    // Each token is masked as soon as it exists: the ARM token before the exchange, the refresh token before docker sees it.
    expect(events).toEqual([`mask ${accessToken}`, 'exchange', `mask ${REFRESH_TOKEN}`, 'docker login'])
    const [login] = runner.calls
    expect(login!.args).toEqual(['login', ACR, '--username', ACR_TOKEN_USERNAME, '--password-stdin'])
    expect(login!.options.input?.toString()).toBe(REFRESH_TOKEN)
    expect(session).toMatchObject({ method: 'acr-token', audience: 'registry' })
    // What a release step's container group pulls the image with.
    expect(session.pullCredentials).toEqual({ username: ACR_TOKEN_USERNAME, password: REFRESH_TOKEN })
    expect(login!.options.env).toEqual(session.dockerEnv)
    expect(session.dockerEnv.DOCKER_CONFIG).toMatch(new RegExp(`^${join(tempDir, 'runner-temp', 'docker-config-')}`))

    await session.cleanup()
    await expect(lstat(session.dockerEnv.DOCKER_CONFIG!)).rejects.toThrow(/ENOENT/)
  })

  test('a sovereign cloud: the registry audience is the same; the tenant comes from the token when not given', async () => {
    exchanges.length = 0
    reply = { status: 200, body: JSON.stringify({ refresh_token: REFRESH_TOKEN }) }
    const credential = fixedCredential(armAccessToken('11111111-2222-3333-4444-555555555555'))
    const session = await loginToRegistry('govregistry.azurecr.us', { azure: { credential, cloud: KNOWN_CLOUDS.AzureUSGovernment } }, loginDeps([]).deps)
    expect(credential.scopes).toEqual(['https://containerregistry.azure.net/.default'])
    expect(exchanges[0]?.form).toMatchObject({ service: 'govregistry.azurecr.us', tenant: '11111111-2222-3333-4444-555555555555' })
    await session.cleanup()
  })

  test('a sovereign cloud with the ARM fallback: the token is for that cloud’s ARM', async () => {
    exchanges.length = 0
    reply = { status: 200, body: JSON.stringify({ refresh_token: REFRESH_TOKEN }) }
    const scopes: string[] = []
    const credential: TokenCredential = {
      async getToken(scope) {
        scopes.push(...[scope].flat())
        if ([scope].flat().includes(`${ACR_AUDIENCE}/.default`)) throw new Error('AADSTS500011: The resource principal named https://containerregistry.azure.net was not found in the tenant.\r\nTrace ID: x')
        return { token: armAccessToken(), expiresOnTimestamp: Date.now() + 3_600_000 }
      }
    }
    const session = await loginToRegistry('govregistry.azurecr.us', { azure: { credential, cloud: KNOWN_CLOUDS.AzureUSGovernment, tenantId: TENANT } }, loginDeps([]).deps)
    expect(scopes).toEqual(['https://containerregistry.azure.net/.default', 'https://management.usgovcloudapi.net/.default'])
    expect(session.audience).toBe('arm')
    await session.cleanup()
  })

  test.each<[string, ExchangeReply, RegExp, RegExp]>([
    ['401 to both audiences', { status: 401, body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }) }, /registry-audience token was refused \(HTTP 401 \(authentication required\)\), and the ARM-audience token was refused/, /AcrPush/],
    ['403 to both audiences', { status: 403, body: '{"errors":[{"code":"DENIED","message":"access denied"}]}' }, /HTTP 403 \(access denied\)/, /AcrPush/],
    ['404', { status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN","message":"registry not found"}]}' }, /HTTP 404 \(registry not found\)/, /registry's login server/],
    ['400 (OAuth error)', { status: 400, body: '{"error":"invalid_request","error_description":"tenant mismatch"}' }, /HTTP 400 \(tenant mismatch\)/, /tenant-id/],
    ['503', { status: 503, body: 'Service Unavailable' }, /HTTP 503 \(Service Unavailable\)/, /re-run/],
    ['200 without a refresh token', { status: 200, body: '{}' }, /without a refresh_token/, /login server/]
  ])('the exchange answers %s → DeployError with guidance; no docker login, no Docker config left', async (_name, answer, message, hint) => {
    reply = answer
    const { runner, deps } = loginDeps([])
    const failed = loginToRegistry(ACR, { azure: { credential: fixedCredential(armAccessToken()), cloud: KNOWN_CLOUDS.AzureCloud, tenantId: TENANT } }, deps)
    await expect(failed).rejects.toThrow(DeployError)
    await expect(failed).rejects.toThrow(message)
    await expect(failed).rejects.toMatchObject({ hint: expect.stringMatching(hint) })
    expect(runner.calls).toEqual([])
    expect((await readdir(deps.tempDir)).filter(name => name.startsWith('docker-config-'))).toEqual([])
  })

  test('a registry whose name does not resolve → DeployError naming it', async () => {
    const { deps } = loginDeps([])
    const notFound = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND nosuch.azurecr.io'), { code: 'ENOTFOUND' }) })
    const failed = loginToRegistry('nosuch.azurecr.io', { azure: { credential: fixedCredential(armAccessToken()), cloud: KNOWN_CLOUDS.AzureCloud } }, { ...deps, fetch: () => Promise.reject(notFound) })
    await expect(failed).rejects.toThrow('the registry nosuch.azurecr.io was not found (no such host).')
    await expect(failed).rejects.toMatchObject({ hint: expect.stringContaining('parts.backend.registry') })
  })

  test('a refusal is tried with the ARM audience; any other failure is not', async () => {
    exchanges.length = 0
    reply = { status: 401, body: '{"errors":[{"code":"UNAUTHORIZED","message":"no"}]}' }
    await expect(loginToRegistry(ACR, { azure: { credential: fixedCredential(armAccessToken()), cloud: KNOWN_CLOUDS.AzureCloud } }, loginDeps([]).deps)).rejects.toThrow(DeployError)
    expect(exchanges).toHaveLength(2)
    exchanges.length = 0
    reply = { status: 503, body: 'Service Unavailable' }
    await expect(loginToRegistry(ACR, { azure: { credential: fixedCredential(armAccessToken()), cloud: KNOWN_CLOUDS.AzureCloud } }, loginDeps([]).deps)).rejects.toThrow(/HTTP 503/)
    expect(exchanges).toHaveLength(1)
  })

  test('Azure returns no token for either audience → DeployError, no exchange', async () => {
    exchanges.length = 0
    const failed = loginToRegistry(ACR, { azure: { credential: fixedCredential(null), cloud: KNOWN_CLOUDS.AzureCloud } }, loginDeps([]).deps)
    await expect(failed).rejects.toThrow(/no access token/)
    expect(exchanges).toEqual([])
  })

  test('docker login refusing the refresh token → DeployError with docker output and the AcrPush hint', async () => {
    reply = { status: 200, body: JSON.stringify({ refresh_token: REFRESH_TOKEN }) }
    const { deps } = loginDeps([])
    const refusing = recordingRunner(() => ({ exitCode: 1, stdout: '', stderr: 'Error response from daemon: Get "https://estateregistry.azurecr.io/v2/": unauthorized' }))
    const failed = loginToRegistry(ACR, { azure: { credential: fixedCredential(armAccessToken()), cloud: KNOWN_CLOUDS.AzureCloud } }, { ...deps, runner: refusing })
    await expect(failed).rejects.toThrow(/docker login to estateregistry\.azurecr\.io failed \(exit code 1\):\n.*unauthorized/)
    await expect(failed).rejects.toMatchObject({ hint: expect.stringMatching(/AcrPush/) })
  })

  test("the user's buildx state and CLI plugins stay visible, without writing to the user's Docker config", async () => {
    const userConfig = join(home, '.docker')
    await mkdir(join(userConfig, 'cli-plugins'), { recursive: true })
    await mkdir(join(userConfig, 'buildx'), { recursive: true })
    const session = await loginToRegistry(LOCAL_REGISTRY, {}, loginDeps([]).deps)
    expect(session).toMatchObject({ method: 'none', dockerEnv: { BUILDX_CONFIG: join(userConfig, 'buildx') } })
    expect((await lstat(join(session.dockerEnv.DOCKER_CONFIG!, 'cli-plugins'))).isSymbolicLink()).toBe(true)
    await session.cleanup()
    expect((await readdir(userConfig)).sort()).toEqual(['buildx', 'cli-plugins'])
    expect(await readdir(join(userConfig, 'cli-plugins'))).toEqual([])
  })
})

describe('loginToRegistry with the real docker CLI', () => {
  let tempDir: string

  beforeAll(async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'apd-registry-login-docker-'))
  })

  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true })
  })

  dockerTest('a username and password: stored in the private Docker config only, never on the command line, gone after cleanup', async () => {
    if (!docker.available) throw new Error(`CI needs Docker, and none answers: ${docker.reason}; ${SETUP_HINT}`)
    const password = `pw-${Date.now()}`
    const masked: string[] = []
    const runner = recordingRunner(call => createCommandRunner().run(call.tool, call.args, call.options))
    const home = join(tempDir, 'home')
    await mkdir(home)
    // The local registry asks for no credentials, so docker accepts and stores whatever it is given.
    const session = await loginToRegistry(LOCAL_REGISTRY, { username: 'deployer', password }, { runner, logger: recordingLogger(), env: { HOME: home }, tempDir, setSecret: value => void masked.push(value), fetch })

    expect(session.method).toBe('password')
    expect(session.pullCredentials).toEqual({ username: 'deployer', password })
    expect(masked).toEqual([password])
    expect(runner.calls.map(call => call.args)).toEqual([['login', LOCAL_REGISTRY, '--username', 'deployer', '--password-stdin']])
    const config = JSON.parse(await readFile(join(session.dockerEnv.DOCKER_CONFIG!, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> }
    expect(Buffer.from(config.auths[LOCAL_REGISTRY]!.auth, 'base64').toString()).toBe(`deployer:${password}`)
    expect(await readdir(home)).toEqual([])

    await session.cleanup()
    expect(await readdir(tempDir)).toEqual(['home'])
  }, 60_000)
})

describe('loginToRegistry through the stand-in’s Azure Container Registry, with the real docker CLI', () => {
  const PUSHER = { clientId: '2d4e6f80-1a3b-4c5d-8e7f-9a0b1c2d3e4f', clientSecret: 'pusher~Secret.0123456789' }
  const STRANGER = { clientId: '3e5f7a91-2b4c-4d6e-9f80-a1b2c3d4e5f6', clientSecret: 'stranger~Secret.0123456789' }
  const defaultCaCertificates = tls.getCACertificates('default')
  let standin: Awaited<ReturnType<typeof startAzureStandin>>
  let open: Awaited<ReturnType<typeof standin.addContainerRegistry>>
  let locked: Awaited<ReturnType<typeof standin.addContainerRegistry>>
  let tempDir: string
  const tiny = `apd-registry-login-${process.pid}:v1`

  beforeAll(async () => {
    standin = await startAzureStandin({ containers: 'none' })
    tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
    for (const app of [PUSHER, STRANGER]) standin.registerApplication(app)
    open = await standin.addContainerRegistry({ name: 'estateacr' })
    locked = await standin.addContainerRegistry({ name: 'lockedacr', authenticationAsArm: false })
    for (const registry of ['estateacr', 'lockedacr']) standin.grantRegistryRole({ registry, principal: PUSHER.clientId, role: 'AcrPush' })
    tempDir = await mkdtemp(join(tmpdir(), 'apd-registry-login-standin-'))
  })

  afterAll(async () => {
    await standin?.close()
    tls.setDefaultCACertificates(defaultCaCertificates)
    await rm(tempDir, { recursive: true, force: true })
  })

  /** The action's own sign-in (client secret against the stand-in's Entra), and what the login masked and logged. */
  async function signIn(loginServer: string, app: { clientId: string; clientSecret: string }) {
    const cloud = resolveCloud(standin.cloudSetting)
    const credential = createCredential({ kind: 'client-secret', tenantId: standin.tenantId, clientId: app.clientId, clientSecret: app.clientSecret }, cloud, { getIdToken: async () => '', setSecret: () => undefined })
    const masked: string[] = []
    const logger = recordingLogger()
    const tokensBefore = standin.issuedTokens().length
    const deps: RegistryLoginDeps = { runner: createCommandRunner(), logger, env: { HOME: join(tempDir, 'home') }, tempDir: join(tempDir, 'runner-temp'), setSecret: value => void masked.push(value), fetch }
    const attempt = loginToRegistry(loginServer, { mode: 'azure', azure: { credential, cloud, tenantId: standin.tenantId } }, deps)
    return { attempt, masked, logger, deps, issuedSince: () => standin.issuedTokens().slice(tokensBefore) }
  }

  const exchangesOf = (name: string) => standin.state().registries.find(registry => registry.name === name)!.exchanges
  const push = (image: string, dockerEnv: Record<string, string>) => createCommandRunner().run('docker', ['push', image], { env: dockerEnv })

  async function pushThrough(loginServer: string, dockerEnv: Record<string, string>, tag: string) {
    const image = `${loginServer}/estate/api:${tag}`
    expect((await createCommandRunner().run('docker', ['tag', tiny, image])).exitCode).toBe(0)
    try {
      return await push(image, dockerEnv)
    } finally {
      await createCommandRunner().run('docker', ['rmi', image])
    }
  }

  dockerTest('the registry audience is exchanged first: docker login and docker push go through, every token masked', async () => {
    requireDocker()
    await requireRegistry()
    await importTinyImage(tiny)
    const mark = exchangesOf('estateacr').length
    const { attempt, masked, issuedSince } = await signIn(open.loginServer, PUSHER)
    const session = await attempt
    try {
      expect(session).toMatchObject({ method: 'acr-token', audience: 'registry' })
      expect(exchangesOf('estateacr').slice(mark)).toEqual([expect.objectContaining({ status: 200, audience: 'registry', principal: PUSHER.clientId })])
      // The Entra token, then the refresh token: both masked. (The access tokens the registry then gave docker never reach the action.)
      const [entraToken, refreshToken] = issuedSince()
      expect(masked).toEqual([entraToken, refreshToken])
      const pushed = await pushThrough(open.loginServer, session.dockerEnv, 'registry-audience')
      expect(pushed.exitCode).toBe(0)
      expect(standin.state().registries.find(registry => registry.name === 'estateacr')!.pushes).toContainEqual(expect.objectContaining({ repository: 'estate/api', reference: 'registry-audience', principal: PUSHER.clientId }))
    } finally {
      await session.cleanup()
      await createCommandRunner().run('docker', ['rmi', tiny])
    }
  }, 120_000)

  dockerTest('no registry audience in the tenant: the ARM-audience token is exchanged and the push goes through', async () => {
    requireDocker()
    await requireRegistry()
    await importTinyImage(tiny)
    standin.setEntraResourceAvailable(ACR_AUDIENCE, false)
    try {
      const mark = exchangesOf('estateacr').length
      const { attempt, logger } = await signIn(open.loginServer, PUSHER)
      const session = await attempt
      try {
        expect(session.audience).toBe('arm')
        expect(exchangesOf('estateacr').slice(mark)).toEqual([expect.objectContaining({ status: 200, audience: 'arm' })])
        expect(logger.messages('info').join('\n')).toMatch(/Entra ID issued no token for https:\/\/containerregistry\.azure\.net \(.*AADSTS500011.*\); trying an ARM-audience token/)
        expect((await pushThrough(open.loginServer, session.dockerEnv, 'arm-audience')).exitCode).toBe(0)
      } finally {
        await session.cleanup()
      }
    } finally {
      standin.setEntraResourceAvailable(ACR_AUDIENCE, true)
      await createCommandRunner().run('docker', ['rmi', tiny])
    }
  }, 120_000)

  test('authentication-as-arm disabled and no registry audience in the tenant: refused, and the error names the policy', async () => {
    standin.setEntraResourceAvailable(ACR_AUDIENCE, false)
    try {
      const mark = exchangesOf('lockedacr').length
      const { attempt, deps } = await signIn(locked.loginServer, PUSHER)
      const error = await attempt.then(() => undefined, (thrown: unknown) => thrown)
      expect(error).toBeInstanceOf(DeployError)
      expect((error as DeployError).message).toMatch(/Entra ID issued no token for https:\/\/containerregistry\.azure\.net .*, and the ARM-audience token was refused \(HTTP 401 \(ARM audience tokens are disabled for this registry/)
      expect((error as DeployError).hint).toMatch(/"authentication-as-arm" policy is disabled.*az acr config authentication-as-arm show/)
      expect(exchangesOf('lockedacr').slice(mark)).toEqual([expect.objectContaining({ status: 401, audience: 'arm' })])
      expect((await readdir(deps.tempDir)).filter(name => name.startsWith('docker-config-'))).toEqual([])
    } finally {
      standin.setEntraResourceAvailable(ACR_AUDIENCE, true)
    }
  })

  dockerTest('a registry with authentication-as-arm disabled takes the registry-audience token', async () => {
    requireDocker()
    const session = await (await signIn(locked.loginServer, PUSHER)).attempt
    expect(session.audience).toBe('registry')
    expect(exchangesOf('lockedacr').at(-1)).toMatchObject({ status: 200, audience: 'registry' })
    await session.cleanup()
  }, 60_000)

  test('an identity without a role: both audiences refused, and the error names AcrPush', async () => {
    const mark = exchangesOf('estateacr').length
    const { attempt } = await signIn(open.loginServer, STRANGER)
    const error = await attempt.then(() => undefined, (thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DeployError)
    expect((error as DeployError).message).toMatch(/refused the deploy's Azure identity: the registry-audience token was refused \(HTTP 401 \(The identity .* has no role on the registry estateacr\.\)\), and the ARM-audience token was refused/)
    expect((error as DeployError).hint).toMatch(/^The identity needs the AcrPush role on the registry \(az role assignment create --role AcrPush/)
    expect(exchangesOf('estateacr').slice(mark).map(exchange => [exchange.audience, exchange.status])).toEqual([
      ['registry', 401],
      ['arm', 401]
    ])
  })
})
