// Used by stacks/main.js before every deploy: the TypeScript of stacks/ and components/ is
// transpiled file by file into bin/ (no type-check: `npm test` does that), only the files newer
// than their output. With nothing changed this costs a stat per file; `typescript` is not loaded.
// The other files of components/ (the scripts pods run, read by the components at load time)
// are copied beside the JavaScript, the same way: only those newer than their copy.
"use strict";
const fs = require("fs");
const path = require("path");

const SOURCE_DIRS = ["stacks", "components"];
const ASSET_DIRS = ["components"];

function files(dir, keep) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return files(p, keep);
        return keep(e.name) ? [p] : [];
    });
}
const isTs = (name) => name.endsWith(".ts");
const tsFiles = (dir) => files(dir, (name) => isTs(name) && !name.endsWith(".d.ts"));
const assetFiles = (dir) => files(dir, (name) => !isTs(name));

/** Writes aside, then renames (atomic): students of a class deploy from one directory at once. */
function writeAtomic(out, content) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, out);
}

function mtime(file) {
    try {
        return fs.statSync(file).mtimeMs;
    } catch {
        return -1;
    }
}

/**
 * Transpiles every source newer than its output under `<root>/bin`, and copies every asset
 * newer than its copy; returns the files it transpiled or copied.
 */
function ensureBuilt(root) {
    const staleAssets = ASSET_DIRS.flatMap((d) => assetFiles(path.join(root, d)))
        .map((src) => ({ src, out: path.join(root, "bin", path.relative(root, src)) }))
        .filter(({ src, out }) => mtime(out) < mtime(src));
    for (const { src, out } of staleAssets) writeAtomic(out, fs.readFileSync(src));
    const copied = staleAssets.map(({ src }) => path.relative(root, src));
    const stale = SOURCE_DIRS.flatMap((d) => tsFiles(path.join(root, d)))
        .map((src) => ({ src, out: path.join(root, "bin", path.relative(root, src)).replace(/\.ts$/, ".js") }))
        .filter(({ src, out }) => mtime(out) < mtime(src));
    if (stale.length === 0) return copied;
    const ts = require("typescript");
    const tsconfig = path.join(root, "tsconfig.json");
    const parsed = ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8"));
    if (parsed.error) throw new Error(`${tsconfig}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, "\n")}`);
    const { options } = ts.convertCompilerOptionsFromJson(parsed.config.compilerOptions, root);
    for (const { src, out } of stale) {
        const { outputText } = ts.transpileModule(fs.readFileSync(src, "utf8"), { compilerOptions: options, fileName: src });
        writeAtomic(out, outputText);
    }
    return [...copied, ...stale.map(({ src }) => path.relative(root, src))];
}

module.exports = { ensureBuilt };
