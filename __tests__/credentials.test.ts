/**
 * The action's credential against the stand-in's Entra ID and GitHub OIDC issuer, through the
 * real @azure/identity: a GitHub ID token is fetched once and reused for every access token
 * while it stays valid (MSAL asks for an assertion, twice, on every getToken, even when its
 * cache answers), and a new one is fetched when the last has less than a minute left.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import tls from 'node:tls'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { resolveCloud, resourceManagerScope, type CloudSetting } from '../src/azure/cloud.js'
import { createCredential } from '../src/azure/credentials.js'

type Standin = Awaited<ReturnType<typeof startAzureStandin>>

const CLIENT_ID = '5c2f7a1e-8b3d-4e6f-9a0b-1c2d3e4f5a6b'
const SUBJECT = 'repo:octo-org/estate:environment:prod'
const STORAGE_SCOPE = 'https://storage.azure.com/.default'

let standin: Standin
const defaultCaCertificates = tls.getCACertificates('default')

beforeAll(async () => {
  standin = await startAzureStandin({ containers: 'none' })
  tls.setDefaultCACertificates([...defaultCaCertificates, standin.caCertPem])
  standin.registerApplication({ clientId: CLIENT_ID, federatedCredentials: [{ subject: SUBJECT }] })
})

afterAll(async () => {
  await standin?.close()
  tls.setDefaultCACertificates(defaultCaCertificates)
})

/** The action's OIDC credential, with `getIdToken` doing what @actions/core's does, counted. */
function oidcCredential() {
  const cloud = resolveCloud(standin.cloudSetting as CloudSetting)
  const asked: string[] = []
  const masked: string[] = []
  const credential = createCredential({ kind: 'oidc', tenantId: standin.tenantId, clientId: CLIENT_ID }, cloud, {
    async getIdToken(audience) {
      const response = await fetch(`${standin.githubOidc.requestUrl}&audience=${encodeURIComponent(audience)}`, { headers: { Authorization: `Bearer ${standin.githubOidc.requestToken}` } })
      expect(response.status).toBe(200)
      const { value } = (await response.json()) as { value: string }
      asked.push(value)
      return value
    },
    setSecret: value => masked.push(value)
  })
  return { credential, asked, masked, armScope: resourceManagerScope(cloud) }
}

describe('the OIDC credential', () => {
  test('fetches one GitHub ID token for every access token of a run while it is valid', async () => {
    standin.setOidcClaims({ sub: SUBJECT })
    const { credential, asked, masked, armScope } = oidcCredential()
    // Sign-in, then the ARM and Storage clients each asking once, as a deploy's clients do.
    const tokens = [
      await credential.getToken(armScope, { enableCae: true }),
      await credential.getToken(armScope),
      await credential.getToken(STORAGE_SCOPE),
      await credential.getToken(STORAGE_SCOPE),
      await credential.getToken(armScope, { enableCae: true })
    ]
    for (const token of tokens) expect(token?.token).toMatch(/^ey/)
    expect(asked.length).toBe(1)
    // The assertion and every access token are masked.
    expect(masked).toEqual(expect.arrayContaining([asked[0], ...tokens.map(token => token!.token)]))
  })

  test('fetches a new ID token when the last has less than a minute left', async () => {
    standin.setOidcClaims({ sub: SUBJECT, exp: Math.floor(Date.now() / 1000) + 45 })
    const { credential, asked, armScope } = oidcCredential()
    expect((await credential.getToken(armScope))?.token).toMatch(/^ey/)
    const afterFirst = asked.length
    expect((await credential.getToken(STORAGE_SCOPE))?.token).toMatch(/^ey/)
    expect(afterFirst).toBeGreaterThanOrEqual(1)
    expect(asked.length).toBeGreaterThan(afterFirst)
    expect(new Set(asked).size).toBe(asked.length)
  })
})
