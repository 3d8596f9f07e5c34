/**
 * `npm run smoke`: the real-Azure smoke test, run here with `--standin` (the Azure stand-in
 * and Azurite, started by the script) so it keeps working for the first user who runs it
 * against Azure.
 */
import { describe, expect, test } from '@jest/globals'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { startStandinEstate } from '../scripts/smoke/standin-estate.mjs'
import { formatTable, runSmoke } from '../scripts/smoke/steps.mjs'

const ROOT = path.resolve(import.meta.dirname, '..')

/** Runs scripts/smoke.mjs as `npm run smoke -- …` does. */
function smoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/smoke.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => (stdout += String(chunk)))
    child.stderr.on('data', chunk => (stderr += String(chunk)))
    child.once('error', reject)
    child.once('close', code => resolve({ code, stdout, stderr }))
  })
}

/** The table's rows as { result, step, rest }. */
function rowsOf(stdout: string): { result: string; step: string; line: string }[] {
  return stdout
    .split('\n')
    .slice(2)
    .filter(line => /^(ok|differs|failed|skipped) /.test(line))
    // Columns are padded to their widest cell: split at the padding, not at a fixed offset.
    .map(line => ({ result: line.split(/\s+/)[0] ?? '', step: line.split(/\s{2,}/)[1] ?? '', line }))
}

describe('npm run smoke -- --standin', () => {
  test('every step matches: sign-in, switch and back, swap and back, upload, purges, delete; the contract check finds nothing', async () => {
    const { code, stdout, stderr } = await smoke(['--standin'])
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
    const rows = rowsOf(stdout)
    const result = (step: RegExp) => rows.find(row => step.test(row.step))
    expect(rows.map(row => row.step)).toEqual([
      'sign-in',
      'read smoke-api: site and site config',
      'list smoke-api sitecontainers',
      'switch smoke-api to mcr.microsoft.com/appsvc/staticsite:latest',
      'switch smoke-api back',
      'swap staging into production',
      'swap staging back',
      'read static website properties',
      expect.stringMatching(/^upload \$web\/azure-push-deploy-smoke-[0-9a-f]{8}\.txt$/),
      'read Front Door fd-smoke/web',
      expect.stringMatching(/^purge \/azure-push-deploy-smoke-[0-9a-f]{8}\.txt on Front Door web$/),
      'read CDN cdn-smoke/static',
      expect.stringMatching(/^purge \/azure-push-deploy-smoke-[0-9a-f]{8}\.txt on CDN static$/),
      expect.stringMatching(/^delete \$web\/azure-push-deploy-smoke-[0-9a-f]{8}\.txt$/)
    ])
    expect(rows.filter(row => row.result !== 'ok')).toEqual([])
    expect(result(/^switch smoke-api to/)?.line).toMatch(/PATCH 200\s+linuxFxVersion 'DOCKER\|mcr\.microsoft\.com\/appsvc\/staticsite:latest'/)
    expect(result(/^switch smoke-api back/)?.line).toMatch(/linuxFxVersion 'DOCKER\|127\.0\.0\.1:5000\/smoke\/api:v1'/)
    // App Service answers a swap with Location only (no Azure-AsyncOperation), as the stand-in does.
    expect(result(/^swap staging into production/)?.line).toMatch(/POST 202 \(Location\) → \d+ polls? → 200\s+production 'DOCKER\|127\.0\.0\.1:5000\/smoke\/api:v2', staging 'DOCKER\|127\.0\.0\.1:5000\/smoke\/api:v1'/)
    expect(result(/^swap staging back/)?.line).toMatch(/production 'DOCKER\|127\.0\.0\.1:5000\/smoke\/api:v1', staging 'DOCKER\|127\.0\.0\.1:5000\/smoke\/api:v2'/)
    expect(result(/^upload/)?.line).toMatch(/PUT 201\s+\d+ bytes, text\/plain; charset=utf-8, Content-MD5 matches/)
    expect(result(/^purge .* on Front Door/)?.line).toMatch(/POST 202 \(Azure-AsyncOperation, Location\) → \d+ polls? → 200/)
    expect(result(/^delete/)?.line).toMatch(/DELETE 202\s+gone/)
    expect(stdout).toMatch(/contract check: \d+ ARM requests and \d+ answers checked \(\d+ polls\), 0 outside the contract/)
  }, 180_000)

  test('a step Azure refuses is a failed row with Azure\'s reason, and the switch back still runs', async () => {
    const estate = await startStandinEstate({ image: 'not a valid image' })
    try {
      const rows = await runSmoke({ ...estate, storageAccount: undefined, blobEndpoint: undefined, slot: undefined, timeoutSeconds: 60 })
      const table = formatTable(rows)
      expect(rows.map(row => [row.step, row.result])).toEqual([
        ['sign-in', 'ok'],
        ['read smoke-api: site and site config', 'ok'],
        ['list smoke-api sitecontainers', expect.stringMatching(/^(ok|skipped)$/)],
        ['switch smoke-api to not a valid image', 'failed'],
        ['switch smoke-api back', 'ok']
      ])
      expect(table).toMatch(/failed\s+switch smoke-api to not a valid image\s+PATCH 400\s+.*LinuxFxVersion/)
      expect(estate.contract().violations).toEqual([])
    } finally {
      await estate.close()
    }
  }, 120_000)

  test('usage errors exit 2 and say what is missing', async () => {
    const missing = await smoke(['--web-app', 'api'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--subscription and --resource-group are required')
    const purgeWithoutStorage = await smoke(['--subscription', 's', '--resource-group', 'rg', '--frontdoor-profile', 'fd', '--frontdoor-endpoint', 'web'])
    expect(purgeWithoutStorage.code).toBe(2)
    expect(purgeWithoutStorage.stderr).toContain('give --storage-account too')
  })
})
