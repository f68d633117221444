// The scripts pods run are files beside their component (components/<area>/<component>/),
// where they can be read, linted (shellcheck) and run by the specs; a component reads them
// once, at module load. stacks/build.js copies them into bin/ next to the JavaScript, so the
// same path, relative to the module, holds for the sources (tests) and for a deploy.
import * as fs from "fs";
import * as path from "path";

function read(dir: string, rel: string[]): string {
    return fs.readFileSync(path.join(dir, ...rel), "utf8");
}

/**
 * A script for a ConfigMap: the file with its shebang, without the comments that follow it
 * (`#` or `//`). Such a comment is for readers; in the ConfigMap it would be a change of data,
 * which pulumi-kubernetes makes a replacement, and the pods naming the ConfigMap would roll.
 */
export function scriptFile(dir: string, ...rel: string[]): string {
    const text = read(dir, rel);
    const shebang = /^#!.*\n/.exec(text)?.[0] ?? "";
    return shebang + text.slice(shebang.length).replace(/^(?:(?:#|\/\/).*\n)*/, "");
}

/**
 * A script for a container's `sh -c`: the file without its leading comments (shebang,
 * shellcheck directives, the why), which are for readers and linters; so the pod spec holds
 * the script alone, as it did when the script was a string, and no pod restarts for a comment.
 */
export function inlineScript(dir: string, ...rel: string[]): string {
    return read(dir, rel).replace(/^(?:#.*\n|\n)*/, "");
}
