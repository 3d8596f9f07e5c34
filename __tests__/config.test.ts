import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { imageEnvironment, loadConfig, parseConfig, resolveEnvironment, siteEnvironment, type DeployConfig } from '../src/config.js'
import { ConfigError } from '../src/errors.js'
import { FULL_CONFIG, yamlLines } from '../__fixtures__/config.js'
import { thrownBy } from '../__fixtures__/errors.js'

const CONFIG_PATH = '.github/azure-deploy.yml'

const configErrorFrom = (work: () => unknown) => thrownBy(ConfigError, work)

describe('parseConfig', () => {
  test('a full config parses, with defaults filled in', () => {
    const config = parseConfig(FULL_CONFIG, CONFIG_PATH)

    expect(config.version).toBe(1)
    expect(config.shared.paths).toEqual(['package-lock.json'])
    // Parts named backend and frontend need no kind: they are the first release's image and site.
    expect(config.parts.backend).toEqual({
      kind: 'image',
      paths: ['backend/**', '!**/*.md'],
      context: 'backend',
      registry: 'myregistry.azurecr.io',
      repository: 'team/api',
      verify: 'version',
      health: { path: '/', timeout: 300, consecutive: 3, interval: 2 }
    })
    expect(config.parts.frontend).toEqual({
      kind: 'site',
      paths: ['frontend/**'],
      'working-directory': 'frontend',
      install: 'npm ci',
      build: 'npm run build',
      output: 'build',
      'build-env': { production: { API_URL: 'https://api.example.com' }, staging: { API_URL: 'https://api.staging.example.com' } },
      'cache-control': [],
      'delete-stale': 'after-purge',
      'max-delete-share': 0.5,
      'keep-releases': 10,
      purge: 'changed',
      'index-document': 'index.html',
      'error-document': 'index.html'
    })
    expect(Object.keys(config.environments)).toEqual(['production', 'staging'])

    const production = config.environments.production!
    const productionBackend = imageEnvironment(production, 'backend')
    expect(productionBackend.strategy).toBe('slot-swap')
    expect(productionBackend.targets).toEqual([
      { subscription: '11111111-2222-3333-4444-555555555555', 'resource-group': 'rg-prod-eu', app: 'api-prod-eu', slot: 'staging' },
      { 'resource-group': 'rg-prod-us', app: 'api-prod-us', slot: 'staging' }
    ])
    expect(production.parts.frontend).toMatchObject({
      'storage-account': 'siteprod',
      container: '$web',
      'archive-container': 'deployments',
      'site-url': 'https://www.example.com',
      frontdoor: { 'resource-group': 'rg-edge', profile: 'fd-prod', endpoint: 'www', domains: ['www.example.com', 'example.com'] }
    })

    const staging = config.environments.staging!
    expect(staging.branches).toEqual(['release/*', 'develop'])
    expect(imageEnvironment(staging, 'backend').strategy).toBe('in-place')
    expect(siteEnvironment(staging, 'frontend').container).toBe('$web')
    expect(siteEnvironment(staging, 'frontend')['archive-container']).toBe('deployments')
  })

  test('optional lists default to empty and version to 1', () => {
    const config = parseConfig(
      yamlLines(
        'parts:',
        '  frontend:',
        '    paths: [site/**]',
        'environments:',
        '  production:',
        '    frontend:',
        '      storage-account: siteprod'
      ),
      CONFIG_PATH
    )
    expect(config.version).toBe(1)
    expect(config.shared.paths).toEqual([])
    expect(config.parts.backend).toBeUndefined()
    expect(config.environments.production).toMatchObject({ branches: [], tags: [], parts: { frontend: { container: '$web', 'archive-container': 'deployments' } } })
  })

  test('named parts of both kinds, an image reused by a worker, settings, a release step and values from env', () => {
    const config = parseConfig(
      yamlLines(
        'parts:',
        '  api:',
        '    kind: image',
        '    paths: [api/**]',
        '    registry: myregistry.azurecr.io',
        '    repository: api',
        '    target: production',
        '    build-args: { SENTRY_DSN: { from-env: SENTRY_DSN } }',
        '  worker:',
        '    kind: image',
        '    image-from: api',
        '    verify: platform',
        '  web: { kind: site, paths: [web/**], output: dist }',
        '  admin: { kind: site, paths: [admin/**], output: dist }',
        'environments:',
        '  prod:',
        '    lock: { storage-account: locksprod, timeout: 120 }',
        '    api:',
        '      app-settings: { DJANGO_SECRET_KEY: { from-env: DJANGO_SECRET_KEY }, DEBUG: "0" }',
        '      release: { command: python manage.py migrate --noinput, env: { DATABASE_URL: { from-env: DATABASE_URL } } }',
        '      targets: [{ resource-group: rg, app: api-1, command: gunicorn app.wsgi, port: 8000 }]',
        '    worker: { targets: [{ resource-group: rg, app: worker-1, command: celery -A app worker }] }',
        '    web: { storage-account: webprod }',
        '    admin: { storage-account: adminprod }'
      ),
      CONFIG_PATH
    )
    expect(Object.entries(config.parts).map(([name, part]) => [name, part.kind])).toEqual([
      ['api', 'image'],
      ['worker', 'image'],
      ['web', 'site'],
      ['admin', 'site']
    ])
    expect(config.parts.api).toMatchObject({ target: 'production', 'build-args': { SENTRY_DSN: { fromEnv: 'SENTRY_DSN' } } })
    expect(config.parts.worker).toMatchObject({ 'image-from': 'api', verify: 'platform' })
    const prod = config.environments.prod!
    expect(prod.lock).toEqual({ 'storage-account': 'locksprod', timeout: 120 })
    expect(Object.keys(prod.parts)).toEqual(['api', 'worker', 'web', 'admin'])
    const api = imageEnvironment(prod, 'api')
    expect(api['app-settings']).toEqual({ DJANGO_SECRET_KEY: { fromEnv: 'DJANGO_SECRET_KEY' }, DEBUG: '0' })
    expect(api.release).toEqual({ command: 'python manage.py migrate --noinput', 'run-on': 'runner', timeout: 900, env: { DATABASE_URL: { fromEnv: 'DATABASE_URL' } } })
    expect(api.targets).toEqual([{ 'resource-group': 'rg', app: 'api-1', command: 'gunicorn app.wsgi', port: 8000 }])
    expect(imageEnvironment(prod, 'worker').targets[0]?.command).toBe('celery -A app worker')
  })

  interface BadConfig {
    /** Key path named in the message. */
    key?: string
    /** Line the message points at. */
    line?: number
    /** How the bad value is shown (`got ...`). */
    got?: string
    /** What the message tells the user to do or what is accepted. */
    fix: string
    /** What the hint tells the user to change. */
    hint: RegExp
  }

  const FIX_KEYS = /^Fix the keys? named above in \.github\/azure-deploy\.yml; the README's "Config" section lists every key/
  const BACKEND_PART = ['parts:', '  backend:', '    paths: [backend/**]', '    registry: myregistry.azurecr.io', '    repository: api']
  const PRODUCTION_BACKEND = ['environments:', '  production:', '    backend:', '      targets:', '        - resource-group: rg-prod', '          app: api-prod']
  const FRONTEND_PART = ['parts:', '  frontend:', '    paths: [frontend/**]']

  test.each<[string, string, BadConfig]>([
    [
      'malformed YAML',
      yamlLines('parts:', '  backend:', '    paths: [backend/**]', '   registry: myregistry.azurecr.io'),
      { fix: 'is not valid YAML:\n  line 4, column 1: All mapping items must start at the same column', hint: /^Fix the YAML syntax at the line shown/ }
    ],
    [
      'a GitHub expression',
      yamlLines(...FRONTEND_PART, '    build-env:', '      production: { API_KEY: "${{ secrets.API_KEY }}" }', 'environments:', '  production:', '    frontend: { storage-account: siteprod }'),
      { fix: '(line 5) holds a GitHub expression "${{ … }}": GitHub does not expand expressions in this file', hint: /env: \{ API_KEY: \$\{\{ secrets\.API_KEY \}\} \}.*\{ from-env: API_KEY \}/ }
    ],
    ['an empty file', '', { fix: `${CONFIG_PATH} is empty.`, hint: /^Describe at least one part under parts: and one environment under environments:/ }],
    ['a file with only comments', yamlLines('# TODO: describe the deploy'), { fix: `${CONFIG_PATH} is empty.`, hint: /under parts:/ }],
    [
      'an unknown top-level key',
      yamlLines(...BACKEND_PART, ...PRODUCTION_BACKEND, 'deploy: true'),
      { key: 'deploy', line: 12, fix: 'unknown key; top-level keys are version, cloud, shared, parts, environments', hint: FIX_KEYS }
    ],
    [
      'a part without a kind',
      yamlLines('parts:', '  database: { paths: [db/**] }', ...BACKEND_PART.slice(1), ...PRODUCTION_BACKEND),
      { key: 'parts.database.kind', line: 2, fix: 'must say its kind: image (a Docker image for Web Apps) or site (a static site)', hint: FIX_KEYS }
    ],
    [
      'a part name that is not a name',
      yamlLines('parts:', '  Api_1: { kind: site, paths: [db/**] }', ...BACKEND_PART.slice(1), ...PRODUCTION_BACKEND),
      { key: 'parts.Api_1', fix: 'must be a part name: lowercase letters, digits and "-", starting with a letter', hint: FIX_KEYS }
    ],
    [
      'a path glob that is not a string',
      yamlLines('parts:', '  backend:', '    paths: [backend/**, 42]', ...BACKEND_PART.slice(3), ...PRODUCTION_BACKEND),
      { key: 'parts.backend.paths[1]', line: 3, got: '42', fix: 'must be a glob string, such as "backend/**" or "!**/*.md"', hint: FIX_KEYS }
    ],
    [
      'an empty paths list',
      yamlLines('parts:', '  backend:', '    paths: []', ...BACKEND_PART.slice(3), ...PRODUCTION_BACKEND),
      { key: 'parts.backend.paths', line: 3, got: '[]', fix: 'must list at least one glob', hint: FIX_KEYS }
    ],
    [
      'an environment without targets for a configured part',
      yamlLines(...BACKEND_PART, 'environments:', '  production:', '    branches: [main]'),
      { key: 'environments.production', got: '{"branches":["main"]}', fix: 'has no backend settings, but parts.backend is configured: add environments.production.backend (strategy and targets)', hint: FIX_KEYS }
    ],
    [
      'an empty targets list',
      yamlLines(...BACKEND_PART, 'environments:', '  production:', '    backend:', '      targets: []'),
      { key: 'environments.production.backend.targets', line: 9, got: '[]', fix: 'must list at least one Web App', hint: FIX_KEYS }
    ],
    [
      'a slot-swap target without a slot',
      yamlLines(...BACKEND_PART, 'environments:', '  production:', '    backend:', '      strategy: slot-swap', '      targets:', '        - resource-group: rg-prod', '          app: api-prod'),
      { key: 'environments.production.backend.targets[0].slot', line: 11, got: 'missing', fix: 'is required with strategy slot-swap: name the staging slot', hint: FIX_KEYS }
    ],
    [
      'an unknown strategy',
      yamlLines(...BACKEND_PART, 'environments:', '  production:', '    backend:', '      strategy: blue-green', '      targets:', '        - resource-group: rg-prod', '          app: api-prod'),
      { key: 'environments.production.backend.strategy', line: 9, got: '"blue-green"', fix: 'must be "in-place" or "slot-swap"', hint: FIX_KEYS }
    ],
    [
      'both cdn and frontdoor',
      yamlLines(
        ...FRONTEND_PART,
        'environments:',
        '  production:',
        '    frontend:',
        '      storage-account: siteprod',
        '      cdn: { resource-group: rg-edge, profile: cdn-prod, endpoint: www }',
        '      frontdoor: { resource-group: rg-edge, profile: fd-prod, endpoint: www }'
      ),
      { key: 'environments.production.frontend', fix: 'sets both cdn and frontdoor: keep the one that fronts the site', hint: FIX_KEYS }
    ],
    [
      'a storage account name with uppercase letters',
      yamlLines(...FRONTEND_PART, 'environments:', '  production:', '    frontend:', '      storage-account: SiteProd'),
      { key: 'environments.production.frontend.storage-account', line: 7, got: '"SiteProd"', fix: 'must be a storage account name: 3–24 lowercase letters and digits', hint: FIX_KEYS }
    ],
    [
      'a build context outside the repository',
      yamlLines(...BACKEND_PART, '    context: ../shared', ...PRODUCTION_BACKEND),
      { key: 'parts.backend.context', line: 6, got: '"../shared"', fix: 'must stay inside the repository (no "..")', hint: FIX_KEYS }
    ],
    [
      'a build context that climbs out after a folder',
      yamlLines(...BACKEND_PART, '    context: backend/../../shared', ...PRODUCTION_BACKEND),
      { key: 'parts.backend.context', line: 6, got: '"backend/../../shared"', fix: 'must stay inside the repository (no "..")', hint: FIX_KEYS }
    ],
    [
      'an absolute Dockerfile path',
      yamlLines(...BACKEND_PART, '    file: /src/backend/Dockerfile', ...PRODUCTION_BACKEND),
      { key: 'parts.backend.file', line: 6, got: '"/src/backend/Dockerfile"', fix: 'must be relative to the repository root, not absolute', hint: FIX_KEYS }
    ],
    [
      'a Windows absolute Dockerfile path',
      yamlLines(...BACKEND_PART, "    file: 'C:\\src\\Dockerfile'", ...PRODUCTION_BACKEND),
      { key: 'parts.backend.file', line: 6, got: '"C:\\\\src\\\\Dockerfile"', fix: 'must be relative to the repository root, not absolute', hint: FIX_KEYS }
    ],
    [
      'an unknown cache mode',
      yamlLines(...BACKEND_PART, '    cache: s3', ...PRODUCTION_BACKEND),
      { key: 'parts.backend.cache', line: 6, got: '"s3"', fix: 'must be one of: registry, gha, inline, none', hint: FIX_KEYS }
    ],
    [
      'build-env for an unknown environment',
      yamlLines(...FRONTEND_PART, '    build-env:', '      staging: { API_URL: https://api.staging.example.com }', 'environments:', '  production:', '    frontend:', '      storage-account: siteprod'),
      { key: 'parts.frontend.build-env.staging', line: 5, got: '{"API_URL":"https://api.staging.example.com"}', fix: 'names an unknown environment; known: production', hint: FIX_KEYS }
    ],
    [
      'the same target twice',
      yamlLines(...BACKEND_PART, ...PRODUCTION_BACKEND, '        - resource-group: RG-Prod', '          app: API-Prod'),
      { key: 'environments.production.backend.targets[1]', line: 12, fix: 'repeats a target listed above', hint: FIX_KEYS }
    ],
    [
      'a subscription that is not a GUID',
      yamlLines(...BACKEND_PART, ...PRODUCTION_BACKEND, '          subscription: my-subscription'),
      { key: 'environments.production.backend.targets[0].subscription', line: 12, got: '"my-subscription"', fix: 'must be a subscription ID: a GUID such as 00000000-0000-0000-0000-000000000000', hint: FIX_KEYS }
    ],
    [
      'an unknown key inside a target',
      yamlLines(...BACKEND_PART, 'environments:', '  production:', '    backend:', '      targets:', '        - resource_group: rg-prod', '          app: api-prod'),
      { key: 'environments.production.backend.targets[0].resource_group', line: 10, fix: 'unknown key; target keys are subscription, resource-group, app, slot, command, port', hint: FIX_KEYS }
    ],
    [
      'an environment for a part that is not configured',
      yamlLines(...BACKEND_PART, ...PRODUCTION_BACKEND, '    frontend: { storage-account: siteprod }'),
      { key: 'environments.production.frontend', line: 12, fix: 'unknown key; environment keys are branches, tags, lock, and the parts: backend', hint: FIX_KEYS }
    ],
    [
      'no parts at all',
      yamlLines('parts: {}', 'environments:', '  production: {}'),
      { key: 'parts', line: 1, got: '{}', fix: 'must configure at least one part', hint: FIX_KEYS }
    ],
    [
      'an image part without a registry',
      yamlLines('parts:', '  api: { kind: image, paths: [api/**], repository: api }', 'environments:', '  production:', '    api: { targets: [{ resource-group: rg, app: api-prod }] }'),
      { key: 'parts.api.registry', line: 2, fix: 'is required: the registry host', hint: FIX_KEYS }
    ],
    [
      'image-from with build keys',
      yamlLines(...BACKEND_PART, '  worker: { kind: image, image-from: backend, context: worker }', ...PRODUCTION_BACKEND, '    worker: { targets: [{ resource-group: rg, app: worker-prod }] }'),
      { key: 'parts.worker.context', fix: 'cannot be set with image-from: the image is built by part backend', hint: FIX_KEYS }
    ],
    [
      'image-from an unknown part',
      yamlLines(...BACKEND_PART, '  worker: { kind: image, image-from: api }', ...PRODUCTION_BACKEND, '    worker: { targets: [{ resource-group: rg, app: worker-prod }] }'),
      { key: 'parts.worker.image-from', fix: 'names no part; parts are backend, worker', hint: FIX_KEYS }
    ],
    [
      'image-from a site',
      yamlLines(...FRONTEND_PART, '  worker: { kind: image, image-from: frontend }', 'environments:', '  production:', '    frontend: { storage-account: siteprod }', '    worker: { targets: [{ resource-group: rg, app: worker-prod }] }'),
      { key: 'parts.worker.image-from', fix: 'must name an image part that builds its own image (frontend is a site)', hint: FIX_KEYS }
    ],
    [
      'a health path with a control character',
      yamlLines(...BACKEND_PART, '    health: { path: "/health\\r\\nX-Injected: 1" }', ...PRODUCTION_BACKEND),
      { key: 'parts.backend.health.path', fix: 'must be a URL path without spaces or control characters', hint: FIX_KEYS }
    ],
    [
      'a Front Door domain that is not a host name',
      yamlLines(...FRONTEND_PART, 'environments:', '  production:', '    frontend:', '      storage-account: siteprod', '      frontdoor: { resource-group: rg, profile: fd, endpoint: www, domains: ["https://www.example.com/"] }'),
      { key: 'environments.production.frontend.frontdoor.domains[0]', fix: 'must be a host name: such as www.example.com, without scheme, port or path', hint: FIX_KEYS }
    ],
    [
      'two environments sharing one site container',
      yamlLines(...FRONTEND_PART, 'environments:', '  production:', '    frontend: { storage-account: siteprod }', '  staging:', '    frontend: { storage-account: siteprod }'),
      { key: 'environments.staging.frontend.container', fix: 'is the same container as environments.production.frontend (siteprod/$web): each site needs its own', hint: FIX_KEYS }
    ],
    [
      'a release step container-instance block with run-on runner',
      yamlLines(...BACKEND_PART, ...PRODUCTION_BACKEND, '      release: { command: python manage.py migrate, container-instance: { resource-group: rg } }'),
      { key: 'environments.production.backend.release.container-instance', fix: 'is set, but run-on is runner', hint: FIX_KEYS }
    ],
    [
      'a from-env value that names no variable',
      yamlLines(...BACKEND_PART, ...PRODUCTION_BACKEND, '      app-settings: { SECRET_KEY: { from-env: "not a name" } }'),
      { key: 'environments.production.backend.app-settings.SECRET_KEY', line: 12, fix: "must be a string (quote numbers and booleans) or { from-env: NAME } to read it from the step's env:", hint: FIX_KEYS }
    ],
    [
      'a part named like an environment key',
      yamlLines('parts:', '  lock: { kind: site, paths: [x/**] }', 'environments:', '  production: {}'),
      { key: 'parts.lock', fix: 'must not be branches, tags, lock (environment keys)', hint: FIX_KEYS }
    ]
  ])('%s', (_name, text, bad) => {
    const error = configErrorFrom(() => parseConfig(text, CONFIG_PATH))

    expect(error.message).toContain(CONFIG_PATH)
    if (bad.key) {
      // The key path starts a problem line, followed by its line number (when known) and a colon.
      const where = bad.line === undefined ? `${bad.key}` : `${bad.key} (line ${bad.line})`
      expect(error.message.split('\n').map(l => l.trim())).toContainEqual(expect.stringMatching(new RegExp(`^${escapeRegExp(where)}[ :]`)))
    }
    if (bad.got) expect(error.message).toContain(`(got ${bad.got})`)
    expect(error.message).toContain(bad.fix)
    expect(error.hint).toMatch(bad.hint)
  })

  test('an unknown key inside a target also reports the missing key it was meant to be', () => {
    const error = configErrorFrom(() =>
      parseConfig(yamlLines(...BACKEND_PART, 'environments:', '  production:', '    backend:', '      targets:', '        - resource_group: rg-prod', '          app: api-prod'), CONFIG_PATH)
    )
    expect(error.message).toContain('has 2 problems')
    expect(error.message).toContain('environments.production.backend.targets[0].resource-group (line 10): must be a resource group name (got missing)')
  })

  test('several problems are all listed, one per line', () => {
    const error = configErrorFrom(() => parseConfig(yamlLines(...BACKEND_PART, '    cache: s3', '    file: /Dockerfile', ...PRODUCTION_BACKEND), CONFIG_PATH))
    expect(error.message).toMatch(/has 2 problems:\n {2}parts\.backend\.file \(line 7\): .*\n {2}parts\.backend\.cache \(line 6\): /)
    expect(error.hint).toMatch(/^Fix the keys named above/)
  })

  test('duplicate keys are a YAML error', () => {
    const error = configErrorFrom(() => parseConfig(yamlLines(...BACKEND_PART, '    registry: other.azurecr.io', ...PRODUCTION_BACKEND), CONFIG_PATH))
    expect(error.message).toMatch(/is not valid YAML:\n {2}line 6, column \d+: Map keys must be unique/)
  })

  test('build-env for an environment named like an Object.prototype member is checked too', () => {
    const error = configErrorFrom(() =>
      parseConfig(yamlLines(...FRONTEND_PART, '    build-env:', '      constructor: { API_URL: x }', 'environments:', '  production:', '    frontend:', '      storage-account: siteprod'), CONFIG_PATH)
    )
    expect(error.message).toContain('parts.frontend.build-env.constructor (line 5): names an unknown environment; known: production')
  })

  test.each([
    ['a part without a kind written as a block', yamlLines('parts:', '  database:', '    paths: [db/**]', ...BACKEND_PART.slice(1), ...PRODUCTION_BACKEND), 'parts.database.kind (line 2)'],
    ['an environment without backend settings', yamlLines(...BACKEND_PART, 'environments:', '  production:', '    branches: [main]'), 'environments.production (line 7)']
  ])('%s is reported at the line of its key', (_name, text, where) => {
    const error = configErrorFrom(() => parseConfig(text, CONFIG_PATH))
    expect(error.message).toContain(where)
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('resolveEnvironment', () => {
  const config: DeployConfig = parseConfig(FULL_CONFIG, CONFIG_PATH)

  test.each([
    ['the input wins over a matching branch', 'staging', { branch: 'main' }, 'staging', 'input'],
    ['the input works without a ref', 'production', {}, 'production', 'input'],
    ['a branch named in the config', undefined, { branch: 'main' }, 'production', 'branch'],
    ['a branch glob', undefined, { branch: 'release/2024.06' }, 'staging', 'branch'],
    ['a second branch of the same environment', undefined, { branch: 'develop' }, 'staging', 'branch'],
    ['a tag glob', undefined, { tag: 'v1.2.3' }, 'production', 'tag'],
    ['another environment’s tag glob', undefined, { tag: 'rc-7' }, 'staging', 'tag']
  ] as const)('%s', (_name, requested, ref, name, source) => {
    const resolved = resolveEnvironment(config, requested, ref)
    expect(resolved.name).toBe(name)
    expect(resolved.source).toBe(source)
    expect(resolved.settings).toBe(config.environments[name])
  })

  test('the first environment in config order wins when several globs match', () => {
    const overlapping = parseConfig(
      yamlLines(
        'parts:',
        '  frontend:',
        '    paths: [site/**]',
        'environments:',
        '  preview:',
        "    branches: ['release/*']",
        '    frontend: { storage-account: sitepreview }',
        '  catch-all:',
        "    branches: ['**']",
        '    frontend: { storage-account: siteall }'
      ),
      CONFIG_PATH
    )
    expect(resolveEnvironment(overlapping, undefined, { branch: 'release/1.0' }).name).toBe('preview')
    expect(resolveEnvironment(overlapping, undefined, { branch: 'feature/x' }).name).toBe('catch-all')
  })

  test('a branch glob with one * does not match across a slash', () => {
    const error = configErrorFrom(() => resolveEnvironment(config, undefined, { branch: 'release/1.0/hotfix' }))
    expect(error.message).toContain('no environment matches branch "release/1.0/hotfix"')
  })

  test('an unknown environment input lists the known environments', () => {
    const error = configErrorFrom(() => resolveEnvironment(config, 'prod', { branch: 'main' }))
    expect(error.message).toBe(
      'environment "prod" is not defined in the config. Known environments: production (branch main, tag v*); staging (branch release/*, branch develop, tag rc-*).'
    )
    expect(error.hint).toBe("Set 'environment:' to one of production, staging, or add environments.prod to the config.")
  })

  test('no matching branch lists environments and branch rules, and suggests the environment input', () => {
    const error = configErrorFrom(() => resolveEnvironment(config, undefined, { branch: 'feature/login' }))
    expect(error.message).toBe(
      'no environment matches branch "feature/login". Known environments: production (branch main, tag v*); staging (branch release/*, branch develop, tag rc-*).'
    )
    expect(error.hint).toBe("Set 'environment:' in the workflow step, or add the branch to an environment's branches in the config.")
  })

  test('no matching tag suggests adding the tag', () => {
    const error = configErrorFrom(() => resolveEnvironment(config, undefined, { tag: 'nightly' }))
    expect(error.message).toContain('no environment matches tag "nightly".')
    expect(error.hint).toBe("Set 'environment:' in the workflow step, or add the tag to an environment's tags in the config.")
  })

  test('a run with neither branch nor tag says so', () => {
    const error = configErrorFrom(() => resolveEnvironment(config, undefined, {}))
    expect(error.message).toContain('no environment matches this run (no branch or tag).')
    expect(error.hint).toContain("Set 'environment:'")
  })

  test.each(['constructor', 'toString', 'hasOwnProperty'])('environment input %j is rejected as unknown', requested => {
    const error = configErrorFrom(() => resolveEnvironment(config, requested, {}))
    expect(error.message).toContain(`environment "${requested}" is not defined in the config.`)
  })
})

describe('loadConfig', () => {
  let workspace: string

  beforeEach(async () => {
    workspace = await mkdtemp(path.join(os.tmpdir(), 'azure-deploy-config-'))
  })

  afterEach(async () => {
    await rm(workspace, { recursive: true, force: true })
  })

  test('reads and parses the config, returning its path relative to the workspace', async () => {
    await mkdir(path.join(workspace, '.github'))
    await writeFile(path.join(workspace, CONFIG_PATH), FULL_CONFIG)

    const loaded = await loadConfig(workspace, CONFIG_PATH)

    expect(loaded.path).toBe('.github/azure-deploy.yml')
    expect(loaded.config).toEqual(parseConfig(FULL_CONFIG, CONFIG_PATH))
  })

  test('a missing file names the path and reminds about actions/checkout', async () => {
    const error = await loadConfig(workspace, 'deploy/azure.yml').then(
      () => undefined,
      (thrown: unknown) => thrown
    )
    expect(error).toBeInstanceOf(ConfigError)
    const configError = error as ConfigError
    expect(configError.message).toBe(`config file deploy/azure.yml was not found in the workspace (${workspace}).`)
    expect(configError.hint).toContain('Commit a config at deploy/azure.yml')
    expect(configError.hint).toContain("set 'config:'")
    expect(configError.hint).toContain('actions/checkout runs before this step')
  })

  test('a config that is a folder cannot be read', async () => {
    await mkdir(path.join(workspace, '.github', 'azure-deploy.yml'), { recursive: true })
    await expect(loadConfig(workspace, CONFIG_PATH)).rejects.toThrow(/^config file \.github\/azure-deploy\.yml could not be read: EISDIR/)
  })

  test.each(['../outside.yml', '/etc/azure-deploy.yml', '.'])('a config input %j outside the repository is refused', async configPath => {
    await expect(loadConfig(workspace, configPath)).rejects.toThrow(/is not a file inside the repository/)
  })

  test('a committed config that is a symlink out of the checkout is refused', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'azure-deploy-outside-'))
    try {
      await writeFile(path.join(outside, 'azure-deploy.yml'), FULL_CONFIG)
      await mkdir(path.join(workspace, '.github'))
      await symlink(path.join(outside, 'azure-deploy.yml'), path.join(workspace, CONFIG_PATH))
      await expect(loadConfig(workspace, CONFIG_PATH)).rejects.toThrow(/leads outside the repository, to .*azure-deploy\.yml, through a symlink/)
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  test('problems in a loaded file name the configured path', async () => {
    await writeFile(path.join(workspace, 'deploy.yml'), yamlLines('parts: {}', 'environments: {}'))
    await expect(loadConfig(workspace, 'deploy.yml')).rejects.toThrow(/^deploy\.yml has 2 problems:/)
  })
})
