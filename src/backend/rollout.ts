import type { Logger } from '../logger.js'
import { inParallel } from '../parallel.js'
import type { WebAppTarget } from '../plan.js'
import { waitForVersion, type VerifyDeps, type VersionCheck } from './health.js'
import { commitOfImage } from './image-reference.js'
import type { TargetState, WebAppControl } from './web-app-control.js'
import { targetName } from './web-app-state.js'

export type TargetStatus = 'deployed' | 'rolled-back' | 'rollback-failed' | 'failed' | 'untouched'
export type RolloutPhase = 'read' | 'switch' | 'verify' | 'stage' | 'swap' | 'rollback'

/** What happened to one app or slot; the `targets` output is a list of these. */
export interface TargetOutcome {
  app: string
  slot?: string
  url: string
  previousImage?: string
  newImage: string
  status: TargetStatus
  seconds: number
  /** Where it went wrong, when it did. */
  phase?: RolloutPhase
  reason?: string
}

export interface RolloutRequest {
  strategy: 'in-place' | 'slot-swap'
  targets: readonly WebAppTarget[]
  /** The image every target switches to. */
  image: string
  commit: string
  /** To tell which previous images are ours (and so which commit to verify after a rollback). */
  registry: string
  repository: string
  acrIdentity?: string
  check: VersionCheck
  swapTimeoutMs: number
}

export interface RolloutDeps {
  control: WebAppControl
  verify: VerifyDeps
  logger: Logger
}

/** At most this many targets are read, switched or swapped at once. */
const MAX_PARALLEL_TARGETS = 8

export interface RolloutReport {
  ok: boolean
  targets: TargetOutcome[]
  /** The first failure, as the step's error says it: target, phase, reason. */
  failure?: string
  /** Wall time of each phase, in seconds. */
  phases: Partial<Record<RolloutPhase, number>>
}

/** `ARM 409 Conflict: …` for Azure REST errors; the message otherwise. */
function describeError(error: unknown): string {
  const rest = error as { statusCode?: number; code?: string; message?: string }
  if (typeof rest.statusCode === 'number') return `ARM ${rest.statusCode}${rest.code ? ` ${rest.code}` : ''}: ${rest.message ?? ''}`.trim()
  return error instanceof Error ? error.message : String(error)
}


/**
 * Switch every target to one image in parallel and verify the new version answers on each;
 * if any target fails, every target already switched goes back to what it ran before
 * (in-place) or is swapped back (slot-swap) and is verified back. All or nothing.
 */
export async function rollout(request: RolloutRequest, deps: RolloutDeps): Promise<RolloutReport> {
  return request.strategy === 'slot-swap' ? slotSwap(request, deps) : inPlace(request, deps)
}

/** Records each phase's wall time and each target's outcome. */
function tracker(request: RolloutRequest, now: () => number) {
  const started = now()
  // Targets run a phase in parallel: its time is from the first start to the last end.
  const windows: Partial<Record<RolloutPhase, { from: number; to: number }>> = {}
  const outcomes: TargetOutcome[] = request.targets.map(target => ({ app: target.app, slot: target.slot, url: '', newImage: request.image, status: 'untouched', seconds: 0 }))
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
      failure ??= `${targetName(request.targets[index]!)} failed to ${phase === 'verify' ? 'verify' : phase}: ${reason}`
    },
    get failed() {
      return failure !== undefined
    },
    report(): RolloutReport {
      const seconds = (now() - started) / 1000
      for (const outcome of outcomes) outcome.seconds = Math.round(seconds * 10) / 10
      const phases = Object.fromEntries(Object.entries(windows).map(([name, window]) => [name, Math.round((window.to - window.from) / 100) / 10]))
      return { ok: failure === undefined, targets: outcomes, failure, phases }
    }
  }
}

async function readAll(targets: readonly WebAppTarget[], control: WebAppControl, limit: number): Promise<TargetState[] | { index: number; reason: string }> {
  try {
    return await inParallel(targets, limit, async (target, index) => {
      try {
        return await control.read(target)
      } catch (error) {
        throw Object.assign(new Error(describeError(error)), { index })
      }
    })
  } catch (error) {
    return { index: (error as { index: number }).index, reason: (error as Error).message }
  }
}

async function inPlace(request: RolloutRequest, deps: RolloutDeps): Promise<RolloutReport> {
  const { control, logger } = deps
  const limit = MAX_PARALLEL_TARGETS
  const track = tracker(request, deps.verify.now)
  const states = await track.phase('read', () => readAll(request.targets, control, limit))
  if (!Array.isArray(states)) {
    track.fail(states.index, 'read', states.reason)
    return track.report()
  }
  states.forEach((state, index) => Object.assign(track.outcomes[index]!, { url: state.url, previousImage: state.image }))

  const stop = new AbortController()
  const switched = new Set<number>()
  let verified = 0
  await inParallel(request.targets, limit, async (target, index) => {
    if (stop.signal.aborted) return
    const name = targetName(target)
    try {
      await track.phase('switch', () => switchImage(control, target, states[index]!.image, request.image, request.acrIdentity))
      switched.add(index)
    } catch (error) {
      track.fail(index, 'switch', describeError(error))
      stop.abort()
      return
    }
    logger.info(`${name}: switched to ${request.image}; waiting for ${request.commit.slice(0, 12)} to answer`)
    const verdict = await track.phase('verify', () => waitForVersion(states[index]!.url, request.commit, request.check, deps.verify, stop.signal))
    if (verdict.ok) {
      logger.info(`${name}: new version serving after ${Math.round(verdict.seconds)}s (${++verified}/${request.targets.length} verified)`)
      track.outcomes[index]!.status = 'deployed'
    } else if (!stop.signal.aborted) {
      track.fail(index, 'verify', verdict.reason)
      stop.abort()
    }
  })
  if (!track.failed) return track.report()

  logger.warning(`Rolling back ${switched.size} switched target${switched.size === 1 ? '' : 's'}: ${[...switched].map(i => targetName(request.targets[i]!)).join(', ')}`)
  await track.phase('rollback', () =>
    inParallel([...switched], limit, async index => {
      const target = request.targets[index]!
      const previous = states[index]!.image
      const outcome = track.outcomes[index]!
      const keep = { phase: outcome.phase, reason: outcome.reason }
      if (!previous) {
        Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: `${keep.reason ? `${keep.reason}; ` : ''}it ran no image before, so there is none to go back to` })
        return
      }
      try {
        await switchImage(control, target, request.image, previous, request.acrIdentity)
      } catch (error) {
        Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: describeError(error) })
        return
      }
      const back = await waitForVersion(outcome.url, commitOfImage(previous, request.registry, request.repository), request.check, deps.verify)
      Object.assign(outcome, back.ok ? { status: 'rolled-back', ...keep } : { status: 'rollback-failed', phase: 'rollback', reason: back.reason })
      logger.info(`${targetName(target)}: ${back.ok ? `back on ${previous}` : `rollback not verified: ${back.reason}`}`)
    })
  )
  return track.report()
}

/** Point the target at `image`; re-deploying the same reference needs a restart to be re-pulled. */
async function switchImage(control: WebAppControl, target: WebAppTarget, current: string | undefined, image: string, acrIdentity?: string): Promise<void> {
  if (current === image) await control.restart(target)
  else await control.setImage(target, image, acrIdentity)
}

async function slotSwap(request: RolloutRequest, deps: RolloutDeps): Promise<RolloutReport> {
  const { control, logger } = deps
  const limit = MAX_PARALLEL_TARGETS
  const track = tracker(request, deps.verify.now)
  const production = request.targets.map(target => ({ ...target, slot: undefined }))
  const states = await track.phase('read', async () => {
    const staging = await readAll(request.targets, control, limit)
    const live = await readAll(production, control, limit)
    return Array.isArray(staging) && Array.isArray(live) ? { staging, live } : { failed: Array.isArray(staging) ? live : staging }
  })
  if ('failed' in states) {
    const failed = states.failed as { index: number; reason: string }
    track.fail(failed.index, 'read', failed.reason)
    return track.report()
  }
  states.live.forEach((state, index) => Object.assign(track.outcomes[index]!, { url: state.url, previousImage: state.image }))

  // 1. Each staging slot gets the new image and must serve it before anything is swapped.
  const stop = new AbortController()
  const staged = new Set<number>()
  await inParallel(request.targets, limit, async (target, index) => {
    if (stop.signal.aborted) return
    try {
      await track.phase('stage', () => switchImage(control, target, states.staging[index]!.image, request.image, request.acrIdentity))
      staged.add(index)
    } catch (error) {
      track.fail(index, 'stage', describeError(error))
      stop.abort()
      return
    }
    const verdict = await track.phase('stage', () => waitForVersion(states.staging[index]!.url, request.commit, request.check, deps.verify, stop.signal))
    if (verdict.ok) logger.info(`${targetName(target)}: new version serving on the staging slot`)
    else if (!stop.signal.aborted) {
      track.fail(index, 'stage', verdict.reason)
      stop.abort()
    }
  })
  if (track.failed) {
    // Production never changed: put the staging slots back as they were.
    await track.phase('rollback', () =>
      inParallel([...staged], limit, async index => {
        const previous = states.staging[index]!.image
        if (previous) await switchImage(control, request.targets[index]!, request.image, previous, request.acrIdentity).catch(() => undefined)
      })
    )
    return track.report()
  }

  // 2. Swap every staging slot into production, each within the swap timeout.
  const swaps = request.targets.map(target => control.swapIntoProduction(target))
  const swapped = new Set<number>()
  await track.phase('swap', () =>
    Promise.all(
      swaps.map(async (swap, index) => {
        const outcome = await settleWithin(swap, request.swapTimeoutMs, deps.verify)
        if (outcome === 'done') swapped.add(index)
        else track.fail(index, 'swap', outcome === 'timeout' ? `the swap did not finish within ${Math.round(request.swapTimeoutMs / 1000)}s` : describeError(outcome.error))
      })
    )
  )

  // 3. Production must serve the new version everywhere.
  if (!track.failed) {
    await inParallel([...swapped], limit, async index => {
      const verdict = await track.phase('verify', () => waitForVersion(states.live[index]!.url, request.commit, request.check, deps.verify, stop.signal))
      if (verdict.ok) track.outcomes[index]!.status = 'deployed'
      else if (!stop.signal.aborted) {
        track.fail(index, 'verify', verdict.reason)
        stop.abort()
      }
    })
  }
  if (!track.failed) return track.report()

  // 4. Swap back every production that now runs the new image, then verify the old version.
  await track.phase('rollback', () =>
    inParallel(request.targets, limit, async (target, index) => {
      const outcome = track.outcomes[index]!
      const keep = { phase: outcome.phase, reason: outcome.reason }
      // A swap that timed out may still complete: production must not be judged before it
      // settles, or it could flip to the new image after the rollback looked. Bounded wait.
      const graceMs = 2 * request.swapTimeoutMs
      if ((await settleWithin(swaps[index]!, graceMs, deps.verify)) === 'timeout') {
        Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: `the swap was still running ${Math.round((request.swapTimeoutMs + graceMs) / 1000)}s after it started: check ${target.app} and its ${target.slot} slot by hand` })
        return
      }
      let live: TargetState
      try {
        live = await control.read(production[index]!)
      } catch (error) {
        Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: describeError(error) })
        return
      }
      if (live.image !== request.image) return
      // Going back matters more than going fast: the swap back gets the same total bound.
      const back = await settleWithin(control.swapIntoProduction(target), request.swapTimeoutMs + graceMs, deps.verify)
      if (back !== 'done') {
        Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: back === 'timeout' ? 'the swap back did not finish in time' : describeError(back.error) })
        return
      }
      const verdict = await waitForVersion(outcome.url, commitOfImage(states.live[index]!.image ?? '', request.registry, request.repository), request.check, deps.verify)
      Object.assign(outcome, verdict.ok ? { status: 'rolled-back', ...keep } : { status: 'rollback-failed', phase: 'rollback', reason: verdict.reason })
      logger.info(`${target.app}: ${verdict.ok ? 'swapped back' : `swap back not verified: ${verdict.reason}`}`)
    })
  )
  return track.report()
}

type Settled = 'done' | 'timeout' | { error: unknown }

/** Wait for a promise at most `ms`; it keeps running after a timeout. */
async function settleWithin(work: Promise<void>, ms: number, clock: Pick<VerifyDeps, 'sleep'>): Promise<Settled> {
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
      )
    ])
  } finally {
    timer.abort()
  }
}
