// The scripts pods run are files beside their components (components/shared/scripts.ts).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inlineScript, scriptFile } from "../components/shared/scripts";
import { REPO_ROOT } from "../tools/mock-runtime";

const shellScripts = () =>
    fs
        .readdirSync(path.join(REPO_ROOT, "components"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".sh"))
        .map((f) => path.join(REPO_ROOT, "components", f));

describe("scripts pods run (components/**/*.sh, *.js)", () => {
    it("pass shellcheck", function () {
        if (spawnSync("shellcheck", ["--version"]).error) this.skip();
        const files = shellScripts();
        assert.ok(files.length >= 7, files.join());
        const r = spawnSync("shellcheck", files, { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });

    it("go into a pod's sh -c without their leading comments, and into a ConfigMap with their shebang only", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scripts-"));
        const body = 'set -eu\n# a comment inside stays\necho "$1"\n';
        fs.writeFileSync(path.join(dir, "s.sh"), `#!/bin/sh\n# shellcheck disable=SC3028\n# why it exists\n\n${body}`);
        assert.strictEqual(inlineScript(dir, "s.sh"), body);
        // blank lines stay: the ConfigMap holds what the program sent when the script was a string
        assert.strictEqual(scriptFile(dir, "s.sh"), `#!/bin/sh\n\n${body}`);
        fs.writeFileSync(path.join(dir, "s.js"), `// why it exists\n// more\n\nconst a = 1;\n// inside\n`);
        assert.strictEqual(scriptFile(dir, "s.js"), "\nconst a = 1;\n// inside\n");
        fs.rmSync(dir, { recursive: true });
    });
});
