/**
 * Every repository path the config names (the backend's context and Dockerfile, the frontend's
 * working directory and output) stays inside the checkout: `..`, absolute paths and Windows
 * spellings are refused by the schema, and symlinks that lead out are refused on disk.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { stringify } from 'yaml'
import { loadConfig } from '../src/config.js'
import { ConfigError } from '../src/errors.js'
import { leavesWorkspace, realPathOf } from '../src/workspace-path.js'

const CONFIG_PATH = '.github/azure-deploy.yml'

type Key = 'context' | 'file' | 'working-directory' | 'output'
const PART: Record<Key, 'backend' | 'frontend'> = { context: 'backend', file: 'backend', 'working-directory': 'frontend', output: 'frontend' }

let workspace: string
let outside: string

beforeEach(async () => {
  workspace = await realpath(await mkdtemp(path.join(os.tmpdir(), 'apd-paths-')))
  outside = await realpath(await mkdtemp(path.join(os.tmpdir(), 'apd-outside-')))
  await mkdir(path.join(workspace, '.github'))
  await mkdir(path.join(workspace, 'backend'))
  await mkdir(path.join(workspace, 'frontend'))
  await writeFile(path.join(outside, 'Dockerfile'), 'FROM scratch\n')
})

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true })
  await rm(outside, { recursive: true, force: true })
})

/** A config with both parts, one key set to `value`. */
async function configWith(key: Key, value: string): Promise<void> {
  const backend: Record<string, unknown> = { paths: ['backend/**'], context: 'backend', registry: 'myregistry.azurecr.io', repository: 'api' }
  const frontend: Record<string, unknown> = { paths: ['frontend/**'], 'working-directory': 'frontend' }
  ;(PART[key] === 'backend' ? backend : frontend)[key] = value
  const config = {
    parts: { backend, frontend },
    environments: { prod: { branches: ['main'], backend: { targets: [{ 'resource-group': 'rg', app: 'api-1' }] }, frontend: { 'storage-account': 'web' } } }
  }
  await writeFile(path.join(workspace, CONFIG_PATH), stringify(config))
}

async function loadError(): Promise<ConfigError> {
  const error = await loadConfig(workspace, CONFIG_PATH).then(
    () => undefined,
    (thrown: unknown) => thrown
  )
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`)
  return error
}

const KEYS: Key[] = ['context', 'file', 'working-directory', 'output']

describe('paths the schema refuses, for every key', () => {
  const refused: [string, RegExp][] = [
    ['../x', /must stay inside the repository \(no "\.\."\)/],
    ['../../etc', /must stay inside the repository/],
    ['a/../../b', /must stay inside the repository/],
    ['..', /must stay inside the repository/],
    ['..\\x', /must stay inside the repository/],
    ['a\\..\\..\\b', /must stay inside the repository/],
    ['/etc/passwd', /must be relative to the repository root, not absolute/],
    ['/', /must be relative to the repository root, not absolute/],
    ['C:\\Windows', /must be relative to the repository root, not absolute/],
    ['\\\\server\\share', /must be relative to the repository root, not absolute/],
    ['', /must not be empty/]
  ]
  const cases = KEYS.flatMap(key => refused.map(([value, message]) => [key, value, message] as const))
  test.each(cases)('%s: %j', async (key, value, message) => {
    await configWith(key, value)
    const error = await loadError()
    expect(error.message).toContain(`parts.${PART[key]}.${key}`)
    expect(error.message).toMatch(message)
    expect(error.message).toContain(`(got ${JSON.stringify(value)})`)
  })
})

describe('paths that stay inside are accepted', () => {
  // `%2e%2e` is not decoded anywhere: it is a folder literally named "%2e%2e".
  const accepted: [Key, string][] = [
    ['context', '%2e%2e/x'],
    ['working-directory', '%2e%2e%2f'],
    ['context', 'a/../backend'],
    ['file', './backend/Dockerfile'],
    ['output', 'dist/../build'],
    ['working-directory', '..x'],
    ['context', 'not-there-yet']
  ]
  test.each(accepted)('%s: %j', async (key, value) => {
    await configWith(key, value)
    const loaded = await loadConfig(workspace, CONFIG_PATH)
    expect((loaded.config.parts[PART[key]] as Record<string, unknown>)[key]).toBe(value)
  })
})

describe('symlinks in the checkout that lead outside it are refused, naming the key', () => {
  test.each(KEYS)('%s through a link to a folder outside', async key => {
    // backend-link → the outside folder; for file, the link is the Dockerfile itself.
    const link = key === 'file' ? 'backend/Dockerfile' : key === 'output' ? 'frontend/build' : 'linked'
    await symlink(key === 'file' ? path.join(outside, 'Dockerfile') : outside, path.join(workspace, link))
    await configWith(key, key === 'output' ? 'build' : link)
    const error = await loadError()
    expect(error.message).toBe(
      `${CONFIG_PATH}: parts.${PART[key]}.${key} (${JSON.stringify(link)}) leads outside the repository, to ${key === 'file' ? path.join(outside, 'Dockerfile') : outside}, through a symlink.`
    )
    expect(error.hint).toContain(`Point parts.${PART[key]}.${key} at a ${key === 'file' ? 'file' : 'folder'} inside the repository`)
  })

  test('a link part-way down the path (context: up/etc, up → /)', async () => {
    await symlink('/', path.join(workspace, 'up'))
    await configWith('context', 'up/etc')
    expect((await loadError()).message).toContain('parts.backend.context ("up/etc") leads outside the repository, to /etc, through a symlink.')
  })

  test('a relative link that climbs out (frontend → ../..)', async () => {
    await rm(path.join(workspace, 'frontend'), { recursive: true })
    await symlink('../..', path.join(workspace, 'frontend'))
    await configWith('working-directory', 'frontend')
    expect((await loadError()).message).toContain('parts.frontend.working-directory ("frontend") leads outside the repository')
  })

  test('a dangling link whose target outside does not exist yet (the build would create it)', async () => {
    await symlink(path.join(outside, 'later', 'build'), path.join(workspace, 'frontend', 'build'))
    await configWith('output', 'build')
    expect((await loadError()).message).toContain(`parts.frontend.output ("frontend/build") leads outside the repository, to ${path.join(outside, 'later', 'build')}`)
  })

  test('a link that stays inside the checkout is fine', async () => {
    await symlink('backend', path.join(workspace, 'api'))
    await configWith('context', 'api')
    await expect(loadConfig(workspace, CONFIG_PATH)).resolves.toMatchObject({ config: { parts: { backend: { context: 'api' } } } })
  })
})

describe('realPathOf and leavesWorkspace', () => {
  test('a path that does not exist resolves through its deepest existing folder', async () => {
    await symlink(outside, path.join(workspace, 'out'))
    expect(await realPathOf(path.join(workspace, 'out', 'a', 'b'))).toBe(path.join(outside, 'a', 'b'))
    expect(await realPathOf(path.join(workspace, 'new', 'c'))).toBe(path.join(workspace, 'new', 'c'))
  })

  test('the workspace itself, a sibling whose name starts the same, and a link loop', async () => {
    expect(await leavesWorkspace(workspace, '.')).toBeUndefined()
    await mkdir(`${workspace}-sibling`)
    try {
      await symlink(`${workspace}-sibling`, path.join(workspace, 'sib'))
      expect(await leavesWorkspace(workspace, 'sib')).toBe(`${workspace}-sibling`)
    } finally {
      await rm(`${workspace}-sibling`, { recursive: true, force: true })
    }
    await symlink('loop-b', path.join(workspace, 'loop-a'))
    await symlink('loop-a', path.join(workspace, 'loop-b'))
    // Unresolvable: left to the step that uses it, which reports it in its own words.
    expect(await leavesWorkspace(workspace, 'loop-a')).toBeUndefined()
  })
})
