/** One answer of a target's health path. */
export interface ProbeAnswer {
  status: number
  /** The value of the version header, when one is configured. */
  header?: string
  body: string
}

/** Asks a URL once. Rejects on network errors (refused, reset, TLS, timeout). */
export type Probe = (url: string, versionHeader: string | undefined, signal: AbortSignal) => Promise<ProbeAnswer>

export interface VersionCheck {
  path: string
  versionHeader?: string
  /** Answers in a row that must carry the expected version. */
  consecutive: number
  timeoutMs: number
  intervalMs: number
}

export interface VerifyDeps {
  probe: Probe
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  now(): number
}

export type VerifyResult = { ok: true; seconds: number } | { ok: false; seconds: number; reason: string }

/** Real probes: one GET with a per-request timeout, redirects not followed. */
export const httpProbe: Probe = async (url, versionHeader, signal) => {
  const response = await fetch(url, { redirect: 'manual', headers: { 'Cache-Control': 'no-cache' }, signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
  const body = (await response.text()).slice(0, 4096)
  return { status: response.status, header: versionHeader ? (response.headers.get(versionHeader) ?? undefined) : undefined, body }
}

/** Which version an answer carries, for the failure message. */
function describeAnswer(answer: ProbeAnswer, versionHeader?: string): string {
  if (versionHeader) return `HTTP ${answer.status}, ${versionHeader}: ${answer.header === undefined ? '(none)' : JSON.stringify(answer.header.slice(0, 80))}`
  return `HTTP ${answer.status}, body ${JSON.stringify(answer.body.replace(/\s+/g, ' ').slice(0, 80))}`
}

function carries(answer: ProbeAnswer, expected: string, versionHeader?: string): boolean {
  if (answer.status < 200 || answer.status >= 300) return false
  const where = versionHeader ? (answer.header ?? '') : answer.body
  return where.toLowerCase().includes(expected.toLowerCase())
}

/**
 * Poll `baseUrl + path` until it answers with `expected` (a commit SHA) `consecutive` times
 * in a row, or the timeout passes. App Service keeps the old container serving until the
 * new one is ready, so a 200 from the old version is "not yet", never success. Without an
 * expected version (rolling back to an image that was not ours) any 2xx counts.
 */
export async function waitForVersion(baseUrl: string, expected: string | undefined, check: VersionCheck, deps: VerifyDeps, signal: AbortSignal = new AbortController().signal): Promise<VerifyResult> {
  const url = new URL(check.path, baseUrl).toString()
  const started = deps.now()
  const elapsed = () => (deps.now() - started) / 1000
  let streak = 0
  let last = 'no answer yet'
  while (!signal.aborted) {
    try {
      const answer = await deps.probe(url, check.versionHeader, signal)
      const good = expected ? carries(answer, expected, check.versionHeader) : answer.status >= 200 && answer.status < 300
      streak = good ? streak + 1 : 0
      last = describeAnswer(answer, check.versionHeader)
      if (streak >= check.consecutive) return { ok: true, seconds: elapsed() }
    } catch (error) {
      streak = 0
      last = `no answer (${(error as Error).message})`
    }
    if (deps.now() - started >= check.timeoutMs) {
      const wanted = expected ? `${expected.slice(0, 12)}${check.versionHeader ? ` in ${check.versionHeader}` : ' in the body'}` : 'any 2xx'
      return { ok: false, seconds: elapsed(), reason: `timed out after ${Math.round(elapsed())}s waiting for ${url} to answer ${wanted}; last: ${last}` }
    }
    await deps.sleep(check.intervalMs, signal).catch(() => undefined)
  }
  return { ok: false, seconds: elapsed(), reason: 'stopped: another target failed' }
}
