/**
 * ARM's asynchronous operations (ARM RPC, "Asynchronous operations"):
 * https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/async-api-reference.md
 *
 * The action's request answers 202 Accepted with
 * - `Azure-AsyncOperation: .../providers/{ns}/locations/{location}/operationStatuses/{id}`: GET
 *   answers 200 with `{ id, name, status: InProgress|Succeeded|Failed|Canceled, startTime,
 *   endTime?, error? }`, and `Retry-After` while in progress;
 * - `Location: .../providers/{ns}/locations/{location}/operationResults/{id}`: GET answers 202
 *   (with Location and Retry-After) while in progress, then 200 with no body, or the error's
 *   status with an ARM error body;
 * - `Retry-After` (seconds).
 *
 * What the SDKs follow: @azure/core-lro polls `Operation-Location`, else `Azure-AsyncOperation`,
 * else `Location`, reading `status` from the body; on success it GETs the final resource
 * location when the operation's `resourceLocationConfig` says so (the App Service swaps and the
 * classic CDN purge: `location`; the Front Door purge: `azure-async-operation`, no final GET).
 * The modular @azure/arm-appservice 19 checks every poll's status against the operation's
 * expected codes (200, 201, 202), so the final GET answers 200, never 204.
 */
import { randomUUID } from 'node:crypto'
import { HttpError, armError } from './https-server.mjs'

/**
 * @typedef {object} Operation
 * @property {string} id
 * @property {string} statusPath
 * @property {string} resultPath
 * @property {'InProgress' | 'Succeeded' | 'Failed' | 'Canceled'} status
 * @property {string} startTime
 * @property {string} [endTime]
 * @property {{ status: number, code: string, message: string }} [error]
 * @property {string} kind what the operation does, for the state and the call log
 */

/**
 * @param {{ baseUrl: string, location: string, retryAfterSeconds: () => number }} options
 */
export function createLongRunningOperations({ baseUrl, location, retryAfterSeconds }) {
  /** @type {Map<string, Operation>} */
  const operations = new Map()
  /** @type {Set<ReturnType<typeof setTimeout>>} */
  const timers = new Set()

  /**
   * Starts an operation that completes after `durationMs` by running `complete`; it fails with
   * the HttpError (or any error, as 500) that `complete` throws.
   * @param {object} options
   * @param {string} options.kind
   * @param {string} options.subscription
   * @param {string} options.namespace e.g. `Microsoft.Web`
   * @param {string} options.apiVersion echoed in the polling URLs, as ARM does
   * @param {number} options.durationMs
   * @param {() => Promise<void> | void} options.complete
   * @returns {{ operation: Operation, reply: import('./https-server.mjs').Reply }}
   */
  function start({ kind, subscription, namespace, apiVersion, durationMs, complete }) {
    const id = randomUUID()
    const prefix = `/subscriptions/${subscription}/providers/${namespace}/locations/${location}`
    /** @type {Operation} */
    const operation = {
      id,
      kind,
      statusPath: `${prefix}/operationStatuses/${id}`,
      resultPath: `${prefix}/operationResults/${id}`,
      status: 'InProgress',
      startTime: new Date().toISOString()
    }
    operations.set(id, operation)
    const timer = setTimeout(async () => {
      timers.delete(timer)
      try {
        await complete()
        operation.status = 'Succeeded'
      } catch (error) {
        operation.status = 'Failed'
        if (error instanceof HttpError) {
          const body = /** @type {{ error?: { code?: string, message?: string }, Code?: string, Message?: string }} */ (error.body)
          operation.error = { status: error.status, code: body.error?.code ?? body.Code ?? 'Failed', message: body.error?.message ?? body.Message ?? 'The operation failed.' }
        } else {
          operation.error = { status: 500, code: 'InternalServerError', message: error instanceof Error ? error.message : String(error) }
        }
      }
      operation.endTime = new Date().toISOString()
    }, durationMs)
    timers.add(timer)
    return { operation, reply: { status: 202, headers: pollingHeaders(operation, apiVersion), body: undefined } }
  }

  /**
   * @param {Operation} operation
   * @param {string} apiVersion
   */
  function pollingHeaders(operation, apiVersion) {
    const query = `?api-version=${encodeURIComponent(apiVersion)}`
    return {
      'Azure-AsyncOperation': `${baseUrl}${operation.statusPath}${query}`,
      Location: `${baseUrl}${operation.resultPath}${query}`,
      'Retry-After': String(retryAfterSeconds())
    }
  }

  /** @param {string} id */
  function find(id) {
    const operation = operations.get(id)
    if (operation === undefined) throw armError(404, 'OperationNotFound', `The operation '${id}' could not be found.`)
    return operation
  }

  return {
    start,
    /** Every operation so far, oldest first. */
    list() {
      return [...operations.values()]
    },
    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      const prefix = '^/subscriptions/[^/]+/providers/(?<namespace>[^/]+)/locations/[^/]+'
      router.add('GET', new RegExp(`${prefix}/operationStatuses/(?<id>[^/]+)$`, 'i'), (request, { id = '' }) => {
        const operation = find(id)
        /** @type {Record<string, string>} */
        const headers = operation.status === 'InProgress' ? { 'Retry-After': String(retryAfterSeconds()) } : {}
        const { status, startTime, endTime, error } = operation
        return {
          status: 200,
          headers,
          body: {
            id: operation.statusPath,
            name: operation.id,
            status,
            startTime,
            ...(endTime === undefined ? {} : { endTime }),
            ...(error === undefined ? {} : { error: { code: error.code, message: error.message } })
          }
        }
      })
      router.add('GET', new RegExp(`${prefix}/operationResults/(?<id>[^/]+)$`, 'i'), (request, { id = '' }) => {
        const operation = find(id)
        if (operation.status === 'InProgress') {
          const { Location, 'Retry-After': retryAfter } = pollingHeaders(operation, request.apiVersion ?? '')
          return { status: 202, headers: { Location, 'Retry-After': retryAfter } }
        }
        if (operation.error !== undefined) throw armError(operation.error.status, operation.error.code, operation.error.message)
        return { status: 200 }
      })
    },
    /** Cancels the timers of operations still running (the stand-in is closing). */
    stop() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    }
  }
}
