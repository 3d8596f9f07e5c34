/** An Azure REST error as the SDKs throw it (`RestError` of @azure/core-rest-pipeline). */
interface AzureRestFailure {
  statusCode?: number
  code?: string
  message?: string
  response?: { bodyAsText?: string | null }
}

/** `{ error: { code, message } }` (ARM) or `{ Code, Message, Details }` (App Service's own answers). */
function reasonInBody(text: string | null | undefined): { code?: string; message?: string } | undefined {
  if (!text) return undefined
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  if (body === null || typeof body !== 'object') return undefined
  const record = body as Record<string, unknown>
  const arm = record.error as { code?: unknown; message?: unknown } | undefined
  if (arm && typeof arm === 'object') return { code: typeof arm.code === 'string' ? arm.code : undefined, message: typeof arm.message === 'string' ? arm.message : undefined }
  const code = typeof record.Code === 'string' ? record.Code : undefined
  const message = typeof record.Message === 'string' ? record.Message : undefined
  return code || message ? { code, message } : undefined
}

/**
 * `ARM 409 Conflict: …` for Azure REST errors, with the service's own reason even when the SDK
 * did not understand the body's shape (App Service answers PascalCase `Code`/`Message`, and the
 * SDK then says only "Unexpected status code"); the message otherwise.
 */
export function describeAzureError(error: unknown): string {
  const rest = error as AzureRestFailure
  if (typeof rest?.statusCode === 'number') {
    const fromBody = reasonInBody(rest.response?.bodyAsText)
    const code = rest.code ?? fromBody?.code
    const sdkMessage = rest.message && !/^Unexpected status code/i.test(rest.message) ? rest.message : undefined
    const message = fromBody?.message ?? sdkMessage ?? rest.message ?? ''
    return `ARM ${rest.statusCode}${code ? ` ${code}` : ''}: ${message}`.trim()
  }
  return error instanceof Error ? error.message : String(error)
}
