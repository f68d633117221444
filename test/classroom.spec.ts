// The classroom command without an engine: roster validation, the class checks made before any
// stack is touched, exit statuses, stale-lock detection and the summary. Its runs against the
// real engine are in test/cluster/classroom.spec.ts.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ClassError, readBase, repairFileBackend, reservedIds, staleLockPid, validateClass } from "../classroom/class";
import { main } from "../classroom/cli";
import { EXIT, table } from "../classroom/common";
import { processRunning } from "../classroom/preflight";
import { RosterError, readRoster } from "../classroom/roster";
import { REPO_ROOT } from "../tools/mock-runtime";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "roster-"));
function file(name: string, text: string): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
}
function problems(f: string, reserved: Record<string, string> = {}): string[] {
    try {
        readRoster(f, { reservedIds: reserved });
    } catch (e) {
        assert.ok(e instanceof RosterError, String(e));
        return e.problems;
    }
    assert.fail("expected a RosterError");
}

describe("classroom: roster", () => {
    it("reads YAML: ids alone or with names, with their lines", () => {
        const f = file("class.yaml", "# spring term\nstudents:\n  - ada\n  - id: bob\n    name: Bob Marley\n");
        assert.deepStrictEqual(readRoster(f), [
            { id: "ada", line: 3 },
            { id: "bob", name: "Bob Marley", line: 4 },
        ]);
    });

    it("reads CSV with a header, comments and blank lines, with their lines", () => {
        const f = file("class.csv", "id,name\n# absent today\nada,Ada Lovelace\n\ncy,\n");
        assert.deepStrictEqual(readRoster(f), [
            { id: "ada", name: "Ada Lovelace", line: 3 },
            { id: "cy", line: 5 },
        ]);
    });

    it("names the line and the rule of every problem, all at once", () => {
        const long = "a".repeat(31);
        const f = file("bad.csv", `id,name\nAda,\nbob,Bob\n${long},\nbob,Bobby\n-x,\n`);
        assert.deepStrictEqual(problems(f), [
            `bad.csv:2: id "Ada" is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`,
            `bad.csv:4: id "${long}" has 31 characters; at most 30 keep every name derived from it (namespaces, PVs, labels) legal`,
            `bad.csv:5: id "bob" is already on line 3; ids must be unique`,
            `bad.csv:6: id "-x" is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`,
        ]);
    });

    it("refuses an id that is a committed stack's prefix, unknown fields, numbers and missing ids", () => {
        const f = file("odd.yaml", "students:\n  - dev\n  - id: 42\n  - name: Nobody\n  - id: ok-1\n    email: x@example.org\n");
        assert.deepStrictEqual(problems(f, { dev: "stack file Pulumi.dev.yaml" }), [
            `odd.yaml:2: id "dev" is the prefix of stack file Pulumi.dev.yaml; its namespaces would be the student's`,
            `odd.yaml:3: id 42 must be text, a DNS-1123 label`,
            `odd.yaml:4: the student has no id`,
            `odd.yaml:5: unknown field "email"; expected id, name`,
        ]);
    });

    it("explains the shape when the file is not a roster", () => {
        assert.match(problems(file("list.yaml", "- ada\n- bob\n"))[0], /^list\.yaml:1: expected a mapping with a "students" list/);
        assert.match(problems(file("broken.yaml", "students: [ada, bob\n"))[0], /^broken\.yaml:\d+: not valid YAML/);
        assert.match(problems(file("noid.csv", "name\nAda\n"))[0], /^noid\.csv:1: the header row has no "id" column/);
        assert.match(problems(file("empty.yaml", "students: []\n"))[0], /^empty\.yaml: no students/);
        assert.match(problems(file("class.txt", "ada\n"))[0], /unknown roster format "\.txt"; expected \.yaml, \.yml or \.csv/);
        assert.match(problems(path.join(dir, "missing.yaml"))[0], /cannot read .*missing\.yaml: ENOENT/);
    });

    it("reserves the prefixes of the project's stack files", () => {
        assert.deepStrictEqual(reservedIds(REPO_ROOT), { dev: "stack file Pulumi.dev.yaml", dynamic: "stack file Pulumi.dynamic.yaml", nfs: "stack file Pulumi.nfs.yaml" });
    });
});

describe("classroom: the class before any stack is touched", () => {
    it("validates every student's config with the program's own rules", () => {
        const base = readBase(REPO_ROOT, "dev");
        assert.doesNotThrow(() => validateClass(base, [{ id: "ada", line: 1 }]));
        const tight = { ...base, plain: { ...base.plain, "state-labs:quotaStorage": "1Gi" } };
        assert.throws(() => validateClass(tight, [{ id: "ada", line: 1 }]), (e: ClassError) => /^student ada: invalid stack configuration:\n {2}- state-labs:quotaStorage: "1Gi" is not accepted/.test(e.problems[0]));
    });

    it("names the stack files there are when the base has none", () => {
        assert.throws(() => readBase(REPO_ROOT, "prod"), (e: ClassError) => e.problems[0] === `--base prod: no stack file Pulumi.prod.yaml in ${REPO_ROOT}; expected one of dev, dynamic, nfs`);
    });
});

describe("classroom: command line", () => {
    const roster = () => file("ok.yaml", "students:\n  - ada\n  - bob\n");
    async function exitOf(...args: string[]): Promise<{ code: number; stderr: string }> {
        let stderr = "";
        const write = process.stderr.write.bind(process.stderr);
        const out = process.stdout.write.bind(process.stdout);
        process.stderr.write = ((s: string) => ((stderr += s), true));
        process.stdout.write = (() => true);
        try {
            const code = await main(["node", "classroom", ...args]);
            process.exitCode = undefined;
            return { code, stderr };
        } finally {
            process.stderr.write = write;
            process.stdout.write = out;
        }
    }

    it("exits 2, touching nothing, on an invalid invocation, roster or class", async () => {
        const before = fs.readdirSync(REPO_ROOT).sort();
        const cases: [string[], RegExp][] = [
            [["up"], /required option '-r, --roster <file>' not specified/],
            [["launch", "--roster", roster()], /unknown command 'launch'/],
            [["up", "--roster", roster(), "--parallel", "0"], /expected a positive integer, got "0"/],
            [["up", "--roster", file("bad.yaml", "students:\n  - Ada\n")], /bad\.yaml:2: id "Ada" is not a DNS-1123 label/],
            [["up", "--roster", roster(), "--only", "ada,zed"], /--only: "zed" not in the roster/],
            [["destroy", "--roster", roster()], /destroy deletes the stacks of 2 student\(s\) \(ada, bob\); add --yes to go ahead/],
            [["up", "--roster", roster(), "--base", "prod"], /--base prod: no stack file Pulumi\.prod\.yaml/],
            [["kubeconfig", "Not_An_Id"], /"Not_An_Id" is not a student id/],
        ];
        for (const [args, message] of cases) {
            const r = await exitOf(...args);
            assert.strictEqual(r.code, EXIT.usage, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, message, args.join(" "));
        }
        assert.deepStrictEqual(fs.readdirSync(REPO_ROOT).sort(), before, "nothing written");
    });

    it("exits 0 on --help, which lists the commands and the exit statuses", async () => {
        let out = "";
        const write = process.stdout.write.bind(process.stdout);
        process.stdout.write = ((s: string) => ((out += s), true));
        try {
            assert.strictEqual(await main(["node", "classroom", "--help"]), EXIT.ok);
        } finally {
            process.stdout.write = write;
        }
        for (const c of ["up", "preview", "status", "check", "reset", "destroy", "kubeconfig"]) assert.match(out, new RegExp(`\\n  ${c} `));
        assert.match(out, /Exit status: 0 every student succeeded; 1 at least one failed/);
    });

    it("summarises each student in a table, with why failures happened below it", () => {
        const out = table([
            { id: "ada", stack: "student-ada", result: "ok", changes: { create: 143 }, seconds: 31.96, namespaces: ["ada-movies", "ada-customer"] },
            { id: "bob", stack: "student-bob", result: "failed", changes: {}, seconds: 75, namespaces: [], detail: "conflict with \"state-labs\"", log: "/x/student-bob.up.log" },
        ]);
        assert.strictEqual(
            out,
            [
                "student  result  resources changed  duration  namespaces",
                "-------  ------  -----------------  --------  ----------",
                "ada      ok      create 143         32.0s     ada-movies, ada-customer",
                "bob      failed                     1m15s",
                "",
                'bob: failed: conflict with "state-labs"',
                "    log: /x/student-bob.up.log",
                "",
            ].join("\n"),
        );
    });
});

describe("classroom: resuming after a killed run", () => {
    const locked = (host: string, pid: number) =>
        `error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.\n  file:///state/.pulumi/locks/organization/state-labs/student-ada/0b1c.json: created by root@${host} (pid ${pid}) at 2026-11-21T19:00:00Z`;

    it("treats the lock of a process that is gone, on this host, as stale", async () => {
        const child = spawn(process.execPath, ["-e", ""]);
        const pid = child.pid!;
        await new Promise((ok) => child.on("exit", ok));
        assert.strictEqual(staleLockPid(locked(os.hostname(), pid)), pid);
    });

    it("treats the lock of a zombie (killed, its parent gone, not yet reaped) as stale", async () => {
        // sh starts a short sleep in the background, then becomes a long one, which never reaps
        // it: a zombie once it ends (it outlives the exec, so sh cannot reap it first)
        const parent = spawn("sh", ["-c", "sleep 0.3 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
        try {
            const zombie = Number(await new Promise<string>((ok) => parent.stdout.once("data", (d) => ok(String(d)))));
            const state = () => fs.readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1][0];
            for (let i = 0; i < 60 && state() !== "Z"; i++) await new Promise((ok) => setTimeout(ok, 50));
            assert.strictEqual(state(), "Z", "a zombie within 3 s");
            assert.strictEqual(processRunning(zombie), false);
            assert.strictEqual(staleLockPid(locked(os.hostname(), zombie)), zombie);
            assert.strictEqual(processRunning(parent.pid!), true, "its parent runs");
        } finally {
            parent.kill("SIGKILL");
        }
    });

    it("leaves alone a lock whose process still runs, or that another host holds", () => {
        assert.strictEqual(staleLockPid(locked(os.hostname(), process.pid)), undefined);
        assert.strictEqual(staleLockPid(locked("other-host", 999999)), undefined);
        assert.strictEqual(staleLockPid("error: update failed"), undefined);
    });

    it("removes the empty metadata files a kill leaves in a file backend, and nothing else", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "classroom-backend-"));
        const stacks = path.join(root, ".pulumi", "stacks", "state-labs");
        fs.mkdirSync(stacks, { recursive: true });
        const write = (name: string, text: string) => fs.writeFileSync(path.join(stacks, name), text);
        write("student-ada.json", "{}");
        write("student-ada.json.attrs", '{"user.content_type":"application/json"}');
        write("student-bob.json", "{}");
        write("student-bob.json.attrs", ""); // killed between creating and writing it
        write("student-cy.json.1a2b.tmp", ""); // an unfinished checkpoint: not ours to judge
        try {
            assert.deepStrictEqual(repairFileBackend(`file://${root}`), [path.join(stacks, "student-bob.json.attrs")]);
            assert.deepStrictEqual(fs.readdirSync(stacks).sort(), ["student-ada.json", "student-ada.json.attrs", "student-bob.json", "student-cy.json.1a2b.tmp"]);
            assert.deepStrictEqual(repairFileBackend(`file://${root}?no_tmp_dir=true`), []);
            assert.deepStrictEqual(repairFileBackend("https://api.pulumi.com"), []);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
