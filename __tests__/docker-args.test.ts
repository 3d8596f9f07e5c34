/** The docker argv builders: every builder × cache mode, build-arg safety, and the output parsers. */
import { describe, expect, test } from '@jest/globals'
import { DeployError } from '../src/errors.js'
import {
  buildArgs,
  cacheWarning,
  digestOfManifestInspect,
  digestOfPushOutput,
  imageTags,
  isManifestMissing,
  manifestInspectArgs,
  type Builder,
  type CacheMode,
  type ImageBuildRequest
} from '../src/backend/docker-args.js'
import { isAzureContainerRegistry, isLoopbackRegistry } from '../src/backend/registry-host.js'
import { thrownBy } from '../__fixtures__/errors.js'

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b'
const IMAGE = `myregistry.azurecr.io/team/api:${SHA}`
const CACHE = 'myregistry.azurecr.io/team/api:buildcache'
const DIGEST = 'sha256:616bf7c6ed03f242f5c62606b34f19e17e4235bf4d239affabea5bba092306f1'

const request: ImageBuildRequest = {
  registry: 'myregistry.azurecr.io',
  repository: 'team/api',
  commit: SHA,
  context: '/repo/backend',
  dockerfile: '/repo/backend/Dockerfile',
  buildArgs: { NODE_ENV: 'production' },
  versionBuildArg: 'APP_VERSION',
  cache: 'registry',
  sourceUrl: 'https://github.com/octo-org/estate',
  createdAt: new Date('2026-01-02T03:04:05Z')
}

const BUILDX: Builder = { kind: 'buildx' }
const BUILDKIT: Builder = { kind: 'docker', buildkit: true }
const CLASSIC: Builder = { kind: 'docker', buildkit: false }

const LABELS = [
  '--label',
  `org.opencontainers.image.revision=${SHA}`,
  '--label',
  'org.opencontainers.image.source=https://github.com/octo-org/estate',
  '--label',
  'org.opencontainers.image.created=2026-01-02T03:04:05.000Z'
]
const BUILD_ARGS = ['--build-arg', 'NODE_ENV=production', '--build-arg', `APP_VERSION=${SHA}`]

describe('buildArgs', () => {
  test('buildx with a registry cache: the whole command, pushing and writing the digest to the metadata file', () => {
    expect(buildArgs(request, BUILDX, '/tmp/meta.json')).toEqual([
      'buildx',
      'build',
      '--file',
      '/repo/backend/Dockerfile',
      '--tag',
      IMAGE,
      ...LABELS,
      ...BUILD_ARGS,
      '--cache-from',
      `type=registry,ref=${CACHE}`,
      '--cache-to',
      `type=registry,ref=${CACHE},mode=max`,
      '--provenance=false',
      '--push',
      '--metadata-file',
      '/tmp/meta.json',
      '/repo/backend'
    ])
  })

  test.each<[string, Partial<ImageBuildRequest>, string[]]>([
    ['a Dockerfile stage', { target: 'production' }, ['--target', 'production']],
    ['a hermetic build', { network: 'none' }, ['--network', 'none']],
    ["docker's default network adds nothing", { network: 'default' }, []],
    ['a secret build arg: its name only, the value goes through the environment', { secretBuildArgs: { SENTRY_AUTH_TOKEN: 's3cr3t' } }, ['--build-arg', 'SENTRY_AUTH_TOKEN']]
  ])('%s', (_name, extra, flags) => {
    const args = buildArgs({ ...request, cache: 'none', ...extra }, BUILDKIT)
    expect(args).toEqual(['build', '--file', '/repo/backend/Dockerfile', '--tag', IMAGE, ...LABELS, ...BUILD_ARGS, ...(extra.secretBuildArgs ? flags : []), ...(extra.secretBuildArgs ? [] : flags), '/repo/backend'])
    expect(args.join(' ')).not.toContain('s3cr3t')
  })

  test('plain docker build with BuildKit: only builds (the tags are pushed afterwards)', () => {
    expect(buildArgs({ ...request, cache: 'none' }, BUILDKIT, '/tmp/ignored.json')).toEqual(['build', '--file', '/repo/backend/Dockerfile', '--tag', IMAGE, ...LABELS, ...BUILD_ARGS, '/repo/backend'])
  })

  // What sits between the build args and the buildx flags / context, and the tags, per builder and cache mode.
  test.each<[string, Builder, CacheMode, string[], string[]]>([
    ['buildx', BUILDX, 'registry', [IMAGE], ['--cache-from', `type=registry,ref=${CACHE}`, '--cache-to', `type=registry,ref=${CACHE},mode=max`]],
    ['buildx', BUILDX, 'gha', [IMAGE], ['--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max']],
    ['buildx', BUILDX, 'inline', [IMAGE, CACHE], ['--cache-from', `type=registry,ref=${CACHE}`, '--cache-to', 'type=inline']],
    ['buildx', BUILDX, 'none', [IMAGE], []],
    ['BuildKit', BUILDKIT, 'registry', [IMAGE, CACHE], ['--cache-from', CACHE, '--build-arg', 'BUILDKIT_INLINE_CACHE=1']],
    ['BuildKit', BUILDKIT, 'gha', [IMAGE], []],
    ['BuildKit', BUILDKIT, 'inline', [IMAGE, CACHE], ['--cache-from', CACHE, '--build-arg', 'BUILDKIT_INLINE_CACHE=1']],
    ['BuildKit', BUILDKIT, 'none', [IMAGE], []],
    ['classic', CLASSIC, 'registry', [IMAGE], []],
    ['classic', CLASSIC, 'gha', [IMAGE], []],
    ['classic', CLASSIC, 'inline', [IMAGE], []],
    ['classic', CLASSIC, 'none', [IMAGE], []]
  ])('%s, cache: %s → tags and cache flags', (_name, builder, cache, tags, cacheFlags) => {
    const args = buildArgs({ ...request, cache }, builder, '/tmp/meta.json')
    const tail = builder.kind === 'buildx' ? ['--provenance=false', '--push', '--metadata-file', '/tmp/meta.json', '/repo/backend'] : ['/repo/backend']
    const head = builder.kind === 'buildx' ? ['buildx', 'build'] : ['build']
    expect(args).toEqual([...head, '--file', '/repo/backend/Dockerfile', ...tags.flatMap(tag => ['--tag', tag]), ...LABELS, ...BUILD_ARGS, ...cacheFlags, ...tail])
    expect(imageTags({ ...request, cache }, builder)).toEqual(tags)
  })

  test('build arg values are single argv elements, passed as written', () => {
    const value = 'two words; $(touch /tmp/pwned) `id` "quoted"\nsecond line'
    const args = buildArgs({ ...request, buildArgs: { GREETING: value } }, BUILDKIT)
    expect(args).toContain(`GREETING=${value}`)
    expect(args[args.indexOf(`GREETING=${value}`) - 1]).toBe('--build-arg')
  })

  test('no source URL: no source label', () => {
    const args = buildArgs({ ...request, sourceUrl: undefined }, BUILDKIT)
    expect(args.filter(arg => arg.startsWith('org.opencontainers.image.'))).toEqual([`org.opencontainers.image.revision=${SHA}`, 'org.opencontainers.image.created=2026-01-02T03:04:05.000Z'])
  })

  test('the version build arg can have another name', () => {
    expect(buildArgs({ ...request, versionBuildArg: 'GIT_SHA' }, BUILDKIT)).toContain(`GIT_SHA=${SHA}`)
  })

  test.each([['1ST'], ['WITH-DASH'], ['WITH SPACE'], ['A=B'], ['']])('refuses the build arg name %j', name => {
    const error = thrownBy(DeployError, () => buildArgs({ ...request, buildArgs: { [name]: 'x' } }, BUILDX))
    expect(error.message).toContain(JSON.stringify(name))
    expect(error.hint).toMatch(/letters, digits and underscores/)
  })

  test('refuses a version build arg name that is not a variable name', () => {
    expect(() => buildArgs({ ...request, versionBuildArg: 'APP-VERSION' }, BUILDX)).toThrow(DeployError)
  })

  test('refuses build-args that set the version build arg: the commit must win', () => {
    const error = thrownBy(DeployError, () => buildArgs({ ...request, buildArgs: { APP_VERSION: 'dev' } }, BUILDX))
    expect(error.message).toMatch(/sets APP_VERSION/)
    expect(error.hint).toMatch(/version-build-arg/)
  })
})

describe('cacheWarning', () => {
  test.each<[Builder, CacheMode, RegExp | undefined]>([
    [BUILDX, 'registry', undefined],
    [BUILDX, 'gha', undefined],
    [BUILDKIT, 'registry', undefined],
    [BUILDKIT, 'inline', undefined],
    [BUILDKIT, 'gha', /gha needs docker buildx/],
    [BUILDKIT, 'none', undefined],
    [CLASSIC, 'registry', /needs BuildKit/],
    [CLASSIC, 'gha', /needs BuildKit/],
    [CLASSIC, 'none', undefined]
  ])('%j with cache: %s', (builder, cache, expected) => {
    const warning = cacheWarning(cache, builder)
    if (expected) expect(warning).toMatch(expected)
    else expect(warning).toBeUndefined()
  })
})

describe('registry lookups', () => {
  test.each([
    ['127.0.0.1:5555', ['manifest', 'inspect', '--verbose', '--insecure', '127.0.0.1:5555/api:1']],
    ['localhost:5000', ['manifest', 'inspect', '--verbose', '--insecure', 'localhost:5000/api:1']],
    ['myregistry.azurecr.io', ['manifest', 'inspect', '--verbose', 'myregistry.azurecr.io/api:1']]
  ])('manifest inspect on %s', (registry, expected) => {
    expect(manifestInspectArgs(`${registry}/api:1`, registry)).toEqual(expected)
  })

  test.each([
    ['no such manifest: 127.0.0.1:5555/probe/x:2', true],
    ['manifest unknown: manifest unknown', true],
    ['failed to configure transport: error pinging v2 registry: dial tcp 127.0.0.1:5999: connect: connection refused', false],
    ['unauthorized: authentication required', false]
  ])('isManifestMissing(%j) is %s', (output, missing) => {
    expect(isManifestMissing(output)).toBe(missing)
  })

  test('digest of docker push output', () => {
    const output = `The push refers to repository [127.0.0.1:5555/probe/x]\nde2029981502: Pushed\n1: digest: ${DIGEST} size: 524\n`
    expect(digestOfPushOutput(output)).toBe(DIGEST)
    expect(digestOfPushOutput('de2029981502: Pushed')).toBeUndefined()
  })

  const descriptor = (digest: string, architecture = 'amd64') => ({ Ref: 'r', Descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1, platform: { architecture, os: 'linux' } } })
  const ARM_DIGEST = `sha256:${'a'.repeat(64)}`
  test.each<[string, string, string | undefined]>([
    ['one image', JSON.stringify(descriptor(DIGEST)), DIGEST],
    ['an index: the linux/amd64 entry', JSON.stringify([descriptor(ARM_DIGEST, 'arm64'), descriptor(DIGEST)]), DIGEST],
    ['an index without linux/amd64', JSON.stringify([descriptor(ARM_DIGEST, 'arm64')]), undefined],
    ['not JSON', 'no such manifest', undefined],
    ['no digest', JSON.stringify({ Ref: 'r' }), undefined]
  ])('digest of manifest inspect: %s', (_name, output, expected) => {
    expect(digestOfManifestInspect(output)).toBe(expected)
  })
})

describe('registry hosts', () => {
  test.each([
    ['myregistry.azurecr.io', true],
    ['MyRegistry.azurecr.io', true],
    ['govregistry.azurecr.us', true],
    ['cnregistry.azurecr.cn', true],
    ['azurecr.io', false],
    ['my-registry.azurecr.io', false],
    ['myregistry.azurecr.io.evil.example', false],
    ['ghcr.io', false],
    ['127.0.0.1:5555', false]
  ])('isAzureContainerRegistry(%s) is %s', (registry, expected) => {
    expect(isAzureContainerRegistry(registry)).toBe(expected)
  })

  test.each([
    ['127.0.0.1:5555', true],
    ['127.1.2.3', true],
    ['localhost:5000', true],
    ['[::1]:5000', true],
    ['localhost.example.com', false],
    ['1270.0.0.1:5000', false],
    ['myregistry.azurecr.io', false]
  ])('isLoopbackRegistry(%s) is %s', (registry, expected) => {
    expect(isLoopbackRegistry(registry)).toBe(expected)
  })
})
