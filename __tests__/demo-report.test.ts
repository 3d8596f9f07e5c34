/** The report npm run demo ends with: a block per push within 100 columns, or one wide Markdown table; skipped parts and failures said plainly. */
import { describe, expect, test } from '@jest/globals'
import { formatBlocks, formatMarkdownTable, formatReport, formatReportMarkdown, phasesFromSummary, stepRow, wrap, type StepReport } from '../scripts/demo/report.mjs'

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

const frontendPush: StepReport = {
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

/** The lines of the block that starts with `title`, up to the empty line after it. */
function block(lines: string[], title: string): string[] {
  const start = lines.findIndex(line => line.startsWith(title))
  expect(start).toBeGreaterThanOrEqual(0)
  const end = lines.indexOf('', start)
  return lines.slice(start, end === -1 ? undefined : end)
}

describe('formatBlocks', () => {
  test('a block per row: the first cell titles it, the last at its right, the others under their headers', () => {
    const lines = formatBlocks(['name', 'files', 'empty', 'where', 'result'], [
      [['push 1', 'site'], ['a.txt', 'b.txt'], [], ['site:', '  $web'], '✓ done'],
      ['push 2', 'c.txt', '', 'api', ['✗ failed']]
    ], 40)
    expect(lines).toEqual([
      'push 1  site                      ✓ done',
      '  files  a.txt',
      '         b.txt',
      '  where  site:',
      '           $web',
      '',
      'push 2                          ✗ failed',
      '  files  c.txt',
      '  where  api'
    ])
  })

  test('wraps a long line at spaces within the width, and a list only between its items', () => {
    const lines = formatBlocks(['step', 'why', 'timings', 'result'], [
      ['push', 'no Docker engine answers here and starting dockerd needs root', [['api:', 'build 2.4 s,', 'push 0.6 s,', 'verify 1.6 s']], 'ok']
    ], 36)
    expect(lines).toEqual([
      'push                              ok',
      '  why      no Docker engine answers',
      '             here and starting',
      '             dockerd needs root',
      '  timings  api: build 2.4 s,',
      '             push 0.6 s,',
      '             verify 1.6 s'
    ])
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(36)
  })

  test('a word longer than the width (a URL) stays whole', () => {
    const url = 'https://127.0.0.1:40001/devstoreaccount1/$web/index.html'
    const lines = formatBlocks(['step', 'URLs', 'result'], [['push', [url], 'ok']], 40)
    expect(lines).toContain(`  URLs  ${url}`)
  })
})

describe('formatMarkdownTable', () => {
  test('a column per header, a row per row, lines joined with <br>, an empty cell as —', () => {
    expect(formatMarkdownTable(['step', 'files', 'timings'], [[['push 1', 'site'], [], ['api:', '  build 2.4 s']], ['push 2', 'a.txt', [['x', 'y']]]])).toEqual([
      '| step | files | timings |',
      '| --- | --- | --- |',
      '| push 1<br>site | — | api:<br>&nbsp;&nbsp;build 2.4 s |',
      '| push 2 | a.txt | x y |'
    ])
  })

  test('what a push brings is shown as text: no HTML, no Markdown, no broken columns', () => {
    const [, , row] = formatMarkdownTable(['file', 'note'], [['<img src=x>|__init__.py', '**bold** & `code` [link](x) $web $x$']])
    expect(row).toBe('| &lt;img src=x&gt;\\|\\_\\_init\\_\\_.py | \\*\\*bold\\*\\* &amp; \\`code\\` \\[link\\](x) \\$web \\$x\\$ |')
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
  test('a block per step within 100 columns: what changed, was detected and deployed, where, how long', () => {
    const text = formatReport({ steps: [frontendPush, deployedBackend], notes: ['timings: ' + 'seconds per phase as the action wrote them, '.repeat(4)], totalSeconds: 42.04 })
    const lines = text.split('\n')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100)

    expect(block(lines, 'push 2')).toEqual([
      `push 2  backend change  a1b2c3d${' '.repeat(59)}✓ deployed`,
      '  changed files      backend/README.md',
      '                     backend/server.c',
      '  detected (reason)  backend (deployed, 1 file)',
      '                     frontend: no change',
      '  deployed to        backend:',
      '                       app-tidepool-api-stage-1 deployed',
      '                       app-tidepool-api-stage-2 deployed',
      '  URLs               https://127.0.0.1:40001',
      '                     https://127.0.0.1:40002',
      '  timings            backend: build 2.4 s, push 0.6 s, read 0.1 s, switch 0.3 s, verify 1.6 s',
      '                     other 1.2 s',
      '  total              7.5 s (action 6.2 s)'
    ])
    // A line too long for the terminal breaks between phases, never inside one.
    expect(block(lines, 'push 1')).toContain('  timings            frontend: lock 0.0 s, build 0.5 s, archive 0.1 s, upload 0.4 s, purge 1.1 s,')
    expect(block(lines, 'push 1')).toContain('                       delete 0.1 s')
    expect(lines.at(-1)).toBe('✓ all 2 steps as expected in 42.0 s')
  })

  test('a narrower terminal gets narrower blocks', () => {
    for (const line of formatReport({ steps: [frontendPush, deployedBackend] }, { width: 72 }).split('\n')) {
      expect(line.length).toBeLessThanOrEqual(72)
    }
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
    const lines = text.split('\n')
    expect(stepRow(planned)[3]).toEqual(['backend: skipped, no Docker engine (docker.sh: no Docker engine answers and starting dockerd needs root)'])
    expect(stepRow(planned)[7]).toEqual(['✓ planned (dry run)'])
    expect(block(lines, 'push 2')[0]).toMatch(/^push 2 {2}backend change {2}a1b2c3d +✓ planned \(dry run\)$/)
    expect(block(lines, 'push 2')).toContain('  deployed to        backend: skipped, no Docker engine (docker.sh: no Docker engine answers and')
    // A step that did not run: its title, why, and nothing else.
    expect(block(lines, 'rollback drill')).toEqual([`rollback drill  broken release  a1b2c3d${' '.repeat(52)}– skipped`, '  deployed to        skipped: needs Docker'])
    expect(text).toContain('skipped: backend deploys: no Docker engine')
    expect(lines.at(-1)).toBe('✓ 1 of 2 steps (the rest skipped) as expected')
  })

  test('a failed step is marked at its title, its problems listed, and named in the last line', () => {
    const failed: StepReport = { ...deployedBackend, outcome: 'failed', problems: ['app-tidepool-api-stage-2 answers 503, expected a1b2c3d'] }
    const text = formatReport({ steps: [failed], totalSeconds: 9 })
    expect(text.split('\n')[0]).toMatch(/^push 2 .* ✗ failed$/)
    expect(text).toContain('✗ push 2 (backend change): app-tidepool-api-stage-2 answers 503, expected a1b2c3d')
    expect(text.split('\n').at(-1)).toBe('✗ 1 of 1 step failed: push 2 in 9.0 s')
  })
})

describe('formatReportMarkdown', () => {
  test('one wide table, a row per step with every field, then the lists and the last line', () => {
    const failed: StepReport = { ...deployedBackend, name: 'push 3', outcome: 'failed', problems: ['app-2 answers 503'] }
    const text = formatReportMarkdown({ steps: [frontendPush, deployedBackend, failed], skipped: ['frontend deploys: left out (--no-azurite)'], notes: ['timings: seconds'], totalSeconds: 12 })
    const lines = text.split('\n')
    expect(lines[0]).toBe('## azure-push-deploy demo')
    expect(lines).toContain('| step | changed files | detected (reason) | deployed to | URLs | timings | total | result |')
    const rows = lines.filter(line => line.startsWith('| push'))
    expect(rows).toHaveLength(3)
    expect(rows[1]).toBe(
      '| push 2<br>backend change<br>a1b2c3d | backend/README.md<br>backend/server.c | backend (deployed, 1 file)<br>frontend: no change | ' +
        'backend:<br>&nbsp;&nbsp;app-tidepool-api-stage-1 deployed<br>&nbsp;&nbsp;app-tidepool-api-stage-2 deployed | https://127.0.0.1:40001<br>https://127.0.0.1:40002 | ' +
        'backend: build 2.4 s, push 0.6 s, read 0.1 s, switch 0.3 s, verify 1.6 s<br>other 1.2 s | 7.5 s (action 6.2 s) | ✓ deployed |'
    )
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(10)
    expect(lines).toContain('- skipped: frontend deploys: left out (--no-azurite)')
    expect(lines).toContain('- ✗ push 3 (backend change): app-2 answers 503')
    expect(lines).toContain('- timings: seconds')
    expect(lines.at(-2)).toBe('**✗ 1 of 3 steps failed: push 3 in 12.0 s**')
  })
})

describe('phasesFromSummary', () => {
  // The shapes src/report.ts writes: a part's heading and release step, its rollout (image line,
  // targets, phases), a site's sync table.
  const targets = '<table><tr><th>target</th><th>url</th><th>previous image</th><th>app settings</th><th>status</th><th>seconds</th><th>why</th></tr><tr><td>app-1</td><td>https://127.0.0.1:1</td><td><code>x</code></td><td>no change</td><td>deployed</td><td>2</td><td>—</td></tr></table>\n'
  const imagePart = (name: string, release = '') =>
    `<h3>${name}: deployed</h3>\n<table><tr><th>changed</th></tr><tr><td>yes</td></tr></table>\n${release}` +
    `<h3>${name} rollout</h3>\n<p>Image <code>127.0.0.1:5555/tidepool/api:abc@sha256:00</code> (built in 2.4s, pushed in 0.6s).</p>\n${targets}<p>Phases: read 0.1s, switch 0.3s, verify 1.6s.</p>\n`
  const site = (name: string) =>
    `<h3>${name}: deployed</h3>\n<table><tr><th>changed</th></tr><tr><td>yes</td></tr></table>\n<h3>${name} sync</h3>\n<table><tr><th>site</th><th>release</th><th>uploaded</th><th>unchanged</th><th>headers fixed</th><th>deleted</th><th>purged</th><th>phases</th></tr>` +
    '<tr><td>https://stage.tidepool.example</td><td><code>deployments/stage/abc.zip</code></td><td>3 (12 KiB)</td><td>6</td><td>0</td><td>1</td><td>2 path(s) in 1 call(s), 1.1s</td><td>lock 0s, build 0.5s, archive 0.1s, upload 0.4s, purge 1.1s, delete 0.1s</td></tr></table>\n'
  const release = '<p>Release step <code>python manage.py migrate --noinput</code> on runner: done in 4.2s.</p>\n<pre><code>Applying notes.0002_tag... OK</code></pre>\n'

  test('reads each part’s phases, whatever the parts are called', () => {
    expect(phasesFromSummary(imagePart('backend') + site('frontend'))).toEqual([
      { part: 'backend', seconds: { build: 2.4, push: 0.6, read: 0.1, switch: 0.3, verify: 1.6 } },
      { part: 'frontend', seconds: { lock: 0, build: 0.5, archive: 0.1, upload: 0.4, purge: 1.1, delete: 0.1 } }
    ])
  })

  test('a release step counts; an image and a rollout two parts share count once, for the first', () => {
    expect(phasesFromSummary(imagePart('api', release) + imagePart('worker') + site('web'))).toEqual([
      { part: 'api', seconds: { release: 4.2, build: 2.4, push: 0.6, read: 0.1, switch: 0.3, verify: 1.6 } },
      { part: 'web', seconds: { lock: 0, build: 0.5, archive: 0.1, upload: 0.4, purge: 1.1, delete: 0.1 } }
    ])
    const failed = release.replace('done in 4.2s', 'failed (the release command exited with 1 (docker could not start it)) in 3.9s')
    expect(phasesFromSummary(`<h3>api: failed</h3>\n${failed}`)).toEqual([{ part: 'api', seconds: { release: 3.9 } }])
  })

  test('a reused image has no build or push; a dry run has no phases', () => {
    const reused = imagePart('backend').replace('built in 2.4s, pushed in 0.6s', 'already in the registry: build skipped')
    expect(phasesFromSummary(reused)).toEqual([{ part: 'backend', seconds: { read: 0.1, switch: 0.3, verify: 1.6 } }])
    expect(phasesFromSummary('<h2>azure-push-deploy: stage — planned</h2>')).toEqual([])
  })
})
