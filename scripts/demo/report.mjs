// The demo's closing report: one plain-text table, a row per step (push), then what was
// skipped, what failed and how to read the timings. Pure: it formats what the steps
// recorded and prints nothing, so it is tested on its own (__tests__/demo-report.test.ts).

/**
 * What one step of the demo did, as the report shows it.
 * @typedef {object} StepReport
 * @property {string} name                 the step, e.g. `push 1` or `rollback drill`
 * @property {string} title                what the push is, e.g. `frontend change`
 * @property {string} [commit]             the pushed commit
 * @property {string[]} files              the files the push changed
 * @property {{ part: string, changed: boolean, reason?: string, files?: number }[]} detected
 *   each part as the action detected it: changed or not, why its base is what it is, and how
 *   many of its files changed since that base (none when there is no base)
 * @property {{ part: string, where: string[] }[]} deployed   where each deployed part went
 * @property {{ part: string, reason: string }[]} skipped     parts changed but not deployed, and why
 * @property {string[]} urls               where the result can be seen
 * @property {{ part: string, seconds: Record<string, number> }[]} phases   seconds per phase, per part
 * @property {number} [otherSeconds]       the action's run time no phase accounts for
 * @property {number} [actionSeconds]      the action's run, measured around it
 * @property {number} [totalSeconds]       the whole step: push, checkout, the action, the checks
 * @property {string} outcome              `deployed`, `rolled back`, `planned (dry run)`, …
 * @property {string[]} problems           what did not go as expected; empty when all did
 * @property {string} [skippedBecause]     set when the whole step did not run
 */

const HEADERS = ['step', 'changed files', 'detected (reason)', 'deployed to', 'URLs', 'timings', 'total', 'result']

/** Seconds, one decimal: `0.4 s`, `12.0 s`. */
export const seconds = value => `${(Math.round(value * 10) / 10).toFixed(1)} s`

/** `1 file`, `2 files`. */
const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * Splits `text` into lines of at most `width` characters, breaking at spaces (a word longer
 * than `width` gets a line of its own). Given a list, breaks only between its items (each
 * kept whole, joined by a space). Lines after the first start with `indent`.
 * @param {string | string[]} text
 * @param {number} width
 * @param {string} [indent]
 * @returns {string[]}
 */
export function wrap(text, width, indent = '') {
  const lines = []
  let line = ''
  for (const word of (Array.isArray(text) ? text : text.split(' ')).filter(Boolean)) {
    const prefix = lines.length === 0 ? '' : indent
    if (line && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  if (line || lines.length === 0) lines.push((lines.length === 0 ? '' : indent) + line)
  return lines
}

/**
 * A plain-text table: every column as wide as its widest line, columns two spaces apart, a
 * rule under the header and an empty line between rows. A cell is a string or its lines; a row is as tall
 * as its tallest cell. Trailing spaces are trimmed.
 * @param {string[]} headers
 * @param {(string | string[])[][]} rows
 * @returns {string[]} the table's lines
 */
export function formatTable(headers, rows) {
  const cells = rows.map(row => headers.map((_, i) => {
    const cell = row[i] ?? ''
    return Array.isArray(cell) ? (cell.length > 0 ? cell : ['']) : String(cell).split('\n')
  }))
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map(row => Math.max(...row[i].map(line => line.length)))))
  const line = parts => parts.map((text, i) => text.padEnd(widths[i])).join('  ').trimEnd()
  const rule = widths.map(width => '─'.repeat(width)).join('  ')
  const out = [line(headers), rule]
  cells.forEach((row, r) => {
    if (r > 0) out.push('')
    const height = Math.max(...row.map(cell => cell.length))
    for (let l = 0; l < height; l++) out.push(line(row.map(cell => cell[l] ?? '')))
  })
  return out
}

/** `backend (deployed, 1 file)`, `frontend (not-deployed)`, `backend: no change`. */
function detectedCell(step) {
  return step.detected.map(d => {
    if (!d.changed) return `${d.part}: no change`
    const files = d.files === undefined ? '' : `, ${count(d.files, 'file')}`
    return `${d.part} (${d.reason ?? '?'}${files})`
  })
}

/** Each deployed part and where it went, on the lines under it; each skipped part and why. */
function deployedCell(step) {
  const lines = []
  for (const { part, where } of step.deployed) lines.push(`${part}:`, ...where.map(place => `  ${place}`))
  for (const { part, reason } of step.skipped) lines.push(...wrap(`${part}: skipped, ${reason}`, 40, '  '))
  return lines.length > 0 ? lines : ['—']
}

/** Seconds per phase, each part's on the lines under it; then what no phase accounts for. */
function timingsCell(step) {
  const lines = []
  for (const { part, seconds: phases } of step.phases) {
    const items = Object.entries(phases).map(([phase, value], i, all) => `${phase} ${seconds(value)}${i < all.length - 1 ? ',' : ''}`)
    lines.push(`${part}:`, ...wrap(items.length > 0 ? items : ['none reported'], 30).map(line => `  ${line}`))
  }
  if (step.otherSeconds !== undefined) lines.push(`other ${seconds(step.otherSeconds)}`)
  return lines.length > 0 ? lines : ['—']
}

function totalCell(step) {
  if (step.totalSeconds === undefined) return ['—']
  return [seconds(step.totalSeconds), ...(step.actionSeconds === undefined ? [] : [`action ${seconds(step.actionSeconds)}`])]
}

function resultCell(step) {
  if (step.skippedBecause) return ['– skipped']
  return [step.problems.length === 0 ? `✓ ${step.outcome}` : `✗ ${step.outcome || 'failed'}`]
}

/**
 * The row of one step. A step that did not run says why in its `deployed to` cell.
 * @param {StepReport} step
 * @returns {string[][]}
 */
export function stepRow(step) {
  const name = [step.name, step.title, ...(step.commit ? [step.commit.slice(0, 7)] : [])]
  if (step.skippedBecause) return [name, ['—'], ['—'], wrap(`skipped: ${step.skippedBecause}`, 40, '  '), ['—'], ['—'], ['—'], resultCell(step)]
  return [name, step.files.length > 0 ? step.files : ['—'], detectedCell(step), deployedCell(step), step.urls.length > 0 ? step.urls : ['—'], timingsCell(step), totalCell(step), resultCell(step)]
}

/**
 * The whole report: the table, then what was skipped and why, what failed, the notes (how
 * to read the timings and URLs), and a last line saying whether every step went as expected.
 * @param {{ steps: StepReport[], skipped?: string[], notes?: string[], totalSeconds?: number }} report
 * @returns {string}
 */
export function formatReport({ steps, skipped = [], notes = [], totalSeconds }) {
  const lines = formatTable(HEADERS, steps.map(stepRow))
  if (skipped.length > 0) {
    lines.push('')
    for (const reason of skipped) lines.push(`skipped: ${reason}`)
  }
  const failed = steps.filter(step => !step.skippedBecause && step.problems.length > 0)
  if (failed.length > 0) {
    lines.push('')
    for (const step of failed) for (const problem of step.problems) lines.push(`✗ ${step.name} (${step.title}): ${problem}`)
  }
  if (notes.length > 0) {
    lines.push('')
    for (const note of notes) lines.push(...wrap(note, 110, '  '))
  }
  lines.push('')
  const ran = steps.filter(step => !step.skippedBecause)
  const took = totalSeconds === undefined ? '' : ` in ${seconds(totalSeconds)}`
  if (failed.length > 0) lines.push(`✗ ${failed.length} of ${count(ran.length, 'step')} failed: ${failed.map(step => step.name).join(', ')}${took}`)
  else lines.push(`✓ ${ran.length === steps.length ? `all ${count(steps.length, 'step')}` : `${ran.length} of ${count(steps.length, 'step')} (the rest skipped)`} as expected${took}`)
  return lines.join('\n')
}

/** `read 0.1s, switch 0.3s` → `{ read: 0.1, switch: 0.3 }`. */
function phaseList(text = '') {
  return Object.fromEntries([...text.matchAll(/([a-z]+) ([\d.]+)s/g)].map(([, phase, value]) => [phase, Number(value)]))
}

/**
 * The seconds per phase the action wrote in its job summary (GITHUB_STEP_SUMMARY): for the
 * backend, the image's build and push ("built in 6.1s, pushed in 0.9s") and the rollout's
 * phases ("Phases: read 0.1s, switch 0.3s, verify 3.2s."); for the frontend, the last cell
 * of its sync table ("lock 0s, build 3.1s, …"). A part the summary says nothing of is left out.
 * @param {string} summary
 * @returns {{ part: string, seconds: Record<string, number> }[]}
 */
export function phasesFromSummary(summary) {
  const phases = []
  const [backendText = '', frontendText = ''] = summary.split(/<h3>frontend sync<\/h3>/)
  const image = /built in ([\d.]+)s, pushed in ([\d.]+)s/.exec(backendText)
  const rollout = /Phases: ([^<]*?)\.<\/p>/.exec(backendText)
  if (image || rollout) phases.push({ part: 'backend', seconds: { ...(image ? { build: Number(image[1]), push: Number(image[2]) } : {}), ...phaseList(rollout?.[1]) } })
  const site = /<td>((?:[a-z]+ [\d.]+s(?:, )?)+)<\/td>\s*<\/tr>\s*<\/table>/.exec(frontendText)
  if (site) phases.push({ part: 'frontend', seconds: phaseList(site[1]) })
  return phases
}
