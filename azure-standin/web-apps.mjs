/**
 * Microsoft.Web: Linux container Web Apps and their deployment slots, as far as a deploy
 * action uses them. Routes follow WebApps.json (azure-rest-api-specs, Microsoft.Web
 * 2025-05-01, the default api-version of @azure/arm-appservice 19):
 *
 * | route (under /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Web)     | operationId                          | answers |
 * | GET  /subscriptions/{s}/providers/Microsoft.Web/sites                             | WebApps_List                         | 200 `{ value: Site[], nextLink }` |
 * | GET  sites (?includeSlots)                                                        | WebApps_ListByResourceGroup          | 200 `{ value: Site[], nextLink }` |
 * | GET  sites/{name}, sites/{name}/slots/{slot}                                      | WebApps_Get, WebApps_GetSlot         | 200 Site (`siteConfig.appSettings` null, as on Azure) |
 * | PATCH sites/{name}, sites/{name}/slots/{slot} `{ properties: { siteConfig } }`    | WebApps_Update, WebApps_UpdateSlot   | 200 Site; `siteConfig.appSettings` (NameValuePair[]) replaces the set; one container start |
 * | GET  sites/{name}/slots                                                           | WebApps_ListSlots                    | 200 `{ value: Site[] }` |
 * | GET, PUT, PATCH sites/{name}[/slots/{slot}]/config/web                            | WebApps_GetConfiguration[Slot], _CreateOrUpdateConfiguration[Slot], _UpdateConfiguration[Slot] | 200 SiteConfigResource |
 * | POST sites/{name}[/slots/{slot}]/config/appsettings/list, PUT .../config/appsettings | WebApps_ListApplicationSettings[Slot], _UpdateApplicationSettings[Slot] | 200 StringDictionary |
 * | POST sites/{name}[/slots/{slot}]/restart?softRestart&synchronous                  | WebApps_Restart[Slot]                | 200, no body |
 * | POST sites/{name}/slotsswap, sites/{name}/slots/{slot}/slotsswap `{ targetSlot, preserveVnet }` | WebApps_SwapSlotWithProduction, WebApps_SwapSlot | 202 + `Location: …/sites/{name}[/slots/{slot}]/operationresults/{id}` (long-running.mjs), then 200 |
 * | GET, PUT, DELETE sites/{name}[/slots/{slot}]/sitecontainers[/{containerName}]     | WebApps_*SiteContainer[s][Slot]      | site-containers.mjs |
 *
 * The SDK (v19, modular) sends updateConfiguration as PATCH and createOrUpdateConfiguration as
 * PUT, both with `{ properties: {...} }`; App Service applies both as partial updates of the
 * site config. ARM answers for missing resources (SubscriptionNotFound, ResourceGroupNotFound,
 * ResourceNotFound, ParentResourceNotFound) with `{ error: { code, message } }`; App Service
 * itself answers validation errors and conflicts in its own shape (app-service-errors.mjs).
 *
 * What a slot runs (https://learn.microsoft.com/azure/app-service/configure-custom-container):
 * - `linuxFxVersion: DOCKER|<image>`: one container. It listens on the app setting
 *   WEBSITES_PORT, else 80 ("By default, App Service assumes your custom container listens on
 *   port 80"); App Service pings and forwards to that port. A PORT app setting is only an
 *   environment variable for a custom container (it moves the port of App Service's built-in
 *   images only: azureossd.github.io, "What's the difference between PORT and WEBSITES_PORT").
 *   `appCommandLine` replaces the image's CMD: `docker run … <image> <appCommandLine split
 *   as a command line>`. App settings reach the container as environment variables, except
 *   DOCKER_REGISTRY_SERVER_URL/USERNAME/PASSWORD ("none of these reserved variable names are
 *   exposed to the application"), with App Service's WEBSITE_* variables added.
 * - `linuxFxVersion: SITECONTAINERS`: sidecar mode, the containers of `sitecontainers`
 *   (site-containers.mjs); the main one gets the traffic on its `targetPort`.
 * - A new image starts beside the old container; a restart, an app settings change or any
 *   other change of what the container is started with stops it first (site-runtime.mjs).
 *   Pulls need the credentials registry-access.mjs asks for.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { appServiceError, invalidParameter } from './app-service-errors.mjs'
import { armError, resourceNotFound } from './https-server.mjs'
import { createScmListener } from './kudu.mjs'
import { registryOf, registryOfUrl } from './registry-access.mjs'
import { createSidecarRuntime, siteContainerEnv, siteContainerRecord, siteContainerResource } from './site-containers.mjs'
import { createAppRuntime, createSiteListener } from './site-runtime.mjs'

const PRODUCTION = 'production'
const SUB = '^/subscriptions/(?<subscription>[^/]+)'
const RG = `${SUB}/resourceGroups/(?<resourceGroup>[^/]+)`
const SITE = `${RG}/providers/Microsoft\\.Web/sites/(?<name>[^/]+)`
const SLOT = `${SITE}/slots/(?<slot>[^/]+)`
/** The port App Service forwards to when WEBSITES_PORT is not set. */
const DEFAULT_PORT = 80
/** App Service's warm-up ping path (WEBSITE_WARMUP_PATH overrides it). */
const WARMUP_PATH = '/robots933456.txt'
/** Registry credentials App Service keeps from the container. */
const REGISTRY_SETTINGS = new Set(['DOCKER_REGISTRY_SERVER_URL', 'DOCKER_REGISTRY_SERVER_USERNAME', 'DOCKER_REGISTRY_SERVER_PASSWORD'])
/** siteConfig keys of a site PATCH that are not site config properties the stand-in keeps. */
const NOT_SITE_CONFIG = new Set(['appSettings', 'connectionStrings', 'azureStorageAccounts', 'metadata'])

/** Runtime stacks App Service accepts before the `|` of linuxFxVersion. */
const LINUX_FX_KINDS = new Set(['DOCKER', 'COMPOSE', 'KUBE', 'NODE', 'PYTHON', 'PHP', 'DOTNETCORE', 'DOTNET', 'JAVA', 'TOMCAT', 'JBOSSEAP', 'RUBY', 'GO'])
/** A Docker image reference: [registry[:port]/]repository[:tag][@sha256:digest]. */
const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/i

/** @param {unknown} value */
function validateLinuxFxVersion(value) {
  if (value === null || value === '') return
  if (typeof value !== 'string') throw invalidParameter('LinuxFxVersion')
  if (isSidecarMode(value)) return
  const separator = value.indexOf('|')
  const kind = value.slice(0, separator).toUpperCase()
  const rest = value.slice(separator + 1)
  if (separator <= 0 || !LINUX_FX_KINDS.has(kind) || rest.length === 0) throw invalidParameter('LinuxFxVersion')
  if (kind === 'DOCKER' && !IMAGE_REFERENCE.test(rest)) throw invalidParameter('LinuxFxVersion')
}

/**
 * The image a linuxFxVersion runs, when it is a single container.
 * @param {unknown} linuxFxVersion
 */
function dockerImage(linuxFxVersion) {
  return typeof linuxFxVersion === 'string' && /^DOCKER\|/i.test(linuxFxVersion) ? linuxFxVersion.slice('DOCKER|'.length) : undefined
}

/** @param {unknown} linuxFxVersion */
function isSidecarMode(linuxFxVersion) {
  return typeof linuxFxVersion === 'string' && linuxFxVersion.toUpperCase() === 'SITECONTAINERS'
}

/**
 * A start command as the argv after the image: split at unquoted white space; single quotes
 * keep everything, double quotes keep all but `\"` and `\\`, a backslash outside quotes keeps
 * the next character.
 * @param {string} line
 */
export function splitCommandLine(line) {
  /** @type {string[]} */
  const words = []
  let word = ''
  let inWord = false
  /** @type {'' | "'" | '"'} */
  let quote = ''
  for (let index = 0; index < line.length; index++) {
    const char = /** @type {string} */ (line[index])
    if (quote === "'") {
      if (char === "'") quote = ''
      else word += char
    } else if (quote === '"') {
      if (char === '"') quote = ''
      else if (char === '\\' && (line[index + 1] === '"' || line[index + 1] === '\\')) word += line[++index]
      else word += char
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      inWord = true
      if (char === "'" || char === '"') quote = char
      else if (char === '\\' && index + 1 < line.length) word += line[++index]
      else word += char
    }
  }
  if (inWord) words.push(word)
  return words
}

/**
 * The site config of a new Linux container app (what GET config/web shows on Azure).
 * @param {string} name
 */
function defaultSiteConfig(name) {
  return {
    numberOfWorkers: 1,
    defaultDocuments: ['Default.htm', 'Default.html', 'index.html', 'hostingstart.html'],
    netFrameworkVersion: 'v4.0',
    phpVersion: '',
    pythonVersion: '',
    nodeVersion: '',
    powerShellVersion: '',
    linuxFxVersion: '',
    windowsFxVersion: null,
    requestTracingEnabled: false,
    remoteDebuggingEnabled: false,
    httpLoggingEnabled: false,
    acrUseManagedIdentityCreds: false,
    acrUserManagedIdentityID: null,
    logsDirectorySizeLimit: 35,
    detailedErrorLoggingEnabled: false,
    publishingUsername: `$${name}`,
    scmType: 'None',
    use32BitWorkerProcess: true,
    webSocketsEnabled: false,
    alwaysOn: true,
    appCommandLine: '',
    managedPipelineMode: 'Integrated',
    virtualApplications: [{ virtualPath: '/', physicalPath: 'site\\wwwroot', preloadEnabled: true, virtualDirectories: null }],
    loadBalancing: 'LeastRequests',
    experiments: { rampUpRules: [] },
    autoHealEnabled: false,
    vnetRouteAllEnabled: false,
    vnetPrivatePortsCount: 0,
    publicNetworkAccess: 'Enabled',
    ipSecurityRestrictions: [{ ipAddress: 'Any', action: 'Allow', priority: 2147483647, name: 'Allow all', description: 'Allow all access' }],
    scmIpSecurityRestrictions: [{ ipAddress: 'Any', action: 'Allow', priority: 2147483647, name: 'Allow all', description: 'Allow all access' }],
    scmIpSecurityRestrictionsUseMain: false,
    http20Enabled: false,
    minTlsVersion: '1.2',
    scmMinTlsVersion: '1.2',
    ftpsState: 'FtpsOnly',
    preWarmedInstanceCount: 0,
    functionAppScaleLimit: 0,
    healthCheckPath: null,
    minimumElasticInstanceCount: 1,
    azureStorageAccounts: {}
  }
}


/**
 * What moves when slots swap: the configuration and the containers running it. (Slot-sticky
 * settings are not modelled: everything swaps. A slot's own managed identity stays with it.)
 * @typedef {object} SlotContent
 * @property {Record<string, unknown>} siteConfig
 * @property {Record<string, string>} appSettings
 * @property {Map<string, import('./site-containers.mjs').SiteContainerRecord>} siteContainers by lower-case name
 * @property {ReturnType<typeof createAppRuntime>} runtime the worker: the main container and its docker log
 * @property {ReturnType<typeof createSidecarRuntime>} sidecars
 * @property {number} restarts
 *
 * @typedef {object} Slot
 * @property {Site} site
 * @property {string} name `production` or the slot's name
 * @property {import('./https-server.mjs').HttpsListener} listener its default host name
 * @property {import('./https-server.mjs').HttpsListener} scm its SCM (Kudu) host name
 * @property {SlotContent} content
 * @property {boolean} failNextStart
 * @property {string | undefined} swapping the id of a swap operation in progress
 * @property {string | null} principalId its system-assigned identity, if it has one
 * @property {string} instanceId WEBSITE_INSTANCE_ID
 *
 * @typedef {object} Site
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} name
 * @property {string} location
 * @property {Map<string, Slot>} slots by lower-case name, production included
 * @property {import('./registry-access.mjs').ManagedIdentity[]} userAssigned user-assigned identities assigned to the app
 * @property {{ timestampUtc: string, sourceSlotName: string, destinationSlotName: string } | null} slotSwapStatus
 * @property {string} lastModifiedTimeUtc
 *
 * @typedef {object} WebAppOptions what addWebApp takes
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} name
 * @property {string[]} [slots]
 * @property {string} [image] the container image (`DOCKER|<image>`)
 * @property {Record<string, string>} [slotImages] a slot's image, when not `image`
 * @property {string} [healthCheckPath]
 * @property {Record<string, string>} [appSettings] e.g. `{ WEBSITES_PORT: '8000' }`
 * @property {string} [appCommandLine]
 * @property {{ systemAssigned?: boolean, userAssigned?: string[] }} [identity] `userAssigned`: ids (or names) of addManagedIdentity identities
 * @property {boolean} [acrUseManagedIdentityCreds]
 * @property {string} [acrUserManagedIdentityID] a user-assigned identity's client id
 * @property {import('./site-containers.mjs').SiteContainerInput[]} [sidecars] sidecar mode: its site containers, one with `isMain: true`
 */

/**
 * @param {object} options
 * @param {string} options.baseUrl
 * @param {string} options.tenantId
 * @param {import('./https-server.mjs').TlsMaterial} options.tls
 * @param {import('./site-runtime.mjs').ContainerHost} options.host
 * @param {ReturnType<typeof import('./long-running.mjs').createLongRunningOperations>} options.operations
 * @param {import('./index.mjs').Groups} options.groups
 * @param {ReturnType<typeof import('./registry-access.mjs').createRegistryAccess>} options.registryAccess
 * @param {(headers: import('node:http').IncomingHttpHeaders) => Promise<string>} options.authenticateScm Kudu's check of an ARM token
 * @param {string} options.locationName display name, e.g. `West Europe`
 * @param {() => number} options.swapDurationMs
 * @param {() => number} options.startLimitMs
 */
export function createWebApps({ baseUrl, tenantId, tls, host, operations, groups, registryAccess, authenticateScm, locationName, swapDurationMs, startLimitMs }) {
  /** @type {Map<string, Site>} */
  const sites = new Map()
  /** @type {{ subscription: string, resourceGroup: string, name: string, source: string, target: string, operationId: string, status: string, requestedAt: string, completedAt?: string }[]} */
  const swaps = []

  /**
   * @param {string} subscription
   * @param {string} resourceGroup
   * @param {string} name
   */
  const siteKey = (subscription, resourceGroup, name) => `${subscription}/${resourceGroup}/${name}`.toLowerCase()

  /** @param {Site} site */
  const siteId = site => `/subscriptions/${site.subscription}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}`
  /** @param {Slot} slot */
  const slotId = slot => (slot.name === PRODUCTION ? siteId(slot.site) : `${siteId(slot.site)}/slots/${slot.name}`)
  /** @param {Slot} slot */
  const hostName = slot => `127.0.0.1:${slot.listener.port}`
  /** @param {Slot} slot */
  const scmHostName = slot => `127.0.0.1:${slot.scm.port}`
  /** @param {Slot} slot */
  const slotLabel = slot => (slot.name === PRODUCTION ? slot.site.name : `${slot.site.name}/${slot.name}`)
  /** The name App Service gives the slot's site in container names and the docker log. @param {Slot} slot */
  const deploymentId = slot => (slot.name === PRODUCTION ? slot.site.name : `${slot.site.name}__${slot.name}`)

  /** @param {Slot} slot */
  const mainContainer = slot => [...slot.content.siteContainers.values()].find(record => record.isMain)

  /**
   * The credentials a pull offers, from the site config and app settings (one container) or
   * the site container's authType (sidecar mode).
   * @param {Slot} slot
   * @param {import('./site-containers.mjs').SiteContainerRecord} [record]
   * @returns {import('./registry-access.mjs').PullCredential}
   */
  function pullCredential(slot, record) {
    const label = slotLabel(slot)
    const system = () =>
      slot.principalId === null
        ? /** @type {const} */ ({ kind: 'unusable', reason: `${label} has no system-assigned managed identity` })
        : /** @type {const} */ ({ kind: 'identity', principalId: slot.principalId, label: `the system-assigned identity of ${label}` })
    /** @param {unknown} clientId */
    const userAssigned = clientId => {
      const identity = slot.site.userAssigned.find(candidate => candidate.clientId.toLowerCase() === String(clientId).toLowerCase())
      return identity === undefined
        ? /** @type {const} */ ({ kind: 'unusable', reason: `no user-assigned identity with client id ${String(clientId)} is assigned to ${label}` })
        : /** @type {const} */ ({ kind: 'identity', principalId: identity.principalId, label: `the user-assigned identity ${identity.name} (client id ${identity.clientId})` })
    }
    if (record !== undefined) {
      if (record.authType === 'SystemIdentity') return system()
      if (record.authType === 'UserAssigned') return userAssigned(record.userManagedIdentityClientId)
      if (record.authType === 'UserCredentials') return { kind: 'password', username: record.userName ?? '', password: record.passwordSecret ?? '' }
      return { kind: 'anonymous' }
    }
    const config = slot.content.siteConfig
    if (config.acrUseManagedIdentityCreds === true) {
      const clientId = config.acrUserManagedIdentityID
      return typeof clientId === 'string' && clientId !== '' ? userAssigned(clientId) : system()
    }
    const settings = slot.content.appSettings
    const image = dockerImage(config.linuxFxVersion) ?? ''
    if (settings.DOCKER_REGISTRY_SERVER_URL && registryOfUrl(settings.DOCKER_REGISTRY_SERVER_URL) === registryOf(image) && settings.DOCKER_REGISTRY_SERVER_USERNAME) {
      return { kind: 'password', username: settings.DOCKER_REGISTRY_SERVER_USERNAME, password: settings.DOCKER_REGISTRY_SERVER_PASSWORD ?? '' }
    }
    return { kind: 'anonymous' }
  }

  /**
   * The WEBSITE_* variables App Service adds to a container's environment.
   * @param {Slot} slot
   */
  function platformEnv(slot) {
    return {
      WEBSITE_SITE_NAME: slot.site.name,
      WEBSITE_SLOT_NAME: slot.name === PRODUCTION ? 'Production' : slot.name,
      WEBSITE_HOSTNAME: hostName(slot),
      WEBSITE_RESOURCE_GROUP: slot.site.resourceGroup,
      WEBSITE_ROLE_INSTANCE_ID: '0',
      WEBSITE_INSTANCE_ID: slot.instanceId
    }
  }

  /**
   * What App Service would start for the slot now, without the pull decision; undefined when
   * it runs no container.
   * @param {Slot} slot
   */
  function startPlan(slot) {
    const { content } = slot
    const settings = content.appSettings
    if (isSidecarMode(content.siteConfig.linuxFxVersion)) {
      const main = mainContainer(slot)
      if (main === undefined) return undefined
      return { image: main.image, port: Number(main.targetPort ?? DEFAULT_PORT), command: splitCommandLine(main.startUpCommand ?? ''), env: { ...siteContainerEnv(main, settings), ...platformEnv(slot) }, credential: pullCredential(slot, main) }
    }
    const image = dockerImage(content.siteConfig.linuxFxVersion)
    if (image === undefined) return undefined
    const port = /^\d{1,5}$/.test(settings.WEBSITES_PORT ?? '') ? Number(settings.WEBSITES_PORT) : DEFAULT_PORT
    const env = Object.fromEntries(Object.entries(settings).filter(([key]) => !REGISTRY_SETTINGS.has(key)))
    return { image, port, command: splitCommandLine(String(content.siteConfig.appCommandLine ?? '')), env: { ...env, ...platformEnv(slot) }, credential: pullCredential(slot) }
  }

  /**
   * What decides whether a change restarts the app: the image (a new one starts beside the
   * old) and everything else the container is started with (a change restarts it).
   * @param {Slot} slot
   */
  function startKey(slot) {
    const plan = startPlan(slot)
    if (plan === undefined) return { image: undefined, rest: '' }
    const { image, ...rest } = plan
    return { image, rest: JSON.stringify({ ...rest, limit: slot.content.appSettings.WEBSITES_CONTAINER_START_TIME_LIMIT ?? null }) }
  }

  /**
   * Starts the slot's main container (a config change or a restart).
   * @param {Slot} slot
   * @param {{ restart: boolean }} options restart: stop the running container first
   * @returns {Promise<void>}
   */
  function startContainer(slot, { restart }) {
    const plan = startPlan(slot)
    if (plan === undefined) return Promise.resolve()
    const failStart = slot.failNextStart
    slot.failNextStart = false
    const settings = slot.content.appSettings
    const limitSetting = Number(settings.WEBSITES_CONTAINER_START_TIME_LIMIT)
    return slot.content.runtime.deploy(
      {
        image: plan.image,
        port: plan.port,
        command: plan.command,
        env: plan.env,
        warmupPath: settings.WEBSITE_WARMUP_PATH || WARMUP_PATH,
        startLimitMs: Number.isFinite(limitSetting) && limitSetting > 0 ? limitSetting * 1000 : startLimitMs(),
        failStart,
        pull: registryAccess.check(plan.image, plan.credential),
        site: deploymentId(slot)
      },
      { restart }
    )
  }

  /**
   * Starts a sidecar (a site container that is not the main one) as configured now.
   * @param {Slot} slot
   * @param {import('./site-containers.mjs').SiteContainerRecord} record
   */
  function startSidecar(slot, record) {
    return slot.content.sidecars.start({
      name: record.name,
      image: record.image,
      env: { ...siteContainerEnv(record, slot.content.appSettings), ...platformEnv(slot) },
      command: splitCommandLine(record.startUpCommand ?? ''),
      port: record.targetPort === null ? undefined : Number(record.targetPort),
      pull: registryAccess.check(record.image, pullCredential(slot, record)),
      site: deploymentId(slot)
    })
  }

  /**
   * Starts (or stops) the sidecars of a slot to match its mode and site containers.
   * @param {Slot} slot
   */
  async function syncSidecars(slot) {
    const wanted = isSidecarMode(slot.content.siteConfig.linuxFxVersion) ? [...slot.content.siteContainers.values()].filter(record => !record.isMain) : []
    const wantedNames = new Set(wanted.map(record => record.name))
    await Promise.all([...slot.content.sidecars.names().filter(name => !wantedNames.has(name)).map(name => slot.content.sidecars.remove(name)), ...wanted.filter(record => !slot.content.sidecars.has(record.name)).map(record => startSidecar(slot, record))])
  }

  /**
   * Applies a change to what a slot is configured with, then starts its container the way App
   * Service does: a new image beside the old container, any other change of what the container
   * gets as a restart, nothing when nothing it is started with changed.
   * @param {Slot} slot
   * @param {() => void} change
   */
  function reconfigure(slot, change) {
    const before = startKey(slot)
    const wasSidecarMode = isSidecarMode(slot.content.siteConfig.linuxFxVersion)
    change()
    slot.site.lastModifiedTimeUtc = new Date().toISOString()
    const after = startKey(slot)
    if (wasSidecarMode !== isSidecarMode(slot.content.siteConfig.linuxFxVersion)) void syncSidecars(slot)
    if (after.image === undefined) return
    if (after.image !== before.image) void startContainer(slot, { restart: false })
    else if (after.rest !== before.rest) void startContainer(slot, { restart: true })
  }

  /**
   * The site config properties of a PATCH/PUT body, validated as App Service validates them.
   * @param {unknown} properties
   */
  function siteConfigChanges(properties) {
    const given = /** @type {Record<string, unknown>} */ (properties ?? {})
    if ('linuxFxVersion' in given) validateLinuxFxVersion(given.linuxFxVersion)
    if ('healthCheckPath' in given && given.healthCheckPath !== null && typeof given.healthCheckPath !== 'string') throw invalidParameter('HealthCheckPath')
    if ('appCommandLine' in given && given.appCommandLine !== null && typeof given.appCommandLine !== 'string') throw invalidParameter('AppCommandLine')
    return Object.fromEntries(Object.entries(given).filter(([key, value]) => value !== undefined && !NOT_SITE_CONFIG.has(key)))
  }

  /**
   * The Site resource of a slot (production included), as GET returns it.
   * @param {Slot} slot
   */
  function siteResource(slot) {
    const { site, content } = slot
    const isSlot = slot.name !== PRODUCTION
    const host = hostName(slot)
    const scmHost = scmHostName(slot)
    const config = content.siteConfig
    const types = [slot.principalId === null ? '' : 'SystemAssigned', site.userAssigned.length === 0 ? '' : 'UserAssigned'].filter(Boolean)
    return {
      id: slotId(slot),
      name: slotLabel(slot),
      type: isSlot ? 'Microsoft.Web/sites/slots' : 'Microsoft.Web/sites',
      kind: 'app,linux,container',
      location: site.location,
      tags: {},
      ...(types.length === 0
        ? {}
        : {
            identity: {
              type: types.join(', '),
              ...(slot.principalId === null ? {} : { principalId: slot.principalId, tenantId }),
              ...(site.userAssigned.length === 0 ? {} : { userAssignedIdentities: Object.fromEntries(site.userAssigned.map(identity => [identity.id, { principalId: identity.principalId, clientId: identity.clientId }])) })
            }
          }),
      properties: {
        name: isSlot ? `${site.name}(${slot.name})` : site.name,
        state: 'Running',
        hostNames: [host],
        webSpace: `${site.resourceGroup}-${site.location.replaceAll(' ', '')}webspace-Linux`,
        selfLink: `${baseUrl}${slotId(slot)}`,
        repositorySiteName: site.name,
        owner: null,
        usageState: 'Normal',
        enabled: true,
        adminEnabled: true,
        enabledHostNames: [host, scmHost],
        siteProperties: {
          metadata: null,
          properties: [
            { name: 'LinuxFxVersion', value: config.linuxFxVersion },
            { name: 'WindowsFxVersion', value: null }
          ],
          appSettings: null
        },
        availabilityState: 'Normal',
        hostNameSslStates: [
          { name: host, sslState: 'Disabled', ipBasedSslState: 'NotConfigured', hostType: 'Standard' },
          { name: scmHost, sslState: 'Disabled', ipBasedSslState: 'NotConfigured', hostType: 'Repository' }
        ],
        serverFarmId: `/subscriptions/${site.subscription}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/serverfarms/${site.name}-plan`,
        reserved: true,
        isXenon: false,
        hyperV: false,
        lastModifiedTimeUtc: site.lastModifiedTimeUtc,
        storageRecoveryDefaultState: 'Running',
        contentAvailabilityState: 'Normal',
        runtimeAvailabilityState: 'Normal',
        siteConfig: {
          numberOfWorkers: 1,
          linuxFxVersion: config.linuxFxVersion,
          windowsFxVersion: null,
          acrUseManagedIdentityCreds: config.acrUseManagedIdentityCreds,
          acrUserManagedIdentityID: config.acrUserManagedIdentityID,
          alwaysOn: config.alwaysOn,
          http20Enabled: config.http20Enabled,
          healthCheckPath: config.healthCheckPath,
          // Site GET never carries app settings; they are read with config/appsettings/list.
          appSettings: null,
          functionAppScaleLimit: 0,
          minimumElasticInstanceCount: 1
        },
        deploymentId: deploymentId(slot),
        sku: 'PremiumV3',
        scmSiteAlsoStopped: false,
        clientAffinityEnabled: true,
        clientCertEnabled: false,
        clientCertMode: 'Required',
        hostNamesDisabled: false,
        outboundIpAddresses: '127.0.0.1',
        possibleOutboundIpAddresses: '127.0.0.1',
        containerSize: 0,
        dailyMemoryTimeQuota: 0,
        resourceGroup: site.resourceGroup,
        defaultHostName: host,
        slotSwapStatus: site.slotSwapStatus,
        httpsOnly: true,
        redundancyMode: 'None',
        publicNetworkAccess: 'Enabled',
        keyVaultReferenceIdentity: 'SystemAssigned'
      }
    }
  }

  /**
   * The SiteConfigResource of a slot.
   * @param {Slot} slot
   */
  function configResource(slot) {
    const isSlot = slot.name !== PRODUCTION
    return {
      id: `${slotId(slot)}/config/web`,
      name: slotLabel(slot),
      type: isSlot ? 'Microsoft.Web/sites/slots/config' : 'Microsoft.Web/sites/config',
      location: slot.site.location,
      properties: { ...slot.content.siteConfig }
    }
  }

  /**
   * The app settings of a slot, as a StringDictionary resource.
   * @param {Slot} slot
   */
  function appSettingsResource(slot) {
    const isSlot = slot.name !== PRODUCTION
    return {
      id: `${slotId(slot)}/config/appsettings`,
      name: 'appsettings',
      type: isSlot ? 'Microsoft.Web/sites/slots/config' : 'Microsoft.Web/sites/config',
      location: slot.site.location,
      properties: { ...slot.content.appSettings }
    }
  }

  /**
   * The site and slot a route names, or the 404 ARM answers.
   * @param {Record<string, string>} params
   * @param {{ nested?: string, verb?: 'read' | 'write' | 'action' | 'delete' }} [options] nested: the sub-resource type, e.g. `config`
   * @returns {Slot}
   */
  function resolve(params, { nested, verb = 'read' } = {}) {
    const { subscription = '', resourceGroup = '', name = '', slot: slotName } = params
    groups.require(subscription, resourceGroup)
    const site = sites.get(siteKey(subscription, resourceGroup, name))
    const parentId = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${name}${slotName === undefined ? '' : `/slots/${slotName}`}`
    /** @param {string} resource */
    const notFound = resource =>
      nested === undefined
        ? resourceNotFound(resource, resourceGroup)
        : armError(
            404,
            'ParentResourceNotFound',
            `Failed to perform '${verb}' on resource(s) of type '${slotName === undefined ? 'sites' : 'sites/slots'}/${nested}', because the parent resource '${parentId}' could not be found.`
          )
    if (site === undefined) throw notFound(`Microsoft.Web/sites/${name}`)
    const slot = site.slots.get((slotName ?? PRODUCTION).toLowerCase())
    if (slot === undefined || (slotName !== undefined && slot.name === PRODUCTION)) throw notFound(`Microsoft.Web/sites/${name}/slots/${slotName}`)
    return slot
  }

  /**
   * PATCH/PUT config/web: merges the given properties, then starts what changed.
   * @param {Slot} slot
   * @param {unknown} body
   */
  function updateConfig(slot, body) {
    const changes = siteConfigChanges(/** @type {{ properties?: unknown }} */ (body ?? {}).properties)
    reconfigure(slot, () => {
      slot.content.siteConfig = { ...slot.content.siteConfig, ...changes }
    })
    return { status: 200, body: configResource(slot) }
  }

  /**
   * PATCH sites/{name}[/slots/{slot}] (WebApps_Update[Slot]): `properties.siteConfig` changes
   * the site config, its `appSettings` (a NameValuePair list) replaces the whole set, and the
   * container starts once for all of it.
   * @param {Slot} slot
   * @param {unknown} body
   */
  function updateSite(slot, body) {
    const properties = /** @type {{ properties?: { siteConfig?: Record<string, unknown> } }} */ (body ?? {}).properties ?? {}
    const siteConfig = properties.siteConfig ?? {}
    const changes = siteConfigChanges(siteConfig)
    /** @type {Record<string, string> | undefined} */
    let appSettings
    if (siteConfig.appSettings !== undefined && siteConfig.appSettings !== null) {
      if (!Array.isArray(siteConfig.appSettings) || !siteConfig.appSettings.every(pair => pair && typeof pair.name === 'string' && pair.name !== '')) throw invalidParameter('AppSettings')
      appSettings = Object.fromEntries(siteConfig.appSettings.map(pair => [pair.name, pair.value === null || pair.value === undefined ? '' : String(pair.value)]))
    }
    reconfigure(slot, () => {
      slot.content.siteConfig = { ...slot.content.siteConfig, ...changes }
      if (appSettings !== undefined) slot.content.appSettings = appSettings
    })
    return { status: 200, body: siteResource(slot) }
  }

  /**
   * POST slotsswap: swaps `slot` with `targetSlot` as a long-running operation.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {Slot} slot
   */
  function swap(request, slot) {
    const body = /** @type {{ targetSlot?: unknown }} */ (request.body ?? {})
    if (typeof body.targetSlot !== 'string' || body.targetSlot === '') throw invalidParameter('targetSlot')
    const target = slot.site.slots.get(body.targetSlot.toLowerCase())
    if (target === undefined) {
      throw appServiceError(404, 'NotFound', `Cannot find Web Site with name ${slot.site.name}(${body.targetSlot}).`)
    }
    if (target === slot) throw appServiceError(400, 'BadRequest', 'Cannot swap a slot with itself.')
    const busy = [slot, target].find(candidate => candidate.swapping !== undefined)
    if (busy !== undefined) {
      throw appServiceError(
        409,
        'Conflict',
        `Cannot modify this site because another operation is in progress. Details: Id: ${busy.swapping}, OperationName: SwapSiteSlots, CreatedTime: ${new Date().toISOString()}, EntityType: 3`
      )
    }
    // The slot named in the path is the source; production is always reported as the destination.
    const [source, destination] = target.name === PRODUCTION ? [slot, target] : slot.name === PRODUCTION ? [target, slot] : [slot, target]
    const record = {
      subscription: slot.site.subscription,
      resourceGroup: slot.site.resourceGroup,
      name: slot.site.name,
      source: source.name,
      target: destination.name,
      operationId: '',
      status: 'InProgress',
      requestedAt: new Date().toISOString(),
      /** @type {string | undefined} */
      completedAt: undefined
    }
    const { operation, reply } = operations.start({
      kind: `swap ${slotLabel(source)} -> ${slotLabel(destination)}`,
      subscription: slot.site.subscription,
      namespace: 'Microsoft.Web',
      apiVersion: request.apiVersion ?? '',
      durationMs: swapDurationMs(),
      resultPath: id => `${slotId(slot)}/operationresults/${id}`,
      complete: () => {
        // Atomic at the end: each host name now serves what the other one served.
        const sourceContent = source.content
        source.content = destination.content
        destination.content = sourceContent
        source.swapping = undefined
        destination.swapping = undefined
        const completedAt = new Date().toISOString()
        slot.site.slotSwapStatus = { timestampUtc: completedAt, sourceSlotName: source.name, destinationSlotName: destination.name }
        slot.site.lastModifiedTimeUtc = completedAt
        record.status = 'Succeeded'
        record.completedAt = completedAt
      }
    })
    record.operationId = operation.id
    source.swapping = operation.id
    destination.swapping = operation.id
    swaps.push(record)
    return reply
  }

  /**
   * POST restart: stops the app's containers and starts them again, pulling the image again;
   * `synchronous=true` waits for the main container.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {Slot} slot
   * @returns {Promise<import('./https-server.mjs').Reply>}
   */
  async function restart(request, slot) {
    slot.content.restarts += 1
    const started = startContainer(slot, { restart: true })
    if (isSidecarMode(slot.content.siteConfig.linuxFxVersion)) {
      for (const record of slot.content.siteContainers.values()) if (!record.isMain) void startSidecar(slot, record)
    }
    if (String(request.query.synchronous).toLowerCase() === 'true') await started
    return { status: 200 }
  }

  /**
   * PUT config/appsettings: replaces the whole set; App Service restarts the app on a change.
   * @param {Slot} slot
   * @param {unknown} body
   */
  function replaceAppSettings(slot, body) {
    const properties = /** @type {{ properties?: Record<string, unknown> }} */ (body ?? {}).properties ?? {}
    const settings = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, String(value)]))
    reconfigure(slot, () => {
      slot.content.appSettings = settings
    })
    return { status: 200, body: appSettingsResource(slot) }
  }

  /**
   * PUT sitecontainers/{name}: creates or replaces a site container. In sidecar mode a new main
   * image starts beside the old main container, another change of the main one restarts it, and
   * a sidecar restarts alone.
   * @param {Slot} slot
   * @param {string} name
   * @param {unknown} body
   */
  function putSiteContainer(slot, name, body) {
    const existing = slot.content.siteContainers.get(name.toLowerCase())
    const record = siteContainerRecord(existing?.name ?? name, /** @type {{ properties?: unknown }} */ (body ?? {}).properties, existing)
    const otherMain = [...slot.content.siteContainers.values()].find(candidate => candidate.isMain && candidate.name.toLowerCase() !== name.toLowerCase())
    if (record.isMain && otherMain !== undefined) throw appServiceError(400, 'BadRequest', `Site container '${otherMain.name}' is already the main container of ${slotLabel(slot)}; a site can have only one main container.`)
    reconfigure(slot, () => {
      slot.content.siteContainers.set(name.toLowerCase(), record)
    })
    if (isSidecarMode(slot.content.siteConfig.linuxFxVersion)) {
      if (!record.isMain) void startSidecar(slot, record)
      else if (existing !== undefined && !existing.isMain) void slot.content.sidecars.remove(existing.name)
    }
    return { status: existing === undefined ? 201 : 200, body: siteContainerResource(slotId(slot), slotLabel(slot), slot.name !== PRODUCTION, record) }
  }

  /**
   * DELETE sitecontainers/{name}.
   * @param {Slot} slot
   * @param {string} name
   */
  function deleteSiteContainer(slot, name) {
    const existing = slot.content.siteContainers.get(name.toLowerCase())
    if (existing === undefined) return { status: 204 }
    slot.content.siteContainers.delete(name.toLowerCase())
    if (!existing.isMain) void slot.content.sidecars.remove(existing.name)
    return { status: 200 }
  }

  /**
   * The site containers addWebApp was given, checked as a PUT would check them.
   * @param {import('./site-containers.mjs').SiteContainerInput[]} sidecars
   */
  function initialSiteContainers(sidecars) {
    const records = sidecars.map(({ name, ...properties }) => siteContainerRecord(name, { isMain: false, ...properties }, undefined))
    if (records.filter(record => record.isMain).length !== 1) throw new Error('addWebApp: sidecars need exactly one container with isMain: true')
    return new Map(records.map(record => [record.name.toLowerCase(), record]))
  }

  return {
    /**
     * Adds a Linux container Web App with its slots; each slot starts as a copy of
     * production's configuration (as when a slot is created cloning production), with its own
     * system-assigned identity when the app has one. Resolves once the initial containers
     * serve (or failed to start).
     * @param {WebAppOptions} options
     */
    async add({ subscription, resourceGroup, name, slots = [], image, slotImages = {}, healthCheckPath, appSettings = {}, appCommandLine = '', identity = {}, acrUseManagedIdentityCreds = false, acrUserManagedIdentityID, sidecars }) {
      const key = siteKey(subscription, resourceGroup, name)
      if (sites.has(key)) throw new Error(`Web App ${resourceGroup}/${name} already exists in the stand-in`)
      if (sidecars !== undefined && image !== undefined) throw new Error('addWebApp: give either image or sidecars')
      const userAssigned = (identity.userAssigned ?? []).map(reference => {
        const found = registryAccess.identity(reference)
        if (found === undefined) throw new Error(`addWebApp: no managed identity ${reference} in the stand-in (addManagedIdentity first)`)
        return found
      })
      const siteContainers = sidecars === undefined ? undefined : initialSiteContainers(sidecars)
      groups.add(subscription, resourceGroup)
      /** @type {Site} */
      const site = { subscription, resourceGroup, name, location: locationName, slots: new Map(), userAssigned, slotSwapStatus: null, lastModifiedTimeUtc: new Date().toISOString() }
      sites.set(key, site)
      for (const slotName of [PRODUCTION, ...slots]) {
        /** @type {Slot} */
        const slot = /** @type {Slot} */ ({ site, name: slotName, failNextStart: false, swapping: undefined, principalId: identity.systemAssigned ? randomUUID() : null, instanceId: randomBytes(32).toString('hex') })
        const label = slotLabel(slot)
        const slotImage = slotImages[slotName] ?? image
        slot.content = {
          siteConfig: {
            ...defaultSiteConfig(name),
            linuxFxVersion: siteContainers !== undefined ? 'SITECONTAINERS' : slotImage === undefined ? '' : `DOCKER|${slotImage}`,
            healthCheckPath: healthCheckPath ?? null,
            appCommandLine,
            acrUseManagedIdentityCreds,
            acrUserManagedIdentityID: acrUserManagedIdentityID ?? null
          },
          appSettings: { ...appSettings },
          siteContainers: new Map([...(siteContainers ?? new Map()).entries()].map(([containerKey, record]) => [containerKey, { ...record }])),
          runtime: createAppRuntime({ host }),
          sidecars: createSidecarRuntime({ host }),
          restarts: 0
        }
        slot.listener = await createSiteListener({ tls, label, resolve: () => slot.content.runtime.serving()?.container })
        slot.scm = await createScmListener({ tls, authenticate: authenticateScm, log: () => slot.content.runtime.log, liveOutput: () => slot.content.runtime.liveOutput() })
        site.slots.set(slotName.toLowerCase(), slot)
      }
      const all = [...site.slots.values()]
      await Promise.all(all.flatMap(slot => [startContainer(slot, { restart: false }), syncSidecars(slot)]))
      return {
        principalId: all[0]?.principalId ?? null,
        slots: Object.fromEntries(all.map(slot => [slot.name, { principalId: slot.principalId, defaultHostName: hostName(slot), scmHostName: scmHostName(slot) }]))
      }
    },

    /**
     * The next image start on this site or slot never becomes healthy.
     * @param {{ subscription?: string, resourceGroup: string, name: string, slot?: string }} target
     */
    failContainerStart({ subscription, resourceGroup, name, slot = PRODUCTION }) {
      const site = [...sites.values()].find(
        candidate =>
          (subscription === undefined || candidate.subscription.toLowerCase() === subscription.toLowerCase()) &&
          candidate.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() &&
          candidate.name.toLowerCase() === name.toLowerCase()
      )
      const found = site?.slots.get(slot.toLowerCase())
      if (found === undefined) throw new Error(`failContainerStart: no Web App ${resourceGroup}/${name} slot ${slot} in the stand-in`)
      found.failNextStart = true
    },

    /** Sites (one entry per slot, production included) and swaps, as plain data. */
    state() {
      const slots = [...sites.values()].flatMap(site =>
        [...site.slots.values()].map(slot => {
          const config = slot.content.siteConfig
          return {
            subscription: site.subscription,
            resourceGroup: site.resourceGroup,
            name: site.name,
            slot: slot.name,
            id: slotId(slot),
            defaultHostName: hostName(slot),
            url: slot.listener.url,
            scmHostName: scmHostName(slot),
            scmUrl: slot.scm.url,
            state: 'Running',
            linuxFxVersion: String(config.linuxFxVersion ?? ''),
            image: dockerImage(config.linuxFxVersion) ?? mainContainer(slot)?.image ?? null,
            sidecarMode: isSidecarMode(config.linuxFxVersion),
            appCommandLine: String(config.appCommandLine ?? ''),
            healthCheckPath: config.healthCheckPath ?? null,
            acrUseManagedIdentityCreds: config.acrUseManagedIdentityCreds ?? false,
            acrUserManagedIdentityID: config.acrUserManagedIdentityID ?? null,
            identity: { principalId: slot.principalId, userAssigned: site.userAssigned.map(({ id, clientId, principalId }) => ({ id, clientId, principalId })) },
            appSettings: { ...slot.content.appSettings },
            siteContainers: [...slot.content.siteContainers.values()].map(record => ({ ...record, passwordSecret: record.passwordSecret === null ? null : '(set)' })),
            sidecars: slot.content.sidecars.snapshot(),
            restarts: slot.content.restarts,
            swapInProgress: slot.swapping !== undefined,
            failNextStart: slot.failNextStart,
            ...slot.content.runtime.snapshot()
          }
        })
      )
      return { sites: slots, swaps: swaps.map(swapRecord => ({ ...swapRecord })) }
    },

    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      /** @param {string} pattern */
      const route = pattern => new RegExp(`${pattern}$`, 'i')
      /** @param {Slot[]} slots */
      const collection = slots => ({ status: 200, body: { value: slots.map(siteResource), nextLink: null } })
      /** @param {(site: Site) => boolean} filter */
      const production = filter => [...sites.values()].filter(filter).map(site => /** @type {Slot} */ (site.slots.get(PRODUCTION)))

      router.add('GET', route(`${SUB}/providers/Microsoft\\.Web/sites`), (request, params) => {
        const subscription = params.subscription ?? ''
        groups.require(subscription)
        return collection(production(site => site.subscription.toLowerCase() === subscription.toLowerCase()))
      })
      router.add('GET', route(`${RG}/providers/Microsoft\\.Web/sites`), (request, params) => {
        const { subscription = '', resourceGroup = '' } = params
        groups.require(subscription, resourceGroup)
        const inGroup = [...sites.values()].filter(site => siteKey(site.subscription, site.resourceGroup, '') === siteKey(subscription, resourceGroup, ''))
        const includeSlots = String(request.query.includeSlots).toLowerCase() === 'true'
        return collection(inGroup.flatMap(site => (includeSlots ? [...site.slots.values()] : [/** @type {Slot} */ (site.slots.get(PRODUCTION))])))
      })
      router.add('GET', route(`${SITE}/slots`), (request, params) => {
        const slot = resolve(params, { nested: 'slots' })
        return collection([...slot.site.slots.values()].filter(candidate => candidate.name !== PRODUCTION))
      })

      /** @type {import('./https-server.mjs').RouteHandler} */
      const writeConfig = (request, params) => updateConfig(resolve(params, { nested: 'config', verb: 'write' }), request.body)
      for (const base of [SITE, SLOT]) {
        router.add('GET', route(base), (request, params) => ({ status: 200, body: siteResource(resolve(params)) }))
        router.add('PATCH', route(base), (request, params) => updateSite(resolve(params, { verb: 'write' }), request.body))
        router.add('GET', route(`${base}/config/web`), (request, params) => ({ status: 200, body: configResource(resolve(params, { nested: 'config' })) }))
        router.add('PATCH', route(`${base}/config/web`), writeConfig)
        router.add('PUT', route(`${base}/config/web`), writeConfig)
        router.add('POST', route(`${base}/config/appsettings/list`), (request, params) => ({ status: 200, body: appSettingsResource(resolve(params, { nested: 'config', verb: 'action' })) }))
        router.add('PUT', route(`${base}/config/appsettings`), (request, params) => replaceAppSettings(resolve(params, { nested: 'config', verb: 'write' }), request.body))
        router.add('POST', route(`${base}/restart`), (request, params) => restart(request, resolve(params)))
        router.add('POST', route(`${base}/slotsswap`), (request, params) => swap(request, resolve(params)))

        router.add('GET', route(`${base}/sitecontainers`), (request, params) => {
          const slot = resolve(params, { nested: 'sitecontainers' })
          return { status: 200, body: { value: [...slot.content.siteContainers.values()].map(record => siteContainerResource(slotId(slot), slotLabel(slot), slot.name !== PRODUCTION, record)), nextLink: null } }
        })
        router.add('GET', route(`${base}/sitecontainers/(?<container>[^/]+)`), (request, params) => {
          const slot = resolve(params, { nested: 'sitecontainers' })
          const record = slot.content.siteContainers.get(String(params.container).toLowerCase())
          if (record === undefined) throw appServiceError(404, 'NotFound', `Cannot find SiteContainer with name ${params.container} for ${slotLabel(slot)}.`)
          return { status: 200, body: siteContainerResource(slotId(slot), slotLabel(slot), slot.name !== PRODUCTION, record) }
        })
        router.add('PUT', route(`${base}/sitecontainers/(?<container>[^/]+)`), (request, params) => putSiteContainer(resolve(params, { nested: 'sitecontainers', verb: 'write' }), String(params.container), request.body))
        router.add('DELETE', route(`${base}/sitecontainers/(?<container>[^/]+)`), (request, params) => deleteSiteContainer(resolve(params, { nested: 'sitecontainers', verb: 'delete' }), String(params.container)))
      }
    },

    /** Stops every slot's listeners and containers. */
    async close() {
      const slots = [...sites.values()].flatMap(site => [...site.slots.values()])
      await Promise.all(slots.flatMap(slot => [slot.listener.close(), slot.scm.close(), slot.content.runtime.stop(), slot.content.sidecars.stop()]))
    }
  }
}
