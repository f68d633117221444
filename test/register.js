// mocha's `require` (.mocharc.js), and `-r` of the child processes the specs start: ts-node,
// transpile-only as before, through a transpiler that keeps each file's JavaScript in
// node_modules/.cache/ts-node. Transpiling was about 3 s of CPU in every process that loads the
// stack program (each mocha worker, each child); an unchanged file is now read back instead.
// An entry holds for one file's exact text under one TypeScript version and one set of compiler
// options (all in its key); a file with syntax errors is never kept, so ts-node reports them.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE = path.join(__dirname, "..", "node_modules", ".cache", "ts-node");

/** ts-node's transpiler interface (ts-node/dist/transpilers/types.d.ts). */
function create({ service }) {
    const ts = service.projectLocalResolveHelper("typescript", true);
    const typescript = require(ts);
    const compilerOptions = service.config.options;
    const salt = `${typescript.version}\0${JSON.stringify(compilerOptions)}\0`;
    return {
        transpile(input, { fileName }) {
            const key = crypto.createHash("sha256").update(salt).update(fileName).update("\0").update(input).digest("hex");
            // one entry per source file, overwritten when the file changes: the cache stays as large as the project
            const entry = path.join(CACHE, `${crypto.createHash("sha256").update(fileName).digest("hex").slice(0, 32)}.json`);
            try {
                const hit = JSON.parse(fs.readFileSync(entry, "utf8"));
                if (hit.key === key) return { outputText: hit.outputText, sourceMapText: hit.sourceMapText };
            } catch {
                // no entry yet, or one being written by another process: transpile
            }
            const out = typescript.transpileModule(input, { fileName, compilerOptions, reportDiagnostics: true });
            if (!out.diagnostics?.length) {
                // written aside, then renamed: two mocha workers may write the same entry at once
                const tmp = `${entry}.${process.pid}.tmp`;
                try {
                    fs.mkdirSync(CACHE, { recursive: true });
                    fs.writeFileSync(tmp, JSON.stringify({ key, outputText: out.outputText, sourceMapText: out.sourceMapText }));
                    fs.renameSync(tmp, entry);
                } catch {
                    // a read-only node_modules: transpile every time, as ts-node does
                }
            }
            return out;
        },
    };
}

module.exports = { create };

require("ts-node").register({ transpileOnly: true, transpiler: __filename });
