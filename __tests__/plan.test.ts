import { describe, expect, test } from '@jest/globals'
import type { PartChange } from '../src/changes/index.js'
import { parseConfig, resolveEnvironment, type DeployConfig } from '../src/config.js'
import { DeployError } from '../src/errors.js'
import { buildPlan, formatPlan, partsToDeploy, type BackendPlan, type DeployPlan, type FrontendPlan, type PlanRequest } from '../src/plan.js'
import { FULL_CONFIG, yamlLines } from '../__fixtures__/config.js'
import { thrownBy } from '../__fixtures__/errors.js'

const COMMIT = '0123456789abcdef0123456789abcdef01234567'
const BASE = 'fedcba9876543210fedcba9876543210fedcba98'
const INPUT_SUBSCRIPTION = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
const OWN_SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const STAGING_CDN_SUBSCRIPTION = '99999999-8888-7777-6666-555555555555'

const config: DeployConfig = parseConfig(FULL_CONFIG, '.github/azure-deploy.yml')

const changed = (part: PartChange['part'], files: string[] = [`${part}/src/app.ts`]): PartChange => ({
  part,
  changed: true,
  base: BASE,
  reason: 'deployed',
  detail: `${files.length} ${part} file(s) differ from the deployed ${BASE.slice(0, 7)}`,
  files
})

const unchanged = (part: PartChange['part']): PartChange => ({
  part,
  changed: false,
  base: COMMIT,
  reason: 'deployed',
  detail: `${COMMIT.slice(0, 7)} is already the deployed commit`,
  files: []
})

function plan(environment: string, changes: PartChange[], extra: Partial<PlanRequest> = {}): DeployPlan {
  return buildPlan({
    config,
    environment: resolveEnvironment(config, environment, {}),
    changes,
    commit: COMMIT,
    dryRun: false,
    subscriptionId: INPUT_SUBSCRIPTION,
    ...extra
  })
}

function backendOf(deployPlan: DeployPlan): BackendPlan {
  const backend = deployPlan.parts.find(p => p.part === 'backend')
  if (backend?.part !== 'backend') throw new Error('the plan has no backend part')
  return backend
}

function frontendOf(deployPlan: DeployPlan): FrontendPlan {
  const frontend = deployPlan.parts.find(p => p.part === 'frontend')
  if (frontend?.part !== 'frontend') throw new Error('the plan has no frontend part')
  return frontend
}

const deployErrorFrom = (work: () => unknown) => thrownBy(DeployError, work)

describe('buildPlan', () => {
  test('the backend plan carries image, build, strategy, targets and health', () => {
    const deployPlan = plan('production', [changed('backend'), unchanged('frontend')])

    expect(deployPlan).toMatchObject({ environment: 'production', environmentSource: 'input', commit: COMMIT, dryRun: false })
    const expected: BackendPlan = {
      part: 'backend',
      deploy: true,
      change: {
        changed: true,
        base: BASE,
        reason: 'deployed',
        detail: `1 backend file(s) differ from the deployed ${BASE.slice(0, 7)}`,
        fileCount: 1,
        examples: ['backend/src/app.ts']
      },
      image: `myregistry.azurecr.io/team/api:${COMMIT}`,
      registry: 'myregistry.azurecr.io',
      repository: 'team/api',
      context: 'backend',
      dockerfile: undefined,
      buildArgs: {},
      versionBuildArg: 'APP_VERSION',
      cache: 'registry',
      strategy: 'slot-swap',
      acrIdentity: undefined,
      swapTimeoutSeconds: 900,
      targets: [
        { subscription: OWN_SUBSCRIPTION, resourceGroup: 'rg-prod-eu', app: 'api-prod-eu', slot: 'staging' },
        { subscription: INPUT_SUBSCRIPTION, resourceGroup: 'rg-prod-us', app: 'api-prod-us', slot: 'staging' }
      ],
      health: { path: '/', versionHeader: undefined, timeoutSeconds: 300, consecutive: 3, intervalSeconds: 2 }
    }
    expect(backendOf(deployPlan)).toEqual(expected)
  })

  test.each([
    ['a target with its own subscription keeps it', 0, OWN_SUBSCRIPTION],
    ['a target without one gets the subscription-id input', 1, INPUT_SUBSCRIPTION]
  ])('%s', (_name, index, subscription) => {
    expect(backendOf(plan('production', [changed('backend')])).targets[index]?.subscription).toBe(subscription)
  })

  test('a CDN with its own subscription keeps it; one without gets the input', () => {
    expect(frontendOf(plan('staging', [changed('frontend')])).cdn?.subscription).toBe(STAGING_CDN_SUBSCRIPTION)
    expect(frontendOf(plan('production', [changed('frontend')])).cdn?.subscription).toBe(INPUT_SUBSCRIPTION)
  })

  test.each([
    ['a backend target', 'production', changed('backend'), 'environments.production.backend.targets[1]'],
    ['the staging backend target', 'staging', changed('backend'), 'environments.staging.backend.targets[0]'],
    ['a Front Door endpoint', 'production', changed('frontend'), 'environments.production.frontend.frontdoor']
  ])('a part to deploy whose %s names no subscription, with no input, is an error', (_name, environment, change, where) => {
    const error = deployErrorFrom(() => plan(environment, [change], { subscriptionId: undefined }))
    expect(error.message).toBe(`${where} names no subscription and the 'subscription-id' input is empty.`)
    expect(error.hint).toBe(`Set 'subscription-id:' in the workflow step, or add subscription: to ${where} in the config.`)
  })

  test('an unchanged part is not deployed and needs no subscription', () => {
    const deployPlan = plan('production', [unchanged('backend'), unchanged('frontend')], { subscriptionId: undefined })

    const backend = backendOf(deployPlan)
    expect(backend.deploy).toBe(false)
    expect(backend.change).toMatchObject({ changed: false, fileCount: 0, examples: [] })
    expect(backend.targets.map(t => [t.app, t.subscription])).toEqual([
      ['api-prod-eu', OWN_SUBSCRIPTION],
      ['api-prod-us', '']
    ])
    expect(frontendOf(deployPlan).deploy).toBe(false)
    expect(partsToDeploy(deployPlan)).toEqual([])
  })

  test('only the changed part is deployed when the other lacks a subscription', () => {
    const deployPlan = plan('staging', [unchanged('backend'), changed('frontend')], { subscriptionId: undefined })
    expect(partsToDeploy(deployPlan)).toEqual(['frontend'])
    expect(frontendOf(deployPlan).cdn).toMatchObject({ kind: 'cdn', subscription: STAGING_CDN_SUBSCRIPTION })
  })

  test('the frontend plan carries storage, defaults and Front Door domains', () => {
    const { change, ...frontend } = frontendOf(plan('production', [changed('frontend')]))
    expect(change).toMatchObject({ changed: true, fileCount: 1, examples: ['frontend/src/app.ts'] })
    const expected: Omit<FrontendPlan, 'change'> = {
      part: 'frontend',
      deploy: true,
      workingDirectory: 'frontend',
      install: 'npm ci',
      build: 'npm run build',
      output: 'build',
      buildEnv: { API_URL: 'https://api.example.com' },
      cacheControl: [],
      deleteStale: 'after-purge',
      maxDeleteShare: 0.5,
      keepReleases: 10,
      purge: 'changed',
      indexDocument: 'index.html',
      errorDocument: 'index.html',
      lockTimeoutSeconds: 600,
      storageAccount: 'siteprod',
      container: '$web',
      archiveContainer: 'deployments',
      blobEndpoint: undefined,
      siteUrl: 'https://www.example.com',
      cdn: {
        kind: 'frontdoor',
        subscription: INPUT_SUBSCRIPTION,
        resourceGroup: 'rg-edge',
        profile: 'fd-prod',
        endpoint: 'www',
        domains: ['www.example.com', 'example.com']
      }
    }
    expect(frontend).toEqual(expected)
  })

  test('a classic CDN endpoint has no domains', () => {
    expect(frontendOf(plan('staging', [changed('frontend')])).cdn).toEqual({
      kind: 'cdn',
      subscription: STAGING_CDN_SUBSCRIPTION,
      resourceGroup: 'rg-edge-staging',
      profile: 'cdn-staging',
      endpoint: 'staging-site',
      domains: undefined
    })
  })

  test.each([
    ['production', { API_URL: 'https://api.example.com' }],
    ['staging', { API_URL: 'https://api.staging.example.com' }]
  ])('build-env of %s is the one used', (environment, buildEnv) => {
    expect(frontendOf(plan(environment, [changed('frontend')])).buildEnv).toEqual(buildEnv)
  })

  test('an environment without build-env builds with none', () => {
    const noBuildEnv = parseConfig(
      yamlLines('parts:', '  frontend:', '    paths: [site/**]', 'environments:', '  production:', '    frontend: { storage-account: siteprod }'),
      'azure-deploy.yml'
    )
    const deployPlan = buildPlan({ config: noBuildEnv, environment: resolveEnvironment(noBuildEnv, 'production', {}), changes: [changed('frontend')], commit: COMMIT, dryRun: true })
    expect(frontendOf(deployPlan)).toMatchObject({ buildEnv: {}, cdn: undefined, storageAccount: 'siteprod' })
    expect(deployPlan.dryRun).toBe(true)
  })

  test('an environment named like an Object.prototype member builds with no build-env', () => {
    const named = parseConfig(
      yamlLines('parts:', '  frontend:', '    paths: [site/**]', 'environments:', '  toString:', '    frontend: { storage-account: siteprod }'),
      'azure-deploy.yml'
    )
    const deployPlan = buildPlan({ config: named, environment: resolveEnvironment(named, 'toString', {}), changes: [changed('frontend')], commit: COMMIT, dryRun: true })
    expect(frontendOf(deployPlan).buildEnv).toEqual({})
  })

  test('the change summary keeps the first five files and counts them all', () => {
    const files = Array.from({ length: 8 }, (_, i) => `backend/src/file-${i}.ts`)
    expect(backendOf(plan('production', [changed('backend', files)])).change).toMatchObject({ fileCount: 8, examples: files.slice(0, 5) })
  })

  test('parts appear in the order of the changes, and only those', () => {
    expect(plan('production', [changed('frontend'), changed('backend')]).parts.map(p => p.part)).toEqual(['frontend', 'backend'])
    expect(plan('production', [changed('backend')]).parts.map(p => p.part)).toEqual(['backend'])
  })

  test('the same request gives the same plan', () => {
    const changes = [changed('backend'), changed('frontend')]
    expect(plan('production', changes)).toEqual(plan('production', changes))
  })
})

describe('formatPlan', () => {
  test('names the environment, the image, every target and the site', () => {
    const text = formatPlan(plan('production', [changed('backend'), changed('frontend')], { dryRun: true }))
    const lines = text.split('\n')

    expect(lines[0]).toBe(`Plan for environment production (from input) at ${COMMIT} — dry run, nothing will change`)
    expect(lines).toContain(`backend: DEPLOY (deployed) — 1 backend file(s) differ from the deployed ${BASE.slice(0, 7)}`)
    expect(lines).toContain(`  image   myregistry.azurecr.io/team/api:${COMMIT}`)
    expect(lines).toContain('  build   backend/Dockerfile (context backend)')
    expect(lines).toContain('  rollout slot-swap to 2 targets in parallel, all or nothing:')
    expect(lines).toContain('    - api-prod-eu/staging (resource group rg-prod-eu)')
    expect(lines).toContain('    - api-prod-us/staging (resource group rg-prod-us)')
    expect(lines).toContain(`  verify  / answers with ${COMMIT.slice(0, 12)} in its body, 3× within 300s`)
    expect(lines).toContain('  build   npm ci && npm run build in frontend → frontend/build')
    expect(lines).toContain('  upload  siteprod/$web (release archive in deployments)')
    expect(lines).toContain('  purge   frontdoor fd-prod/www with www.example.com, example.com')
    expect(lines).toContain('  site    https://www.example.com')
  })

  test('one target in place, and a CDN purge', () => {
    const lines = formatPlan(plan('staging', [changed('backend'), changed('frontend')])).split('\n')
    expect(lines[0]).toBe(`Plan for environment staging (from input) at ${COMMIT}`)
    expect(lines).toContain('  rollout in-place to 1 target in parallel, all or nothing:')
    expect(lines).toContain('    - api-staging (resource group rg-staging)')
    expect(lines).toContain('  purge   cdn cdn-staging/staging-site')
  })

  test('a skipped part gets one line and no details', () => {
    const text = formatPlan(plan('production', [unchanged('backend'), changed('frontend')]))
    expect(text).toContain(`backend: skip (deployed) — ${COMMIT.slice(0, 7)} is already the deployed commit`)
    expect(text).not.toContain('image')
    expect(text).not.toContain('api-prod-eu')
    expect(text).toContain('frontend: DEPLOY')
  })
})
