export const id = 465;
export const ids = [465];
export const modules = {

/***/ 55465:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   blobEndpointFor: () => (/* binding */ blobEndpointFor),
/* harmony export */   createSiteStore: () => (/* binding */ createSiteStore),
/* harmony export */   describeStaticWebsite: () => (/* binding */ describeStaticWebsite),
/* harmony export */   siteStoreFor: () => (/* binding */ siteStoreFor)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _azure_storage_blob__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(64981);
/* harmony import */ var zod__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(38816);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(83916);
/* harmony import */ var _site_files_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(34555);
/* harmony import */ var _parallel_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(73716);
/**
 * The storage account of a frontend environment, as the deploy uses it: the site container
 * (`$web`), the private archive container (release zips, the deployed-state manifest, the
 * deploy lock) and the static-website switch. A thin executor over @azure/storage-blob: it
 * decides nothing, and every failure becomes a DeployError naming the blob and what to change.
 */







/** Azure's limit of sub-requests in one batch. */
const BATCH_SIZE = 256;
const PARALLEL_BATCHES = 4;
const BLOCK_SIZE = 8 * 1024 * 1024;
const BLOCK_CONCURRENCY = 4;
const SINGLE_SHOT_BYTES = 32 * 1024 * 1024;
const MANIFEST = 'manifest.json';
const LOCK = 'deploy.lock';
const DATA_ROLE = 'Storage Blob Data Contributor';
/** 403 codes of an identity that signed in but lacks a role (or is kept out by the firewall). */
const PERMISSION_REFUSED = new Set(['AuthorizationPermissionMismatch', 'AuthorizationFailure']);
const SETTING_NAMES = { enabled: 'static website', indexDocument: 'index document', errorDocument404Path: '404 document' };
/** `404 document 404.html → index.html, index document default.htm → index.html` */
function describeChanges(changes) {
    return changes
        .map(change => (change.setting === 'enabled' ? 'static website off → on' : `${SETTING_NAMES[change.setting]} ${change.from === undefined ? '(none)' : String(change.from)} → ${String(change.to)}`))
        .join(', ');
}
/**
 * Pure: the log line for what `enableStaticWebsite` found or did, with its level; nothing when
 * the website already matched the config.
 */
function describeStaticWebsite(account, state) {
    switch (state.status) {
        case 'already-on':
            return undefined;
        case 'enabled':
            return { level: 'info', message: `static website of ${account} switched on (index document ${state.indexDocument}, 404 document ${state.errorDocument404Path ?? 'none'})` };
        case 'updated':
            return { level: 'info', message: `static website of ${account} set to the config: ${describeChanges(state.changes)}` };
        case 'differs':
            return { level: 'warning', message: `the static website of ${account} differs from the config, left as it is: ${describeChanges(state.changes)}` };
        case 'unknown':
            return { level: 'warning', message: `${state.reason}; make sure it is on, with the index and 404 documents the config names` };
    }
}
/** The explicit endpoint (private endpoints, tests), else the account's in the cloud. */
function blobEndpointFor(account, storageSuffix, explicit) {
    if (explicit)
        return explicit.replace(/\/+$/, '');
    return `https://${account}.blob.${storageSuffix}`;
}
const manifestSchema = zod__WEBPACK_IMPORTED_MODULE_5__/* .object */ .Ikc({
    commit: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP().regex(/^[0-9a-f]{40}$/),
    deployedAt: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP(),
    archive: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP().optional(),
    files: zod__WEBPACK_IMPORTED_MODULE_5__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_5__/* .object */ .Ikc({ path: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP(), md5: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP(), size: zod__WEBPACK_IMPORTED_MODULE_5__/* .number */ .aig() })),
    pending: zod__WEBPACK_IMPORTED_MODULE_5__/* .object */ .Ikc({ commit: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP().regex(/^[0-9a-f]{40}$/), startedAt: zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP(), replaced: zod__WEBPACK_IMPORTED_MODULE_5__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP()) }).optional()
});
/** The service's error code: on the error for most calls, only in its details for a failed download. */
const errorCodeOf = (error) => error.code ?? error.details?.errorCode;
const base64 = (bytes) => (bytes && bytes.length > 0 ? Buffer.from(bytes).toString('base64') : undefined);
function createSiteStore(options) {
    // Every call bounded: a try that hangs is given up after tryTimeoutInMs and retried.
    const pipeline = {
        retryOptions: { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 120_000, ...options.retry }
    };
    const service = new _azure_storage_blob__WEBPACK_IMPORTED_MODULE_2__/* .BlobServiceClient */ .wS(options.blobEndpoint, options.credential, pipeline);
    const account = service.accountName;
    const site = service.getContainerClient(options.container);
    const archive = service.getContainerClient(options.archiveContainer);
    const prefix = options.statePrefix ?? '';
    const singleShotBytes = options.singleShotBytes ?? SINGLE_SHOT_BYTES;
    const where = (container, blob) => `${account}/${container.containerName}${blob === undefined ? '' : `/${blob}`}`;
    /** A storage error as the user should read it: what, where, the service's code, and what to change. */
    function failure(action, target, error) {
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH)
            return error;
        const storage = error;
        if (storage.syscall) {
            return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`${action} ${target} failed: ${storage.message}`, 'Something changed the build output while the deploy ran: make sure no other step writes to it, then re-run.');
        }
        const code = errorCodeOf(error);
        const status = storage.statusCode;
        const firstLine = (storage.message ?? String(error)).split('\n')[0];
        const message = `${action} ${target} failed: ${status ? `${status} ` : ''}${code ? `${code}: ` : ''}${firstLine}`;
        return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(message, hintFor(status, code, target));
    }
    function hintFor(status, code, target) {
        if (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo') {
            return `The storage service refused the sign-in token: check the cloud's storage suffix and that the account ${account} is in the signed-in tenant.`;
        }
        if (status === 403) {
            return `The signed-in identity needs the "${DATA_ROLE}" role on the storage account ${account} (a role assignment can take some minutes to apply); if the account has a firewall, it must let the runner in.`;
        }
        if (code === 'ContainerNotFound') {
            return target.startsWith(`${account}/$web`)
                ? `The static website of ${account} is off, so $web does not exist: switch it on (portal, or az storage blob service-properties update --static-website), or give the deploy's identity "Storage Account Contributor" so that it can.`
                : `Create the container, or fix its name in the config.`;
        }
        if (status === undefined && /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET|REQUEST_SEND_ERROR/.test(code ?? '')) {
            return `Check storage-account and blob-endpoint in the config, and that the runner can reach ${options.blobEndpoint}.`;
        }
        return undefined;
    }
    async function attempt(action, target, work) {
        try {
            return await work();
        }
        catch (error) {
            throw failure(action, target, error);
        }
    }
    let archiveReady;
    /** The archive container, created private on first use. */
    function ensureArchiveContainer() {
        archiveReady ??= attempt('creating', where(archive), async () => {
            await archive.createIfNotExists();
        }).catch(error => {
            archiveReady = undefined;
            throw error;
        });
        return archiveReady;
    }
    /**
     * Put one local file with all its headers. Small files go in one request that carries the
     * MD5 the file was hashed with, so the service refuses bytes that changed since (and the
     * stored Content-MD5 can never lie); large ones go in blocks with Content-MD5 set on commit.
     * The file is opened first: a file that vanished or cannot be read fails here, not in a retry loop.
     */
    async function putFile(blob, absolute, size, md5, headers) {
        const handle = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.open)(absolute, 'r');
        try {
            const actualSize = (await handle.stat()).size;
            if (actualSize !== size)
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`${absolute} changed while the deploy ran (${size} bytes when hashed, ${actualSize} now).`, 'Make sure nothing writes to the build output during the deploy.');
            const blobHTTPHeaders = { ...headers, blobContentMD5: Buffer.from(md5, 'base64') };
            if (size <= singleShotBytes) {
                // A factory, so a retried request reads the file again from the start.
                const body = () => handle.createReadStream({ start: 0, autoClose: false });
                await blob.upload(body, size, { blobHTTPHeaders, transactionalContentMD5: blobHTTPHeaders.blobContentMD5 });
            }
            else {
                await blob.uploadFile(absolute, { blobHTTPHeaders, blockSize: BLOCK_SIZE, concurrency: BLOCK_CONCURRENCY, maxSingleShotSize: singleShotBytes });
            }
        }
        finally {
            await handle.close();
        }
    }
    const manifestBlob = archive.getBlockBlobClient(`${prefix}${MANIFEST}`);
    const listSite = async () => attempt('listing', where(site), async () => {
        const blobs = [];
        for await (const item of site.listBlobsFlat()) {
            blobs.push({
                path: item.name,
                md5: base64(item.properties.contentMD5),
                contentType: item.properties.contentType,
                cacheControl: item.properties.cacheControl,
                size: item.properties.contentLength ?? 0
            });
        }
        return blobs;
    });
    return {
        account,
        container: options.container,
        archiveContainer: options.archiveContainer,
        archivePath: name => `${options.archiveContainer}/${prefix}${name}`,
        async listSiteIfExists() {
            try {
                return await listSite();
            }
            catch (error) {
                if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH && /ContainerNotFound/.test(error.message))
                    return undefined;
                throw error;
            }
        },
        listSite,
        async upload(file, headers) {
            const blob = site.getBlockBlobClient(file.path);
            await attempt('uploading', where(site, file.path), () => putFile(blob, file.absolute, file.size, file.md5, { blobContentType: headers.contentType, blobCacheControl: headers.cacheControl }));
        },
        async setHeaders(path, headers, md5) {
            // Set Blob Properties replaces every header: Content-MD5 included, or it is wiped.
            await attempt('setting the headers of', where(site, path), async () => {
                await site.getBlobClient(path).setHTTPHeaders({ blobContentType: headers.contentType, blobCacheControl: headers.cacheControl, blobContentMD5: Buffer.from(md5, 'base64') });
            });
        },
        async deleteBlobs(paths) {
            const batches = [];
            for (let i = 0; i < paths.length; i += BATCH_SIZE)
                batches.push(paths.slice(i, i + BATCH_SIZE));
            const batchClient = site.getBlobBatchClient();
            await (0,_parallel_js__WEBPACK_IMPORTED_MODULE_6__/* .inParallel */ .H)(batches, PARALLEL_BATCHES, async (batch) => {
                const clients = batch.map(path => site.getBlobClient(path));
                const pathByUrl = new Map(clients.map((client, index) => [client.url, batch[index]]));
                const response = await attempt('deleting blobs from', where(site), () => batchClient.deleteBlobs(clients));
                // A blob already gone is what we wanted; anything else is a failure.
                const failed = response.subResponses.filter(sub => sub.status >= 300 && sub.status !== 404);
                if (failed.length > 0) {
                    const first = failed[0];
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`deleting ${failed.length} of ${batch.length} blobs from ${where(site)} failed; the first: ${pathByUrl.get(first._request.url) ?? first._request.url}: ${first.status} ${first.errorCode ?? first.statusMessage}`, first.status === 403 ? hintFor(403, first.errorCode, where(site)) : undefined);
                }
            });
        },
        async enableStaticWebsite(indexDocument, errorDocument404Path, { update = true } = {}) {
            const unreadable = `the signed-in identity may not read the service properties of ${account} (that needs "Storage Account Contributor", which "${DATA_ROLE}" does not include), so the static website and its 404 document could not be checked`;
            let current;
            try {
                current = (await service.getProperties()).staticWebsite;
            }
            catch (error) {
                if (!PERMISSION_REFUSED.has(errorCodeOf(error) ?? ''))
                    throw failure('reading the static website setting of', account, error);
                return { status: 'unknown', reason: unreadable };
            }
            const enabled = current?.enabled === true;
            // An account that names its index by absolute path (defaultIndexDocumentPath) keeps it: the two exclude each other.
            const byPath = enabled && Boolean(current?.defaultIndexDocumentPath);
            const changes = [];
            if (!enabled)
                changes.push({ setting: 'enabled', from: false, to: true });
            if (!byPath && (!enabled || current?.indexDocument !== indexDocument))
                changes.push({ setting: 'indexDocument', ...(enabled ? { from: current?.indexDocument } : {}), to: indexDocument });
            if (errorDocument404Path !== undefined && (!enabled || current?.errorDocument404Path !== errorDocument404Path)) {
                changes.push({ setting: 'errorDocument404Path', ...(enabled ? { from: current?.errorDocument404Path } : {}), to: errorDocument404Path });
            }
            const wanted = {
                indexDocument: byPath ? current?.indexDocument : indexDocument,
                errorDocument404Path: errorDocument404Path ?? (enabled ? current?.errorDocument404Path : undefined)
            };
            if (changes.length === 0)
                return { status: 'already-on', ...wanted, changes };
            if (!update)
                return { status: 'differs', indexDocument: current?.indexDocument, errorDocument404Path: current?.errorDocument404Path, changes };
            try {
                // Elements left out of Set Blob Service Properties keep their values (CORS, logging…).
                await service.setProperties({ staticWebsite: { enabled: true, ...wanted, ...(byPath ? { defaultIndexDocumentPath: current?.defaultIndexDocumentPath } : {}) } });
            }
            catch (error) {
                if (!PERMISSION_REFUSED.has(errorCodeOf(error) ?? ''))
                    throw failure('setting the static website of', account, error);
                return { status: 'unknown', reason: `the signed-in identity may not set the service properties of ${account} (that needs "Storage Account Contributor", which "${DATA_ROLE}" does not include), so ${describeChanges(changes)} could not be made` };
            }
            return { status: enabled ? 'updated' : 'enabled', ...wanted, changes };
        },
        async uploadArchive(name, file) {
            await ensureArchiveContainer();
            const blobName = `${prefix}${name}`;
            await attempt('uploading', where(archive, blobName), async () => {
                const { md5, size } = await (0,_site_files_js__WEBPACK_IMPORTED_MODULE_4__/* .digest */ .br)(file);
                await putFile(archive.getBlockBlobClient(blobName), file, size, md5, { blobContentType: 'application/zip' });
            });
        },
        async downloadArchive(name, destination) {
            const blobName = `${prefix}${name}`;
            try {
                await archive.getBlobClient(blobName).downloadToFile(destination);
            }
            catch (error) {
                const code = errorCodeOf(error);
                if (code === 'BlobNotFound' || code === 'ContainerNotFound') {
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`the release archive ${where(archive, blobName)} does not exist.`, 'It may have been pruned: only the last releases are kept. Pick a commit that is still archived, or deploy it by pushing again.');
                }
                throw failure('downloading', where(archive, blobName), error);
            }
        },
        async listArchives() {
            await ensureArchiveContainer();
            return attempt('listing', where(archive), async () => {
                const archives = [];
                // One level only: other environments' folders, the manifest and the lock are not releases.
                for await (const item of archive.listBlobsByHierarchy('/', { prefix })) {
                    if (item.kind === 'prefix')
                        continue;
                    const name = item.name.slice(prefix.length);
                    if (name === MANIFEST || name === LOCK)
                        continue;
                    archives.push({ name, size: item.properties.contentLength ?? 0, lastModified: item.properties.lastModified });
                }
                return archives.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
            });
        },
        async deleteArchive(name) {
            const blobName = `${prefix}${name}`;
            await attempt('deleting', where(archive, blobName), () => archive.getBlobClient(blobName).deleteIfExists());
        },
        async readManifest() {
            let text;
            try {
                text = (await manifestBlob.downloadToBuffer()).toString('utf8');
            }
            catch (error) {
                const code = errorCodeOf(error);
                if (code === 'BlobNotFound' || code === 'ContainerNotFound')
                    return undefined;
                throw failure('reading', where(archive, manifestBlob.name), error);
            }
            let parsed;
            try {
                parsed = manifestSchema.parse(JSON.parse(text));
            }
            catch (error) {
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`the deployed-state manifest ${where(archive, manifestBlob.name)} is not valid: ${error.message.split('\n')[0]}`, 'Delete it: the next deploy writes a new one (until then every part counts as changed).');
            }
            return parsed;
        },
        async writeManifest(manifest) {
            await ensureArchiveContainer();
            const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
            await attempt('writing', where(archive, manifestBlob.name), () => manifestBlob.upload(body, body.length, { blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8', blobCacheControl: 'no-cache', blobContentMD5: (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('md5').update(body).digest() } }));
        }
    };
}
/** The store of a site: the account's blob endpoint on the deploy's cloud (or the explicit one), signed in as the deploy. */
function siteStoreFor(site, azure, logger) {
    return createSiteStore({
        blobEndpoint: blobEndpointFor(site.storageAccount, azure.cloud.storageSuffix, site.blobEndpoint),
        credential: azure.credential,
        container: site.container,
        archiveContainer: site.archiveContainer,
        statePrefix: site.statePrefix,
        logger
    });
}


/***/ }),

/***/ 34555:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Dm: () => (/* binding */ listOutputFiles),
/* harmony export */   LB: () => (/* binding */ listSiteFiles),
/* harmony export */   PI: () => (/* binding */ hashOutputFiles),
/* harmony export */   br: () => (/* binding */ digest),
/* harmony export */   f2: () => (/* binding */ byPath)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(83916);
/* harmony import */ var _parallel_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(73716);
/* harmony import */ var _workspace_path_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(59152);







/** Enough to keep two cores busy without running out of file handles. */
const HASH_CONCURRENCY = 32;
/** Code-unit order: the same in every locale, so listings, uploads and zips agree. */
function byPath(a, b) {
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
/**
 * Every file under the output folder, sorted by path. A symlink is followed only when it
 * resolves inside the folder (a link to a file is that file, a link to a folder is walked
 * once); one that leads outside it, or nowhere, is refused, so nothing outside the build
 * is ever published.
 */
async function listOutputFiles(outputDir) {
    const root = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.realpath)(outputDir);
    const entries = [];
    // `dir` is a real path; `ancestors` are the real folders above it, to catch a link back up.
    const walk = async (dir, prefix, ancestors) => {
        const lineage = new Set(ancestors).add(dir);
        for (const dirent of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readdir)(dir, { withFileTypes: true })) {
            const relative = prefix + dirent.name;
            const absolute = node_path__WEBPACK_IMPORTED_MODULE_3___default().join(dir, dirent.name);
            if (dirent.isFile()) {
                entries.push({ path: relative, absolute });
            }
            else if (dirent.isDirectory()) {
                await walk(absolute, `${relative}/`, lineage);
            }
            else if (dirent.isSymbolicLink()) {
                const target = await insideTarget(root, absolute, relative);
                if (!(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(target)).isDirectory()) {
                    entries.push({ path: relative, absolute });
                }
                else if (lineage.has(target)) {
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`The build output has a symlink loop: ${relative} links back to a folder above it.`, 'Remove the link from the build output.');
                }
                else {
                    await walk(target, `${relative}/`, lineage);
                }
            }
            // Sockets, FIFOs and devices are not site content.
        }
    };
    await walk(root, '', new Set());
    return entries.sort(byPath);
}
async function insideTarget(root, link, relative) {
    let target;
    try {
        target = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.realpath)(link);
    }
    catch {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`The build output has a symlink that points to nothing: ${relative}.`, 'Remove the link from the build output, or make the build copy the file it should publish.');
    }
    if ((0,_workspace_path_js__WEBPACK_IMPORTED_MODULE_5__/* .isOutside */ ._K)(root, target)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`The build output has a symlink that points outside it: ${relative} → ${target}.`, 'Make the build copy that file into its output folder instead of linking it: only files inside the output are published.');
    }
    return target;
}
/** The site's files with their sizes and MD5s, hashed as streams, up to 32 at a time. */
async function listSiteFiles(outputDir) {
    return hashOutputFiles(await listOutputFiles(outputDir));
}
/** Sizes and MD5s of output files already listed, hashed as streams, up to 32 at a time. */
async function hashOutputFiles(entries) {
    return (0,_parallel_js__WEBPACK_IMPORTED_MODULE_6__/* .inParallel */ .H)(entries, HASH_CONCURRENCY, async (entry) => ({ ...entry, ...(await digest(entry.absolute)) }));
}
/** Size and base64 MD5 (Content-MD5's form) of a file, streamed. */
async function digest(file) {
    const md5 = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('md5');
    let size = 0;
    for await (const chunk of (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream)(file)) {
        md5.update(chunk);
        size += chunk.length;
    }
    return { size, md5: md5.digest('base64') };
}


/***/ })

};

//# sourceMappingURL=465.index.js.map