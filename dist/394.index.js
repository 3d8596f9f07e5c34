export const id = 394;
export const ids = [394];
export const modules = {

/***/ 13394:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   siteDeployedCommits: () => (/* binding */ siteDeployedCommits)
/* harmony export */ });
/** The frontend's deployed commit: the manifest the last successful deploy wrote. */
function siteDeployedCommits(store) {
    return {
        source: `the deploy manifest in ${store.account}/${store.archiveContainer}`,
        async deployedCommits() {
            const manifest = await store.readManifest();
            if (manifest)
                return { commits: [manifest.commit], unknown: [] };
            return { commits: [], unknown: [`${store.account}/${store.container} (no deploy manifest yet)`] };
        }
    };
}


/***/ })

};

//# sourceMappingURL=394.index.js.map