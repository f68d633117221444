// Preloaded (NODE_OPTIONS=--require) by `npm run bench:cluster` into the processes a plain
// `pulumi preview` starts: when the language host's node process has loaded and evaluated
// the program (Pulumi.yaml's main, stacks/main.js), it writes the milliseconds since that
// process started to $LABS_STARTUP_PROBE. Other node processes are left alone.
"use strict";
const Module = require("module");
const fs = require("fs");
const out = process.env.LABS_STARTUP_PROBE;
if (out) {
    const load = Module._load;
    Module._load = function (request, parent) {
        const exported = load.apply(this, arguments);
        if (/(^|[\\/])main\.js$/.test(request) && parent && /cmd[\\/]run[\\/]run\.js$/.test(parent.filename)) {
            fs.writeFileSync(out, String(performance.now()));
            Module._load = load;
        }
        return exported;
    };
}
