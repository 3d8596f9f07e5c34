import type { TokenCredential } from '@azure/core-auth'
import { RestError, type PipelinePolicy } from '@azure/core-rest-pipeline'
import type { WebSiteManagementClient } from '@azure/arm-appservice'
import type { CdnManagementClient } from '@azure/arm-cdn'
import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance'
import { resourceManagerScope, type CloudEndpoints } from './cloud.js'

/**
 * The Azure Resource Manager clients the action uses, one per subscription, all on one cloud.
 * Each SDK loads on first use: a site-only deploy never loads App Service's, a run without a
 * CDN never loads the CDN's.
 */
export interface AzureClients {
  readonly cloud: CloudEndpoints
  webApps(subscription: string): Promise<WebSiteManagementClient['webApps']>
  cdn(subscription: string): Promise<CdnManagementClient>
  containerInstances(subscription: string): Promise<ContainerInstanceManagementClient>
}

const USER_AGENT = 'azure-push-deploy'

/** How long one try of one ARM request may take before it is given up (and retried). */
export const ARM_TRY_TIMEOUT_MS = 60_000
/** Tries after the first, for 429 (honouring Retry-After), 5xx and network errors. */
const ARM_MAX_RETRIES = 3

/**
 * Bounds every try of every request: an ARM call that hangs fails (and is retried) instead of
 * stalling the deploy. A try past its time fails as a network timeout (ETIMEDOUT), which the
 * SDK's retry policy retries as it retries a dropped connection; the SDK's own `timeout` ends
 * in an AbortError, which it never retries. The caller's cancellation stays an AbortError.
 */
export function perTryTimeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: 'azurePushDeployPerTryTimeout',
    async sendRequest(request, next) {
      const limitMs = request.timeout > 0 ? Math.min(request.timeout, timeoutMs) : timeoutMs
      const caller = request.abortSignal
      const attempt = new AbortController()
      let expired = false
      const timer = setTimeout(() => {
        expired = true
        attempt.abort()
      }, limitMs)
      const onCallerAbort = () => attempt.abort()
      caller?.addEventListener('abort', onCallerAbort, { once: true })
      if (caller?.aborted) attempt.abort()
      request.abortSignal = attempt.signal
      try {
        return await next(request)
      } catch (error) {
        if (!expired || caller?.aborted) throw error
        // A swap is not sent twice: ARM may have taken the first, and a second would swap back
        // (or conflict). Its caller reads the site to tell whether it happened.
        const once = request.method === 'POST' && /\/slotsswap$/i.test(request.url.split('?')[0]!)
        throw new RestError(`${request.method} ${request.url.split('?')[0]} did not answer within ${limitMs / 1000} s`, { code: once ? 'RequestTimedOut' : 'ETIMEDOUT', request })
      } finally {
        clearTimeout(timer)
        caller?.removeEventListener('abort', onCallerAbort)
        request.abortSignal = caller
      }
    }
  }
}

/**
 * Whether a failed ARM call may still have been carried out: its try timed out (this module's
 * policy, or the connection's), so ARM may have taken the request without our seeing the answer.
 */
export function mayHaveLanded(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string }
  return /ETIMEDOUT|RequestTimedOut|did not answer within/i.test(`${code ?? ''} ${message ?? ''}`)
}

/**
 * App Service answers its own errors as `{ Code, Message, Details }`, not ARM's
 * `{ error: { code, message } }`; the SDK then reports only "Unexpected status code". This
 * policy rewrites such a body into ARM's shape (keeping the original beside it), so the error
 * the SDK throws carries App Service's code and message to the user.
 */
export function appServiceErrorPolicy(): PipelinePolicy {
  return {
    name: 'azurePushDeployAppServiceErrors',
    async sendRequest(request, next) {
      const response = await next(request)
      if (response.status < 400 || !response.bodyAsText) return response
      let body: unknown
      try {
        body = JSON.parse(response.bodyAsText)
      } catch {
        return response
      }
      if (body === null || typeof body !== 'object' || 'error' in body) return response
      const { Code, Message } = body as { Code?: unknown; Message?: unknown }
      if (typeof Code !== 'string' && typeof Message !== 'string') return response
      response.bodyAsText = JSON.stringify({ error: { code: typeof Code === 'string' ? Code : undefined, message: typeof Message === 'string' ? Message : undefined }, appService: body })
      return response
    }
  }
}

/**
 * Built from the cloud's endpoints, never the SDK defaults, so a sovereign cloud (or the
 * tests' stand-in) gets every call. The SDKs' own pipelines retry 429 (honouring
 * Retry-After) and 5xx with bounded backoff; each try is bounded in time.
 */
export function createAzureClients(credential: TokenCredential, cloud: CloudEndpoints, options: { tryTimeoutMs?: number } = {}): AzureClients {
  const scope = resourceManagerScope(cloud)
  const policies = [{ policy: perTryTimeoutPolicy(options.tryTimeoutMs ?? ARM_TRY_TIMEOUT_MS), position: 'perRetry' as const }]
  const retryOptions = { maxRetries: ARM_MAX_RETRIES }
  const perSubscription = <T>(make: (subscription: string) => Promise<T>) => {
    const made = new Map<string, Promise<T>>()
    return (subscription: string): Promise<T> => {
      let client = made.get(subscription)
      if (!client) {
        client = make(subscription)
        made.set(subscription, client)
      }
      return client
    }
  }
  const webSites = perSubscription(
    async subscription =>
      new (await import('@azure/arm-appservice')).WebSiteManagementClient(credential, subscription, {
        endpoint: cloud.resourceManager,
        credentials: { scopes: [scope] },
        userAgentOptions: { userAgentPrefix: USER_AGENT },
        additionalPolicies: [...policies, { policy: appServiceErrorPolicy(), position: 'perCall' }],
        retryOptions
      })
  )
  const cdns = perSubscription(
    async subscription => new (await import('@azure/arm-cdn')).CdnManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], userAgentOptions: { userAgentPrefix: USER_AGENT }, additionalPolicies: policies, retryOptions })
  )
  const containers = perSubscription(
    async subscription =>
      new (await import('@azure/arm-containerinstance')).ContainerInstanceManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], userAgentOptions: { userAgentPrefix: USER_AGENT }, additionalPolicies: policies, retryOptions })
  )
  return {
    cloud,
    webApps: async subscription => (await webSites(subscription)).webApps,
    cdn: cdns,
    containerInstances: containers
  }
}
