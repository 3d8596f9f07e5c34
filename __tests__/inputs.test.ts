import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { InputError } from '../src/errors.js'
import { forcedParts, getInputs, isCommitSha, type ActionInputs, type PartsSelection } from '../src/inputs.js'
import { thrownBy } from '../__fixtures__/errors.js'

type Inputs = Record<string, string>

let savedEnv: NodeJS.ProcessEnv

beforeEach(() => {
  savedEnv = { ...process.env }
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('INPUT_')) delete process.env[key]
  }
})

afterEach(() => {
  process.env = savedEnv
})

/** Set `with:` values the way the runner does: INPUT_ + upper-cased name, spaces as underscores. */
function setInputs(inputs: Inputs): void {
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
}

/** Run `work` with stdout captured, so workflow commands such as ::add-mask:: can be read. */
function withStdout<T>(work: () => T): { outcome: { value: T } | { error: unknown }; stdout: string } {
  const written: string[] = []
  const originalWrite = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    return true
  }) as typeof process.stdout.write
  try {
    return { outcome: { value: work() }, stdout: written.join('') }
  } catch (error) {
    return { outcome: { error }, stdout: written.join('') }
  } finally {
    process.stdout.write = originalWrite
  }
}

function inputErrorFor(inputs: Inputs): InputError {
  setInputs(inputs)
  return thrownBy(InputError, getInputs)
}

const UPPER_SHA = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01'

describe('getInputs', () => {
  test('defaults when no input is set', () => {
    const defaults: ActionInputs = {
      environment: undefined,
      configPath: '.github/azure-deploy.yml',
      parts: 'auto',
      baseline: undefined,
      dryRun: false,
      githubToken: undefined,
      githubDeployments: true,
      clientId: undefined,
      tenantId: undefined,
      subscriptionId: undefined,
      clientSecret: undefined,
      auth: 'auto',
      allowMassDelete: false,
      deadlineMinutes: 60
    }
    expect(getInputs()).toEqual(defaults)
  })

  test('reads every input by its action.yml name', () => {
    setInputs({
      environment: 'staging',
      config: 'deploy/azure.yml',
      parts: 'frontend',
      baseline: '0123456789abcdef0123456789abcdef01234567',
      'dry-run': 'true',
      'github-token': 'ghs_token',
      'github-deployments': 'false',
      'client-id': 'client-guid',
      'tenant-id': 'tenant-guid',
      'subscription-id': 'subscription-guid',
      'client-secret': 'the-secret',
      auth: 'client-secret',
      'registry-username': 'pusher',
      'registry-password': 'registry-secret',
      'rollback-to': 'fedcba9876543210fedcba9876543210fedcba98',
      'allow-mass-delete': 'true',
      deadline: '25'
    })
    const { outcome } = withStdout(() => getInputs())
    expect(outcome).toEqual({
      value: {
        environment: 'staging',
        configPath: 'deploy/azure.yml',
        parts: { names: ['frontend'] },
        baseline: '0123456789abcdef0123456789abcdef01234567',
        dryRun: true,
        githubToken: 'ghs_token',
        githubDeployments: false,
        clientId: 'client-guid',
        tenantId: 'tenant-guid',
        subscriptionId: 'subscription-guid',
        clientSecret: 'the-secret',
        auth: 'client-secret',
        registryUsername: 'pusher',
        registryPassword: 'registry-secret',
        rollbackTo: 'fedcba9876543210fedcba9876543210fedcba98',
        allowMassDelete: true,
        deadlineMinutes: 25
      }
    })
  })

  test.each<[string, Inputs, Partial<ActionInputs>]>([
    ['baseline auto means "decide from what is deployed"', { baseline: 'auto' }, { baseline: undefined }],
    ['an upper-case 40-hex SHA is lower-cased', { baseline: UPPER_SHA }, { baseline: UPPER_SHA.toLowerCase() }],
    ['a SHA-256 commit id is accepted', { baseline: 'a'.repeat(64) }, { baseline: 'a'.repeat(64) }],
    ['whitespace around the baseline is ignored', { baseline: `  ${UPPER_SHA}\n` }, { baseline: UPPER_SHA.toLowerCase() }],
    ['parts all', { parts: 'all' }, { parts: 'all' }],
    ['parts is trimmed', { parts: ' backend ' }, { parts: { names: ['backend'] } }],
    ['parts names, by comma or space, once each', { parts: 'api, worker admin,api' }, { parts: { names: ['api', 'worker', 'admin'] } }],
    ['dry-run True', { 'dry-run': 'True' }, { dryRun: true }],
    ['dry-run FALSE', { 'dry-run': 'FALSE' }, { dryRun: false }],
    ['auth oidc', { auth: 'oidc' }, { auth: 'oidc' }],
    ['auth azure-cli', { auth: 'azure-cli' }, { auth: 'azure-cli' }],
    ['an empty environment resolves from the branch map', { environment: '' }, { environment: undefined }],
    ['an empty config falls back to the default path', { config: '' }, { configPath: '.github/azure-deploy.yml' }]
  ])('%s', (_name, inputs, expected) => {
    setInputs(inputs)
    expect(getInputs()).toMatchObject(expected)
  })

  test.each<[string, Inputs, string, string]>([
    ['parts is case-sensitive', { parts: 'Backend' }, `input 'parts' is "Backend": "Backend" is not a part name.`, "Set 'parts:' to auto, all, or part names from the config"],
    ['parts with a shell character', { parts: 'api;rm' }, `input 'parts' is "api;rm": "api;rm" is not a part name.`, "Set 'parts:'"],
    ['a deadline that is not a number', { deadline: 'soon' }, `input 'deadline' is "soon", which is not a number of minutes between 1 and 360.`, "Set 'deadline:' to the minutes the deploy may take"],
    ['a deadline past a job’s longest timeout', { deadline: '361' }, `input 'deadline' is "361", which is not a number of minutes between 1 and 360.`, "Set 'deadline:'"],
    ['a branch name as baseline', { baseline: 'main' }, `input 'baseline' is "main", which is not a full commit SHA.`, 'Give the 40-character SHA'],
    ['a short SHA as baseline', { baseline: 'abc123' }, `input 'baseline' is "abc123", which is not a full commit SHA.`, "or 'auto' to compare against what is deployed"],
    ['a 39-character SHA as baseline', { baseline: 'a'.repeat(39) }, `input 'baseline' is "${'a'.repeat(39)}", which is not a full commit SHA.`, 'Give the 40-character SHA'],
    ['a ref expression as baseline', { baseline: 'HEAD~1' }, `input 'baseline' is "HEAD~1", which is not a full commit SHA.`, 'github.event.before'],
    ['dry-run yes', { 'dry-run': 'yes' }, `input 'dry-run' is "yes", which is not a boolean.`, "Set 'dry-run:' to true or false."],
    ['dry-run 1', { 'dry-run': '1' }, `input 'dry-run' is "1", which is not a boolean.`, "Set 'dry-run:' to true or false."],
    [
      'an unknown auth mode',
      { auth: 'password' },
      `input 'auth' is "password", which is not one of: auto, oidc, azure-cli, client-secret.`,
      `Set 'auth:' in the workflow step to one of 'auto', 'oidc', 'azure-cli', 'client-secret'.`
    ]
  ])('%s is rejected', (_name, inputs, message, hint) => {
    const error = inputErrorFor(inputs)
    expect(error.message).toBe(message)
    expect(error.hint).toContain(hint)
  })

  describe('secrets', () => {
    test('the github token and client secret are masked', () => {
      setInputs({ 'github-token': 'ghs_0123456789secret', 'client-secret': 'Azure~Client.Secret_42' })
      const { outcome, stdout } = withStdout(() => getInputs())

      expect(outcome).toMatchObject({ value: { githubToken: 'ghs_0123456789secret', clientSecret: 'Azure~Client.Secret_42' } })
      expect(stdout.split(/\r?\n/)).toEqual(expect.arrayContaining(['::add-mask::ghs_0123456789secret', '::add-mask::Azure~Client.Secret_42']))
    })

    test('secrets are masked even when another input is rejected', () => {
      setInputs({ 'github-token': 'ghs_masked_first', 'client-secret': 'secret-masked-first', parts: 'Everything' })
      const { outcome, stdout } = withStdout(() => getInputs())

      expect(outcome).toEqual({ error: expect.any(InputError) })
      expect(stdout).toContain('::add-mask::ghs_masked_first')
      expect(stdout).toContain('::add-mask::secret-masked-first')
    })

    test('nothing is masked when no secret is given', () => {
      setInputs({ 'client-id': 'not-a-secret', 'subscription-id': 'also-not-a-secret' })
      const { stdout } = withStdout(() => getInputs())
      expect(stdout).not.toContain('::add-mask::')
    })
  })
})

describe('isCommitSha', () => {
  test.each([
    ['0123456789abcdef0123456789abcdef01234567', true],
    ['f'.repeat(64), true],
    [UPPER_SHA, false],
    ['0123456', false],
    ['g'.repeat(40), false],
    ['', false]
  ])('%j → %s', (value, expected) => {
    expect(isCommitSha(value)).toBe(expected)
  })
})

describe('forcedParts', () => {
  const configured = ['backend', 'frontend']
  test.each<[string, PartsSelection, readonly string[] | undefined]>([
    ['auto', 'auto', undefined],
    ['backend', { names: ['backend'] }, ['backend']],
    ['frontend', { names: ['frontend'] }, ['frontend']],
    ['all', 'all', ['backend', 'frontend']]
  ])('%s → %j', (_name, selection, expected) => {
    expect(forcedParts(selection, configured)).toEqual(expected)
  })

  test('a name the config does not have is refused, listing the parts', () => {
    const error = thrownBy(InputError, () => forcedParts({ names: ['backend', 'fronted'] }, configured))
    expect(error.message).toBe(`input 'parts' names "fronted", which the config does not have. Its parts: backend, frontend.`)
    expect(error.hint).toBe("Set 'parts:' to auto, all, or some of those names.")
  })
})
