/**
 * Hostile text from the push (branch and tag names, commit messages, file names) through the
 * bundled action as a runner runs it: change detection, the plan, the outputs, the job summary,
 * a real Docker build and rollout. Nothing of it may run (no shell ever sees it), become a
 * workflow command, replace an output, or reach the summary as HTML.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { parse, stringify } from 'yaml'
import { startAzureStandin } from '../azure-standin/index.mjs'
import { useAzureContract } from '../__fixtures__/azure-contract.js'
import { pushPayload, repoRoot, runAction, runnerEnvironment, scanForSecrets, secretLeaks } from '../scripts/lib/action-runner.mjs'
import { createEstate, git } from '../scripts/lib/git-fixture.mjs'
import { buildkitCli, dockerTestFor, REGISTRY, requireDocker, requireRegistry } from '../__fixtures__/docker.js'
import { ESTATE_FILES, SUBSCRIPTION } from './estate-config.js'

type Estate = ReturnType<typeof createEstate>
type Standin = Awaited<ReturnType<typeof startAzureStandin>>
type Run = Awaited<ReturnType<typeof runAction>>

const run = promisify(execFile)

/** The file every payload tries to create; unique per run, so no other test's file counts. */
const MARK = `pwned-${randomBytes(4).toString('hex')}`
/** Would be masked, were the injected `::add-mask::` obeyed. */
const MASKED = `masked-${randomBytes(4).toString('hex')}`
const STOP = `stop-${randomBytes(4).toString('hex')}`

/** Everything a ref name may hold (git refuses `:`, `[`, spaces and control characters, see below). */
const BRANCH = `feature/$(touch\${IFS}${MARK})\`touch\${IFS}${MARK}\`;touch\${IFS}${MARK}|tee\${IFS}${MARK}&>${MARK}%0A`
const TAG = `v1$(touch\${IFS}${MARK});\`touch\${IFS}${MARK}\``
const INJECTIONS = `\n::set-output name=result::deployed\n::add-mask::${MASKED}\n::stop-commands::${STOP}\n::error::injected error\n##[set-output name=result;]deployed\n%0A::warning::encoded\r::notice::carriage return`
const MESSAGE = `release $(touch /tmp/${MARK}) \`touch ${MARK}\`; touch ${MARK} | tee ${MARK} & echo > ${MARK}${INJECTIONS}`
/** File names of each part: shell syntax, HTML, and (Linux allows them) line breaks. */
const FILES = {
  backend: [`backend/$(touch ${MARK})`, `backend/\`touch ${MARK}\`;x|y&z>${MARK}`, `backend/evil${INJECTIONS}.c`],
  frontend: [`frontend/src/<img src=x onerror=alert(1)>.js`, `frontend/src/##[set-output name=result;]deployed %0A.js`, `frontend/src/x\r::error::cr.js`]
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
/** How the runner splits output into lines (.NET ReadLine). */
const runnerLines = (text: string) => text.split(/\r\n|\r|\n/)
const OUTPUT_NAMES = Object.keys((parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as { outputs: object }).outputs)

const estates: Estate[] = []
afterAll(() => {
  for (const estate of estates) estate.dispose()
})

/** No file named MARK anywhere the payloads could have written one. */
function expectNothingRan(estate: Estate): void {
  const places = [tmpdir(), '/tmp', process.cwd(), repoRoot, homedir()]
  const walk = (dir: string) => {
    places.push(dir)
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(path.join(dir, entry.name))
  }
  walk(estate.root)
  expect(places.filter(dir => existsSync(path.join(dir, MARK)))).toEqual([])
}

/**
 * Every line the runner would read as a command is one the action means: masks of its own
 * secrets, groups, debug, and its own warnings and error. None carries the injected text as
 * a command of its own, and no legacy `##[` command appears anywhere.
 */
function expectOnlyOwnCommands(result: Run): void {
  const lines = runnerLines(`${result.stdout}\n${result.stderr}`)
  expect(lines.filter(line => line.includes('##['))).toEqual([])
  const commands = lines.filter(line => /^\s*::/.test(line))
  expect(commands.filter(line => !/^::(add-mask|group|endgroup|debug|warning|error)::/.test(line))).toEqual([])
  expect(commands.filter(line => /^::add-mask::/.test(line) && (line.includes(MASKED) || line.includes(MARK)))).toEqual([])
  for (const text of [MASKED, STOP, 'injected error', 'encoded', 'carriage return']) {
    expect(lines.filter(line => /^\s*::/.test(line) && line.replace(/^\s*::[^:]*::/, '').trimStart().startsWith(text))).toEqual([])
  }
  // Only the action's own outputs, none of them the injected value.
  expect(Object.keys(result.outputs).filter(name => !OUTPUT_NAMES.includes(name))).toEqual([])
}

function startEstate(files: Record<string, string> = ESTATE_FILES): Estate {
  const estate = createEstate({ files })
  estate.push('main')
  estates.push(estate)
  return estate
}

/** The hostile files committed with the hostile message, pushed to `ref`; returns the push as the runner sees it. */
function hostilePush(estate: Estate, ref: string, files: string[] = [...FILES.backend, ...FILES.frontend]) {
  const sha = estate.commit(Object.fromEntries(files.map(name => [name, `${MESSAGE}\n`])), MESSAGE)
  const before = estate.push(ref)
  return { sha, before, event: { name: 'push', payload: pushPayload({ ref, before, after: sha, message: MESSAGE }) } }
}

describe('ref names', () => {
  test('git refuses every ref name that could hold a workflow command or a line break', () => {
    const allowed = (ref: string) => {
      try {
        git(tmpdir(), ['check-ref-format', ref])
        return true
      } catch {
        return false
      }
    }
    expect([allowed(`refs/heads/${BRANCH}`), allowed(`refs/tags/${TAG}`)]).toEqual([true, true])
    for (const name of ['a\nb', 'a\rb', 'a::set-output', '::error::x', 'a##[error]x', 'a b', 'a\tb', '%0A::x']) expect([name, allowed(`refs/heads/${name}`)]).toEqual([name, false])
  })
})

describe('a dry run of a hostile push', () => {
  const cases: [string, (estate: Estate) => { sha: string; ref: string; event: { name: string; payload: object }; env?: Record<string, string> }][] = [
    [
      'to a hostile branch',
      estate => {
        estate.branch(BRANCH)
        const push = hostilePush(estate, `refs/heads/${BRANCH}`)
        return { ...push, ref: `refs/heads/${BRANCH}` }
      }
    ],
    [
      'of a hostile tag',
      estate => {
        const push = hostilePush(estate, `refs/tags/${TAG}`)
        return { ...push, ref: `refs/tags/${TAG}` }
      }
    ],
    [
      'as a pull request from a hostile branch',
      estate => {
        const base = estate.head()
        estate.branch(BRANCH)
        const { sha } = hostilePush(estate, `refs/heads/${BRANCH}`)
        const payload = { action: 'synchronize', number: 7, pull_request: { number: 7, title: MESSAGE, body: MESSAGE, head: { ref: BRANCH, sha }, base: { ref: 'main', sha: base } } }
        return { sha, ref: 'refs/pull/7/merge', event: { name: 'pull_request', payload }, env: { GITHUB_HEAD_REF: BRANCH, GITHUB_BASE_REF: 'main' } }
      }
    ]
  ]
  test.each(cases)('%s: detected and planned verbatim, nothing run, no command injected, the summary escaped', async (_name, push) => {
    const estate = startEstate()
    const base = estate.head()
    const { sha, ref, event, env } = push(estate)
    // A new branch or tag has no previous commit: the baseline input gives one, so the files are listed.
    const inputs = { 'dry-run': 'true', 'subscription-id': SUBSCRIPTION, ...(event.name === 'push' ? { baseline: base } : {}) }
    const result = await runAction({ workspace: estate.checkout(sha, ref), sha, ref, event, env, inputs })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.outputs.result).toBe('planned')
    expect(result.outputs.environment).toBe(ref.startsWith('refs/tags/') ? 'prod' : 'dev')
    // The ref is logged quoted, on the first line.
    expect(result.stdout.split('\n').find(line => line.startsWith('azure-push-deploy:'))).toBe(`azure-push-deploy: ${event.name} of ${sha} (${JSON.stringify(ref)})`)

    // Every hostile name reached the plan (through GITHUB_OUTPUT) byte for byte.
    const plan = JSON.parse(result.outputs.plan!) as { parts: { part: string; change: { fileCount: number; examples: string[] } }[] }
    expect(plan.parts.map(p => [p.part, [...p.change.examples].sort()])).toEqual([
      ['backend', [...FILES.backend].sort()],
      ['frontend', [...FILES.frontend].sort()]
    ])
    // …and the log, each quoted on a line of its own.
    for (const file of [...FILES.backend, ...FILES.frontend]) expect(result.stdout).toContain(`\n  ${JSON.stringify(file).replaceAll('##[', '##\\u005b')}\n`)
    // The summary shows them as text, never as HTML.
    for (const file of [...FILES.backend, ...FILES.frontend]) expect(result.summary).toContain(`<code>${escapeHtml(file)}</code>`)
    expect(result.summary).not.toContain('<img')
    // The commit message is never read: it shows nowhere, escaped or not.
    expect(`${result.stdout}${result.summary}${JSON.stringify(result.outputs)}`).not.toContain('release $(touch')

    expectOnlyOwnCommands(result)
    expectNothingRan(estate)
  })

  test('a value with line breaks and workflow commands round-trips through GITHUB_OUTPUT unchanged', async () => {
    const hostile = `first line${INJECTIONS}\nresult<<EOF\ndeployed\nEOF\nlast=line`
    const runner = runnerEnvironment({ workspace: tmpdir(), sha: 'a'.repeat(40) })
    try {
      const core = path.join(repoRoot, 'node_modules', '@actions', 'core', 'lib', 'core.js')
      const script = `import(${JSON.stringify(core)}).then(core => { core.setOutput('plan', process.env.HOSTILE); core.setOutput('result', 'planned') })`
      const child = spawn(process.execPath, ['-e', script], { env: { ...runner.env, HOSTILE: hostile }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk))
      expect(await new Promise(resolve => child.on('close', resolve))).toBe(0)
      expect(stdout).toBe('')
      expect(runner.results().outputs).toEqual({ plan: hostile, result: 'planned' })
    } finally {
      runner.dispose()
    }
  })
})

describe('a repository path that leaves the checkout, through the bundled action', () => {
  const cases: [string, [string, string], RegExp][] = [
    ['a build context that is a symlink to /etc', ['    context: backend\n', '    context: backend-link\n'], /parts\.backend\.context \("backend-link"\) leads outside the repository, to \/etc, through a symlink\./],
    ['a Dockerfile above the repository', ['    context: backend\n', '    context: backend\n    file: ../Dockerfile\n'], /parts\.backend\.file \(line \d+\): must stay inside the repository \(no "\.\."\) \(got "\.\.\/Dockerfile"\)/],
    ['an absolute output folder', ['    working-directory: frontend\n', '    working-directory: frontend\n    output: /etc\n'], /parts\.frontend\.output \(line \d+\): must be relative to the repository root, not absolute \(got "\/etc"\)/]
  ]
  test.each(cases)('%s: exit 1, the key named, nothing planned, signed in to or built, result failed', async (_name, [from, to], message) => {
    const estate = startEstate({ ...ESTATE_FILES, '.github/azure-deploy.yml': ESTATE_FILES['.github/azure-deploy.yml']!.replace(from, to) })
    // A link committed to the repository, as git stores it; the checkout makes it again.
    symlinkSync('/etc', path.join(estate.work, 'backend-link'))
    const sha = estate.commit({}, MESSAGE)
    const before = estate.push('main')
    const result = await runAction({
      workspace: estate.checkout(sha),
      sha,
      event: { name: 'push', payload: pushPayload({ ref: 'refs/heads/main', before, after: sha }) },
      inputs: { 'subscription-id': SUBSCRIPTION, 'client-id': '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b', 'tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47' }
    })
    expect(result.exitCode).toBe(1)
    const error = (result.stdout.split('\n').find(line => line.startsWith('::error::')) ?? '').replaceAll('%0A', '\n')
    expect(error).toMatch(message)
    expect(result.outputs.result).toBe('failed')
    expect(result.outputs.plan).toBeUndefined()
    expect(result.stdout).not.toMatch(/Building|Signing in|Azure: /)
  })
})

describe('the secret scan every end-to-end run goes through', () => {
  test('a run whose output shows a secret is rejected, naming where, the secret blanked', async () => {
    const estate = startEstate()
    const secret = `leaked-${randomBytes(8).toString('hex')}`
    // The action echoes an unknown environment name in its error: here, the secret.
    const leaking = runAction({ workspace: estate.checkout(estate.head()), sha: estate.head(), inputs: { environment: secret, 'dry-run': 'true' }, secrets: [secret] })
    const error = await leaking.then(
      () => undefined,
      (thrown: unknown) => thrown as Error
    )
    expect(error?.message).toMatch(/^the action wrote 1 secret where the runner would show it:\n {2}stdout line \d+: ::error::azure-push-deploy: environment "\*\*\*" is not defined/)
    expect(error?.message).not.toContain(secret)
  })

  test('the ::add-mask:: command is the one place a secret may be; every other file is scanned', () => {
    const written = { stdout: '::add-mask::s3cr3t-value\nok', stderr: '', outputsFile: '', summary: '' }
    expect(secretLeaks(written, ['s3cr3t-value'])).toEqual([])
    expect(secretLeaks({ ...written, stderr: 'x\ns3cr3t-value' }, ['s3cr3t-value'])).toEqual(['stderr line 2: ***'])
    expect(secretLeaks({ ...written, outputsFile: 'plan<<EOF\n{"a":"s3cr3t-value"}' }, ['s3cr3t-value'])).toEqual(['outputsFile line 2: {"a":"***"}'])
    expect(secretLeaks({ ...written, summary: '<td>s3cr3t-value</td>' }, ['s3cr3t-value', '', 'short'])).toEqual(['summary line 1: <td>***</td>'])
  })
})

// ---------------------------------------------------------------------------------------------
// A real build and rollout of a hostile push.

const dockerTest = dockerTestFor('e2e-untrusted')
const CLIENT = '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
const REPOSITORY = `e2e/untrusted-${randomBytes(4).toString('hex')}`
const BACKEND = new URL('../__fixtures__/estate-legacy/backend/', import.meta.url)
const backendFile = (name: string) => readFileSync(new URL(name, BACKEND), 'utf8')

let standin: Standin | undefined
const contract = useAzureContract()
let runnerPath = process.env.PATH ?? ''
scanForSecrets(() => standin?.issuedTokens() ?? [])

describe('a real backend build and rollout of a hostile push', () => {
  beforeAll(async () => {
    if (process.env.CI === 'true') requireDocker()
    standin = await startAzureStandin({ containers: 'auto', onExchange: contract.onExchange })
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), standin.caCertPem])
    // The token's subject names the hostile branch, as GitHub's would.
    const subject = `repo:octo-org/estate:ref:refs/heads/${BRANCH}`
    standin.registerApplication({ clientId: CLIENT, federatedCredentials: [{ subject }] })
    standin.setOidcClaims({ sub: subject, ref: `refs/heads/${BRANCH}` })
    standin.setContainerStartLimit(20_000)
    try {
      runnerPath = `${path.dirname(await buildkitCli())}:${runnerPath}`
    } catch {
      // The action falls back to the classic builder.
    }
  }, 60_000)

  afterAll(async () => {
    await standin?.close()
  })

  dockerTest(
    'built, pushed, labelled and rolled out with the action’s own values; nothing of the push ran or became a command',
    async () => {
      await requireRegistry()
      const s = standin!
      const config = `${stringify({ cloud: s.cloudSetting })}parts:
  backend:
    paths: ['backend/**']
    context: backend
    registry: ${REGISTRY}
    repository: ${REPOSITORY}
    cache: none
    health: { path: /healthz, version-header: X-App-Version, timeout: 30, consecutive: 2, interval: 0.25 }
environments:
  dev:
    branches: ['feature/*']
    backend:
      targets: [{ resource-group: rg-untrusted, app: api-untrusted }]
`
      await s.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: 'rg-untrusted', name: 'api-untrusted', appSettings: { WEBSITES_PORT: '8000' } })
      const estate = startEstate({
        '.github/azure-deploy.yml': config,
        'backend/server.c': backendFile('server.c'),
        'backend/Dockerfile': backendFile('Dockerfile'),
        'backend/build-server.sh': backendFile('build-server.sh'),
        // The hostile files go into the build context too.
        'backend/.dockerignore': '*\n!server\n!$*\n!`*\n!evil*\n'
      })
      const baseline = estate.head()
      estate.branch(BRANCH)
      const ref = `refs/heads/${BRANCH}`
      const { sha, event } = hostilePush(estate, ref, FILES.backend)
      const workspace = estate.checkout(sha, ref)
      await run('sh', [path.join(workspace, 'backend', 'build-server.sh')])
      const result = await runAction({
        workspace,
        sha,
        ref,
        event,
        // Compared with the commit before the hostile one, so its files are listed everywhere.
        inputs: { 'client-id': CLIENT, 'tenant-id': s.tenantId, 'subscription-id': SUBSCRIPTION, baseline },
        env: { NODE_EXTRA_CA_CERTS: s.caCertPath, ACTIONS_ID_TOKEN_REQUEST_URL: s.githubOidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: s.githubOidc.requestToken, PATH: runnerPath },
        timeoutMs: 240_000
      })
      expect(result.stdout.split('\n').filter(line => line.startsWith('::error::'))).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.outputs.result).toBe('deployed')
      expect(result.outputs.environment).toBe('dev')
      expect([result.outputs['backend-reason'], result.outputs['backend-base']]).toEqual(['input', baseline])
      const image = `${REGISTRY}/${REPOSITORY}:${sha}`
      expect(result.outputs.image).toMatch(new RegExp(`^${image.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`))
      expect((JSON.parse(result.outputs.targets!) as { status: string }[]).map(t => t.status)).toEqual(['deployed'])

      // The image's labels and version are the action's own values, not the push's text.
      const docker = await buildkitCli().catch(() => 'docker')
      await run(docker, ['pull', '--quiet', image])
      const labels = JSON.parse((await run(docker, ['image', 'inspect', '--format', '{{json .Config.Labels}}', image])).stdout) as Record<string, string>
      expect(labels).toEqual({ 'org.opencontainers.image.revision': sha, 'org.opencontainers.image.source': 'https://github.com/octo-org/estate', 'org.opencontainers.image.created': expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
      const site = s.state().sites.find(entry => entry.name === 'api-untrusted' && entry.slot === 'production')
      expect((await fetch(`https://${site?.defaultHostName}/healthz`)).headers.get('x-app-version')).toBe(sha)

      for (const file of FILES.backend) expect(result.summary).toContain(`<code>${escapeHtml(file)}</code>`)
      expectOnlyOwnCommands(result)
      expectNothingRan(estate)
    },
    300_000
  )
})
