/**
 * The frontend build with the real command runner and npm: the small stand-in site of
 * __fixtures__/estate-legacy built in a temp copy (it builds offline, with no dependencies), then every way the output can be unfit to
 * publish — missing, empty, a failed build, a symlink outside — and the listing of the files
 * with their MD5s.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCommandRunner } from '../src/command-runner.js'
import { DeployError } from '../src/errors.js'
import { buildEnvironment, buildFrontend, type FrontendBuildSettings } from '../src/frontend/build.js'
import { listOutputFiles, listSiteFiles, SiteContents } from '../src/frontend/site-files.js'
import { recordingRunner, succeeded } from '../__fixtures__/command-runner.js'
import { recordingLogger } from '../__fixtures__/logger.js'

const EXAMPLE = fileURLToPath(new URL('../__fixtures__/estate-legacy/frontend/', import.meta.url))
const API_URL = 'https://api.stage.tidepool.example'

const settings: FrontendBuildSettings = {
  workingDirectory: 'web',
  install: 'npm ci --no-audit --no-fund',
  build: 'npm run build',
  output: 'build',
  buildEnv: { REACT_APP_API_URL: API_URL }
}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'apd-frontend-build-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

let workspaces = 0
/** A workspace holding a copy of the example site in `web/`, its build script replaced if given. */
async function workspaceWithSite(buildScript?: string): Promise<string> {
  const workspace = join(scratch, `ws-${++workspaces}`)
  const site = join(workspace, 'web')
  await cp(EXAMPLE, site, { recursive: true, filter: from => !/[/\\](build|node_modules)$/.test(from) })
  if (buildScript !== undefined) {
    const manifest = JSON.parse(await readFile(join(site, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    manifest.scripts.build = buildScript
    await writeFile(join(site, 'package.json'), JSON.stringify(manifest, null, 2))
  }
  return workspace
}

/** The real runner, recording what it was asked to run. */
function realRunner() {
  const real = createCommandRunner()
  return recordingRunner(call => real.run(call.tool, call.args, call.options))
}

const deps = (runner = realRunner()) => ({ runner, logger: recordingLogger(), env: process.env })

async function buildError(workspace: string, overrides: Partial<FrontendBuildSettings> = {}, runner = realRunner()): Promise<DeployError> {
  const error = await buildFrontend({ ...settings, ...overrides }, { workspace }, deps(runner)).catch((thrown: unknown) => thrown)
  expect(error).toBeInstanceOf(DeployError)
  return error as DeployError
}

describe('buildFrontend with npm', () => {
  test('builds the example site: install then build, in the working directory, with build-env and CI=true', async () => {
    const workspace = await workspaceWithSite()
    const runner = realRunner()
    const logger = recordingLogger()
    const built = await buildFrontend(settings, { workspace }, { runner, logger, env: { ...process.env, 'INPUT_CLIENT-SECRET': 'hunter2' } })

    expect(built.outputDir).toBe(join(workspace, 'web', 'build'))
    expect(built.seconds.install).toBeGreaterThanOrEqual(0)
    expect(built.seconds.build).toBeGreaterThanOrEqual(0)
    expect(runner.calls.map(call => [call.tool, ...call.args])).toEqual([
      ['npm', 'ci', '--no-audit', '--no-fund'],
      ['npm', 'run', 'build']
    ])
    for (const call of runner.calls) {
      expect(call.options.cwd).toBe(join(workspace, 'web'))
      expect(call.options.env).toMatchObject({ CI: 'true', REACT_APP_API_URL: API_URL, 'INPUT_CLIENT-SECRET': '' })
    }
    expect(logger.messages('info')).toEqual([expect.stringMatching(/^npm ci --no-audit --no-fund: done in [\d.]+ s$/), expect.stringMatching(/^npm run build: done in [\d.]+ s$/)])
    expect(logger.messages('debug').join('\n')).toContain(`Inlined: REACT_APP_API_URL=${API_URL}`)

    const files = await listSiteFiles(built.outputDir)
    expect(files.map(file => file.path)).toEqual(['asset-manifest.json', 'favicon.svg', 'index.html', 'robots.txt', expect.stringMatching(/^static\/css\/main\.[0-9a-f]{8}\.css$/), expect.stringMatching(/^static\/js\/main\.[0-9a-f]{8}\.js$/)])
    const script = files.at(-1)!
    const content = await readFile(script.absolute)
    expect(content.toString()).toContain(API_URL)
    expect(script).toEqual({ path: script.path, absolute: join(built.outputDir, script.path), size: content.length, md5: createHash('md5').update(content).digest('base64') })
  })

  test('an output folder the build does not write: nothing uploaded, and which key to fix', async () => {
    const error = await buildError(await workspaceWithSite(), { output: 'dist' })
    expect(error.message).toBe('The frontend build finished but wrote no output folder web/dist: nothing uploaded.')
    expect(error.hint).toContain('parts.frontend.output')
  })

  test('an empty output folder: nothing uploaded', async () => {
    const workspace = await workspaceWithSite(`node -e "fs.mkdirSync('build/static/js', { recursive: true })"`)
    const error = await buildError(workspace)
    expect(error.message).toBe('The frontend build finished but its output folder web/build is empty: nothing uploaded.')
  })

  test('a failing build script: its last 20 lines and the key to fix', async () => {
    const workspace = await workspaceWithSite(`node -e "for (let i = 1; i <= 60; i++) console.log('compiling module ' + i); console.error('Module not found: Error: Can not resolve ./Apps'); process.exit(3)"`)
    const runner = realRunner()
    const error = await buildError(workspace, {}, runner)
    expect(runner.calls).toHaveLength(2)
    expect(error.message).toMatch(/^The frontend build command "npm run build" failed with exit code \d+ in web\. Its last lines:\n/)
    expect(error.message).toContain('Module not found: Error: Can not resolve ./Apps')
    expect(error.message).toContain('compiling module 60')
    expect(error.message).not.toContain('compiling module 30\n')
    expect(error.message.split('\n').length).toBeLessThanOrEqual(21)
    expect(error.hint).toContain('parts.frontend.build')
  })

  test('a failing install names parts.frontend.install and never builds', async () => {
    const workspace = await workspaceWithSite()
    await writeFile(join(workspace, 'web', 'package-lock.json'), '{ not json')
    const runner = realRunner()
    const error = await buildError(workspace, {}, runner)
    expect(runner.calls).toHaveLength(1)
    expect(error.message).toMatch(/^The frontend install command "npm ci --no-audit --no-fund" failed with exit code/)
    expect(error.hint).toContain('parts.frontend.install')
  })

  test('a symlink in the output that points outside it is refused, naming the link', async () => {
    const workspace = await workspaceWithSite(`node scripts/build.mjs && node -e "fs.symlinkSync('../../../secrets.env', 'build/static/config.env')"`)
    await writeFile(join(workspace, 'secrets.env'), 'TOKEN=do-not-publish\n')
    const error = await buildError(workspace)
    expect(error.message).toBe(`The build output has a symlink that points outside it: static/config.env → ${join(workspace, 'secrets.env')}.`)
    expect(error.hint).toContain('copy that file into its output folder')
  })

  test('an output folder the build made a symlink out of the repository is refused before anything is listed', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'apd-elsewhere-'))
    try {
      await writeFile(join(elsewhere, 'id_rsa'), 'not for the web\n')
      const workspace = await workspaceWithSite(`node -e "fs.symlinkSync(process.argv[1], 'build')" ${elsewhere}`)
      const error = await buildError(workspace)
      expect(error.message).toBe(`The frontend output folder web/build leads outside the repository, to ${await realpath(elsewhere)}, through a symlink: nothing uploaded.`)
      expect(error.hint).toContain('parts.frontend.output')
    } finally {
      await rm(elsewhere, { recursive: true, force: true })
    }
  })

  test('a tool that is not installed: could not start, and what to do', async () => {
    const error = await buildError(await workspaceWithSite(), { install: 'pnpm-that-is-not-installed install' })
    expect(error.message).toMatch(/^The frontend install command "pnpm-that-is-not-installed install" could not start in web: /)
    expect(error.hint).toContain('parts.frontend.install')
  })
})

describe('buildFrontend before it runs anything', () => {
  test.each<[string, Partial<FrontendBuildSettings>, string]>([
    ['a build command that needs a shell', { build: 'npm run lint && npm run build' }, 'parts.frontend.build "npm run lint && npm run build" uses the shell operator "&&"'],
    ['an install command that needs a shell', { install: 'npm ci > /dev/null' }, 'parts.frontend.install "npm ci > /dev/null" uses the shell operator ">"'],
    ['a working directory that is not there', { workingDirectory: 'frontend' }, 'The frontend\'s working directory frontend does not exist in the repository.']
  ])('%s', async (_name, overrides, message) => {
    const runner = recordingRunner(() => succeeded)
    const error = await buildError(await workspaceWithSite(), overrides, runner)
    expect(error.message).toContain(message)
    expect(runner.calls).toEqual([])
  })
})

describe('buildEnvironment', () => {
  test.each<[string, Record<string, string | undefined>, Record<string, string>, Record<string, string>]>([
    ['process env, then build-env, then CI', { PATH: '/usr/bin', HOME: '/home/runner' }, { REACT_APP_API_URL: API_URL }, { PATH: '/usr/bin', HOME: '/home/runner', REACT_APP_API_URL: API_URL, CI: 'true' }],
    ['build-env overrides the process env', { NODE_ENV: 'development' }, { NODE_ENV: 'production' }, { NODE_ENV: 'production', CI: 'true' }],
    ['CI is always true', { CI: 'false' }, { CI: '0' }, { CI: 'true' }],
    ['unset variables are left out', { PATH: '/usr/bin', EMPTY: undefined }, {}, { PATH: '/usr/bin', CI: 'true' }],
    [
      "the action's inputs and tokens are blanked",
      { 'INPUT_CLIENT-SECRET': 's3cret', 'INPUT_GITHUB-TOKEN': 'ghs_x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc', ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token', ACTIONS_RUNTIME_TOKEN: 'rt', GITHUB_SHA: 'abc' },
      {},
      { 'INPUT_CLIENT-SECRET': '', 'INPUT_GITHUB-TOKEN': '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_RUNTIME_TOKEN: '', GITHUB_SHA: 'abc', CI: 'true' }
    ]
  ])('%s', (_name, processEnv, buildEnv, expected) => {
    expect(buildEnvironment(processEnv, buildEnv)).toEqual(expected)
  })
})

describe('listSiteFiles', () => {
  async function outputWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(scratch, 'out-'))
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true })
      await writeFile(join(dir, name), content)
    }
    return dir
  }
  const md5 = (text: string) => createHash('md5').update(text).digest('base64')

  test('every file, sorted by path in code-unit order, with size and Content-MD5', async () => {
    const dir = await outputWith({ 'b.txt': 'b', 'a/z.txt': 'zz', 'a/B.txt': '', 'a.txt': 'héllo', '.well-known/x': 'x', 'static/ünï.txt': 'u' })
    expect(await listSiteFiles(dir)).toEqual([
      { path: '.well-known/x', absolute: join(dir, '.well-known/x'), size: 1, md5: md5('x') },
      { path: 'a.txt', absolute: join(dir, 'a.txt'), size: 6, md5: md5('héllo') },
      { path: 'a/B.txt', absolute: join(dir, 'a/B.txt'), size: 0, md5: '1B2M2Y8AsgTpgAmY7PhCfg==' },
      { path: 'a/z.txt', absolute: join(dir, 'a/z.txt'), size: 2, md5: md5('zz') },
      { path: 'b.txt', absolute: join(dir, 'b.txt'), size: 1, md5: md5('b') },
      { path: 'static/ünï.txt', absolute: join(dir, 'static/ünï.txt'), size: 1, md5: md5('u') }
    ])
  })

  test('symlinks inside the folder are followed: a file as that file, a folder walked', async () => {
    const dir = await outputWith({ 'static/js/main.1a2b3c4d.js': 'js', 'docs/v2/index.html': 'v2' })
    await symlink('static/js/main.1a2b3c4d.js', join(dir, 'main.js'))
    await symlink(join(dir, 'docs/v2'), join(dir, 'docs/latest'))
    expect((await listSiteFiles(dir)).map(file => [file.path, file.md5])).toEqual([
      ['docs/latest/index.html', md5('v2')],
      ['docs/v2/index.html', md5('v2')],
      ['main.js', md5('js')],
      ['static/js/main.1a2b3c4d.js', md5('js')]
    ])
  })

  test.each<[string, (dir: string) => Promise<void>, string]>([
    ['a link to a file outside', dir => symlink('/etc/hostname', join(dir, 'host.txt')), 'The build output has a symlink that points outside it: host.txt → /etc/hostname.'],
    ['a link to a folder outside', dir => symlink('../..', join(dir, 'static/up')), 'The build output has a symlink that points outside it: static/up → '],
    ['a link that points to nothing', dir => symlink('missing.js', join(dir, 'gone.js')), 'The build output has a symlink that points to nothing: gone.js.'],
    ['a link back to a folder above', dir => symlink('.', join(dir, 'static/self')), 'The build output has a symlink loop: static/self links back to a folder above it.']
  ])('refuses %s', async (_name, link, message) => {
    const dir = await outputWith({ 'index.html': '<!doctype html>', 'static/app.js': '' })
    await link(dir)
    const error = await listOutputFiles(dir).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DeployError)
    expect((error as DeployError).message).toContain(message)
  })

  test('small files are kept as hashed for the upload; one over 16 MiB is streamed and read again when asked', async () => {
    const dir = await outputWith({ 'index.html': '<p>as hashed</p>' })
    const big = Buffer.alloc(17 * 1024 * 1024, 7)
    await writeFile(join(dir, 'video.bin'), big)
    const contents = new SiteContents()
    const [page, video] = await listSiteFiles(dir, contents)
    expect([page!.path, page!.md5, video!.path, video!.size, video!.md5]).toEqual(['index.html', md5('<p>as hashed</p>'), 'video.bin', big.length, createHash('md5').update(big).digest('base64')])
    await writeFile(join(dir, 'index.html'), '<p>rewritten</p>')
    await writeFile(join(dir, 'video.bin'), Buffer.alloc(big.length, 8))
    expect((await contents.read(page!)).toString()).toBe('<p>as hashed</p>')
    expect((await contents.read(video!)).equals(Buffer.alloc(big.length, 8))).toBe(true)
    // Let go of: read now (same size, so not refused).
    contents.clear()
    expect((await contents.read(page!)).toString()).toBe('<p>rewritten</p>')
  })

  test('2,000 files of a generated build, each hashed', async () => {
    const dir = await mkdtemp(join(scratch, 'big-'))
    const expected = new Map<string, string>()
    for (let i = 0; i < 2000; i++) {
      const name = `static/${['js', 'css', 'media'][i % 3]}/chunk-${String(i).padStart(4, '0')}.${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}.js`
      const content = `/* ${i} */ ${'x'.repeat((i * 7919) % 30_000)}`
      expected.set(name, md5(content))
      await mkdir(join(dir, name, '..'), { recursive: true })
      await writeFile(join(dir, name), content)
    }
    const files = await listSiteFiles(dir)
    expect(files).toHaveLength(2000)
    expect(files.map(file => file.path)).toEqual([...expected.keys()].sort())
    for (const file of files) expect(file.md5).toBe(expected.get(file.path))
  })
})
