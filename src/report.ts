import * as core from '@actions/core'
import type { DeployPlan, ImagePartPlan, PartPlan, SitePartPlan } from './plan.js'
import type { ExecutionReport, PartOutcome, PartResult } from './deploy/execute.js'
import { formatSettingsDiff } from './backend/app-settings.js'
import type { RolloutReport, TargetOutcome } from './backend/rollout.js'

/** How the run ended: `planned` for a dry run, `skipped` when nothing changed, `superseded` when a newer release is live. */
export type DeployResult = 'deployed' | 'skipped' | 'superseded' | 'rolled-back' | 'failed' | 'planned'

/** The names the first release's outputs are about: `backend-*` and `frontend-*`. */
const LEGACY_OUTPUT_PARTS = ['backend', 'frontend'] as const

/** The run's result from its parts: a failure wins, then a rollback; superseded only when every part that was to deploy was. */
export function overallResult(report: ExecutionReport): DeployResult {
  const results = report.parts.map(part => part.result)
  if (report.failure) return results.includes('failed') || !results.includes('rolled-back') ? 'failed' : 'rolled-back'
  const deploying = results.filter(result => result !== 'skipped')
  if (deploying.length > 0 && deploying.every(result => result === 'superseded')) return 'superseded'
  return 'deployed'
}

/** Per part, what a later step needs to act on it: the `parts` output. */
function partsOutput(plan: DeployPlan, outcomes?: readonly PartOutcome[]): Record<string, Record<string, unknown>> {
  const entries = plan.parts.map(part => {
    const outcome = outcomes?.find(o => o.name === part.name)
    const result: PartResult | 'planned' = outcome?.result ?? (part.deploy ? (plan.dryRun ? 'planned' : 'not-run') : 'skipped')
    const common = { kind: part.kind, changed: part.deploy, base: part.change.base ?? '', reason: part.change.reason, result, ...(outcome?.reason ? { why: outcome.reason } : {}) }
    if (part.kind === 'image') {
      return [part.name, { ...common, image: outcome?.image?.pinned ?? (part.deploy ? part.image : ''), targets: (outcome?.targets ?? []).map(targetSummary), ...(outcome?.liveCommit ? { live: outcome.liveCommit } : {}) }]
    }
    const site = outcome?.site
    return [part.name, { ...common, siteUrl: site?.siteUrl ?? part.siteUrl ?? '', ...(site ? { uploaded: site.uploaded, skipped: site.skipped, deleted: site.deleted, purged: site.purge?.paths ?? [] } : {}), ...(outcome?.liveCommit ? { live: outcome.liveCommit } : {}) }]
  })
  return Object.fromEntries(entries)
}

/** One target in the `parts` output; the one that failed keeps where and why, so the output says which part broke a group. */
function targetSummary(target: TargetOutcome): Record<string, unknown> {
  return { app: target.app, ...(target.slot ? { slot: target.slot } : {}), url: target.url, status: target.status, ...(target.phase ? { phase: target.phase, reason: target.reason } : {}) }
}

/** Set every output the plan determines; parts that are not configured read as unchanged. */
export function writePlanOutputs(plan: DeployPlan): void {
  core.setOutput('environment', plan.environment)
  core.setOutput('changed', JSON.stringify(plan.parts.filter(p => p.deploy).map(p => p.name)))
  for (const name of LEGACY_OUTPUT_PARTS) {
    const part = plan.parts.find(p => p.name === name)
    core.setOutput(`${name}-changed`, String(part?.deploy ?? false))
    core.setOutput(`${name}-base`, part?.change.base ?? '')
    core.setOutput(`${name}-reason`, part?.change.reason ?? 'not-configured')
  }
  // `part` beside `name`: the first release's plan output named each part that way.
  core.setOutput('plan', JSON.stringify({ ...plan, parts: plan.parts.map(part => ({ part: part.name, ...part })) }))
  core.setOutput('parts', JSON.stringify(partsOutput(plan)))
}

export function writeResult(result: DeployResult): void {
  core.setOutput('result', result)
}

/** The part the single-valued outputs describe: the one named as in the first release, else the first of its kind that deployed. */
function representative(report: ExecutionReport, kind: 'image' | 'site'): PartOutcome | undefined {
  const legacy = report.parts.find(part => part.name === (kind === 'image' ? 'backend' : 'frontend') && part.kind === kind)
  const candidates = report.parts.filter(part => part.kind === kind)
  return legacy && legacy.result !== 'skipped' ? legacy : (candidates.find(part => part.result !== 'skipped' && part.result !== 'not-run') ?? legacy)
}

/** The outputs of what ran: per part, and the single-valued ones of the first release. */
export function writeExecutionOutputs(plan: DeployPlan, report: ExecutionReport): void {
  core.setOutput('parts', JSON.stringify(partsOutput(plan, report.parts)))
  const image = representative(report, 'image')
  if (image?.image) {
    core.setOutput('image', image.image.pinned)
    core.setOutput('image-digest', image.image.digest)
  }
  const targets = report.rollout?.targets ?? report.parts.flatMap(part => part.targets ?? [])
  if (report.parts.some(part => part.kind === 'image' && part.result !== 'skipped')) {
    core.setOutput('targets', JSON.stringify(targets))
    core.setOutput('rolled-back', String(targets.some(t => t.status === 'rolled-back')))
  }
  const site = representative(report, 'site')?.site
  if (site) {
    core.setOutput('site-url', site.siteUrl ?? '')
    core.setOutput('archive', site.archive)
    core.setOutput('files-uploaded', String(site.uploaded))
    core.setOutput('files-skipped', String(site.skipped))
    core.setOutput('files-deleted', String(site.deleted))
    core.setOutput('headers-fixed', String(site.headersFixed))
    core.setOutput('purged', JSON.stringify(site.purge?.paths ?? []))
  }
}

function escapeHtml(untrusted: string): string {
  return untrusted.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** Text for the summary with every registered secret replaced: the summary file is not masked by the runner's log filter. */
export type Scrub = (text: string) => string

/** The job summary: one table per part, then what the deploy did. */
export async function writeSummary(plan: DeployPlan, result: DeployResult, report?: ExecutionReport, scrub: Scrub = text => text, extra: string[] = []): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const summary = core.summary.addHeading(`azure-push-deploy: ${escapeHtml(plan.environment)} — ${result}`, 2)
  summary.addRaw(`<p>Commit <code>${plan.commit}</code>; environment from ${plan.environmentSource}.${report?.lock ? ` Lock <code>${escapeHtml(report.lock.name)}</code> (waited ${report.lock.waitedSeconds}s).` : ''}</p>`, true)
  for (const line of extra) summary.addRaw(`<p>${escapeHtml(scrub(line))}</p>`, true)
  for (const part of plan.parts) {
    const { change } = part
    const outcome = report?.parts.find(o => o.name === part.name)
    summary.addHeading(`${part.name}: ${part.deploy ? (plan.dryRun ? 'would deploy' : (outcome?.result ?? 'deploy')) : 'unchanged'}`, 3)
    summary.addTable([
      [
        { data: 'changed', header: true },
        { data: 'base', header: true },
        { data: 'reason', header: true },
        { data: 'changed files', header: true },
        { data: 'examples', header: true }
      ],
      [
        change.changed ? 'yes' : 'no',
        change.base ? `<code>${change.base.slice(0, 12)}</code>` : '—',
        `${change.reason}: ${escapeHtml(change.detail)}`,
        String(change.fileCount),
        change.examples.length === 0 ? '—' : change.examples.map(p => `<code>${escapeHtml(p)}</code>`).join('<br>') + (change.fileCount > change.examples.length ? '<br>…' : '')
      ]
    ])
    if (outcome?.reason && outcome.result !== 'deployed') summary.addRaw(`<p>${outcome.result}: ${escapeHtml(scrub(outcome.reason))}</p>`, true)
    if (outcome && part.kind === 'image') addImagePart(summary, part, outcome, scrub, report?.rollout?.phases)
    if (outcome?.site && part.kind === 'site') addSitePart(summary, part, outcome)
  }
  await summary.write()
}

type Summary = typeof core.summary

function addImagePart(summary: Summary, part: ImagePartPlan, outcome: PartOutcome, scrub: Scrub, phases: RolloutReport['phases'] = {}): void {
  const release = outcome.release
  if (release) {
    if ('skipped' in release) summary.addRaw(`<p>Release step skipped: ${escapeHtml(release.skipped)}.</p>`, true)
    else {
      summary.addRaw(`<p>Release step <code>${escapeHtml(part.release?.command ?? '')}</code> on ${part.release?.runOn}: ${release.ok ? 'done' : `failed (${escapeHtml(scrub(release.reason ?? ''))})`} in ${release.seconds}s.</p>`, true)
      if (release.log.length > 0) summary.addCodeBlock(scrub(release.log.join('\n')))
    }
  }
  if (!outcome.targets || outcome.targets.length === 0) return
  const image = outcome.image
  summary.addHeading(`${part.name} rollout`, 3)
  if (image) summary.addRaw(`<p>Image <code>${escapeHtml(image.pinned)}</code> (${image.reused ? 'already in the registry: build skipped' : `built in ${image.seconds.build}s, pushed in ${image.seconds.push}s`}).</p>`, true)
  summary.addTable([
    ['target', 'url', 'previous image', 'app settings', 'status', 'seconds', 'why'].map(data => ({ data, header: true })),
    ...outcome.targets.map(t => [
      escapeHtml(t.slot ? `${t.app}/${t.slot}` : t.app),
      escapeHtml(t.url || '—'),
      `<code>${escapeHtml(t.previousImage ?? '—')}</code>`,
      t.settings ? escapeHtml(formatSettingsDiff(t.settings)) : '—',
      t.status,
      String(t.seconds),
      t.reason ? `${t.phase}: ${escapeHtml(scrub(t.reason))}` : '—'
    ])
  ])
  // One rollout switches every image part's targets together: the same phases for each of them.
  const timings = Object.entries(phases).map(([phase, seconds]) => `${phase} ${seconds}s`)
  if (timings.length > 0) summary.addRaw(`<p>Phases: ${timings.join(', ')}.</p>`, true)
}

function addSitePart(summary: Summary, part: SitePartPlan, outcome: PartOutcome): void {
  const site = outcome.site!
  summary.addHeading(`${part.name} sync`, 3)
  summary.addTable([
    ['site', 'release', 'uploaded', 'unchanged', 'headers fixed', 'deleted', 'purged', 'phases'].map(data => ({ data, header: true })),
    [
      escapeHtml(site.siteUrl ?? '—'),
      `<code>${escapeHtml(site.archive)}</code>`,
      `${site.uploaded} (${Math.round(site.bytesUploaded / 1024)} KiB)`,
      String(site.skipped),
      String(site.headersFixed),
      site.deletion.status === 'refused' ? `refused: ${escapeHtml(site.deletion.reason)}` : String(site.deleted),
      site.purge ? `${site.purge.paths.length} path(s) in ${site.purge.calls} call(s), ${site.purge.seconds}s` : '—',
      Object.entries(site.seconds)
        .map(([phase, seconds]) => `${phase} ${seconds}s`)
        .join(', ')
    ]
  ])
}

export type { PartPlan }
