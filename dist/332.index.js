export const id = 332;
export const ids = [332];
export const modules = {

/***/ 24332:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   releaseDeployLock: () => (/* binding */ releaseDeployLock),
/* harmony export */   z: () => (/* binding */ acquireDeployLock)
/* harmony export */ });
/* unused harmony export lockPipeline */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(58500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _azure_storage_blob__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(64981);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(83916);
/**
 * One deploy of an environment at a time: a blob lease on `<container>/<environment>/deploy.lock`,
 * renewed while held, released on every way out (a crashed runner's lease lapses within a
 * minute). The holder writes its run, commit and start time on the blob, so a waiting run can
 * say who it waits for. The lease ID is chosen before the lease is taken, so the journal knows
 * it and the post step can release a lock its main step could not.
 */




const errorCodeOf = (error) => error.code ?? error.details?.errorCode;
/** The storage pipeline every lock call uses: a bounded time per try and a bounded number of tries. */
function lockPipeline(retry) {
    return { retryOptions: { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 30_000, ...retry } };
}
function lockBlobOf(location, credential, retry) {
    const service = new _azure_storage_blob__WEBPACK_IMPORTED_MODULE_2__/* .BlobServiceClient */ .wS(location.blobEndpoint, credential, lockPipeline(retry));
    const container = service.getContainerClient(location.container);
    return { blob: container.getBlockBlobClient(location.blob), container, name: `${service.accountName}/${location.container}/${location.blob}` };
}
function failure(action, name, error) {
    if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH)
        return error;
    const storage = error;
    const code = errorCodeOf(error);
    const status = storage.statusCode;
    const hint = status === 403
        ? `The signed-in identity needs the "Storage Blob Data Contributor" role on the storage account of the lock (${name.split('/')[0]}), or set environments.<name>.lock to a storage account it can write to.`
        : code === 'ContainerNotFound'
            ? 'Create the container, or fix lock.container in the config.'
            : undefined;
    return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`${action} ${name} failed: ${status ? `${status} ` : ''}${code ? `${code}: ` : ''}${(storage.message ?? String(error)).split('\n')[0]}`, hint);
}
/** The holder recorded on the lock blob, as a sentence, when there is one. */
async function describeHolder(blob) {
    try {
        const { metadata } = await blob.getProperties();
        if (!metadata?.commit)
            return undefined;
        return `run ${metadata.runurl ?? '(unknown run)'}, commit ${metadata.commit.slice(0, 12)}, started ${metadata.startedat ?? '(unknown time)'}`;
    }
    catch {
        return undefined;
    }
}
async function acquireDeployLock(location, credential, holder, options) {
    const { leaseSeconds = 60, waitMs, pollMs = 2000, logger, signal } = options;
    const { blob, container, name } = lockBlobOf(location, credential, options.retry);
    const leaseId = options.leaseId ?? (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)();
    const lease = blob.getBlobLeaseClient(leaseId);
    const deadline = Date.now() + waitMs;
    let announced = false;
    let created = false;
    for (;;) {
        if (signal?.aborted)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`stopped while waiting for the deploy lock ${name}: ${String(signal.reason?.message ?? signal.reason)}`);
        try {
            await lease.acquireLease(leaseSeconds);
            break;
        }
        catch (error) {
            const code = errorCodeOf(error);
            if ((code === 'BlobNotFound' || code === 'ContainerNotFound') && !created) {
                created = true;
                // First deploy: make the container and the lock blob. Another deploy may make them at the same moment.
                await container
                    .createIfNotExists()
                    .catch((refused) => {
                    throw failure('creating the container of', name, refused);
                });
                await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((refused) => {
                    if (!/BlobAlreadyExists|LeaseIdMissing|ConditionNotMet/.test(errorCodeOf(refused) ?? ''))
                        throw failure('creating', name, refused);
                });
                continue;
            }
            if (code !== 'LeaseAlreadyPresent')
                throw failure('locking', name, error);
            if (Date.now() + pollMs > deadline) {
                const holderText = await describeHolder(blob);
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`another deploy of this environment holds the lock ${name}${holderText ? ` (${holderText})` : ''}; waited ${Math.round(waitMs / 1000)} s. It expires by itself within ${leaseSeconds} s if its runner died.`, 'Let the other deploy finish (a workflow `concurrency:` group per environment avoids the wait), then re-run this one; a re-run of an older commit ends as superseded.');
            }
            if (!announced) {
                logger?.info(`waiting for another deploy to release ${name} (up to ${Math.round(waitMs / 1000)} s)`);
                const holderText = await describeHolder(blob);
                if (holderText)
                    logger?.info(`  it is held by ${holderText}`);
            }
            announced = true;
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_1__.setTimeout)(pollMs, undefined, signal ? { signal } : undefined).catch(() => undefined);
        }
    }
    // Who holds it, for a run that waits: written while the deploy goes on, not before it.
    const recorded = blob.setMetadata({ runurl: holder.runUrl ?? '', commit: holder.commit, startedat: holder.startedAt }, { conditions: { leaseId } }).then(() => undefined, (error) => logger?.debug(`could not record the lock's holder on ${name}: ${error.message}`));
    let lost;
    let released = false;
    let renewedAt = Date.now();
    const renewal = setInterval(() => {
        lease.renewLease().then(() => {
            renewedAt = Date.now();
        }, (error) => {
            if (released || lost)
                return;
            const problem = failure('renewing the lease on', name, error);
            // 409/412: the lease was broken or taken over. Otherwise it holds until it lapses.
            const status = error.statusCode;
            if (status === 409 || status === 412 || Date.now() - renewedAt >= leaseSeconds * 1000) {
                lost = problem;
                logger?.warning(`${problem.message}: another deploy may start before this one ends`);
            }
            else {
                logger?.warning(`${problem.message}; retrying`);
            }
        });
    }, options.renewEveryMs ?? (leaseSeconds * 1000) / 3);
    // A crashed deploy must not be kept alive by its renewal timer: the lease then lapses by itself.
    renewal.unref();
    return {
        name,
        leaseId,
        assertHeld() {
            if (lost)
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`the deploy lock ${name} was lost: ${lost.message}`, 'Another deploy may have started meanwhile: re-run this one once it has finished.');
        },
        async release() {
            if (released)
                return;
            released = true;
            clearInterval(renewal);
            await recorded;
            await lease.releaseLease().catch((error) => {
                logger?.warning(`${failure('releasing', name, error).message} (it expires by itself within ${leaseSeconds} s)`);
            });
        }
    };
}
/** Release a lock a run took and could not give back (the post step, from the journal). */
async function releaseDeployLock(location, credential, leaseId, retry) {
    const { blob, name } = lockBlobOf(location, credential, retry);
    try {
        await blob.getBlobLeaseClient(leaseId).releaseLease();
        return 'released';
    }
    catch (error) {
        const code = errorCodeOf(error);
        // Lapsed, taken by another run, or never taken: nothing of ours to release.
        if (code === 'LeaseIdMismatchWithLeaseOperation' || code === 'LeaseNotPresentWithLeaseOperation' || code === 'BlobNotFound' || code === 'LeaseIdMismatch')
            return 'not-held';
        throw failure('releasing', name, error);
    }
}


/***/ })

};

//# sourceMappingURL=332.index.js.map