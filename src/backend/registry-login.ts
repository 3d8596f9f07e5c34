import { access, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import { resourceManagerScope } from '../azure/cloud.js'
import type { AzureSession } from '../azure/connect.js'
import { unverifiedClaim } from '../azure/jwt.js'
import { outputTail, type CommandRunner } from '../command-runner.js'
import { DeployError } from '../errors.js'
import type { Logger } from '../logger.js'
import { createDockerCli, type DockerCli } from './docker-cli.js'
import { isAzureContainerRegistry, isLoopbackRegistry } from './registry-host.js'

/** Azure Container Registry's user name for a refresh token from the token exchange. */
export const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000'
/**
 * The Entra audience of Azure Container Registry, the same in every cloud (Azure CLI and the
 * Azure SDKs' registry clients use it for *.azurecr.io, .us and .cn alike). Registries accept it
 * whatever their "authentication-as-arm" policy; ARM-audience tokens only while that is enabled.
 */
export const ACR_AUDIENCE = 'https://containerregistry.azure.net'

/**
 * The part's `registry-auth`: `azure` exchanges the deploy's Entra token (any host: custom
 * domains, private endpoints), `password` uses registry-username/registry-password, `none`
 * pushes without a login, `auto` decides by the host (*.azurecr.* → azure, loopback → none).
 */
export type RegistryAuthMode = 'auto' | 'azure' | 'password' | 'none'

export interface RegistryCredentials {
  /** From the workflow's inputs; both or neither. */
  username?: string
  password?: string
  /** The deploy's Azure sign-in: Azure Container Registry exchanges its Entra token for a registry token. */
  azure?: Pick<AzureSession, 'credential' | 'cloud' | 'tenantId'>
  /** How to sign in (`registry-auth`); `auto` when not given. */
  mode?: RegistryAuthMode
  /** The registry's Entra audience when it is not ACR_AUDIENCE (a disconnected or custom cloud). */
  registryAudience?: string
}

export type RegistryLogin = { method: 'password' } | { method: 'acr-token' } | { method: 'none'; reason: string; warn: boolean }

/** Which Entra token the registry exchanged: one for its own audience, or (the fallback) one for ARM. */
export type AcrTokenAudience = 'registry' | 'arm'

export interface RegistryLoginDeps {
  runner: CommandRunner
  logger: Logger
  /** The process environment: where the user's own Docker config is (DOCKER_CONFIG, HOME, BUILDX_CONFIG). */
  env: Readonly<Record<string, string | undefined>>
  /** The private Docker config is made under it (RUNNER_TEMP on a runner). */
  tempDir: string
  /** Masks a value in the log (`core.setSecret`). */
  setSecret(value: string): void
  fetch: typeof fetch
}

export interface RegistrySession {
  method: RegistryLogin['method']
  /** For `acr-token`: the audience of the Entra token the registry accepted. */
  audience?: AcrTokenAudience
  /** For every docker command of the deploy: its private DOCKER_CONFIG. */
  dockerEnv: Record<string, string>
  /** What docker signed in with (masked): a release step's container group pulls with the same. */
  pullCredentials?: { username: string; password: string }
  /** Deletes the private Docker config and the credentials in it. */
  cleanup(): Promise<void>
}

const EXCHANGE_TIMEOUT_MS = 30_000
const ACR_PUSH_HINT = 'the identity needs the AcrPush role on the registry (az role assignment create --role AcrPush --assignee <client-id> --scope <registry resource ID>)'

/** Pure: which login a registry gets with the credentials at hand, or why none. */
export function chooseRegistryLogin(registry: string, credentials: RegistryCredentials): RegistryLogin {
  const { username, password, mode = 'auto' } = credentials
  if (Boolean(username) !== Boolean(password)) {
    throw new DeployError(`a registry ${username ? 'username' : 'password'} is set without a ${username ? 'password' : 'username'}.`, 'Set both registry-username and registry-password, or neither.')
  }
  switch (mode) {
    case 'none':
      return { method: 'none', reason: `registry-auth is none: pushing to ${registry} without a login`, warn: false }
    case 'password':
      if (!username) throw new DeployError(`registry-auth is password, but registry-username and registry-password are not set.`, 'Pass registry-username and registry-password to the action (the password from a secret), or choose another registry-auth.')
      return { method: 'password' }
    case 'azure':
      if (!credentials.azure) throw noAzureSignIn(registry, 'registry-auth is azure')
      return { method: 'acr-token' }
    case 'auto':
      if (username && password) return { method: 'password' }
      if (isAzureContainerRegistry(registry)) {
        if (!credentials.azure) throw noAzureSignIn(registry, `${registry} is an Azure Container Registry`)
        return { method: 'acr-token' }
      }
      if (isLoopbackRegistry(registry)) return { method: 'none', reason: `${registry} is on this machine: no login needed`, warn: false }
      return { method: 'none', reason: `no credentials for ${registry}: pushing without a login, which fails if the registry requires one (set registry-username and registry-password, or registry-auth: azure for an Azure Container Registry behind a custom domain)`, warn: true }
  }
}

function noAzureSignIn(registry: string, why: string): DeployError {
  return new DeployError(`${why}, but the deploy has no Azure sign-in to exchange for a token of ${registry}.`, 'Sign in to Azure (client-id and tenant-id with OIDC), or set registry-username and registry-password.')
}

/**
 * Signs docker in to the registry in a Docker config of the deploy's own, so the user's
 * ~/.docker is never written and the credentials are gone after `cleanup()`.
 */
export async function loginToRegistry(registry: string, credentials: RegistryCredentials, deps: RegistryLoginDeps): Promise<RegistrySession> {
  const login = chooseRegistryLogin(registry, credentials)
  const { directory, dockerEnv } = await privateDockerConfig(deps)
  const cleanup = () => rm(directory, { recursive: true, force: true })
  if (login.method === 'none') {
    if (login.warn) deps.logger.warning(login.reason)
    else deps.logger.info(login.reason)
    return { method: 'none', dockerEnv, cleanup }
  }
  const docker = createDockerCli(deps.runner, dockerEnv)
  let audience: AcrTokenAudience | undefined
  let pullCredentials: RegistrySession['pullCredentials']
  try {
    if (login.method === 'password') {
      deps.setSecret(credentials.password!)
      await dockerLogin(docker, registry, credentials.username!, credentials.password!, 'Check the registry-username and registry-password inputs.')
      pullCredentials = { username: credentials.username!, password: credentials.password! }
    } else {
      const exchanged = await acrRefreshToken(registry, { ...credentials.azure!, registryAudience: credentials.registryAudience }, deps)
      audience = exchanged.audience
      await dockerLogin(docker, registry, ACR_TOKEN_USERNAME, exchanged.refreshToken, `${registry} refused the token it had just issued: ${ACR_PUSH_HINT}.`)
      pullCredentials = { username: ACR_TOKEN_USERNAME, password: exchanged.refreshToken }
    }
  } catch (error) {
    await cleanup()
    throw error
  }
  const how = login.method === 'password' ? `as ${credentials.username}` : `with the Azure identity (${audience === 'arm' ? 'an ARM-audience' : 'a registry-audience'} token)`
  deps.logger.info(`Signed in to ${registry} ${how}, in a Docker config of this run's own`)
  return { method: login.method, ...(audience ? { audience } : {}), dockerEnv, pullCredentials, cleanup }
}

async function privateDockerConfig(deps: Pick<RegistryLoginDeps, 'env' | 'tempDir'>) {
  await mkdir(deps.tempDir, { recursive: true })
  const directory = await mkdtemp(path.join(deps.tempDir, 'docker-config-'))
  const dockerEnv: Record<string, string> = { DOCKER_CONFIG: directory }
  const userConfig = deps.env.DOCKER_CONFIG || path.join(deps.env.HOME || homedir(), '.docker')
  const exists = (file: string) => access(file).then(() => true, () => false)
  // CLI plugins are looked up in DOCKER_CONFIG too: buildx installed for the user must stay visible.
  const userPlugins = path.join(userConfig, 'cli-plugins')
  if (await exists(userPlugins)) await symlink(userPlugins, path.join(directory, 'cli-plugins'))
  // The builder docker/setup-buildx-action created and selected is recorded in the user's buildx state.
  const buildxConfig = deps.env.BUILDX_CONFIG || path.join(userConfig, 'buildx')
  if (await exists(buildxConfig)) dockerEnv.BUILDX_CONFIG = buildxConfig
  return { directory, dockerEnv }
}

/** The secret goes through stdin, never the command line. */
async function dockerLogin(docker: DockerCli, registry: string, username: string, secret: string, hint: string): Promise<void> {
  const result = await docker.run(['login', registry, '--username', username, '--password-stdin'], { input: Buffer.from(secret) })
  if (result.exitCode !== 0) throw new DeployError(`docker login to ${registry} failed (exit code ${result.exitCode}):\n${outputTail(result, 5)}`, hint)
}

type AzureForRegistry = NonNullable<RegistryCredentials['azure']> & { registryAudience?: string }
type ExchangeDeps = Pick<RegistryLoginDeps, 'setSecret' | 'fetch' | 'logger'>

/** Why one audience did not give a refresh token: Entra would not issue the token, or the registry refused it. */
interface Refusal {
  by: 'entra' | 'registry'
  detail: string
}

/**
 * Azure Container Registry's token exchange: an Entra access token for a registry refresh
 * token. The registry's own audience first: every registry accepts it, and registries whose
 * "authentication-as-arm" policy is disabled accept nothing else. An ARM-audience token is the
 * fallback, for clouds where Entra has no registry audience and for refusals that it may get
 * past; when both are refused, the error says what to change.
 */
async function acrRefreshToken(registry: string, azure: AzureForRegistry, deps: ExchangeDeps): Promise<{ refreshToken: string; audience: AcrTokenAudience }> {
  const registryAudience = (azure.registryAudience ?? ACR_AUDIENCE).replace(/\/+$/, '')
  deps.logger.info(`Signing in to ${registry} with the Azure identity (token exchange)`)
  const first = await exchangeFor(registry, azure, `${registryAudience}/.default`, deps, true)
  if ('refreshToken' in first) return { refreshToken: first.refreshToken, audience: 'registry' }
  // An ARM token can manage whatever the identity may: it goes only to a registry host Azure owns.
  if (!isAzureContainerRegistry(registry) && !isLoopbackRegistry(registry)) {
    throw new DeployError(
      `${registry} refused the deploy's Azure identity: ${first.by === 'entra' ? `Entra ID issued no token for ${registryAudience} (${first.detail})` : `the registry-audience token was refused (${first.detail})`}. An ARM-audience token is sent only to *.azurecr.* hosts, never to ${registry}.`,
      `${capitalized(ACR_PUSH_HINT)}; or name the registry by its login server (<name>.azurecr.io) in the config.`
    )
  }
  deps.logger.info(`${first.by === 'entra' ? `Entra ID issued no token for ${registryAudience}` : `${registry} refused the registry-audience token`} (${first.detail}); trying an ARM-audience token`)
  const second = await exchangeFor(registry, azure, resourceManagerScope(azure.cloud), deps, false)
  if ('refreshToken' in second) return { refreshToken: second.refreshToken, audience: 'arm' }
  throw bothRefused(registry, registryAudience, first, second.detail)
}

/**
 * One audience's attempt: the Entra token (masked at once), then the exchange. A refusal comes
 * back to try the next audience; anything else (the registry unreachable or broken, Entra
 * refusing the last audience) is thrown.
 */
async function exchangeFor(registry: string, azure: AzureForRegistry, scope: string, deps: ExchangeDeps, entraMayRefuse: boolean): Promise<{ refreshToken: string } | Refusal> {
  let accessToken: string | undefined
  try {
    accessToken = (await azure.credential.getToken(scope))?.token
  } catch (error) {
    if (!entraMayRefuse) throw error
    return { by: 'entra', detail: firstLine(error) }
  }
  if (!accessToken) {
    if (entraMayRefuse) return { by: 'entra', detail: `no access token for ${scope}` }
    throw new DeployError(`signing in to ${registry}: Azure returned no access token for ${scope}.`, 'Check the Azure sign-in settings (client-id, tenant-id, auth).')
  }
  deps.setSecret(accessToken)
  // The exchange wants the tenant named: the token's own `tid` when the sign-in did not name it.
  const tenant = azure.tenantId || unverifiedClaim(accessToken, 'tid')
  const form = new URLSearchParams({ grant_type: 'access_token', service: registry, ...(tenant ? { tenant } : {}), access_token: accessToken })
  // A registry on this machine speaks plain HTTP, as docker itself assumes for loopback registries.
  const url = `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}/oauth2/exchange`
  let response: Response
  try {
    response = await deps.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) })
  } catch (error) {
    throw unreachableRegistry(registry, url, error)
  }
  const body = await response.text()
  if (response.status === 401 || response.status === 403) return { by: 'registry', detail: `HTTP ${response.status}${withDetail(body)}` }
  if (!response.ok) throw exchangeFailure(registry, response.status, body)
  const refreshToken = refreshTokenOf(body)
  if (!refreshToken) throw new DeployError(`the token exchange with ${registry} answered HTTP ${response.status} without a refresh_token.`, `Check that ${registry} is an Azure Container Registry login server.`)
  deps.setSecret(refreshToken)
  return { refreshToken }
}

/** Both audiences refused: the cause follows from where the registry-audience attempt stopped. */
function bothRefused(registry: string, registryAudience: string, first: Refusal, armDetail: string): DeployError {
  const message = `${registry} refused the deploy's Azure identity: ${first.by === 'entra' ? `Entra ID issued no token for ${registryAudience} (${first.detail})` : `the registry-audience token was refused (${first.detail})`}, and the ARM-audience token was refused (${armDetail}).`
  if (first.by === 'registry') {
    // A registry accepts its own audience whatever its authentication-as-arm policy: the role is missing.
    return new DeployError(message, `${capitalized(ACR_PUSH_HINT)}; a new role assignment can take a few minutes to apply. The registry must also be in the tenant the deploy signs in to.`)
  }
  return new DeployError(
    message,
    `Either the registry's "authentication-as-arm" policy is disabled, so it takes only tokens for ${registryAudience}, which this tenant does not issue (check with az acr config authentication-as-arm show -r <registry>; enable it, or set the registry audience your cloud uses), or ${ACR_PUSH_HINT}.`
  )
}

const capitalized = (text: string) => `${text[0]!.toUpperCase()}${text.slice(1)}`

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim()
}

function withDetail(body: string): string {
  const detail = registryErrorDetail(body)
  return detail ? ` (${detail})` : ''
}

function refreshTokenOf(body: string): string | undefined {
  try {
    const token = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token
    return typeof token === 'string' && token !== '' ? token : undefined
  } catch {
    return undefined
  }
}

function unreachableRegistry(registry: string, url: string, error: unknown): DeployError {
  // fetch rejects with "fetch failed"; the reason (DNS, TLS, refused, timeout) is its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  if ((cause as { code?: unknown }).code === 'ENOTFOUND') {
    return new DeployError(`the registry ${registry} was not found (no such host).`, 'Check parts.backend.registry: the login server of an existing registry, such as myregistry.azurecr.io.')
  }
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new DeployError(`could not reach ${registry} for its token exchange: ${reason}`, `Check that the runner can reach ${new URL(url).origin} (firewall, private endpoint, proxy).`)
}

/** The registry's own words: `{ errors: [{ message }] }` (registry API) or `{ error_description }` (OAuth). */
function registryErrorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { message?: string }[]; error_description?: string; error?: string }
    const detail = parsed.errors?.[0]?.message ?? parsed.error_description ?? parsed.error
    if (detail) return detail
  } catch {
    // Not JSON: show the start of the text.
  }
  return body.trim().slice(0, 200)
}

function exchangeFailure(registry: string, status: number, body: string): DeployError {
  const message = `the token exchange with ${registry} failed: HTTP ${status}${withDetail(body)}.`
  if (status === 404) {
    return new DeployError(message, `${registry} has no such registry or no token exchange: check the part's registry, the registry's login server (<name>.azurecr.io), and registry-auth.`)
  }
  if (status === 429 || status >= 500) return new DeployError(message, 'Azure Container Registry could not answer just now: re-run the job.')
  return new DeployError(message, `Check the part's registry (${registry}) and the deploy's tenant-id.`)
}
