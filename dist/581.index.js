export const id = 581;
export const ids = [581];
export const modules = {

/***/ 87581:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  prepareSite: () => (/* binding */ prepareSite),
  publishSite: () => (/* binding */ publishSite)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/frontend/archive.ts
var frontend_archive = __webpack_require__(73590);
// EXTERNAL MODULE: ./src/frontend/blob-store.ts
var blob_store = __webpack_require__(55465);
// EXTERNAL MODULE: ./src/command-runner.ts
var command_runner = __webpack_require__(39573);
// EXTERNAL MODULE: ./src/command-line.ts
var command_line = __webpack_require__(1689);
// EXTERNAL MODULE: ./src/frontend/site-files.ts
var site_files = __webpack_require__(34555);
// EXTERNAL MODULE: ./src/workspace-path.ts
var workspace_path = __webpack_require__(59152);
;// CONCATENATED MODULE: ./src/frontend/build.ts







/** Lines of a failed command's output shown in the error. */
const TAIL_LINES = 20;
/**
 * Credentials the runner gives this action and not the steps a user writes: the action's
 * inputs (client secret, registry password, GitHub token) and the OIDC token request. A
 * package's install script must not read them. Blanked, not dropped: the command runner
 * lays this environment over its own process environment.
 */
const ACTION_ONLY = /^(?:INPUT_|ACTIONS_ID_TOKEN_REQUEST_(?:TOKEN|URL)$|ACTIONS_RUNTIME_TOKEN$)/;
/** Pure: the process environment less the action's credentials, then `build-env`, then `CI=true`. */
function buildEnvironment(processEnv, buildEnv) {
    const env = {};
    for (const [name, value] of Object.entries(processEnv)) {
        if (value !== undefined)
            env[name] = ACTION_ONLY.test(name) ? '' : value;
    }
    return { ...env, ...buildEnv, CI: 'true' };
}
/**
 * Install, then build, in the part's working directory, each command run without a shell;
 * then check that the output folder has something to publish and nothing outside it.
 * Both command lines are checked before either runs.
 */
async function buildFrontend(plan, context, deps) {
    const part = `parts.${plan.name ?? 'frontend'}`;
    const steps = [
        { name: 'install', key: `${part}.install`, line: plan.install, argv: (0,command_line/* splitCommandLine */.a)(plan.install, `${part}.install`) },
        { name: 'build', key: `${part}.build`, line: plan.build, argv: (0,command_line/* splitCommandLine */.a)(plan.build, `${part}.build`) }
    ];
    const workingDir = external_node_path_default().resolve(context.workspace, plan.workingDirectory);
    if (!(await isDirectory(workingDir))) {
        throw new errors/* DeployError */.sH(`The frontend's working directory ${plan.workingDirectory} does not exist in the repository.`, `Set ${part}.working-directory to the folder that holds package.json.`);
    }
    const env = buildEnvironment(deps.env, plan.buildEnv);
    const seconds = { install: 0, build: 0 };
    for (const step of steps) {
        seconds[step.name] = await deps.logger.group(`Frontend ${step.name}: ${step.line}`, async () => {
            const started = performance.now();
            const [tool, ...args] = step.argv;
            let result;
            try {
                result = await deps.runner.run(tool, args, { cwd: workingDir, env });
            }
            catch (error) {
                throw new errors/* DeployError */.sH(`The frontend ${step.name} command "${step.line}" could not start in ${plan.workingDirectory}: ${error.message}`, `Install ${tool} on the runner (for example with actions/setup-node), or change ${step.key} in the config.`);
            }
            const output = (0,command_runner/* outputTail */.c)(result, TAIL_LINES, '  ');
            if (result.exitCode !== 0) {
                throw new errors/* DeployError */.sH(`The frontend ${step.name} command "${step.line}" failed with exit code ${result.exitCode} in ${plan.workingDirectory}. Its last lines:\n${output || '(no output)'}`, `Fix the ${step.name} so that it passes when run in ${plan.workingDirectory}, or change ${step.key} in the config if that is the wrong command.`);
            }
            const took = Math.round((performance.now() - started) / 100) / 10;
            if (output)
                deps.logger.debug(`Last lines of "${step.line}":\n${output}`);
            deps.logger.info(`${step.line}: done in ${took} s`);
            return took;
        });
    }
    const outputDir = external_node_path_default().resolve(workingDir, plan.output);
    const shownAs = external_node_path_default().posix.join(plan.workingDirectory, plan.output);
    // The build may have made the output folder a link: what it leads to is checked now.
    const elsewhere = await (0,workspace_path/* leavesWorkspace */.ck)(context.workspace, shownAs);
    if (elsewhere) {
        throw new errors/* DeployError */.sH(`The frontend output folder ${shownAs} leads outside the repository, to ${elsewhere}, through a symlink: nothing uploaded.`, `Make the build write its output to a real folder inside the repository (${part}.output), not a symlink that leaves it.`);
    }
    const files = await checkOutput(outputDir, shownAs, part);
    return { outputDir, files, seconds };
}
/** Missing, empty, or linking outside itself: the deploy stops before anything is uploaded. */
async function checkOutput(outputDir, shownAs, part) {
    const hint = `Set ${part}.output to the folder the build writes, relative to ${part}.working-directory (for example build for Create React App, dist for Vite).`;
    if (!(await isDirectory(outputDir)))
        throw new errors/* DeployError */.sH(`The frontend build finished but wrote no output folder ${shownAs}: nothing uploaded.`, hint);
    // Refuses links that lead outside the folder, naming the link.
    const files = await (0,site_files/* listOutputFiles */.Dm)(outputDir);
    if (files.length === 0)
        throw new errors/* DeployError */.sH(`The frontend build finished but its output folder ${shownAs} is empty: nothing uploaded.`, hint);
    return files;
}
async function isDirectory(dir) {
    try {
        return (await (0,promises_.stat)(dir)).isDirectory();
    }
    catch {
        return false;
    }
}

// EXTERNAL MODULE: ./node_modules/mime-types/index.js
var mime_types = __webpack_require__(14096);
// EXTERNAL MODULE: ./node_modules/picomatch/index.js
var picomatch = __webpack_require__(14006);
var picomatch_default = /*#__PURE__*/__webpack_require__.n(picomatch);
;// CONCATENATED MODULE: ./src/frontend/headers.ts


const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * Files that keep their name across releases (favicon, robots.txt, images in `public/`): the
 * edge is purged when they change, a browser cache cannot be, so browsers keep them 5 minutes
 * (about as long as a purge takes to reach every edge) and then revalidate — a 304 is cheap.
 */
const REVALIDATE = 'public, max-age=300, must-revalidate';
/** Types served as text that mime-db gives no charset (it does for text/*, JSON and JavaScript). */
const TEXT_TYPES = new Set(['application/javascript', 'application/ecmascript', 'application/xml', 'image/svg+xml']);
/** Content-Type by extension, with `charset=utf-8` for text; unknown extensions are bytes. */
function contentTypeFor(filePath) {
    const type = (0,mime_types.lookup)(filePath);
    if (!type)
        return 'application/octet-stream';
    const isText = (0,mime_types.charset)(type) === 'UTF-8' || TEXT_TYPES.has(type) || type.endsWith('+xml') || type.endsWith('+json');
    return isText ? `${type}; charset=utf-8` : type;
}
/**
 * Names that must be revalidated on every visit whatever their path: the pages themselves,
 * the service worker (a stale one keeps serving the old release) and the manifests that
 * name the hashed assets.
 */
const ALWAYS_REVALIDATED = picomatch_default()(['**/*.html', '**/*.htm', '**/service-worker.js', '**/sw.js', '**/manifest.json', '**/asset-manifest.json', '**/*.webmanifest'], {
    dot: true,
    flags: 's'
});
/** The folders bundlers put their hashed output in: CRA `static/`, Vite `assets/`, Next `_next/static/`. */
const BUNDLER_FOLDER = /(?:^|\/)(?:static|assets)\//;
const HEX_HASH = /^[0-9a-f]{8,}$/;
/** Rollup/Vite (base64url) and esbuild/Angular (base32) hashes are 8 characters long. */
const SHORT_HASH = /^[A-Za-z0-9_-]{8}$/;
/** A word with a number (`feature1`, `IMG_1234`, `2024logo`): a name, not a hash. */
const WORD_AND_NUMBER = /^(?:[A-Za-z]+[-_]?\d+|\d+[-_]?[A-Za-z]+)$/;
/** lower, UPPER, camelCase or PascalCase words. */
const WORDS = /^(?:[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*)$/;
/**
 * Does the file name carry a content hash, so that new content always gets a new name?
 * Bundlers put it between dots (`main.1a2b3c4d.chunk.js`, webpack, CRA, Parcel) or after
 * the last dash of the name (`index-BqX2k9aZ.js` Vite, `main-ZBR3S6LX.js` esbuild,
 * `app-<20 hex>.js` Gatsby). A wrong "yes" would pin stale content in browsers for a year,
 * a wrong "no" costs a revalidation: so outside the bundlers' folders a hash must mix
 * letters and digits, and inside them only plain words are taken for names.
 */
function hasContentHash(filePath) {
    const fileName = filePath.slice(filePath.lastIndexOf('/') + 1);
    const inBundlerFolder = BUNDLER_FOLDER.test(filePath);
    const segments = fileName.split('.').slice(0, -1);
    return segments.some((segment, index) => hashCandidates(segment, index > 0).some(candidate => looksLikeHash(candidate, inBundlerFolder)));
}
/** The parts of one dot-separated segment of a file name that may be a hash. */
function hashCandidates(segment, betweenDots) {
    const candidates = [];
    // The whole name only when it is plain hex (webpack `[contenthash].js`): `IMG_1234.jpg` is not.
    if (betweenDots || HEX_HASH.test(segment))
        candidates.push(segment);
    const hexTail = /[-_]([0-9a-f]{8,})$/.exec(segment);
    if (hexTail)
        candidates.push(hexTail[1]);
    // A short hash may itself hold `-` or `_`: it is the last 8 characters after a separator.
    if (/[-_]/.test(segment.at(-9) ?? ''))
        candidates.push(segment.slice(-8));
    return candidates;
}
function looksLikeHash(token, inBundlerFolder) {
    const hasDigit = /\d/.test(token);
    const hasLetter = /[A-Za-z]/.test(token);
    if (HEX_HASH.test(token))
        return hasDigit && hasLetter;
    if (!SHORT_HASH.test(token) || WORD_AND_NUMBER.test(token))
        return false;
    if (hasDigit && hasLetter)
        return true;
    return inBundlerFolder && !WORDS.test(token);
}
/**
 * Cache-Control by the config's rules (first match wins; globs match the whole path from the
 * output folder, with dotfiles), then the defaults: revalidate pages, service workers and
 * manifests on every visit; hashed assets forever; anything else briefly (see REVALIDATE).
 */
function compileCacheControl(rules) {
    const compiled = rules.map(rule => ({ test: picomatch_default()(typeof rule.match === 'string' ? rule.match : [...rule.match], { dot: true, flags: 's' }), value: rule.value }));
    return filePath => {
        for (const rule of compiled)
            if (rule.test(filePath))
                return rule.value;
        if (ALWAYS_REVALIDATED(filePath))
            return NO_CACHE;
        if (hasContentHash(filePath))
            return IMMUTABLE;
        return REVALIDATE;
    };
}
/** One file's Cache-Control; compile once with `compileCacheControl` for many files. */
function cacheControlFor(filePath, rules) {
    return compileCacheControl(rules)(filePath);
}
/** Both headers of one file of the site. */
function headersFor(filePath, cacheControl) {
    return { contentType: contentTypeFor(filePath), cacheControl: cacheControl(filePath) };
}

;// CONCATENATED MODULE: ./src/frontend/purge.ts

/** Front Door and classic CDN take at most 100 paths in one purge call. */
const PATHS_PER_PURGE = 100;
/** Past this many paths one `/*` is cheaper than many calls and purges the same. */
const MAX_LISTED_PATHS = 500;
/** What a URL path segment holds as it is (RFC 3986 `pchar`: unreserved, sub-delims, `:` and `@`). */
const PATH_CHARACTER = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
/**
 * A blob name as the path a browser requests it by, and so the path the edge caches it under:
 * each segment percent-encoded (UTF-8) except the characters a path segment holds as they
 * are. Unencoded, `?` would start a query string (Front Door purges are query-string
 * agnostic, so `/a?b.html` purges `/a`), `#` a fragment that never reaches the edge, and a
 * space or a non-ASCII character is not a valid path (the CDN refuses the purge).
 */
function edgePath(blob) {
    return `/${blob
        .split('/')
        .map(segment => [...segment].map(character => (PATH_CHARACTER.test(character) ? character : encodeURIComponent(character))).join(''))
        .join('/')}`;
}
/**
 * Pure: the edge paths to purge for the blobs a deploy replaced (content or headers). New
 * blobs were never cached, so they need none. An `index.html` is also served as its folder
 * (`/` and `/docs/`), so that path goes too. `all` (or too many paths) purges everything.
 */
function purgePaths(replacedBlobs, mode) {
    if (mode === 'all')
        return ['/*'];
    const paths = new Set();
    for (const blob of replacedBlobs) {
        const edge = edgePath(blob);
        paths.add(edge);
        if (blob === 'index.html' || blob.endsWith('/index.html'))
            paths.add(edge.slice(0, -'index.html'.length));
    }
    if (paths.size > MAX_LISTED_PATHS)
        return ['/*'];
    return [...paths].sort();
}
/** Split into calls of at most 100 paths each. */
function purgeBatches(paths) {
    const batches = [];
    for (let i = 0; i < paths.length; i += PATHS_PER_PURGE)
        batches.push(paths.slice(i, i + PATHS_PER_PURGE));
    return batches;
}
/**
 * Reads which hosts a Front Door endpoint serves: its host name, its routes' custom-domain
 * links (by resource id) and the profile's custom domains (for their host names). Front Door
 * purges a domain on an endpoint only when a route links it there; other domains of the
 * profile belong to other endpoints.
 */
async function readFrontDoorHosts(edge, clients) {
    const cdn = await clients.cdn(edge.subscription);
    const [endpoint, routes, hostByName] = await Promise.all([
        cdn.afdEndpoints.get(edge.resourceGroup, edge.profile, edge.endpoint),
        collect(cdn.routes.listByEndpoint(edge.resourceGroup, edge.profile, edge.endpoint)),
        collect(cdn.afdCustomDomains.listByProfile(edge.resourceGroup, edge.profile)).then(domains => new Map(domains.map(domain => [resourceName(domain.id ?? domain.name ?? ''), domain.hostName ?? ''])))
    ]);
    if (!endpoint.hostName)
        throw new errors/* DeployError */.sH(`the Front Door endpoint ${edge.profile}/${edge.endpoint} has no host name.`, 'Check that the endpoint is deployed (az afd endpoint show).');
    const linkedHosts = new Map();
    for (const route of routes) {
        for (const link of route.customDomains ?? []) {
            const host = hostByName.get(resourceName(link.id ?? ''));
            if (host)
                linkedHosts.set(host.toLowerCase(), host);
        }
    }
    const hosts = [...linkedHosts.values()];
    return { endpointHost: endpoint.hostName, linked: hosts.filter(host => !host.startsWith('*.')), wildcards: hosts.filter(host => host.startsWith('*.')) };
}
/** Resource ids differ in case between where they are defined and where they are referenced: match by the last segment. */
const resourceName = (id) => id.slice(id.lastIndexOf('/') + 1).toLowerCase();
async function collect(items) {
    const all = [];
    for await (const item of items)
        all.push(item);
    return all;
}
/**
 * Pure: the hosts a Front Door purge names. Without `requested`: every linked custom domain
 * that can be purged, then the endpoint's own host (which Front Door leaves out as soon as any
 * domain is named). With `requested` (the config's `domains`): exactly those, each checked —
 * a domain no route links to the endpoint, or a wildcard domain, is an error naming what can be
 * purged, so it is found before anything is uploaded.
 */
function purgeDomains(edge, hosts, requested) {
    if (requested === undefined || requested.length === 0)
        return [...hosts.linked, hosts.endpointHost];
    const purgeable = new Set([hosts.endpointHost, ...hosts.linked].map(host => host.toLowerCase()));
    const wildcards = new Set(hosts.wildcards.map(wildcard => wildcard.toLowerCase()));
    // `dev.contoso.com` is purged through `*.contoso.com`; `a.dev.contoso.com` is not (single level only).
    const isSubdomainOfWildcard = (host) => host.includes('.') && wildcards.has(`*.${host.slice(host.indexOf('.') + 1)}`);
    const canPurge = [...purgeable, ...hosts.wildcards.map(wildcard => `single-level subdomains of ${wildcard}`)].join(', ');
    const where = `the Front Door endpoint ${edge.profile}/${edge.endpoint}`;
    for (const domain of requested) {
        const host = domain.toLowerCase();
        if (host.startsWith('*.')) {
            throw new errors/* DeployError */.sH(`frontdoor domain ${domain} is a wildcard domain, and Front Door cannot purge a wildcard domain.`, `List the subdomains of it that visitors use (such as www.${domain.slice(2)}) in the environment's frontdoor.domains instead, or leave domains out to purge every linked domain of ${where}: ${canPurge}.`);
        }
        if (!purgeable.has(host) && !isSubdomainOfWildcard(host)) {
            throw new errors/* DeployError */.sH(`frontdoor domain ${domain} is not linked to ${where}: no route of the endpoint serves it, so Front Door cannot purge it there.`, `The endpoint can purge ${canPurge}. Fix the environment's frontdoor.domains (or leave it out to purge all of them), or link ${domain} to the endpoint with a route.`);
        }
    }
    return requested.filter((domain, index) => requested.findIndex(other => other.toLowerCase() === domain.toLowerCase()) === index);
}
/**
 * For the prepare phase: the hosts a Front Door purge will name, read and checked before
 * anything is uploaded. Pass the result to `purgeEdge`.
 */
async function frontDoorPurgeDomains(edge, clients) {
    return purgeDomains(edge, await readFrontDoorHosts(edge, clients), edge.domains);
}
/**
 * Purge a classic CDN endpoint or a Front Door endpoint, polled to completion. A Front Door
 * purge names its hosts explicitly (see `frontDoorPurgeDomains`; read here when not given).
 */
async function purgeEdge(edge, paths, clients, now = Date.now, frontDoorDomains) {
    const started = now();
    const cdn = await clients.cdn(edge.subscription);
    const batches = purgeBatches(paths);
    let domains = [];
    if (edge.kind === 'frontdoor') {
        domains = frontDoorDomains ? [...frontDoorDomains] : await frontDoorPurgeDomains(edge, clients);
        await Promise.all(batches.map(contentPaths => cdn.afdEndpoints.beginPurgeContentAndWait(edge.resourceGroup, edge.profile, edge.endpoint, { contentPaths, domains })));
    }
    else {
        await Promise.all(batches.map(contentPaths => cdn.endpoints.beginPurgeContentAndWait(edge.resourceGroup, edge.profile, edge.endpoint, { contentPaths })));
    }
    return { paths: [...paths], domains, calls: batches.length, seconds: Math.round((now() - started) / 100) / 10 };
}

;// CONCATENATED MODULE: ./src/frontend/sync-plan.ts

const UPLOAD_WAVES = ['assets', 'pages', 'root-index'];
const HTML_TYPES = /^(?:text\/html|application\/xhtml\+xml)\b/i;
function waveOf(entry) {
    if (entry.file.path === 'index.html')
        return 'root-index';
    return HTML_TYPES.test(entry.headers.contentType) ? 'pages' : 'assets';
}
const percent = (share) => `${Math.round(share * 1000) / 10}%`;
function planSync(local, remote, options) {
    const remoteByPath = new Map(remote.map(blob => [blob.path, blob]));
    const uploads = [];
    const headerFixes = [];
    const unchanged = [];
    for (const entry of [...local].sort((a, b) => (0,site_files/* byPath */.f2)(a.file, b.file))) {
        const existing = remoteByPath.get(entry.file.path);
        // A blob without Content-MD5 cannot be compared: it is replaced, and gets one.
        if (!existing || existing.md5 !== entry.file.md5) {
            uploads.push({ ...entry, wave: waveOf(entry), reason: existing ? 'changed' : 'new' });
        }
        else if (existing.contentType !== entry.headers.contentType || existing.cacheControl !== entry.headers.cacheControl) {
            headerFixes.push({ path: entry.file.path, md5: entry.file.md5, headers: entry.headers, previous: { contentType: existing.contentType, cacheControl: existing.cacheControl } });
        }
        else {
            unchanged.push(entry.file.path);
        }
    }
    // Stable sort: within a wave, uploads stay in path order.
    uploads.sort((a, b) => UPLOAD_WAVES.indexOf(a.wave) - UPLOAD_WAVES.indexOf(b.wave));
    const localPaths = new Set(local.map(entry => entry.file.path));
    const stale = remote
        .map(blob => blob.path)
        .filter(path => !localPaths.has(path))
        .sort();
    const plan = { uploads, headerFixes, unchanged, stale, remoteCount: remote.length };
    const share = remote.length === 0 ? 0 : stale.length / remote.length;
    if (share > options.maxDeleteShare && !options.allowMassDelete) {
        plan.deleteRefused = `it would delete ${stale.length} of the ${remote.length} blobs of the site (${percent(share)}), more than the ${percent(options.maxDeleteShare)} allowed`;
    }
    return plan;
}

// EXTERNAL MODULE: ./src/parallel.ts
var parallel = __webpack_require__(73716);
;// CONCATENATED MODULE: ./src/frontend/sync.ts
/**
 * Runs a SyncPlan against the site's container: the upload waves in order (each complete
 * before the next starts), then the header fixes. Deleting stale blobs is a separate step,
 * run by the orchestrator after the purge, and never after a failed upload.
 */



const DEFAULT_UPLOAD_CONCURRENCY = 32;
/**
 * Run `work` over `items`, at most `concurrency` at a time, in list order. After the first
 * failure no new item starts; those in flight finish.
 */
async function inPool(items, concurrency, work) {
    let stopped = false;
    await (0,parallel/* inParallel */.H)(items, concurrency, async (item) => {
        if (!stopped && !(await work(item)))
            stopped = true;
    });
}
async function syncSite(plan, deps, options = {}) {
    const now = deps.now ?? Date.now;
    const concurrency = options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY;
    const total = plan.uploads.length;
    const progressEvery = options.progressEvery ?? Math.max(100, Math.ceil(total / 10));
    const report = { ok: true, uploaded: [], headersFixed: [], failed: [], bytesUploaded: 0, durations: { uploads: 0, headerFixes: 0 }, log: [] };
    const started = now();
    /** Run one request, recording it; false when it failed. */
    const run = async (action, path, wave, request) => {
        const event = { action, path, wave, startedMs: now() - started, finishedMs: 0, ok: false };
        report.log.push(event);
        try {
            await request();
            event.ok = true;
            return true;
        }
        catch (error) {
            const message = (0,errors/* describeFailure */.Ic)(error);
            report.failed.push({ path, error: message });
            report.failure ??= message;
            report.ok = false;
            return false;
        }
        finally {
            event.finishedMs = now() - started;
        }
    };
    for (const wave of UPLOAD_WAVES) {
        const uploads = plan.uploads.filter(upload => upload.wave === wave);
        await inPool(uploads, concurrency, async (upload) => {
            const ok = await run('upload', upload.file.path, wave, () => deps.store.upload(upload.file, upload.headers, deps.contents));
            if (!ok)
                return false;
            report.uploaded.push(upload.file.path);
            report.bytesUploaded += upload.file.size;
            const done = report.uploaded.length;
            if (done % progressEvery === 0 || done === total)
                deps.logger.info(`uploaded ${done}/${total} (${(report.bytesUploaded / 1e6).toFixed(1)} MB)`);
            return true;
        });
        // A page must never go live before an asset it names: stop at the first failed wave.
        if (!report.ok)
            break;
    }
    report.durations.uploads = now() - started;
    if (report.ok) {
        const fixesStarted = now();
        await inPool(plan.headerFixes, concurrency, async (fix) => {
            const ok = await run('set-headers', fix.path, undefined, () => deps.store.setHeaders(fix.path, fix.headers, fix.md5));
            if (ok)
                report.headersFixed.push(fix.path);
            return ok;
        });
        report.durations.headerFixes = now() - fixesStarted;
        if (plan.headerFixes.length > 0)
            deps.logger.info(`fixed the headers of ${report.headersFixed.length}/${plan.headerFixes.length} blobs without uploading them`);
    }
    if (!report.ok)
        deps.logger.warning(`the sync stopped after ${report.failed.length} failed request(s); nothing will be deleted. First: ${report.failure}`);
    return report;
}
/**
 * Delete the plan's stale blobs, in batches. Refused when the sync did not complete (a page
 * still being served may name them) or when the plan's mass-delete guard tripped.
 */
async function deleteStale(plan, sync, deps) {
    if (!sync.ok)
        return { status: 'refused', deleted: [], reason: `an upload failed (${sync.failure ?? 'see above'}), so the old files stay`, durationMs: 0 };
    if (plan.deleteRefused)
        return { status: 'refused', deleted: [], reason: plan.deleteRefused, durationMs: 0 };
    if (plan.stale.length === 0)
        return { status: 'nothing-stale', deleted: [], durationMs: 0 };
    const now = deps.now ?? Date.now;
    const started = now();
    await deps.store.deleteBlobs(plan.stale);
    deps.logger.info(`deleted ${plan.stale.length} stale blob(s)`);
    return { status: 'deleted', deleted: [...plan.stale], durationMs: now() - started };
}

;// CONCATENATED MODULE: ./src/frontend/deploy.ts
/**
 * A site part in two halves. `prepareSite` builds (or fetches an archived release), hashes
 * the files and plans the sync — nothing anyone sees changes, so it runs before the
 * environment's lock and before any part goes live — and starts writing the release zip
 * (private), which goes on while the run waits for the lock and publishes, at a pace that never
 * holds up the site (see ReleaseWriting). `publishSite` runs under the lock: it records the
 * release in flight in the manifest, uploads in a safe order (assets, pages, the root
 * index.html last), purges every path it and any unfinished earlier run replaced, deletes
 * stale blobs, and records what is live once the zip is kept.
 */











function timer(seconds, now) {
    return async (phase, work) => {
        const started = now();
        try {
            return await work();
        }
        finally {
            seconds[phase] = (seconds[phase] ?? 0) + Math.round((now() - started) / 100) / 10;
        }
    };
}
/** Build (or fetch the archived release), hash, and plan the sync against what the container holds now. */
async function prepareSite(plan, buildEnv, context, deps) {
    const { logger } = deps;
    const now = deps.now ?? Date.now;
    const seconds = {};
    const timed = timer(seconds, now);
    const store = (0,blob_store.siteStoreFor)(plan, deps.azure, logger, deps.setSecret);
    const commit = plan.rollbackTo ?? context.commit;
    const scratch = await (0,promises_.mkdtemp)(external_node_path_default().join(deps.tempDir, 'apd-site-'));
    const contents = new site_files/* SiteContents */.Og();
    const stop = new AbortController();
    let archiving;
    const cleanup = async () => {
        stop.abort();
        await archiving?.done;
        contents.clear();
        await (0,promises_.rm)(scratch, { recursive: true, force: true });
    };
    // What the container holds, read while the site builds and hashes: to refuse a wrong output
    // folder before anything goes live anywhere; the Front Door domains too, so a domain the
    // endpoint does not serve fails here, not after an upload; and the static website, read
    // only, so that publishing sets it only when it differs. A build failure is reported first.
    const reading = timed('list', () => Promise.all([
        store.listSiteIfExists(),
        store.readManifest(),
        plan.cdn?.kind === 'frontdoor' ? frontDoorPurgeDomains(plan.cdn, deps.azure.clients) : undefined,
        store.enableStaticWebsite(plan.indexDocument, plan.errorDocument, { update: false })
    ]));
    reading.catch(() => undefined);
    try {
        let outputDir;
        let files;
        if (plan.rollbackTo) {
            outputDir = external_node_path_default().join(scratch, 'release');
            const archive = `${plan.rollbackTo}.zip`;
            await logger.group(`Fetch the release of ${plan.rollbackTo.slice(0, 12)}`, async () => {
                const zip = external_node_path_default().join(scratch, archive);
                try {
                    await store.downloadArchive(archive, zip);
                }
                catch (error) {
                    throw new errors/* DeployError */.sH(`rollback-to ${plan.rollbackTo}: its release archive ${store.archivePath(archive)} could not be read (${error.message}).`, `Releases are kept for the last ${plan.keepReleases} deploys (keep-releases): pick a commit that was deployed since, or redeploy it by building it again.`);
                }
                await (0,frontend_archive/* extractReleaseArchive */.hv)(zip, outputDir);
            });
            files = await timed('hash', () => (0,site_files/* listSiteFiles */.LB)(outputDir, contents));
        }
        else {
            const build = await timed('build', () => buildFrontend({ ...plan, buildEnv }, { workspace: context.workspace }, deps));
            outputDir = build.outputDir;
            files = await timed('hash', () => (0,site_files/* hashOutputFiles */.PI)(build.files, contents));
        }
        const cacheControl = compileCacheControl(plan.cacheControl);
        const local = files.map(file => ({ file, headers: headersFor(file.path, cacheControl) }));
        const [remote, manifest, frontDoorDomains, website] = await reading;
        const syncPlan = checkedSyncPlan(plan, local, remote ?? [], deps.allowMassDelete);
        archiving = plan.rollbackTo ? { done: Promise.resolve(false), live() { }, seconds: () => undefined } : keepRelease(store, files, contents, `${commit}.zip`, manifest, stop.signal, logger, now);
        return { plan, commit, store, outputDir, files, contents, local, remote, manifest, syncPlan, frontDoorDomains, website, archiving, seconds, scratch, cleanup };
    }
    catch (error) {
        await cleanup();
        throw error;
    }
}
function checkedSyncPlan(plan, local, remote, allowMassDelete) {
    const syncPlan = planSync(local, remote, { maxDeleteShare: plan.maxDeleteShare, allowMassDelete });
    if (syncPlan.deleteRefused && plan.deleteStale === 'after-purge') {
        throw new errors/* DeployError */.sH(`refusing to deploy${plan.name === 'frontend' ? '' : ` ${plan.name}`}: ${syncPlan.deleteRefused}. Nothing was uploaded or deleted.`, `Check parts.${plan.name}.output (a wrong folder looks like a site that lost most of its files); if the site really shrank, set 'allow-mass-delete: true' for this run (or raise parts.${plan.name}.max-delete-share).`);
    }
    return syncPlan;
}
const sameManifest = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
/**
 * Publish a prepared site, under the environment's lock. `assertLockHeld` throws when the lock
 * was lost: deleting is the one step that can break a page still cached somewhere, so it runs
 * only while the lock surely holds.
 */
async function publishSite(prepared, deps) {
    const { plan, store, files, local, commit } = prepared;
    const { logger } = deps;
    const now = deps.now ?? Date.now;
    const seconds = { ...prepared.seconds };
    const timed = timer(seconds, now);
    // The switch (on a new account $web appears only once the static website is on) only when
    // preparing found it off or set otherwise; meanwhile, the manifest again, unless it was
    // already read under the lock.
    const [website, manifest] = await Promise.all([
        prepared.website.status === 'already-on' ? undefined : timed('website', () => store.enableStaticWebsite(plan.indexDocument, plan.errorDocument)),
        prepared.manifestUnderLock ? prepared.manifestUnderLock.manifest : store.readManifest()
    ]);
    if (website?.status === 'enabled')
        logger.info(`static website switched on (index ${plan.indexDocument}, 404 ${plan.errorDocument})`);
    else if (website) {
        const said = (0,blob_store.describeStaticWebsite)(store.account, website);
        if (said)
            logger[said.level](said.message);
    }
    // Another deploy may have changed the site since it was prepared: plan again from what is there now.
    let syncPlan = prepared.syncPlan;
    let remote = prepared.remote;
    if (!sameManifest(manifest, prepared.manifest) || remote === undefined) {
        remote = await timed('list', () => siteListing(store, website ?? prepared.website, deps.sleep));
        syncPlan = checkedSyncPlan(plan, local, remote, deps.allowMassDelete);
    }
    logger.info(`sync plan: ${syncPlan.uploads.length} to upload, ${syncPlan.headerFixes.length} header fixes, ${syncPlan.unchanged.length} unchanged, ${syncPlan.stale.length} stale`);
    // Blobs whose content or headers an edge may have cached: this run's, and an unfinished run's.
    const replacedNow = [...syncPlan.uploads.filter(upload => upload.reason === 'changed').map(upload => upload.file.path), ...syncPlan.headerFixes.map(fix => fix.path)];
    const unfinished = manifest?.pending;
    if (unfinished)
        logger.warning(`${store.account}/${store.container}: an earlier deploy of ${unfinished.commit.slice(0, 12)} (started ${unfinished.startedAt}) did not finish; its ${unfinished.replaced.length} replaced file(s) are purged with this release's`);
    const replaced = [...new Set([...(unfinished?.replaced ?? []), ...replacedNow])].sort();
    // A site an earlier tool uploaded has no manifest of ours: whatever the edge cached of it may be stale.
    const adopted = !manifest && (remote?.length ?? 0) > 0;
    const pending = { commit, startedAt: new Date(now()).toISOString(), replaced };
    const live = manifest ? { ...manifest, pending } : { commit, deployedAt: pending.startedAt, files: [], pending };
    await store.writeManifest(live);
    const archive = `${commit}.zip`;
    let sync;
    try {
        sync = await timed('upload', () => logger.group(`Upload to ${store.account}/${store.container}`, () => syncSite(syncPlan, { store, logger, now, contents: prepared.contents })));
    }
    finally {
        prepared.archiving.live();
    }
    if (!sync.ok) {
        await prepared.archiving.done;
        // The failure may carry its own hint ("\n  → …"): it goes after this message, not inside it.
        const [reason = '', ...hints] = (sync.failure ?? 'see the log above').split('\n  → ');
        throw new errors/* DeployError */.sH(`the upload to ${store.account}/${store.container} failed: ${/[.!?]$/.test(reason) ? reason : `${reason}.`} Nothing was deleted; the site serves the files uploaded so far next to the previous ones.`, [...hints, 'Re-run the job: the sync uploads only what still differs.'].join('\n  → '));
    }
    const paths = plan.cdn ? (adopted ? ['/*'] : purgePaths(replaced, plan.purge)) : [];
    let purge;
    if (plan.cdn && paths.length > 0) {
        const edge = plan.cdn;
        purge = await timed('purge', () => logger.group(`Purge ${edge.kind} ${edge.profile}/${edge.endpoint}`, () => purgeEdge(edge, paths, deps.azure.clients, now, prepared.frontDoorDomains)));
        logger.info(`purged ${purge.paths.length} path${purge.paths.length === 1 ? '' : 's'} in ${purge.calls} call${purge.calls === 1 ? '' : 's'}${purge.domains.length ? ` with ${purge.domains.join(', ')}` : ''} (${purge.seconds}s)`);
    }
    deps.assertLockHeld();
    const deletion = plan.deleteStale === 'after-purge' ? await timed('delete', () => deleteStale(syncPlan, sync, { store, logger, now })) : { status: 'nothing-stale', deleted: [], durationMs: 0 };
    const archived = await prepared.archiving.done;
    const archiveSeconds = prepared.archiving.seconds();
    if (archiveSeconds !== undefined)
        seconds.archive = archiveSeconds;
    prepared.contents.clear();
    // What is live, and the old archives pruned (never the one just written): independent, at once.
    await Promise.all([
        store.writeManifest({ commit, deployedAt: new Date(now()).toISOString(), archive: archived ? archive : manifest?.archive, files: files.map(file => ({ path: file.path, md5: file.md5, size: file.size })) }),
        archived ? pruneArchives(store, plan.keepReleases, archive, logger) : undefined
    ]);
    return {
        commit,
        siteUrl: siteUrlOf(plan, prepared.frontDoorDomains ?? purge?.domains),
        archive: store.archivePath(plan.rollbackTo ? archive : archived ? archive : ''),
        files: files.length,
        uploaded: sync.uploaded.length,
        skipped: syncPlan.unchanged.length,
        headersFixed: sync.headersFixed.length,
        deleted: deletion.deleted.length,
        bytesUploaded: sync.bytesUploaded,
        purge,
        deletion,
        sync,
        seconds
    };
}
/** How long a container that the static website switch makes may take to appear. */
const CONTAINER_APPEARS_MS = 30_000;
/**
 * The site's blobs once its container exists: right after the static website is switched on,
 * Storage may take a moment to make `$web`. Still missing, the error says which of the two it
 * is — the static website is off, or it is on and the container is gone.
 */
async function siteListing(store, website, sleep = ms => new Promise(resolve => setTimeout(resolve, ms))) {
    const deadline = Date.now() + (website.status === 'enabled' ? CONTAINER_APPEARS_MS : 0);
    for (;;) {
        const blobs = await store.listSiteIfExists();
        if (blobs)
            return blobs;
        if (Date.now() >= deadline)
            break;
        await sleep(1000);
    }
    const where = `${store.account}/${store.container}`;
    if (website.status === 'unknown') {
        throw new errors/* DeployError */.sH(`the site container ${where} does not exist, and the static website setting of ${store.account} could not be read: it is probably off.`, `Switch the static website on (portal, or az storage blob service-properties update --static-website), or give the deploy's identity "Storage Account Contributor" on ${store.account} so that it can.`);
    }
    if (website.status === 'enabled') {
        throw new errors/* DeployError */.sH(`the static website of ${store.account} was just switched on, but ${where} did not appear within ${CONTAINER_APPEARS_MS / 1000} s.`, 'Re-run the job in a minute: Storage makes the container shortly after the switch.');
    }
    throw new errors/* DeployError */.sH(`the static website of ${store.account} is on, but its container ${where} does not exist (deleted?).`, `Switch the static website off and on again to make ${store.container} anew, or check container in the config.`);
}
/** The config's site-url, else the first Front Door domain (configured, or linked to the endpoint). */
function siteUrlOf(plan, domains) {
    const host = plan.cdn?.domains?.[0] ?? domains?.[0];
    return plan.siteUrl ?? (host ? `https://${host}` : undefined);
}
/** Blocks of the release zip in flight once the site is live. */
const ARCHIVE_CONCURRENCY = 4;
/**
 * The previous release's zip, when this one can reuse its entries: the manifest names the zip
 * of the release it records (so its MD5s describe that zip's files), and the zip is of this
 * format. Anything else (a first deploy, a rollback, an older format, a zip that cannot be
 * read) means the zip is written whole.
 */
async function reusableRelease(store, manifest, archive, logger) {
    if (!manifest?.archive || manifest.archive !== `${manifest.commit}.zip` || manifest.archive === archive || manifest.files.length === 0)
        return undefined;
    let stored;
    try {
        stored = await store.readArchive(manifest.archive);
    }
    catch (error) {
        logger.info(`the previous release archive ${store.archivePath(manifest.archive)} could not be read (${(0,errors/* describeFailure */.Ic)(error)}): this one is written whole`);
        return undefined;
    }
    if (!stored)
        return undefined;
    return { stored, entries: new Map(stored.entries.map(entry => [entry.name, entry])), md5s: new Map(manifest.files.map(file => [file.path, file.md5])) };
}
/**
 * The release zip, written in the background from the moment the site is planned: unchanged
 * entries copied from the previous release by the storage, the rest compressed and sent. A
 * failure costs the redeploy of this release, not the deploy.
 */
function keepRelease(store, files, contents, archive, manifest, stop, logger, now) {
    let seconds;
    const started = now();
    let live = false;
    const concurrency = () => (live ? ARCHIVE_CONCURRENCY : 1);
    const write = async () => {
        try {
            const previous = await reusableRelease(store, manifest, archive, logger);
            let written;
            try {
                written = await store.writeArchive(archive, (0,frontend_archive/* releaseArchiveSegments */.oC)(files, contents, previous), { previous: previous?.stored, concurrency, signal: stop });
            }
            catch (error) {
                if (!previous || stop.aborted)
                    throw error;
                logger.info(`the unchanged entries of ${store.archivePath(previous.stored.name)} could not be copied (${(0,errors/* describeFailure */.Ic)(error)}): the release archive is written whole`);
                written = await store.writeArchive(archive, (0,frontend_archive/* releaseArchiveSegments */.oC)(files, contents), { concurrency, signal: stop });
            }
            const reused = written.reused > 0 ? `, ${written.reused} unchanged entries copied from ${previous.stored.name} by the storage` : '';
            logger.info(`release archive ${store.archivePath(archive)}: ${written.entries} files, ${written.bytes} bytes (${written.sentBytes} sent${reused})${written.md5 ? `, MD5 ${written.md5}` : ''}`);
            return true;
        }
        catch (error) {
            // Stopped: the run ends before this release goes live, and says why elsewhere.
            if (!stop.aborted)
                logger.warning(`the release archive ${store.archivePath(archive)} could not be kept (${(0,errors/* describeFailure */.Ic)(error)}): the site deploys, but rollback-to this commit will need a new build`);
            return false;
        }
        finally {
            seconds = Math.round((now() - started) / 100) / 10;
        }
    };
    return {
        done: write(),
        live() {
            live = true;
        },
        seconds: () => seconds
    };
}
/** Keep the newest `keep` release archives; the one just deployed is never removed. */
async function pruneArchives(store, keep, current, logger) {
    // Oldest first, as listed: all but the last `keep` go.
    const archives = (await store.listArchives()).filter(a => a.name.endsWith('.zip'));
    const old = archives.slice(0, Math.max(0, archives.length - keep)).filter(a => a.name !== current);
    for (const archive of old)
        await store.deleteArchive(archive.name);
    if (old.length > 0)
        logger.info(`removed ${old.length} old release archive${old.length === 1 ? '' : 's'} (keep-releases: ${keep})`);
}


/***/ })

};

//# sourceMappingURL=581.index.js.map