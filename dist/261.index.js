export const id = 261;
export const ids = [261];
export const modules = {

/***/ 56261:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createAzureClients: () => (/* binding */ createAzureClients)
/* harmony export */ });
/* harmony import */ var _azure_arm_appservice__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3989);
/* harmony import */ var _azure_arm_cdn__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(81721);
/* harmony import */ var _cloud_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(38920);



const USER_AGENT = 'azure-push-deploy';
/**
 * Built from the cloud's endpoints, never the SDK defaults, so a sovereign cloud (or the
 * tests' stand-in) gets every call. The SDKs' own pipelines retry 429 (honouring
 * Retry-After) and 5xx with bounded backoff.
 */
function createAzureClients(credential, cloud) {
    const scope = (0,_cloud_js__WEBPACK_IMPORTED_MODULE_1__/* .resourceManagerScope */ .M7)(cloud);
    const webSites = new Map();
    const cdns = new Map();
    return {
        cloud,
        webApps(subscription) {
            let client = webSites.get(subscription);
            if (!client) {
                client = new _azure_arm_appservice__WEBPACK_IMPORTED_MODULE_0__/* .WebSiteManagementClient */ .yX(credential, subscription, { endpoint: cloud.resourceManager, credentials: { scopes: [scope] }, userAgentOptions: { userAgentPrefix: USER_AGENT } });
                webSites.set(subscription, client);
            }
            return client.webApps;
        },
        cdn(subscription) {
            let client = cdns.get(subscription);
            if (!client) {
                client = new _azure_arm_cdn__WEBPACK_IMPORTED_MODULE_2__/* .CdnManagementClient */ .gp(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], userAgentOptions: { userAgentPrefix: USER_AGENT } });
                cdns.set(subscription, client);
            }
            return client;
        }
    };
}


/***/ })

};

//# sourceMappingURL=261.index.js.map