import { describe, expect, test } from '@jest/globals'
import type { PartChange } from '../src/changes/index.js'
import { parseConfig, resolveEnvironment, type DeployConfig } from '../src/config.js'
import { DeployError } from '../src/errors.js'
import { buildPlan, formatPlan, partsToDeploy, type DeployPlan, type ImagePartPlan, type PlanRequest, type SitePartPlan } from '../src/plan.js'
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
    env: {},
    ...extra
  })
}

function backendOf(deployPlan: DeployPlan): ImagePartPlan {
  const backend = deployPlan.parts.find(p => p.name === 'backend')
  if (backend?.kind !== 'image') throw new Error('the plan has no backend part')
  return backend
}

function frontendOf(deployPlan: DeployPlan): SitePartPlan {
  const frontend = deployPlan.parts.find(p => p.name === 'frontend')
  if (frontend?.kind !== 'site') throw new Error('the plan has no frontend part')
  return frontend
}

const deployErrorFrom = (work: () => unknown) => thrownBy(DeployError, work)

describe('buildPlan', () => {
  test('the backend plan carries image, build, strategy, targets and health', () => {
    const deployPlan = plan('production', [changed('backend'), unchanged('frontend')])

    expect(deployPlan).toMatchObject({ environment: 'production', environmentSource: 'input', commit: COMMIT, dryRun: false })
    expect(deployPlan.images).toEqual([
      {
        part: 'backend',
        image: `myregistry.azurecr.io/team/api:${COMMIT}`,
        tag: COMMIT,
        registry: 'myregistry.azurecr.io',
        registryAuth: 'auto',
        repository: 'team/api',
        context: 'backend',
        dockerfile: undefined,
        target: undefined,
        buildArgs: {},
        versionBuildArg: 'APP_VERSION',
        cache: 'registry',
        network: 'default'
      }
    ])
    const expected: ImagePartPlan = {
      name: 'backend',
      kind: 'image',
      deploy: true,
      change: {
        changed: true,
        base: BASE,
        reason: 'deployed',
        detail: `1 backend file(s) differ from the deployed ${BASE.slice(0, 7)}`,
        fileCount: 1,
        examples: ['backend/src/app.ts']
      },
      imageFrom: 'backend',
      image: `myregistry.azurecr.io/team/api:${COMMIT}`,
      registry: 'myregistry.azurecr.io',
      repository: 'team/api',
      strategy: 'slot-swap',
      acrIdentity: undefined,
      swapTimeoutSeconds: 900,
      targets: [
        { subscription: OWN_SUBSCRIPTION, resourceGroup: 'rg-prod-eu', app: 'api-prod-eu', slot: 'staging', command: undefined, port: undefined },
        { subscription: INPUT_SUBSCRIPTION, resourceGroup: 'rg-prod-us', app: 'api-prod-us', slot: 'staging', command: undefined, port: undefined }
      ],
      verify: { mode: 'version', path: '/', versionHeader: undefined, timeoutSeconds: 300, consecutive: 3, intervalSeconds: 2 },
      appSettings: {},
      pruneAppSettings: false,
      release: undefined
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

  test('a dry run whose target names no subscription still plans, saying what a real run needs', () => {
    const deployPlan = plan('production', [changed('backend')], { subscriptionId: undefined, dryRun: true })
    expect(backendOf(deployPlan).deploy).toBe(true)
    expect(deployPlan.warnings).toEqual([
      "environments.production.backend.targets[1] names no subscription and the 'subscription-id' input is empty: a real run would stop here. Set 'subscription-id:' in the workflow step, or add subscription: to environments.production.backend.targets[1] in the config."
    ])
  })

  test('a dry run with several places that name no subscription warns once, where a real run would stop', () => {
    const deployPlan = plan('production', [changed('backend'), changed('frontend')], { subscriptionId: undefined, dryRun: true })
    expect(deployPlan.parts.map(part => part.deploy)).toEqual([true, true])
    expect(deployPlan.warnings).toEqual([expect.stringMatching(/^environments\.production\.backend\.targets\[1\] names no subscription/)])
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
    const expected: Omit<SitePartPlan, 'change'> = {
      name: 'frontend',
      kind: 'site',
      deploy: true,
      workingDirectory: 'frontend',
      install: 'npm ci',
      build: 'npm run build',
      installArgv: ['npm', 'ci'],
      buildArgv: ['npm', 'run', 'build'],
      output: 'build',
      buildEnv: { API_URL: 'https://api.example.com' },
      cacheControl: [],
      deleteStale: 'after-purge',
      maxDeleteShare: 0.5,
      keepReleases: 10,
      purge: 'changed',
      indexDocument: 'index.html',
      errorDocument: 'index.html',
      rollbackTo: undefined,
      storageAccount: 'siteprod',
      container: '$web',
      archiveContainer: 'deployments',
      statePrefix: 'production/',
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
    const deployPlan = buildPlan({ config: noBuildEnv, environment: resolveEnvironment(noBuildEnv, 'production', {}), changes: [changed('frontend')], commit: COMMIT, dryRun: true, env: {} })
    expect(frontendOf(deployPlan)).toMatchObject({ buildEnv: {}, cdn: undefined, storageAccount: 'siteprod' })
    expect(deployPlan.dryRun).toBe(true)
  })

  test('an environment named like an Object.prototype member builds with no build-env', () => {
    const named = parseConfig(
      yamlLines('parts:', '  frontend:', '    paths: [site/**]', 'environments:', '  toString:', '    frontend: { storage-account: siteprod }'),
      'azure-deploy.yml'
    )
    const deployPlan = buildPlan({ config: named, environment: resolveEnvironment(named, 'toString', {}), changes: [changed('frontend')], commit: COMMIT, dryRun: true, env: {} })
    expect(frontendOf(deployPlan).buildEnv).toEqual({})
  })

  test('the change summary keeps the first five files and counts them all', () => {
    const files = Array.from({ length: 8 }, (_, i) => `backend/src/file-${i}.ts`)
    expect(backendOf(plan('production', [changed('backend', files)])).change).toMatchObject({ fileCount: 8, examples: files.slice(0, 5) })
  })

  test('parts appear in the order they deploy in, images before sites, and only those detected', () => {
    expect(plan('production', [changed('frontend'), changed('backend')]).parts.map(p => p.name)).toEqual(['backend', 'frontend'])
    expect(plan('production', [changed('backend')]).parts.map(p => p.name)).toEqual(['backend'])
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
    expect(lines).toContain(`image myregistry.azurecr.io/team/api:${COMMIT} (built from part backend: backend/Dockerfile, context backend)`)
    expect(lines).toContain(`backend (image): DEPLOY (deployed) — 1 backend file(s) differ from the deployed ${BASE.slice(0, 7)}`)
    expect(lines).toContain(`  rollout slot-swap of myregistry.azurecr.io/team/api:${COMMIT} to 2 targets in parallel, all or nothing:`)
    expect(lines).toContain('    - api-prod-eu/staging (resource group rg-prod-eu)')
    expect(lines).toContain('    - api-prod-us/staging (resource group rg-prod-us)')
    expect(lines).toContain(`  verify  / answers with ${COMMIT.slice(0, 12)} in its body, 3× within 300s`)
    // Each command as the argv it runs: never joined with && (a form the action refuses).
    expect(lines).toContain('  install npm ci in frontend')
    expect(lines).toContain('  build   npm run build in frontend → frontend/build')
    expect(text).not.toContain('&&')
    expect(lines).toContain('  upload  siteprod/$web (release archive in deployments)')
    expect(lines).toContain('  purge   frontdoor fd-prod/www with www.example.com, example.com')
    expect(lines).toContain('  site    https://www.example.com')
  })

  test('one target in place, and a CDN purge', () => {
    const lines = formatPlan(plan('staging', [changed('backend'), changed('frontend')])).split('\n')
    expect(lines[0]).toBe(`Plan for environment staging (from input) at ${COMMIT}`)
    expect(lines).toContain(`  rollout in-place of myregistry.azurecr.io/team/api:${COMMIT} to 1 target in parallel, all or nothing:`)
    expect(lines).toContain('    - api-staging (resource group rg-staging)')
    expect(lines).toContain('  purge   cdn cdn-staging/staging-site')
  })

  test('a skipped part gets one line and no details', () => {
    const text = formatPlan(plan('production', [unchanged('backend'), changed('frontend')]))
    expect(text).toContain(`backend (image): skip (deployed) — ${COMMIT.slice(0, 7)} is already the deployed commit`)
    expect(text).not.toContain('team/api')
    expect(text).not.toContain('api-prod-eu')
    expect(text).toContain('frontend (site): DEPLOY')
  })
})

describe('buildPlan with named parts', () => {
  const estate = parseConfig(
    yamlLines(
      'parts:',
      '  api: { kind: image, paths: [api/**], registry: cr.example.io, repository: api, build-args: { SENTRY_DSN: { from-env: SENTRY_DSN } } }',
      '  worker: { kind: image, image-from: api, paths: [worker/**], verify: platform }',
      '  web: { kind: site, paths: [web/**], output: dist, build-env: { prod: { VITE_API_URL: https://api.example.com } } }',
      '  admin: { kind: site, paths: [admin/**], output: dist }',
      'environments:',
      '  prod:',
      '    api:',
      '      build-args: { API_ORIGIN: https://api.example.com }',
      '      app-settings: { DJANGO_SECRET_KEY: { from-env: DJANGO_SECRET_KEY } }',
      '      release: { command: "python manage.py migrate --noinput", paths: ["api/**/migrations/**"], env: { DATABASE_URL: { from-env: DATABASE_URL } } }',
      '      targets: [{ resource-group: rg, app: api-1, command: gunicorn app.wsgi, port: 8000 }, { resource-group: rg, app: api-2 }]',
      '    worker: { targets: [{ resource-group: rg, app: worker-1, command: python manage.py process_notes }] }',
      '    web: { storage-account: webprod }',
      '    admin: { storage-account: adminprod }'
    ),
    '.github/azure-deploy.yml'
  )
  const ENV = { SENTRY_DSN: 'dsn', DJANGO_SECRET_KEY: 'secret', DATABASE_URL: 'postgres://x' }
  const planOf = (changes: PartChange[], extra: Partial<PlanRequest> = {}) =>
    buildPlan({ config: estate, environment: resolveEnvironment(estate, 'prod', {}), changes, commit: COMMIT, dryRun: false, subscriptionId: INPUT_SUBSCRIPTION, env: ENV, ...extra })

  test('one image for the API and its worker, tagged per environment when the environment adds build args', () => {
    const deployPlan = planOf([changed('api'), changed('worker'), unchanged('web'), unchanged('admin')])
    expect(deployPlan.images.map(image => [image.part, image.image, image.buildArgs])).toEqual([
      ['api', `cr.example.io/api:${COMMIT}-prod`, { SENTRY_DSN: { fromEnv: 'SENTRY_DSN' }, API_ORIGIN: 'https://api.example.com' }]
    ])
    const worker = deployPlan.parts.find(part => part.name === 'worker') as ImagePartPlan
    expect([worker.imageFrom, worker.image, worker.verify.mode]).toEqual(['api', `cr.example.io/api:${COMMIT}-prod`, 'platform'])
    expect(worker.targets[0]).toMatchObject({ app: 'worker-1', command: 'python manage.py process_notes' })
  })

  test('a worker deploying alone still needs its image built', () => {
    const deployPlan = planOf([unchanged('api'), changed('worker'), unchanged('web'), unchanged('admin')])
    expect(deployPlan.images.map(image => image.part)).toEqual(['api'])
    expect(partsToDeploy(deployPlan)).toEqual(['worker'])
  })

  test('only a site changed: no image is built', () => {
    const deployPlan = planOf([unchanged('api'), unchanged('worker'), unchanged('web'), changed('admin')])
    expect(deployPlan.images).toEqual([])
    expect(partsToDeploy(deployPlan)).toEqual(['admin'])
    expect((deployPlan.parts.find(part => part.name === 'admin') as SitePartPlan).statePrefix).toBe('prod/admin/')
  })

  test.each<[string, string[] | undefined, boolean, string]>([
    ['a migration changed', ['api/notes/migrations/0002_tag.py'], true, '1 changed file under its paths'],
    ['nothing under its paths changed', [], false, 'nothing under its paths changed'],
    ['nothing was compared (first deploy)', undefined, true, 'nothing to compare with (deployed)']
  ])('the release step: %s', (_name, releaseFiles, run, reason) => {
    const api = { ...changed('api', releaseFiles === undefined ? [] : ['api/views.py', ...releaseFiles]), releaseFiles }
    const release = (planOf([api]).parts[0] as ImagePartPlan).release!
    expect([release.argv, release.runOn, release.run, release.reason]).toEqual([['python', 'manage.py', 'migrate', '--noinput'], 'runner', run, reason])
  })

  test('the lock goes in the first site part’s storage unless the config names one', () => {
    expect(planOf([changed('web')]).lock).toEqual({ storageAccount: 'webprod', blobEndpoint: undefined, container: 'deployments', blob: 'prod/deploy.lock', timeoutSeconds: 600 })
  })

  test('a value from the step’s env that is not set stops a real run, and only warns in a dry run', () => {
    const missing = { ...ENV, DJANGO_SECRET_KEY: undefined }
    const error = deployErrorFrom(() => planOf([changed('api')], { env: missing }))
    expect(error.message).toBe("environments.prod.api.app-settings.DJANGO_SECRET_KEY takes its value from the step's env DJANGO_SECRET_KEY, which is not set.")
    expect(error.hint).toBe('Add it to the step: env: { DJANGO_SECRET_KEY: ${{ secrets.DJANGO_SECRET_KEY }} } (or a vars./literal value).')
    expect(planOf([changed('api')], { env: missing, dryRun: true }).warnings).toEqual([expect.stringMatching(/^environments\.prod\.api\.app-settings\.DJANGO_SECRET_KEY takes its value/)])
  })

  test('the plan names values from env by variable, never by value, and shows release, settings and commands', () => {
    const text = formatPlan(planOf([changed('api'), changed('worker')]))
    expect(text).toContain('  release run python manage.py migrate --noinput on runner in cr.example.io/api:' + COMMIT + '-prod, once, before any target switches (the part changed)')
    expect(text).toContain('    env DATABASE_URL (from env DATABASE_URL)')
    expect(text).toContain('  setting DJANGO_SECRET_KEY (from env DJANGO_SECRET_KEY)')
    expect(text).toContain('    - api-1 (resource group rg): command "gunicorn app.wsgi", port 8000')
    expect(text).toContain("  verify  App Service's docker log says the new container started, within 300s")
    expect(text).not.toContain('secret')
    expect(text).not.toContain('postgres://')
  })
})
