/**
 * A pipeline policy that records every HTTP response an Azure SDK client receives (each
 * retry and each poll included), so the smoke test can say how each operation completed:
 * its first status, the polling headers it carried (`Azure-AsyncOperation`, `Location`,
 * `Operation-Location`), the statuses of the polls and the last one.
 */

/**
 * @typedef {object} RecordedResponse
 * @property {string} step the step that was running
 * @property {string} method
 * @property {string} path the URL path, without the query
 * @property {number} status
 * @property {string[]} polling the polling headers present, by name
 * @property {boolean} isPoll the URL is one an earlier answer handed out for polling
 * @property {string} [errorMessage] an error answer's own message: ARM's `error.message` or App
 *   Service's `Message` (the modular SDK's error does not carry the latter)
 */

/**
 * The message in an error answer's body, either shape.
 * @param {string | undefined} text
 */
function errorMessageOf(text) {
  if (text === undefined || text === '') return undefined
  try {
    const body = JSON.parse(text)
    const message = body?.error?.message ?? body?.Message
    return typeof message === 'string' ? message : undefined
  } catch {
    return undefined
  }
}

export function createRecorder() {
  /** @type {RecordedResponse[]} */
  const responses = []
  /** @type {Set<string>} */
  const pollingUrls = new Set()
  let step = ''

  /** @param {string} url */
  const pathOf = url => {
    try {
      return new URL(url).pathname
    } catch {
      return url
    }
  }

  /** @type {import('@azure/core-rest-pipeline').PipelinePolicy} */
  const policy = {
    name: 'azurePushDeploySmokeRecorder',
    async sendRequest(request, next) {
      const response = await next(request)
      const path = pathOf(request.url)
      const isPoll = request.method === 'GET' && pollingUrls.has(path.toLowerCase())
      /** @type {string[]} */
      const polling = []
      for (const name of ['Azure-AsyncOperation', 'Operation-Location', 'Location']) {
        const value = response.headers.get(name)
        if (value) {
          polling.push(name)
          pollingUrls.add(pathOf(value).toLowerCase())
        }
      }
      const errorMessage = response.status >= 400 ? errorMessageOf(response.bodyAsText ?? undefined) : undefined
      responses.push({ step, method: request.method, path, status: response.status, polling, isPoll, ...(errorMessage === undefined ? {} : { errorMessage }) })
      return response
    }
  }

  return {
    /** For a client's `additionalPolicies`: every attempt, retries included. */
    additionalPolicy: { policy, position: /** @type {const} */ ('perRetry') },
    /** @param {string} name the step the next responses belong to */
    setStep(name) {
      step = name
    },
    /**
     * How the step's operation completed, e.g. `POST 202 (Azure-AsyncOperation, Location) → 3 polls → 200`.
     * @param {string} name
     */
    completion(name) {
      const own = responses.filter(response => response.step === name)
      const first = own.find(response => !response.isPoll && response.method !== 'GET') ?? own[0]
      if (first === undefined) return 'no HTTP response'
      const headers = first.polling.length > 0 ? ` (${first.polling.join(', ')})` : ''
      const polls = own.filter(response => response.isPoll)
      if (polls.length === 0) return `${first.method} ${first.status}${headers}`
      const last = polls[polls.length - 1]
      return `${first.method} ${first.status}${headers} → ${polls.length} poll${polls.length === 1 ? '' : 's'} → ${last?.status}`
    },
    /**
     * The message of the step's last error answer, if it had one.
     * @param {string} name
     */
    errorMessage(name) {
      return responses.filter(response => response.step === name && response.errorMessage !== undefined).at(-1)?.errorMessage
    },
    /** Every response so far. */
    responses: () => [...responses]
  }
}
