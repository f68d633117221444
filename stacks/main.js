// Pulumi.yaml's `main`. A deploy runs JavaScript, not ts-node (which type-checked the whole
// program on every run): stacks/build.js brings bin/ up to date, then the program is loaded
// from there and its exports are the stack's outputs.
"use strict";
const path = require("path");
const { ensureBuilt } = require("./build");

const root = path.resolve(__dirname, "..");
ensureBuilt(root);
module.exports = require(path.join(root, "bin", "stacks", "index.js"));
