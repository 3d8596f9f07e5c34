/**
 * Microsoft.Web: Linux container Web Apps and their deployment slots, as far as a deploy
 * action uses them. Routes follow WebApps.json (azure-rest-api-specs, Microsoft.Web
 * 2025-05-01, the default api-version of @azure/arm-appservice 19):
 *
 * | route (under /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Web)     | operationId                          | answers |
 * | GET  /subscriptions/{s}/providers/Microsoft.Web/sites                             | WebApps_List                         | 200 `{ value: Site[], nextLink }` |
 * | GET  sites (?includeSlots)                                                        | WebApps_ListByResourceGroup          | 200 `{ value: Site[], nextLink }` |
 * | GET  sites/{name}, sites/{name}/slots/{slot}                                      | WebApps_Get, WebApps_GetSlot         | 200 Site |
 * | GET  sites/{name}/slots                                                           | WebApps_ListSlots                    | 200 `{ value: Site[] }` |
 * | GET, PUT, PATCH sites/{name}[/slots/{slot}]/config/web                            | WebApps_GetConfiguration[Slot], _CreateOrUpdateConfiguration[Slot], _UpdateConfiguration[Slot] | 200 SiteConfigResource |
 * | POST sites/{name}[/slots/{slot}]/config/appsettings/list, PUT .../config/appsettings | WebApps_ListApplicationSettings[Slot], _UpdateApplicationSettings[Slot] | 200 StringDictionary |
 * | POST sites/{name}[/slots/{slot}]/restart?softRestart&synchronous                  | WebApps_Restart[Slot]                | 200, no body |
 * | POST sites/{name}/slotsswap, sites/{name}/slots/{slot}/slotsswap `{ targetSlot, preserveVnet }` | WebApps_SwapSlotWithProduction, WebApps_SwapSlot | 202 + Azure-AsyncOperation/Location (x-ms-long-running-operation), then 200 |
 *
 * The SDK (v19, modular) sends updateConfiguration as PATCH and createOrUpdateConfiguration as
 * PUT, both with `{ properties: {...} }`; App Service applies both as partial updates of the
 * site config. ARM answers for missing resources (SubscriptionNotFound, ResourceGroupNotFound,
 * ResourceNotFound, ParentResourceNotFound) with `{ error: { code, message } }`; App Service
 * itself answers validation errors in its own shape, `{ Code, Message, Target, Details: [...],
 * Innererror }` (e.g. "The parameter LinuxFxVersion has an invalid value.", ExtendedCode 01007).
 */
import { armError, HttpError, resourceNotFound } from './https-server.mjs'
import { createAppRuntime, createSiteListener } from './site-runtime.mjs'

const PRODUCTION = 'production'
const SUB = '^/subscriptions/(?<subscription>[^/]+)'
const RG = `${SUB}/resourceGroups/(?<resourceGroup>[^/]+)`
const SITE = `${RG}/providers/Microsoft\\.Web/sites/(?<name>[^/]+)`
const SLOT = `${SITE}/slots/(?<slot>[^/]+)`

/**
 * App Service's own error body (the resource provider's, not ARM's).
 * @param {number} status
 * @param {string} code
 * @param {string} message
 * @param {{ extendedCode: string, template: string, parameters: string[] }} [entity]
 */
function appServiceError(status, code, message, entity) {
  const details = [{ Message: message }, { Code: code }]
  if (entity !== undefined) {
    details.push(/** @type {never} */ ({ ErrorEntity: { ExtendedCode: entity.extendedCode, MessageTemplate: entity.template, Parameters: entity.parameters, Code: code, Message: message } }))
  }
  return new HttpError(status, { Code: code, Message: message, Target: null, Details: details, Innererror: null })
}

/** @param {string} parameter */
function invalidParameter(parameter) {
  return appServiceError(400, 'BadRequest', `The parameter ${parameter} has an invalid value.`, { extendedCode: '01007', template: 'The parameter {0} has an invalid value.', parameters: [parameter] })
}

/** Runtime stacks App Service accepts before the `|` of linuxFxVersion. */
const LINUX_FX_KINDS = new Set(['DOCKER', 'COMPOSE', 'KUBE', 'SITECONTAINERS', 'NODE', 'PYTHON', 'PHP', 'DOTNETCORE', 'DOTNET', 'JAVA', 'TOMCAT', 'JBOSSEAP', 'RUBY', 'GO'])
/** A Docker image reference: [registry[:port]/]repository[:tag][@sha256:digest]. */
const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/i

/** @param {unknown} value */
function validateLinuxFxVersion(value) {
  if (value === null || value === '') return
  if (typeof value !== 'string') throw invalidParameter('LinuxFxVersion')
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
 * settings are not modelled: everything swaps.)
 * @typedef {object} SlotContent
 * @property {Record<string, unknown>} siteConfig
 * @property {Record<string, string>} appSettings
 * @property {ReturnType<typeof createAppRuntime>} runtime
 * @property {number} restarts
 *
 * @typedef {object} Slot
 * @property {Site} site
 * @property {string} name `production` or the slot's name
 * @property {import('./https-server.mjs').HttpsListener} listener its default host name
 * @property {SlotContent} content
 * @property {boolean} failNextStart
 * @property {string | undefined} swapping the id of a swap operation in progress
 *
 * @typedef {object} Site
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} name
 * @property {string} location
 * @property {Map<string, Slot>} slots by lower-case name, production included
 * @property {{ timestampUtc: string, sourceSlotName: string, destinationSlotName: string } | null} slotSwapStatus
 * @property {string} lastModifiedTimeUtc
 */

/**
 * @param {object} options
 * @param {string} options.baseUrl
 * @param {import('./https-server.mjs').TlsMaterial} options.tls
 * @param {import('./site-runtime.mjs').ContainerHost} options.host
 * @param {ReturnType<typeof import('./long-running.mjs').createLongRunningOperations>} options.operations
 * @param {import('./index.mjs').Groups} options.groups
 * @param {string} options.locationName display name, e.g. `West Europe`
 * @param {() => number} options.swapDurationMs
 * @param {() => number} options.startLimitMs
 */
export function createWebApps({ baseUrl, tls, host, operations, groups, locationName, swapDurationMs, startLimitMs }) {
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
  const slotLabel = slot => (slot.name === PRODUCTION ? slot.site.name : `${slot.site.name}/${slot.name}`)

  /**
   * Starts the slot's configured image again (a config change or a restart).
   * @param {Slot} slot
   * @returns {Promise<void>}
   */
  function startConfiguredImage(slot) {
    const { content } = slot
    const image = dockerImage(content.siteConfig.linuxFxVersion)
    if (image === undefined) return Promise.resolve()
    const failStart = slot.failNextStart
    slot.failNextStart = false
    const limitSetting = Number(content.appSettings.WEBSITES_CONTAINER_START_TIME_LIMIT)
    return content.runtime.deploy(image, {
      healthPath: typeof content.siteConfig.healthCheckPath === 'string' && content.siteConfig.healthCheckPath !== '' ? content.siteConfig.healthCheckPath : '/',
      startLimitMs: Number.isFinite(limitSetting) && limitSetting > 0 ? limitSetting * 1000 : startLimitMs(),
      env: { ...content.appSettings, WEBSITE_SITE_NAME: slot.site.name },
      failStart
    })
  }

  /**
   * The Site resource of a slot (production included), as GET returns it.
   * @param {Slot} slot
   */
  function siteResource(slot) {
    const { site, content } = slot
    const isSlot = slot.name !== PRODUCTION
    const host = hostName(slot)
    // Kudu (SCM) is not modelled; its host name is listed as on Azure but does not resolve.
    const scmHost = `${slotLabel(slot).replace('/', '-')}.scm.azure-standin.test`
    const config = content.siteConfig
    return {
      id: slotId(slot),
      name: slotLabel(slot),
      type: isSlot ? 'Microsoft.Web/sites/slots' : 'Microsoft.Web/sites',
      kind: 'app,linux,container',
      location: site.location,
      tags: {},
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
          functionAppScaleLimit: 0,
          minimumElasticInstanceCount: 1
        },
        deploymentId: isSlot ? `${site.name}__${slot.name}` : site.name,
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
   * @param {{ nested?: string, verb?: 'read' | 'write' | 'action' }} [options] nested: the sub-resource type, e.g. `config`
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
   * PATCH/PUT config/web: merges the given properties, then starts a changed image.
   * @param {Slot} slot
   * @param {unknown} body
   */
  function updateConfig(slot, body) {
    const properties = /** @type {{ properties?: Record<string, unknown> }} */ (body ?? {}).properties ?? {}
    if ('linuxFxVersion' in properties) validateLinuxFxVersion(properties.linuxFxVersion)
    if ('healthCheckPath' in properties && properties.healthCheckPath !== null && typeof properties.healthCheckPath !== 'string') throw invalidParameter('HealthCheckPath')
    const before = dockerImage(slot.content.siteConfig.linuxFxVersion)
    const changes = Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined))
    slot.content.siteConfig = { ...slot.content.siteConfig, ...changes }
    slot.site.lastModifiedTimeUtc = new Date().toISOString()
    // A changed image restarts the app on it; setting the same image again does nothing.
    if (dockerImage(slot.content.siteConfig.linuxFxVersion) !== before) void startConfiguredImage(slot)
    return { status: 200, body: configResource(slot) }
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
   * POST restart: starts the configured image again; `synchronous=true` waits for it.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {Slot} slot
   * @returns {Promise<import('./https-server.mjs').Reply>}
   */
  async function restart(request, slot) {
    slot.content.restarts += 1
    const started = startConfiguredImage(slot)
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
    const changed = JSON.stringify(settings) !== JSON.stringify(slot.content.appSettings)
    slot.content.appSettings = settings
    if (changed && slot.content.runtime.serving() !== undefined) void startConfiguredImage(slot)
    return { status: 200, body: appSettingsResource(slot) }
  }

  return {
    /**
     * Adds a Linux container Web App with its slots; each slot starts as a copy of
     * production's configuration (as when a slot is created cloning production). Resolves
     * once the initial image serves (or failed to start).
     * @param {{ subscription: string, resourceGroup: string, name: string, slots?: string[], image?: string, slotImages?: Record<string, string>, healthCheckPath?: string }} options
     */
    async add({ subscription, resourceGroup, name, slots = [], image, slotImages = {}, healthCheckPath }) {
      const key = siteKey(subscription, resourceGroup, name)
      if (sites.has(key)) throw new Error(`Web App ${resourceGroup}/${name} already exists in the stand-in`)
      groups.add(subscription, resourceGroup)
      /** @type {Site} */
      const site = { subscription, resourceGroup, name, location: locationName, slots: new Map(), slotSwapStatus: null, lastModifiedTimeUtc: new Date().toISOString() }
      sites.set(key, site)
      for (const slotName of [PRODUCTION, ...slots]) {
        /** @type {Slot} */
        const slot = /** @type {Slot} */ ({ site, name: slotName, failNextStart: false, swapping: undefined })
        const label = slotLabel(slot)
        const slotImage = slotImages[slotName] ?? image
        slot.content = {
          siteConfig: { ...defaultSiteConfig(name), linuxFxVersion: slotImage === undefined ? '' : `DOCKER|${slotImage}`, healthCheckPath: healthCheckPath ?? null },
          appSettings: {},
          runtime: createAppRuntime({ host, label }),
          restarts: 0
        }
        slot.listener = await createSiteListener({ tls, label, resolve: () => slot.content.runtime.serving()?.container })
        site.slots.set(slotName.toLowerCase(), slot)
      }
      await Promise.all([...site.slots.values()].map(slot => startConfiguredImage(slot)))
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
            state: 'Running',
            linuxFxVersion: String(config.linuxFxVersion ?? ''),
            image: dockerImage(config.linuxFxVersion) ?? null,
            healthCheckPath: config.healthCheckPath ?? null,
            acrUseManagedIdentityCreds: config.acrUseManagedIdentityCreds ?? false,
            acrUserManagedIdentityID: config.acrUserManagedIdentityID ?? null,
            appSettings: { ...slot.content.appSettings },
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
      router.add('GET', route(SITE), (request, params) => ({ status: 200, body: siteResource(resolve(params)) }))
      router.add('GET', route(`${SITE}/slots`), (request, params) => {
        const slot = resolve(params, { nested: 'slots' })
        return collection([...slot.site.slots.values()].filter(candidate => candidate.name !== PRODUCTION))
      })
      router.add('GET', route(SLOT), (request, params) => ({ status: 200, body: siteResource(resolve(params)) }))

      /** @type {import('./https-server.mjs').RouteHandler} */
      const writeConfig = (request, params) => updateConfig(resolve(params, { nested: 'config', verb: 'write' }), request.body)
      for (const base of [SITE, SLOT]) {
        router.add('GET', route(`${base}/config/web`), (request, params) => ({ status: 200, body: configResource(resolve(params, { nested: 'config' })) }))
        router.add('PATCH', route(`${base}/config/web`), writeConfig)
        router.add('PUT', route(`${base}/config/web`), writeConfig)
        router.add('POST', route(`${base}/config/appsettings/list`), (request, params) => ({ status: 200, body: appSettingsResource(resolve(params, { nested: 'config', verb: 'action' })) }))
        router.add('PUT', route(`${base}/config/appsettings`), (request, params) => replaceAppSettings(resolve(params, { nested: 'config', verb: 'write' }), request.body))
        router.add('POST', route(`${base}/restart`), (request, params) => restart(request, resolve(params)))
        router.add('POST', route(`${base}/slotsswap`), (request, params) => swap(request, resolve(params)))
      }
    },

    /** Stops every slot's listener and containers. */
    async close() {
      const slots = [...sites.values()].flatMap(site => [...site.slots.values()])
      await Promise.all(slots.flatMap(slot => [slot.listener.close(), slot.content.runtime.stop()]))
    }
  }
}
