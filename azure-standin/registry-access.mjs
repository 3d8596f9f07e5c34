/**
 * Who may pull from which container registry, as App Service and Container Instances check it
 * before they start a container.
 *
 * - A registry is anonymous unless a test says it needs credentials (`configureRegistry`);
 *   loopback registries without that setting pull as they always did.
 * - A managed identity pulls when it holds AcrPull on the registry (`grantAcrPull`, by the
 *   identity's principal id, as a role assignment names it). App Service uses the site's (or
 *   slot's) system-assigned identity when `acrUseManagedIdentityCreds` is true, or the
 *   user-assigned identity whose *client id* is `acrUserManagedIdentityID` and that is assigned
 *   to the site (https://learn.microsoft.com/azure/app-service/configure-custom-container#use-managed-identity-to-pull-an-image-from-azure-container-registry).
 * - A username and password pull when they are one of the registry's users: App Service reads
 *   them from the app settings DOCKER_REGISTRY_SERVER_URL/USERNAME/PASSWORD, Container
 *   Instances from `imageRegistryCredentials`.
 *
 * The stand-in decides; the real registry behind a loopback name still serves the pull
 * anonymously. User-assigned identities are Microsoft.ManagedIdentity resources known by
 * resource id, client id and principal id.
 */
import { randomUUID } from 'node:crypto'

/**
 * @typedef {object} ManagedIdentity
 * @property {string} id resource id `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`
 * @property {string} name
 * @property {string} clientId
 * @property {string} principalId
 * @property {string} tenantId
 *
 * @typedef {{ kind: 'anonymous' } | { kind: 'identity', principalId: string, label: string } | { kind: 'password', username: string, password: string } | { kind: 'unusable', reason: string }} PullCredential
 *   what a start offers the registry; `label` names the identity in messages; `unusable`: the
 *   configuration names credentials that do not exist (an identity not assigned to the app)
 *
 * @typedef {{ allowed: true, via: string } | { allowed: false, reason: string }} PullDecision
 */

/**
 * The registry host of an image reference (`myregistry.azurecr.io/api:v1` → `myregistry.azurecr.io`);
 * Docker Hub for a reference without one.
 * @param {string} image
 */
export function registryOf(image) {
  const slash = image.indexOf('/')
  const first = slash < 0 ? '' : image.slice(0, slash)
  return first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost') ? first.toLowerCase() : 'docker.io'
}

/**
 * The host a DOCKER_REGISTRY_SERVER_URL names (`https://myregistry.azurecr.io` → `myregistry.azurecr.io`).
 * @param {string} url
 */
export function registryOfUrl(url) {
  try {
    return new URL(/^[a-z]+:\/\//i.test(url) ? url : `https://${url}`).host.toLowerCase()
  } catch {
    return url.toLowerCase()
  }
}

/** @param {{ tenantId: string }} options */
export function createRegistryAccess({ tenantId }) {
  /** @type {Map<string, { server: string, credentialsRequired: boolean, users: { username: string, password: string }[] }>} */
  const registries = new Map()
  /** principal ids with AcrPull, by registry @type {Map<string, Set<string>>} */
  const grants = new Map()
  /** @type {Map<string, ManagedIdentity>} by lower-case resource id */
  const identities = new Map()

  return {
    /**
     * Says whether a registry needs credentials, and which users it knows.
     * @param {{ server: string, credentialsRequired?: boolean, users?: { username: string, password: string }[] }} registry
     */
    configureRegistry({ server, credentialsRequired = true, users = [] }) {
      registries.set(server.toLowerCase(), { server, credentialsRequired, users: [...users] })
    },

    /**
     * The AcrPull role for a principal (a managed identity's principal id) on a registry.
     * @param {{ registry: string, principal: string }} grant
     */
    grantAcrPull({ registry, principal }) {
      const key = registry.toLowerCase()
      const holders = grants.get(key) ?? new Set()
      holders.add(principal.toLowerCase())
      grants.set(key, holders)
    },

    /**
     * A user-assigned managed identity (Microsoft.ManagedIdentity/userAssignedIdentities).
     * @param {{ subscription: string, resourceGroup: string, name: string, clientId?: string, principalId?: string }} identity
     * @returns {ManagedIdentity}
     */
    addManagedIdentity({ subscription, resourceGroup, name, clientId = randomUUID(), principalId = randomUUID() }) {
      const id = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`
      const identity = { id, name, clientId, principalId, tenantId }
      identities.set(id.toLowerCase(), identity)
      return { ...identity }
    },

    /**
     * A user-assigned identity by resource id (or by name, when only one has it).
     * @param {string} reference
     */
    identity(reference) {
      const byId = identities.get(reference.toLowerCase())
      if (byId !== undefined) return byId
      const byName = [...identities.values()].filter(candidate => candidate.name.toLowerCase() === reference.toLowerCase())
      return byName.length === 1 ? byName[0] : undefined
    },

    /**
     * Whether a pull of `image` with `credential` is allowed.
     * @param {string} image
     * @param {PullCredential} credential
     * @returns {PullDecision}
     */
    check(image, credential) {
      const server = registryOf(image)
      const registry = registries.get(server)
      if (registry === undefined || !registry.credentialsRequired) return { allowed: true, via: 'anonymous' }
      if (credential.kind === 'unusable') return { allowed: false, reason: credential.reason }
      if (credential.kind === 'identity') {
        if (grants.get(server)?.has(credential.principalId.toLowerCase())) return { allowed: true, via: `managed identity ${credential.label}` }
        return { allowed: false, reason: `${credential.label} (principal ${credential.principalId}) has no AcrPull role on ${server}` }
      }
      if (credential.kind === 'password') {
        if (registry.users.some(user => user.username === credential.username && user.password === credential.password)) return { allowed: true, via: `user ${credential.username}` }
        return { allowed: false, reason: `the username and password given for ${server} are not one of its users` }
      }
      return { allowed: false, reason: `${server} needs credentials and none were given` }
    },

    /** Registries, grants and identities, as plain data. */
    state() {
      return {
        registries: [...registries.values()].map(({ server, credentialsRequired, users }) => ({ server, credentialsRequired, users: users.map(user => user.username) })),
        acrPullGrants: [...grants.entries()].flatMap(([registry, holders]) => [...holders].map(principal => ({ registry, principal }))),
        managedIdentities: [...identities.values()].map(identity => ({ ...identity }))
      }
    }
  }
}
