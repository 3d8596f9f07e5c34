import * as core from '@actions/core'
import type { BackendDeployResult } from './backend/deploy.js'
import type { FrontendDeployResult } from './frontend/deploy.js'
import type { RolloutReport } from './backend/rollout.js'
import type { DeploymentOutcome } from './github/deployments.js'
import type { DeployPlan } from './plan.js'
import { PART_NAMES } from './parts.js'

/** How the run ended: `planned` for a dry run, `skipped` when nothing changed. */
export type DeployResult = 'deployed' | 'skipped' | 'rolled-back' | 'failed' | 'planned'

/** Set every output the plan determines; parts that are not configured read as unchanged. */
export function writePlanOutputs(plan: DeployPlan): void {
  core.setOutput('environment', plan.environment)
  core.setOutput('changed', JSON.stringify(plan.parts.filter(p => p.deploy).map(p => p.part)))
  for (const name of PART_NAMES) {
    const part = plan.parts.find(p => p.part === name)
    core.setOutput(`${name}-changed`, String(part?.deploy ?? false))
    core.setOutput(`${name}-base`, part?.change.base ?? '')
    core.setOutput(`${name}-reason`, part?.change.reason ?? 'not-configured')
  }
  core.setOutput('plan', JSON.stringify(plan))
}

export function writeResult(result: DeployResult): void {
  core.setOutput('result', result)
}

/** `deployed` when every target verified; `rolled-back` when every switched target was put back. */
export function backendResult(report: RolloutReport): DeployResult {
  if (report.ok) return 'deployed'
  return report.targets.some(t => t.status === 'rollback-failed') ? 'failed' : 'rolled-back'
}

/** Success with the first target's URL, or the rollout's failure. */
export function backendDeploymentStatus(backend: BackendDeployResult): DeploymentOutcome {
  const { rollout, image } = backend
  const url = rollout.targets[0]?.url || undefined
  if (rollout.ok) return ['success', { url, description: `${image.pinned.split('@')[0]} serving on ${rollout.targets.length} target(s)` }]
  return ['failure', { url, description: `${backendResult(rollout)}: ${rollout.failure ?? 'the rollout failed'}` }]
}

/** Success with the site's URL (a frontend deploy that returns has synced the whole site). */
export function frontendDeploymentStatus(frontend: FrontendDeployResult): DeploymentOutcome {
  return ['success', { url: frontend.siteUrl, description: `${frontend.uploaded} uploaded, ${frontend.skipped} unchanged, ${frontend.deleted} deleted` }]
}

export function writeBackendOutputs(backend: BackendDeployResult): void {
  core.setOutput('image', backend.image.pinned)
  core.setOutput('image-digest', backend.image.digest)
  core.setOutput('targets', JSON.stringify(backend.rollout.targets))
  core.setOutput('rolled-back', String(backend.rollout.targets.some(t => t.status === 'rolled-back')))
}

function escapeHtml(untrusted: string): string {
  return untrusted.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

export function writeFrontendOutputs(frontend: FrontendDeployResult): void {
  core.setOutput('site-url', frontend.siteUrl ?? '')
  core.setOutput('archive', frontend.archive)
  core.setOutput('files-uploaded', String(frontend.uploaded))
  core.setOutput('files-skipped', String(frontend.skipped))
  core.setOutput('files-deleted', String(frontend.deleted))
  core.setOutput('headers-fixed', String(frontend.headersFixed))
  core.setOutput('purged', JSON.stringify(frontend.purge?.paths ?? []))
}

/** What the deploy did, per part, for the summary. */
export interface Deployed {
  backend?: BackendDeployResult
  frontend?: FrontendDeployResult
}

/** The job summary: one table per part, then what the deploy did. */
export async function writeSummary(plan: DeployPlan, result: DeployResult, deployed: Deployed = {}): Promise<void> {
  const { backend, frontend } = deployed
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const summary = core.summary.addHeading(`azure-push-deploy: ${escapeHtml(plan.environment)} — ${result}`, 2)
  summary.addRaw(`<p>Commit <code>${plan.commit}</code>; environment from ${plan.environmentSource}.</p>`, true)
  for (const part of plan.parts) {
    const { change } = part
    summary.addHeading(`${part.part}: ${part.deploy ? (plan.dryRun ? 'would deploy' : 'deploy') : 'unchanged'}`, 3)
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
  }
  if (backend) {
    const { image, rollout } = backend
    summary.addHeading('backend rollout', 3)
    summary.addRaw(
      `<p>Image <code>${escapeHtml(image.pinned)}</code> (${image.reused ? 'already in the registry: build skipped' : `built in ${image.seconds.build}s, pushed in ${image.seconds.push}s`}). ` +
        `Phases: ${Object.entries(rollout.phases)
          .map(([phase, seconds]) => `${phase} ${seconds}s`)
          .join(', ')}.</p>`,
      true
    )
    summary.addTable([
      ['target', 'url', 'previous image', 'status', 'seconds', 'why'].map(data => ({ data, header: true })),
      ...rollout.targets.map(t => [
        escapeHtml(t.slot ? `${t.app}/${t.slot}` : t.app),
        escapeHtml(t.url || '—'),
        `<code>${escapeHtml(t.previousImage ?? '—')}</code>`,
        t.status,
        String(t.seconds),
        t.reason ? `${t.phase}: ${escapeHtml(t.reason)}` : '—'
      ])
    ])
  }
  if (frontend) {
    summary.addHeading('frontend sync', 3)
    summary.addTable([
      ['site', 'release', 'uploaded', 'unchanged', 'headers fixed', 'deleted', 'purged', 'phases'].map(data => ({ data, header: true })),
      [
        escapeHtml(frontend.siteUrl ?? '—'),
        `<code>${escapeHtml(frontend.archive)}</code>`,
        `${frontend.uploaded} (${Math.round(frontend.bytesUploaded / 1024)} KiB)`,
        String(frontend.skipped),
        String(frontend.headersFixed),
        frontend.deletion.status === 'refused' ? `refused: ${escapeHtml(frontend.deletion.reason)}` : String(frontend.deleted),
        frontend.purge ? `${frontend.purge.paths.length} path(s) in ${frontend.purge.calls} call(s), ${frontend.purge.seconds}s` : '—',
        Object.entries(frontend.seconds)
          .map(([phase, seconds]) => `${phase} ${seconds}s`)
          .join(', ')
      ]
    ])
  }
  await summary.write()
}
