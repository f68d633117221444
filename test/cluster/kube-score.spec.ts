// kube-score (built with the control plane by sandbox/cluster/toolchain.sh) over the rendered
// dev and nfs stacks: no CRITICAL finding. A check that does not fit a lab is switched off
// with its reason, per object (annotation `kube-score/ignore`, set and explained in the
// component) or project-wide below. Needs no cluster, only the toolchain.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { BIN, render } from "./kube";

/** Project-wide: each check kube-score runs by default that the labs do not follow, and why. */
export const IGNORED: Record<string, string> = {
    "container-image-pull-policy": "tags and digests are pinned, and class nodes may pull nothing (offline, preloaded images): IfNotPresent is right",
    "container-ephemeral-storage-request-and-limit": "data goes to claims and emptyDirs; the quota does not count ephemeral storage, and a limit would evict a database for its logs",
    "container-security-context-user-group-id": "the official images run as their own low uids (postgres and mongodb 999, grafana 472), which own their files; the two root helpers are root by design",
    "container-security-context-readonlyrootfilesystem": "the database images write sockets, locks and temp files into their image (/var/run/postgresql, /tmp); the busybox helpers, which write only to volumes, are read-only",
};

describe("kube-score over the rendered stacks", function () {
    this.timeout(300_000);
    for (const stack of ["dev", "nfs"]) {
        it(`finds nothing CRITICAL in stack ${stack}`, async () => {
            const files = await render(stack);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kube-score-${stack}-`));
            const paths = files.filter((f) => !f.file.startsWith("patches/")).map((f) => {
                const p = path.join(dir, f.file);
                fs.writeFileSync(p, stringify(f.object));
                return p;
            });
            const ignore = Object.keys(IGNORED).flatMap((t) => ["--ignore-test", t]);
            const r = spawnSync(path.join(BIN, "kube-score"), ["score", "--output-format", "ci", ...ignore, ...paths], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
            fs.rmSync(dir, { recursive: true });
            assert.ok(r.status !== null && r.error === undefined, `kube-score did not run: ${String(r.error)}`);
            const critical = r.stdout.split("\n").filter((l) => l.startsWith("[CRITICAL]"));
            const warnings = r.stdout.split("\n").filter((l) => l.startsWith("[WARNING]"));
            console.log(`    figure: kube-score ${stack}: ${critical.length} critical, ${warnings.length} warnings`);
            assert.deepStrictEqual(critical, [], "CRITICAL findings");
            assert.strictEqual(r.status, 0, r.stderr);
        });
    }
});
