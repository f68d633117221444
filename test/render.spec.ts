import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { main, renderFiles, runMain } from "../tools/render";
import { objects, run } from "./objects";

/**
 * `npm run render -- <argv>` through runMain in this process: the exit code its process would
 * exit with, and what it prints. A child process costs about 2 s of CPU; the newcomer spec runs
 * render as one, which shows runMain's code becoming the process's exit status.
 */
async function command(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const saved = { err: process.stderr.write.bind(process.stderr), out: process.stdout.write.bind(process.stdout) };
    let stderr = "";
    let stdout = "";
    process.stderr.write = ((t: string) => ((stderr += t), true));
    process.stdout.write = ((t: string) => ((stdout += t), true));
    try {
        const code = await runMain("render", main, ["node", "tools/render.ts", ...argv]);
        return { code, stdout, stderr };
    } finally {
        process.stderr.write = saved.err;
        process.stdout.write = saved.out;
    }
}

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

    it("writes exactly the objects of the program, one YAML file each, from the real stack file", async () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
        const r = await command(["--stack", "dev", "--out", out]);
        assert.strictEqual(r.code, 0, r.stderr);
        const files = fs.readdirSync(out).filter((f) => f.endsWith(".yaml"));
        assert.match(r.stdout, new RegExp(`^dev: ${files.length} objects \\(\\d+ resources\\) written to .* in \\d+ ms`, "m"));
        const written = files.sort().map((f) => {
            const docs = parseAllDocuments(fs.readFileSync(path.join(out, f), "utf8"));
            assert.strictEqual(docs.length, 1, f);
            return docs[0].toJS();
        });
        const expected = renderFiles(await run("dev")).map((x) => x.object);
        assert.deepStrictEqual(written, expected);
        assert.strictEqual(written.length, objects(await run("dev")).length);
        fs.rmSync(out, { recursive: true });
    });

    it("fails with the config error, exit 1, and writes nothing on bad config", async () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "render-")), "never");
        const r = await command(["--stack", "dev", "--out", out, "--set", "workshopDbSize=2GB"]);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /state-labs:workshopDbSize: "2GB" is not accepted; .*did you mean "2Gi"/);
        assert.ok(!fs.existsSync(out));
    });
});
