// classroom check's HTTP client for app images without Python (the Java customer backend):
// bash alone, against a local server. Needs only bash, as the images it runs in.
import * as assert from "assert";
import { execFile } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import { BASH_HTTP_CLIENT } from "../classroom/check";

function client(...args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        execFile("bash", ["-c", BASH_HTTP_CLIENT, "bash", ...args], { timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
    });
}

describe("classroom check: the bash HTTP client", () => {
    let server: http.Server;
    let base: string;
    const seen: { method?: string; url?: string; type?: string; body: string }[] = [];

    before(async () => {
        server = http.createServer((req, res) => {
            let body = "";
            req.setEncoding("utf8");
            req.on("data", (d: string) => (body += d)).on("end", () => {
                seen.push({ method: req.method, url: req.url, type: req.headers["content-type"], body });
                if (req.method === "POST") {
                    res.writeHead(201, { "Content-Type": "application/json" }).end(body);
                } else if (req.url === "/missing") {
                    res.writeHead(404).end('{"error":"not found"}');
                } else {
                    res.writeHead(200, { "Content-Type": "application/json" }).end('[{"name":"Ada"},\n{"name":"Bob"}]');
                }
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it("GETs: the status, then the whole body", async () => {
        const r = await client(`${base}/customers`);
        assert.deepStrictEqual(r, { code: 0, out: '200\n[{"name":"Ada"},\n{"name":"Bob"}]\n' });
        assert.deepStrictEqual(seen.pop(), { method: "GET", url: "/customers", type: undefined, body: "" });
    });

    it("POSTs JSON with a Content-Length in bytes (a name that is not ASCII arrives whole)", async () => {
        const json = JSON.stringify({ name: "Zoë Ünal" });
        const r = await client(`${base}/customers`, json);
        assert.deepStrictEqual(r, { code: 0, out: `201\n${json}\n` });
        assert.deepStrictEqual(seen.pop(), { method: "POST", url: "/customers", type: "application/json", body: json });
    });

    it("reports an error status, and fails where nothing listens", async () => {
        assert.strictEqual((await client(`${base}/missing`)).out.split("\n")[0], "404");
        const refused = await client("http://127.0.0.1:1/customers");
        assert.notStrictEqual(refused.code, 0);
    });
});
