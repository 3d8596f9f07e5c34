/**
 * What a run has in flight, written to a file as it happens, so that whatever ends the main
 * step — a failure, the runner's Cancel (SIGINT, then SIGTERM), a crash — the `post:` step
 * can find what is left to repair: targets switched to a release that was never verified,
 * the environment's lock, registry credentials on disk, GitHub deployments still in progress.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { RolloutJournal, RolloutUnit } from '../backend/rollout.js'
import type { TargetState } from '../backend/web-app-control.js'
import type { CloudEndpoints } from '../azure/cloud.js'

export interface JournalledUnit {
  unit: RolloutUnit
  previous: TargetState
  production?: TargetState
  changed: boolean
  restored: boolean
}

export interface JournalData {
  version: 1
  environment: string
  commit: string
  /** Where the post step signs in again. */
  cloud: CloudEndpoints
  startedAt: string
  lock?: { blobEndpoint: string; container: string; blob: string; leaseId: string; released: boolean }
  /** Private Docker configs holding registry credentials, deleted at the end. */
  dockerConfigs: string[]
  deployments: { id: number; environment: string; part: string; finished: boolean }[]
  rollout?: { state: 'switching' | 'committed' | 'rolled-back'; units: JournalledUnit[] }
  /** Set when the main step ended on its own terms: nothing is left for the post step. */
  finished: boolean
}

export interface Journal {
  readonly path: string
  read(): JournalData
  update(change: (data: JournalData) => void): void
  /** The rollout's view of the journal. */
  rollout(): RolloutJournal
}

/**
 * A journal file, rewritten whole on every change (small, and renamed into place so that a
 * process killed mid-write leaves the previous version, never half of one).
 */
export function createJournal(directory: string, start: Pick<JournalData, 'environment' | 'commit' | 'cloud'>): Journal {
  const file = path.join(directory, `azure-push-deploy-${randomUUID()}.json`)
  const data: JournalData = { version: 1, ...start, startedAt: new Date().toISOString(), dockerConfigs: [], deployments: [], finished: false }
  const write = () => {
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(data))
    renameSync(temporary, file)
  }
  write()
  const journal: Journal = {
    path: file,
    read: () => data,
    update(change) {
      change(data)
      write()
    },
    rollout: () => ({
      planned(units, previous) {
        journal.update(current => {
          current.rollout = { state: 'switching', units: units.map((unit, index) => ({ unit, previous: previous[index]!.state, production: previous[index]!.production, changed: false, restored: false })) }
        })
      },
      changed(index) {
        journal.update(current => {
          const entry = current.rollout?.units[index]
          if (entry) entry.changed = true
        })
      },
      committed() {
        journal.update(current => {
          if (current.rollout) current.rollout.state = 'committed'
        })
      },
      restored(index) {
        journal.update(current => {
          const entry = current.rollout?.units[index]
          if (entry) entry.restored = true
          if (current.rollout && current.rollout.units.every(unit => !unit.changed || unit.restored)) current.rollout.state = 'rolled-back'
        })
      }
    })
  }
  return journal
}

/** A journal a main step left (the post step reads it); undefined when there is none or it cannot be read. */
export function readJournal(file: string): JournalData | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as JournalData
    return data.version === 1 ? data : undefined
  } catch {
    return undefined
  }
}

export { type JournalData as JournalContents }
export type { RolloutUnit }
