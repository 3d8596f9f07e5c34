import { describe, expect, test } from '@jest/globals'
import { KNOWN_CLOUDS, resolveCloud, resourceManagerScope } from '../src/azure/cloud.js'
import { explainSignInFailure } from '../src/azure/credentials.js'
import { chooseSignIn, type SignInOffers } from '../src/azure/sign-in.js'
import { commitOfImage, imageOfLinuxFxVersion } from '../src/backend/image-reference.js'
import { DeployError } from '../src/errors.js'
import { thrownBy } from '../__fixtures__/errors.js'

const ids = { clientId: 'c1', tenantId: 't1' }
const none: SignInOffers = { oidc: false, azureCliSession: false }
const oidc: SignInOffers = { oidc: true, azureCliSession: false }
const cli: SignInOffers = { oidc: false, azureCliSession: true }

describe('chooseSignIn', () => {
  test.each([
    ['auto with an ID token and ids → oidc', { auth: 'auto', ...ids }, oidc, 'oidc'],
    ['auto prefers oidc over a CLI session', { auth: 'auto', ...ids }, { oidc: true, azureCliSession: true }, 'oidc'],
    ['auto with a secret and no ID token → client-secret', { auth: 'auto', ...ids, clientSecret: 's' }, none, 'client-secret'],
    ['auto with only a CLI session → azure-cli', { auth: 'auto' }, cli, 'azure-cli'],
    ['auto with ids but no ID token, and a CLI session → azure-cli', { auth: 'auto', ...ids }, cli, 'azure-cli'],
    ['oidc', { auth: 'oidc', ...ids }, oidc, 'oidc'],
    ['client-secret', { auth: 'client-secret', ...ids, clientSecret: 's' }, oidc, 'client-secret'],
    ['azure-cli', { auth: 'azure-cli' }, cli, 'azure-cli']
  ] as const)('%s', (_name, inputs, offers, kind) => {
    expect(chooseSignIn(inputs, offers).kind).toBe(kind)
  })

  test.each([
    ['oidc without id-token: write', { auth: 'oidc', ...ids }, none, /runner offers no GitHub OIDC token/, /permissions: \{ id-token: write \}/],
    ['oidc without ids', { auth: 'oidc' }, oidc, /needs the client-id and tenant-id inputs/, /'client-id:' and 'tenant-id:'/],
    ['client-secret without the secret', { auth: 'client-secret', ...ids }, none, /'client-secret' input is empty/, /secrets\.AZURE_CLIENT_SECRET/],
    ['azure-cli without a session', { auth: 'azure-cli' }, none, /no Azure CLI session/, /azure\/login/],
    ['auto with nothing at all', { auth: 'auto' }, none, /found no way to sign in to Azure/, /id-token: write.*client-id, tenant-id and subscription-id.*azure\/login/],
    ['auto with ids but no ID token', { auth: 'auto', ...ids }, none, /client-id and tenant-id are set, but the runner offers no OIDC token/, /id-token: write/]
  ] as const)('%s: a clear error', (_name, inputs, offers, message, hint) => {
    const error = thrownBy(DeployError, () => chooseSignIn(inputs, offers))
    expect(error.message).toMatch(message)
    expect(error.hint).toMatch(hint)
  })
})

describe('clouds', () => {
  test.each([
    ['AzureCloud', 'https://login.microsoftonline.com', 'https://management.azure.com/.default', 'core.windows.net', 'api://AzureADTokenExchange'],
    ['AzureUSGovernment', 'https://login.microsoftonline.us', 'https://management.usgovcloudapi.net/.default', 'core.usgovcloudapi.net', 'api://AzureADTokenExchangeUSGov'],
    ['AzureChinaCloud', 'https://login.chinacloudapi.cn', 'https://management.chinacloudapi.cn/.default', 'core.chinacloudapi.cn', 'api://AzureADTokenExchangeChina']
  ] as const)('%s', (name, authority, scope, suffix, audience) => {
    const cloud = resolveCloud(name)
    expect([cloud.authorityHost, resourceManagerScope(cloud), cloud.storageSuffix, cloud.oidcAudience, cloud.knownAuthority]).toEqual([authority, scope, suffix, audience, true])
  })

  test('a custom cloud: trailing slashes dropped, audience defaults to the ARM endpoint, instance discovery off', () => {
    const cloud = resolveCloud({ 'authority-host': 'https://login.example/', 'resource-manager': 'https://arm.example/', 'storage-suffix': 'blob.example' })
    expect(cloud).toEqual({
      name: 'custom',
      authorityHost: 'https://login.example',
      resourceManager: 'https://arm.example',
      resourceManagerAudience: 'https://arm.example',
      storageSuffix: 'blob.example',
      oidcAudience: 'api://AzureADTokenExchange',
      knownAuthority: false
    })
    expect(resolveCloud()).toBe(KNOWN_CLOUDS.AzureCloud)
  })
})

describe('sign-in failures become guidance', () => {
  const cloud = resolveCloud('AzureCloud')
  const method = { kind: 'oidc', tenantId: 't1', clientId: 'c1' } as const
  const assertion = ['e30', Buffer.from(JSON.stringify({ sub: 'repo:octo-org/estate:environment:prod' })).toString('base64url'), 'sig'].join('.')

  test.each([
    ['AADSTS70021: No matching federated identity record found for presented assertion.', /no federated credential on app c1 in tenant t1 .*subject repo:octo-org\/estate:environment:prod/],
    ['AADSTS700016: Application with identifier c1 was not found in the directory', /Check 'client-id' and 'tenant-id'/],
    ['AADSTS7000215: Invalid client secret provided.', /client secret is wrong or expired/],
    ['AADSTS700024: Client assertion is not within its valid time range.', /had expired/],
    ['AADSTS700212: No matching federated identity record found for presented assertion audience', /audience must be api:\/\/AzureADTokenExchange/]
  ])('%s', (text, hint) => {
    const error = explainSignInFailure(new Error(`${text}\r\nTrace ID: 1`), method, cloud, assertion)
    expect(error.message).toContain(`signing in to Azure (oidc, AzureCloud) failed: ${text}`)
    expect(error.hint).toMatch(hint)
  })
})

describe('image references', () => {
  const sha = 'ab'.repeat(20)
  test.each([
    [`DOCKER|myacr.azurecr.io/api:${sha}`, `myacr.azurecr.io/api:${sha}`, sha],
    [`docker|myacr.azurecr.io/api:${sha}@sha256:${'0'.repeat(64)}`, `myacr.azurecr.io/api:${sha}@sha256:${'0'.repeat(64)}`, sha],
    ['DOCKER|myacr.azurecr.io/api:latest', 'myacr.azurecr.io/api:latest', undefined],
    [`DOCKER|myacr.azurecr.io/other:${sha}`, `myacr.azurecr.io/other:${sha}`, undefined],
    [`DOCKER|localhost:5000/api:${sha}`, `localhost:5000/api:${sha}`, undefined],
    ['PYTHON|3.12', undefined, undefined],
    [undefined, undefined, undefined]
  ])('%s', (linuxFxVersion, image, commit) => {
    expect(imageOfLinuxFxVersion(linuxFxVersion)).toBe(image)
    expect(image && commitOfImage(image, 'myacr.azurecr.io', 'api')).toBe(commit)
  })

  test('a registry with a port', () => {
    expect(commitOfImage(`127.0.0.1:5555/estate/api:${sha}`, '127.0.0.1:5555', 'estate/api')).toBe(sha)
  })
})
