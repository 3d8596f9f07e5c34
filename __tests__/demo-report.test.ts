/** The report npm run demo ends with: one aligned table, skipped parts and failures said plainly. */
import { describe, expect, test } from '@jest/globals'
import { formatReport, formatTable, phasesFromSummary, stepRow, wrap, type StepReport } from '../scripts/demo/report.mjs'

const deployedBackend: StepReport = {
  name: 'push 2',
  title: 'backend change',
  commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  files: ['backend/README.md', 'backend/server.c'],
  detected: [
    { part: 'backend', changed: true, reason: 'deployed', files: 1 },
    { part: 'frontend', changed: false, reason: 'deployed', files: 0 }
  ],
  deployed: [{ part: 'backend', where: ['app-tidepool-api-stage-1 deployed', 'app-tidepool-api-stage-2 deployed'] }],
  skipped: [],
  urls: ['https://127.0.0.1:40001', 'https://127.0.0.1:40002'],
  phases: [{ part: 'backend', seconds: { build: 2.4, push: 0.6, read: 0.1, switch: 0.3, verify: 1.6 } }],
  otherSeconds: 1.23,
  actionSeconds: 6.23,
  totalSeconds: 7.5,
  outcome: 'deployed',
  problems: []
}

/** Column start offsets of the header line: where each header word begins. */
function columnStarts(header: string): number[] {
  return [...header.matchAll(/(?:^|(?<=\s{2}))\S/g)].map(match => match.index)
}

describe('formatTable', () => {
  test('pads every column to its widest line, two spaces apart, a rule under the header', () => {
    const lines = formatTable(['a', 'bb', 'c'], [
      ['long cell', ['x', 'second line'], 'z'],
      ['s', 'yy', ['1', '2', '3']]
    ])
    expect(lines).toEqual([
      'a          bb           c',
      '─────────  ───────────  ─',
      'long cell  x            z',
      '           second line',
      '',
      's          yy           1',
      '                        2',
      '                        3'
    ])
  })

  test('an empty cell keeps the columns after it aligned', () => {
    const [, , first, between, second] = formatTable(['one', 'two'], [['', 'b'], ['a', []]])
    expect(first).toBe('     b')
    expect(between).toBe('')
    expect(second).toBe('a')
  })
})

describe('wrap', () => {
  test('breaks at spaces within the width, indenting the continuation lines', () => {
    expect(wrap('backend: skipped, no Docker engine here', 20, '  ')).toEqual(['backend: skipped, no', '  Docker engine here'])
    expect(wrap('short', 20)).toEqual(['short'])
    expect(wrap('', 20)).toEqual([''])
  })

  test('a list breaks only between its items', () => {
    expect(wrap(['read 0.1 s,', 'switch 0.3 s,', 'verify 1.6 s'], 26)).toEqual(['read 0.1 s, switch 0.3 s,', 'verify 1.6 s'])
  })

  test('a word longer than the width gets a line of its own', () => {
    expect(wrap('a https://127.0.0.1:40001/devstoreaccount1 b', 10)).toEqual(['a', 'https://127.0.0.1:40001/devstoreaccount1', 'b'])
  })
})

describe('formatReport', () => {
  test('one row per step, every cell starting at its column, times in seconds', () => {
    const frontend: StepReport = {
      ...deployedBackend,
      name: 'push 1',
      title: 'frontend change',
      commit: 'f0e1d2c3b4a5968778695a4b3c2d1e0f00112233',
      files: ['frontend/src/App.jsx'],
      detected: [
        { part: 'backend', changed: false, reason: 'deployed', files: 0 },
        { part: 'frontend', changed: true, reason: 'not-deployed', files: 9 }
      ],
      deployed: [{ part: 'frontend', where: ['$web (9 of 9 uploaded)', 'purge afd-tidepool/tidepool-web-stage'] }],
      urls: ['https://stage.tidepool.example'],
      phases: [{ part: 'frontend', seconds: { lock: 0, build: 0.5, archive: 0.1, upload: 0.4, purge: 1.1, delete: 0.1 } }]
    }
    const text = formatReport({ steps: [frontend, deployedBackend], totalSeconds: 42.04 })
    const lines = text.split('\n')
    const starts = columnStarts(lines[0]!)
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['step', 'changed files', 'detected (reason)', 'deployed to', 'URLs', 'timings', 'total', 'result'])
    expect(starts).toHaveLength(8)

    // The first line of each row has text at every column start, and only there.
    for (const row of [lines.find(line => line.startsWith('push 1'))!, lines.find(line => line.startsWith('push 2'))!]) {
      expect(columnStarts(row)).toEqual(starts)
    }
    const push2 = lines.findIndex(line => line.startsWith('push 2'))
    expect(lines[push2]!.slice(starts[2]!)).toMatch(/^backend \(deployed, 1 file\)/)
    expect(lines[push2]!.slice(starts[3]!)).toMatch(/^backend: /)
    expect(lines[push2 + 1]!.slice(starts[3]!)).toMatch(/^ {2}app-tidepool-api-stage-1 deployed/)
    expect(lines[push2 + 2]!.slice(starts[3]!)).toMatch(/^ {2}app-tidepool-api-stage-2 deployed/)
    expect(lines[push2 + 1]!.slice(starts[2]!)).toMatch(/^frontend: no change/)
    expect(lines[push2]!.slice(starts[6]!)).toMatch(/^7\.5 s {2,}✓ deployed$/)
    expect(lines[push2 + 1]!.slice(starts[6]!)).toMatch(/^action 6\.2 s/)
    expect(lines[push2]!.slice(starts[5]!)).toMatch(/^backend: /)
    // A phase and its seconds are never split across lines.
    expect(lines[push2 + 1]!.slice(starts[5]!)).toMatch(/^ {2}build 2\.4 s, push 0\.6 s,\s+action 6\.2 s$/)
    expect(lines[push2 + 2]!.slice(starts[5]!)).toBe('  read 0.1 s, switch 0.3 s,')
    expect(text).toContain('other 1.2 s')
    expect(lines.at(-1)).toBe('✓ all 2 steps as expected in 42.0 s')
  })

  test('a part that could not be deployed is shown as skipped, with why', () => {
    const planned: StepReport = {
      ...deployedBackend,
      deployed: [],
      urls: [],
      phases: [],
      skipped: [{ part: 'backend', reason: 'no Docker engine (docker.sh: no Docker engine answers and starting dockerd needs root)' }],
      outcome: 'planned (dry run)'
    }
    const drill: StepReport = { ...deployedBackend, name: 'rollback drill', title: 'broken release', files: [], detected: [], deployed: [], phases: [], outcome: '', skippedBecause: 'needs Docker' }
    const text = formatReport({ steps: [planned, drill], skipped: ['backend deploys: no Docker engine'] })
    const row = stepRow(planned)
    expect(row[3]!.join(' ')).toMatch(/^backend: skipped, no Docker engine .*needs root\)$/)
    expect(Math.max(...row[3]!.map(line => line.length))).toBeLessThanOrEqual(40)
    expect(row[7]).toEqual(['✓ planned (dry run)'])
    expect(stepRow(drill)[7]).toEqual(['– skipped'])
    expect(stepRow(drill)[3]!.join(' ')).toBe('skipped: needs Docker')
    expect(text).toContain('skipped: backend deploys: no Docker engine')
    expect(text.split('\n').at(-1)).toBe('✓ 1 of 2 steps (the rest skipped) as expected')
  })

  test('a failed step is marked in its row, its problems listed, and named in the last line', () => {
    const failed: StepReport = { ...deployedBackend, outcome: 'failed', problems: ['app-tidepool-api-stage-2 answers 503, expected a1b2c3d'] }
    const text = formatReport({ steps: [failed], totalSeconds: 9 })
    expect(stepRow(failed)[7]).toEqual(['✗ failed'])
    expect(text).toContain('✗ push 2 (backend change): app-tidepool-api-stage-2 answers 503, expected a1b2c3d')
    expect(text.split('\n').at(-1)).toBe('✗ 1 of 1 step failed: push 2 in 9.0 s')
  })
})

describe('phasesFromSummary', () => {
  // The shapes src/report.ts writes: an image line and rollout phases, the site's sync table.
  const backend =
    '<h3>backend rollout</h3>\n<p>Image <code>127.0.0.1:5555/tidepool/api:abc@sha256:00</code> (built in 2.4s, pushed in 0.6s). Phases: read 0.1s, switch 0.3s, verify 1.6s.</p>\n' +
    '<table><tr><th>target</th><th>url</th><th>previous image</th><th>status</th><th>seconds</th><th>why</th></tr><tr><td>app-1</td><td>https://127.0.0.1:1</td><td><code>x</code></td><td>deployed</td><td>2</td><td>—</td></tr></table>\n'
  const frontend =
    '<h3>frontend sync</h3>\n<table><tr><th>site</th><th>release</th><th>uploaded</th><th>unchanged</th><th>headers fixed</th><th>deleted</th><th>purged</th><th>phases</th></tr>' +
    '<tr><td>https://stage.tidepool.example</td><td><code>deployments/stage/abc.zip</code></td><td>3 (12 KiB)</td><td>6</td><td>0</td><td>1</td><td>2 path(s) in 1 call(s), 1.1s</td><td>lock 0s, build 0.5s, archive 0.1s, upload 0.4s, purge 1.1s, delete 0.1s</td></tr></table>\n'

  test('reads the backend and frontend phases', () => {
    expect(phasesFromSummary(backend + frontend)).toEqual([
      { part: 'backend', seconds: { build: 2.4, push: 0.6, read: 0.1, switch: 0.3, verify: 1.6 } },
      { part: 'frontend', seconds: { lock: 0, build: 0.5, archive: 0.1, upload: 0.4, purge: 1.1, delete: 0.1 } }
    ])
  })

  test('a reused image has no build or push; a dry run has no phases', () => {
    const reused = backend.replace('built in 2.4s, pushed in 0.6s', 'already in the registry: build skipped')
    expect(phasesFromSummary(reused)).toEqual([{ part: 'backend', seconds: { read: 0.1, switch: 0.3, verify: 1.6 } }])
    expect(phasesFromSummary('<h2>azure-push-deploy: stage — planned</h2>')).toEqual([])
  })
})
