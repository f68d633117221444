// What every classroom command shares: exit statuses, the roster options, the choice of
// students, Ctrl-C handling, and the run of a Pulumi operation for each student.
import { Command, InvalidArgumentError, Option } from "commander";
import * as path from "path";
import { LAB_IDS, LabId } from "../components/shared/naming";
import { ClassError, StackCommand, StudentResult, readBase, reservedIds, runClass } from "./class";
import { requireCluster, requirePulumiFor } from "./preflight";
import { Progress } from "./progress";
import { ROSTER_FORMATS, Student, readRoster, stackName } from "./roster";

/** The project the classroom deploys by default: this repository. */
export const REPO_ROOT = path.resolve(__dirname, "..");

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export interface RosterOptions {
    roster: string;
    base: string;
    parallel: number;
    only?: string[];
    json?: boolean;
    dir: string;
}

export const positive = (v: string) => {
    if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
    return Number(v);
};
const idList = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
/** `--lab <lab>`: one of the labs. */
export const labOption = (what: string) =>
    new Option("-l, --lab <lab>", `${what}: ${LAB_IDS.join(", ")}`).argParser((v: string) => {
        if (!(LAB_IDS as readonly string[]).includes(v)) throw new InvalidArgumentError(`"${v}" is not a lab; expected one of ${LAB_IDS.join(", ")}`);
        return v as LabId;
    });
export const dirOption = () => new Option("--dir <path>", "project directory").default(REPO_ROOT, "this repository");

/** The options of every command that acts on a roster. */
export function rosterOptions(c: Command, parallelDefault = 4): Command {
    return c
        .requiredOption("-r, --roster <file>", `the class: .yaml or .csv (${ROSTER_FORMATS})`)
        .option("-b, --base <stack>", "stack file whose config every student gets (Pulumi.<stack>.yaml), plus the id as prefix", "dev")
        .option("-p, --parallel <n>", "students at a time", positive, parallelDefault)
        .option("--only <ids>", "only these students of the roster (comma-separated)", idList)
        .option("--json", "print the results as JSON instead of the table")
        .addOption(dirOption());
}

/** The students a command acts on: the roster, or the --only subset of it (each id must be on it). */
export function selectStudents(o: RosterOptions): Student[] {
    const roster = readRoster(o.roster, { reservedIds: reservedIds(path.resolve(o.dir)) });
    if (!o.only) return roster;
    const unknown = o.only.filter((id) => !roster.some((s) => s.id === id));
    if (unknown.length) throw new ClassError([`--only: ${unknown.map((u) => `"${u}"`).join(", ")} not in the roster ${o.roster}`]);
    return roster.filter((s) => o.only!.includes(s.id));
}

/**
 * Runs `fn` with an AbortSignal that Ctrl-C (or SIGTERM) aborts; reports whether it was.
 * `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other
 * listener holds, which would kill this process before it prints the summary.
 */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; interrupted: boolean }> {
    const abort = new AbortController();
    let interrupted = false;
    const onSignal = () => {
        if (interrupted) return; // already stopping: a second signal changes nothing
        interrupted = true;
        process.stderr.write("\nclassroom: interrupting: running operations stop cleanly, queued students are skipped\n");
        abort.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        return { value: await fn(abort.signal), interrupted };
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}

function formatChanges(c: Record<string, number>): string {
    const parts = Object.entries(c).map(([op, n]) => `${op} ${n}`);
    return parts.length ? parts.join(", ") : "no change";
}

function duration(s: number): string {
    return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(1)}s`;
}

/**
 * Lines of a plain-text table: columns padded to their widest cell (the last column is not
 * padded, so a long reason does not widen the table), a rule of dashes under the head.
 */
export function tableLines(head: string[], rows: string[][]): string[] {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : r[i].length))));
    const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [fmt(head), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)];
}

/** The summary of a Pulumi operation over a class: one row per student, why failures happened below. */
export function table(results: StudentResult[]): string {
    const head = ["student", "result", "resources changed", "duration", "namespaces"];
    const rows = results.map((r) => [r.id, r.result, r.result === "ok" ? formatChanges(r.changes) : "", duration(r.seconds), r.namespaces.join(", ")]);
    const lines = tableLines(head, rows);
    const failures = results
        .filter((r) => r.result !== "ok" && r.result !== "absent")
        .map((r) => `${r.id}: ${r.result}: ${(r.detail ?? "").split("\n").join("\n    ")}${r.log ? `\n    log: ${r.log}` : ""}`);
    return [...lines, ...(failures.length ? ["", ...failures] : [])].join("\n") + "\n";
}

/** `command` for each student with live progress, then the summary; the exit status. */
export async function stackCommand(command: StackCommand, students: Student[], o: RosterOptions & { refresh?: boolean }): Promise<number> {
    // the whole environment before any stack: a missing CLI, login, passphrase or cluster is one
    // message and exit 2, not a failure per student
    readBase(path.resolve(o.dir), o.base);
    requirePulumiFor(path.resolve(o.dir), [...students.map((s) => stackName(s.id)), o.base]);
    await requireCluster();
    const progress = new Progress(command, students.map((s) => s.id));
    const { value: results, interrupted } = await interruptible((signal) =>
        runClass(command, students, { workDir: path.resolve(o.dir), base: o.base, parallel: o.parallel, refresh: o.refresh, signal }, progress).finally(() => progress.stop()),
    );
    process.stdout.write(o.json ? JSON.stringify(results, null, 2) + "\n" : table(results));
    if (interrupted) return EXIT.interrupted;
    return results.some((r) => r.result === "failed" || r.result === "skipped") ? EXIT.failed : EXIT.ok;
}
