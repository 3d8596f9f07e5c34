/**
 * A string claim of a JWT, read without verifying the token: only to name things for the
 * user (the subject to register) or for a service that asks (the tenant), never to trust it.
 */
export function unverifiedClaim(jwt: string | undefined, name: string): string | undefined {
  const payload = jwt?.split('.')[1]
  if (!payload) return undefined
  try {
    const value = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>)[name]
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}
