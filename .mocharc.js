// mocha's configuration: `npx mocha`, and `npm test` (tools/test.sh, two parallel workers).
"use strict";
const fs = require("fs");
const path = require("path");

// The slowest spec files first, then the others: in parallel each file goes to the next free
// worker in this order, so no worker is left with a slow one at the end while the other waits.
// (A file named twice in `spec` runs twice in parallel mode, hence the list made here.)
const SLOW = ["newcomer", "stack", "build", "config", "sandbox-preflight", "credentials"].map((n) => `test/${n}.spec.ts`);
const all = fs
    .readdirSync(path.join(__dirname, "test"))
    .filter((f) => f.endsWith(".spec.ts"))
    .map((f) => `test/${f}`)
    .sort();
const spec = [...SLOW.filter((f) => all.includes(f)), ...all.filter((f) => !SLOW.includes(f))];

module.exports = {
    require: ["./test/register.js"],
    extension: ["ts"],
    spec,
    timeout: 60000,
    reporter: "test/reporter.js",
    // A mocked run keeps many of its objects alive until it ends; with 16 MB young-generation
    // halves (V8's default), scavenges took a third of its CPU. 64 MB: about 12 % less CPU in
    // the mock specs (mocha passes the flag on to its parallel workers).
    "node-option": ["max-semi-space-size=64"],
};
