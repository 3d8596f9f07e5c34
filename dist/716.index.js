export const id = 716;
export const ids = [716];
export const modules = {

/***/ 73716:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   H: () => (/* binding */ inParallel)
/* harmony export */ });
/**
 * `work` over `items`, at most `limit` at a time, started in list order; the results in the
 * items' order. The first rejection rejects the whole (the items in flight still finish).
 */
async function inParallel(items, limit, work) {
    const results = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index], index);
        }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
    return results;
}


/***/ })

};

//# sourceMappingURL=716.index.js.map