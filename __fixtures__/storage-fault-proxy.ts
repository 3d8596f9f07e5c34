/**
 * An HTTPS proxy in front of Azurite that records every request the storage receives (what,
 * when it arrived, when its answer went back) and, while a fault is set, answers PUTs of the
 * matching blobs (or the service properties) with the 403 Azure sends to an identity without
 * the role for them — in Azure's XML error shape, after reading the request body, as the
 * service does. A test can also hold matching requests back until it lets them through (a
 * slow storage at the moment the test chooses). Everything else is forwarded unchanged, so a
 * client pointed at the proxy sees Azurite.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import https from 'node:https'

export interface StorageRequest {
  method: string
  /** Decoded: `$web`, `deployments`; undefined for account-level calls. */
  container?: string
  /** Decoded blob name, undefined for container- or account-level calls. */
  blob?: string
  query: Record<string, string>
  /** x-ms-lease-action (acquire, renew, release, break) on lease calls. */
  leaseAction?: string
  /** 0 until answered. */
  status: number
  /** Injected by the proxy rather than answered by Azurite. */
  fault: boolean
  /** Date.now() when the request arrived / when its answer was handed back. */
  startedAt: number
  finishedAt: number
}

export interface StorageFaultProxy {
  /** `https://127.0.0.1:<port>/devstoreaccount1`: what a client puts in place of Azurite's. */
  blobEndpoint: string
  /** Every request, in arrival order. */
  requests: StorageRequest[]
  /** Answer PUTs of blobs `matches` accepts with 403 AuthorizationPermissionMismatch; `undefined` switches it off. */
  failPuts(matches: ((container: string, blob: string) => boolean) | undefined): void
  /**
   * Answer Get and Set (`all`: an identity with a data role only) or only Set (`write`: one that
   * may read the account too) Blob Service Properties with the same 403; `undefined` switches it off.
   */
  failServiceProperties(which: 'all' | 'write' | undefined): void
  /**
   * From now on, requests `matches` accepts wait here, unanswered, until `release()` sends
   * them (and every later one) on to the storage; a client that gives up meanwhile ends its own.
   */
  hold(matches: (request: StorageRequest) => boolean): HeldRequests
  close(): Promise<void>
}

export interface HeldRequests {
  /** Requests held so far (those still waiting and those already let through). */
  readonly count: number
  release(): void
}

export interface StorageFaultProxyOptions {
  /** Azurite's HTTPS port on 127.0.0.1. */
  upstreamPort: number
  /** The CA that signed Azurite's certificate. */
  upstreamCa: string
  /** The proxy's own server certificate (for 127.0.0.1) and key. */
  cert: string
  key: string
  account?: string
}

const DENIED = 'This request is not authorized to perform this operation using this permission.'

export async function startStorageFaultProxy(options: StorageFaultProxyOptions): Promise<StorageFaultProxy> {
  const account = options.account ?? 'devstoreaccount1'
  const agent = new https.Agent({ keepAlive: true, ca: options.upstreamCa })
  const requests: StorageRequest[] = []
  let fault: ((container: string, blob: string) => boolean) | undefined
  let serviceFault: 'all' | 'write' | undefined
  const holds = new Set<{ matches: (request: StorageRequest) => boolean; waiting: (() => void)[]; count: number }>()

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const url = new URL(incoming.url ?? '/', 'https://proxy.invalid')
    const [, container, ...blob] = url.pathname.split('/').slice(1)
    const leaseAction = incoming.headers['x-ms-lease-action']
    const record: StorageRequest = {
      method: (incoming.method ?? 'GET').toUpperCase(),
      container: container ? decodeURIComponent(container) : undefined,
      blob: blob.length > 0 ? decodeURIComponent(blob.join('/')) : undefined,
      query: Object.fromEntries(url.searchParams),
      leaseAction: typeof leaseAction === 'string' ? leaseAction : undefined,
      status: 0,
      fault: false,
      startedAt: Date.now(),
      finishedAt: 0
    }
    requests.push(record)
    outgoing.once('finish', () => {
      record.status = outgoing.statusCode
      record.finishedAt = Date.now()
    })

    const serviceProperties = record.container === undefined && record.query.restype === 'service' && record.query.comp === 'properties'
    const refused = serviceProperties ? serviceFault === 'all' || (serviceFault === 'write' && record.method === 'PUT') : record.method === 'PUT' && record.container !== undefined && record.blob !== undefined && record.query.comp === undefined && fault?.(record.container, record.blob)
    if (refused) {
      record.fault = true
      // Azure reads the whole request before it answers; so must we, or the client sees a reset and retries.
      incoming.resume()
      incoming.once('end', () => {
        const requestId = randomUUID()
        const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>${DENIED}\nRequestId:${requestId}\nTime:${new Date().toISOString().replace('Z', '0000Z')}</Message></Error>`
        outgoing.writeHead(403, DENIED, {
          'Content-Type': 'application/xml',
          'Content-Length': Buffer.byteLength(body),
          Server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
          'x-ms-request-id': requestId,
          'x-ms-version': String(incoming.headers['x-ms-version'] ?? '2025-11-05'),
          'x-ms-error-code': 'AuthorizationPermissionMismatch',
          Date: new Date().toUTCString()
        })
        outgoing.end(body)
      })
      return
    }

    const forward = () => {
      if (incoming.destroyed || outgoing.destroyed) return
      const upstream = https.request({ host: '127.0.0.1', port: options.upstreamPort, method: record.method, path: incoming.url, headers: incoming.headers, agent }, response => {
        outgoing.writeHead(response.statusCode ?? 502, response.statusMessage, response.headers)
        response.pipe(outgoing)
      })
      upstream.once('error', error => outgoing.destroy(error))
      incoming.pipe(upstream)
    }
    const hold = [...holds].find(candidate => candidate.matches(record))
    if (hold) {
      hold.count += 1
      hold.waiting.push(forward)
      return
    }
    forward()
  }

  const server = https.createServer({ cert: options.cert, key: options.key }, handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the storage proxy has no port')

  return {
    blobEndpoint: `https://127.0.0.1:${address.port}/${account}`,
    requests,
    failPuts(matches) {
      fault = matches
    },
    failServiceProperties(which) {
      serviceFault = which
    },
    hold(matches) {
      const hold = { matches, waiting: [] as (() => void)[], count: 0 }
      holds.add(hold)
      return {
        get count() {
          return hold.count
        },
        release() {
          holds.delete(hold)
          for (const forward of hold.waiting.splice(0)) forward()
        }
      }
    },
    async close() {
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      server.closeAllConnections()
      agent.destroy()
      await closed
    }
  }
}
