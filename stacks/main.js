// Pulumi.yaml's `main`. A deploy runs JavaScript, not ts-node (which type-checked the whole
// program on every run): stacks/build.js brings bin/ up to date, then the program is loaded
// from there and its exports are the stack's outputs.
"use strict";
const path = require("path");
const { ensureBuilt } = require("./build");

const root = path.resolve(__dirname, "..");
ensureBuilt(root);
// Stack traces as V8 formats them. The SDK records one for every resource (its source
// position, with no frame limit) and every promise it makes; the source-map-support it
// installs maps each frame, which cost a tenth of the program's CPU in a no-change deploy.
// bin/ carries no source maps, so the program's own frames read the same either way; only
// the SDK's frames name its JavaScript instead of its TypeScript.
Error.prepareStackTrace = undefined;
module.exports = require(path.join(root, "bin", "stacks", "index.js"));
