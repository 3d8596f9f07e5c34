// The demo's closing report: a block per step (push) that fits a 100-column terminal, then
// what was skipped, what failed and how to read the timings; and the same as one wide
// Markdown table, as a job summary shows it (npm run demo -- --report <file.md>). Pure: it
// formats what the steps recorded and prints nothing, so it is tested on its own
// (__tests__/demo-report.test.ts). The formatters take headers and rows of cells, whatever
// the steps are.

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
 * A cell of a row: its lines. A line is text, broken at spaces when too long, or a list of
 * items, broken only between them (`['backend:', 'build 2.4 s,', 'push 0.6 s']`). A string
 * cell is split at its line breaks. An empty cell (`[]`, `''`) shows as `—` in a table and
 * is left out of a block.
 * @typedef {string | (string | string[])[]} Cell
 */

/** A cell's lines; none for an empty cell. */
const cellLines = cell => (Array.isArray(cell) ? cell : String(cell ?? '').split('\n')).filter(line => line.length > 0)
/** A line as text: a list's items joined by spaces. */
const lineText = line => (Array.isArray(line) ? line.join(' ') : line)

/**
 * Rows of cells as blocks of at most `width` columns, one block per row, an empty line
 * between blocks. The first cell titles the block (its lines on one line) and the last cell,
 * its outcome, goes at the right of that title; every other cell that is not empty follows,
 * its header as the label of its first line. A line too long for the width is wrapped (see
 * Cell), its continuation indented by two more spaces than the line; a word longer than the
 * width stays whole (a URL must stay copyable).
 * @param {string[]} headers
 * @param {Cell[][]} rows
 * @param {number} [width]
 * @returns {string[]} the lines
 */
export function formatBlocks(headers, rows, width = 100) {
  const fields = headers.slice(1, -1)
  const labelWidth = 2 + Math.max(0, ...fields.map(header => header.length)) + 2
  const valueWidth = Math.max(20, width - labelWidth)
  const out = []
  for (const row of rows) {
    if (out.length > 0) out.push('')
    const title = cellLines(row[0]).map(lineText).join('  ')
    const outcome = headers.length > 1 ? cellLines(row[headers.length - 1]).map(lineText).join('  ') : ''
    out.push(outcome ? `${title}${' '.repeat(Math.max(2, width - title.length - outcome.length))}${outcome}` : title)
    fields.forEach((header, i) => {
      const lines = cellLines(row[i + 1]).flatMap(line => {
        const indent = /^ */.exec(lineText(line))[0]
        const text = Array.isArray(line) ? line.map(item => item.trim()) : line.slice(indent.length)
        return wrap(text, valueWidth - indent.length, '  ').map(part => indent + part)
      })
      lines.forEach((line, l) => out.push(`${(l === 0 ? `  ${header}` : '').padEnd(labelWidth)}${line}`.trimEnd()))
    })
  }
  return out
}

/**
 * Text as Markdown shows it literally, in a table cell too: `&`, `<` and `>` as entities,
 * Markdown's own marks (and `|`, and `$`, which GitHub reads as math) escaped, leading spaces
 * kept as non-breaking ones.
 */
const markdownText = line => {
  const indent = /^ */.exec(line)[0].length
  const text = line
    .slice(indent)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[\\`*_[\]~|$]/g, mark => `\\${mark}`)
  return '&nbsp;'.repeat(indent) + text
}

/**
 * Rows of cells as one Markdown table (GitHub's flavour, as a job summary shows it): a
 * column per header, the lines of a cell joined with `<br>`, `—` for an empty cell.
 * @param {string[]} headers
 * @param {Cell[][]} rows
 * @returns {string[]} the lines
 */
export function formatMarkdownTable(headers, rows) {
  const line = cells => `| ${cells.join(' | ')} |`
  return [
    line(headers.map(markdownText)),
    line(headers.map(() => '---')),
    ...rows.map(row => line(headers.map((_, i) => cellLines(row[i]).map(cellLine => markdownText(lineText(cellLine))).join('<br>') || '—')))
  ]
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
  for (const { part, reason } of step.skipped) lines.push(`${part}: skipped, ${reason}`)
  return lines
}

/**
 * Seconds per phase, a line per part whose phases break only between them; then what no
 * phase accounts for.
 */
function timingsCell(step) {
  const lines = step.phases.map(({ part, seconds: phases }) => {
    const items = Object.entries(phases).map(([phase, value], i, all) => `${phase} ${seconds(value)}${i < all.length - 1 ? ',' : ''}`)
    return [`${part}:`, ...(items.length > 0 ? items : ['none reported'])]
  })
  if (step.otherSeconds !== undefined) lines.push(`other ${seconds(step.otherSeconds)}`)
  return lines
}

function totalCell(step) {
  if (step.totalSeconds === undefined) return []
  return [`${seconds(step.totalSeconds)}${step.actionSeconds === undefined ? '' : ` (action ${seconds(step.actionSeconds)})`}`]
}

function resultCell(step) {
  if (step.skippedBecause) return ['– skipped']
  return [step.problems.length === 0 ? `✓ ${step.outcome}` : `✗ ${step.outcome || 'failed'}`]
}

/**
 * The row of one step, a cell per header: each cell its lines (see Cell). A step that did
 * not run says why in its `deployed to` cell, and has nothing in the others.
 * @param {StepReport} step
 * @returns {Cell[]}
 */
export function stepRow(step) {
  const name = [step.name, step.title, ...(step.commit ? [step.commit.slice(0, 7)] : [])]
  if (step.skippedBecause) return [name, [], [], [`skipped: ${step.skippedBecause}`], [], [], [], resultCell(step)]
  return [name, step.files, detectedCell(step), deployedCell(step), step.urls, timingsCell(step), totalCell(step), resultCell(step)]
}

/** The steps that ran and did not go as expected. */
const failedSteps = steps => steps.filter(step => !step.skippedBecause && step.problems.length > 0)

/** The report's last line: whether every step went as expected, and how long the demo took. */
function verdict(steps, totalSeconds) {
  const failed = failedSteps(steps)
  const ran = steps.filter(step => !step.skippedBecause)
  const took = totalSeconds === undefined ? '' : ` in ${seconds(totalSeconds)}`
  if (failed.length > 0) return `✗ ${failed.length} of ${count(ran.length, 'step')} failed: ${failed.map(step => step.name).join(', ')}${took}`
  return `✓ ${ran.length === steps.length ? `all ${count(steps.length, 'step')}` : `${ran.length} of ${count(steps.length, 'step')} (the rest skipped)`} as expected${took}`
}

/**
 * The whole report, for a terminal: a block per step (see formatBlocks), then what was
 * skipped and why, what failed, the notes (how to read the timings and URLs), and a last
 * line saying whether every step went as expected. No line is wider than `width` but for a
 * word that cannot be broken.
 * @param {{ steps: StepReport[], skipped?: string[], notes?: string[], totalSeconds?: number }} report
 * @param {{ width?: number }} [options]
 * @returns {string}
 */
export function formatReport({ steps, skipped = [], notes = [], totalSeconds }, { width = 100 } = {}) {
  const lines = formatBlocks(HEADERS, steps.map(stepRow), width)
  const paragraph = (texts, indent) => {
    if (texts.length === 0) return
    lines.push('')
    for (const text of texts) lines.push(...wrap(text, width, indent))
  }
  paragraph(skipped.map(reason => `skipped: ${reason}`), '  ')
  paragraph(failedSteps(steps).flatMap(step => step.problems.map(problem => `✗ ${step.name} (${step.title}): ${problem}`)), '  ')
  paragraph(notes, '  ')
  lines.push('', verdict(steps, totalSeconds))
  return lines.join('\n')
}

/**
 * The same report as Markdown, the way a job summary shows it: one wide table, a column
 * per field and a row per step, then the same lists and last line.
 * @param {{ steps: StepReport[], skipped?: string[], notes?: string[], totalSeconds?: number }} report
 * @param {{ title?: string }} [options]
 * @returns {string}
 */
export function formatReportMarkdown({ steps, skipped = [], notes = [], totalSeconds }, { title = 'azure-push-deploy demo' } = {}) {
  const lines = [`## ${markdownText(title)}`, '', ...formatMarkdownTable(HEADERS, steps.map(stepRow))]
  const list = items => {
    if (items.length > 0) lines.push('', ...items.map(item => `- ${markdownText(item)}`))
  }
  list(skipped.map(reason => `skipped: ${reason}`))
  list(failedSteps(steps).flatMap(step => step.problems.map(problem => `✗ ${step.name} (${step.title}): ${problem}`)))
  list(notes)
  lines.push('', `**${markdownText(verdict(steps, totalSeconds))}**`, '')
  return lines.join('\n')
}

/** `read 0.1s, switch 0.3s` → `{ read: 0.1, switch: 0.3 }`. */
function phaseList(text = '') {
  return Object.fromEntries([...text.matchAll(/([a-z]+) ([\d.]+)s/g)].map(([, phase, value]) => [phase, Number(value)]))
}

/**
 * The seconds per phase the action wrote in its job summary (GITHUB_STEP_SUMMARY), per part,
 * from its sections (`<h3>name: …</h3>`, `<h3>name rollout</h3>`, `<h3>name sync</h3>`): an
 * image part's build and push ("built in 6.1s, pushed in 0.9s"), its release step ("… on
 * runner: done in 4.2s"), the rollout's phases ("Phases: read 0.1s, switch 0.3s, verify
 * 3.2s."); a site part's sync phases (the last cell of its table: "lock 0s, build 3.1s, …").
 * An image or a rollout several parts share (`image-from`, one rollout for every image part)
 * counts once, for the first part that shows it. A part the summary says nothing of is left out.
 * @param {string} summary
 * @returns {{ part: string, seconds: Record<string, number> }[]}
 */
export function phasesFromSummary(summary) {
  /** @type {Map<string, Record<string, number>>} */
  const parts = new Map()
  const counted = new Set()
  const once = (key, add) => {
    if (counted.has(key)) return
    counted.add(key)
    add()
  }
  for (const section of summary.split('<h3>').slice(1)) {
    const name = /^([a-z][a-z0-9-]*)(?::| rollout<| sync<)/.exec(section)?.[1]
    if (!name) continue
    const seconds = parts.get(name) ?? {}
    const image = /Image <code>([^<]*)<\/code> \(built in ([\d.]+)s, pushed in ([\d.]+)s\)/.exec(section)
    if (image) once(`image ${image[1]}`, () => Object.assign(seconds, { build: Number(image[2]), push: Number(image[3]) }))
    const release = /Release step <code>[^<]*<\/code> on [\w-]+: .*? in ([\d.]+)s\.<\/p>/.exec(section)
    if (release) seconds.release = Number(release[1])
    const rollout = /Phases: ([^<]*?)\.<\/p>/.exec(section)
    if (rollout) once(`rollout ${rollout[1]}`, () => Object.assign(seconds, phaseList(rollout[1])))
    const site = /<td>((?:[a-z]+ [\d.]+s(?:, )?)+)<\/td>\s*<\/tr>\s*<\/table>/.exec(section)
    if (site) Object.assign(seconds, phaseList(site[1]))
    if (Object.keys(seconds).length > 0) parts.set(name, seconds)
  }
  return [...parts].map(([part, seconds]) => ({ part, seconds }))
}
