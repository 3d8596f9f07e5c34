export const id = 181;
export const ids = [181,139];
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


/***/ }),

/***/ 16616:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   p: () => (/* binding */ describeAzureError)
/* harmony export */ });
/** `{ error: { code, message } }` (ARM) or `{ Code, Message, Details }` (App Service's own answers). */
function reasonInBody(text) {
    if (!text)
        return undefined;
    let body;
    try {
        body = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (body === null || typeof body !== 'object')
        return undefined;
    const record = body;
    const arm = record.error;
    if (arm && typeof arm === 'object')
        return { code: typeof arm.code === 'string' ? arm.code : undefined, message: typeof arm.message === 'string' ? arm.message : undefined };
    const code = typeof record.Code === 'string' ? record.Code : undefined;
    const message = typeof record.Message === 'string' ? record.Message : undefined;
    return code || message ? { code, message } : undefined;
}
/**
 * `ARM 409 Conflict: …` for Azure REST errors, with the service's own reason even when the SDK
 * did not understand the body's shape (App Service answers PascalCase `Code`/`Message`, and the
 * SDK then says only "Unexpected status code"); the message otherwise.
 */
function describeAzureError(error) {
    const rest = error;
    if (typeof rest?.statusCode === 'number') {
        const fromBody = reasonInBody(rest.response?.bodyAsText);
        const code = rest.code ?? fromBody?.code;
        const sdkMessage = rest.message && !/^Unexpected status code/i.test(rest.message) ? rest.message : undefined;
        const message = fromBody?.message ?? sdkMessage ?? rest.message ?? '';
        return `ARM ${rest.statusCode}${code ? ` ${code}` : ''}: ${message}`.trim();
    }
    return error instanceof Error ? error.message : String(error);
}


/***/ }),

/***/ 25181:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  restoreUnit: () => (/* binding */ restoreUnit),
  rollout: () => (/* binding */ rollout)
});

// EXTERNAL MODULE: ./src/parallel.ts
var parallel = __webpack_require__(73716);
// EXTERNAL MODULE: ./src/backend/app-settings.ts
var app_settings = __webpack_require__(93637);
// EXTERNAL MODULE: ./src/backend/health.ts
var health = __webpack_require__(74228);
// EXTERNAL MODULE: ./src/backend/image-reference.ts
var image_reference = __webpack_require__(51157);
;// CONCATENATED MODULE: ./src/backend/platform-verify.ts
const STARTED = /initialized successfully and is ready to serve requests|Site started\b/i;
const FAILED = /failing site start|failed during startup|didn't respond to HTTP pings|did not start within expected time limit|stopping site .* because it failed|image pull failed|pull image failed|unauthorized: authentication required|ImagePullFailure/i;
const PULLING = /Pulling image:?\s*(\S+)/i;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)/;
/** `docker run … --name <container> … <image>`: the container App Service started for an image. */
const DOCKER_RUN = /docker run .*--name (\S+)/i;
const PULL_FAILED = /image pull failed|pull image failed|unauthorized: authentication required|ImagePullFailure/i;
/**
 * Pure: what the log lines since the switch say about `image`: started, failed (why), or
 * nothing yet. After the image's pull, the container App Service ran for it is followed by
 * name, so lines about another start (an earlier container stopping, a rollback's) never count.
 */
function readStartRecord(lines, image, since) {
    let pulled = false;
    let container;
    for (const line of lines) {
        const stamp = TIMESTAMP.exec(line)?.[1];
        if (!stamp)
            continue;
        const at = Date.parse(stamp.endsWith('Z') ? stamp : `${stamp}Z`);
        if (!Number.isFinite(at) || at < since)
            continue;
        const pulling = PULLING.exec(line)?.[1];
        if (pulling !== undefined) {
            pulled = pulling.toLowerCase() === image.toLowerCase();
            container = undefined;
            continue;
        }
        if (!pulled)
            continue;
        const run = DOCKER_RUN.exec(line);
        if (run && line.toLowerCase().includes(image.toLowerCase())) {
            container = run[1];
            continue;
        }
        // Before its container runs, only a failed pull can be about this image.
        if (container === undefined) {
            if (PULL_FAILED.test(line))
                return { state: 'failed', line: line.trim() };
            continue;
        }
        if (!line.includes(container))
            continue;
        if (FAILED.test(line))
            return { state: 'failed', line: line.trim() };
        if (STARTED.test(line))
            return { state: 'started' };
    }
    return { state: 'waiting', pulled };
}
/** Poll Kudu's docker log until the new container's start is recorded, its failure is, or time runs out. */
async function waitForPlatformStart(check, deps, signal) {
    const started = deps.now();
    const elapsed = () => (deps.now() - started) / 1000;
    let last = 'no docker log read yet';
    while (!signal.aborted) {
        try {
            const lines = await recentLogLines(check, deps, signal);
            const record = readStartRecord(lines, check.image, check.since);
            if (record.state === 'started')
                return { ok: true, seconds: elapsed() };
            if (record.state === 'failed')
                return { ok: false, seconds: elapsed(), reason: `App Service's docker log says the container of ${check.image} did not start: ${record.line}` };
            last = record.pulled ? `the image was pulled; its container has not reported ready` : `no pull of ${check.image} in the docker log yet`;
        }
        catch (error) {
            last = `the docker log could not be read (${error.message})`;
        }
        if (deps.now() - started >= check.timeoutMs)
            return { ok: false, seconds: elapsed(), reason: `timed out after ${Math.round(elapsed())}s waiting for App Service to start ${check.image}; last: ${last}` };
        await deps.sleep(check.intervalMs, signal).catch(() => undefined);
    }
    return { ok: false, seconds: elapsed(), reason: 'stopped: another target failed' };
}
/** The lines of the docker log files written since the switch. */
async function recentLogLines(check, deps, signal) {
    const headers = { Authorization: `Bearer ${await deps.token()}` };
    const request = async (url) => {
        const response = await deps.fetch(url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
        if (!response.ok)
            throw new Error(`${url}: HTTP ${response.status}${response.status === 401 || response.status === 403 ? ' (the identity needs a role on the app that lets it read the SCM site, such as Website Contributor)' : ''}`);
        return response;
    };
    const files = (await (await request(new URL('/api/logs/docker', check.scmUrl).toString())).json());
    // The platform's own files only: `…_default_docker.log` holds the container's output, which the app controls.
    const platformFiles = files.filter(file => !/_default$/i.test(file.machineName ?? '') && !/_default_docker\.log$/i.test(file.href ?? file.path ?? ''));
    const recent = platformFiles.filter(file => file.href && (!file.lastUpdated || Date.parse(file.lastUpdated) >= check.since - 60_000));
    const texts = await Promise.all(recent.map(async (file) => (await request(file.href)).text()));
    return texts.flatMap(text => text.split(/\r?\n/));
}

// EXTERNAL MODULE: ./src/azure/errors.ts
var errors = __webpack_require__(16616);
// EXTERNAL MODULE: ./src/azure/clients.ts
var clients = __webpack_require__(23139);
// EXTERNAL MODULE: ./src/backend/web-app-state.ts
var web_app_state = __webpack_require__(53816);
;// CONCATENATED MODULE: ./src/backend/rollout.ts








/** At most this many targets are read, switched or swapped at once. */
const MAX_PARALLEL_TARGETS = 8;
/** Records each phase's wall time and each target's outcome. */
function tracker(units, now) {
    const started = now();
    // Targets run a phase in parallel: its time is from the first start to the last end.
    const windows = {};
    const outcomes = units.map(unit => ({ part: unit.part, app: unit.target.app, slot: unit.target.slot, url: '', newImage: unit.image, status: 'untouched', seconds: 0 }));
    let failure;
    return {
        outcomes,
        async phase(name, work) {
            const from = now();
            try {
                return await work();
            }
            finally {
                const window = (windows[name] ??= { from, to: from });
                window.from = Math.min(window.from, from);
                window.to = Math.max(window.to, now());
            }
        },
        fail(index, phase, reason) {
            const outcome = outcomes[index];
            Object.assign(outcome, { status: 'failed', phase, reason });
            failure ??= `${(0,web_app_state.targetName)(units[index].target)} failed to ${phase === 'verify' ? 'verify' : phase}: ${reason}`;
        },
        /** A failure that is no target's own: cancellation, the deadline. */
        stop(reason) {
            failure ??= reason;
        },
        get failed() {
            return failure !== undefined;
        },
        report(touched) {
            const seconds = (now() - started) / 1000;
            for (const outcome of outcomes)
                outcome.seconds = Math.round(seconds * 10) / 10;
            const phases = Object.fromEntries(Object.entries(windows).map(([name, window]) => [name, Math.round((window.to - window.from) / 100) / 10]));
            return { ok: failure === undefined, targets: outcomes, failure, untouched: touched === 0, phases };
        }
    };
}
/** Why the rollout stops when its signal fires: the reason given to `abort()`, in words. */
function stopReason(signal) {
    const reason = signal.reason;
    if (reason instanceof Error)
        return reason.message;
    return typeof reason === 'string' ? reason : 'the run was cancelled';
}
/**
 * Switch every unit to its image in parallel and verify each; on any failure (or the signal)
 * put every changed unit back. All or nothing across every part of the group.
 */
async function rollout(units, deps) {
    const { control, logger } = deps;
    const limit = MAX_PARALLEL_TARGETS;
    const track = tracker(units, deps.verify.now);
    const outer = deps.signal ?? new AbortController().signal;
    // 1. What each target runs now: what a rollback restores.
    const read = await track.phase('read', () => readAll(units, control, limit));
    if (!Array.isArray(read)) {
        track.fail(read.index, 'read', read.reason);
        return track.report(0);
    }
    read.forEach((entry, index) => Object.assign(track.outcomes[index], { url: (entry.production ?? entry.state).url, previousImage: (entry.production ?? entry.state).image }));
    const desired = units.map((unit, index) => {
        const state = read[index].state;
        const { settings, diff } = (0,app_settings/* desiredSettings */.Qf)(state.settings, { ...unit.settings, port: unit.target.port });
        track.outcomes[index].settings = diff;
        return { image: unit.image, settings, command: unit.target.command ?? state.command };
    });
    deps.journal?.planned(units, read);
    if (outer.aborted) {
        track.stop(stopReason(outer));
        return track.report(0);
    }
    const stop = new AbortController();
    const onOuter = () => {
        track.stop(stopReason(outer));
        stop.abort();
    };
    outer.addEventListener('abort', onOuter, { once: true });
    const changed = new Set();
    let verified = 0;
    try {
        // 2. In place: switch and verify. Slot-swap: stage on the slot and verify there.
        await (0,parallel/* inParallel */.H)(units, limit, async (unit, index) => {
            if (stop.signal.aborted)
                return;
            const staging = unit.strategy === 'slot-swap';
            const phase = staging ? 'stage' : 'switch';
            try {
                changed.add(index);
                deps.journal?.changed(index);
                await track.phase(phase, () => control.apply(unit.target, desired[index], read[index].state, unit.acrIdentity));
            }
            catch (error) {
                track.fail(index, phase, (0,errors/* describeAzureError */.p)(error));
                stop.abort();
                // A refused update changed nothing: leave it out of the rollback (an update that did land is
                // put back). One that timed out may still land: it stays in, and is put back whatever it did.
                const now = (0,clients.mayHaveLanded)(error) ? undefined : await control.read(unit.target).catch(() => undefined);
                if (now && now.image === read[index].state.image && now.command === read[index].state.command && JSON.stringify(now.settings) === JSON.stringify(read[index].state.settings)) {
                    changed.delete(index);
                    deps.journal?.restored(index);
                }
                return;
            }
            const switchedAt = Date.now();
            logger.info(`${(0,web_app_state.targetName)(unit.target)}: ${staging ? 'staged' : 'switched to'} ${unit.image}; ${verifyingWhat(unit)}`);
            const verdict = await track.phase(staging ? 'stage' : 'verify', () => verifyNew(unit, read[index].state, switchedAt, deps, stop.signal));
            if (verdict.ok) {
                if (!staging) {
                    track.outcomes[index].status = 'deployed';
                    logger.info(`${(0,web_app_state.targetName)(unit.target)}: new version serving after ${Math.round(verdict.seconds)}s (${++verified}/${units.length} verified)`);
                }
                else
                    logger.info(`${(0,web_app_state.targetName)(unit.target)}: new version serving on the staging slot`);
            }
            else if (!stop.signal.aborted) {
                track.fail(index, staging ? 'stage' : 'verify', verdict.reason);
                stop.abort();
            }
        });
        // 3. Every staged slot into production, then production must serve the new version.
        const swaps = new Map();
        const swapping = units.flatMap((unit, index) => (unit.strategy === 'slot-swap' ? [index] : []));
        // An in-place rollout has no swap phase: its timings (summary, demo) show none.
        if (!track.failed && swapping.length > 0) {
            for (const index of swapping)
                swaps.set(index, control.swapIntoProduction(units[index].target));
            await track.phase('swap', () => Promise.all(swapping.map(async (index) => {
                const unit = units[index];
                // Each swap gets its own bound (another's failure does not cut it short); only cancellation does.
                const outcome = await settleWithin(swaps.get(index), unit.swapTimeoutMs, deps.verify, outer);
                if (outcome === 'stopped')
                    return;
                if (outcome === 'done') {
                    // Trust Azure's state, not its status codes: production must now be configured for the new image.
                    const live = await control.read({ ...unit.target, slot: undefined }).catch((error) => error);
                    if (!(live instanceof Error) && live.image === unit.image)
                        return;
                    track.fail(index, 'swap', live instanceof Error ? `production could not be read after the swap: ${(0,errors/* describeAzureError */.p)(live)}` : `the swap reported success, but production runs ${live.image ?? 'no image'}`);
                    stop.abort();
                    return;
                }
                track.fail(index, 'swap', outcome === 'timeout' ? `the swap did not finish within ${Math.round(unit.swapTimeoutMs / 1000)}s` : (0,errors/* describeAzureError */.p)(outcome.error));
                stop.abort();
            })));
            if (!track.failed) {
                await (0,parallel/* inParallel */.H)(swapping, limit, async (index) => {
                    const unit = units[index];
                    const production = { ...unit.target, slot: undefined };
                    const swappedAt = Date.now();
                    const verdict = await track.phase('verify', () => verifyNew({ ...unit, target: production }, read[index].production, swappedAt, deps, stop.signal));
                    if (verdict.ok) {
                        track.outcomes[index].status = 'deployed';
                        logger.info(`${unit.target.app}: new version serving in production (${++verified}/${units.length} verified)`);
                    }
                    else if (!stop.signal.aborted) {
                        track.fail(index, 'verify', verdict.reason);
                        stop.abort();
                    }
                });
            }
        }
        if (!track.failed) {
            deps.journal?.committed();
            return track.report(changed.size);
        }
        // 4. Everything that changed goes back, and must be proven back.
        logger.warning(`Rolling back ${changed.size} changed target${changed.size === 1 ? '' : 's'}: ${[...changed].map(i => (0,web_app_state.targetName)(units[i].target)).join(', ')}`);
        await track.phase('rollback', () => (0,parallel/* inParallel */.H)([...changed], limit, async (index) => {
            const unit = units[index];
            const outcome = track.outcomes[index];
            const keep = { phase: outcome.phase, reason: outcome.reason };
            const result = await restoreUnit(unit, { previous: read[index].state, production: read[index].production, applied: desired[index], swap: swaps.get(index) }, deps);
            if (result.ok) {
                Object.assign(outcome, { status: 'rolled-back', phase: keep.phase, reason: keep.reason });
                deps.journal?.restored(index);
            }
            else
                Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: keep.reason ? `${keep.reason}; then ${result.reason}` : result.reason });
            logger.info(`${(0,web_app_state.targetName)(unit.target)}: ${result.ok ? 'back on what it ran before' : `not back: ${result.reason}`}`);
        }));
        return track.report(changed.size);
    }
    finally {
        outer.removeEventListener('abort', onOuter);
    }
}
/**
 * Put one unit back as it was, and prove it: in place, apply what it ran before; slot-swap,
 * swap production back if it runs the new image, then restore the staging slot. Used by the
 * rollout and by the post step (from the journal).
 */
async function restoreUnit(unit, request, deps) {
    const { control } = deps;
    if (unit.strategy !== 'slot-swap')
        return putBack(unit.target, request.previous, request.applied, true);
    const graceMs = 2 * unit.swapTimeoutMs;
    if (request.swap) {
        // A swap that timed out may still complete: production must not be judged before it
        // settles, or it could flip to the new image after the rollback looked. Bounded wait.
        if ((await settleWithin(request.swap, graceMs, deps.verify)) === 'timeout') {
            return { ok: false, reason: `the swap was still running ${Math.round((unit.swapTimeoutMs + graceMs) / 1000)}s after it started: check ${unit.target.app} and its ${unit.target.slot} slot by hand` };
        }
    }
    const production = { ...unit.target, slot: undefined };
    let live;
    try {
        live = await control.read(production);
    }
    catch (error) {
        return { ok: false, reason: (0,errors/* describeAzureError */.p)(error) };
    }
    if (live.image === unit.image && request.production?.image !== unit.image) {
        const back = await settleWithin(control.swapIntoProduction(unit.target), unit.swapTimeoutMs + graceMs, deps.verify);
        if (back !== 'done')
            return { ok: false, reason: back === 'timeout' ? 'the swap back did not finish in time' : `the swap back failed: ${back === 'stopped' ? 'stopped' : (0,errors/* describeAzureError */.p)(back.error)}` };
        if (request.production) {
            const proven = await verifyOld(unit, production, request.production, deps);
            if (!proven.ok)
                return { ok: false, reason: `production is not proven back: ${proven.reason}` };
        }
    }
    // The staging slot holds the new release again (swapped back) or never left it.
    const current = await control.read(unit.target).catch(() => undefined);
    return putBack(unit.target, request.previous, current ? { image: current.image ?? unit.image, settings: current.settings, command: current.command } : request.applied, false);
    /** Apply what the target ran before; prove it back unless it is a staging slot nobody serves from. */
    async function putBack(target, before, now, prove) {
        if (!before.image)
            return { ok: false, reason: 'it ran no image before, so there is none to go back to' };
        try {
            await control.apply(target, { image: before.image, settings: before.settings, command: before.command }, { ...before, ...(now ?? { image: unit.image }) }, unit.acrIdentity);
        }
        catch (error) {
            return { ok: false, reason: (0,errors/* describeAzureError */.p)(error) };
        }
        if (!prove)
            return { ok: true };
        const proven = await verifyOld(unit, target, before, deps);
        return proven.ok ? { ok: true } : { ok: false, reason: `not proven back: ${proven.reason}` };
    }
}
function verifyOld(unit, target, before, deps) {
    const previous = before.image ?? '';
    return verifyState({ ...unit, target, image: previous, commit: (0,image_reference.commitOfImage)(previous, unit.registry, unit.repository) ?? '' }, before, Date.now(), deps, new AbortController().signal, true);
}
function verifyingWhat(unit) {
    if (unit.verify.mode === 'platform')
        return "waiting for App Service's record that its container started";
    if (unit.verify.mode === 'none')
        return 'not verified (verify: none)';
    return `waiting for ${unit.commit.slice(0, 12)} to answer`;
}
function verifyNew(unit, state, since, deps, signal) {
    return verifyState(unit, state, since, deps, signal, false);
}
/** Proof that `unit.image` serves on `unit.target`, by the part's verify mode. */
async function verifyState(unit, state, since, deps, signal, rollingBack) {
    const check = unit.verify;
    const timeoutMs = check.timeoutSeconds * 1000;
    if (check.mode === 'none')
        return { ok: true, seconds: 0 };
    if (check.mode === 'platform') {
        if (!deps.platform)
            return { ok: false, seconds: 0, reason: 'verify: platform needs the Azure sign-in to read the docker log' };
        if (!state.scmUrl)
            return { ok: false, seconds: 0, reason: `the site lists no SCM (Kudu) host name to read the docker log from; use verify: version or none for ${(0,web_app_state.targetName)(unit.target)}` };
        return waitForPlatformStart({ scmUrl: state.scmUrl, image: unit.image, since: since - 5_000, timeoutMs, intervalMs: check.intervalSeconds * 1000 }, { ...deps.platform, sleep: deps.verify.sleep, now: deps.verify.now }, signal);
    }
    // Rolling back to an image that is not ours: any 2xx counts, there is no commit to expect.
    const expected = rollingBack && !unit.commit ? undefined : unit.commit;
    return (0,health/* waitForVersion */.P)(state.url, expected, { path: check.path, versionHeader: check.versionHeader, consecutive: check.consecutive, timeoutMs, intervalMs: check.intervalSeconds * 1000 }, deps.verify, signal);
}
/** Each unit's state (for slot-swap: the staging slot's and production's), or the first that could not be read. */
async function readAll(units, control, limit) {
    try {
        return await (0,parallel/* inParallel */.H)(units, limit, async (unit, index) => {
            try {
                const state = await control.read(unit.target);
                const production = unit.strategy === 'slot-swap' ? await control.read({ ...unit.target, slot: undefined }) : undefined;
                return { target: unit.target, state, production };
            }
            catch (error) {
                throw Object.assign(new Error((0,errors/* describeAzureError */.p)(error)), { index });
            }
        });
    }
    catch (error) {
        return { index: error.index, reason: error.message };
    }
}
/** Wait for a promise at most `ms` (or until `signal`); it keeps running after either. */
async function settleWithin(work, ms, clock, signal) {
    const timer = new AbortController();
    try {
        return await Promise.race([
            work.then(() => 'done', (error) => ({ error })),
            clock.sleep(ms, timer.signal).then(() => 'timeout', () => 'timeout'),
            ...(signal ? [new Promise(resolve => (signal.aborted ? resolve('stopped') : signal.addEventListener('abort', () => resolve('stopped'), { once: true })))] : [])
        ]);
    }
    finally {
        timer.abort();
    }
}


/***/ })

};

//# sourceMappingURL=181.index.js.map