/**
 * The rollout of every image part's targets as one all-or-nothing group: each Web App or slot
 * switches to its part's image (with its app settings, start command and port, in one update),
 * in parallel, and must prove the new version serves; slot-swap targets are staged and proven
 * first, then swapped together. If any target fails — or the run is cancelled or out of time —
 * every target that changed goes back to exactly what it ran before (image, settings, command)
 * or is swapped back, and is proven back.
 */
import type { Logger } from '../logger.js'
import { inParallel } from '../parallel.js'
import type { VerifyPlan, WebAppTarget } from '../plan.js'
import { desiredSettings, type SettingsDiff } from './app-settings.js'
import { waitForVersion, type VerifyDeps, type VerifyResult } from './health.js'
import { commitOfImage } from './image-reference.js'
import type { PlatformVerifyDeps } from './platform-verify.js'
import { waitForPlatformStart } from './platform-verify.js'
import { describeAzureError } from '../azure/errors.js'
import { mayHaveLanded } from '../azure/clients.js'
import type { DesiredState, TargetState, WebAppControl } from './web-app-control.js'
import { targetName } from './web-app-state.js'

export type TargetStatus = 'deployed' | 'rolled-back' | 'rollback-failed' | 'failed' | 'untouched'
export type RolloutPhase = 'read' | 'switch' | 'verify' | 'stage' | 'swap' | 'rollback'

/** One Web App or slot of one part, and what it must run. */
export interface RolloutUnit {
  part: string
  target: WebAppTarget
  strategy: 'in-place' | 'slot-swap'
  image: string
  commit: string
  /** The part's declared app settings (resolved) and whether undeclared ones go. */
  settings: { declared: Record<string, string>; prune: boolean }
  acrIdentity?: string
  verify: VerifyPlan
  /** To tell which previous images are ours, and so which commit to expect after a rollback. */
  registry: string
  repository: string
  swapTimeoutMs: number
}

/** What happened to one app or slot; the `targets` output is a list of these. */
export interface TargetOutcome {
  part: string
  app: string
  slot?: string
  url: string
  previousImage?: string
  newImage: string
  status: TargetStatus
  seconds: number
  /** App settings the deploy added, changed or removed (names only). */
  settings?: SettingsDiff
  /** Where it went wrong, when it did. */
  phase?: RolloutPhase
  reason?: string
}

/** Where the rollout records what it changed, so that a cancelled run can be repaired (the post step). */
export interface RolloutJournal {
  /** Before anything changes: every unit and the state it goes back to. */
  planned(units: readonly RolloutUnit[], previous: readonly JournalledState[]): void
  changed(index: number): void
  /** Every target serves the new release: nothing to repair any more. */
  committed(): void
  restored(index: number): void
}

/** What a target goes back to, as the journal keeps it. */
export interface JournalledState {
  /** The target a rollback writes to: the staging slot for slot-swap. */
  target: WebAppTarget
  state: TargetState
  /** Slot-swap: what production ran before the swap. */
  production?: TargetState
}

export interface RolloutDeps {
  control: WebAppControl
  verify: VerifyDeps
  /** `verify: platform` reads Kudu's docker log with these. */
  platform?: Omit<PlatformVerifyDeps, 'sleep' | 'now'>
  logger: Logger
  journal?: RolloutJournal
  /** Cancellation or the deploy's deadline: stop, roll back, report. */
  signal?: AbortSignal
}

/** At most this many targets are read, switched or swapped at once. */
const MAX_PARALLEL_TARGETS = 8

export interface RolloutReport {
  ok: boolean
  targets: TargetOutcome[]
  /** The first failure, as the step's error says it: target, phase, reason. */
  failure?: string
  /** True when no target was changed (a failure before the first switch). */
  untouched: boolean
  /** Wall time of each phase, in seconds. */
  phases: Partial<Record<RolloutPhase, number>>
}

/** Records each phase's wall time and each target's outcome. */
function tracker(units: readonly RolloutUnit[], now: () => number) {
  const started = now()
  // Targets run a phase in parallel: its time is from the first start to the last end.
  const windows: Partial<Record<RolloutPhase, { from: number; to: number }>> = {}
  const outcomes: TargetOutcome[] = units.map(unit => ({ part: unit.part, app: unit.target.app, slot: unit.target.slot, url: '', newImage: unit.image, status: 'untouched', seconds: 0 }))
  let failure: string | undefined
  return {
    outcomes,
    async phase<T>(name: RolloutPhase, work: () => Promise<T>): Promise<T> {
      const from = now()
      try {
        return await work()
      } finally {
        const window = (windows[name] ??= { from, to: from })
        window.from = Math.min(window.from, from)
        window.to = Math.max(window.to, now())
      }
    },
    fail(index: number, phase: RolloutPhase, reason: string) {
      const outcome = outcomes[index]!
      Object.assign(outcome, { status: 'failed', phase, reason })
      failure ??= `${targetName(units[index]!.target)} failed to ${phase === 'verify' ? 'verify' : phase}: ${reason}`
    },
    /** A failure that is no target's own: cancellation, the deadline. */
    stop(reason: string) {
      failure ??= reason
    },
    get failed() {
      return failure !== undefined
    },
    report(touched: number): RolloutReport {
      const seconds = (now() - started) / 1000
      for (const outcome of outcomes) outcome.seconds = Math.round(seconds * 10) / 10
      const phases = Object.fromEntries(Object.entries(windows).map(([name, window]) => [name, Math.round((window.to - window.from) / 100) / 10]))
      return { ok: failure === undefined, targets: outcomes, failure, untouched: touched === 0, phases }
    }
  }
}

/** Why the rollout stops when its signal fires: the reason given to `abort()`, in words. */
function stopReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason
  if (reason instanceof Error) return reason.message
  return typeof reason === 'string' ? reason : 'the run was cancelled'
}

/**
 * Switch every unit to its image in parallel and verify each; on any failure (or the signal)
 * put every changed unit back. All or nothing across every part of the group.
 */
export async function rollout(units: readonly RolloutUnit[], deps: RolloutDeps): Promise<RolloutReport> {
  const { control, logger } = deps
  const limit = MAX_PARALLEL_TARGETS
  const track = tracker(units, deps.verify.now)
  const outer = deps.signal ?? new AbortController().signal

  // 1. What each target runs now: what a rollback restores.
  const read = await track.phase('read', () => readAll(units, control, limit))
  if (!Array.isArray(read)) {
    track.fail(read.index, 'read', read.reason)
    return track.report(0)
  }
  read.forEach((entry, index) => Object.assign(track.outcomes[index]!, { url: (entry.production ?? entry.state).url, previousImage: (entry.production ?? entry.state).image }))
  const desired = units.map((unit, index): DesiredState => {
    const state = read[index]!.state
    const { settings, diff } = desiredSettings(state.settings, { ...unit.settings, port: unit.target.port })
    track.outcomes[index]!.settings = diff
    return { image: unit.image, settings, command: unit.target.command ?? state.command }
  })
  deps.journal?.planned(units, read)
  if (outer.aborted) {
    track.stop(stopReason(outer))
    return track.report(0)
  }

  const stop = new AbortController()
  const onOuter = () => {
    track.stop(stopReason(outer))
    stop.abort()
  }
  outer.addEventListener('abort', onOuter, { once: true })
  const changed = new Set<number>()
  let verified = 0
  try {
    // 2. In place: switch and verify. Slot-swap: stage on the slot and verify there.
    await inParallel(units, limit, async (unit, index) => {
      if (stop.signal.aborted) return
      const staging = unit.strategy === 'slot-swap'
      const phase: RolloutPhase = staging ? 'stage' : 'switch'
      try {
        changed.add(index)
        deps.journal?.changed(index)
        await track.phase(phase, () => control.apply(unit.target, desired[index]!, read[index]!.state, unit.acrIdentity))
      } catch (error) {
        track.fail(index, phase, describeAzureError(error))
        stop.abort()
        // A refused update changed nothing: leave it out of the rollback (an update that did land is
        // put back). One that timed out may still land: it stays in, and is put back whatever it did.
        const now = mayHaveLanded(error) ? undefined : await control.read(unit.target).catch(() => undefined)
        if (now && now.image === read[index]!.state.image && now.command === read[index]!.state.command && JSON.stringify(now.settings) === JSON.stringify(read[index]!.state.settings)) {
          changed.delete(index)
          deps.journal?.restored(index)
        }
        return
      }
      const switchedAt = Date.now()
      logger.info(`${targetName(unit.target)}: ${staging ? 'staged' : 'switched to'} ${unit.image}; ${verifyingWhat(unit)}`)
      const verdict = await track.phase(staging ? 'stage' : 'verify', () => verifyNew(unit, read[index]!.state, switchedAt, deps, stop.signal))
      if (verdict.ok) {
        if (!staging) {
          track.outcomes[index]!.status = 'deployed'
          logger.info(`${targetName(unit.target)}: new version serving after ${Math.round(verdict.seconds)}s (${++verified}/${units.length} verified)`)
        } else logger.info(`${targetName(unit.target)}: new version serving on the staging slot`)
      } else if (!stop.signal.aborted) {
        track.fail(index, staging ? 'stage' : 'verify', verdict.reason)
        stop.abort()
      }
    })

    // 3. Every staged slot into production, then production must serve the new version.
    const swaps = new Map<number, Promise<void>>()
    const swapping = units.flatMap((unit, index) => (unit.strategy === 'slot-swap' ? [index] : []))
    // An in-place rollout has no swap phase: its timings (summary, demo) show none.
    if (!track.failed && swapping.length > 0) {
      for (const index of swapping) swaps.set(index, control.swapIntoProduction(units[index]!.target))
      await track.phase('swap', () =>
        Promise.all(
          swapping.map(async index => {
            const unit = units[index]!
            // Each swap gets its own bound (another's failure does not cut it short); only cancellation does.
            const outcome = await settleWithin(swaps.get(index)!, unit.swapTimeoutMs, deps.verify, outer)
            if (outcome === 'stopped') return
            if (outcome === 'done') {
              // Trust Azure's state, not its status codes: production must now be configured for the new image.
              const live = await control.read({ ...unit.target, slot: undefined }).catch((error: unknown) => error as Error)
              if (!(live instanceof Error) && live.image === unit.image) return
              track.fail(index, 'swap', live instanceof Error ? `production could not be read after the swap: ${describeAzureError(live)}` : `the swap reported success, but production runs ${live.image ?? 'no image'}`)
              stop.abort()
              return
            }
            track.fail(index, 'swap', outcome === 'timeout' ? `the swap did not finish within ${Math.round(unit.swapTimeoutMs / 1000)}s` : describeAzureError(outcome.error))
            stop.abort()
          })
        )
      )
      if (!track.failed) {
        await inParallel(swapping, limit, async index => {
          const unit = units[index]!
          const production = { ...unit.target, slot: undefined }
          const swappedAt = Date.now()
          const verdict = await track.phase('verify', () => verifyNew({ ...unit, target: production }, read[index]!.production!, swappedAt, deps, stop.signal))
          if (verdict.ok) {
            track.outcomes[index]!.status = 'deployed'
            logger.info(`${unit.target.app}: new version serving in production (${++verified}/${units.length} verified)`)
          } else if (!stop.signal.aborted) {
            track.fail(index, 'verify', verdict.reason)
            stop.abort()
          }
        })
      }
    }
    if (!track.failed) {
      deps.journal?.committed()
      return track.report(changed.size)
    }

    // 4. Everything that changed goes back, and must be proven back.
    logger.warning(`Rolling back ${changed.size} changed target${changed.size === 1 ? '' : 's'}: ${[...changed].map(i => targetName(units[i]!.target)).join(', ')}`)
    await track.phase('rollback', () =>
      inParallel([...changed], limit, async index => {
        const unit = units[index]!
        const outcome = track.outcomes[index]!
        const keep = { phase: outcome.phase, reason: outcome.reason }
        const result = await restoreUnit(unit, { previous: read[index]!.state, production: read[index]!.production, applied: desired[index]!, swap: swaps.get(index) }, deps)
        if (result.ok) {
          Object.assign(outcome, { status: 'rolled-back', phase: keep.phase, reason: keep.reason })
          deps.journal?.restored(index)
        } else Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: keep.reason ? `${keep.reason}; then ${result.reason}` : result.reason })
        logger.info(`${targetName(unit.target)}: ${result.ok ? 'back on what it ran before' : `not back: ${result.reason}`}`)
      })
    )
    return track.report(changed.size)
  } finally {
    outer.removeEventListener('abort', onOuter)
  }
}

/** What a rollback of one unit knows: what it ran before, what was applied, the swap if one started. */
export interface RestoreRequest {
  previous: TargetState
  /** Slot-swap: what production ran before. */
  production?: TargetState
  /** What the rollout applied (to the target, or the staging slot). */
  applied?: DesiredState
  /** Slot-swap: the swap, when one was started by this process. */
  swap?: Promise<void>
}

/**
 * Put one unit back as it was, and prove it: in place, apply what it ran before; slot-swap,
 * swap production back if it runs the new image, then restore the staging slot. Used by the
 * rollout and by the post step (from the journal).
 */
export async function restoreUnit(unit: RolloutUnit, request: RestoreRequest, deps: Pick<RolloutDeps, 'control' | 'verify' | 'platform'>): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { control } = deps
  if (unit.strategy !== 'slot-swap') return putBack(unit.target, request.previous, request.applied, true)
  const graceMs = 2 * unit.swapTimeoutMs
  if (request.swap) {
    // A swap that timed out may still complete: production must not be judged before it
    // settles, or it could flip to the new image after the rollback looked. Bounded wait.
    if ((await settleWithin(request.swap, graceMs, deps.verify)) === 'timeout') {
      return { ok: false, reason: `the swap was still running ${Math.round((unit.swapTimeoutMs + graceMs) / 1000)}s after it started: check ${unit.target.app} and its ${unit.target.slot} slot by hand` }
    }
  }
  const production = { ...unit.target, slot: undefined }
  let live: TargetState
  try {
    live = await control.read(production)
  } catch (error) {
    return { ok: false, reason: describeAzureError(error) }
  }
  if (live.image === unit.image && request.production?.image !== unit.image) {
    const back = await settleWithin(control.swapIntoProduction(unit.target), unit.swapTimeoutMs + graceMs, deps.verify)
    if (back !== 'done') return { ok: false, reason: back === 'timeout' ? 'the swap back did not finish in time' : `the swap back failed: ${back === 'stopped' ? 'stopped' : describeAzureError(back.error)}` }
    if (request.production) {
      const proven = await verifyOld(unit, production, request.production, deps)
      if (!proven.ok) return { ok: false, reason: `production is not proven back: ${proven.reason}` }
    }
  }
  // The staging slot holds the new release again (swapped back) or never left it.
  const current = await control.read(unit.target).catch(() => undefined)
  return putBack(unit.target, request.previous, current ? { image: current.image ?? unit.image, settings: current.settings, command: current.command } : request.applied, false)

  /** Apply what the target ran before; prove it back unless it is a staging slot nobody serves from. */
  async function putBack(target: WebAppTarget, before: TargetState, now: DesiredState | undefined, prove: boolean): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!before.image) return { ok: false, reason: 'it ran no image before, so there is none to go back to' }
    try {
      await control.apply(target, { image: before.image, settings: before.settings, command: before.command }, { ...before, ...(now ?? { image: unit.image }) }, unit.acrIdentity)
    } catch (error) {
      return { ok: false, reason: describeAzureError(error) }
    }
    if (!prove) return { ok: true }
    const proven = await verifyOld(unit, target, before, deps)
    return proven.ok ? { ok: true } : { ok: false, reason: `not proven back: ${proven.reason}` }
  }
}

function verifyOld(unit: RolloutUnit, target: WebAppTarget, before: TargetState, deps: Pick<RolloutDeps, 'verify' | 'platform'>): Promise<VerifyResult> {
  const previous = before.image ?? ''
  return verifyState({ ...unit, target, image: previous, commit: commitOfImage(previous, unit.registry, unit.repository) ?? '' }, before, Date.now(), deps, new AbortController().signal, true)
}

function verifyingWhat(unit: RolloutUnit): string {
  if (unit.verify.mode === 'platform') return "waiting for App Service's record that its container started"
  if (unit.verify.mode === 'none') return 'not verified (verify: none)'
  return `waiting for ${unit.commit.slice(0, 12)} to answer`
}

function verifyNew(unit: RolloutUnit, state: TargetState, since: number, deps: RolloutDeps, signal: AbortSignal): Promise<VerifyResult> {
  return verifyState(unit, state, since, deps, signal, false)
}

/** Proof that `unit.image` serves on `unit.target`, by the part's verify mode. */
async function verifyState(unit: RolloutUnit, state: TargetState, since: number, deps: Pick<RolloutDeps, 'verify' | 'platform'>, signal: AbortSignal, rollingBack: boolean): Promise<VerifyResult> {
  const check = unit.verify
  const timeoutMs = check.timeoutSeconds * 1000
  if (check.mode === 'none') return { ok: true, seconds: 0 }
  if (check.mode === 'platform') {
    if (!deps.platform) return { ok: false, seconds: 0, reason: 'verify: platform needs the Azure sign-in to read the docker log' }
    if (!state.scmUrl) return { ok: false, seconds: 0, reason: `the site lists no SCM (Kudu) host name to read the docker log from; use verify: version or none for ${targetName(unit.target)}` }
    return waitForPlatformStart({ scmUrl: state.scmUrl, image: unit.image, since: since - 5_000, timeoutMs, intervalMs: check.intervalSeconds * 1000 }, { ...deps.platform, sleep: deps.verify.sleep, now: deps.verify.now }, signal)
  }
  // Rolling back to an image that is not ours: any 2xx counts, there is no commit to expect.
  const expected = rollingBack && !unit.commit ? undefined : unit.commit
  return waitForVersion(state.url, expected, { path: check.path, versionHeader: check.versionHeader, consecutive: check.consecutive, timeoutMs, intervalMs: check.intervalSeconds * 1000 }, deps.verify, signal)
}

/** Each unit's state (for slot-swap: the staging slot's and production's), or the first that could not be read. */
async function readAll(units: readonly RolloutUnit[], control: WebAppControl, limit: number): Promise<JournalledState[] | { index: number; reason: string }> {
  try {
    return await inParallel(units, limit, async (unit, index) => {
      try {
        const state = await control.read(unit.target)
        const production = unit.strategy === 'slot-swap' ? await control.read({ ...unit.target, slot: undefined }) : undefined
        return { target: unit.target, state, production }
      } catch (error) {
        throw Object.assign(new Error(describeAzureError(error)), { index })
      }
    })
  } catch (error) {
    return { index: (error as { index: number }).index, reason: (error as Error).message }
  }
}

type Settled = 'done' | 'timeout' | 'stopped' | { error: unknown }

/** Wait for a promise at most `ms` (or until `signal`); it keeps running after either. */
async function settleWithin(work: Promise<void>, ms: number, clock: Pick<VerifyDeps, 'sleep'>, signal?: AbortSignal): Promise<Settled> {
  const timer = new AbortController()
  try {
    return await Promise.race([
      work.then(
        (): Settled => 'done',
        (error: unknown): Settled => ({ error })
      ),
      clock.sleep(ms, timer.signal).then(
        (): Settled => 'timeout',
        (): Settled => 'timeout'
      ),
      ...(signal ? [new Promise<Settled>(resolve => (signal.aborted ? resolve('stopped') : signal.addEventListener('abort', () => resolve('stopped'), { once: true })))] : [])
    ])
  } finally {
    timer.abort()
  }
}
