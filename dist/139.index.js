export const id = 139;
export const ids = [139];
export const modules = {

/***/ 23139:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ARM_TRY_TIMEOUT_MS: () => (/* binding */ ARM_TRY_TIMEOUT_MS),
/* harmony export */   appServiceErrorPolicy: () => (/* binding */ appServiceErrorPolicy),
/* harmony export */   createAzureClients: () => (/* binding */ createAzureClients),
/* harmony export */   mayHaveLanded: () => (/* binding */ mayHaveLanded),
/* harmony export */   perTryTimeoutPolicy: () => (/* binding */ perTryTimeoutPolicy)
/* harmony export */ });
/* harmony import */ var _azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(20690);
/* harmony import */ var _cloud_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(56370);


const USER_AGENT = 'azure-push-deploy';
/** How long one try of one ARM request may take before it is given up (and retried). */
const ARM_TRY_TIMEOUT_MS = 60_000;
/** Tries after the first, for 429 (honouring Retry-After), 5xx and network errors. */
const ARM_MAX_RETRIES = 3;
/**
 * Bounds every try of every request: an ARM call that hangs fails (and is retried) instead of
 * stalling the deploy. A try past its time fails as a network timeout (ETIMEDOUT), which the
 * SDK's retry policy retries as it retries a dropped connection; the SDK's own `timeout` ends
 * in an AbortError, which it never retries. The caller's cancellation stays an AbortError.
 */
function perTryTimeoutPolicy(timeoutMs) {
    return {
        name: 'azurePushDeployPerTryTimeout',
        async sendRequest(request, next) {
            const limitMs = request.timeout > 0 ? Math.min(request.timeout, timeoutMs) : timeoutMs;
            const caller = request.abortSignal;
            const attempt = new AbortController();
            let expired = false;
            const timer = setTimeout(() => {
                expired = true;
                attempt.abort();
            }, limitMs);
            const onCallerAbort = () => attempt.abort();
            caller?.addEventListener('abort', onCallerAbort, { once: true });
            if (caller?.aborted)
                attempt.abort();
            request.abortSignal = attempt.signal;
            try {
                return await next(request);
            }
            catch (error) {
                if (!expired || caller?.aborted)
                    throw error;
                // A swap is not sent twice: ARM may have taken the first, and a second would swap back
                // (or conflict). Its caller reads the site to tell whether it happened.
                const once = request.method === 'POST' && /\/slotsswap$/i.test(request.url.split('?')[0]);
                throw new _azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_0__/* .RestError */ .pj(`${request.method} ${request.url.split('?')[0]} did not answer within ${limitMs / 1000} s`, { code: once ? 'RequestTimedOut' : 'ETIMEDOUT', request });
            }
            finally {
                clearTimeout(timer);
                caller?.removeEventListener('abort', onCallerAbort);
                request.abortSignal = caller;
            }
        }
    };
}
/**
 * Whether a failed ARM call may still have been carried out: its try timed out (this module's
 * policy, or the connection's), so ARM may have taken the request without our seeing the answer.
 */
function mayHaveLanded(error) {
    const { code, message } = error;
    return /ETIMEDOUT|RequestTimedOut|did not answer within/i.test(`${code ?? ''} ${message ?? ''}`);
}
/**
 * App Service answers its own errors as `{ Code, Message, Details }`, not ARM's
 * `{ error: { code, message } }`; the SDK then reports only "Unexpected status code". This
 * policy rewrites such a body into ARM's shape (keeping the original beside it), so the error
 * the SDK throws carries App Service's code and message to the user.
 */
function appServiceErrorPolicy() {
    return {
        name: 'azurePushDeployAppServiceErrors',
        async sendRequest(request, next) {
            const response = await next(request);
            if (response.status < 400 || !response.bodyAsText)
                return response;
            let body;
            try {
                body = JSON.parse(response.bodyAsText);
            }
            catch {
                return response;
            }
            if (body === null || typeof body !== 'object' || 'error' in body)
                return response;
            const { Code, Message } = body;
            if (typeof Code !== 'string' && typeof Message !== 'string')
                return response;
            response.bodyAsText = JSON.stringify({ error: { code: typeof Code === 'string' ? Code : undefined, message: typeof Message === 'string' ? Message : undefined }, appService: body });
            return response;
        }
    };
}
/**
 * Built from the cloud's endpoints, never the SDK defaults, so a sovereign cloud (or the
 * tests' stand-in) gets every call. The SDKs' own pipelines retry 429 (honouring
 * Retry-After) and 5xx with bounded backoff; each try is bounded in time.
 */
function createAzureClients(credential, cloud, options = {}) {
    const scope = (0,_cloud_js__WEBPACK_IMPORTED_MODULE_1__/* .resourceManagerScope */ .M7)(cloud);
    const policies = [{ policy: perTryTimeoutPolicy(options.tryTimeoutMs ?? ARM_TRY_TIMEOUT_MS), position: 'perRetry' }];
    const retryOptions = { maxRetries: ARM_MAX_RETRIES };
    const perSubscription = (make) => {
        const made = new Map();
        return (subscription) => {
            let client = made.get(subscription);
            if (!client) {
                client = make(subscription);
                made.set(subscription, client);
            }
            return client;
        };
    };
    const webSites = perSubscription(async (subscription) => new (await __webpack_require__.e(/* import() */ 485).then(__webpack_require__.bind(__webpack_require__, 68485))).WebSiteManagementClient(credential, subscription, {
        endpoint: cloud.resourceManager,
        credentials: { scopes: [scope] },
        userAgentOptions: { userAgentPrefix: USER_AGENT },
        additionalPolicies: [...policies, { policy: appServiceErrorPolicy(), position: 'perCall' }],
        retryOptions
    }));
    const cdns = perSubscription(async (subscription) => new (await Promise.all(/* import() */[__webpack_require__.e(860), __webpack_require__.e(160), __webpack_require__.e(513)]).then(__webpack_require__.bind(__webpack_require__, 49513))).CdnManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], userAgentOptions: { userAgentPrefix: USER_AGENT }, additionalPolicies: policies, retryOptions }));
    const containers = perSubscription(async (subscription) => new (await Promise.all(/* import() */[__webpack_require__.e(860), __webpack_require__.e(160), __webpack_require__.e(312)]).then(__webpack_require__.bind(__webpack_require__, 80312))).ContainerInstanceManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], userAgentOptions: { userAgentPrefix: USER_AGENT }, additionalPolicies: policies, retryOptions }));
    return {
        cloud,
        webApps: async (subscription) => (await webSites(subscription)).webApps,
        cdn: cdns,
        containerInstances: containers
    };
}


/***/ })

};

//# sourceMappingURL=139.index.js.map