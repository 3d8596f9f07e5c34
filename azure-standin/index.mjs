/**
 * The Azure stand-in: one loopback HTTPS server that plays Entra ID, GitHub's OIDC token
 * service and Azure Resource Manager (Microsoft.Web, Microsoft.Cdn, Microsoft.ContainerInstance)
 * for the real @azure/* SDKs, and GitHub's deployments REST API for Octokit,
 * plus two HTTPS listeners per Web App slot: the slot's host, serving what the slot runs, and
 * its Kudu (SCM) host. See README.md.
 *
 *   const standin = await startAzureStandin({ containers: 'none' })
 *   standin.registerApplication({ clientId, federatedCredentials: [{ subject: 'repo:octo-org/estate:environment:prod' }] })
 *   await standin.addWebApp({ subscription, resourceGroup: 'rg', name: 'app', slots: ['staging'], image: 'registry/app:v1' })
 *   ... drive it with the SDKs, pointed at standin.cloud ...
 *   await standin.close()
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createArmAuth } from './arm-auth.mjs'
import { createCdn } from './cdn.mjs'
import { ACR_AUDIENCE, createContainerRegistries } from './container-registry.mjs'
import { createEntra } from './entra.mjs'
import { createFaults } from './faults.mjs'
import { createGithubApi } from './github-api.mjs'
import { createGithubOidc } from './github-oidc.mjs'
import { armError, createRouter, createTlsMaterial, HttpError, listenHttps, parseBody, parseQuery, readBody, sendReply } from './https-server.mjs'
import { createContainerInstances } from './container-instances.mjs'
import { createLongRunningOperations, LRO_MODES } from './long-running.mjs'
import { createRegistryAccess } from './registry-access.mjs'
import { createSimulatedContainerHost } from './simulated-containers.mjs'
import { createWebApps } from './web-apps.mjs'

const DEFAULT_TENANT_ID = '7d3e2f1a-0c4b-4a5d-9e6f-1a2b3c4d5e6f'
/** The audience ARM tokens must carry; deliberately not the endpoint URL, as on Azure. */
const RESOURCE_MANAGER_AUDIENCE = 'https://management.azure-standin.test'
const LOCATION = 'westeurope'
const LOCATION_NAME = 'West Europe'

/**
 * @typedef {import('./site-runtime.mjs').ContainerHost} ContainerHost
 *
 * @typedef {object} Groups the subscriptions and resource groups that exist (made by adding resources)
 * @property {(subscription: string, resourceGroup?: string) => void} require throws ARM's 404
 *   (SubscriptionNotFound, then ResourceGroupNotFound when a group is named) for one that does not exist
 * @property {(subscription: string, resourceGroup: string) => void} add
 *
 * @typedef {object} CallRecord one request to the stand-in's main server
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} query
 * @property {string | undefined} apiVersion
 * @property {number} status 0 while the request is still being answered
 * @property {string} [principal] the caller: ARM's authenticated app id, the token endpoint's client_id
 * @property {string} at ISO time the request arrived
 * @property {number} [durationMs]
 * @property {'fail' | 'delay'} [fault] when an injected fault answered or delayed it
 *
 * @typedef {object} StandinOptions
 * @property {'auto' | 'none' | ContainerHost} [containers] `auto`: real Docker when an engine answers, else simulated; `none`: simulated
 * @property {string} [tenantId]
 * @property {string} [repository] the GitHub repository of the OIDC tokens, `owner/name`
 * @property {number} [pollRetryAfterSeconds] `Retry-After` of long-running operations (default 1)
 * @property {number} [simulatedStartDelayMs] how long a simulated container takes to answer (default 150)
 * @property {(exchange: Exchange) => void} [onExchange] sees every request to the main server and
 *   its answer as sent (a contract check); what it throws is ignored
 *
 * @typedef {object} Exchange one request to the main server and the stand-in's answer
 * @property {string} method
 * @property {string} path decoded, no trailing slash
 * @property {Record<string, string>} query
 * @property {import('node:http').IncomingHttpHeaders} requestHeaders
 * @property {string} requestBody the raw body ('' when none)
 * @property {number} status
 * @property {Record<string, string>} responseHeaders
 * @property {unknown} responseBody a JSON value, text, or undefined
 * @property {'fail' | 'delay'} [fault] when an injected fault answered or delayed it
 */

/**
 * A decoded URL path; a malformed escape is left as it is rather than failing the request.
 * @param {string} pathname
 */
function safeDecode(pathname) {
  try {
    return decodeURIComponent(pathname)
  } catch {
    return pathname
  }
}

/**
 * Starts the stand-in.
 * @param {StandinOptions} [options]
 */
export async function startAzureStandin({ containers = 'auto', tenantId = DEFAULT_TENANT_ID, repository = 'octo-org/estate', pollRetryAfterSeconds = 1, simulatedStartDelayMs = 150, onExchange } = {}) {
  const tls = await createTlsMaterial()
  const directory = mkdtempSync(path.join(tmpdir(), 'azure-standin-'))
  const caCertPath = path.join(directory, 'ca.pem')
  writeFileSync(caCertPath, tls.caCertPem)

  const router = createRouter()
  const faults = createFaults()
  /** @type {CallRecord[]} */
  const calls = []
  const now = () => Math.floor(Date.now() / 1000)
  let swapDurationMs = 300
  let purgeDurationMs = 200
  let containerStartLimitMs = 30_000

  /** @type {Awaited<ReturnType<typeof createArmAuth>> | undefined} */
  let armAuth
  const listener = await listenHttps(tls, (incoming, outgoing) => {
    void handle(incoming, outgoing)
  })
  const url = listener.url

  /**
   * Every request: fault injection first, then ARM's authentication and api-version rules,
   * then the route. Each is recorded in `calls`.
   * @param {import('node:http').IncomingMessage} incoming
   * @param {import('node:http').ServerResponse} outgoing
   */
  async function handle(incoming, outgoing) {
    const started = Date.now()
    const requestUrl = new URL(incoming.url ?? '/', url)
    const decoded = safeDecode(requestUrl.pathname)
    const requestPath = decoded.length > 1 ? decoded.replace(/\/+$/, '') : decoded
    const method = (incoming.method ?? 'GET').toUpperCase()
    const { query, apiVersion } = parseQuery(requestUrl)
    /** @type {CallRecord} */
    const call = { method, path: requestPath, query, apiVersion, status: 0, at: new Date(started).toISOString() }
    calls.push(call)
    const isArm = /^\/subscriptions\//i.test(requestPath)
    /** @type {import('./https-server.mjs').Reply} */
    let reply
    let text = ''
    try {
      text = await readBody(incoming)
      const fault = faults.take(method, requestPath)
      if (fault !== undefined) {
        call.fault = fault.kind
        // Unreferenced: a request held back longer than its client waits must not keep the process alive.
        if (fault.delayMs > 0) await sleep(fault.delayMs, undefined, { ref: false })
      }
      if (fault?.kind === 'fail') {
        reply = faults.replyFor(fault, requestPath)
      } else {
        if (isArm) {
          // ARM authenticates first, then insists on an api-version.
          call.principal = await /** @type {NonNullable<typeof armAuth>} */ (armAuth).authenticate(incoming.headers)
          if (apiVersion === undefined || apiVersion === '') {
            throw armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.')
          }
          if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) {
            throw armError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are dates such as '2025-05-01'.`)
          }
        }
        const body = parseBody(text, incoming.headers['content-type'])
        if (/\/oauth2\/v2\.0\/token$/i.test(requestPath) && body && typeof body === 'object' && 'client_id' in body) {
          call.principal = String(body.client_id)
        }
        const matched = router.match(method, requestPath)
        if (matched === undefined) {
          throw isArm
            ? armError(404, 'InvalidResourceType', `The resource type of '${requestPath}' could not be found for api version '${apiVersion}' (not modelled by the Azure stand-in).`)
            : new HttpError(404, { error: 'not_found', error_description: `The Azure stand-in serves nothing at ${method} ${requestPath}.` })
        }
        if ('allowed' in matched) {
          throw armError(405, 'HttpMethodNotAllowed', `The requested resource does not support http method '${method}'.`, { Allow: matched.allowed.join(', ') })
        }
        reply = await matched.handler({ method, path: requestPath, query, apiVersion, headers: incoming.headers, body, principal: call.principal }, matched.params)
      }
    } catch (error) {
      if (error instanceof HttpError) {
        reply = error.toReply()
      } else {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        reply = { status: 500, body: { error: { code: 'InternalServerError', message: `The Azure stand-in failed: ${message}` } } }
      }
    }
    if (isArm) {
      // ARM's tracing headers; a client's own correlation and request ids are echoed.
      const requestId = randomUUID()
      const clientRequestId = incoming.headers['x-ms-client-request-id']
      reply.headers = {
        'x-ms-request-id': requestId,
        'x-ms-correlation-request-id': String(incoming.headers['x-ms-correlation-request-id'] ?? requestId),
        'x-ms-routing-request-id': `WESTEUROPE:${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}Z:${requestId}`,
        ...(clientRequestId === undefined ? {} : { 'x-ms-client-request-id': String(clientRequestId) }),
        ...reply.headers
      }
    }
    call.status = reply.status
    call.durationMs = Date.now() - started
    try {
      onExchange?.({ method, path: requestPath, query, requestHeaders: incoming.headers, requestBody: text, status: reply.status, responseHeaders: reply.headers ?? {}, responseBody: reply.body, fault: call.fault })
    } catch {
      // The observer's failure is the observer's to report; the answer goes out unchanged.
    }
    sendReply(outgoing, reply)
  }

  const cloud = {
    authorityHost: url,
    resourceManager: url,
    resourceManagerAudience: RESOURCE_MANAGER_AUDIENCE,
    // Storage is Azurite's part; the stand-in only issues tokens for https://storage.azure.com.
    storageSuffix: 'core.azure-standin.test'
  }
  /** @type {string[]} every token the stand-in hands out, so tests can scan logs for them */
  const issuedTokens = []
  /** Resources whose service principal the tenant lacks (Entra answers AADSTS500011 for them). @type {Set<string>} */
  const missingResources = new Set()
  const githubOidc = await createGithubOidc({ baseUrl: url, repository, now, onIssued: token => issuedTokens.push(token) })
  const entra = await createEntra({
    onIssued: token => issuedTokens.push(token),
    baseUrl: url,
    tenantId,
    trustedIssuers: new Map([[githubOidc.issuer, githubOidc.keySet]]),
    defaultIssuer: githubOidc.issuer,
    resources: () => [cloud.resourceManagerAudience, 'https://storage.azure.com', ACR_AUDIENCE].filter(resource => !missingResources.has(resource)),
    now
  })
  armAuth = createArmAuth({ entra, audiences: () => [cloud.resourceManagerAudience], authorityHost: url, now })
  /** How each resource provider announces and ends its long-running operations. @type {Map<string, import('./long-running.mjs').LroMode>} */
  const lroModes = new Map([['microsoft.web', 'location-200']])
  const operations = createLongRunningOperations({
    baseUrl: url,
    location: LOCATION,
    retryAfterSeconds: () => pollRetryAfterSeconds,
    modeFor: namespace => lroModes.get(namespace.toLowerCase()) ?? 'async-operation'
  })
  const registryAccess = createRegistryAccess({ tenantId })

  /** @type {Set<string>} */
  const knownGroups = new Set()
  /**
   * @param {string} subscription
   * @param {string} [resourceGroup]
   */
  const hasGroup = (subscription, resourceGroup) => knownGroups.has(`${subscription}/${resourceGroup ?? ''}`.toLowerCase())
  /** @type {Groups} */
  const groups = {
    require(subscription, resourceGroup) {
      if (!hasGroup(subscription)) throw armError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`)
      if (resourceGroup !== undefined && !hasGroup(subscription, resourceGroup)) throw armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`)
    },
    add(subscription, resourceGroup) {
      knownGroups.add(`${subscription}/`.toLowerCase())
      knownGroups.add(`${subscription}/${resourceGroup}`.toLowerCase())
    }
  }

  /** @type {{ host: ContainerHost, mode: 'docker' | 'simulated' | 'provided', reason?: string, network?: string }} */
  const containerRuntime = await (async () => {
    const simulated = () => createSimulatedContainerHost({ startDelayMs: () => simulatedStartDelayMs })
    if (containers === 'none') return { host: simulated(), mode: 'simulated', reason: "containers: 'none'" }
    if (containers !== 'auto') return { host: containers, mode: 'provided' }
    const { createContainerHost, detectDocker, NETWORK } = await import('./containers.mjs')
    const docker = await detectDocker()
    if (!docker.available) return { host: simulated(), mode: 'simulated', reason: docker.reason }
    const host = createContainerHost()
    const network = await host.network()
    if (network.mode !== 'bridge') return { host, mode: 'docker', network: `host (${network.reason})` }
    // The host's address on the bridge, where the Web Apps reach services of the host.
    const gateway = /^\d+\.\d+\.\d+\.\d+$/.test(network.gateway) ? network.gateway : undefined
    return { host, mode: 'docker', network: `${NETWORK} (bridge)`, gateway }
  })()

  /**
   * What `containers` and `state().containers` report. `gateway`: the host's address as the
   * Web Apps' containers reach it (null when they run on the host network, or simulated).
   */
  const containerMode = { mode: containerRuntime.mode, reason: containerRuntime.reason ?? null, network: containerRuntime.network ?? null, gateway: containerRuntime.gateway ?? null }

  const webApps = createWebApps({
    baseUrl: url,
    tenantId,
    tls,
    host: containerRuntime.host,
    operations,
    groups,
    registryAccess,
    // Kudu takes the same Entra tokens for ARM's audience as ARM does.
    authenticateScm: headers => /** @type {NonNullable<typeof armAuth>} */ (armAuth).authenticate(headers),
    locationName: LOCATION_NAME,
    swapDurationMs: () => swapDurationMs,
    startLimitMs: () => containerStartLimitMs
  })
  const cdn = createCdn({ operations, groups, purgeDurationMs: () => purgeDurationMs })
  const containerInstances = createContainerInstances({ tenantId, host: containerRuntime.host, operations, groups, registryAccess })
  const githubApi = createGithubApi({ baseUrl: url })
  const registries = createContainerRegistries({ entra, armAudience: () => cloud.resourceManagerAudience, now, onIssued: token => issuedTokens.push(token) })

  githubOidc.addRoutes(router)
  entra.addRoutes(router)
  operations.addRoutes(router)
  webApps.addRoutes(router)
  cdn.addRoutes(router)
  containerInstances.addRoutes(router)
  githubApi.addRoutes(router)

  return {
    /** `https://127.0.0.1:<port>` */
    url,
    /** PEM file of the CA that signed every certificate of the stand-in (for NODE_EXTRA_CA_CERTS). */
    caCertPath,
    /** The same CA, as PEM text (for `tls.setDefaultCACertificates`). */
    caCertPem: tls.caCertPem,
    tenantId,
    /** The custom-cloud endpoints a client points at the stand-in. */
    cloud,
    /** The same, as the action's config writes a custom cloud (its `cloud:` value). */
    cloudSetting: {
      name: 'standin',
      'authority-host': cloud.authorityHost,
      'resource-manager': cloud.resourceManager,
      'resource-manager-audience': cloud.resourceManagerAudience,
      'storage-suffix': cloud.storageSuffix
    },
    /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN of a job with `id-token: write`. */
    githubOidc: { requestUrl: githubOidc.requestUrl, requestToken: githubOidc.requestToken, issuer: githubOidc.issuer },
    /** GitHub's REST API for deployments: `apiUrl` is a job's GITHUB_API_URL. */
    github: {
      apiUrl: githubApi.apiUrl,
      /**
       * A token the API accepts, with the `deployments` permission a job's `permissions:` grants it (default `write`).
       * @param {string} token
       * @param {{ deployments?: 'write' | 'read' | 'none' }} [permissions]
       */
      addToken: (token, permissions) => githubApi.addToken(token, permissions),
      /** Every deployment, oldest first, each with its statuses oldest first. */
      deployments: () => githubApi.deployments(),
      /**
       * A deployment an earlier run recorded, with its statuses in order.
       * @param {{ repository: string, sha: string, environment: string, states: string[] }} seed
       */
      seed: seed => githubApi.seed(seed)
    },
    /** Whether Web Apps run real Docker containers or simulated ones, and why. */
    containers: containerMode,
    /** Every request to the main server, in arrival order (Entra, GitHub OIDC, ARM). */
    calls,
    faults: {
      /** @param {import('./faults.mjs').FailRule} rule */
      fail: rule => faults.fail(rule),
      /** @param {import('./faults.mjs').DelayRule} rule */
      delay: rule => faults.delay(rule),
      clear: () => faults.clear(),
      pending: () => faults.pending()
    },
    /**
     * An Entra app registration (service principal) in the tenant.
     * @param {import('./entra.mjs').Application} application
     */
    registerApplication: application => entra.registerApplication(application),
    /** Every GitHub OIDC token and access token issued so far: none may appear in a log. */
    issuedTokens: () => [...issuedTokens],
    /**
     * Claims of the GitHub OIDC tokens issued from now on, e.g. `{ sub: 'repo:o/r:environment:prod' }`
     * or `{ exp: <past Unix seconds> }`.
     * @param {import('./github-oidc.mjs').OidcClaims} claims
     */
    setOidcClaims: claims => githubOidc.setClaims(claims),
    /**
     * A Linux container Web App; resolves once its initial containers serve (or failed to), to
     * each slot's system-assigned principal id and host names. `slotImages` gives a slot an
     * image other than `image`; `sidecars` makes it a sidecar app.
     * @param {import('./web-apps.mjs').WebAppOptions} app
     */
    addWebApp: app => webApps.add(app),
    /**
     * A resource group (with its subscription), for resources a test creates through ARM
     * (container groups); adding a Web App or an endpoint makes its group too.
     * @param {{ subscription: string, resourceGroup: string }} group
     */
    addResourceGroup: ({ subscription, resourceGroup }) => groups.add(subscription, resourceGroup),
    /**
     * A user-assigned managed identity, for addWebApp({ identity: { userAssigned } }) and
     * container groups; ids are made up when not given.
     * @param {{ subscription: string, resourceGroup: string, name: string, clientId?: string, principalId?: string }} identity
     */
    addManagedIdentity: identity => registryAccess.addManagedIdentity(identity),
    /**
     * Makes a registry need credentials (and says which users it knows): pulls from it then need
     * a managed identity with AcrPull or one of these users. Registries not configured are anonymous.
     * @param {{ server: string, credentialsRequired?: boolean, users?: { username: string, password: string }[] }} registry
     */
    configureRegistry: registry => registryAccess.configureRegistry(registry),
    /**
     * The AcrPull role for a principal (a managed identity's principal id) on a registry.
     * @param {{ registry: string, principal: string }} grant
     */
    grantAcrPull: grant => registryAccess.grantAcrPull(grant),
    /**
     * How resource providers announce and end long-running operations from now on, e.g.
     * `{ 'Microsoft.Web': 'location-204' }`. Microsoft.Web defaults to `location-200` (what App
     * Service sends), others to `async-operation`.
     * @param {Record<string, import('./long-running.mjs').LroMode>} modes
     */
    setLroMode: modes => {
      for (const [namespace, mode] of Object.entries(modes)) {
        if (!LRO_MODES.includes(mode)) throw new Error(`setLroMode: ${namespace}: '${mode}' is not one of ${LRO_MODES.join(', ')}`)
        lroModes.set(namespace.toLowerCase(), mode)
      }
    },
    /**
     * How the next container group run ends when containers are simulated (no Docker): exit code
     * and output, in order; runs not described exit 0 with no output.
     * @param {{ exitCode?: number, output?: string }} run
     */
    simulateContainerGroupRun: run => containerInstances.simulateRun(run),
    /**
     * A classic Azure CDN endpoint.
     * @param {{ subscription: string, resourceGroup: string, profile: string, endpoint: string }} endpoint
     */
    addCdnEndpoint: endpoint => cdn.addCdnEndpoint(endpoint),
    /**
     * An Azure Front Door Standard/Premium endpoint whose route `<endpoint>-route` links `domains`
     * (custom domains of the profile); returns the endpoint's `*.azurefd.net` host name.
     * @param {{ subscription: string, resourceGroup: string, profile: string, endpoint: string, domains?: string[] }} endpoint
     */
    addFrontDoorEndpoint: endpoint => cdn.addFrontDoorEndpoint(endpoint),
    /**
     * Another route of a Front Door endpoint, linking more custom domains to it.
     * @param {{ subscription: string, resourceGroup: string, profile: string, endpoint: string, route: string, domains?: string[], linkToDefaultDomain?: boolean }} route
     */
    addFrontDoorRoute: route => cdn.addFrontDoorRoute(route),
    /**
     * A custom domain of a Front Door profile that no route links (such as `*.example.com` before it is routed).
     * @param {{ subscription: string, resourceGroup: string, profile: string, hostName: string }} domain
     */
    addFrontDoorCustomDomain: domain => cdn.addFrontDoorCustomDomain(domain),
    /**
     * An Azure Container Registry: a loopback front (`loginServer` 127.0.0.1:<port>) with ACR's
     * token exchange, passing the registry API to a real local registry (default 127.0.0.1:5555).
     * @param {{ name: string, upstream?: string, authenticationAsArm?: boolean }} registry
     */
    addContainerRegistry: registry => registries.add(registry),
    /**
     * A role assignment on a registry for a client id (or object id): AcrPush, AcrPull, Owner, ….
     * @param {{ registry: string, principal: string, role: import('./container-registry.mjs').RegistryRole }} assignment
     */
    grantRegistryRole: assignment => registries.grant(assignment),
    /** @param {{ registry: string, principal: string, role?: import('./container-registry.mjs').RegistryRole }} assignment */
    revokeRegistryRole: assignment => registries.revoke(assignment),
    /**
     * A registry's authentication-as-arm policy: when disabled, only registry-audience tokens are exchanged.
     * @param {string} name
     * @param {boolean} enabled
     */
    setRegistryAuthenticationAsArm: (name, enabled) => registries.setAuthenticationAsArm(name, enabled),
    /**
     * Whether the tenant has a service principal for a resource (e.g. `https://containerregistry.azure.net`):
     * without one, Entra refuses tokens for it with AADSTS500011, as a cloud without that service does.
     * @param {string} resource
     * @param {boolean} available
     */
    setEntraResourceAvailable: (resource, available) => {
      if (available) missingResources.delete(resource)
      else missingResources.add(resource)
    },
    /**
     * The next image set on (or restart of) that site or slot never becomes healthy.
     * @param {{ subscription?: string, resourceGroup: string, name: string, slot?: string }} target
     */
    failContainerStart: target => webApps.failContainerStart(target),
    /** @param {number} ms how long a slot swap runs before it completes */
    setSwapDuration: ms => {
      swapDurationMs = ms
    },
    /** @param {number} ms how long a CDN or Front Door purge runs */
    setPurgeDuration: ms => {
      purgeDurationMs = ms
    },
    /** @param {number} ms how long a new container may take to become healthy (an app setting WEBSITES_CONTAINER_START_TIME_LIMIT wins) */
    setContainerStartLimit: ms => {
      containerStartLimitMs = ms
    },
    /** @param {number} seconds lifetime of the access tokens Entra issues from now on */
    setAccessTokenLifetime: seconds => entra.setAccessTokenLifetime(seconds),
    /** Sites and slots (what each is configured with and serves), swaps, purges, operations, as plain data. */
    state() {
      const { sites, swaps } = webApps.state()
      return {
        url,
        tenantId,
        containers: { ...containerMode },
        sites,
        swaps,
        containerGroups: containerInstances.state(),
        ...registryAccess.state(),
        lroModes: Object.fromEntries(lroModes),
        purges: cdn.state().purges,
        registries: registries.state(),
        deployments: githubApi.deployments(),
        operations: operations.list().map(({ id, kind, status, startTime, endTime, error }) => ({ id, kind, status, startTime, endTime: endTime ?? null, error: error ?? null })),
        faults: faults.pending()
      }
    },
    /** Stops the server, every site listener and every container. */
    async close() {
      operations.stop()
      await webApps.close()
      await registries.close()
      await containerInstances.close()
      await containerRuntime.host.stopAll()
      await listener.close()
      rmSync(directory, { recursive: true, force: true })
    }
  }
}
