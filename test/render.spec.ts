import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../tools/mock-runtime";
import { renderFiles } from "../tools/render";
import { objects, run } from "./objects";

describe("render", () => {
    it("orders objects so that what others refer to comes first", async () => {
        const files = renderFiles(await run("nfs"));
        const kinds = files.map((f) => f.object.kind);
        const first = (k: string) => kinds.indexOf(k);
        const last = (k: string) => kinds.lastIndexOf(k);
        assert.ok(last("Namespace") < first("StorageClass") && last("StorageClass") < first("PersistentVolume"));
        assert.ok(last("PersistentVolume") < first("PersistentVolumeClaim"));
        assert.ok(last("Secret") < first("StatefulSet") && last("ConfigMap") < first("StatefulSet"));
        assert.ok(last("Service") < first("StatefulSet"));
        assert.deepStrictEqual(files.map((f) => f.file), [...files.map((f) => f.file)].sort(), "file names sort in apply order");
    });

    it("writes exactly the objects of the program, one YAML file each, from the real stack file", function () {
        this.timeout(120000);
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
        const printed = execFileSync(process.execPath, ["-r", path.join(REPO_ROOT, "test", "register.js"), "tools/render.ts", "--stack", "dev", "--out", out], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        const files = fs.readdirSync(out).filter((f) => f.endsWith(".yaml"));
        assert.match(printed, new RegExp(`^dev: ${files.length} objects \\(\\d+ resources\\) written to .* in \\d+ ms`, "m"));
        const written = files.sort().map((f) => {
            const docs = parseAllDocuments(fs.readFileSync(path.join(out, f), "utf8"));
            assert.strictEqual(docs.length, 1, f);
            return docs[0].toJS();
        });
        return run("dev").then((r) => {
            const expected = renderFiles(r).map((x) => x.object);
            assert.deepStrictEqual(written, expected);
            assert.strictEqual(written.length, objects(r).length);
            fs.rmSync(out, { recursive: true });
        });
    });

    it("fails with the config error and writes nothing on bad config", () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "render-")), "never");
        let failed: { status: number; stderr: string } | undefined;
        try {
            execFileSync(process.execPath, ["-r", path.join(REPO_ROOT, "test", "register.js"), "tools/render.ts", "--stack", "dev", "--out", out, "--set", "workshopDbSize=2GB"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
        } catch (e) {
            failed = e as { status: number; stderr: string };
        }
        assert.ok(failed, "render must fail");
        assert.strictEqual(failed.status, 1);
        assert.match(failed.stderr, /state-labs:workshopDbSize: "2GB" is not accepted; .*did you mean "2Gi"/);
        assert.ok(!fs.existsSync(out));
    }).timeout(120000);
});
