/**
 * The example estate's pieces on their own, with real components: the Debian base image
 * built by scripts/services/base-image.sh, the Django API image built FROM it, migrated
 * against the Postgres of scripts/services/postgres.sh and served by gunicorn, the worker
 * command, and the React site built by Vite. Also the estate's deploy config against the
 * code it deploys (health path, ports, commands, output folder, cache rules).
 *
 * Needs `bash scripts/services/docker.sh` (.ci/run runs it, then base-image.sh and
 * postgres.sh) and the site's dependencies (`npm ci --prefix examples/estate/frontend`,
 * .ci/run does it). Without Docker or those dependencies the tests skip, saying why, except
 * under CI=true, where they fail. The base image is built once per machine (about two
 * minutes); later runs reuse it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { freePort } from '../azure-standin/containers.mjs'
import { buildkitCli, docker, dockerTestFor, requireDocker } from '../__fixtures__/docker.js'

const run = promisify(execFile)

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ESTATE = join(ROOT, 'examples', 'estate')
const BACKEND = join(ESTATE, 'backend')
const FRONTEND = join(ESTATE, 'frontend')
const dockerTest = dockerTestFor('estate-app')

const readEstate = (file: string) => readFileSync(join(ESTATE, file), 'utf8')

/** Runs a bash script of the repository; its stdout, trimmed (the scripts log on stderr). */
async function service(script: string, args: string[] = [], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(ROOT, 'scripts', 'services', script), ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
    return stdout.trim()
  } catch (error) {
    const failed = error as Error & { stderr?: string }
    throw new Error(`scripts/services/${script} failed: ${failed.message}\n${failed.stderr ?? ''}`)
  }
}

/** The status of a GET with the given Host header (fetch does not let a caller set Host). */
function statusFor(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { Host: host }, timeout: 5000 }, response => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('timeout', () => request.destroy(new Error(`GET ${url} (Host: ${host}) timed out`)))
    request.on('error', reject)
  })
}

describe('the Debian base image and the API image', () => {
  const sha = randomBytes(20).toString('hex')
  const image = `apd-test/tidepool-api:${sha}`
  const database = `estate_test_${randomBytes(4).toString('hex')}`
  const containers: string[] = []
  let baseImage = ''
  let databaseUrl = ''
  let cli = 'docker'

  const dockerRun = (args: string[], timeout = 60_000) => run(cli, ['run', ...args], { timeout })
  /** Runs a one-off command in the API image on the host network, as the release step does. */
  const inImage = (command: string[], env: Record<string, string> = {}) =>
    dockerRun(['--rm', '--network', 'host', ...Object.entries({ DJANGO_SECRET_KEY: 'estate-test', DATABASE_URL: databaseUrl, ...env }).flatMap(([name, value]) => ['-e', `${name}=${value}`]), image, ...command], 120_000)
  /** One row per line, columns split by "|", from Postgres' own client. */
  const sql = async (query: string) => (await run('psql', ['-X', '-At', '-d', databaseUrl, '-c', query])).stdout.trim().split('\n').filter(Boolean).map(line => line.split('|'))

  /** Runs a command in a running container, with extra environment variables. */
  const exec = (name: string, command: string[], env: Record<string, string> = {}) =>
    run(cli, ['exec', ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]), name, ...command], { timeout: 60_000 })

  /** Starts gunicorn from the image (its default command) on a free port, once /healthz answers. */
  async function serve(env: Record<string, string>): Promise<{ base: string; name: string }> {
    const port = await freePort()
    const name = `apd-estate-api-${randomBytes(4).toString('hex')}`
    containers.push(name)
    const envArgs = Object.entries({ DJANGO_SECRET_KEY: 'estate-test', PORT: String(port), ...env }).flatMap(([key, value]) => ['-e', `${key}=${value}`])
    await dockerRun(['-d', '--name', name, '--network', 'host', ...envArgs, image])
    const base = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 30_000
    let last = 'no answer yet'
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })
        if (response.status === 200) return { base, name }
        last = `HTTP ${response.status}`
      } catch (error) {
        last = (error as Error).message
      }
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    const logs = await run(cli, ['logs', name]).then(({ stdout, stderr }) => stdout + stderr, (error: Error) => error.message)
    throw new Error(`gunicorn in ${image} did not answer ${base}/healthz within 30 s (${last}); its log:\n${logs}`)
  }

  beforeAll(async () => {
    if (!docker.available && process.env.CI !== 'true') return
    requireDocker()
    cli = await buildkitCli()
    baseImage = await service('base-image.sh', [], 900_000)
    databaseUrl = await service('postgres.sh', [database])
    await run(cli, ['build', '--quiet', '--network', 'none', '--build-arg', `BASE_IMAGE=${baseImage}`, '--build-arg', `APP_VERSION=${sha}`, '--tag', image, BACKEND], {
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
      timeout: 300_000
    })
  }, 1_200_000)

  afterAll(async () => {
    if (!baseImage) return
    await Promise.all(containers.map(name => run(cli, ['rm', '--force', name]).catch(() => undefined)))
    await run(cli, ['image', 'rm', '--force', image]).catch(() => undefined)
    if (databaseUrl) await run('psql', ['-X', '-q', '-d', databaseUrl.replace(/\/[^/]+$/, '/postgres'), '-c', `DROP DATABASE IF EXISTS ${database}`]).catch(() => undefined)
  }, 60_000)

  // Each `docker run` copies the whole image on the vfs storage driver: the tests start three
  // containers in all, and run the rest with `docker exec` in the one that serves.
  dockerTest('base-image.sh names one image per package list, reuses it, and the Dockerfile defaults to it', async () => {
    expect(baseImage).toMatch(/^azure-push-deploy\/django-base:bookworm-[0-9a-f]{12}$/)
    const started = Date.now()
    expect(await service('base-image.sh')).toBe(baseImage)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(readEstate('backend/Dockerfile')).toContain(`ARG BASE_IMAGE=${baseImage}\n`)

    // Django, DRF and the rest from Debian; trimmed: no apt lists, man pages or docs left.
    const probe = [
      'python -c "import django, rest_framework, psycopg2, gunicorn, whitenoise, corsheaders, dj_database_url; print(django.get_version(), rest_framework.VERSION)"',
      'ls /var/lib/apt/lists /usr/share/man',
      'find /usr/share/doc -type f ! -name copyright | head -n 3'
    ].join('; ')
    const { stdout } = await dockerRun(['--rm', '--network', 'none', baseImage, 'sh', '-c', probe], 120_000)
    expect(stdout.trim()).toMatch(/^3\.2\.\d+ 3\.14\.\d+\n\/usr\/share\/man:\n\n\/var\/lib\/apt\/lists:$/)
  }, 180_000)

  dockerTest('the API image runs gunicorn as a user and carries its commit', async () => {
    const { stdout } = await run(cli, ['image', 'inspect', '--format', '{{.Config.User}} {{json .Config.Cmd}} {{json .Config.Env}}', image])
    const [user, cmd, env] = stdout.trim().split(' ')
    expect(user).toBe('app')
    expect(JSON.parse(cmd!)).toEqual(['gunicorn', 'config.wsgi'])
    expect(JSON.parse(env!)).toEqual(expect.arrayContaining([`APP_VERSION=${sha}`, 'DJANGO_SETTINGS_MODULE=config.settings', 'PORT=8000']))
  })

  dockerTest('migrate --noinput applies the migrations once; a second run applies nothing', async () => {
    // As the release step runs it: a one-off container of the new image, twice.
    const { stdout } = await inImage(['sh', '-c', 'python manage.py migrate --noinput && echo "--- again" && python manage.py migrate --noinput && python manage.py makemigrations --check --dry-run'])
    const [first, second] = stdout.split('--- again\n') as [string, string]
    expect(first).toContain('Applying notes.0001_initial... OK')
    expect(second).toContain('No migrations to apply.')
    expect(second).not.toContain('Applying')
    // The models and the migration agree: nothing left for makemigrations to write.
    expect(second).toContain('No changes detected')

    // One row per migration applied by the first run, none added by the second.
    const applied = [...first.matchAll(/Applying (\w+)\.(\w+)\.\.\. OK/g)].map(match => [match[1], match[2]])
    expect(await sql('SELECT app, name FROM django_migrations ORDER BY id')).toEqual(applied)
    expect(applied).toContainEqual(['notes', '0001_initial'])
    expect(await sql(`SELECT column_name FROM information_schema.columns WHERE table_name = 'notes_note' ORDER BY column_name`)).toEqual([['body'], ['created'], ['id'], ['processed'], ['title'], ['words']])
  }, 180_000)

  dockerTest('gunicorn serves /healthz with the commit, and /api/notes/ creates and lists a note; the worker processes it', async () => {
    const { base, name } = await serve({ DATABASE_URL: databaseUrl })

    const health = await fetch(`${base}/healthz`)
    expect(health.status).toBe(200)
    expect(health.headers.get('x-app-version')).toBe(sha)
    expect(health.headers.get('cache-control')).toContain('no-cache')
    expect(await health.json()).toEqual({ status: 'ok', version: sha })

    const title = `tide table ${randomBytes(3).toString('hex')}`
    const created = await fetch(`${base}/api/notes/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title, body: 'high water at noon' }) })
    expect(created.status).toBe(201)
    const note = (await created.json()) as { id: number; title: string; words: number | null }
    expect(note).toMatchObject({ title, words: null })

    const listed = await fetch(`${base}/api/notes/`, { headers: { Accept: 'application/json' } })
    expect(listed.status).toBe(200)
    const page = (await listed.json()) as { count: number; results: { id: number; title: string }[] }
    expect(page.results).toContainEqual(expect.objectContaining({ id: note.id, title }))

    // Host names: App Service's and loopback are served; any other gets 400.
    expect(await statusFor(`${base}/healthz`, 'app-tidepool-api-stage-1.azurewebsites.net')).toBe(200)
    expect(await statusFor(`${base}/healthz`, 'evil.example')).toBe(400)
    // Static files collected into the image, with hashed copies, served by WhiteNoise.
    const css = await fetch(`${base}/static/rest_framework/css/bootstrap.min.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    const { stdout: hashed } = await exec(name, ['sh', '-c', 'ls staticfiles/rest_framework/css | grep -E "^bootstrap\\.min\\.[0-9a-f]{12}\\.css$"'])
    expect((await fetch(`${base}/static/rest_framework/css/${hashed.trim()}`)).status).toBe(200)

    // The worker's command, run once: it counts the words of the waiting note.
    const worker = await exec(name, ['python', 'manage.py', 'process_notes', '--once'])
    expect(worker.stdout).toMatch(/processed [1-9]\d* note\(s\)/)
    expect(await sql(`SELECT words, processed IS NOT NULL FROM notes_note WHERE id = ${note.id}`)).toEqual([['7', 't']])

    // /healthz reads no database: with one that does not answer, the health check still
    // passes and only the API fails (Django's test client, in the same image).
    const deadPort = await freePort()
    const probe = [
      'from django.test import Client',
      'client = Client(HTTP_HOST="localhost", raise_request_exception=False)',
      'health = client.get("/healthz")',
      'print(health.status_code, health["X-App-Version"], client.get("/api/notes/").status_code)'
    ].join('\n')
    const { stdout: deadDatabase } = await exec(name, ['python', 'manage.py', 'shell', '-c', probe], { DATABASE_URL: `postgres://estate:unused@127.0.0.1:${deadPort}/estate` })
    expect(deadDatabase.trim()).toBe(`200 ${sha} 500`)
  }, 180_000)
})

describe('the site built by Vite', () => {
  const API_URL = 'https://api.stage.tidepool.example'
  const installed = existsSync(join(FRONTEND, 'node_modules', '.bin', 'vite'))
  const missing = 'examples/estate/frontend has no node_modules: run `npm ci --prefix examples/estate/frontend` (.ci/run does)'
  if (!installed && process.env.CI !== 'true') console.log(`estate-app site tests skipped: ${missing}`)
  const siteTest = installed || process.env.CI === 'true' ? test : test.skip

  let out = ''
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true })
  })

  siteTest('npm run build writes hashed assets, an index.html per route that loads them, and inlines VITE_API_URL', async () => {
    if (!installed) throw new Error(missing)
    out = await mkdtemp(join(tmpdir(), 'apd-estate-site-'))
    const dist = join(out, 'dist')
    // The package's own build script, its output sent to a temp folder instead of frontend/dist.
    await run('npm', ['run', 'build', '--', '--outDir', dist, '--emptyOutDir'], { cwd: FRONTEND, env: { ...process.env, VITE_API_URL: API_URL, CI: 'true' }, timeout: 120_000 })

    const files = ((await readdir(dist, { recursive: true, withFileTypes: true })) as { name: string; parentPath: string; isFile(): boolean }[])
      .filter(entry => entry.isFile())
      .map(entry => join(entry.parentPath, entry.name).slice(dist.length + 1))
      .sort()
    const assets = files.filter(file => file.startsWith('assets/'))
    expect(assets.length).toBeGreaterThanOrEqual(3)
    for (const asset of assets) expect(asset).toMatch(/^assets\/[\w-]+-[\w-]{8}\.(js|css)$/)
    expect(assets.filter(file => file.endsWith('.css'))).toHaveLength(1)
    expect(files.filter(file => !file.startsWith('assets/'))).toEqual(['about/index.html', 'favicon.svg', 'index.html', 'notes/index.html', 'robots.txt'])

    const index = await readFile(join(dist, 'index.html'), 'utf8')
    // The entry script, the stylesheet and the dependencies' chunk (preloaded), by their hashed names.
    const referenced = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map(match => match[1]).sort()
    expect(referenced).toEqual(assets)
    for (const route of ['notes', 'about']) expect(await readFile(join(dist, route, 'index.html'), 'utf8')).toBe(index)

    const scripts = await Promise.all(assets.filter(file => file.endsWith('.js')).map(file => readFile(join(dist, file), 'utf8')))
    expect(scripts.filter(text => text.includes(API_URL))).toHaveLength(1)
    expect(scripts.join('\n')).not.toContain('import.meta.env')
  })
})

describe("the estate's deploy config agrees with the code it deploys", () => {
  interface Target {
    app: string
    slot?: string
    command: string
    port?: number
  }
  interface Part {
    kind: string
    'image-from'?: string
    verify?: string
    health?: { path: string; 'version-header': string }
    output?: string
    'working-directory'?: string
    'build-env'?: Record<string, Record<string, string>>
    'cache-control'?: { match: string | string[]; value: string }[]
  }
  interface PartEnvironment {
    strategy?: string
    targets?: Target[]
    'app-settings'?: Record<string, unknown>
    release?: { command: string; 'run-on': string; env?: Record<string, unknown> }
  }
  // The next release's schema (parts with kinds, app settings, release steps, start
  // commands): read as YAML here, since today's loader reads only backend and frontend.
  const text = readEstate('.github/azure-deploy.yml')
  const config = parse(text) as { parts: Record<string, Part>; environments: Record<string, Record<string, PartEnvironment> & { branches?: string[]; tags?: string[] }> }
  const { api, worker, web } = config.parts as { api: Part; worker: Part; web: Part }

  test('three parts, three environments, as the team runs them', () => {
    expect(Object.entries(config.parts).map(([name, part]) => [name, part.kind])).toEqual([['api', 'image'], ['worker', 'image'], ['web', 'site']])
    expect(worker['image-from']).toBe('api')
    expect([api.verify, worker.verify]).toEqual(['version', 'platform'])
    const { dev, stage, prod } = config.environments as Record<string, Record<string, PartEnvironment> & { branches?: string[]; tags?: string[] }>
    expect([dev!.branches, stage!.branches, prod!.branches, prod!.tags]).toEqual([['master_dev'], ['stage'], ['main'], ['v*']])
    expect([dev!.api!.targets, stage!.api!.targets, prod!.api!.targets].map(targets => targets!.length)).toEqual([1, 2, 2])
    expect(prod!.api!.strategy).toBe('slot-swap')
    expect(prod!.api!.targets!.every(target => target.slot === 'staging')).toBe(true)
    expect([dev!.worker, stage!.worker, prod!.worker].map(worker => worker!.targets!.length)).toEqual([1, 1, 1])
    expect([dev!.api!.release!['run-on'], stage!.api!.release!['run-on'], prod!.api!.release!['run-on']]).toEqual(['runner', 'runner', 'container-instance'])
    // Values from secrets come through the step's env, never ${{ }} (GitHub does not expand it here).
    expect(text).not.toContain('${{')
    expect(dev!.api!['app-settings']!.DJANGO_SECRET_KEY).toEqual({ 'from-env': 'DJANGO_SECRET_KEY' })
    expect(prod!.api!['app-settings']!.DATABASE_URL).toMatch(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/[\w.-]+\/secrets\/[\w-]+\/\)$/)
  })

  test('health check, commands and ports are the ones the Django project has', () => {
    expect(api.health).toMatchObject({ path: '/healthz', 'version-header': 'X-App-Version' })
    expect(readEstate('backend/config/urls.py')).toContain(`path("${api.health!.path.slice(1)}", healthz)`)
    expect(readEstate('backend/config/health.py')).toContain(`response["${api.health!['version-header']}"]`)
    expect(readEstate('backend/Dockerfile')).toMatch(/^EXPOSE 8000$/m)

    const environments = Object.values(config.environments)
    for (const environment of environments) {
      for (const target of environment.api?.targets ?? []) expect(target).toMatchObject({ command: 'gunicorn config.wsgi -b 0.0.0.0:8000', port: 8000 })
      for (const target of environment.worker?.targets ?? []) expect(target).toMatchObject({ command: 'python manage.py process_notes', port: 8000 })
      expect(environment.api?.release?.command).toBe('python manage.py migrate --noinput')
      for (const part of [environment.api, environment.worker]) expect(part?.['app-settings']?.DJANGO_SETTINGS_MODULE ?? 'config.settings').toBe('config.settings')
    }
    expect(existsSync(join(BACKEND, 'notes', 'management', 'commands', 'process_notes.py'))).toBe(true)
    expect(existsSync(join(BACKEND, 'config', 'settings.py'))).toBe(true)
  })

  test("the site's output folder, API variable and cache rules are the ones Vite and the app use", () => {
    expect(web['working-directory']).toBe('frontend')
    const viteConfig = readEstate('frontend/vite.config.js')
    expect(viteConfig).toContain(`outDir: '${web.output}'`)
    expect(viteConfig).toContain(`assetsDir: 'assets'`)
    expect(readEstate('frontend/src/api.js')).toContain('import.meta.env.VITE_API_URL')
    expect(Object.keys(web['build-env']!)).toEqual(['dev', 'stage', 'prod'])
    for (const variables of Object.values(web['build-env']!)) expect(Object.keys(variables)).toEqual(['VITE_API_URL'])
    expect(web['cache-control']).toEqual([
      { match: 'assets/**', value: 'public, max-age=31536000, immutable' },
      { match: '**/*.html', value: 'no-cache' },
      { match: ['favicon.svg', 'robots.txt'], value: 'public, max-age=86400' }
    ])
  })
})
