export const id = 411;
export const ids = [411,332];
export const modules = {

/***/ 47014:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   J: () => (/* binding */ unverifiedExpiry),
/* harmony export */   u: () => (/* binding */ unverifiedClaim)
/* harmony export */ });
/**
 * A string claim of a JWT, read without verifying the token: only to name things for the
 * user (the subject to register) or for a service that asks (the tenant), never to trust it.
 */
function unverifiedClaim(jwt, name) {
    const value = claimOf(jwt, name);
    return typeof value === 'string' ? value : undefined;
}
/** A JWT's expiry (`exp`, Unix seconds) as milliseconds, read without verifying the token: only to know when to ask for a new one. */
function unverifiedExpiry(jwt) {
    const value = claimOf(jwt, 'exp');
    return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
}
function claimOf(jwt, name) {
    const payload = jwt?.split('.')[1];
    if (!payload)
        return undefined;
    try {
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))[name];
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 50411:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  deploymentOutcome: () => (/* binding */ deploymentOutcome),
  executePlan: () => (/* binding */ executePlan)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/azure/cloud.ts
var cloud = __webpack_require__(56370);
// EXTERNAL MODULE: ./src/azure/errors.ts
var errors = __webpack_require__(16616);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:perf_hooks"
var external_node_perf_hooks_ = __webpack_require__(643);
// EXTERNAL MODULE: ./src/command-runner.ts
var command_runner = __webpack_require__(39573);
// EXTERNAL MODULE: ./src/errors.ts
var src_errors = __webpack_require__(83916);
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
    return `${request.registry}/${request.repository}:${request.tag ?? request.commit}`;
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
    for (const name of [...Object.keys(request.buildArgs), ...Object.keys(request.secretBuildArgs ?? {}), request.versionBuildArg]) {
        if (!BUILD_ARG_NAME.test(name)) {
            throw new src_errors/* DeployError */.sH(`build arg name ${JSON.stringify(name)} is not a variable name.`, `Use letters, digits and underscores, not starting with a digit (parts.${request.part ?? 'backend'}.build-args, version-build-arg).`);
        }
    }
    if (Object.hasOwn(request.buildArgs, request.versionBuildArg) || Object.hasOwn(request.secretBuildArgs ?? {}, request.versionBuildArg)) {
        throw new src_errors/* DeployError */.sH(`parts.${request.part ?? 'backend'}.build-args sets ${request.versionBuildArg}, the build arg the deploy sets to the commit SHA.`, `Remove ${request.versionBuildArg} from build-args, or name another build arg in version-build-arg.`);
    }
}
function buildArgFlags(request) {
    assertBuildArgNames(request);
    const pairs = [...Object.entries(request.buildArgs), [request.versionBuildArg, request.commit]];
    return [...pairs.flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]), ...Object.keys(request.secretBuildArgs ?? {}).flatMap(name => ['--build-arg', name])];
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
        ...(request.target ? ['--target', request.target] : []),
        ...(request.network && request.network !== 'default' ? ['--network', request.network] : []),
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
                throw new src_errors/* DeployError */.sH(`could not run docker: ${error instanceof Error ? error.message : String(error)}`, "The backend deploy builds and pushes with Docker: use a runner that has it (GitHub's ubuntu runners do), or install it in an earlier step.");
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
        throw new src_errors/* DeployError */.sH(`the backend's build context ${request.context} is not a directory.`, `Check parts.${request.part ?? 'backend'}.context in the config: a folder relative to the repository root (the default is the root).`);
    }
    if ((await kind(request.dockerfile)) !== 'file') {
        throw new src_errors/* DeployError */.sH(`the backend's Dockerfile ${request.dockerfile} does not exist.`, `Check parts.${request.part ?? 'backend'}.file in the config: relative to the repository root (the default is Dockerfile in its context).`);
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
        const result = await docker.run(buildArgs({ ...request, cache }, builder, metadataFile), { env: { ...env, ...request.secretBuildArgs } });
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
        return new src_errors/* DeployError */.sH(`pushing ${reference} failed (${builderName(builder)} exited ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result)}`, pushHint(request, output));
    }
    return new src_errors/* DeployError */.sH(`building ${reference} with ${builderName(builder)} failed (exit code ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result)}`, `Fix the Dockerfile (${request.dockerfile}) or the build context (${request.context}); the lines above are the end of docker's output.`);
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
        throw new src_errors/* DeployError */.sH(`pushing ${imageTag} failed (docker push exited ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result)}`, pushHint(request, `${result.stdout}\n${result.stderr}`));
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
    throw new src_errors/* DeployError */.sH(`pushed ${reference}, but could not read its digest back from the registry (${lookup.state === 'unknown' ? lookup.reason : 'the tag is missing'}).`, `Check that ${registry} serves the tag it accepted: docker manifest inspect ${reference}`);
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: ./src/azure/jwt.ts
var jwt = __webpack_require__(47014);
;// CONCATENATED MODULE: ./src/backend/registry-login.ts









/** Azure Container Registry's user name for a refresh token from the token exchange. */
const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';
/**
 * The Entra audience of Azure Container Registry, the same in every cloud (Azure CLI and the
 * Azure SDKs' registry clients use it for *.azurecr.io, .us and .cn alike). Registries accept it
 * whatever their "authentication-as-arm" policy; ARM-audience tokens only while that is enabled.
 */
const ACR_AUDIENCE = 'https://containerregistry.azure.net';
const EXCHANGE_TIMEOUT_MS = 30_000;
const ACR_PUSH_HINT = 'the identity needs the AcrPush role on the registry (az role assignment create --role AcrPush --assignee <client-id> --scope <registry resource ID>)';
/** Pure: which login a registry gets with the credentials at hand, or why none. */
function chooseRegistryLogin(registry, credentials) {
    const { username, password, mode = 'auto' } = credentials;
    if (Boolean(username) !== Boolean(password)) {
        throw new src_errors/* DeployError */.sH(`a registry ${username ? 'username' : 'password'} is set without a ${username ? 'password' : 'username'}.`, 'Set both registry-username and registry-password, or neither.');
    }
    switch (mode) {
        case 'none':
            return { method: 'none', reason: `registry-auth is none: pushing to ${registry} without a login`, warn: false };
        case 'password':
            if (!username)
                throw new src_errors/* DeployError */.sH(`registry-auth is password, but registry-username and registry-password are not set.`, 'Pass registry-username and registry-password to the action (the password from a secret), or choose another registry-auth.');
            return { method: 'password' };
        case 'azure':
            if (!credentials.azure)
                throw noAzureSignIn(registry, 'registry-auth is azure');
            return { method: 'acr-token' };
        case 'auto':
            if (username && password)
                return { method: 'password' };
            if (isAzureContainerRegistry(registry)) {
                if (!credentials.azure)
                    throw noAzureSignIn(registry, `${registry} is an Azure Container Registry`);
                return { method: 'acr-token' };
            }
            if (isLoopbackRegistry(registry))
                return { method: 'none', reason: `${registry} is on this machine: no login needed`, warn: false };
            return { method: 'none', reason: `no credentials for ${registry}: pushing without a login, which fails if the registry requires one (set registry-username and registry-password, or registry-auth: azure for an Azure Container Registry behind a custom domain)`, warn: true };
    }
}
function noAzureSignIn(registry, why) {
    return new src_errors/* DeployError */.sH(`${why}, but the deploy has no Azure sign-in to exchange for a token of ${registry}.`, 'Sign in to Azure (client-id and tenant-id with OIDC), or set registry-username and registry-password.');
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
    let audience;
    let pullCredentials;
    try {
        if (login.method === 'password') {
            deps.setSecret(credentials.password);
            await dockerLogin(docker, registry, credentials.username, credentials.password, 'Check the registry-username and registry-password inputs.');
            pullCredentials = { username: credentials.username, password: credentials.password };
        }
        else {
            const exchanged = await acrRefreshToken(registry, { ...credentials.azure, registryAudience: credentials.registryAudience }, deps);
            audience = exchanged.audience;
            await dockerLogin(docker, registry, ACR_TOKEN_USERNAME, exchanged.refreshToken, `${registry} refused the token it had just issued: ${ACR_PUSH_HINT}.`);
            pullCredentials = { username: ACR_TOKEN_USERNAME, password: exchanged.refreshToken };
        }
    }
    catch (error) {
        await cleanup();
        throw error;
    }
    const how = login.method === 'password' ? `as ${credentials.username}` : `with the Azure identity (${audience === 'arm' ? 'an ARM-audience' : 'a registry-audience'} token)`;
    deps.logger.info(`Signed in to ${registry} ${how}, in a Docker config of this run's own`);
    return { method: login.method, ...(audience ? { audience } : {}), dockerEnv, pullCredentials, cleanup };
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
        throw new src_errors/* DeployError */.sH(`docker login to ${registry} failed (exit code ${result.exitCode}):\n${(0,command_runner/* outputTail */.c)(result, 5)}`, hint);
}
/**
 * Azure Container Registry's token exchange: an Entra access token for a registry refresh
 * token. The registry's own audience first: every registry accepts it, and registries whose
 * "authentication-as-arm" policy is disabled accept nothing else. An ARM-audience token is the
 * fallback, for clouds where Entra has no registry audience and for refusals that it may get
 * past; when both are refused, the error says what to change.
 */
async function acrRefreshToken(registry, azure, deps) {
    const registryAudience = (azure.registryAudience ?? ACR_AUDIENCE).replace(/\/+$/, '');
    deps.logger.info(`Signing in to ${registry} with the Azure identity (token exchange)`);
    const first = await exchangeFor(registry, azure, `${registryAudience}/.default`, deps, true);
    if ('refreshToken' in first)
        return { refreshToken: first.refreshToken, audience: 'registry' };
    // An ARM token can manage whatever the identity may: it goes only to a registry host Azure owns.
    if (!isAzureContainerRegistry(registry) && !isLoopbackRegistry(registry)) {
        throw new src_errors/* DeployError */.sH(`${registry} refused the deploy's Azure identity: ${first.by === 'entra' ? `Entra ID issued no token for ${registryAudience} (${first.detail})` : `the registry-audience token was refused (${first.detail})`}. An ARM-audience token is sent only to *.azurecr.* hosts, never to ${registry}.`, `${capitalized(ACR_PUSH_HINT)}; or name the registry by its login server (<name>.azurecr.io) in the config.`);
    }
    deps.logger.info(`${first.by === 'entra' ? `Entra ID issued no token for ${registryAudience}` : `${registry} refused the registry-audience token`} (${first.detail}); trying an ARM-audience token`);
    const second = await exchangeFor(registry, azure, (0,cloud/* resourceManagerScope */.M7)(azure.cloud), deps, false);
    if ('refreshToken' in second)
        return { refreshToken: second.refreshToken, audience: 'arm' };
    throw bothRefused(registry, registryAudience, first, second.detail);
}
/**
 * One audience's attempt: the Entra token (masked at once), then the exchange. A refusal comes
 * back to try the next audience; anything else (the registry unreachable or broken, Entra
 * refusing the last audience) is thrown.
 */
async function exchangeFor(registry, azure, scope, deps, entraMayRefuse) {
    let accessToken;
    try {
        accessToken = (await azure.credential.getToken(scope))?.token;
    }
    catch (error) {
        if (!entraMayRefuse)
            throw error;
        return { by: 'entra', detail: firstLine(error) };
    }
    if (!accessToken) {
        if (entraMayRefuse)
            return { by: 'entra', detail: `no access token for ${scope}` };
        throw new src_errors/* DeployError */.sH(`signing in to ${registry}: Azure returned no access token for ${scope}.`, 'Check the Azure sign-in settings (client-id, tenant-id, auth).');
    }
    deps.setSecret(accessToken);
    // The exchange wants the tenant named: the token's own `tid` when the sign-in did not name it.
    const tenant = azure.tenantId || (0,jwt/* unverifiedClaim */.u)(accessToken, 'tid');
    const form = new URLSearchParams({ grant_type: 'access_token', service: registry, ...(tenant ? { tenant } : {}), access_token: accessToken });
    // A registry on this machine speaks plain HTTP, as docker itself assumes for loopback registries.
    const url = `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}/oauth2/exchange`;
    let response;
    try {
        response = await deps.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) });
    }
    catch (error) {
        throw unreachableRegistry(registry, url, error);
    }
    const body = await response.text();
    if (response.status === 401 || response.status === 403)
        return { by: 'registry', detail: `HTTP ${response.status}${withDetail(body)}` };
    if (!response.ok)
        throw exchangeFailure(registry, response.status, body);
    const refreshToken = refreshTokenOf(body);
    if (!refreshToken)
        throw new src_errors/* DeployError */.sH(`the token exchange with ${registry} answered HTTP ${response.status} without a refresh_token.`, `Check that ${registry} is an Azure Container Registry login server.`);
    deps.setSecret(refreshToken);
    return { refreshToken };
}
/** Both audiences refused: the cause follows from where the registry-audience attempt stopped. */
function bothRefused(registry, registryAudience, first, armDetail) {
    const message = `${registry} refused the deploy's Azure identity: ${first.by === 'entra' ? `Entra ID issued no token for ${registryAudience} (${first.detail})` : `the registry-audience token was refused (${first.detail})`}, and the ARM-audience token was refused (${armDetail}).`;
    if (first.by === 'registry') {
        // A registry accepts its own audience whatever its authentication-as-arm policy: the role is missing.
        return new src_errors/* DeployError */.sH(message, `${capitalized(ACR_PUSH_HINT)}; a new role assignment can take a few minutes to apply. The registry must also be in the tenant the deploy signs in to.`);
    }
    return new src_errors/* DeployError */.sH(message, `Either the registry's "authentication-as-arm" policy is disabled, so it takes only tokens for ${registryAudience}, which this tenant does not issue (check with az acr config authentication-as-arm show -r <registry>; enable it, or set the registry audience your cloud uses), or ${ACR_PUSH_HINT}.`);
}
const capitalized = (text) => `${text[0].toUpperCase()}${text.slice(1)}`;
function firstLine(error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();
}
function withDetail(body) {
    const detail = registryErrorDetail(body);
    return detail ? ` (${detail})` : '';
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
function unreachableRegistry(registry, url, error) {
    // fetch rejects with "fetch failed"; the reason (DNS, TLS, refused, timeout) is its cause.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if (cause.code === 'ENOTFOUND') {
        return new src_errors/* DeployError */.sH(`the registry ${registry} was not found (no such host).`, 'Check parts.backend.registry: the login server of an existing registry, such as myregistry.azurecr.io.');
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new src_errors/* DeployError */.sH(`could not reach ${registry} for its token exchange: ${reason}`, `Check that the runner can reach ${new URL(url).origin} (firewall, private endpoint, proxy).`);
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
    const message = `the token exchange with ${registry} failed: HTTP ${status}${withDetail(body)}.`;
    if (status === 404) {
        return new src_errors/* DeployError */.sH(message, `${registry} has no such registry or no token exchange: check the part's registry, the registry's login server (<name>.azurecr.io), and registry-auth.`);
    }
    if (status === 429 || status >= 500)
        return new src_errors/* DeployError */.sH(message, 'Azure Container Registry could not answer just now: re-run the job.');
    return new src_errors/* DeployError */.sH(message, `Check the part's registry (${registry}) and the deploy's tenant-id.`);
}

// EXTERNAL MODULE: ./src/backend/app-settings.ts
var app_settings = __webpack_require__(93637);
// EXTERNAL MODULE: ./src/plan.ts
var src_plan = __webpack_require__(22464);
;// CONCATENATED MODULE: ./src/backend/release.ts
/**
 * The release step, like Heroku's release phase: one command (migrations, typically) run once,
 * in the new image, after it is pushed and before any target switches, under the environment's
 * lock. Exit 0 lets the rollout go on; anything else stops the deploy with nothing switched.
 *
 * - `runner`: `docker run` of the image on the runner (host network), for databases the runner
 *   can reach. Variables go through docker's environment (`-e NAME`), never its command line.
 * - `container-instance`: a one-off Azure Container Instances group beside the Web Apps (in
 *   their subnet when given), with the target's app settings as secure variables; its log is
 *   read into the step; the group is deleted afterwards whatever happened.
 *
 * The command is the whole process, whatever the image's ENTRYPOINT and CMD, as a Container
 * Instances `command` is: `python manage.py migrate` runs python, on the runner and in ACI alike.
 */



const LOG_LINES = 60;
const tail = (text) => text
    .split(/\r?\n/)
    .filter(line => line.trim() !== '')
    .slice(-LOG_LINES);
async function runRelease(request, deps) {
    return request.plan.runOn === 'container-instance' ? runInContainerInstance(request, deps) : runOnRunner(request, deps);
}
/**
 * Pure: the docker argv of a release on the runner. The command replaces the image's entrypoint
 * (as in Container Instances). Values are not in it: `-e NAME` reads them from docker's environment.
 */
function releaseRunArgs(name, image, argv, variables) {
    const [tool = '', ...args] = argv;
    return ['run', '--rm', '--name', name, '--network', 'host', '--pull', 'missing', '--entrypoint', tool, ...variables.flatMap(variable => ['-e', variable]), image, ...args];
}
async function runOnRunner(request, deps) {
    const now = deps.now ?? Date.now;
    const started = now();
    const name = `apd-release-${(0,external_node_crypto_.randomUUID)().slice(0, 12)}`;
    const { plan } = request;
    const args = releaseRunArgs(name, request.image, plan.argv, Object.keys(request.env));
    deps.logger.info(`release of ${request.part}: ${(0,src_plan/* formatArgv */.gL)(plan.argv)} in ${request.image} on the runner (timeout ${plan.timeoutSeconds}s)`);
    let stoppedFor;
    const stop = (why) => {
        stoppedFor ??= why;
        void deps.runner.run('docker', ['kill', name], { env: deps.dockerEnv });
    };
    const timer = setTimeout(() => stop(`it ran past its timeout of ${plan.timeoutSeconds}s`), plan.timeoutSeconds * 1000);
    const onAbort = () => stop(String(deps.signal.reason?.message ?? 'the run was stopped'));
    deps.signal.addEventListener('abort', onAbort, { once: true });
    try {
        const result = await deps.runner.run('docker', args, { env: { ...deps.dockerEnv, ...request.env } });
        const output = `${result.stdout}\n${result.stderr}`;
        // All of it in the step's log, as a container group's is: a migration's error comes after
        // what it had applied, and a long traceback must not push that out.
        for (const line of output.split(/\r?\n/))
            if (line.trim() !== '')
                deps.logger.info(`  ${line}`);
        const log = tail(output);
        const seconds = Math.round((now() - started) / 100) / 10;
        if (stoppedFor)
            return { ok: false, exitCode: result.exitCode, seconds, log, reason: `the release command was stopped: ${stoppedFor}` };
        if (result.exitCode !== 0)
            return { ok: false, exitCode: result.exitCode, seconds, log, reason: `the release command exited with ${result.exitCode}${result.exitCode === 125 ? ' (docker could not start it: see its output)' : ''}` };
        return { ok: true, exitCode: 0, seconds, log };
    }
    finally {
        clearTimeout(timer);
        deps.signal.removeEventListener('abort', onAbort);
    }
}
/** Pure: the container group of a release. Every variable is a secure one: the group's definition does not show it. */
function releaseContainerGroup(request, location) {
    const instance = request.plan.containerInstance;
    const variables = { ...(request.appSettings ?? {}), ...request.env };
    const credentials = request.pullCredentials;
    return {
        location,
        osType: 'Linux',
        restartPolicy: 'Never',
        containers: [
            {
                name: 'release',
                image: request.image,
                command: [...request.plan.argv],
                resources: { requests: { cpu: instance.cpu, memoryInGB: instance.memoryGb } },
                environmentVariables: Object.entries(variables).map(([name, value]) => ({ name, secureValue: value }))
            }
        ],
        ...(credentials ? { imageRegistryCredentials: [{ server: request.registry, ...credentials }] } : {}),
        ...(credentials && 'identity' in credentials ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [credentials.identity]: {} } } } : {}),
        ...(instance.subnetId ? { subnetIds: [{ id: instance.subnetId }] } : {})
    };
}
async function runInContainerInstance(request, deps) {
    const now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? ((ms, signal) => new Promise(resolve => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
        }, { once: true });
    }));
    const started = now();
    const instance = request.plan.containerInstance;
    if (!deps.clients)
        return { ok: false, seconds: 0, log: [], reason: 'a container-instance release needs the Azure sign-in' };
    const location = instance.location ?? request.location;
    if (!location)
        return { ok: false, seconds: 0, log: [], reason: 'no location for the container group: set release.container-instance.location' };
    const api = await deps.clients.containerInstances(instance.subscription);
    const group = `apd-release-${request.part}-${(0,external_node_crypto_.randomUUID)().slice(0, 8)}`;
    const seconds = () => Math.round((now() - started) / 100) / 10;
    deps.logger.info(`release of ${request.part}: ${(0,src_plan/* formatArgv */.gL)(request.plan.argv)} in ${request.image}, container group ${instance.resourceGroup}/${group} (${location}${instance.subnetId ? ', in the configured subnet' : ''}; timeout ${request.plan.timeoutSeconds}s)`);
    let printed = 0;
    let log = [];
    const readLog = async () => {
        try {
            const content = (await api.containers.listLogs(instance.resourceGroup, group, 'release')).content ?? '';
            const lines = content.split(/\r?\n/).filter(line => line.trim() !== '');
            for (const line of lines.slice(printed))
                deps.logger.info(`  ${line}`);
            printed = Math.max(printed, lines.length);
            log = lines.slice(-LOG_LINES);
        }
        catch {
            // Not there yet (the container has not started): read again at the next poll.
        }
    };
    try {
        try {
            await api.containerGroups.beginCreateOrUpdateAndWait(instance.resourceGroup, group, releaseContainerGroup(request, location), { abortSignal: deps.signal });
        }
        catch (error) {
            return { ok: false, seconds: seconds(), log, reason: `the container group could not be created: ${(0,errors/* describeAzureError */.p)(error)}` };
        }
        const deadline = started + request.plan.timeoutSeconds * 1000;
        for (;;) {
            const current = await api.containerGroups.get(instance.resourceGroup, group).catch(() => undefined);
            const state = current?.containers[0]?.instanceView?.currentState;
            await readLog();
            if (state?.state === 'Terminated') {
                const exitCode = state.exitCode ?? -1;
                return exitCode === 0 ? { ok: true, exitCode, seconds: seconds(), log } : { ok: false, exitCode, seconds: seconds(), log, reason: `the release command exited with ${exitCode}${state.detailStatus ? ` (${state.detailStatus})` : ''}` };
            }
            if (current?.provisioningState === 'Failed') {
                const event = current.containers[0]?.instanceView?.events?.at(-1)?.message;
                return { ok: false, seconds: seconds(), log, reason: `the container group failed${event ? `: ${event}` : ''}` };
            }
            if (deps.signal.aborted)
                return { ok: false, seconds: seconds(), log, reason: `the release was stopped: ${String(deps.signal.reason?.message ?? 'cancelled')}` };
            if (now() >= deadline)
                return { ok: false, seconds: seconds(), log, reason: `it ran past its timeout of ${request.plan.timeoutSeconds}s` };
            await sleep(2000, deps.signal);
        }
    }
    finally {
        await api.containerGroups.beginDeleteAndWait(instance.resourceGroup, group).catch((error) => {
            deps.logger.warning(`the release's container group ${instance.resourceGroup}/${group} could not be deleted (${(0,errors/* describeAzureError */.p)(error)}): delete it by hand`);
        });
    }
}

// EXTERNAL MODULE: ./src/backend/rollout.ts + 1 modules
var rollout = __webpack_require__(25181);
// EXTERNAL MODULE: ./src/backend/web-app-control.ts
var web_app_control = __webpack_require__(87032);
// EXTERNAL MODULE: ./src/backend/web-app-state.ts
var web_app_state = __webpack_require__(53816);
// EXTERNAL MODULE: ./src/frontend/blob-store.ts
var blob_store = __webpack_require__(55465);
// EXTERNAL MODULE: ./src/parallel.ts
var parallel = __webpack_require__(73716);
;// CONCATENATED MODULE: ./src/values.ts

/**
 * Config values with `{ from-env: NAME }` read from the step's environment. Those are secrets
 * as far as the log goes (a workflow passes `${{ secrets.* }}` that way): each is masked the
 * moment it is read.
 */
function resolveValues(values, env, setSecret, where) {
    const resolved = {};
    for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'string') {
            resolved[name] = value;
            continue;
        }
        const read = env[value.fromEnv];
        if (read === undefined) {
            throw new src_errors/* DeployError */.sH(`${where}.${name} takes its value from the step's env ${value.fromEnv}, which is not set.`, `Add it to the step: env: { ${value.fromEnv}: \${{ secrets.${value.fromEnv} }} }.`);
        }
        if (read !== '')
            setSecret(read);
        resolved[name] = read;
    }
    return resolved;
}

// EXTERNAL MODULE: ./src/deploy/lock.ts
var deploy_lock = __webpack_require__(24332);
;// CONCATENATED MODULE: ./src/deploy/execute.ts
/**
 * The deploy of one environment as one transaction:
 *
 *   prepare   every target read (it exists, the identity may read it), every image built and
 *             pushed, every site built and planned — nothing anyone sees has changed yet
 *   lock      one lease per environment, held from the first live change to the last
 *   newest    a part whose live release descends from this commit is superseded, not deployed
 *   release   each image part's release step (migrations), once, in the new image
 *   switch    every image part's targets as one all-or-nothing group
 *   sites     each site part: upload, purge, delete stale, record what is live
 *
 * A failure stops at once and says what it left: before the switch nothing changed; a failed
 * switch rolls the whole group back; a cancellation (or the deadline) rolls back what it can
 * and the post step repairs the rest from the journal.
 */















/** A stop with a reason that belongs to no part (cancellation, the deadline). */
function stopped(signal) {
    const reason = signal.reason instanceof Error ? signal.reason.message : 'the run was cancelled';
    return new src_errors/* DeployError */.sH(`${reason}.`);
}
async function executePlan(plan, context, deps) {
    const { logger, journal, signal } = deps;
    const now = deps.now ?? Date.now;
    const outcomes = new Map(plan.parts.map(part => [part.name, { name: part.name, kind: part.kind, result: part.deploy ? 'not-run' : 'skipped' }]));
    const outcome = (name) => outcomes.get(name);
    const deploying = () => plan.parts.filter(part => outcome(part.name).result === 'not-run');
    const imageParts = () => deploying().filter((part) => part.kind === 'image');
    const siteParts = () => deploying().filter((part) => part.kind === 'site');
    const control = (0,web_app_control.createWebAppControl)(deps.azure.clients);
    const records = new Map();
    const sessions = new Map();
    const prepared = new Map();
    const images = new Map();
    const report = { parts: [] };
    let lock;
    /** Marks the part failed and stops the run with its error. */
    const failPart = (part, error) => {
        const reason = (0,src_errors/* describeFailure */.Ic)(error).split('\n')[0];
        Object.assign(outcome(part), { result: 'failed', reason });
        throw error instanceof src_errors/* DeployError */.sH ? error : new src_errors/* DeployError */.sH(`${part}: ${reason}`);
    };
    const checkSignal = () => {
        if (signal.aborted)
            throw stopped(signal);
    };
    try {
        // GitHub deployments: in progress from the start, so a failure at any step is recorded.
        for (const part of plan.parts.filter(p => p.deploy)) {
            const record = await deps.github?.start({ environment: plan.environment, part: part.name, sha: context.commit, description: startDescription(part, context.commit) });
            if (record) {
                records.set(part.name, record);
                journal.update(data => data.deployments.push({ id: record.id, environment: record.environment, part: part.name, finished: false }));
            }
        }
        // 1. Prepare: nothing anyone sees changes.
        const snapshots = new Map();
        await logger.group('Prepare: check the targets, build every image and site', async () => {
            for (const part of imageParts()) {
                try {
                    snapshots.set(part.name, await readTargets(part, control));
                }
                catch (error) {
                    failPart(part.name, error);
                }
            }
            checkSignal();
            // Sites first: a broken site build stops the run before any image reaches the registry.
            for (const part of siteParts()) {
                checkSignal();
                try {
                    const { prepareSite } = await Promise.all(/* import() */[__webpack_require__.e(96), __webpack_require__.e(581)]).then(__webpack_require__.bind(__webpack_require__, 87581));
                    const buildEnv = part.rollbackTo ? {} : resolveValues(part.buildEnv, deps.env, deps.setSecret, `parts.${part.name}.build-env.${plan.environment}`);
                    prepared.set(part.name, await prepareSite(part, buildEnv, { workspace: context.workspace, commit: context.commit }, { ...deps, now }));
                }
                catch (error) {
                    failPart(part.name, error);
                }
            }
            for (const build of plan.images) {
                checkSignal();
                try {
                    images.set(build.part, await buildImage(build, context, deps, sessions));
                }
                catch (error) {
                    // The image's users fail with it.
                    for (const user of imageParts().filter(p => p.imageFrom === build.part))
                        if (user.name !== build.part)
                            Object.assign(outcome(user.name), { result: 'failed', reason: `its image (part ${build.part}) could not be built` });
                    failPart(build.part, error);
                }
            }
            for (const part of imageParts())
                outcome(part.name).image = images.get(part.imageFrom);
        });
        checkSignal();
        // 2. The environment's lock, from the first live change to the last.
        if (plan.lock) {
            const locked = plan.lock;
            const started = now();
            const location = { blobEndpoint: (0,blob_store.blobEndpointFor)(locked.storageAccount, deps.azure.cloud.storageSuffix, locked.blobEndpoint), container: locked.container, blob: locked.blob };
            const leaseId = crypto.randomUUID();
            journal.update(data => (data.lock = { ...location, leaseId, released: false }));
            lock = await (0,deploy_lock/* acquireDeployLock */.z)(location, deps.azure.credential, { runUrl: context.runUrl, commit: context.commit, startedAt: new Date(now()).toISOString() }, { waitMs: locked.timeoutSeconds * 1000, leaseId, logger, signal });
            report.lock = { name: lock.name, waitedSeconds: Math.round((now() - started) / 100) / 10 };
            logger.info(`locked ${lock.name}${report.lock.waitedSeconds >= 1 ? ` after waiting ${report.lock.waitedSeconds}s` : ''}`);
        }
        else if (plan.warnings.length === 0) {
            logger.info('no deploy lock for this environment');
        }
        checkSignal();
        // 3. Newest wins: a part whose live release descends from this commit is left as it is.
        // A site's manifest, read here under the lock, is the one its publish starts from.
        const liveCommitsOf = async (part) => {
            if (part.kind === 'image')
                return deps.liveCommits(part);
            const site = prepared.get(part.name);
            const manifest = await site.store.readManifest();
            site.manifestUnderLock = { manifest };
            return manifest && manifest.files.length > 0 ? [manifest.commit] : [];
        };
        await Promise.all(deploying().map(async (part) => {
            if (deps.deliberate.includes(part.name))
                return;
            const live = await liveCommitsOf(part).catch(() => []);
            for (const commit of new Set(live)) {
                if (commit === context.commit)
                    continue;
                // The usual case first, found in a few commits of this run's history: what is live is older.
                if ((await deps.git.isAncestor(commit, context.commit)) === true)
                    continue;
                if ((await deps.git.isAncestor(context.commit, commit)) === true) {
                    Object.assign(outcome(part.name), { result: 'superseded', liveCommit: commit, reason: `${commit.slice(0, 12)} is live, and it is newer than ${context.commit.slice(0, 12)}` });
                    logger.warning(`${part.name}: not deployed: ${commit.slice(0, 12)} is live and descends from ${context.commit.slice(0, 12)}, so this run is older. Use the parts input (or rollback-to for a site) to go back on purpose.`);
                    return;
                }
            }
        }));
        // 4. Release steps: once, in the new image, before any target switches.
        for (const part of imageParts()) {
            const release = part.release;
            if (!release)
                continue;
            if (!release.run) {
                outcome(part.name).release = { skipped: release.reason };
                logger.info(`${part.name}: release step skipped (${release.reason})`);
                continue;
            }
            checkSignal();
            const result = await logger.group(`Release step of ${part.name}`, async () => {
                const env = resolveValues(release.env, deps.env, deps.setSecret, `environments.${plan.environment}.${part.name}.release.env`);
                const appSettings = release.runOn === 'container-instance' ? releaseAppSettings(part, snapshots.get(part.name)?.[0], plan.environment, deps) : undefined;
                const session = sessions.get(plan.images.find(image => image.part === part.imageFrom)?.registry ?? '') ?? [...sessions.values()][0];
                const ran = await runRelease({ part: part.name, image: part.image, registry: part.registry, plan: release, env, appSettings, pullCredentials: session?.pullCredentials, location: await siteLocation(part, deps.azure) }, { runner: deps.runner, logger, dockerEnv: session?.dockerEnv ?? {}, clients: deps.azure.clients, signal, now, sleep: deps.verify.sleep });
                return ran;
            });
            outcome(part.name).release = result;
            if (!result.ok)
                failPart(part.name, new src_errors/* DeployError */.sH(`the release step of ${part.name} failed: ${result.reason}. No target was switched.`, `Fix the release command (${release.command}) or what it needs (its output is above), then push again.`));
            logger.info(`${part.name}: release step done in ${result.seconds}s`);
        }
        // 5. Every image part's targets, as one all-or-nothing group.
        const group = imageParts();
        if (group.length > 0) {
            checkSignal();
            const units = [];
            for (const part of group) {
                const declared = resolveValues(part.appSettings, deps.env, deps.setSecret, `environments.${plan.environment}.${part.name}.app-settings`);
                const image = outcome(part.name).image;
                for (const target of part.targets) {
                    units.push({
                        part: part.name,
                        target,
                        strategy: part.strategy,
                        // The commit tag, immutable by convention; the digest is reported alongside.
                        image: image?.reference ?? part.image,
                        commit: context.commit,
                        settings: { declared, prune: part.pruneAppSettings },
                        acrIdentity: part.acrIdentity,
                        verify: part.verify,
                        registry: part.registry,
                        repository: part.repository,
                        swapTimeoutMs: part.swapTimeoutSeconds * 1000
                    });
                }
            }
            for (const part of group)
                if (part.verify.mode === 'none')
                    logger.warning(`${part.name}: verify: none — nothing proves that the new version serves on ${part.targets.map(web_app_state.targetName).join(', ')}`);
            const rolled = await logger.group(`Roll out to ${units.length} target${units.length === 1 ? '' : 's'} of ${group.map(part => part.name).join(', ')}`, () => (0,rollout.rollout)(units, {
                control,
                verify: deps.verify,
                platform: { token: async () => (await deps.azure.credential.getToken((0,cloud/* resourceManagerScope */.M7)(deps.azure.cloud)))?.token ?? '', fetch: deps.fetch },
                logger,
                journal: journal.rollout(),
                signal
            }));
            report.rollout = rolled;
            for (const part of group) {
                const targets = rolled.targets.filter(target => target.part === part.name);
                Object.assign(outcome(part.name), { targets });
                if (rolled.ok)
                    outcome(part.name).result = 'deployed';
                else if (rolled.untouched)
                    Object.assign(outcome(part.name), { result: 'failed', reason: `${rolled.failure ?? 'the rollout failed'}; no target was changed` });
                else if (targets.some(target => target.status === 'rollback-failed'))
                    Object.assign(outcome(part.name), { result: 'failed', reason: rolled.failure });
                else
                    Object.assign(outcome(part.name), { result: 'rolled-back', reason: rolled.failure });
            }
            if (!rolled.ok)
                throw rolloutFailure(rolled, group.map(part => part.name), siteParts().map(part => part.name));
            logger.info(`Deployed ${[...new Set(units.map(unit => unit.image))].join(', ')} to ${units.length} target${units.length === 1 ? '' : 's'}.`);
        }
        // 6. Sites, one after another; the API went first, since a new site may call what only the new API has.
        const { publishSite } = siteParts().length > 0 ? await Promise.all(/* import() */[__webpack_require__.e(96), __webpack_require__.e(581)]).then(__webpack_require__.bind(__webpack_require__, 87581)) : { publishSite: undefined };
        let siteFailure;
        for (const part of siteParts()) {
            if (signal.aborted)
                break;
            try {
                const site = prepared.get(part.name);
                site.seconds.lock = report.lock?.waitedSeconds ?? 0;
                const published = await publishSite(site, { ...deps, now, assertLockHeld: () => lock?.assertHeld() });
                Object.assign(outcome(part.name), { result: 'deployed', site: published });
                logger.info(`Deployed ${part.name} (${published.commit.slice(0, 12)}): ${published.uploaded} uploaded, ${published.skipped} unchanged, ${published.headersFixed} headers fixed, ${published.deleted} deleted${published.siteUrl ? `; ${published.siteUrl}` : ''}.`);
            }
            catch (error) {
                try {
                    failPart(part.name, error);
                }
                catch (failure) {
                    siteFailure ??= failure;
                }
            }
        }
        checkSignal();
        if (siteFailure)
            throw siteFailure;
    }
    catch (error) {
        report.failure = error instanceof src_errors/* DeployError */.sH ? error : new src_errors/* DeployError */.sH((0,errors/* describeAzureError */.p)(error));
        const why = signal.aborted ? (0,src_errors/* describeFailure */.Ic)(stopped(signal)) : `not deployed: the run stopped at an earlier failure (${report.failure.message.split('\n')[0]})`;
        for (const part of deploying())
            Object.assign(outcome(part.name), { reason: why });
    }
    finally {
        if (lock) {
            await lock.release();
            journal.update(data => {
                if (data.lock)
                    data.lock.released = true;
            });
        }
        await Promise.all([...sessions.values()].map(session => session.cleanup()));
        await Promise.all([...prepared.values()].map(site => site.cleanup()));
        report.parts = plan.parts.map(part => outcome(part.name));
        for (const [part, record] of records) {
            await record.finish(...deploymentOutcome(outcome(part), plan));
            journal.update(data => {
                const entry = data.deployments.find(deployment => deployment.id === record.id);
                if (entry)
                    entry.finished = true;
            });
        }
    }
    return report;
}
function startDescription(part, commit) {
    if (part.kind === 'image')
        return `Image of ${commit.slice(0, 12)} to ${part.targets.length} target(s)`;
    return part.rollbackTo ? `Release of ${part.rollbackTo.slice(0, 12)} redeployed` : `Site of ${commit.slice(0, 12)}`;
}
/** A part's GitHub deployment status from its outcome: the environment URL on success, the reason otherwise. */
function deploymentOutcome(part, plan) {
    const url = part.kind === 'image' ? part.targets?.[0]?.url || undefined : part.site?.siteUrl;
    switch (part.result) {
        case 'deployed':
            if (part.kind === 'image')
                return ['success', { url, description: `${part.image?.pinned.split('@')[0] ?? 'image'} serving on ${part.targets?.length ?? 0} target(s)` }];
            return ['success', { url, description: `${part.site?.uploaded ?? 0} uploaded, ${part.site?.skipped ?? 0} unchanged, ${part.site?.deleted ?? 0} deleted` }];
        case 'superseded':
            return ['inactive', { description: `superseded: ${part.liveCommit?.slice(0, 12) ?? 'a newer commit'} is live in ${plan.environment}` }];
        case 'rolled-back':
            return ['failure', { url, description: `rolled-back: ${part.reason ?? 'the rollout failed'}` }];
        default:
            return ['failure', { url, description: part.reason ?? `${part.result}: the deploy stopped before this part` }];
    }
}
/** What each target runs now, and that it exists and can be read: checked before anything is built. */
async function readTargets(part, control) {
    return (0,parallel/* inParallel */.H)(part.targets, 8, async (target) => {
        try {
            const state = await control.read(target);
            if (part.strategy === 'slot-swap')
                await control.read({ ...target, slot: undefined });
            return state;
        }
        catch (error) {
            throw new src_errors/* DeployError */.sH(`${(0,web_app_state.targetName)(target)} (resource group ${target.resourceGroup}) cannot be read: ${(0,errors/* describeAzureError */.p)(error)}. Nothing was built or changed.`, `Check environments.<name>.${part.name}.targets in the config (resource group, app, slot, subscription) and that the identity has Website Contributor on it.`);
        }
    });
}
/**
 * A container-group release runs with the first target's app settings as it will run them. The
 * ones the target already has (read from Azure) may hold secrets a migration could print: they
 * are masked. Values written in the config are in the repository, and masking them (a
 * settings module, a host name) would blank them out of every log line.
 */
function releaseAppSettings(part, first, environment, deps) {
    const declared = resolveValues(part.appSettings, deps.env, deps.setSecret, `environments.${environment}.${part.name}.app-settings`);
    if (!first)
        return declared;
    const settings = (0,app_settings/* desiredSettings */.Qf)(first.settings, { declared, prune: part.pruneAppSettings, port: part.targets[0]?.port }).settings;
    for (const [name, value] of Object.entries(settings))
        if (typeof part.appSettings[name] !== 'string' && value.length >= 8)
            deps.setSecret(value);
    return settings;
}
/** The location of a part's first Web App: where a release's container group goes unless the config says. */
async function siteLocation(part, azure) {
    if (part.release?.runOn !== 'container-instance' || part.release.containerInstance?.location)
        return undefined;
    const target = part.targets[0];
    if (!target)
        return undefined;
    const site = await (await azure.clients.webApps(target.subscription)).get(target.resourceGroup, target.app);
    return site.location?.toLowerCase().replace(/\s+/g, '');
}
/** Sign in to the image's registry (once per registry) and build and push it (or find it built). */
async function buildImage(build, context, deps, sessions) {
    let session = sessions.get(build.registry);
    if (!session) {
        session = await loginToRegistry(build.registry, { ...deps.registryCredentials, azure: deps.azure, mode: build.registryAuth }, deps);
        sessions.set(build.registry, session);
        const dockerConfig = session.dockerEnv.DOCKER_CONFIG;
        if (dockerConfig)
            deps.journal.update(data => data.dockerConfigs.push(dockerConfig));
    }
    const values = resolveValues(build.buildArgs, deps.env, deps.setSecret, `the build args of ${build.part}`);
    const secretNames = new Set(Object.entries(build.buildArgs).flatMap(([name, value]) => (typeof value === 'string' ? [] : [name])));
    const contextDir = external_node_path_default().resolve(context.workspace, build.context);
    return deps.logger.group(`Build and push ${build.image}`, () => buildAndPushImage({
        part: build.part,
        registry: build.registry,
        repository: build.repository,
        commit: context.commit,
        tag: build.tag,
        target: build.target,
        network: build.network,
        context: contextDir,
        dockerfile: build.dockerfile ? external_node_path_default().resolve(context.workspace, build.dockerfile) : external_node_path_default().join(contextDir, 'Dockerfile'),
        buildArgs: Object.fromEntries(Object.entries(values).filter(([name]) => !secretNames.has(name))),
        secretBuildArgs: Object.fromEntries(Object.entries(values).filter(([name]) => secretNames.has(name))),
        versionBuildArg: build.versionBuildArg,
        cache: build.cache,
        sourceUrl: context.sourceUrl,
        createdAt: new Date()
    }, { runner: deps.runner, logger: deps.logger, env: session.dockerEnv, tempDir: deps.tempDir }));
}
function rolloutFailure(rolled, parts, sites) {
    const names = parts.join(' and ');
    const notDeployed = sites.length === 0 ? '' : `; the ${sites.join(' and ')} ${sites.length === 1 ? 'was' : 'were'} not deployed`;
    if (rolled.untouched)
        return new src_errors/* DeployError */.sH(`the ${names} deploy failed before any target changed: ${rolled.failure}${notDeployed}. No target was changed.`, 'Fix the cause above and push again (or re-run the job).');
    if (rolled.targets.some(target => target.status === 'rollback-failed')) {
        return new src_errors/* DeployError */.sH(`the ${names} deploy failed: ${rolled.failure}${notDeployed}`, 'Some targets could not be put back (see the targets output and the job summary): check them in the Azure portal.');
    }
    return new src_errors/* DeployError */.sH(`the ${names} deploy was rolled back: ${rolled.failure}${notDeployed}`, "Every target is back on what it ran before (image, app settings, start command). Fix the cause above (the failed target's container log helps: az webapp log tail) and push again.");
}


/***/ }),

/***/ 24332:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   releaseDeployLock: () => (/* binding */ releaseDeployLock),
/* harmony export */   z: () => (/* binding */ acquireDeployLock)
/* harmony export */ });
/* unused harmony export lockPipeline */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(58500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _azure_storage_blob__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(64981);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(83916);
/**
 * One deploy of an environment at a time: a blob lease on `<container>/<environment>/deploy.lock`,
 * renewed while held, released on every way out (a crashed runner's lease lapses within a
 * minute). The holder writes its run, commit and start time on the blob, so a waiting run can
 * say who it waits for. The lease ID is chosen before the lease is taken, so the journal knows
 * it and the post step can release a lock its main step could not.
 */




const errorCodeOf = (error) => error.code ?? error.details?.errorCode;
/** The storage pipeline every lock call uses: a bounded time per try and a bounded number of tries. */
function lockPipeline(retry) {
    return { retryOptions: { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 30_000, ...retry } };
}
function lockBlobOf(location, credential, retry) {
    const service = new _azure_storage_blob__WEBPACK_IMPORTED_MODULE_2__/* .BlobServiceClient */ .wS(location.blobEndpoint, credential, lockPipeline(retry));
    const container = service.getContainerClient(location.container);
    return { blob: container.getBlockBlobClient(location.blob), container, name: `${service.accountName}/${location.container}/${location.blob}` };
}
function failure(action, name, error) {
    if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH)
        return error;
    const storage = error;
    const code = errorCodeOf(error);
    const status = storage.statusCode;
    const hint = status === 403
        ? `The signed-in identity needs the "Storage Blob Data Contributor" role on the storage account of the lock (${name.split('/')[0]}), or set environments.<name>.lock to a storage account it can write to.`
        : code === 'ContainerNotFound'
            ? 'Create the container, or fix lock.container in the config.'
            : undefined;
    return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`${action} ${name} failed: ${status ? `${status} ` : ''}${code ? `${code}: ` : ''}${(storage.message ?? String(error)).split('\n')[0]}`, hint);
}
/** The holder recorded on the lock blob, as a sentence, when there is one. */
async function describeHolder(blob) {
    try {
        const { metadata } = await blob.getProperties();
        if (!metadata?.commit)
            return undefined;
        return `run ${metadata.runurl ?? '(unknown run)'}, commit ${metadata.commit.slice(0, 12)}, started ${metadata.startedat ?? '(unknown time)'}`;
    }
    catch {
        return undefined;
    }
}
async function acquireDeployLock(location, credential, holder, options) {
    const { leaseSeconds = 60, waitMs, pollMs = 2000, logger, signal } = options;
    const { blob, container, name } = lockBlobOf(location, credential, options.retry);
    const leaseId = options.leaseId ?? (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)();
    const lease = blob.getBlobLeaseClient(leaseId);
    const deadline = Date.now() + waitMs;
    let announced = false;
    let created = false;
    for (;;) {
        if (signal?.aborted)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`stopped while waiting for the deploy lock ${name}: ${String(signal.reason?.message ?? signal.reason)}`);
        try {
            await lease.acquireLease(leaseSeconds);
            break;
        }
        catch (error) {
            const code = errorCodeOf(error);
            if ((code === 'BlobNotFound' || code === 'ContainerNotFound') && !created) {
                created = true;
                // First deploy: make the container and the lock blob. Another deploy may make them at the same moment.
                await container
                    .createIfNotExists()
                    .catch((refused) => {
                    throw failure('creating the container of', name, refused);
                });
                await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((refused) => {
                    if (!/BlobAlreadyExists|LeaseIdMissing|ConditionNotMet/.test(errorCodeOf(refused) ?? ''))
                        throw failure('creating', name, refused);
                });
                continue;
            }
            if (code !== 'LeaseAlreadyPresent')
                throw failure('locking', name, error);
            if (Date.now() + pollMs > deadline) {
                const holderText = await describeHolder(blob);
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`another deploy of this environment holds the lock ${name}${holderText ? ` (${holderText})` : ''}; waited ${Math.round(waitMs / 1000)} s. It expires by itself within ${leaseSeconds} s if its runner died.`, 'Let the other deploy finish (a workflow `concurrency:` group per environment avoids the wait), then re-run this one; a re-run of an older commit ends as superseded.');
            }
            if (!announced) {
                logger?.info(`waiting for another deploy to release ${name} (up to ${Math.round(waitMs / 1000)} s)`);
                const holderText = await describeHolder(blob);
                if (holderText)
                    logger?.info(`  it is held by ${holderText}`);
            }
            announced = true;
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_1__.setTimeout)(pollMs, undefined, signal ? { signal } : undefined).catch(() => undefined);
        }
    }
    // Who holds it, for a run that waits: written while the deploy goes on, not before it.
    const recorded = blob.setMetadata({ runurl: holder.runUrl ?? '', commit: holder.commit, startedat: holder.startedAt }, { conditions: { leaseId } }).then(() => undefined, (error) => logger?.debug(`could not record the lock's holder on ${name}: ${error.message}`));
    let lost;
    let released = false;
    let renewedAt = Date.now();
    const renewal = setInterval(() => {
        lease.renewLease().then(() => {
            renewedAt = Date.now();
        }, (error) => {
            if (released || lost)
                return;
            const problem = failure('renewing the lease on', name, error);
            // 409/412: the lease was broken or taken over. Otherwise it holds until it lapses.
            const status = error.statusCode;
            if (status === 409 || status === 412 || Date.now() - renewedAt >= leaseSeconds * 1000) {
                lost = problem;
                logger?.warning(`${problem.message}: another deploy may start before this one ends`);
            }
            else {
                logger?.warning(`${problem.message}; retrying`);
            }
        });
    }, options.renewEveryMs ?? (leaseSeconds * 1000) / 3);
    // A crashed deploy must not be kept alive by its renewal timer: the lease then lapses by itself.
    renewal.unref();
    return {
        name,
        leaseId,
        assertHeld() {
            if (lost)
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .DeployError */ .sH(`the deploy lock ${name} was lost: ${lost.message}`, 'Another deploy may have started meanwhile: re-run this one once it has finished.');
        },
        async release() {
            if (released)
                return;
            released = true;
            clearInterval(renewal);
            await recorded;
            await lease.releaseLease().catch((error) => {
                logger?.warning(`${failure('releasing', name, error).message} (it expires by itself within ${leaseSeconds} s)`);
            });
        }
    };
}
/** Release a lock a run took and could not give back (the post step, from the journal). */
async function releaseDeployLock(location, credential, leaseId, retry) {
    const { blob, name } = lockBlobOf(location, credential, retry);
    try {
        await blob.getBlobLeaseClient(leaseId).releaseLease();
        return 'released';
    }
    catch (error) {
        const code = errorCodeOf(error);
        // Lapsed, taken by another run, or never taken: nothing of ours to release.
        if (code === 'LeaseIdMismatchWithLeaseOperation' || code === 'LeaseNotPresentWithLeaseOperation' || code === 'BlobNotFound' || code === 'LeaseIdMismatch')
            return 'not-held';
        throw failure('releasing', name, error);
    }
}


/***/ })

};

//# sourceMappingURL=411.index.js.map