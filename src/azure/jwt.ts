/**
 * A string claim of a JWT, read without verifying the token: only to name things for the
 * user (the subject to register) or for a service that asks (the tenant), never to trust it.
 */
export function unverifiedClaim(jwt: string | undefined, name: string): string | undefined {
  const value = claimOf(jwt, name)
  return typeof value === 'string' ? value : undefined
}

/** A JWT's expiry (`exp`, Unix seconds) as milliseconds, read without verifying the token: only to know when to ask for a new one. */
export function unverifiedExpiry(jwt: string | undefined): number | undefined {
  const value = claimOf(jwt, 'exp')
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined
}

function claimOf(jwt: string | undefined, name: string): unknown {
  const payload = jwt?.split('.')[1]
  if (!payload) return undefined
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>)[name]
  } catch {
    return undefined
  }
}
