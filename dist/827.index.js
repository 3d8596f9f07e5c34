export const id = 827;
export const ids = [827,716];
export const modules = {

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

/***/ 49827:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   previewSettings: () => (/* binding */ previewSettings)
/* harmony export */ });
/* harmony import */ var _backend_app_settings_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(93637);
/* harmony import */ var _backend_web_app_state_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(53816);
/* harmony import */ var _azure_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(16616);
/* harmony import */ var _parallel_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73716);
/**
 * What a deploy would change in each target's app settings, by name only, read before anything
 * changes: for the plan (and a dry run) to show. Values are never shown; a `{ from-env }` value
 * the step does not set counts as unknown rather than failing the preview.
 */




/** One line per target of each image part that deploys: `api-1: +DJANGO_SECRET_KEY ~DEBUG`. */
async function previewSettings(plan, control, env) {
    const parts = plan.parts.filter((part) => part.kind === 'image' && part.deploy);
    const lines = await (0,_parallel_js__WEBPACK_IMPORTED_MODULE_1__/* .inParallel */ .H)(parts, 4, async (part) => {
        const declared = {};
        const unknown = [];
        for (const [name, value] of Object.entries(part.appSettings)) {
            if (typeof value === 'string')
                declared[name] = value;
            else if (env[value.fromEnv] !== undefined)
                declared[name] = env[value.fromEnv];
            else
                unknown.push(name);
        }
        return (0,_parallel_js__WEBPACK_IMPORTED_MODULE_1__/* .inParallel */ .H)(part.targets, 8, async (target) => {
            try {
                const state = await control.read(target);
                const { diff } = (0,_backend_app_settings_js__WEBPACK_IMPORTED_MODULE_2__/* .desiredSettings */ .Qf)(state.settings, { declared, prune: part.pruneAppSettings, port: target.port });
                const unset = unknown.length > 0 ? ` (not set in this step's env, so not compared: ${unknown.join(', ')})` : '';
                const command = target.command !== undefined && target.command !== state.command ? '; start command changes' : '';
                return `${part.name} ${(0,_backend_web_app_state_js__WEBPACK_IMPORTED_MODULE_0__.targetName)(target)}: app settings ${(0,_backend_app_settings_js__WEBPACK_IMPORTED_MODULE_2__/* .formatSettingsDiff */ .kN)(diff)}${unset}${command}`;
            }
            catch (error) {
                return `${part.name} ${(0,_backend_web_app_state_js__WEBPACK_IMPORTED_MODULE_0__.targetName)(target)}: app settings not read (${(0,_azure_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .describeAzureError */ .p)(error)})`;
            }
        });
    });
    return lines.flat();
}


/***/ }),

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

//# sourceMappingURL=827.index.js.map