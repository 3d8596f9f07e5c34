export const id = 492;
export const ids = [492];
export const modules = {

/***/ 47014:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   u: () => (/* binding */ unverifiedClaim)
/* harmony export */ });
/**
 * A string claim of a JWT, read without verifying the token: only to name things for the
 * user (the subject to register) or for a service that asks (the tenant), never to trust it.
 */
function unverifiedClaim(jwt, name) {
    const payload = jwt?.split('.')[1];
    if (!payload)
        return undefined;
    try {
        const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))[name];
        return typeof value === 'string' ? value : undefined;
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 27492:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  deployBackend: () => (/* binding */ deployBackend)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:perf_hooks"
var external_node_perf_hooks_ = __webpack_require__(643);
// EXTERNAL MODULE: ./src/command-runner.ts
var command_runner = __webpack_require__(39573);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
;// CONCATENATED MODULE: ./src/backend/registry-host.ts
/** An Azure Container Registry login server: `<name>.azurecr.io` (public), `.us` (US Government), `.cn` (China). */
function isAzureContainerRegistry(registry) {
    return /^[a-z0-9]+\.azurecr\.(?:io|us|cn)$/i.test(registry);
}
/**
 * A registry on this machine (`127.0.0.0/8`, `localhost`, `[::1]`, with or without a port).
 * Docker pushes to these over plain HTTP without configuration, and they need no login.
 */
function isLoopbackRegistry(registry) {
    const host = registry.replace(/:\d+$/, '').toLowerCase();
    return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

;// CONCATENATED MODULE: ./src/backend/docker-args.ts


const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `<registry>/<repository>:<commit>`: the one tag every target runs. */
function imageReference(request) {
    return `${request.registry}/${request.repository}:${request.commit}`;
}
/**
 * Where the next build finds its cache: a BuildKit cache manifest (`cache: registry` with
 * buildx) or an image carrying inline cache metadata (`inline`, or `registry` without buildx).
 */
function cacheReference(request) {
    return `${request.registry}/${request.repository}:buildcache`;
}
function builderName(builder) {
    if (builder.kind === 'buildx')
        return 'docker buildx build';
    return builder.buildkit ? 'docker build (BuildKit)' : 'docker build (classic builder)';
}
/** Plain `docker build` cannot export a cache manifest, so a registry cache becomes an inline one. */
function effectiveCache(cache, builder) {
    if (builder.kind === 'buildx')
        return cache;
    if (!builder.buildkit || cache === 'gha')
        return 'none';
    return cache === 'registry' ? 'inline' : cache;
}
/** Why the configured cache is not used with this builder, or undefined when it is. */
function cacheWarning(cache, builder) {
    if (cache === 'none' || effectiveCache(cache, builder) !== 'none')
        return undefined;
    if (builder.kind === 'docker' && !builder.buildkit)
        return `cache: ${cache} needs BuildKit; the classic builder builds without a cache.`;
    return 'cache: gha needs docker buildx (set it up with docker/setup-buildx-action); building without a cache.';
}
/** Every tag the build writes: the commit tag, and the cache tag when the image itself is the cache. */
function imageTags(request, builder) {
    const tags = [imageReference(request)];
    if (effectiveCache(request.cache, builder) === 'inline')
        tags.push(cacheReference(request));
    return tags;
}
function cacheFlags(request, builder) {
    const cacheRef = cacheReference(request);
    const cache = effectiveCache(request.cache, builder);
    if (builder.kind === 'docker') {
        return cache === 'inline' ? ['--cache-from', cacheRef, '--build-arg', 'BUILDKIT_INLINE_CACHE=1'] : [];
    }
    switch (cache) {
        case 'registry':
            return ['--cache-from', `type=registry,ref=${cacheRef}`, '--cache-to', `type=registry,ref=${cacheRef},mode=max`];
        case 'gha':
            return ['--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max'];
        case 'inline':
            return ['--cache-from', `type=registry,ref=${cacheRef}`, '--cache-to', 'type=inline'];
        case 'none':
            return [];
    }
}
/** Refuses a build arg name that is not a variable name, or one that would override the version. */
function assertBuildArgNames(request) {
    for (const name of [...Object.keys(request.buildArgs), request.versionBuildArg]) {
        if (!BUILD_ARG_NAME.test(name)) {
            throw new errors/* DeployError */.sH(`build arg name ${JSON.stringify(name)} is not a variable name.`, 'Use letters, digits and underscores, not starting with a digit (parts.backend.build-args, version-build-arg).');
        }
    }
    if (Object.hasOwn(request.buildArgs, request.versionBuildArg)) {
        throw new errors/* DeployError */.sH(`parts.backend.build-args sets ${request.versionBuildArg}, the build arg the deploy sets to the commit SHA.`, `Remove ${request.versionBuildArg} from build-args, or name another build arg in version-build-arg.`);
    }
}
function buildArgFlags(request) {
    assertBuildArgNames(request);
    const pairs = [...Object.entries(request.buildArgs), [request.versionBuildArg, request.commit]];
    return pairs.flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]);
}
function labelFlags(request) {
    const labels = [
        `org.opencontainers.image.revision=${request.commit}`,
        ...(request.sourceUrl ? [`org.opencontainers.image.source=${request.sourceUrl}`] : []),
        `org.opencontainers.image.created=${request.createdAt.toISOString()}`
    ];
    return labels.flatMap(label => ['--label', label]);
}
/**
 * The build command's arguments. buildx pushes as it builds and writes the digest to
 * `metadataFile`; `--provenance=false` keeps that digest the image manifest's, not an index's.
 * Plain `docker build` only builds: the tags are pushed afterwards. The context comes last.
 */
function buildArgs(request, builder, metadataFile) {
    const buildx = builder.kind === 'buildx';
    return [
        ...(buildx ? ['buildx', 'build'] : ['build']),
        '--file',
        request.dockerfile,
        ...imageTags(request, builder).flatMap(tag => ['--tag', tag]),
        ...labelFlags(request),
        ...buildArgFlags(request),
        ...cacheFlags(request, builder),
        ...(buildx ? ['--provenance=false', '--push', ...(metadataFile ? ['--metadata-file', metadataFile] : [])] : []),
        request.context
    ];
}
/**
 * Reads a tag's manifest from the registry with the CLI's own credentials. A plain-HTTP
 * (loopback) registry needs `--insecure`: without it the CLI reports "no such manifest" even
 * when the tag exists.
 */
function manifestInspectArgs(reference, registry) {
    return ['manifest', 'inspect', '--verbose', ...(isLoopbackRegistry(registry) ? ['--insecure'] : []), reference];
}
/** `docker manifest inspect` exits 1 with this when the registry answered but holds no such tag. */
function isManifestMissing(output) {
    return /no such manifest|manifest unknown/i.test(output);
}
/** The digest of the pushed manifest, from `docker push` output (`<tag>: digest: sha256:… size: …`). */
function digestOfPushOutput(output) {
    return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}
/**
 * The manifest digest from `docker manifest inspect --verbose`: one image's descriptor, or for
 * an index the linux/amd64 entry (what App Service pulls).
 */
function digestOfManifestInspect(output) {
    let parsed;
    try {
        parsed = JSON.parse(output);
    }
    catch {
        return undefined;
    }
    const entry = Array.isArray(parsed) ? parsed.find(e => e.Descriptor?.platform?.os === 'linux' && e.Descriptor.platform.architecture === 'amd64') : parsed;
    const digest = entry?.Descriptor?.digest;
    return digest && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
}

;// CONCATENATED MODULE: ./src/backend/docker-cli.ts

function createDockerCli(runner, dockerEnv) {
    return {
        async run(args, options = {}) {
            try {
                return await runner.run('docker', args, { env: { ...dockerEnv, ...options.env }, input: options.input });
            }
            catch (error) {
                throw new errors/* DeployError */.sH(`could not run docker: ${error instanceof Error ? error.message : String(error)}`, "The backend deploy builds and pushes with Docker: use a runner that has it (GitHub's ubuntu runners do), or install it in an earlier step.");
            }
        }
    };
}

;// CONCATENATED MODULE: ./src/backend/image-build.ts








const elapsedSeconds = (since) => Math.round((external_node_perf_hooks_.performance.now() - since) / 100) / 10;
/**
 * Builds and pushes the backend image, or reuses the one the registry already holds for this
 * commit. Returns the digest the registry serves, which is what every target is pinned to.
 */
async function buildAndPushImage(request, deps) {
    await assertBuildInputs(request);
    const docker = createDockerCli(deps.runner, deps.env);
    const reference = imageReference(request);
    const existing = await registryDigest(reference, request.registry, docker);
    if (existing.state === 'found') {
        deps.logger.info(`${reference} is already in the registry (${existing.digest}): not building it again.`);
        return { reference, digest: existing.digest, pinned: `${reference}@${existing.digest}`, reused: true, seconds: { build: 0, push: 0 } };
    }
    if (existing.state === 'unknown')
        deps.logger.warning(`Could not check whether ${reference} is already in the registry (${existing.reason}); building it.`);
    const built = await build(request, docker, deps);
    const pushed = built.builder.kind === 'buildx' ? { digest: built.digest, seconds: 0 } : await push(request, imageTags({ ...request, cache: built.cache }, built.builder), docker, deps.logger);
    const digest = await pushedDigest(reference, request.registry, pushed.digest, docker, deps.logger);
    deps.logger.info(`Image: ${reference}@${digest}`);
    return { reference, digest, pinned: `${reference}@${digest}`, reused: false, builder: builderName(built.builder), seconds: { build: built.seconds, push: pushed.seconds } };
}
async function assertBuildInputs(request) {
    const kind = async (file) => (0,promises_.stat)(file).then(s => (s.isDirectory() ? 'directory' : 'file'), () => 'missing');
    if ((await kind(request.context)) !== 'directory') {
        throw new errors/* DeployError */.sH(`the backend's build context ${request.context} is not a directory.`, 'Check parts.backend.context in the config: a folder relative to the repository root (the default is the root).');
    }
    if ((await kind(request.dockerfile)) !== 'file') {
        throw new errors/* DeployError */.sH(`the backend's Dockerfile ${request.dockerfile} does not exist.`, 'Check parts.backend.file in the config: relative to the repository root (the default is Dockerfile in parts.backend.context).');
    }
    assertBuildArgNames(request);
}
/** The digest the registry holds for a tag, asked with the CLI so the deploy's login applies. */
async function registryDigest(reference, registry, docker) {
    const result = await docker.run(manifestInspectArgs(reference, registry));
    const output = `${result.stdout}\n${result.stderr}`;
    if (result.exitCode !== 0)
        return isManifestMissing(output) ? { state: 'missing' } : { state: 'unknown', reason: result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}` };
    const digest = digestOfManifestInspect(result.stdout);
    return digest ? { state: 'found', digest } : { state: 'unknown', reason: 'docker manifest inspect printed no digest' };
}
async function detectBuilder(docker) {
    const buildx = await docker.run(['buildx', 'version']);
    return buildx.exitCode === 0 ? { kind: 'buildx' } : { kind: 'docker', buildkit: true };
}
/**
 * A failed build that another builder or cache avoids: a CLI 23+ without the buildx plugin
 * refuses BuildKit builds, and buildx's `docker` driver cannot export a registry or gha cache
 * (unless the engine uses the containerd image store). Each fallback leads to a state with none.
 */
function buildFallback(builder, cache, output) {
    if (builder.kind === 'docker' && builder.buildkit && /buildx component is missing or broken/i.test(output)) {
        return {
            builder: { kind: 'docker', buildkit: false },
            cache,
            warning: 'This docker CLI has no buildx plugin, and since Docker CLI 23 `docker build` uses BuildKit only through it ("BuildKit is enabled but the buildx component is missing or broken"). ' +
                'Building again with the classic builder (DOCKER_BUILDKIT=0). Install the docker-buildx plugin (or use docker/setup-buildx-action) to build with BuildKit.'
        };
    }
    if (builder.kind === 'buildx' && (cache === 'registry' || cache === 'gha') && /cache export is not supported/i.test(output)) {
        const fallbackCache = cache === 'registry' ? 'inline' : 'none';
        return {
            builder,
            cache: fallbackCache,
            warning: `The current buildx builder uses the docker driver, which cannot export a ${cache} cache. Building again with ${fallbackCache === 'inline' ? 'an inline cache' : 'no cache'}; for cache: ${cache}, add docker/setup-buildx-action (a docker-container builder) before this step.`
        };
    }
    return undefined;
}
async function build(request, docker, deps) {
    const started = external_node_perf_hooks_.performance.now();
    let attempt = { builder: await detectBuilder(docker), cache: request.cache };
    for (;;) {
        const { builder, cache } = attempt;
        const warning = cacheWarning(cache, builder);
        if (warning)
            deps.logger.warning(warning);
        deps.logger.info(`Building ${imageReference(request)} with ${builderName(builder)}${cache === 'none' || warning ? '' : `, cache: ${cache}`}`);
        const metadataFile = builder.kind === 'buildx' ? external_node_path_default().join(deps.tempDir, `build-metadata-${(0,external_node_crypto_.randomUUID)()}.json`) : undefined;
        const env = builder.kind === 'docker' ? { DOCKER_BUILDKIT: builder.buildkit ? '1' : '0' } : {};
        const result = await docker.run(buildArgs({ ...request, cache }, builder, metadataFile), { env });
        deps.logger.debug(`${result.stdout}\n${result.stderr}`);
        if (result.exitCode === 0) {
            const seconds = elapsedSeconds(started);
            deps.logger.info(`${builder.kind === 'buildx' ? 'Built and pushed' : 'Built'} in ${seconds} s`);
            return { builder, cache, digest: metadataFile && (await metadataDigest(metadataFile)), seconds };
        }
        if (metadataFile)
            await (0,promises_.rm)(metadataFile, { force: true });
        const fallback = buildFallback(builder, cache, `${result.stdout}\n${result.stderr}`);
        if (!fallback)
            throw buildFailure(request, builder, result);
        deps.logger.warning(fallback.warning);
        attempt = fallback;
    }
}
/** `containerimage.digest` from buildx's metadata file. The docker driver may put the image ID there, so it is only a fallback. */
async function metadataDigest(metadataFile) {
    try {
        const metadata = JSON.parse(await (0,promises_.readFile)(metadataFile, 'utf8'));
        const digest = metadata['containerimage.digest'];
        return typeof digest === 'string' ? digest : undefined;
    }
    catch {
        return undefined;
    }
    finally {
        await (0,promises_.rm)(metadataFile, { force: true });
    }
}
function buildFailure(request, builder, result) {
    const output = `${result.stdout}\n${result.stderr}`;
    const reference = imageReference(request);
    // buildx pushes as part of the build: tell a failed push from a failed build.
    if (builder.kind === 'buildx' && /failed to push|push access denied/i.test(output)) {
        return new errors/* DeployError */.sH(`pushing ${reference} failed (${builderName(builder)} exited ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result)}`, pushHint(request, output));
    }
    return new errors/* DeployError */.sH(`building ${reference} with ${builderName(builder)} failed (exit code ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result)}`, `Fix the Dockerfile (${request.dockerfile}) or the build context (${request.context}); the lines above are the end of docker's output.`);
}
function pushHint(request, output) {
    if (/unauthorized|denied|authentication required|\b40[13]\b/i.test(output)) {
        return `The deploy's identity may not push to ${request.registry}/${request.repository}: give it the AcrPush role on the registry (Azure Container Registry), or check the registry username and password.`;
    }
    if (/no such host|connection refused|i\/o timeout|handshake timeout/i.test(output)) {
        return `${request.registry} is not reachable from the runner: check parts.backend.registry (the registry's login server, such as myregistry.azurecr.io).`;
    }
    return `Check that ${request.registry} accepts pushes to ${request.repository}; the lines above are the end of docker's output.`;
}
/** Pushes the commit tag (which must succeed) and the cache tag (which only speeds up the next build). */
async function push(request, tags, docker, logger) {
    const started = external_node_perf_hooks_.performance.now();
    const [imageTag, ...cacheTags] = tags;
    logger.info(`Pushing ${imageTag}`);
    const result = await docker.run(['push', imageTag]);
    if (result.exitCode !== 0) {
        throw new errors/* DeployError */.sH(`pushing ${imageTag} failed (docker push exited ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result)}`, pushHint(request, `${result.stdout}\n${result.stderr}`));
    }
    for (const cacheTag of cacheTags) {
        const cachePush = await docker.run(['push', cacheTag]);
        if (cachePush.exitCode !== 0)
            logger.warning(`Could not push the cache tag ${cacheTag}, so the next build starts without its cache:\n${(0,command_runner/* outputTail */.c)(cachePush, 3)}`);
    }
    logger.info(`Pushed in ${elapsedSeconds(started)} s`);
    return { digest: digestOfPushOutput(result.stdout), seconds: elapsedSeconds(started) };
}
/** The registry's digest for the pushed tag; what docker reported only when the registry cannot be asked. */
async function pushedDigest(reference, registry, reported, docker, logger) {
    const lookup = await registryDigest(reference, registry, docker);
    if (lookup.state === 'found') {
        if (reported && reported !== lookup.digest)
            logger.debug(`docker reported ${reported}, the registry serves ${lookup.digest}: using the registry's`);
        return lookup.digest;
    }
    if (reported)
        return reported;
    throw new errors/* DeployError */.sH(`pushed ${reference}, but could not read its digest back from the registry (${lookup.state === 'unknown' ? lookup.reason : 'the tag is missing'}).`, `Check that ${registry} serves the tag it accepted: docker manifest inspect ${reference}`);
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: ./src/azure/cloud.ts
var cloud = __webpack_require__(56370);
// EXTERNAL MODULE: ./src/azure/jwt.ts
var jwt = __webpack_require__(47014);
;// CONCATENATED MODULE: ./src/backend/registry-login.ts









/** Azure Container Registry's user name for a refresh token from the token exchange. */
const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';
const EXCHANGE_TIMEOUT_MS = 30_000;
const ACR_PUSH_HINT = 'the identity needs the AcrPush role on the registry (az role assignment create --role AcrPush --assignee <client-id> --scope <registry resource ID>)';
/** Pure: which login a registry gets with the credentials at hand, or why none. */
function chooseRegistryLogin(registry, credentials) {
    const { username, password } = credentials;
    if (Boolean(username) !== Boolean(password)) {
        throw new errors/* DeployError */.sH(`a registry ${username ? 'username' : 'password'} is set without a ${username ? 'password' : 'username'}.`, 'Set both registry-username and registry-password, or neither.');
    }
    if (username && password)
        return { method: 'password' };
    if (isAzureContainerRegistry(registry)) {
        if (!credentials.azure) {
            throw new errors/* DeployError */.sH(`${registry} is an Azure Container Registry, but the deploy has no Azure sign-in to exchange for a registry token.`, 'Sign in to Azure (client-id and tenant-id with OIDC), or set registry-username and registry-password.');
        }
        return { method: 'acr-token' };
    }
    if (isLoopbackRegistry(registry))
        return { method: 'none', reason: `${registry} is on this machine: no login needed`, warn: false };
    return { method: 'none', reason: `no credentials for ${registry}: pushing without a login, which fails if the registry requires one (set registry-username and registry-password)`, warn: true };
}
/**
 * Signs docker in to the registry in a Docker config of the deploy's own, so the user's
 * ~/.docker is never written and the credentials are gone after `cleanup()`.
 */
async function loginToRegistry(registry, credentials, deps) {
    const login = chooseRegistryLogin(registry, credentials);
    const { directory, dockerEnv } = await privateDockerConfig(deps);
    const cleanup = () => (0,promises_.rm)(directory, { recursive: true, force: true });
    if (login.method === 'none') {
        if (login.warn)
            deps.logger.warning(login.reason);
        else
            deps.logger.info(login.reason);
        return { method: 'none', dockerEnv, cleanup };
    }
    const docker = createDockerCli(deps.runner, dockerEnv);
    try {
        if (login.method === 'password') {
            deps.setSecret(credentials.password);
            await dockerLogin(docker, registry, credentials.username, credentials.password, 'Check the registry-username and registry-password inputs.');
        }
        else {
            const refreshToken = await acrRefreshToken(registry, credentials.azure, deps);
            await dockerLogin(docker, registry, ACR_TOKEN_USERNAME, refreshToken, `${registry} refused the token it had just issued: ${ACR_PUSH_HINT}.`);
        }
    }
    catch (error) {
        await cleanup();
        throw error;
    }
    deps.logger.info(`Signed in to ${registry} ${login.method === 'password' ? `as ${credentials.username}` : 'with the Azure identity'}, in a Docker config of this run's own`);
    return { method: login.method, dockerEnv, cleanup };
}
async function privateDockerConfig(deps) {
    await (0,promises_.mkdir)(deps.tempDir, { recursive: true });
    const directory = await (0,promises_.mkdtemp)(external_node_path_default().join(deps.tempDir, 'docker-config-'));
    const dockerEnv = { DOCKER_CONFIG: directory };
    const userConfig = deps.env.DOCKER_CONFIG || external_node_path_default().join(deps.env.HOME || (0,external_node_os_.homedir)(), '.docker');
    const exists = (file) => (0,promises_.access)(file).then(() => true, () => false);
    // CLI plugins are looked up in DOCKER_CONFIG too: buildx installed for the user must stay visible.
    const userPlugins = external_node_path_default().join(userConfig, 'cli-plugins');
    if (await exists(userPlugins))
        await (0,promises_.symlink)(userPlugins, external_node_path_default().join(directory, 'cli-plugins'));
    // The builder docker/setup-buildx-action created and selected is recorded in the user's buildx state.
    const buildxConfig = deps.env.BUILDX_CONFIG || external_node_path_default().join(userConfig, 'buildx');
    if (await exists(buildxConfig))
        dockerEnv.BUILDX_CONFIG = buildxConfig;
    return { directory, dockerEnv };
}
/** The secret goes through stdin, never the command line. */
async function dockerLogin(docker, registry, username, secret, hint) {
    const result = await docker.run(['login', registry, '--username', username, '--password-stdin'], { input: Buffer.from(secret) });
    if (result.exitCode !== 0)
        throw new errors/* DeployError */.sH(`docker login to ${registry} failed (exit code ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result, 5)}`, hint);
}
/** Azure Container Registry's token exchange: an Entra ARM access token for a registry refresh token. */
async function acrRefreshToken(registry, azure, deps) {
    const scope = (0,cloud/* resourceManagerScope */.M7)(azure.cloud);
    const accessToken = (await azure.credential.getToken(scope))?.token;
    if (!accessToken)
        throw new errors/* DeployError */.sH(`signing in to ${registry}: Azure returned no access token for ${scope}.`, 'Check the Azure sign-in settings (client-id, tenant-id, auth).');
    deps.setSecret(accessToken);
    // The exchange wants the tenant named: the token's own `tid` when the sign-in did not name it.
    const tenant = azure.tenantId || (0,jwt/* unverifiedClaim */.u)(accessToken, 'tid');
    const form = new URLSearchParams({ grant_type: 'access_token', service: registry, ...(tenant ? { tenant } : {}), access_token: accessToken });
    const url = `https://${registry}/oauth2/exchange`;
    deps.logger.info(`Signing in to ${registry} with the Azure identity (token exchange)`);
    let response;
    try {
        response = await deps.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) });
    }
    catch (error) {
        throw unreachableRegistry(registry, error);
    }
    const body = await response.text();
    if (!response.ok)
        throw exchangeFailure(registry, response.status, body);
    const refreshToken = refreshTokenOf(body);
    if (!refreshToken)
        throw new errors/* DeployError */.sH(`the token exchange with ${registry} answered HTTP ${response.status} without a refresh_token.`, `Check that ${registry} is an Azure Container Registry login server.`);
    deps.setSecret(refreshToken);
    return refreshToken;
}
function refreshTokenOf(body) {
    try {
        const token = JSON.parse(body).refresh_token;
        return typeof token === 'string' && token !== '' ? token : undefined;
    }
    catch {
        return undefined;
    }
}
function unreachableRegistry(registry, error) {
    // fetch rejects with "fetch failed"; the reason (DNS, TLS, refused, timeout) is its cause.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if (cause.code === 'ENOTFOUND') {
        return new errors/* DeployError */.sH(`the registry ${registry} was not found (no such host).`, 'Check parts.backend.registry: the login server of an existing registry, such as myregistry.azurecr.io.');
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new errors/* DeployError */.sH(`could not reach ${registry} for its token exchange: ${reason}`, `Check that the runner can reach https://${registry} (firewall, private endpoint, proxy).`);
}
/** The registry's own words: `{ errors: [{ message }] }` (registry API) or `{ error_description }` (OAuth). */
function registryErrorDetail(body) {
    try {
        const parsed = JSON.parse(body);
        const detail = parsed.errors?.[0]?.message ?? parsed.error_description ?? parsed.error;
        if (detail)
            return detail;
    }
    catch {
        // Not JSON: show the start of the text.
    }
    return body.trim().slice(0, 200);
}
function exchangeFailure(registry, status, body) {
    const detail = registryErrorDetail(body);
    const message = `the token exchange with ${registry} failed: HTTP ${status}${detail ? ` (${detail})` : ''}.`;
    if (status === 401 || status === 403) {
        return new errors/* DeployError */.sH(message, `${registry} did not accept the deploy's Azure identity: the registry must be in the tenant the deploy signs in to, and ${ACR_PUSH_HINT}.`);
    }
    if (status === 404) {
        return new errors/* DeployError */.sH(message, `${registry} has no such registry or no token exchange: check parts.backend.registry, the registry's login server (<name>.azurecr.io).`);
    }
    if (status === 429 || status >= 500)
        return new errors/* DeployError */.sH(message, 'Azure Container Registry could not answer just now: re-run the job.');
    return new errors/* DeployError */.sH(message, `Check parts.backend.registry (${registry}) and the deploy's tenant-id.`);
}

// EXTERNAL MODULE: ./src/parallel.ts
var parallel = __webpack_require__(73716);
// EXTERNAL MODULE: ./src/backend/health.ts
var health = __webpack_require__(74228);
// EXTERNAL MODULE: ./src/backend/image-reference.ts
var image_reference = __webpack_require__(51157);
// EXTERNAL MODULE: ./src/backend/web-app-state.ts
var web_app_state = __webpack_require__(53816);
;// CONCATENATED MODULE: ./src/backend/rollout.ts




/** At most this many targets are read, switched or swapped at once. */
const MAX_PARALLEL_TARGETS = 8;
/** `ARM 409 Conflict: …` for Azure REST errors; the message otherwise. */
function describeError(error) {
    const rest = error;
    if (typeof rest.statusCode === 'number')
        return `ARM ${rest.statusCode}${rest.code ? ` ${rest.code}` : ''}: ${rest.message ?? ''}`.trim();
    return error instanceof Error ? error.message : String(error);
}
/**
 * Switch every target to one image in parallel and verify the new version answers on each;
 * if any target fails, every target already switched goes back to what it ran before
 * (in-place) or is swapped back (slot-swap) and is verified back. All or nothing.
 */
async function rollout(request, deps) {
    return request.strategy === 'slot-swap' ? slotSwap(request, deps) : inPlace(request, deps);
}
/** Records each phase's wall time and each target's outcome. */
function tracker(request, now) {
    const started = now();
    // Targets run a phase in parallel: its time is from the first start to the last end.
    const windows = {};
    const outcomes = request.targets.map(target => ({ app: target.app, slot: target.slot, url: '', newImage: request.image, status: 'untouched', seconds: 0 }));
    let failure;
    return {
        outcomes,
        async phase(name, work) {
            const from = now();
            try {
                return await work();
            }
            finally {
                const window = (windows[name] ??= { from, to: from });
                window.from = Math.min(window.from, from);
                window.to = Math.max(window.to, now());
            }
        },
        fail(index, phase, reason) {
            const outcome = outcomes[index];
            Object.assign(outcome, { status: 'failed', phase, reason });
            failure ??= `${(0,web_app_state/* targetName */.j)(request.targets[index])} failed to ${phase === 'verify' ? 'verify' : phase}: ${reason}`;
        },
        get failed() {
            return failure !== undefined;
        },
        report() {
            const seconds = (now() - started) / 1000;
            for (const outcome of outcomes)
                outcome.seconds = Math.round(seconds * 10) / 10;
            const phases = Object.fromEntries(Object.entries(windows).map(([name, window]) => [name, Math.round((window.to - window.from) / 100) / 10]));
            return { ok: failure === undefined, targets: outcomes, failure, phases };
        }
    };
}
async function readAll(targets, control, limit) {
    try {
        return await (0,parallel/* inParallel */.H)(targets, limit, async (target, index) => {
            try {
                return await control.read(target);
            }
            catch (error) {
                throw Object.assign(new Error(describeError(error)), { index });
            }
        });
    }
    catch (error) {
        return { index: error.index, reason: error.message };
    }
}
async function inPlace(request, deps) {
    const { control, logger } = deps;
    const limit = MAX_PARALLEL_TARGETS;
    const track = tracker(request, deps.verify.now);
    const states = await track.phase('read', () => readAll(request.targets, control, limit));
    if (!Array.isArray(states)) {
        track.fail(states.index, 'read', states.reason);
        return track.report();
    }
    states.forEach((state, index) => Object.assign(track.outcomes[index], { url: state.url, previousImage: state.image }));
    const stop = new AbortController();
    const switched = new Set();
    let verified = 0;
    await (0,parallel/* inParallel */.H)(request.targets, limit, async (target, index) => {
        if (stop.signal.aborted)
            return;
        const name = (0,web_app_state/* targetName */.j)(target);
        try {
            await track.phase('switch', () => switchImage(control, target, states[index].image, request.image, request.acrIdentity));
            switched.add(index);
        }
        catch (error) {
            track.fail(index, 'switch', describeError(error));
            stop.abort();
            return;
        }
        logger.info(`${name}: switched to ${request.image}; waiting for ${request.commit.slice(0, 12)} to answer`);
        const verdict = await track.phase('verify', () => (0,health/* waitForVersion */.P)(states[index].url, request.commit, request.check, deps.verify, stop.signal));
        if (verdict.ok) {
            logger.info(`${name}: new version serving after ${Math.round(verdict.seconds)}s (${++verified}/${request.targets.length} verified)`);
            track.outcomes[index].status = 'deployed';
        }
        else if (!stop.signal.aborted) {
            track.fail(index, 'verify', verdict.reason);
            stop.abort();
        }
    });
    if (!track.failed)
        return track.report();
    logger.warning(`Rolling back ${switched.size} switched target${switched.size === 1 ? '' : 's'}: ${[...switched].map(i => (0,web_app_state/* targetName */.j)(request.targets[i])).join(', ')}`);
    await track.phase('rollback', () => (0,parallel/* inParallel */.H)([...switched], limit, async (index) => {
        const target = request.targets[index];
        const previous = states[index].image;
        const outcome = track.outcomes[index];
        const keep = { phase: outcome.phase, reason: outcome.reason };
        if (!previous) {
            Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: `${keep.reason ? `${keep.reason}; ` : ''}it ran no image before, so there is none to go back to` });
            return;
        }
        try {
            await switchImage(control, target, request.image, previous, request.acrIdentity);
        }
        catch (error) {
            Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: describeError(error) });
            return;
        }
        const back = await (0,health/* waitForVersion */.P)(outcome.url, (0,image_reference/* commitOfImage */.Kl)(previous, request.registry, request.repository), request.check, deps.verify);
        Object.assign(outcome, back.ok ? { status: 'rolled-back', ...keep } : { status: 'rollback-failed', phase: 'rollback', reason: back.reason });
        logger.info(`${(0,web_app_state/* targetName */.j)(target)}: ${back.ok ? `back on ${previous}` : `rollback not verified: ${back.reason}`}`);
    }));
    return track.report();
}
/** Point the target at `image`; re-deploying the same reference needs a restart to be re-pulled. */
async function switchImage(control, target, current, image, acrIdentity) {
    if (current === image)
        await control.restart(target);
    else
        await control.setImage(target, image, acrIdentity);
}
async function slotSwap(request, deps) {
    const { control, logger } = deps;
    const limit = MAX_PARALLEL_TARGETS;
    const track = tracker(request, deps.verify.now);
    const production = request.targets.map(target => ({ ...target, slot: undefined }));
    const states = await track.phase('read', async () => {
        const staging = await readAll(request.targets, control, limit);
        const live = await readAll(production, control, limit);
        return Array.isArray(staging) && Array.isArray(live) ? { staging, live } : { failed: Array.isArray(staging) ? live : staging };
    });
    if ('failed' in states) {
        const failed = states.failed;
        track.fail(failed.index, 'read', failed.reason);
        return track.report();
    }
    states.live.forEach((state, index) => Object.assign(track.outcomes[index], { url: state.url, previousImage: state.image }));
    // 1. Each staging slot gets the new image and must serve it before anything is swapped.
    const stop = new AbortController();
    const staged = new Set();
    await (0,parallel/* inParallel */.H)(request.targets, limit, async (target, index) => {
        if (stop.signal.aborted)
            return;
        try {
            await track.phase('stage', () => switchImage(control, target, states.staging[index].image, request.image, request.acrIdentity));
            staged.add(index);
        }
        catch (error) {
            track.fail(index, 'stage', describeError(error));
            stop.abort();
            return;
        }
        const verdict = await track.phase('stage', () => (0,health/* waitForVersion */.P)(states.staging[index].url, request.commit, request.check, deps.verify, stop.signal));
        if (verdict.ok)
            logger.info(`${(0,web_app_state/* targetName */.j)(target)}: new version serving on the staging slot`);
        else if (!stop.signal.aborted) {
            track.fail(index, 'stage', verdict.reason);
            stop.abort();
        }
    });
    if (track.failed) {
        // Production never changed: put the staging slots back as they were.
        await track.phase('rollback', () => (0,parallel/* inParallel */.H)([...staged], limit, async (index) => {
            const previous = states.staging[index].image;
            if (previous)
                await switchImage(control, request.targets[index], request.image, previous, request.acrIdentity).catch(() => undefined);
        }));
        return track.report();
    }
    // 2. Swap every staging slot into production, each within the swap timeout.
    const swaps = request.targets.map(target => control.swapIntoProduction(target));
    const swapped = new Set();
    await track.phase('swap', () => Promise.all(swaps.map(async (swap, index) => {
        const outcome = await settleWithin(swap, request.swapTimeoutMs, deps.verify);
        if (outcome === 'done')
            swapped.add(index);
        else
            track.fail(index, 'swap', outcome === 'timeout' ? `the swap did not finish within ${Math.round(request.swapTimeoutMs / 1000)}s` : describeError(outcome.error));
    })));
    // 3. Production must serve the new version everywhere.
    if (!track.failed) {
        await (0,parallel/* inParallel */.H)([...swapped], limit, async (index) => {
            const verdict = await track.phase('verify', () => (0,health/* waitForVersion */.P)(states.live[index].url, request.commit, request.check, deps.verify, stop.signal));
            if (verdict.ok)
                track.outcomes[index].status = 'deployed';
            else if (!stop.signal.aborted) {
                track.fail(index, 'verify', verdict.reason);
                stop.abort();
            }
        });
    }
    if (!track.failed)
        return track.report();
    // 4. Swap back every production that now runs the new image, then verify the old version.
    await track.phase('rollback', () => (0,parallel/* inParallel */.H)(request.targets, limit, async (target, index) => {
        const outcome = track.outcomes[index];
        const keep = { phase: outcome.phase, reason: outcome.reason };
        // A swap that timed out may still complete: production must not be judged before it
        // settles, or it could flip to the new image after the rollback looked. Bounded wait.
        const graceMs = 2 * request.swapTimeoutMs;
        if ((await settleWithin(swaps[index], graceMs, deps.verify)) === 'timeout') {
            Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: `the swap was still running ${Math.round((request.swapTimeoutMs + graceMs) / 1000)}s after it started: check ${target.app} and its ${target.slot} slot by hand` });
            return;
        }
        let live;
        try {
            live = await control.read(production[index]);
        }
        catch (error) {
            Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: describeError(error) });
            return;
        }
        if (live.image !== request.image)
            return;
        // Going back matters more than going fast: the swap back gets the same total bound.
        const back = await settleWithin(control.swapIntoProduction(target), request.swapTimeoutMs + graceMs, deps.verify);
        if (back !== 'done') {
            Object.assign(outcome, { status: 'rollback-failed', phase: 'rollback', reason: back === 'timeout' ? 'the swap back did not finish in time' : describeError(back.error) });
            return;
        }
        const verdict = await (0,health/* waitForVersion */.P)(outcome.url, (0,image_reference/* commitOfImage */.Kl)(states.live[index].image ?? '', request.registry, request.repository), request.check, deps.verify);
        Object.assign(outcome, verdict.ok ? { status: 'rolled-back', ...keep } : { status: 'rollback-failed', phase: 'rollback', reason: verdict.reason });
        logger.info(`${target.app}: ${verdict.ok ? 'swapped back' : `swap back not verified: ${verdict.reason}`}`);
    }));
    return track.report();
}
/** Wait for a promise at most `ms`; it keeps running after a timeout. */
async function settleWithin(work, ms, clock) {
    const timer = new AbortController();
    try {
        return await Promise.race([
            work.then(() => 'done', (error) => ({ error })),
            clock.sleep(ms, timer.signal).then(() => 'timeout', () => 'timeout')
        ]);
    }
    finally {
        timer.abort();
    }
}

// EXTERNAL MODULE: ./src/backend/web-app-control.ts
var web_app_control = __webpack_require__(87032);
;// CONCATENATED MODULE: ./src/backend/deploy.ts





/** One image for the commit, then every target of the environment switched to it, all or nothing. */
async function deployBackend(plan, context, deps) {
    const { logger } = deps;
    const session = await loginToRegistry(plan.registry, { ...deps.registryCredentials, azure: deps.azure }, deps);
    try {
        const contextDir = external_node_path_default().resolve(context.workspace, plan.context);
        const image = await logger.group(`Build and push ${plan.image}`, () => buildAndPushImage({
            registry: plan.registry,
            repository: plan.repository,
            commit: context.commit,
            context: contextDir,
            dockerfile: plan.dockerfile ? external_node_path_default().resolve(context.workspace, plan.dockerfile) : external_node_path_default().join(contextDir, 'Dockerfile'),
            buildArgs: plan.buildArgs,
            versionBuildArg: plan.versionBuildArg,
            cache: plan.cache,
            sourceUrl: context.sourceUrl,
            createdAt: new Date()
        }, { runner: deps.runner, logger, env: session.dockerEnv, tempDir: deps.tempDir }));
        const report = await logger.group(`Roll out to ${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'} (${plan.strategy})`, () => rollout({
            strategy: plan.strategy,
            targets: plan.targets,
            // The commit tag, immutable by convention; the digest is reported alongside.
            image: image.reference,
            commit: context.commit,
            registry: plan.registry,
            repository: plan.repository,
            acrIdentity: plan.acrIdentity,
            check: { path: plan.health.path, versionHeader: plan.health.versionHeader, consecutive: plan.health.consecutive, timeoutMs: plan.health.timeoutSeconds * 1000, intervalMs: plan.health.intervalSeconds * 1000 },
            swapTimeoutMs: plan.swapTimeoutSeconds * 1000
        }, { control: (0,web_app_control/* createWebAppControl */.x)(deps.azure.clients), verify: deps.verify, logger }));
        return { image, rollout: report };
    }
    finally {
        await session.cleanup();
    }
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

//# sourceMappingURL=492.index.js.map