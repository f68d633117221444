// `npm run classroom -- <command>`: the labs for a whole class, one stack per student.
// Exit status: 0 every student succeeded; 1 at least one failed (status: is not up);
// 2 invalid invocation, roster or class config (nothing touched); 130 interrupted.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import * as path from "path";
import { REPO_ROOT } from "../mock-runtime";
import { ClassError, Command as ClassCommand, StudentResult, existingStacks, reservedIds, runClass, workspace } from "./class";
import { Progress } from "./progress";
import { ROSTER_FORMATS, RosterError, Student, isStudentId, readRoster, stackName } from "./roster";
import { MAX_PREFIX_LENGTH } from "../../components/shared/naming";

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

interface CommonOptions {
    roster: string;
    base: string;
    parallel: number;
    only?: string[];
    json?: boolean;
    dir: string;
    refresh?: boolean;
    yes?: boolean;
}

const positive = (v: string) => {
    if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
    return Number(v);
};
const idList = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
const dirOption = () => new Option("--dir <path>", "project directory").default(REPO_ROOT, "this repository");

function formatChanges(c: Record<string, number>): string {
    const parts = Object.entries(c).map(([op, n]) => `${op} ${n}`);
    return parts.length ? parts.join(", ") : "no change";
}

function duration(s: number): string {
    return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(1)}s`;
}

export function table(command: ClassCommand, results: StudentResult[]): string {
    const head = command === "status" ? ["student", "state", "resources", "last update", "namespaces"] : ["student", "result", "resources changed", "duration", "namespaces"];
    const rows = results.map((r) =>
        command === "status"
            ? [r.id, r.state ?? r.result, r.resources === undefined ? "" : String(r.resources), r.detail ?? "", r.namespaces.join(", ")]
            : [r.id, r.result, r.result === "ok" ? formatChanges(r.changes) : "", duration(r.seconds), r.namespaces.join(", ")],
    );
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : r[i].length))));
    const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    const lines = [fmt(head), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)];
    // why each failure happened, whole, below the table
    const failures = results
        .filter((r) => r.result !== "ok" && r.result !== "absent")
        .map((r) => `${r.id}: ${r.result}: ${(r.detail ?? "").split("\n").join("\n    ")}${r.log ? `\n    log: ${r.log}` : ""}`);
    return [...lines, ...(failures.length ? ["", ...failures] : [])].join("\n") + "\n";
}

/** The students a command acts on: the roster, or the --only subset of it (each id must be on it). */
function selectStudents(roster: Student[], only: string[] | undefined, rosterFile: string): Student[] {
    if (!only) return roster;
    const unknown = only.filter((id) => !roster.some((s) => s.id === id));
    if (unknown.length) throw new ClassError([`--only: ${unknown.map((u) => `"${u}"`).join(", ")} not in the roster ${rosterFile}`]);
    return roster.filter((s) => only.includes(s.id));
}

async function classCommand(command: ClassCommand, o: CommonOptions): Promise<number> {
    const dir = path.resolve(o.dir);
    const roster = readRoster(o.roster, { reservedIds: reservedIds(dir) });
    const students = selectStudents(roster, o.only, o.roster);
    if (command === "destroy" && !o.yes) {
        throw new ClassError([`destroy deletes the stacks of ${students.length} student(s) (${students.map((s) => s.id).join(", ")}); add --yes to go ahead`]);
    }
    const abort = new AbortController();
    let interrupted = false;
    const onSignal = () => {
        if (interrupted) return; // already stopping: a second signal changes nothing
        interrupted = true;
        process.stderr.write("\nclassroom: interrupting: running operations stop cleanly, queued students are skipped\n");
        abort.abort();
    };
    // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other
    // listener holds, which would kill this process before it prints the summary.
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const progress = new Progress(command, students.map((s) => s.id));
    let results: StudentResult[];
    try {
        results = await runClass(command, students, { workDir: dir, base: o.base, parallel: o.parallel, refresh: o.refresh, signal: abort.signal }, progress);
    } finally {
        progress.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
    process.stdout.write(o.json ? JSON.stringify(results, null, 2) + "\n" : table(command, results));
    if (interrupted) return EXIT.interrupted;
    const bad = results.filter((r) => r.result === "failed" || r.result === "skipped" || (command === "status" && r.state !== "up"));
    return bad.length ? EXIT.failed : EXIT.ok;
}

async function kubeconfig(id: string, o: { dir: string }): Promise<number> {
    if (!isStudentId(id)) throw new ClassError([`"${id}" is not a student id (a DNS-1123 label of at most ${MAX_PREFIX_LENGTH} characters)`]);
    const ws = await workspace(path.resolve(o.dir));
    const name = stackName(id);
    if (!(await existingStacks(ws)).has(name)) {
        process.stderr.write(`classroom: no stack ${name}; run: npm run classroom -- up --roster <file> --only ${id}\n`);
        return EXIT.failed;
    }
    const outputs = await ws.stackOutputs(name);
    const config = (outputs.student?.value as { kubeconfig?: string } | undefined)?.kubeconfig;
    if (!config) {
        process.stderr.write(`classroom: stack ${name} has no kubeconfig: its API server is unknown; set state-labs:studentApiServer in the base stack file and run up again\n`);
        return EXIT.failed;
    }
    process.stdout.write(config);
    return EXIT.ok;
}

export function cli(): Command {
    const program = new Command()
        .name("classroom")
        .description("Run the labs for a whole class: one Pulumi stack (student-<id>) per student of a roster, on one shared cluster.")
        .showHelpAfterError()
        .exitOverride()
        .addHelpText(
            "after",
            `
Examples:
  npm run classroom -- up --roster class.yaml --parallel 4
  npm run classroom -- status --roster class.yaml
  npm run classroom -- kubeconfig ada > ada.kubeconfig
  npm run classroom -- destroy --roster class.yaml --only ada --yes

Exit status: 0 every student succeeded; 1 at least one failed (status: is not up);
2 invalid invocation, roster or class config (nothing was touched); 130 interrupted.
Logs of each student's run: <dir>/.classroom/logs/student-<id>.<command>.log`,
        );
    const common = (c: Command) =>
        c
            .requiredOption("-r, --roster <file>", `the class: .yaml or .csv (${ROSTER_FORMATS})`)
            .option("-b, --base <stack>", "stack file whose config every student gets (Pulumi.<stack>.yaml), plus the id as prefix", "dev")
            .option("-p, --parallel <n>", "students at a time", positive, 4)
            .option("--only <ids>", "only these students of the roster (comma-separated)", idList)
            .option("--json", "print the results as JSON instead of the table")
            .addOption(dirOption());
    const action = (command: ClassCommand) => async (o: CommonOptions) => {
        process.exitCode = await classCommand(command, o);
    };
    common(program.command("up").description("create or update every student's stack (safe to re-run: resumes where a run stopped)"))
        .option("--refresh", "refresh each stack from the cluster first")
        .action(action("up"));
    common(program.command("preview").description("show what up would change, per student")).option("--refresh", "refresh each stack from the cluster first").action(action("preview"));
    common(program.command("status").description("what each student's stack holds, from the state (exit 1 unless every student is up)")).action(action("status"));
    common(program.command("destroy").description("destroy and remove each student's stack; data is kept as keepDataOnDestroy says"))
        .option("-y, --yes", "required: confirms the destroy")
        .action(action("destroy"));
    program
        .command("kubeconfig <id>")
        .description("print a student's kubeconfig (a secret: hand it to that student only)")
        .addOption(dirOption())
        .action(async (id: string, o: { dir: string }) => {
            process.exitCode = await kubeconfig(id, o);
        });
    return program;
}

export async function main(argv: string[]): Promise<number> {
    try {
        await cli().parseAsync(argv);
        return Number(process.exitCode ?? EXIT.ok);
    } catch (e) {
        if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        if (e instanceof RosterError || e instanceof ClassError) {
            process.stderr.write(`classroom: ${e.message}\n`);
            return EXIT.usage;
        }
        process.stderr.write(`classroom: ${e instanceof Error ? e.stack : String(e)}\n`);
        return EXIT.failed;
    }
}

if (require.main === module) {
    main(process.argv).then((code) => process.exit(code));
}
