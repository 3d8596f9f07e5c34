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

export interface RegistryCredentials {
  /** From the workflow's inputs; both or neither. */
  username?: string
  password?: string
  /** The deploy's Azure sign-in: Azure Container Registry exchanges its ARM token for a registry token. */
  azure?: Pick<AzureSession, 'credential' | 'cloud' | 'tenantId'>
}

export type RegistryLogin = { method: 'password' } | { method: 'acr-token' } | { method: 'none'; reason: string; warn: boolean }

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
  /** For every docker command of the deploy: its private DOCKER_CONFIG. */
  dockerEnv: Record<string, string>
  /** Deletes the private Docker config and the credentials in it. */
  cleanup(): Promise<void>
}

const EXCHANGE_TIMEOUT_MS = 30_000
const ACR_PUSH_HINT = 'the identity needs the AcrPush role on the registry (az role assignment create --role AcrPush --assignee <client-id> --scope <registry resource ID>)'

/** Pure: which login a registry gets with the credentials at hand, or why none. */
export function chooseRegistryLogin(registry: string, credentials: RegistryCredentials): RegistryLogin {
  const { username, password } = credentials
  if (Boolean(username) !== Boolean(password)) {
    throw new DeployError(`a registry ${username ? 'username' : 'password'} is set without a ${username ? 'password' : 'username'}.`, 'Set both registry-username and registry-password, or neither.')
  }
  if (username && password) return { method: 'password' }
  if (isAzureContainerRegistry(registry)) {
    if (!credentials.azure) {
      throw new DeployError(`${registry} is an Azure Container Registry, but the deploy has no Azure sign-in to exchange for a registry token.`, 'Sign in to Azure (client-id and tenant-id with OIDC), or set registry-username and registry-password.')
    }
    return { method: 'acr-token' }
  }
  if (isLoopbackRegistry(registry)) return { method: 'none', reason: `${registry} is on this machine: no login needed`, warn: false }
  return { method: 'none', reason: `no credentials for ${registry}: pushing without a login, which fails if the registry requires one (set registry-username and registry-password)`, warn: true }
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
  try {
    if (login.method === 'password') {
      deps.setSecret(credentials.password!)
      await dockerLogin(docker, registry, credentials.username!, credentials.password!, 'Check the registry-username and registry-password inputs.')
    } else {
      const refreshToken = await acrRefreshToken(registry, credentials.azure!, deps)
      await dockerLogin(docker, registry, ACR_TOKEN_USERNAME, refreshToken, `${registry} refused the token it had just issued: ${ACR_PUSH_HINT}.`)
    }
  } catch (error) {
    await cleanup()
    throw error
  }
  deps.logger.info(`Signed in to ${registry} ${login.method === 'password' ? `as ${credentials.username}` : 'with the Azure identity'}, in a Docker config of this run's own`)
  return { method: login.method, dockerEnv, cleanup }
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

/** Azure Container Registry's token exchange: an Entra ARM access token for a registry refresh token. */
async function acrRefreshToken(registry: string, azure: NonNullable<RegistryCredentials['azure']>, deps: Pick<RegistryLoginDeps, 'setSecret' | 'fetch' | 'logger'>): Promise<string> {
  const scope = resourceManagerScope(azure.cloud)
  const accessToken = (await azure.credential.getToken(scope))?.token
  if (!accessToken) throw new DeployError(`signing in to ${registry}: Azure returned no access token for ${scope}.`, 'Check the Azure sign-in settings (client-id, tenant-id, auth).')
  deps.setSecret(accessToken)
  // The exchange wants the tenant named: the token's own `tid` when the sign-in did not name it.
  const tenant = azure.tenantId || unverifiedClaim(accessToken, 'tid')
  const form = new URLSearchParams({ grant_type: 'access_token', service: registry, ...(tenant ? { tenant } : {}), access_token: accessToken })
  const url = `https://${registry}/oauth2/exchange`
  deps.logger.info(`Signing in to ${registry} with the Azure identity (token exchange)`)
  let response: Response
  try {
    response = await deps.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) })
  } catch (error) {
    throw unreachableRegistry(registry, error)
  }
  const body = await response.text()
  if (!response.ok) throw exchangeFailure(registry, response.status, body)
  const refreshToken = refreshTokenOf(body)
  if (!refreshToken) throw new DeployError(`the token exchange with ${registry} answered HTTP ${response.status} without a refresh_token.`, `Check that ${registry} is an Azure Container Registry login server.`)
  deps.setSecret(refreshToken)
  return refreshToken
}

function refreshTokenOf(body: string): string | undefined {
  try {
    const token = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token
    return typeof token === 'string' && token !== '' ? token : undefined
  } catch {
    return undefined
  }
}

function unreachableRegistry(registry: string, error: unknown): DeployError {
  // fetch rejects with "fetch failed"; the reason (DNS, TLS, refused, timeout) is its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  if ((cause as { code?: unknown }).code === 'ENOTFOUND') {
    return new DeployError(`the registry ${registry} was not found (no such host).`, 'Check parts.backend.registry: the login server of an existing registry, such as myregistry.azurecr.io.')
  }
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new DeployError(`could not reach ${registry} for its token exchange: ${reason}`, `Check that the runner can reach https://${registry} (firewall, private endpoint, proxy).`)
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
  const detail = registryErrorDetail(body)
  const message = `the token exchange with ${registry} failed: HTTP ${status}${detail ? ` (${detail})` : ''}.`
  if (status === 401 || status === 403) {
    return new DeployError(message, `${registry} did not accept the deploy's Azure identity: the registry must be in the tenant the deploy signs in to, and ${ACR_PUSH_HINT}.`)
  }
  if (status === 404) {
    return new DeployError(message, `${registry} has no such registry or no token exchange: check parts.backend.registry, the registry's login server (<name>.azurecr.io).`)
  }
  if (status === 429 || status >= 500) return new DeployError(message, 'Azure Container Registry could not answer just now: re-run the job.')
  return new DeployError(message, `Check parts.backend.registry (${registry}) and the deploy's tenant-id.`)
}
