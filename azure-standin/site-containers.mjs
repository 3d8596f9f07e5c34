/**
 * Sidecar apps: a Web App whose `linuxFxVersion` is `SITECONTAINERS` runs the containers listed
 * under `sites/{name}[/slots/{slot}]/sitecontainers` (Microsoft.Web 2025-05-01, WebApps.json;
 * @azure/arm-appservice 19 `webApps.listSiteContainers[Slot]`, `getSiteContainer[Slot]`,
 * `createOrUpdateSiteContainer[Slot]`, `deleteSiteContainer[Slot]`):
 *
 * | route                                              | operationId                                  | answers |
 * | GET    .../sitecontainers                          | WebApps_ListSiteContainers[Slot]             | 200 `{ value: SiteContainer[], nextLink }` |
 * | GET    .../sitecontainers/{containerName}          | WebApps_GetSiteContainer[Slot]               | 200 SiteContainer; 404 when there is none |
 * | PUT    .../sitecontainers/{containerName}          | WebApps_CreateOrUpdateSiteContainer[Slot]    | 201 created, 200 updated |
 * | DELETE .../sitecontainers/{containerName}          | WebApps_DeleteSiteContainer[Slot]            | 200 deleted, 204 when there was none |
 *
 * A SiteContainer is `{ id, name, type, properties: { image, targetPort, isMain, startUpCommand,
 * authType (Anonymous | UserCredentials | SystemIdentity | UserAssigned), userName,
 * userManagedIdentityClientId, volumeMounts, inheritAppSettingsAndConnectionStrings,
 * environmentVariables: [{ name, value: <app setting name> }], createdTime, lastModifiedTime } }`;
 * `passwordSecret` is write-only. The container with `isMain: true` receives the site's traffic
 * on its `targetPort` (https://learn.microsoft.com/azure/app-service/tutorial-custom-container-sidecar).
 * The other containers (sidecars) run beside it; this module runs them and keeps their state.
 */
import { appServiceError } from './app-service-errors.mjs'
import { registryOf } from './registry-access.mjs'

const AUTH_TYPES = new Set(['Anonymous', 'UserCredentials', 'SystemIdentity', 'UserAssigned'])

/**
 * @typedef {object} SiteContainerRecord
 * @property {string} name
 * @property {string} image
 * @property {string | null} targetPort
 * @property {boolean} isMain
 * @property {string | null} startUpCommand
 * @property {'Anonymous' | 'UserCredentials' | 'SystemIdentity' | 'UserAssigned'} authType
 * @property {string | null} userName
 * @property {string | null} passwordSecret
 * @property {string | null} userManagedIdentityClientId
 * @property {unknown[]} volumeMounts
 * @property {boolean} inheritAppSettingsAndConnectionStrings
 * @property {{ name: string, value: string }[]} environmentVariables
 * @property {string} createdTime
 * @property {string} lastModifiedTime
 *
 * @typedef {object} SiteContainerInput what addWebApp({ sidecars }) and a PUT's properties give
 * @property {string} name
 * @property {string} image
 * @property {boolean} [isMain]
 * @property {string | number} [targetPort]
 * @property {string} [startUpCommand]
 * @property {SiteContainerRecord['authType']} [authType]
 * @property {string} [userName]
 * @property {string} [passwordSecret]
 * @property {string} [userManagedIdentityClientId]
 * @property {boolean} [inheritAppSettingsAndConnectionStrings]
 * @property {{ name: string, value: string }[]} [environmentVariables]
 */

/**
 * A site container as App Service stores it, from a PUT's properties; App Service's 400 for a
 * value it refuses.
 * @param {string} name
 * @param {unknown} properties
 * @param {SiteContainerRecord | undefined} existing
 * @returns {SiteContainerRecord}
 */
export function siteContainerRecord(name, properties, existing) {
  const given = /** @type {Record<string, unknown>} */ (properties ?? {})
  if (typeof given.image !== 'string' || given.image === '') throw appServiceError(400, 'BadRequest', `Image is required for site container '${name}'.`)
  if (typeof given.isMain !== 'boolean') throw appServiceError(400, 'BadRequest', `IsMain is required for site container '${name}'.`)
  const authType = given.authType ?? 'Anonymous'
  if (typeof authType !== 'string' || !AUTH_TYPES.has(authType)) throw appServiceError(400, 'BadRequest', `The parameter AuthType has an invalid value.`)
  if (given.targetPort !== undefined && given.targetPort !== null && !/^\d{1,5}$/.test(String(given.targetPort))) throw appServiceError(400, 'BadRequest', 'The parameter TargetPort has an invalid value.')
  const environmentVariables = Array.isArray(given.environmentVariables) ? given.environmentVariables : []
  if (!environmentVariables.every(variable => variable && typeof variable.name === 'string' && typeof variable.value === 'string')) {
    throw appServiceError(400, 'BadRequest', 'The parameter EnvironmentVariables has an invalid value.')
  }
  const now = new Date().toISOString()
  /** @param {string} key */
  const text = key => (typeof given[key] === 'string' && given[key] !== '' ? /** @type {string} */ (given[key]) : null)
  return {
    name,
    image: given.image,
    targetPort: given.targetPort === undefined || given.targetPort === null ? null : String(given.targetPort),
    isMain: given.isMain,
    startUpCommand: text('startUpCommand'),
    authType: /** @type {SiteContainerRecord['authType']} */ (authType),
    userName: text('userName'),
    passwordSecret: text('passwordSecret'),
    userManagedIdentityClientId: text('userManagedIdentityClientId'),
    volumeMounts: Array.isArray(given.volumeMounts) ? given.volumeMounts : [],
    inheritAppSettingsAndConnectionStrings: given.inheritAppSettingsAndConnectionStrings === true,
    environmentVariables: environmentVariables.map(({ name: variable, value }) => ({ name: variable, value })),
    createdTime: existing?.createdTime ?? now,
    lastModifiedTime: now
  }
}

/**
 * The SiteContainer resource GET answers with (the password is never returned).
 * @param {string} parentId the site's or slot's resource id
 * @param {string} parentName `app` or `app/slot`
 * @param {boolean} isSlot
 * @param {SiteContainerRecord} record
 */
export function siteContainerResource(parentId, parentName, isSlot, record) {
  const { name, passwordSecret, ...properties } = record
  return {
    id: `${parentId}/sitecontainers/${name}`,
    name: `${parentName}/${name}`,
    type: isSlot ? 'Microsoft.Web/sites/slots/sitecontainers' : 'Microsoft.Web/sites/sitecontainers',
    properties: { ...properties, passwordSecret: passwordSecret === null ? null : undefined }
  }
}

/**
 * The environment a site container gets: every app setting when it inherits them, then its own
 * variables, each the value of the app setting it names ('' when there is none).
 * @param {SiteContainerRecord} record
 * @param {Record<string, string>} appSettings
 */
export function siteContainerEnv(record, appSettings) {
  const inherited = record.inheritAppSettingsAndConnectionStrings ? { ...appSettings } : {}
  return { ...inherited, ...Object.fromEntries(record.environmentVariables.map(({ name, value }) => [name, appSettings[value] ?? ''])) }
}

/**
 * The sidecars (site containers other than the main one) of one slot's content, running
 * beside the main container. They are started as they are configured and left alone when the
 * main container changes.
 * @param {{ host: import('./site-runtime.mjs').ContainerHost }} options
 */
export function createSidecarRuntime({ host }) {
  /** @typedef {{ image: string, status: 'starting' | 'running' | 'failed', reason?: string, container?: import('./containers.mjs').Container, since: string }} Sidecar */
  /** @type {Map<string, Sidecar>} */
  const sidecars = new Map()

  /** @param {string} name */
  async function remove(name) {
    const current = sidecars.get(name)
    sidecars.delete(name)
    await current?.container?.stop().catch(() => undefined)
  }

  return {
    /**
     * (Re)starts a sidecar with what it is configured with now.
     * @param {{ name: string, image: string, env: Record<string, string>, command: string[], port?: number, pull: import('./registry-access.mjs').PullDecision, site: string }} spec
     */
    async start({ name, image, env, command, port, pull, site }) {
      await remove(name)
      /** @type {Sidecar} */
      const entry = { image, status: 'starting', since: new Date().toISOString() }
      sidecars.set(name, entry)
      if (!pull.allowed) {
        entry.status = 'failed'
        entry.reason = `The image pull was refused (unauthorized: ${pull.reason})`
        return
      }
      try {
        if (host.pull !== undefined) await host.pull(image)
        const container = await host.start({ image, env, command, name: `${site}_0_${name}`, port: port ?? 80, network: 'isolated', pull: 'never' })
        if (sidecars.get(name) !== entry) {
          await container.stop().catch(() => undefined)
          return
        }
        entry.container = container
        entry.status = 'running'
      } catch (error) {
        entry.status = 'failed'
        entry.reason = error instanceof Error ? error.message : String(error)
      }
    },
    remove,
    /** @param {string} name */
    has: name => sidecars.has(name),
    names: () => [...sidecars.keys()],
    snapshot() {
      return Object.fromEntries([...sidecars.entries()].map(([name, { image, status, reason, since, container }]) => [name, { image, status, since, registry: registryOf(image), container: container?.id ?? null, ...(reason === undefined ? {} : { reason }) }]))
    },
    async stop() {
      await Promise.all([...sidecars.keys()].map(remove))
    }
  }
}
