// Used by stacks/main.js before every deploy: the TypeScript of stacks/ and components/ is
// transpiled file by file into bin/ (no type-check: `npm test` does that), only the files newer
// than their output. With nothing changed this costs a stat per file; `typescript` is not loaded.
"use strict";
const fs = require("fs");
const path = require("path");

const SOURCE_DIRS = ["stacks", "components"];

function tsFiles(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return tsFiles(p);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

function mtime(file) {
    try {
        return fs.statSync(file).mtimeMs;
    } catch {
        return -1;
    }
}

/** Transpiles every source newer than its output under `<root>/bin`; returns the sources it transpiled. */
function ensureBuilt(root) {
    const stale = SOURCE_DIRS.flatMap((d) => tsFiles(path.join(root, d)))
        .map((src) => ({ src, out: path.join(root, "bin", path.relative(root, src)).replace(/\.ts$/, ".js") }))
        .filter(({ src, out }) => mtime(out) < mtime(src));
    if (stale.length === 0) return [];
    const ts = require("typescript");
    const tsconfig = path.join(root, "tsconfig.json");
    const parsed = ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8"));
    if (parsed.error) throw new Error(`${tsconfig}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, "\n")}`);
    const { options } = ts.convertCompilerOptionsFromJson(parsed.config.compilerOptions, root);
    for (const { src, out } of stale) {
        const { outputText } = ts.transpileModule(fs.readFileSync(src, "utf8"), { compilerOptions: options, fileName: src });
        fs.mkdirSync(path.dirname(out), { recursive: true });
        // Students of a class deploy from one directory at once: write aside, then rename (atomic).
        const tmp = `${out}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, outputText);
        fs.renameSync(tmp, out);
    }
    return stale.map(({ src }) => path.relative(root, src));
}

module.exports = { ensureBuilt };
