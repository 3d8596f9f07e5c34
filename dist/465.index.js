export const id = 465;
export const ids = [465,716];
export const modules = {

/***/ 73590:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cP: () => (/* binding */ readArchiveDirectory),
/* harmony export */   hv: () => (/* binding */ extractReleaseArchive),
/* harmony export */   nV: () => (/* binding */ ARCHIVE_FORMAT),
/* harmony export */   oC: () => (/* binding */ releaseArchiveSegments)
/* harmony export */ });
/* unused harmony exports ENTRY_MODE, createReleaseArchive */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(78474);
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_events__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(46466);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_5___default = /*#__PURE__*/__webpack_require__.n(node_stream_promises__WEBPACK_IMPORTED_MODULE_5__);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(57975);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_6___default = /*#__PURE__*/__webpack_require__.n(node_util__WEBPACK_IMPORTED_MODULE_6__);
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(38522);
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_7___default = /*#__PURE__*/__webpack_require__.n(node_zlib__WEBPACK_IMPORTED_MODULE_7__);
/* harmony import */ var yauzl__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(20663);
/* harmony import */ var _site_files_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(34555);
/**
 * The release zip: every file of a deployed site, kept so that `rollback-to` can put it back
 * without a build. Its bytes depend only on the files' paths and contents (entries in path
 * order, one fixed date and mode, no extra fields, no data descriptors, one compression level),
 * so an entry's bytes are the same in every release that holds that file: a new release reuses
 * the unchanged entries of the previous one (the storage copies them; see `ArchiveSegment`) and
 * only the changed files are compressed and sent.
 */










const ENTRY_MODE = 0o644;
/**
 * Fast deflate: the zip is written while the site uploads, on the same cores, and a release
 * is mostly code that level 1 already shrinks to about a third.
 */
const COMPRESSION_LEVEL = 1;
/**
 * What an entry's bytes depend on besides the file: this writer's layout and zlib's output at
 * the level. Entries of an archive of another format are never reused (its blob carries it).
 */
const ARCHIVE_FORMAT = `apd-zip/1 zlib/${process.versions.zlib} level/${COMPRESSION_LEVEL}`;
/** Formats that are compressed already: deflate would spend time to gain nothing. */
const STORED_EXTENSIONS = new Set([
    'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'heic', 'heif', 'jxl',
    'woff', 'woff2',
    'gz', 'tgz', 'br', 'zst', 'xz', 'bz2', 'zip', '7z', 'rar', 'jar', 'apk',
    'mp3', 'mp4', 'm4a', 'm4v', 'aac', 'ogg', 'oga', 'ogv', 'opus', 'flac', 'webm', 'mov', 'mkv'
]);
const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const UTF8_NAMES = 0x0800;
/** 1980-01-01 00:00, the earliest DOS date, for every entry. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** Made by Unix (3), spec 2.0: readers take the external attributes as a Unix mode. */
const MADE_BY = (3 << 8) | 20;
const EXTERNAL_ATTRIBUTES = ((0o100000 | ENTRY_MODE) << 16) >>> 0;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_BYTES = 22;
const ZIP64_END_BYTES = 56;
const ZIP64_LOCATOR_BYTES = 20;
const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;
/** Files compressed ahead of the one being written. */
const LOOK_AHEAD = 8;
const MIN_DEFLATE_CHUNK = 16 * 1024;
const MAX_DEFLATE_CHUNK = 16 * 1024 * 1024;
const deflate = (0,node_util__WEBPACK_IMPORTED_MODULE_6__.promisify)(node_zlib__WEBPACK_IMPORTED_MODULE_7__.deflateRaw);
const methodFor = (name) => (STORED_EXTENSIONS.has(name.slice(name.lastIndexOf('.') + 1).toLowerCase()) ? 0 : 8);
/** An entry's local header and name, then its data; and what its central directory record needs. */
async function writeEntry(file, content) {
    if (content.length > MAX_32)
        throw new Error(`${file.path} is ${content.length} bytes: files of 4 GiB or more cannot be kept in a release zip`);
    let method = methodFor(file.path);
    // One output buffer the size of the input: one trip to zlib's thread, not one per 16 KiB.
    let data = method === 8 ? await deflate(content, { level: COMPRESSION_LEVEL, chunkSize: Math.min(MAX_DEFLATE_CHUNK, Math.max(MIN_DEFLATE_CHUNK, content.length + 64)) }) : content;
    // Data that does not shrink is stored as it is: smaller, and nothing to inflate on a rollback.
    if (method === 8 && data.length >= content.length) {
        method = 0;
        data = content;
    }
    const name = Buffer.from(file.path, 'utf8');
    const header = Buffer.alloc(LOCAL_HEADER_BYTES + name.length);
    const checksum = (0,node_zlib__WEBPACK_IMPORTED_MODULE_7__.crc32)(content);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(UTF8_NAMES, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(checksum, 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(content.length, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    name.copy(header, LOCAL_HEADER_BYTES);
    return { entry: { name: file.path, crc32: checksum, size: content.length, compressedSize: data.length, method, length: header.length + data.length }, bytes: [header, data] };
}
/** The central directory and its end records for `entries` (in zip order), starting at `offset`. */
function centralDirectory(entries, offset) {
    const records = [];
    let size = 0;
    for (const entry of entries) {
        const name = Buffer.from(entry.name, 'utf8');
        const far = entry.offset >= MAX_32;
        const record = Buffer.alloc(CENTRAL_HEADER_BYTES + name.length + (far ? 12 : 0));
        record.writeUInt32LE(CENTRAL_HEADER, 0);
        record.writeUInt16LE(far ? (3 << 8) | 45 : MADE_BY, 4);
        record.writeUInt16LE(far ? 45 : 20, 6);
        record.writeUInt16LE(UTF8_NAMES, 8);
        record.writeUInt16LE(entry.method, 10);
        record.writeUInt16LE(DOS_TIME, 12);
        record.writeUInt16LE(DOS_DATE, 14);
        record.writeUInt32LE(entry.crc32, 16);
        record.writeUInt32LE(entry.compressedSize, 20);
        record.writeUInt32LE(entry.size, 24);
        record.writeUInt16LE(name.length, 28);
        record.writeUInt16LE(far ? 12 : 0, 30);
        record.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
        record.writeUInt32LE(far ? MAX_32 : entry.offset, 42);
        name.copy(record, CENTRAL_HEADER_BYTES);
        if (far) {
            // Zip64 extended information: only the offset overflows (entries are under 4 GiB).
            record.writeUInt16LE(0x0001, CENTRAL_HEADER_BYTES + name.length);
            record.writeUInt16LE(8, CENTRAL_HEADER_BYTES + name.length + 2);
            record.writeBigUInt64LE(BigInt(entry.offset), CENTRAL_HEADER_BYTES + name.length + 4);
        }
        records.push(record);
        size += record.length;
    }
    const zip64 = entries.length > MAX_16 || offset >= MAX_32 || size >= MAX_32;
    if (zip64) {
        const record = Buffer.alloc(ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES);
        record.writeUInt32LE(ZIP64_END_OF_DIRECTORY, 0);
        record.writeBigUInt64LE(BigInt(ZIP64_END_BYTES - 12), 4);
        record.writeUInt16LE((3 << 8) | 45, 12);
        record.writeUInt16LE(45, 14);
        record.writeBigUInt64LE(BigInt(entries.length), 24);
        record.writeBigUInt64LE(BigInt(entries.length), 32);
        record.writeBigUInt64LE(BigInt(size), 40);
        record.writeBigUInt64LE(BigInt(offset), 48);
        record.writeUInt32LE(ZIP64_LOCATOR, ZIP64_END_BYTES);
        record.writeBigUInt64LE(BigInt(offset + size), ZIP64_END_BYTES + 8);
        record.writeUInt32LE(1, ZIP64_END_BYTES + 16);
        records.push(record);
    }
    const end = Buffer.alloc(END_BYTES);
    end.writeUInt32LE(END_OF_DIRECTORY, 0);
    end.writeUInt16LE(Math.min(entries.length, MAX_16), 8);
    end.writeUInt16LE(Math.min(entries.length, MAX_16), 10);
    end.writeUInt32LE(Math.min(size, MAX_32), 12);
    end.writeUInt32LE(Math.min(offset, MAX_32), 16);
    records.push(end);
    return Buffer.concat(records);
}
/**
 * The release zip of `files` as segments, in order. With `previous`, a file whose path, MD5,
 * size and CRC-32 match an entry of the previous release is not compressed again: that entry's
 * bytes are copied (runs of them in one segment). Files are read (from `contents`, else from
 * disk) and compressed a few ahead of the one being written, on zlib's threads; the consumer
 * sets the pace. Returns what was written.
 */
async function* releaseArchiveSegments(files, contents, previous) {
    const sorted = [...files].sort(_site_files_js__WEBPACK_IMPORTED_MODULE_9__/* .byPath */ .f2);
    const prepare = async (file) => {
        const content = await contents.read(file);
        const before = previous?.entries.get(file.path);
        if (before && previous?.md5s.get(file.path) === file.md5 && before.size === content.length && before.crc32 === (0,node_zlib__WEBPACK_IMPORTED_MODULE_7__.crc32)(content))
            return { reuse: before };
        return { written: await writeEntry(file, content) };
    };
    const pending = [];
    let next = 0;
    const fill = () => {
        while (pending.length < LOOK_AHEAD && next < sorted.length) {
            const started = prepare(sorted[next++]);
            // Handled when its turn comes; until then a failure must not count as unhandled.
            started.catch(() => undefined);
            pending.push(started);
        }
    };
    const entries = [];
    let offset = 0;
    let reused = 0;
    let copy;
    try {
        for (fill(); pending.length > 0; fill()) {
            const prepared = await pending.shift();
            if ('reuse' in prepared) {
                const { reuse } = prepared;
                entries.push({ ...reuse, offset });
                reused++;
                if (copy && copy.end === reuse.offset)
                    copy.end += reuse.length;
                else {
                    if (copy)
                        yield { copy };
                    copy = { start: reuse.offset, end: reuse.offset + reuse.length };
                }
                offset += reuse.length;
                continue;
            }
            if (copy) {
                yield { copy };
                copy = undefined;
            }
            entries.push({ ...prepared.written.entry, offset });
            offset += prepared.written.entry.length;
            for (const bytes of prepared.written.bytes)
                if (bytes.length > 0)
                    yield { bytes };
        }
        if (copy)
            yield { copy };
    }
    finally {
        // Stopped early (a failure downstream): nothing is left running unobserved.
        await Promise.allSettled(pending);
    }
    const directory = centralDirectory(entries, offset);
    yield { bytes: directory };
    return { entries: entries.length, reused, bytes: offset + directory.length };
}
/**
 * Pure: the entries of a zip this module wrote, from the end of it (`tail`: its last bytes,
 * the whole central directory among them; `size`: the whole zip's). Undefined when the tail
 * does not hold the whole directory, or it is not laid out as this module lays it out: entries
 * back to back from the start, with its flags, date and mode, without comments.
 */
function readArchiveDirectory(tail, size) {
    if (tail.length < END_BYTES || tail.readUInt32LE(tail.length - END_BYTES) !== END_OF_DIRECTORY)
        return undefined;
    const end = tail.length - END_BYTES;
    let count = tail.readUInt16LE(end + 10);
    let directorySize = tail.readUInt32LE(end + 12);
    let directoryOffset = tail.readUInt32LE(end + 16);
    let directoryEnd = size - END_BYTES;
    if (end >= ZIP64_LOCATOR_BYTES && tail.readUInt32LE(end - ZIP64_LOCATOR_BYTES) === ZIP64_LOCATOR) {
        const record = end - ZIP64_LOCATOR_BYTES - ZIP64_END_BYTES;
        if (record < 0 || tail.readUInt32LE(record) !== ZIP64_END_OF_DIRECTORY)
            return undefined;
        count = Number(tail.readBigUInt64LE(record + 32));
        directorySize = Number(tail.readBigUInt64LE(record + 40));
        directoryOffset = Number(tail.readBigUInt64LE(record + 48));
        directoryEnd -= ZIP64_LOCATOR_BYTES + ZIP64_END_BYTES;
    }
    if (directoryOffset + directorySize !== directoryEnd)
        return undefined;
    const start = tail.length - (size - directoryOffset);
    if (start < 0)
        return { needBytes: size - directoryOffset };
    const entries = [];
    let at = start;
    let expectedOffset = 0;
    for (let i = 0; i < count; i++) {
        if (at + CENTRAL_HEADER_BYTES > tail.length || tail.readUInt32LE(at) !== CENTRAL_HEADER)
            return undefined;
        const method = tail.readUInt16LE(at + 10);
        const compressedSize = tail.readUInt32LE(at + 20);
        const nameLength = tail.readUInt16LE(at + 28);
        const extraLength = tail.readUInt16LE(at + 30);
        const commentLength = tail.readUInt16LE(at + 32);
        let offset = tail.readUInt32LE(at + 42);
        if (offset === MAX_32 && extraLength >= 12 && tail.readUInt16LE(at + CENTRAL_HEADER_BYTES + nameLength) === 0x0001) {
            offset = Number(tail.readBigUInt64LE(at + CENTRAL_HEADER_BYTES + nameLength + 4));
        }
        const name = tail.toString('utf8', at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength);
        const length = LOCAL_HEADER_BYTES + Buffer.byteLength(name, 'utf8') + compressedSize;
        const ours = tail.readUInt16LE(at + 8) === UTF8_NAMES &&
            tail.readUInt16LE(at + 12) === DOS_TIME &&
            tail.readUInt16LE(at + 14) === DOS_DATE &&
            tail.readUInt32LE(at + 38) === EXTERNAL_ATTRIBUTES &&
            (method === 0 || method === 8) &&
            commentLength === 0 &&
            offset === expectedOffset;
        if (!ours)
            return undefined;
        entries.push({ name, crc32: tail.readUInt32LE(at + 16), size: tail.readUInt32LE(at + 24), compressedSize, method, offset, length });
        expectedOffset += length;
        at += CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;
    }
    if (expectedOffset !== directoryOffset)
        return undefined;
    return { entries };
}
/**
 * Write the release zip of `files` to a local file: the same bytes as the one a deploy keeps
 * (with `previous` and the previous zip's file, reused entries are copied from it).
 */
async function createReleaseArchive(outputDir, files, destinationFile, options = {}) {
    const sha256 = createHash('sha256');
    let bytes = 0;
    const out = createWriteStream(destinationFile);
    const previousZip = options.previous ? await open(options.previous.file, 'r') : undefined;
    const write = async (chunk) => {
        sha256.update(chunk);
        bytes += chunk.length;
        if (!out.write(chunk))
            await once(out, 'drain');
    };
    try {
        const segments = releaseArchiveSegments(files, options.contents ?? new SiteContents(0), options.previous);
        let step = await segments.next();
        for (; !step.done; step = await segments.next()) {
            const segment = step.value;
            if ('bytes' in segment) {
                await write(segment.bytes);
            }
            else {
                const copied = Buffer.alloc(segment.copy.end - segment.copy.start);
                await previousZip.read(copied, 0, copied.length, segment.copy.start);
                await write(copied);
            }
        }
        out.end();
        await once(out, 'finish');
        return { ...step.value, path: destinationFile, bytes, sha256: sha256.digest('hex') };
    }
    catch (error) {
        out.destroy();
        await rm(destinationFile, { force: true });
        throw new Error(`Could not write the release archive of ${outputDir} to ${destinationFile}: ${error.message}`, { cause: error });
    }
    finally {
        await previousZip?.close();
    }
}
/**
 * Unpack a release archive into an empty folder, for a rollback. yauzl checks each entry's
 * CRC and refuses absolute or `..` names, so an archive cannot write outside `destination`.
 */
async function extractReleaseArchive(zipFile, destination) {
    const zip = await yauzl__WEBPACK_IMPORTED_MODULE_8__.openPromise(zipFile, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
    try {
        for await (const entry of zip.eachEntry()) {
            if (entry.fileName.endsWith('/'))
                continue;
            const target = node_path__WEBPACK_IMPORTED_MODULE_3___default().join(destination, entry.fileName);
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdir)(node_path__WEBPACK_IMPORTED_MODULE_3___default().dirname(target), { recursive: true });
            await (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_5__.pipeline)(await zip.openReadStreamPromise(entry), (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createWriteStream)(target, { flags: 'wx' }));
        }
    }
    finally {
        zip.close();
    }
}


/***/ }),

/***/ 55465:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   blobEndpointFor: () => (/* binding */ blobEndpointFor),
/* harmony export */   createSiteStore: () => (/* binding */ createSiteStore),
/* harmony export */   describeStaticWebsite: () => (/* binding */ describeStaticWebsite),
/* harmony export */   parseBlobListing: () => (/* binding */ parseBlobListing),
/* harmony export */   siteStoreFor: () => (/* binding */ siteStoreFor)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(20690);
/* harmony import */ var _azure_storage_blob__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(64981);
/* harmony import */ var zod__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(38816);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(83916);
/* harmony import */ var _site_files_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(34555);
/* harmony import */ var _parallel_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(73716);
/* harmony import */ var _archive_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(73590);
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
/** Blocks of a release zip: bytes staged in this size, copies in at most this size. */
const ARCHIVE_BLOCK_BYTES = 4 * 1024 * 1024;
const ARCHIVE_COPY_BYTES = 100 * 1024 * 1024;
const ARCHIVE_COPY_CONCURRENCY = 4;
/** Blob metadata that says which format a release zip is in. */
const FORMAT_METADATA = 'apdformat';
/** The read link of a server-side copy: long enough for a slow deploy, no longer. */
const COPY_LINK_MS = 60 * 60 * 1000;
/** The end of a zip read in one go: its central directory for about 10,000 files. */
const ARCHIVE_TAIL_BYTES = 1024 * 1024;
/** The service version of the requests made without the SDK (any since 2019 answers them the same way). */
const API_VERSION = '2024-11-04';
const STORAGE_SCOPE = 'https://storage.azure.com/.default';
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
const manifestSchema = zod__WEBPACK_IMPORTED_MODULE_7__/* .object */ .Ikc({
    commit: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP().regex(/^[0-9a-f]{40}$/),
    deployedAt: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP(),
    archive: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP().optional(),
    files: zod__WEBPACK_IMPORTED_MODULE_7__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_7__/* .object */ .Ikc({ path: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP(), md5: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP(), size: zod__WEBPACK_IMPORTED_MODULE_7__/* .number */ .aig() })),
    pending: zod__WEBPACK_IMPORTED_MODULE_7__/* .object */ .Ikc({ commit: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP().regex(/^[0-9a-f]{40}$/), startedAt: zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP(), replaced: zod__WEBPACK_IMPORTED_MODULE_7__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_7__/* .string */ .YjP()) }).optional()
});
/** The service's error code: on the error for most calls, only in its details for a failed download. */
const errorCodeOf = (error) => error.code ?? error.details?.errorCode;
const XML_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (text) => text.includes('&') ? text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name) => (name[0] === '#' ? String.fromCodePoint(name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1))) : (XML_ENTITIES[name] ?? entity))) : text;
const BLOB_ELEMENT = /<Blob>([\s\S]*?)<\/Blob>/g;
const NAME_ELEMENT = /^\s*<Name( Encoded="true")?>([^<]*)<\/Name>/;
const propertyElement = (name) => new RegExp(`<${name}>([^<]*)</${name}>`);
const CONTENT_LENGTH = propertyElement('Content-Length');
const CONTENT_TYPE = propertyElement('Content-Type');
const CONTENT_MD5 = propertyElement('Content-MD5');
const CACHE_CONTROL = propertyElement('Cache-Control');
const NEXT_MARKER = /<NextMarker>([^<]+)<\/NextMarker>/;
/**
 * Pure: one page of a flat List Blobs answer, read for the four properties the planner
 * compares. A site's listing is thousands of blobs with twenty properties each: reading only
 * these is many times faster than a general XML parser, and it is on every deploy's path.
 */
function parseBlobListing(xml) {
    const blobs = [];
    for (const [, body = ''] of xml.matchAll(BLOB_ELEMENT)) {
        const name = NAME_ELEMENT.exec(body);
        if (!name)
            throw new Error(`a blob of the listing has no name: ${body.slice(0, 200)}`);
        // Names with characters XML cannot carry come percent-encoded, marked Encoded="true".
        const path = name[1] ? decodeURIComponent(name[2]) : decodeXml(name[2]);
        const text = (element) => {
            const found = element.exec(body)?.[1];
            return found ? decodeXml(found) : undefined;
        };
        blobs.push({ path, md5: text(CONTENT_MD5), contentType: text(CONTENT_TYPE), cacheControl: text(CACHE_CONTROL), size: Number(text(CONTENT_LENGTH) ?? 0) });
    }
    const marker = NEXT_MARKER.exec(xml)?.[1];
    return { blobs, nextMarker: marker ? decodeXml(marker) : undefined };
}
function createSiteStore(options) {
    // Every call bounded: a try that hangs is given up after tryTimeoutInMs and retried.
    const pipeline = {
        retryOptions: { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 120_000, ...options.retry }
    };
    const service = new _azure_storage_blob__WEBPACK_IMPORTED_MODULE_3__/* .BlobServiceClient */ .wS(options.blobEndpoint, options.credential, pipeline);
    const account = service.accountName;
    const site = service.getContainerClient(options.container);
    const archive = service.getContainerClient(options.archiveContainer);
    const prefix = options.statePrefix ?? '';
    const singleShotBytes = options.singleShotBytes ?? SINGLE_SHOT_BYTES;
    const where = (container, blob) => `${account}/${container.containerName}${blob === undefined ? '' : `/${blob}`}`;
    /** A storage error as the user should read it: what, where, the service's code, and what to change. */
    function failure(action, target, error) {
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH)
            return error;
        const storage = error;
        if (storage.syscall) {
            return new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`${action} ${target} failed: ${storage.message}`, 'Something changed the build output while the deploy ran: make sure no other step writes to it, then re-run.');
        }
        const code = errorCodeOf(error);
        const status = storage.statusCode;
        const firstLine = (storage.message ?? String(error)).split('\n')[0];
        const message = `${action} ${target} failed: ${status ? `${status} ` : ''}${code ? `${code}: ` : ''}${firstLine}`;
        return new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(message, hintFor(status, code, target));
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
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`${absolute} changed while the deploy ran (${size} bytes when hashed, ${actualSize} now).`, 'Make sure nothing writes to the build output during the deploy.');
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
    // The two requests a site sync makes by the thousand, the listing and the small uploads, go
    // through Azure's standard pipeline (retries, proxy, bearer token) without the SDK's general
    // serializers: on a runner's two cores their CPU is taken from the uploads themselves.
    const retry = { maxTries: 4, retryDelayInMs: 800, maxRetryDelayInMs: 15_000, tryTimeoutInMs: 120_000, ...options.retry };
    const lean = (0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_2__/* .createPipelineFromOptions */ .Fp)({ retryOptions: { maxRetries: retry.maxTries - 1, retryDelayInMs: retry.retryDelayInMs, maxRetryDelayInMs: retry.maxRetryDelayInMs } });
    lean.addPolicy((0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_2__/* .bearerTokenAuthenticationPolicy */ .N$)({ credential: options.credential, scopes: STORAGE_SCOPE }));
    const leanClient = (0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_2__/* .createDefaultHttpClient */ .fl)();
    /** One request; an answer other than `expected` throws what `failure` reads: status, the service's code, its message. */
    const send = async (method, url, expected, headers, body) => {
        const request = (0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_2__/* .createPipelineRequest */ .G6)({ url, method, body, timeout: retry.tryTimeoutInMs, headers: (0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_2__/* .createHttpHeaders */ .Nc)({ 'x-ms-version': API_VERSION, ...headers }) });
        const response = await lean.sendRequest(leanClient, request);
        if (response.status !== expected) {
            const message = /<Message>([^<]*)<\/Message>/.exec(response.bodyAsText ?? '')?.[1];
            throw Object.assign(new Error(message ? decodeXml(message) : `${response.status} from ${method} ${url.split('?')[0]}`), { statusCode: response.status, code: response.headers.get('x-ms-error-code') });
        }
        return response;
    };
    const listSite = async () => attempt('listing', where(site), async () => {
        const blobs = [];
        let marker;
        do {
            const url = `${site.url}?restype=container&comp=list&maxresults=${options.listPageSize ?? 5000}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`;
            const response = await send('GET', url, 200, { accept: 'application/xml' });
            const page = parseBlobListing(response.bodyAsText ?? '');
            blobs.push(...page.blobs);
            marker = page.nextMarker;
        } while (marker);
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
                if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH && /ContainerNotFound/.test(error.message))
                    return undefined;
                throw error;
            }
        },
        listSite,
        async upload(file, headers, contents) {
            const blob = site.getBlockBlobClient(file.path);
            const blobHTTPHeaders = { blobContentType: headers.contentType, blobCacheControl: headers.cacheControl };
            await attempt('uploading', where(site, file.path), async () => {
                if (!contents || file.size > singleShotBytes)
                    return putFile(blob, file.absolute, file.size, file.md5, blobHTTPHeaders);
                // The bytes as hashed, in one Put Blob the service checks against their MD5, which it keeps.
                const body = await contents.read(file);
                await send('PUT', blob.url, 201, {
                    'x-ms-blob-type': 'BlockBlob',
                    'content-type': 'application/octet-stream',
                    'content-md5': file.md5,
                    'x-ms-blob-content-md5': file.md5,
                    'x-ms-blob-content-type': headers.contentType,
                    'x-ms-blob-cache-control': headers.cacheControl
                }, body);
            });
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
            await (0,_parallel_js__WEBPACK_IMPORTED_MODULE_8__/* .inParallel */ .H)(batches, PARALLEL_BATCHES, async (batch) => {
                const clients = batch.map(path => site.getBlobClient(path));
                const pathByUrl = new Map(clients.map((client, index) => [client.url, batch[index]]));
                const response = await attempt('deleting blobs from', where(site), () => batchClient.deleteBlobs(clients));
                // A blob already gone is what we wanted; anything else is a failure.
                const failed = response.subResponses.filter(sub => sub.status >= 300 && sub.status !== 404);
                if (failed.length > 0) {
                    const first = failed[0];
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`deleting ${failed.length} of ${batch.length} blobs from ${where(site)} failed; the first: ${pathByUrl.get(first._request.url) ?? first._request.url}: ${first.status} ${first.errorCode ?? first.statusMessage}`, first.status === 403 ? hintFor(403, first.errorCode, where(site)) : undefined);
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
                const { md5, size } = await (0,_site_files_js__WEBPACK_IMPORTED_MODULE_5__/* .digest */ .br)(file);
                await putFile(archive.getBlockBlobClient(blobName), file, size, md5, { blobContentType: 'application/zip' });
            });
        },
        async readArchive(name) {
            const blob = archive.getBlobClient(`${prefix}${name}`);
            let properties;
            try {
                properties = await blob.getProperties();
            }
            catch (error) {
                const code = errorCodeOf(error);
                if (code === 'BlobNotFound' || code === 'ContainerNotFound')
                    return undefined;
                throw failure('reading', where(archive, blob.name), error);
            }
            const size = properties.contentLength ?? 0;
            if (properties.metadata?.[FORMAT_METADATA] !== _archive_js__WEBPACK_IMPORTED_MODULE_6__/* .ARCHIVE_FORMAT */ .nV || !properties.etag || size === 0)
                return undefined;
            const conditions = { ifMatch: properties.etag };
            const read = async (bytes) => attempt('reading', where(archive, blob.name), () => blob.downloadToBuffer(size - bytes, bytes, { conditions }));
            let directory = (0,_archive_js__WEBPACK_IMPORTED_MODULE_6__/* .readArchiveDirectory */ .cP)(await read(Math.min(size, ARCHIVE_TAIL_BYTES)), size);
            if (directory && 'needBytes' in directory)
                directory = (0,_archive_js__WEBPACK_IMPORTED_MODULE_6__/* .readArchiveDirectory */ .cP)(await read(directory.needBytes), size);
            if (!directory || 'needBytes' in directory)
                return undefined;
            return { name, entries: directory.entries };
        },
        async writeArchive(name, segments, { previous, concurrency = () => BLOCK_CONCURRENCY, signal } = {}) {
            await ensureArchiveContainer();
            const blobName = `${prefix}${name}`;
            const blob = archive.getBlockBlobClient(blobName);
            const ids = [];
            // Block ids of this write alone (a run of the same commit may write the same blob at once), all of one length.
            const writer = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)().replaceAll('-', '').slice(0, 13);
            const staging = new Set();
            let failed;
            const md5 = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('md5');
            let sentBytes = 0;
            const nextId = () => {
                const id = Buffer.from(`${writer}-${String(ids.length).padStart(6, '0')}`).toString('base64');
                ids.push(id);
                return id;
            };
            /** Copies, in zip order, each with its block id: made once the bytes are staged. */
            const copies = [];
            /** Starts one block once fewer than `concurrency()` are in flight; the first failure stops the rest. */
            const stage = async (request) => {
                while (staging.size >= Math.max(1, concurrency()))
                    await Promise.race(staging);
                if (failed)
                    throw failed;
                signal?.throwIfAborted();
                const id = nextId();
                const done = attempt('writing', where(archive, blobName), () => request(id)).then(() => void staging.delete(done), error => {
                    staging.delete(done);
                    failed ??= error;
                });
                staging.add(done);
            };
            /** A read-only link to the previous zip, for the storage to copy from. */
            const copySource = async () => {
                const previousBlob = archive.getBlobClient(`${prefix}${previous.name}`);
                const startsOn = new Date(Date.now() - 5 * 60 * 1000);
                const expiresOn = new Date(Date.now() + COPY_LINK_MS);
                const key = await attempt('asking a user delegation key of', account, () => service.getUserDelegationKey(startsOn, expiresOn));
                const sas = (0,_azure_storage_blob__WEBPACK_IMPORTED_MODULE_3__/* .generateBlobSASQueryParameters */ .WJ)({ containerName: archive.containerName, blobName: previousBlob.name, permissions: _azure_storage_blob__WEBPACK_IMPORTED_MODULE_3__/* .BlobSASPermissions */ .vD.parse('r'), startsOn, expiresOn }, key, account);
                if (sas.signature)
                    options.setSecret?.(sas.signature);
                return `${previousBlob.url}?${sas.toString()}`;
            };
            let pending = [];
            let pendingBytes = 0;
            const flush = async () => {
                if (pendingBytes === 0)
                    return;
                const body = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
                pending = [];
                pendingBytes = 0;
                const transactionalContentMD5 = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('md5').update(body).digest();
                sentBytes += body.length;
                await stage(id => blob.stageBlock(id, body, body.length, { transactionalContentMD5 }));
            };
            let step = await segments.next();
            try {
                for (; !step.done; step = await segments.next()) {
                    const segment = step.value;
                    if ('bytes' in segment) {
                        md5.update(segment.bytes);
                        pending.push(segment.bytes);
                        pendingBytes += segment.bytes.length;
                        if (pendingBytes >= ARCHIVE_BLOCK_BYTES)
                            await flush();
                        continue;
                    }
                    if (!previous)
                        throw new Error('a copy from the previous release, but none was named');
                    await flush();
                    for (let start = segment.copy.start; start < segment.copy.end; start += ARCHIVE_COPY_BYTES) {
                        copies.push({ id: nextId(), start, count: Math.min(ARCHIVE_COPY_BYTES, segment.copy.end - start) });
                    }
                }
                await flush();
                await Promise.all(staging);
                if (failed)
                    throw failed;
                if (copies.length > 0) {
                    signal?.throwIfAborted();
                    const url = await copySource();
                    await (0,_parallel_js__WEBPACK_IMPORTED_MODULE_8__/* .inParallel */ .H)(copies, ARCHIVE_COPY_CONCURRENCY, async ({ id, start, count }) => {
                        signal?.throwIfAborted();
                        await attempt('writing', where(archive, blobName), () => blob.stageBlockFromURL(id, url, start, count));
                    });
                }
            }
            catch (error) {
                // Let the generator finish what it started, then report the first cause.
                await segments.return({ entries: 0, reused: 0, bytes: 0 }).catch(() => undefined);
                await Promise.allSettled(staging);
                throw failed ?? error;
            }
            signal?.throwIfAborted();
            const wholeMd5 = copies.length > 0 ? undefined : md5.digest();
            await attempt('writing', where(archive, blobName), () => blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: 'application/zip', ...(wholeMd5 ? { blobContentMD5: wholeMd5 } : {}) }, metadata: { [FORMAT_METADATA]: _archive_js__WEBPACK_IMPORTED_MODULE_6__/* .ARCHIVE_FORMAT */ .nV } }));
            return { ...step.value, sentBytes, md5: wholeMd5?.toString('base64') };
        },
        async downloadArchive(name, destination) {
            const blobName = `${prefix}${name}`;
            try {
                await archive.getBlobClient(blobName).downloadToFile(destination);
            }
            catch (error) {
                const code = errorCodeOf(error);
                if (code === 'BlobNotFound' || code === 'ContainerNotFound') {
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`the release archive ${where(archive, blobName)} does not exist.`, 'It may have been pruned: only the last releases are kept. Pick a commit that is still archived, or deploy it by pushing again.');
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
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .DeployError */ .sH(`the deployed-state manifest ${where(archive, manifestBlob.name)} is not valid: ${error.message.split('\n')[0]}`, 'Delete it: the next deploy writes a new one (until then every part counts as changed).');
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
function siteStoreFor(site, azure, logger, setSecret) {
    return createSiteStore({
        setSecret,
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
/* harmony export */   Og: () => (/* binding */ SiteContents),
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
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(58500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(83916);
/* harmony import */ var _parallel_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(73716);
/* harmony import */ var _workspace_path_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(59152);








/** Large files hashed at once, as streams: enough to keep two cores busy without running out of file handles. */
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
            const absolute = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(dir, dirent.name);
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
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .DeployError */ .sH(`The build output has a symlink loop: ${relative} links back to a folder above it.`, 'Remove the link from the build output.');
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
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .DeployError */ .sH(`The build output has a symlink that points to nothing: ${relative}.`, 'Remove the link from the build output, or make the build copy the file it should publish.');
    }
    if ((0,_workspace_path_js__WEBPACK_IMPORTED_MODULE_6__/* .isOutside */ ._K)(root, target)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .DeployError */ .sH(`The build output has a symlink that points outside it: ${relative} → ${target}.`, 'Make the build copy that file into its output folder instead of linking it: only files inside the output are published.');
    }
    return target;
}
/**
 * The bytes of the site's files as they were hashed, kept in memory up to a budget so that the
 * upload and the release zip do not read them again; anything over it is read from the file
 * when asked for.
 */
class SiteContents {
    #kept = new Map();
    #bytesLeft;
    constructor(budgetBytes = DEFAULT_KEEP_BYTES) {
        this.#bytesLeft = budgetBytes;
    }
    /** Keeps `content` when it fits the budget. */
    keep(absolute, content) {
        if (content.length > this.#bytesLeft || content.length > MAX_KEPT_FILE_BYTES)
            return;
        this.#kept.set(absolute, content);
        this.#bytesLeft -= content.length;
    }
    /** The file's bytes as hashed, or read now (and checked against the size it was hashed at). */
    async read(file) {
        const kept = this.#kept.get(file.absolute);
        if (kept)
            return kept;
        const content = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readFile)(file.absolute);
        if (content.length !== file.size)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .DeployError */ .sH(`${file.absolute} changed while the deploy ran (${file.size} bytes when hashed, ${content.length} now).`, 'Make sure nothing writes to the build output during the deploy.');
        return content;
    }
    /** Lets go of what is kept (the upload and the zip are done with it). */
    clear() {
        this.#kept.clear();
    }
}
/** Up to this much of a site stays in memory between hashing and upload. */
const DEFAULT_KEEP_BYTES = 256 * 1024 * 1024;
/** Files larger than this are hashed as streams and never kept. */
const MAX_KEPT_FILE_BYTES = 16 * 1024 * 1024;
/** The site's files with their sizes and MD5s, each read once. */
async function listSiteFiles(outputDir, contents) {
    return hashOutputFiles(await listOutputFiles(outputDir), contents);
}
/**
 * Sizes and MD5s of output files already listed, each read once, whole, its bytes kept in
 * `contents` for the upload and the zip. Small files are read with plain synchronous calls, in
 * slices that give the event loop a turn: for thousands of small files that is several times
 * faster than a round trip through the thread pool per call. Large ones are streamed.
 */
async function hashOutputFiles(entries, contents) {
    const files = new Array(entries.length);
    const large = [];
    let sliceBytes = 0;
    for (const [index, entry] of entries.entries()) {
        const content = readSmall(entry.absolute);
        if (!content) {
            large.push(index);
            continue;
        }
        contents?.keep(entry.absolute, content);
        files[index] = { ...entry, size: content.length, md5: (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('md5').update(content).digest('base64') };
        sliceBytes += content.length + SLICE_FILE_COST;
        if (sliceBytes >= SLICE_BYTES) {
            sliceBytes = 0;
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_3__.setImmediate)();
        }
    }
    await (0,_parallel_js__WEBPACK_IMPORTED_MODULE_7__/* .inParallel */ .H)(large, HASH_CONCURRENCY, async (index) => {
        const entry = entries[index];
        files[index] = { ...entry, ...(await digest(entry.absolute)) };
    });
    return files;
}
/** Read synchronously between two turns of the event loop: a few milliseconds' worth. */
const SLICE_BYTES = 4 * 1024 * 1024;
/** What opening, reading and closing a file costs, in bytes read. */
const SLICE_FILE_COST = 64 * 1024;
/**
 * A file's bytes when it is small enough to keep, read up to the size its stat gave (fewer if
 * it shrank meanwhile): what is hashed is what is uploaded and zipped, so the stored Content-MD5
 * always matches the stored bytes. Undefined for a large file.
 */
function readSmall(file) {
    const fd = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.openSync)(file, 'r');
    try {
        const size = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.fstatSync)(fd).size;
        if (size > MAX_KEPT_FILE_BYTES)
            return undefined;
        const buffer = Buffer.allocUnsafe(size);
        let filled = 0;
        while (filled < size) {
            const bytesRead = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readSync)(fd, buffer, filled, size - filled, filled);
            if (bytesRead === 0)
                break;
            filled += bytesRead;
        }
        return filled === size ? buffer : buffer.subarray(0, filled);
    }
    finally {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.closeSync)(fd);
    }
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

//# sourceMappingURL=465.index.js.map