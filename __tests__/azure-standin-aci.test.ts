/**
 * The stand-in's Azure Container Instances (Microsoft.ContainerInstance 2023-05-01), driven
 * through @azure/arm-containerinstance 9: a container group that runs a one-off command (a
 * release step), read back with its instance view and logs, and deleted; pull credentials
 * checked as ACI checks them. Simulated runs here; azure-standin-docker.test.ts runs real ones.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { ClientSecretCredential } from '@azure/identity'
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance'
import { startAzureStandin } from '../azure-standin/index.mjs'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const SUBSCRIPTION = '7c3a2e9d-4f5b-4a6c-9d8e-0f1a2b3c4d5e'
const CLIENT_ID = '3d8e5f2a-6b4c-4e0d-9f8a-7b6c5d4e3f2a'
const CLIENT_SECRET = 'aci~Secret.ForStandinTests-0123456789'
const RESOURCE_GROUP = 'rg-release'
const ACR = 'releaseacr.azurecr.io'
const IMAGE = `${ACR}/api:0123456789abcdef0123456789abcdef01234567`

let standin: Standin
let groupNumber = 0
const defaultCaCertificates = tls.getCACertificates('default')

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none', simulatedStartDelayMs: 200 })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  standin.addResourceGroup({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP })
})

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
})

function aci() {
  const credential = new ClientSecretCredential(standin.tenantId, CLIENT_ID, CLIENT_SECRET, { authorityHost: standin.url, disableInstanceDiscovery: true })
  return new ContainerInstanceManagementClient(credential, SUBSCRIPTION, { endpoint: standin.cloud.resourceManager, credentialScopes: [`${standin.cloud.resourceManagerAudience}/.default`] })
}

/** A release-step group: one container running `command` once. */
function releaseGroup(overrides: Partial<ContainerGroup> = {}, image = IMAGE): ContainerGroup {
  return {
    location: 'westeurope',
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'release',
        image,
        command: ['python', 'manage.py', 'migrate', '--noinput'],
        environmentVariables: [
          { name: 'DJANGO_SETTINGS_MODULE', value: 'config.settings' },
          { name: 'DATABASE_PASSWORD', secureValue: 'db-secret-value' }
        ],
        resources: { requests: { cpu: 1, memoryInGB: 1.5 } }
      }
    ],
    ...overrides
  }
}

async function finished(name: string): Promise<ContainerGroup> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const group = await aci().containerGroups.get(RESOURCE_GROUP, name)
    if (group.instanceView?.state === 'Succeeded' || group.instanceView?.state === 'Failed') return group
    if (Date.now() > deadline) throw new Error(`${name} did not finish: ${JSON.stringify(group.instanceView)}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

const nextName = () => `release-${++groupNumber}`

describe('a release step as a container group', () => {
  test('createOrUpdate (201, then polled until the container runs), get with the terminated state, listLogs, delete', async () => {
    const name = nextName()
    standin.simulateContainerGroupRun({ exitCode: 0, output: 'Operations to perform:\n  Apply all migrations: api\nNo migrations to apply.' })
    const mark = standin.calls.length

    const created = await aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, name, releaseGroup())

    expect(created.provisioningState).toBe('Succeeded')
    const calls = standin.calls
      .slice(mark)
      .filter(call => call.path.startsWith('/subscriptions/'))
      .map(call => `${call.method} ${call.status} ${call.path.replace(/^.*\/providers\//, '')}`)
    expect(calls[0]).toBe(`PUT 201 Microsoft.ContainerInstance/containerGroups/${name}`)
    expect(calls.some(call => /^GET 200 Microsoft\.ContainerInstance\/locations\/westeurope\/operations\/[0-9a-f-]{36}$/.test(call))).toBe(true)

    const group = await finished(name)
    expect(group.instanceView?.state).toBe('Succeeded')
    expect(group.containers[0]?.instanceView?.currentState).toMatchObject({ state: 'Terminated', exitCode: 0, detailStatus: 'Completed' })
    expect(group.containers[0]?.instanceView?.events?.map(event => event.name)).toEqual(['Pulling', 'Pulled', 'Started'])
    // A secure value is never returned.
    expect(group.containers[0]?.environmentVariables).toEqual([{ name: 'DJANGO_SETTINGS_MODULE', value: 'config.settings' }, { name: 'DATABASE_PASSWORD' }])
    expect((await aci().containers.listLogs(RESOURCE_GROUP, name, 'release')).content).toBe(
      `simulated run of ${IMAGE} python manage.py migrate --noinput\nOperations to perform:\n  Apply all migrations: api\nNo migrations to apply.\n`
    )
    expect((await aci().containers.listLogs(RESOURCE_GROUP, name, 'release', { tail: 1 })).content).toBe('No migrations to apply.\n')
    expect(standin.state().containerGroups.find(recorded => recorded.name === name)).toMatchObject({
      provisioningState: 'Succeeded',
      state: 'Succeeded',
      restartPolicy: 'Never',
      containers: [{ name: 'release', command: ['python', 'manage.py', 'migrate', '--noinput'], env: { DJANGO_SETTINGS_MODULE: 'config.settings', DATABASE_PASSWORD: 'db-secret-value' }, secureEnvironmentVariables: ['DATABASE_PASSWORD'] }]
    })

    await aci().containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name)
    await expect(aci().containerGroups.get(RESOURCE_GROUP, name)).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' })
    await aci().containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name) // 204: nothing left to delete
  })

  test('a command that fails: the group is Failed, the container Terminated with its exit code and output', async () => {
    const name = nextName()
    standin.simulateContainerGroupRun({ exitCode: 3, output: 'django.db.utils.OperationalError: could not connect to server' })
    await aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, name, releaseGroup())
    const group = await finished(name)
    expect(group.instanceView?.state).toBe('Failed')
    expect(group.containers[0]?.instanceView?.currentState).toMatchObject({ state: 'Terminated', exitCode: 3, detailStatus: 'Error' })
    expect((await aci().containers.listLogs(RESOURCE_GROUP, name, 'release')).content).toContain('OperationalError')
    await expect(aci().containers.listLogs(RESOURCE_GROUP, name, 'no-such-container')).rejects.toMatchObject({ statusCode: 404, code: 'ContainerNotFound' })
  })
})

describe('pull credentials, as ACI checks them before it takes the group', () => {
  beforeAll(() => {
    standin.configureRegistry({ server: ACR, users: [{ username: 'release-bot', password: 'bot-password' }] })
  })

  test('no credentials for a registry that needs them: 400 InaccessibleImage, nothing created', async () => {
    const name = nextName()
    await expect(aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, name, releaseGroup())).rejects.toMatchObject({
      statusCode: 400,
      code: 'InaccessibleImage',
      message: `The image '${IMAGE}' in container group '${name}' is not accessible. Please check the image and registry credential.`
    })
    expect(standin.state().containerGroups.some(group => group.name === name)).toBe(false)
  })

  test('a user-assigned identity of the group with AcrPull pulls; without the grant it cannot', async () => {
    const identity = standin.addManagedIdentity({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'id-release' })
    const withIdentity = releaseGroup({ identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } }, imageRegistryCredentials: [{ server: ACR, identity: identity.id }] })
    await expect(aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, nextName(), withIdentity)).rejects.toMatchObject({ statusCode: 400, code: 'InaccessibleImage' })

    standin.grantAcrPull({ registry: ACR, principal: identity.principalId })
    const name = nextName()
    const created = await aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, name, withIdentity)
    expect(created.identity?.userAssignedIdentities?.[identity.id]).toMatchObject({ principalId: identity.principalId, clientId: identity.clientId })
    expect((await finished(name)).instanceView?.state).toBe('Succeeded')
  })

  test('a registry user and password pull; the password is never returned', async () => {
    const name = nextName()
    await aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, name, releaseGroup({ imageRegistryCredentials: [{ server: ACR, username: 'release-bot', password: 'bot-password' }] }))
    const group = await finished(name)
    expect(group.imageRegistryCredentials).toEqual([{ server: ACR, username: 'release-bot' }])
    await expect(
      aci().containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, nextName(), releaseGroup({ imageRegistryCredentials: [{ server: ACR, username: 'release-bot', password: 'wrong' }] }))
    ).rejects.toMatchObject({ statusCode: 400, code: 'InaccessibleImage' })
  })
})
