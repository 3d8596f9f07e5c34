export const id = 951;
export const ids = [951];
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


/***/ })

};

//# sourceMappingURL=951.index.js.map