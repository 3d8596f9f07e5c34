/**
 * App Service's own error bodies. Where the Microsoft.Web resource provider (not ARM in front of
 * it) answers an error, ARM passes its body through as it is: PascalCase
 * `{ Code, Message, Target, Details: [{ Message }, { Code }, { ErrorEntity }], Innererror }`,
 * not ARM's `{ error: { code, message } }`. The DefaultErrorResponse of WebApps.json
 * (`{ error: { code, message, ... } }`) describes neither what App Service sends for validation
 * and conflict errors nor what @azure/arm-appservice 19 can read from it: its `createRestError`
 * looks for `body.error.code`/`message`, so such an answer surfaces as `code: undefined` and
 * "Unexpected status code: <status>" unless the caller reads `Message` itself.
 *
 * ARM's own answers on Microsoft.Web routes stay in ARM's shape: authentication (401), RBAC
 * (403 AuthorizationFailed), missing resources (404 ResourceNotFound, ParentResourceNotFound),
 * throttling (429) and gateway failures (502, 504).
 */
import { HttpError } from './https-server.mjs'

/**
 * @param {number} status
 * @param {string} code
 * @param {string} message
 * @param {{ extendedCode: string, template: string, parameters: string[] }} [entity]
 */
export function appServiceError(status, code, message, entity) {
  return new HttpError(status, appServiceErrorBody(code, message, entity))
}

/**
 * @param {string} code
 * @param {string} message
 * @param {{ extendedCode: string, template: string, parameters: string[] }} [entity]
 */
export function appServiceErrorBody(code, message, entity) {
  /** @type {Record<string, unknown>[]} */
  const details = [{ Message: message }, { Code: code }]
  if (entity !== undefined) {
    details.push({ ErrorEntity: { ExtendedCode: entity.extendedCode, MessageTemplate: entity.template, Parameters: entity.parameters, Code: code, Message: message } })
  }
  return { Code: code, Message: message, Target: null, Details: details, Innererror: null }
}

/**
 * App Service's 400 for a bad site-config value (ExtendedCode 01007).
 * @param {string} parameter
 */
export function invalidParameter(parameter) {
  return appServiceError(400, 'BadRequest', `The parameter ${parameter} has an invalid value.`, { extendedCode: '01007', template: 'The parameter {0} has an invalid value.', parameters: [parameter] })
}

/** Statuses ARM itself answers on a Microsoft.Web route, in ARM's shape. */
export const ARM_LEVEL_STATUSES = new Set([401, 403, 404, 429, 502, 504])

/**
 * App Service's answers for the statuses tests inject on Microsoft.Web routes.
 * @type {Record<number, { code: string, message: string }>}
 */
export const APP_SERVICE_FAULTS = {
  400: { code: 'BadRequest', message: 'The request is invalid.' },
  409: {
    code: 'Conflict',
    message: 'Cannot modify this site because another operation is in progress. Details: Id: 5b1c6a8e-0e2d-4c53-9a87-4f3d2c1b0a9e, OperationName: Update, CreatedTime: 1/1/2026 12:00:00 AM, EntityType: 1'
  },
  500: { code: 'InternalServerError', message: 'An error has occurred.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please try again later.' }
}
