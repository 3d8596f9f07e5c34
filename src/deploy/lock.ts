/**
 * One deploy of an environment at a time: a blob lease on `<container>/<environment>/deploy.lock`,
 * renewed while held, released on every way out (a crashed runner's lease lapses within a
 * minute). The holder writes its run, commit and start time on the blob, so a waiting run can
 * say who it waits for. The lease ID is chosen before the lease is taken, so the journal knows
 * it and the post step can release a lock its main step could not.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TokenCredential } from '@azure/core-auth'
import { BlobServiceClient, type BlockBlobClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob'
import { DeployError } from '../errors.js'
import type { Logger } from '../logger.js'

export interface LockLocation {
  /** `https://<account>.blob.<suffix>`, or a private endpoint. */
  blobEndpoint: string
  container: string
  blob: string
}

/** Who holds the lock, as the next run reads it. */
export interface LockHolder {
  runUrl?: string
  commit: string
  startedAt: string
}

export interface LockOptions {
  /** 15–60 s (Azure's limits): how long a crashed runner's lock outlives it. */
  leaseSeconds?: number
  /** How long to wait for another deploy's lock before failing. */
  waitMs: number
  /** Renewal period; a third of the lease by default, so two renewals can fail before it lapses. */
  renewEveryMs?: number
  /** Poll period while another deploy holds the lock. */
  pollMs?: number
  /** The lease ID to take it with (the journal records it first). */
  leaseId?: string
  /** Stop waiting (cancellation, the deadline). */
  signal?: AbortSignal
  logger?: Logger
  /** Storage SDK retries; tests shorten the delays. */
  retry?: { maxTries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number; tryTimeoutInMs?: number }
}

export interface DeployLock {
  /** `<account>/<container>/<blob>` */
  readonly name: string
  readonly leaseId: string
  /** Throws when a renewal failed, so the lease may have lapsed and another deploy may be running. */
  assertHeld(): void
  /** Stops renewing and releases the lease; safe to call twice. */
  release(): Promise<void>
}

interface StorageFailure {
  statusCode?: number
  code?: string
  message?: string
  details?: { errorCode?: string }
}

const errorCodeOf = (error: unknown) => (error as StorageFailure).code ?? (error as StorageFailure).details?.errorCode

/** The storage pipeline every lock call uses: a bounded time per try and a bounded number of tries. */
export function lockPipeline(retry?: LockOptions['retry']): StoragePipelineOptions {
  return { retryOptions: { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 30_000, ...retry } }
}

function lockBlobOf(location: LockLocation, credential: TokenCredential, retry?: LockOptions['retry']): { blob: BlockBlobClient; container: ContainerClient; name: string } {
  const service = new BlobServiceClient(location.blobEndpoint, credential, lockPipeline(retry))
  const container = service.getContainerClient(location.container)
  return { blob: container.getBlockBlobClient(location.blob), container, name: `${service.accountName}/${location.container}/${location.blob}` }
}

function failure(action: string, name: string, error: unknown): DeployError {
  if (error instanceof DeployError) return error
  const storage = error as StorageFailure
  const code = errorCodeOf(error)
  const status = storage.statusCode
  const hint =
    status === 403
      ? `The signed-in identity needs the "Storage Blob Data Contributor" role on the storage account of the lock (${name.split('/')[0]}), or set environments.<name>.lock to a storage account it can write to.`
      : code === 'ContainerNotFound'
        ? 'Create the container, or fix lock.container in the config.'
        : undefined
  return new DeployError(`${action} ${name} failed: ${status ? `${status} ` : ''}${code ? `${code}: ` : ''}${(storage.message ?? String(error)).split('\n')[0]}`, hint)
}

/** The holder recorded on the lock blob, as a sentence, when there is one. */
async function describeHolder(blob: BlockBlobClient): Promise<string | undefined> {
  try {
    const { metadata } = await blob.getProperties()
    if (!metadata?.commit) return undefined
    return `run ${metadata.runurl ?? '(unknown run)'}, commit ${metadata.commit.slice(0, 12)}, started ${metadata.startedat ?? '(unknown time)'}`
  } catch {
    return undefined
  }
}

export async function acquireDeployLock(location: LockLocation, credential: TokenCredential, holder: LockHolder, options: LockOptions): Promise<DeployLock> {
  const { leaseSeconds = 60, waitMs, pollMs = 2000, logger, signal } = options
  const { blob, container, name } = lockBlobOf(location, credential, options.retry)
  const leaseId = options.leaseId ?? randomUUID()
  const lease = blob.getBlobLeaseClient(leaseId)
  const deadline = Date.now() + waitMs
  let announced = false
  let created = false
  for (;;) {
    if (signal?.aborted) throw new DeployError(`stopped while waiting for the deploy lock ${name}: ${String((signal.reason as Error | undefined)?.message ?? signal.reason)}`)
    try {
      await lease.acquireLease(leaseSeconds)
      break
    } catch (error) {
      const code = errorCodeOf(error)
      if ((code === 'BlobNotFound' || code === 'ContainerNotFound') && !created) {
        created = true
        // First deploy: make the container and the lock blob. Another deploy may make them at the same moment.
        await container
          .createIfNotExists()
          .catch((refused: unknown) => {
            throw failure('creating the container of', name, refused)
          })
        await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((refused: unknown) => {
          if (!/BlobAlreadyExists|LeaseIdMissing|ConditionNotMet/.test(errorCodeOf(refused) ?? '')) throw failure('creating', name, refused)
        })
        continue
      }
      if (code !== 'LeaseAlreadyPresent') throw failure('locking', name, error)
      if (Date.now() + pollMs > deadline) {
        const holderText = await describeHolder(blob)
        throw new DeployError(
          `another deploy of this environment holds the lock ${name}${holderText ? ` (${holderText})` : ''}; waited ${Math.round(waitMs / 1000)} s. It expires by itself within ${leaseSeconds} s if its runner died.`,
          'Let the other deploy finish (a workflow `concurrency:` group per environment avoids the wait), then re-run this one; a re-run of an older commit ends as superseded.'
        )
      }
      if (!announced) {
        logger?.info(`waiting for another deploy to release ${name} (up to ${Math.round(waitMs / 1000)} s)`)
        const holderText = await describeHolder(blob)
        if (holderText) logger?.info(`  it is held by ${holderText}`)
      }
      announced = true
      await sleep(pollMs, undefined, signal ? { signal } : undefined).catch(() => undefined)
    }
  }
  // Who holds it, for a run that waits: written while the deploy goes on, not before it.
  const recorded = blob.setMetadata({ runurl: holder.runUrl ?? '', commit: holder.commit, startedat: holder.startedAt }, { conditions: { leaseId } }).then(
    () => undefined,
    (error: unknown) => logger?.debug(`could not record the lock's holder on ${name}: ${(error as Error).message}`)
  )

  let lost: DeployError | undefined
  let released = false
  let renewedAt = Date.now()
  const renewal = setInterval(() => {
    lease.renewLease().then(
      () => {
        renewedAt = Date.now()
      },
      (error: unknown) => {
        if (released || lost) return
        const problem = failure('renewing the lease on', name, error)
        // 409/412: the lease was broken or taken over. Otherwise it holds until it lapses.
        const status = (error as StorageFailure).statusCode
        if (status === 409 || status === 412 || Date.now() - renewedAt >= leaseSeconds * 1000) {
          lost = problem
          logger?.warning(`${problem.message}: another deploy may start before this one ends`)
        } else {
          logger?.warning(`${problem.message}; retrying`)
        }
      }
    )
  }, options.renewEveryMs ?? (leaseSeconds * 1000) / 3)
  // A crashed deploy must not be kept alive by its renewal timer: the lease then lapses by itself.
  renewal.unref()

  return {
    name,
    leaseId,
    assertHeld() {
      if (lost) throw new DeployError(`the deploy lock ${name} was lost: ${lost.message}`, 'Another deploy may have started meanwhile: re-run this one once it has finished.')
    },
    async release() {
      if (released) return
      released = true
      clearInterval(renewal)
      await recorded
      await lease.releaseLease().catch((error: unknown) => {
        logger?.warning(`${failure('releasing', name, error).message} (it expires by itself within ${leaseSeconds} s)`)
      })
    }
  }
}

/** Release a lock a run took and could not give back (the post step, from the journal). */
export async function releaseDeployLock(location: LockLocation, credential: TokenCredential, leaseId: string, retry?: LockOptions['retry']): Promise<'released' | 'not-held'> {
  const { blob, name } = lockBlobOf(location, credential, retry)
  try {
    await blob.getBlobLeaseClient(leaseId).releaseLease()
    return 'released'
  } catch (error) {
    const code = errorCodeOf(error)
    // Lapsed, taken by another run, or never taken: nothing of ours to release.
    if (code === 'LeaseIdMismatchWithLeaseOperation' || code === 'LeaseNotPresentWithLeaseOperation' || code === 'BlobNotFound' || code === 'LeaseIdMismatch') return 'not-held'
    throw failure('releasing', name, error)
  }
}
