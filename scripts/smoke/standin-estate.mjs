/**
 * `npm run smoke -- --standin`: the smoke test's estate on this machine instead of Azure. The
 * Azure stand-in (Entra ID, Resource Manager) holds a Web App with a staging slot, a Front Door
 * endpoint and a classic CDN endpoint; Azurite (HTTPS, bearer tokens) holds the storage
 * account's `$web` container with the static website on. Every ARM exchange is checked against
 * the REST contract of the installed SDKs, and the violations are returned with the counts.
 */
import { randomUUID } from 'node:crypto'
import tls from 'node:tls'
import { ClientSecretCredential } from '@azure/identity'
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { createTlsMaterial } from '../../azure-standin/https-server.mjs'
import { startAzureStandin } from '../../azure-standin/index.mjs'
import { loadAzureContract } from '../lib/azure-contract/index.mjs'
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, startAzurite } from '../lib/azurite.mjs'

const SUBSCRIPTION = '9b2c4d6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f'
const RESOURCE_GROUP = 'rg-smoke'
const CLIENT_ID = '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d'

/**
 * Starts the estate; `close()` stops it.
 * @param {{ image: string }} options the image the smoke test switches to (any reference: the stand-in simulates containers)
 */
export async function startStandinEstate({ image }) {
  const contract = await loadAzureContract()
  /** @type {string[]} */
  const violations = []
  const standin = await startAzureStandin({
    containers: 'none',
    onExchange: exchange => {
      for (const violation of contract.check(exchange).violations) violations.push(`${exchange.method} ${exchange.path} → ${exchange.status}: ${violation}`)
    }
  })
  const storageTls = await createTlsMaterial()
  const azurite = await startAzurite({ https: { cert: storageTls.cert, key: storageTls.key }, oauth: true }).catch(async error => {
    await standin.close()
    throw error
  })
  const defaultCaCertificates = tls.getCACertificates('default')
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem, storageTls.caCertPem])
  try {
    const clientSecret = `smoke~${randomUUID()}`
    standin.registerApplication({ clientId: CLIENT_ID, clientSecret })
    await standin.addWebApp({
      subscription: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      name: 'smoke-api',
      slots: ['staging'],
      image: '127.0.0.1:5000/smoke/api:v1',
      slotImages: { staging: '127.0.0.1:5000/smoke/api:v2' }
    })
    standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, profile: 'fd-smoke', endpoint: 'web', domains: ['www.example.com'] })
    standin.addCdnEndpoint({ subscription: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, profile: 'cdn-smoke', endpoint: 'static' })
    // What the storage account's owner set up once: the static website and its container.
    const owner = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY), { retryOptions: { maxTries: 2 } })
    await owner.setProperties({ staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' } })
    await owner.getContainerClient('$web').createIfNotExists()
    return {
      image,
      credential: new ClientSecretCredential(standin.tenantId, CLIENT_ID, clientSecret, { authorityHost: standin.url, disableInstanceDiscovery: true }),
      cloud: standin.cloud,
      subscription: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      webApp: 'smoke-api',
      slot: 'staging',
      blobEndpoint: azurite.blobEndpoint,
      frontDoor: { profile: 'fd-smoke', endpoint: 'web' },
      cdn: { profile: 'cdn-smoke', endpoint: 'static' },
      /** The contract check's counts and what it found. */
      contract: () => ({ ...contract.stats, violations }),
      async close() {
        tls.setDefaultCACertificates(defaultCaCertificates)
        await Promise.all([standin.close(), azurite.stop()])
      }
    }
  } catch (error) {
    tls.setDefaultCACertificates(defaultCaCertificates)
    await Promise.all([standin.close(), azurite.stop()])
    throw error
  }
}
