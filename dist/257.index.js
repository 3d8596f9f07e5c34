export const id = 257;
export const ids = [257];
export const modules = {

/***/ 55257:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   trapCancellation: () => (/* binding */ trapCancellation)
/* harmony export */ });
function trapCancellation(deadlineMs, onSignal, processLike = process) {
    const controller = new AbortController();
    const deadline = setTimeout(() => {
        controller.abort(new Error(`the deploy ran past its deadline of ${Math.round(deadlineMs / 60_000)} minutes (the 'deadline' input)`));
    }, deadlineMs);
    deadline.unref();
    const handle = (name) => {
        onSignal(name);
        if (!controller.signal.aborted)
            controller.abort(new Error(`the run was cancelled (${name})`));
    };
    const onInt = () => handle('SIGINT');
    const onTerm = () => handle('SIGTERM');
    processLike.on('SIGINT', onInt);
    processLike.on('SIGTERM', onTerm);
    return {
        signal: controller.signal,
        dispose() {
            clearTimeout(deadline);
            processLike.off('SIGINT', onInt);
            processLike.off('SIGTERM', onTerm);
        }
    };
}


/***/ })

};

//# sourceMappingURL=257.index.js.map