export const id = 420;
export const ids = [420];
export const modules = {

/***/ 29420:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   siteDeployedCommits: () => (/* binding */ siteDeployedCommits)
/* harmony export */ });
/**
 * A site's deployed commit: the manifest the last successful deploy wrote. A release recorded
 * as in flight (`pending`) did not finish: the site counts as changed until one does.
 */
function siteDeployedCommits(store) {
    return {
        source: `the deploy manifest in ${store.account}/${store.archiveContainer}`,
        async deployedCommits() {
            const manifest = await store.readManifest();
            if (!manifest)
                return { commits: [], unknown: [`${store.account}/${store.container} (no deploy manifest yet)`] };
            const unfinished = manifest.pending ? [`the upload of ${manifest.pending.commit.slice(0, 12)} to ${store.account}/${store.container}, started ${manifest.pending.startedAt}`] : [];
            // A first release that never finished has no commit that is live.
            const commits = manifest.files.length === 0 && manifest.pending ? [] : [manifest.commit];
            return { commits, unknown: [], unfinished };
        }
    };
}


/***/ })

};

//# sourceMappingURL=420.index.js.map