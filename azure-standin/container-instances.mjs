/**
 * Microsoft.ContainerInstance: container groups that run a one-off command (a release step:
 * migrations) in an image, at api-version 2023-05-01 (the default of
 * @azure/arm-containerinstance 9). Routes follow containerInstance.json (azure-rest-api-specs,
 * specification/containerinstance, 2023-05-01):
 *
 * | route (under /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance) | operationId | answers |
 * | PUT    containerGroups/{name}                             | ContainerGroups_CreateOrUpdate | 201 (200 when it existed) with the group (`provisioningState: Creating`) and `Azure-AsyncOperation: …/locations/{l}/operations/{id}`; the operation succeeds once the containers run |
 * | GET    containerGroups/{name}                             | ContainerGroups_Get            | 200 ContainerGroup with `instanceView` (group `state`; per container `currentState: { state: Waiting/Running/Terminated, exitCode, startTime, finishTime, detailStatus }`, `events`) |
 * | DELETE containerGroups/{name}                             | ContainerGroups_Delete         | 200 the group (its containers removed); 204 when there was none |
 * | GET    containerGroups/{name}/containers/{container}/logs | Containers_ListLogs            | 200 `{ content }` (`tail`, `timestamps`) |
 *
 * Each container runs as a real container on Docker (containers.mjs) on the host network, with
 * its `environmentVariables` (`value` and `secureValue`) as environment and its `command`
 * replacing the image's entrypoint and command (as ACI's exec-form command does), once:
 * `restartPolicy` Never (OnFailure and Always are not modelled: the container is not restarted). Without Docker it is a simulated run that exits 0 (or as
 * `simulateRun` says). GET never returns a `secureValue` or a registry password.
 *
 * Pulls need credentials as registry-access.mjs says: an `imageRegistryCredentials` entry for
 * the image's registry with `identity` (a user-assigned identity of the group holding AcrPull)
 * or `username`/`password`. ACI checks that before it accepts the group: an image it cannot
 * pull is a 400 `InaccessibleImage`, "The image '<image>' in container group '<group>' is not
 * accessible. Please check the image and registry credential." (the message users report from
 * `az container create` and the SDKs, e.g. Azure/azure-sdk-for-python#16731).
 */
import { randomUUID } from 'node:crypto'
import { armError, resourceNotFound } from './https-server.mjs'
import { registryOf } from './registry-access.mjs'

const GROUP = '^/subscriptions/(?<subscription>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.ContainerInstance/containerGroups/(?<name>[^/]+)'

/**
 * @typedef {object} GroupContainer
 * @property {string} name
 * @property {Record<string, unknown>} properties as given (secure values kept for the run only)
 * @property {string} image
 * @property {string[]} command
 * @property {Record<string, string>} env every variable, secure ones included
 * @property {string[]} secureNames
 * @property {import('./containers.mjs').Container | undefined} container
 * @property {{ state: 'Waiting' | 'Running' | 'Terminated', startTime?: string, finishTime?: string, exitCode?: number | null, detailStatus: string }} currentState
 * @property {{ count: number, firstTimestamp: string, lastTimestamp: string, name: string, message: string, type: string }[]} events
 * @property {string} output what it printed, once it has exited
 *
 * @typedef {object} ContainerGroup
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} name
 * @property {string} location
 * @property {Record<string, unknown> | undefined} identity
 * @property {Record<string, unknown>} properties the request's properties (without containers)
 * @property {GroupContainer[]} containers
 * @property {'Creating' | 'Succeeded' | 'Failed'} provisioningState
 * @property {string} createdAt
 * @property {boolean} deleted
 */

/**
 * @param {object} options
 * @param {string} options.tenantId
 * @param {import('./site-runtime.mjs').ContainerHost} options.host
 * @param {ReturnType<typeof import('./long-running.mjs').createLongRunningOperations>} options.operations
 * @param {import('./index.mjs').Groups} options.groups
 * @param {ReturnType<typeof import('./registry-access.mjs').createRegistryAccess>} options.registryAccess
 */
export function createContainerInstances({ tenantId, host, operations, groups, registryAccess }) {
  /** @type {Map<string, ContainerGroup>} */
  const containerGroups = new Map()
  /** How the next simulated runs end. @type {{ exitCode: number, output: string }[]} */
  const simulatedRuns = []

  /**
   * @param {string} subscription
   * @param {string} resourceGroup
   * @param {string} name
   */
  const key = (subscription, resourceGroup, name) => `${subscription}/${resourceGroup}/${name}`.toLowerCase()
  /** @param {ContainerGroup} group */
  const groupId = group => `/subscriptions/${group.subscription}/resourceGroups/${group.resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${group.name}`

  /**
   * @param {string} message
   * @param {string} [code]
   */
  const badRequest = (message, code = 'BadRequest') => armError(400, code, message)

  /**
   * The identity as ACI returns it: principal and client ids filled in.
   * @param {unknown} identity
   */
  function resolveIdentity(identity) {
    if (identity === undefined || identity === null) return undefined
    const given = /** @type {{ type?: string, userAssignedIdentities?: Record<string, unknown> }} */ (identity)
    const type = String(given.type ?? 'None')
    /** @type {Record<string, unknown>} */
    const resolved = { type }
    if (/SystemAssigned/i.test(type)) Object.assign(resolved, { principalId: randomUUID(), tenantId })
    if (/UserAssigned/i.test(type)) {
      resolved.userAssignedIdentities = Object.fromEntries(
        Object.keys(given.userAssignedIdentities ?? {}).map(id => {
          const known = registryAccess.identity(id)
          if (known === undefined) throw badRequest(`The user-assigned identity '${id}' could not be found.`)
          return [id, { principalId: known.principalId, clientId: known.clientId }]
        })
      )
    }
    return resolved
  }

  /**
   * Whether the group may pull `image`: its registry credential entry for the image's registry.
   * @param {string} image
   * @param {Record<string, unknown>[]} credentials
   * @param {Record<string, unknown> | undefined} identity the resolved group identity
   */
  function pullDecision(image, credentials, identity) {
    const server = registryOf(image)
    const entry = credentials.find(candidate => String(candidate.server ?? '').toLowerCase() === server)
    /** @type {import('./registry-access.mjs').PullCredential} */
    let credential = { kind: 'anonymous' }
    if (entry !== undefined && typeof entry.identity === 'string' && entry.identity !== '') {
      const assigned = /** @type {Record<string, { principalId: string }> | undefined} */ (identity?.userAssignedIdentities)
      const match = Object.entries(assigned ?? {}).find(([id]) => id.toLowerCase() === String(entry.identity).toLowerCase())
      credential = match === undefined ? { kind: 'unusable', reason: `the identity ${entry.identity} is not assigned to the container group` } : { kind: 'identity', principalId: match[1].principalId, label: `the user-assigned identity ${entry.identity}` }
    } else if (entry !== undefined && typeof entry.username === 'string') {
      credential = { kind: 'password', username: entry.username, password: String(entry.password ?? '') }
    }
    return registryAccess.check(image, credential)
  }

  /**
   * The ContainerGroup resource, as GET answers it.
   * @param {ContainerGroup} group
   */
  function resource(group) {
    const started = group.provisioningState !== 'Creating'
    const terminated = group.containers.every(container => container.currentState.state === 'Terminated')
    const failed = group.containers.some(container => container.currentState.state === 'Terminated' && container.currentState.exitCode !== 0)
    const credentials = /** @type {Record<string, unknown>[]} */ (group.properties.imageRegistryCredentials ?? [])
    return {
      id: groupId(group),
      name: group.name,
      type: 'Microsoft.ContainerInstance/containerGroups',
      location: group.location,
      ...(group.identity === undefined ? {} : { identity: group.identity }),
      properties: {
        sku: 'Standard',
        ...group.properties,
        provisioningState: group.provisioningState,
        // A registry password is never returned.
        imageRegistryCredentials: credentials.map(credential => Object.fromEntries(Object.entries(credential).filter(([property]) => property !== 'password'))),
        restartPolicy: group.properties.restartPolicy ?? 'Always',
        containers: group.containers.map(container => ({
          name: container.name,
          properties: {
            ...container.properties,
            image: container.image,
            command: container.command,
            ports: /** @type {{ ports?: unknown[] }} */ (container.properties).ports ?? [],
            environmentVariables: /** @type {{ name: string, value?: string, secureValue?: string }[]} */ (container.properties.environmentVariables ?? []).map(({ name, value }) => (value === undefined ? { name } : { name, value })),
            ...(started ? { instanceView: { restartCount: 0, currentState: { ...container.currentState }, events: container.events.map(event => ({ ...event })) } } : {})
          }
        })),
        initContainers: [],
        ...(started ? { instanceView: { events: [], state: group.provisioningState === 'Failed' ? 'Failed' : !terminated ? 'Running' : failed ? 'Failed' : 'Succeeded' } } : {})
      }
    }
  }

  /**
   * @param {GroupContainer} container
   * @param {string} name
   * @param {string} message
   */
  function event(container, name, message) {
    const now = new Date().toISOString()
    container.events.push({ count: 1, firstTimestamp: now, lastTimestamp: now, name, message, type: 'Normal' })
  }

  /**
   * Runs one container of the group once, recording how it goes.
   * @param {ContainerGroup} group
   * @param {GroupContainer} container
   */
  async function run(group, container) {
    event(container, 'Started', `Started container`)
    const simulatedExit = simulatedRuns.shift() ?? { exitCode: 0, output: '' }
    container.container = await host.start({
      image: container.image,
      env: container.env,
      command: container.command,
      // ACI's command replaces the image's entrypoint and command.
      replaceEntrypoint: true,
      name: `aci-${group.name}-${container.name}`,
      network: 'host',
      pull: 'never',
      keep: true,
      simulatedExit
    })
    container.currentState = { state: 'Running', startTime: new Date().toISOString(), detailStatus: '' }
    const running = container.container
    void (async () => {
      const ended = running.wait === undefined ? { exitCode: null, finishedAt: new Date().toISOString() } : await running.wait()
      container.output = await running.logs().catch(() => '')
      if (group.deleted) return
      container.currentState = {
        state: 'Terminated',
        startTime: container.currentState.startTime,
        finishTime: ended.finishedAt,
        exitCode: ended.exitCode,
        detailStatus: ended.exitCode === 0 ? 'Completed' : 'Error'
      }
    })()
  }

  /**
   * PUT containerGroups/{name}.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {Record<string, string>} params
   * @returns {Promise<import('./https-server.mjs').Reply>}
   */
  async function createOrUpdate(request, params) {
    const { subscription = '', resourceGroup = '', name = '' } = params
    groups.require(subscription, resourceGroup)
    const body = /** @type {{ location?: unknown, identity?: unknown, properties?: Record<string, unknown> }} */ (request.body ?? {})
    if (typeof body.location !== 'string' || body.location === '') throw badRequest('The location property is required for this definition.', 'LocationRequired')
    const properties = body.properties ?? {}
    const given = Array.isArray(properties.containers) ? /** @type {{ name?: unknown, properties?: Record<string, unknown> }[]} */ (properties.containers) : []
    if (given.length === 0) throw badRequest(`The container group '${name}' has no containers.`)
    const identity = resolveIdentity(body.identity)
    const credentials = /** @type {Record<string, unknown>[]} */ (Array.isArray(properties.imageRegistryCredentials) ? properties.imageRegistryCredentials : [])
    /** @type {GroupContainer[]} */
    const containers = given.map(({ name: containerName, properties: containerProperties = {} }) => {
      if (typeof containerName !== 'string' || containerName === '' || typeof containerProperties.image !== 'string' || containerProperties.image === '') {
        throw badRequest(`Each container of container group '${name}' needs a name and an image.`)
      }
      const variables = /** @type {{ name: string, value?: string, secureValue?: string }[]} */ (Array.isArray(containerProperties.environmentVariables) ? containerProperties.environmentVariables : [])
      return {
        name: containerName,
        properties: containerProperties,
        image: containerProperties.image,
        command: Array.isArray(containerProperties.command) ? containerProperties.command.map(String) : [],
        env: Object.fromEntries(variables.map(variable => [variable.name, String(variable.secureValue ?? variable.value ?? '')])),
        secureNames: variables.filter(variable => variable.secureValue !== undefined).map(variable => variable.name),
        container: undefined,
        currentState: { state: 'Waiting', detailStatus: '' },
        events: [],
        output: ''
      }
    })
    // ACI checks that it can pull every image before it takes the group.
    for (const container of containers) {
      const inaccessible = `The image '${container.image}' in container group '${name}' is not accessible. Please check the image and registry credential.`
      if (!pullDecision(container.image, credentials, identity).allowed) throw badRequest(inaccessible, 'InaccessibleImage')
      event(container, 'Pulling', `pulling image "${container.image}"`)
      if (host.pull !== undefined) {
        try {
          await host.pull(container.image)
        } catch {
          throw badRequest(inaccessible, 'InaccessibleImage')
        }
      }
      event(container, 'Pulled', `Successfully pulled image "${container.image}"`)
    }
    const existing = containerGroups.get(key(subscription, resourceGroup, name))
    if (existing !== undefined) await remove(existing)
    const groupProperties = Object.fromEntries(Object.entries(properties).filter(([property]) => property !== 'containers'))
    /** @type {ContainerGroup} */
    const group = { subscription, resourceGroup, name, location: body.location, identity, properties: groupProperties, containers, provisioningState: 'Creating', createdAt: new Date().toISOString(), deleted: false }
    containerGroups.set(key(subscription, resourceGroup, name), group)
    const starting = Promise.all(containers.map(container => run(group, container)))
    // The operation reads the outcome; until then a failure must not count as unhandled.
    starting.catch(() => undefined)
    const { reply } = operations.start({
      kind: `container group ${resourceGroup}/${name}`,
      subscription,
      namespace: 'Microsoft.ContainerInstance',
      apiVersion: request.apiVersion ?? '',
      durationMs: 0,
      statusPath: id => `/subscriptions/${subscription}/providers/Microsoft.ContainerInstance/locations/${body.location}/operations/${id}`,
      acceptedStatus: existing === undefined ? 201 : 200,
      acceptedBody: resource(group),
      complete: async () => {
        try {
          await starting
          group.provisioningState = 'Succeeded'
        } catch (error) {
          group.provisioningState = 'Failed'
          throw badRequest(`The container group '${name}' could not be started: ${error instanceof Error ? error.message : String(error)}`, 'ContainerGroupDeploymentFailed')
        }
      }
    })
    return reply
  }

  /** @param {ContainerGroup} group */
  async function remove(group) {
    group.deleted = true
    containerGroups.delete(key(group.subscription, group.resourceGroup, group.name))
    await Promise.all(group.containers.map(container => container.container?.stop().catch(() => undefined)))
  }

  /**
   * @param {Record<string, string>} params
   */
  function find(params) {
    const { subscription = '', resourceGroup = '', name = '' } = params
    groups.require(subscription, resourceGroup)
    const group = containerGroups.get(key(subscription, resourceGroup, name))
    if (group === undefined) throw resourceNotFound(`Microsoft.ContainerInstance/containerGroups/${name}`, resourceGroup)
    return group
  }

  return {
    /**
     * How the next simulated container group runs end (without Docker), in order.
     * @param {{ exitCode?: number, output?: string }} run
     */
    simulateRun({ exitCode = 0, output = '' }) {
      simulatedRuns.push({ exitCode, output: output === '' || output.endsWith('\n') ? output : `${output}\n` })
    },

    /** Container groups as plain data (environment values included, secure ones named). */
    state() {
      return [...containerGroups.values()].map(group => ({
        subscription: group.subscription,
        resourceGroup: group.resourceGroup,
        name: group.name,
        location: group.location,
        provisioningState: group.provisioningState,
        state: /** @type {{ properties: { instanceView?: { state: string } } }} */ (resource(group)).properties.instanceView?.state ?? 'Pending',
        restartPolicy: group.properties.restartPolicy ?? 'Always',
        identity: group.identity ?? null,
        createdAt: group.createdAt,
        containers: group.containers.map(container => ({
          name: container.name,
          image: container.image,
          command: [...container.command],
          env: { ...container.env },
          secureEnvironmentVariables: [...container.secureNames],
          container: container.container?.id ?? null,
          currentState: { ...container.currentState },
          output: container.output
        }))
      }))
    },

    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      router.add('PUT', new RegExp(`${GROUP}$`, 'i'), createOrUpdate)
      router.add('GET', new RegExp(`${GROUP}$`, 'i'), (request, params) => ({ status: 200, body: resource(find(params)) }))
      router.add('DELETE', new RegExp(`${GROUP}$`, 'i'), async (request, params) => {
        const { subscription = '', resourceGroup = '', name = '' } = params
        groups.require(subscription, resourceGroup)
        const group = containerGroups.get(key(subscription, resourceGroup, name))
        if (group === undefined) return { status: 204 }
        const body = resource(group)
        await remove(group)
        return { status: 200, body }
      })
      router.add('GET', new RegExp(`${GROUP}/containers/(?<container>[^/]+)/logs$`, 'i'), async (request, params) => {
        const group = find(params)
        const container = group.containers.find(candidate => candidate.name.toLowerCase() === String(params.container).toLowerCase())
        if (container === undefined) throw armError(404, 'ContainerNotFound', `The container '${params.container}' could not be found in container group '${group.name}'.`)
        const text = container.currentState.state === 'Terminated' ? container.output : await (container.container?.logs().catch(() => '') ?? '')
        let lines = text.split('\n')
        if (lines.at(-1) === '') lines.pop()
        const tail = Number(request.query.tail)
        if (Number.isInteger(tail) && tail > 0) lines = lines.slice(-tail)
        if (String(request.query.timestamps).toLowerCase() === 'true') lines = lines.map(line => `${new Date().toISOString()} ${line}`)
        return { status: 200, body: { content: lines.length === 0 ? '' : `${lines.join('\n')}\n` } }
      })
    },

    /** Removes every container group's containers. */
    async close() {
      await Promise.all([...containerGroups.values()].map(remove))
    }
  }
}
