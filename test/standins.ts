// Runs a container's shell script on this machine with stand-ins for the image's tools: each
// stand-in is a small shell script that may log to "$CALLS" and act on "$ROOT".
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface ScriptRun {
    status: number | null;
    stdout: string;
    stderr: string;
    /** Lines the stand-ins appended to $CALLS. */
    calls: string[];
    /** Reads a file under the run's root (undefined if absent). */
    file(rel: string): string | undefined;
    /** The permission bits of a file or directory under the run's root. */
    mode(rel: string): number;
}

/**
 * `tools`: name → shell body. `files`: path under the root → content. `env` values may say
 * `$ROOT`, replaced by the run's directory (so paths like PGDATA land inside it).
 */
export function runScript(script: string, a: { tools: Record<string, string>; files?: Record<string, string>; env?: Record<string, string> }): ScriptRun {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "standin-"));
    const bin = path.join(root, ".bin");
    fs.mkdirSync(bin);
    for (const [name, body] of Object.entries(a.tools)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    for (const [rel, content] of Object.entries(a.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), content);
    }
    const calls = path.join(root, ".calls");
    fs.writeFileSync(calls, "");
    const env = Object.fromEntries(Object.entries(a.env ?? {}).map(([k, v]) => [k, v.replaceAll("$ROOT", root)]));
    const r = spawnSync("sh", ["-c", script], { cwd: root, env: { PATH: `${bin}:/usr/bin:/bin`, ROOT: root, CALLS: calls, ...env }, encoding: "utf8", timeout: 20_000 });
    // keep what the test reads, then remove the directory
    const files = new Map<string, { content: string; mode: number }>();
    const dirs = new Map<string, number>();
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) {
                dirs.set(path.relative(root, full), fs.statSync(full).mode & 0o7777);
                walk(full);
            } else files.set(path.relative(root, full), { content: fs.readFileSync(full, "utf8"), mode: fs.statSync(full).mode & 0o777 });
        }
    };
    walk(root);
    fs.rmSync(root, { recursive: true, force: true });
    const result: ScriptRun = {
        status: r.status,
        stdout: r.stdout,
        stderr: r.stderr,
        calls: files.get(".calls")!.content.split("\n").filter(Boolean),
        file: (rel) => files.get(rel)?.content,
        mode: (rel) => files.get(rel)?.mode ?? dirs.get(rel) ?? -1,
    };
    return result;
}
