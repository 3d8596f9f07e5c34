export const id = 329;
export const ids = [329];
export const modules = {

/***/ 84329:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createCredential: () => (/* binding */ createCredential),
/* harmony export */   explainSignInFailure: () => (/* binding */ explainSignInFailure)
/* harmony export */ });
/* harmony import */ var _azure_identity__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(73016);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(83916);
/* harmony import */ var _jwt_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(47014);



/** A GitHub ID token is reused while it is valid for at least this long. */
const ASSERTION_REUSE_MARGIN_MS = 60_000;
/** A credential for the chosen method and cloud, masking every assertion and token it sees. */
function createCredential(method, cloud, deps) {
    const options = { authorityHost: cloud.authorityHost, disableInstanceDiscovery: !cloud.knownAuthority };
    let lastAssertion;
    let inner;
    switch (method.kind) {
        case 'oidc':
            // MSAL asks for an assertion on every getToken, before it looks in its token cache, and
            // every new SDK client calls getToken once: without reuse a deploy would fetch a GitHub
            // ID token (a round trip to GitHub) a dozen times for tokens MSAL already holds. One is
            // reused while it has a minute left (GitHub's live 5 minutes), so a long deploy still
            // gets a fresh one when MSAL needs a new access token.
            inner = new _azure_identity__WEBPACK_IMPORTED_MODULE_0__/* .ClientAssertionCredential */ .XI(method.tenantId, method.clientId, async () => {
                const expiry = (0,_jwt_js__WEBPACK_IMPORTED_MODULE_2__/* .unverifiedExpiry */ .J)(lastAssertion);
                if (lastAssertion && expiry !== undefined && expiry - Date.now() > ASSERTION_REUSE_MARGIN_MS)
                    return lastAssertion;
                const assertion = await deps.getIdToken(cloud.oidcAudience);
                deps.setSecret(assertion);
                lastAssertion = assertion;
                return assertion;
            }, options);
            break;
        case 'client-secret':
            deps.setSecret(method.clientSecret);
            inner = new _azure_identity__WEBPACK_IMPORTED_MODULE_0__/* .ClientSecretCredential */ .HC(method.tenantId, method.clientId, method.clientSecret, options);
            break;
        case 'azure-cli':
            inner = new _azure_identity__WEBPACK_IMPORTED_MODULE_0__/* .AzureCliCredential */ .nG({ tenantId: method.tenantId });
            break;
    }
    return {
        async getToken(scopes, getTokenOptions) {
            let token;
            try {
                token = await inner.getToken(scopes, getTokenOptions);
            }
            catch (error) {
                throw explainSignInFailure(error, method, cloud, lastAssertion);
            }
            if (token)
                deps.setSecret(token.token);
            return token;
        }
    };
}
/** Turn Entra ID's AADSTS codes into what to change. */
function explainSignInFailure(error, method, cloud, assertion) {
    const text = error instanceof Error ? error.message : String(error);
    const code = /AADSTS(\d+)/.exec(text)?.[1];
    const firstLine = text.split(/\r?\n/)[0] ?? text;
    const app = 'clientId' in method ? `app ${method.clientId} in tenant ${method.tenantId}` : 'the signed-in identity';
    const subject = (0,_jwt_js__WEBPACK_IMPORTED_MODULE_2__/* .unverifiedClaim */ .u)(assertion, 'sub');
    const hints = {
        '70021': `Entra ID found no federated credential on ${app} that matches this run${subject ? ` (subject ${subject})` : ''}: add one with issuer https://token.actions.githubusercontent.com${subject ? ` and subject ${subject}` : ''}.`,
        '700213': `Entra ID found no federated credential on ${app} that matches this run${subject ? ` (subject ${subject})` : ''}: add one with that subject.`,
        '7002138': `A federated credential on ${app} matches this run's subject${subject ? ` (${subject})` : ''} only when case is ignored: subjects are case-sensitive, so copy it exactly.`,
        '700016': `Check 'client-id' and 'tenant-id': Entra ID does not know ${app}.`,
        '7000215': "The client secret is wrong or expired: create a new one and update the secret passed as 'client-secret' (or switch to OIDC).",
        '700024': 'The GitHub OIDC token had expired when Entra ID checked it: re-run the job; if it recurs, check the runner clock.',
        '700212': `The federated credential's audience must be ${cloud.oidcAudience}.`,
        '700211': 'The federated credential\'s issuer must be https://token.actions.githubusercontent.com (or your GitHub Enterprise issuer).'
    };
    const hint = (code && hints[code]) ?? (method.kind === 'azure-cli' ? 'Run azure/login in an earlier step of the same job, then retry.' : `Check the sign-in settings of ${app} in Entra ID.`);
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .DeployError */ .sH(`signing in to Azure (${method.kind}, ${cloud.name}) failed: ${firstLine}`, hint);
}


/***/ }),

/***/ 47014:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   J: () => (/* binding */ unverifiedExpiry),
/* harmony export */   u: () => (/* binding */ unverifiedClaim)
/* harmony export */ });
/**
 * A string claim of a JWT, read without verifying the token: only to name things for the
 * user (the subject to register) or for a service that asks (the tenant), never to trust it.
 */
function unverifiedClaim(jwt, name) {
    const value = claimOf(jwt, name);
    return typeof value === 'string' ? value : undefined;
}
/** A JWT's expiry (`exp`, Unix seconds) as milliseconds, read without verifying the token: only to know when to ask for a new one. */
function unverifiedExpiry(jwt) {
    const value = claimOf(jwt, 'exp');
    return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
}
function claimOf(jwt, name) {
    const payload = jwt?.split('.')[1];
    if (!payload)
        return undefined;
    try {
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))[name];
    }
    catch {
        return undefined;
    }
}


/***/ })

};

//# sourceMappingURL=329.index.js.map