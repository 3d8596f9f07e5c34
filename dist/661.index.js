export const id = 661;
export const ids = [661,951];
export const modules = {

/***/ 25332:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createJournal: () => (/* binding */ createJournal),
/* harmony export */   readJournal: () => (/* binding */ readJournal)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/**
 * What a run has in flight, written to a file as it happens, so that whatever ends the main
 * step — a failure, the runner's Cancel (SIGINT, then SIGTERM), a crash — the `post:` step
 * can find what is left to repair: targets switched to a release that was never verified,
 * the environment's lock, registry credentials on disk, GitHub deployments still in progress.
 */



/**
 * A journal file, rewritten whole on every change (small, and renamed into place so that a
 * process killed mid-write leaves the previous version, never half of one).
 */
function createJournal(directory, start) {
    const file = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(directory, `azure-push-deploy-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)()}.json`);
    const data = { version: 1, ...start, startedAt: new Date().toISOString(), dockerConfigs: [], deployments: [], finished: false };
    const write = () => {
        const temporary = `${file}.${process.pid}.tmp`;
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.writeFileSync)(temporary, JSON.stringify(data));
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.renameSync)(temporary, file);
    };
    write();
    const journal = {
        path: file,
        read: () => data,
        update(change) {
            change(data);
            write();
        },
        rollout: () => ({
            planned(units, previous) {
                journal.update(current => {
                    current.rollout = { state: 'switching', units: units.map((unit, index) => ({ unit, previous: previous[index].state, production: previous[index].production, changed: false, restored: false })) };
                });
            },
            changed(index) {
                journal.update(current => {
                    const entry = current.rollout?.units[index];
                    if (entry)
                        entry.changed = true;
                });
            },
            committed() {
                journal.update(current => {
                    if (current.rollout)
                        current.rollout.state = 'committed';
                });
            },
            restored(index) {
                journal.update(current => {
                    const entry = current.rollout?.units[index];
                    if (entry)
                        entry.restored = true;
                    if (current.rollout && current.rollout.units.every(unit => !unit.changed || unit.restored))
                        current.rollout.state = 'rolled-back';
                });
            }
        })
    };
    return journal;
}
/** A journal a main step left (the post step reads it); undefined when there is none or it cannot be read. */
function readJournal(file) {
    try {
        const data = JSON.parse((0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(file, 'utf8'));
        return data.version === 1 ? data : undefined;
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 86661:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   runPost: () => (/* binding */ runPost)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(58500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(57264);
/* harmony import */ var _azure_connect_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(50009);
/* harmony import */ var _backend_health_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(74228);
/* harmony import */ var _azure_cloud_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(56370);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(83916);
/* harmony import */ var _inputs_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(38422);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(22692);
/* harmony import */ var _run_context_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(23564);
/* harmony import */ var _deploy_journal_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(25332);
/**
 * The `post:` step: runs after the job's steps, also when the job was cancelled or failed.
 * It reads the journal the main step left and repairs what that step could not finish:
 * targets switched to a release that was never verified go back (and are proven back), the
 * environment's lock is released, the private Docker configs are deleted, GitHub deployments
 * still in progress end as failed. A main step that finished on its own leaves nothing to do.
 */











async function runPost(deps) {
    const { logger } = deps;
    const file = _actions_core__WEBPACK_IMPORTED_MODULE_2__/* .getState */ .Gu('journal');
    const journal = file ? (0,_deploy_journal_js__WEBPACK_IMPORTED_MODULE_9__.readJournal)(file) : undefined;
    if (!journal || journal.finished) {
        logger.info('azure-push-deploy post step: the deploy finished on its own; nothing to repair.');
        return;
    }
    const done = [];
    const problems = [];
    try {
        await logger.group('Repair what the deploy left (it was cancelled or stopped)', async () => {
            await rollBack(journal, deps, done, problems);
            await releaseLock(journal, deps, done, problems);
            for (const directory of journal.dockerConfigs) {
                await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(directory, { recursive: true, force: true });
                done.push(`deleted the registry credentials in ${directory}`);
            }
            await finishDeployments(journal, deps, done);
        });
    }
    catch (error) {
        problems.push((0,_errors_js__WEBPACK_IMPORTED_MODULE_5__/* .describeFailure */ .Ic)(error));
    }
    for (const line of done)
        logger.info(line);
    if (process.env.GITHUB_STEP_SUMMARY) {
        const summary = _actions_core__WEBPACK_IMPORTED_MODULE_2__/* .summary */ .z.addHeading('azure-push-deploy post step', 3);
        summary.addList([...done, ...problems.map(problem => `not repaired: ${problem}`)].map(escapeHtml));
        await summary.write();
    }
    if (problems.length > 0)
        _actions_core__WEBPACK_IMPORTED_MODULE_2__/* .setFailed */ .C1(`azure-push-deploy post step: ${problems.join('; ')}`);
}
function escapeHtml(untrusted) {
    return untrusted.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}
/** Sign in as the main step did (same inputs, same OIDC), on the cloud the journal names. */
async function signIn(journal, deps) {
    const inputs = (0,_inputs_js__WEBPACK_IMPORTED_MODULE_6__/* .getInputs */ .GP)();
    const azure = await (0,_azure_connect_js__WEBPACK_IMPORTED_MODULE_3__/* .connectAzure */ .C)({ ...inputs, dryRun: false }, journal.cloud, { env: deps.env, logger: deps.logger, getIdToken: deps.getIdToken, setSecret: _actions_core__WEBPACK_IMPORTED_MODULE_2__/* .setSecret */ .Pq });
    if ('unavailable' in azure)
        throw azure.unavailable;
    return azure;
}
async function rollBack(journal, deps, done, problems) {
    const rollout = journal.rollout;
    const pending = rollout && rollout.state === 'switching' ? rollout.units.filter(entry => entry.changed && !entry.restored) : [];
    if (pending.length === 0)
        return;
    const azure = await signIn(journal, deps);
    const [{ createWebAppControl }, { restoreUnit }, { targetName }] = await Promise.all([Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 87032)), Promise.all(/* import() */[__webpack_require__.e(690), __webpack_require__.e(181), __webpack_require__.e(716)]).then(__webpack_require__.bind(__webpack_require__, 25181)), Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 53816))]);
    const control = createWebAppControl(azure.clients);
    const verify = { probe: _backend_health_js__WEBPACK_IMPORTED_MODULE_10__/* .httpProbe */ .H, sleep: (ms, signal) => (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_1__.setTimeout)(ms, undefined, { signal }), now: () => Date.now() };
    const platform = { token: async () => (await azure.credential.getToken((0,_azure_cloud_js__WEBPACK_IMPORTED_MODULE_4__/* .resourceManagerScope */ .M7)(azure.cloud)))?.token ?? '', fetch };
    await Promise.all(pending.map(async (entry) => {
        const name = targetName(entry.unit.target);
        const result = await restoreUnit(entry.unit, { previous: entry.previous, production: entry.production }, { control, verify, platform });
        if (result.ok)
            done.push(`${name}: back on ${entry.previous.image ?? 'what it ran before'}, proven`);
        else
            problems.push(`${name}: ${result.reason}`);
    }));
}
async function releaseLock(journal, deps, done, problems) {
    const lock = journal.lock;
    if (!lock || lock.released)
        return;
    try {
        const azure = await signIn(journal, deps);
        const { releaseDeployLock } = await Promise.all(/* import() */[__webpack_require__.e(690), __webpack_require__.e(738), __webpack_require__.e(981), __webpack_require__.e(332)]).then(__webpack_require__.bind(__webpack_require__, 24332));
        const outcome = await releaseDeployLock(lock, azure.credential, lock.leaseId);
        done.push(outcome === 'released' ? `released the deploy lock ${lock.container}/${lock.blob}` : `the deploy lock ${lock.container}/${lock.blob} was no longer held by this run`);
    }
    catch (error) {
        problems.push(`the deploy lock ${lock.container}/${lock.blob} (it lapses by itself within a minute): ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_5__/* .describeFailure */ .Ic)(error)}`);
    }
}
async function finishDeployments(journal, deps, done) {
    const open = journal.deployments.filter(deployment => !deployment.finished);
    if (open.length === 0)
        return;
    const inputs = (0,_inputs_js__WEBPACK_IMPORTED_MODULE_6__/* .getInputs */ .GP)();
    const context = await (0,_run_context_js__WEBPACK_IMPORTED_MODULE_8__/* .readRunContext */ .$)(deps.env);
    const github = (0,_main_js__WEBPACK_IMPORTED_MODULE_7__/* .githubDeployments */ .S)(inputs, context, deps.env, deps.logger);
    if (!github)
        return;
    for (const deployment of open) {
        await github.finish(deployment.id, deployment.environment, 'failure', { description: 'failure: the run was cancelled or stopped before this part finished' });
        done.push(`GitHub deployment ${deployment.environment} marked failed`);
    }
}


/***/ })

};

//# sourceMappingURL=661.index.js.map