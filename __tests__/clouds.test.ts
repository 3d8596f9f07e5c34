/**
 * Sovereign clouds: the ARM clients go to the cloud's own Resource Manager with a token for
 * its audience. Requests leave through a local CONNECT proxy that records where they were
 * headed and refuses them, so nothing reaches the network.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AccessToken } from '@azure/core-auth'
import { createAzureClients } from '../src/azure/clients.js'
import { resolveCloud, type KnownCloudName } from '../src/azure/cloud.js'

const hosts: string[] = []
const proxy = http.createServer()
proxy.on('connect', (request, socket) => {
  hosts.push(request.url ?? '')
  socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
})
const savedProxy = process.env.HTTPS_PROXY

beforeAll(async () => {
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
})

afterAll(async () => {
  if (savedProxy === undefined) delete process.env.HTTPS_PROXY
  else process.env.HTTPS_PROXY = savedProxy
  await new Promise(resolve => proxy.close(resolve))
})

describe('ARM clients follow the cloud', () => {
  test.each([
    ['AzureCloud', 'management.azure.com:443', 'https://management.azure.com/.default'],
    ['AzureUSGovernment', 'management.usgovcloudapi.net:443', 'https://management.usgovcloudapi.net/.default'],
    ['AzureChinaCloud', 'management.chinacloudapi.cn:443', 'https://management.chinacloudapi.cn/.default']
  ] as const)('%s', async (name: KnownCloudName, host, scope) => {
    const scopes: string[] = []
    const credential = {
      getToken: async (requested: string | string[]): Promise<AccessToken> => {
        scopes.push(...[requested].flat())
        return { token: 'not-a-real-token', expiresOnTimestamp: Date.now() + 3_600_000 }
      }
    }
    hosts.length = 0
    const clients = createAzureClients(credential, resolveCloud(name))
    await expect((await clients.webApps('00000000-0000-0000-0000-000000000001')).getConfiguration('rg', 'app')).rejects.toThrow()
    await expect((await clients.cdn('00000000-0000-0000-0000-000000000001')).afdEndpoints.get('rg', 'profile', 'endpoint')).rejects.toThrow()
    expect(new Set(hosts)).toEqual(new Set([host]))
    expect(new Set(scopes)).toEqual(new Set([scope]))
  })
})
