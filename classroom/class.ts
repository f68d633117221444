// One Pulumi stack per student, driven through the Automation API against this project: the
// same program and stack files as a plain `pulumi up`, with the student's id as the prefix.
import { EngineEvent, LocalWorkspace, LocalWorkspaceOptions, OutputMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PROJECT, parseConfig } from "../stacks/config";
import { processRunning } from "./preflight";
import { Progress } from "./progress";
import { Student, stackName } from "./roster";

/** The Pulumi operations run for each student (status, check and reset read the cluster). */
export type StackCommand = "up" | "preview" | "destroy";

export interface StudentResult {
    id: string;
    stack: string;
    /** ok: the operation succeeded; absent: no stack (nothing to do); failed; skipped: never started (interrupted run). */
    result: "ok" | "failed" | "absent" | "skipped";
    /** Steps by operation (create, update, delete, replace...), unchanged resources left out. */
    changes: Record<string, number>;
    seconds: number;
    namespaces: string[];
    /** Why it failed. */
    detail?: string;
    log?: string;
}

export interface ClassOptions {
    /** The project directory (Pulumi.yaml, stack files). */
    workDir: string;
    /** The stack file whose config every student gets: Pulumi.<base>.yaml. */
    base: string;
    parallel: number;
    refresh?: boolean;
    signal?: AbortSignal;
}

/** Problems that stop the whole class before any stack is touched (bad base, config a student would fail on). */
export class ClassError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
        this.name = "ClassError";
    }
}

const ENV = { PULUMI_SKIP_UPDATE_CHECK: "true" };

/**
 * The options every workspace is opened with. The Automation API runs `pulumi version` for
 * each LocalWorkspace it opens unless given the CLI: one check per process, not one per
 * student and step.
 */
let cli: Promise<PulumiCommand> | undefined;
async function workspaceOptions(): Promise<LocalWorkspaceOptions> {
    cli ??= PulumiCommand.get();
    return { envVars: ENV, pulumiCommand: await cli };
}

/** Base config of the class: the stack file's plain values; `secure:` ones are read decrypted from the base stack. */
export interface BaseConfig {
    plain: Record<string, unknown>;
    secure: string[];
}

/** The project's own stack files (not the students'): stack name → its config. */
function projectStacks(workDir: string): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const f of fs.readdirSync(workDir).sort()) {
        const name = /^Pulumi\.(?!student-)(.+)\.yaml$/.exec(f)?.[1];
        if (name) out.set(name, ((parseYaml(fs.readFileSync(path.join(workDir, f), "utf8")) as { config?: Record<string, unknown> } | null) ?? {}).config ?? {});
    }
    return out;
}

export function readBase(workDir: string, base: string): BaseConfig {
    const stacks = projectStacks(workDir);
    const config = stacks.get(base);
    if (!config) {
        throw new ClassError([`--base ${base}: no stack file Pulumi.${base}.yaml in ${workDir}; expected one of ${[...stacks.keys()].join(", ")}`]);
    }
    const plain: Record<string, unknown> = {};
    const secure: string[] = [];
    for (const [k, v] of Object.entries<unknown>(config)) {
        if (v && typeof v === "object" && "secure" in v) secure.push(k);
        else plain[k] = v;
    }
    return { plain, secure };
}

/** The prefixes of the project's own stack files: no student may take one. */
export function reservedIds(workDir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, config] of projectStacks(workDir)) {
        const prefix = config[`${PROJECT}:prefix`];
        if (typeof prefix === "string") out[prefix] = `stack file Pulumi.${name}.yaml`;
    }
    return out;
}

/** The config a student's stack gets. */
export function studentConfig(base: BaseConfig, id: string): Record<string, unknown> {
    return { ...base.plain, [`${PROJECT}:prefix`]: id };
}

/** The same, as the engine hands it to the program (`<project>:<key>` → string). */
export function flatStudentConfig(base: BaseConfig, id: string): Record<string, string> {
    return Object.fromEntries(Object.entries(studentConfig(base, id)).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Runs the program's own validation for every student before any stack is touched. */
export function validateClass(base: BaseConfig, students: Student[]): void {
    const problems: string[] = [];
    for (const s of students) {
        const flat = flatStudentConfig(base, s.id);
        for (const k of base.secure) flat[k] = "";
        try {
            parseConfig(flat);
        } catch (e) {
            problems.push(`student ${s.id}: ${(e as Error).message}`);
        }
    }
    if (problems.length > 0) throw new ClassError(problems);
}

function logFile(workDir: string, stack: string, command: string): string {
    const dir = path.join(workDir, ".classroom", "logs");
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, `${stack}.${command}.log`);
}

function namespacesOf(outputs: OutputMap | undefined): string[] {
    const student = outputs?.student?.value as { namespaces?: string[] } | undefined;
    return student?.namespaces ?? [];
}

function changesOf(summary: Record<string, number> | undefined): Record<string, number> {
    return Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && n > 0));
}

/** The error a student's run ended with: the engine's first error diagnostic, else the CLI's. */
function reason(diagnostics: string[], error: unknown): string {
    // the provider's message, e.g. "... not successfully created ... / Apply failed with 1 conflict: ..."
    const found = diagnostics.map((d) => d.trim()).filter((d) => d && !/^update failed$/i.test(d));
    if (found.length) return found.map((d) => d.split("\n").map((l) => l.trim()).filter(Boolean).join("\n")).join("\n");
    const text = error instanceof Error ? error.message : String(error);
    const line = text.split("\n").map((l) => l.trim()).find((l) => /^error:/.test(l) && !/update failed/.test(l));
    return (line ?? text.split("\n")[0]).replace(/^error:\s*/, "");
}

/**
 * A lock left by a run that was killed (its process is gone, on this host) is stale: cancel
 * it so the student's stack can resume. A live lock is another run's, and is left alone.
 */
export function staleLockPid(message: string, hostname = os.hostname()): number | undefined {
    if (!/currently locked/.test(message)) return undefined;
    const owners = [...message.matchAll(/created by \S+@(\S+) \(pid (\d+)\)/g)];
    if (owners.length === 0) return undefined;
    for (const [, host, pid] of owners) {
        if (host !== hostname || processRunning(Number(pid))) return undefined;
    }
    return Number(owners[0][2]);
}

async function withStaleLockRecovery<T>(stack: Stack, log: fs.WriteStream, op: () => Promise<T>): Promise<T> {
    try {
        return await op();
    } catch (e) {
        const pid = staleLockPid(e instanceof Error ? e.message : String(e));
        if (pid === undefined) throw e;
        log.write(`classroom: removing the lock of pid ${pid}, which no longer runs (an interrupted run), and resuming\n`);
        await stack.cancel();
        return await op();
    }
}

/**
 * A run killed midway leaves operations pending in the state; creates among them are objects
 * that may or may not exist. Refreshing with --clear-pending-creates drops them from the
 * state, and the next operation creates them again: the Kubernetes provider's server-side
 * apply adopts any that do exist. Their fields belong to the killed run's field manager (a
 * random name the state no longer holds), so that one operation forces the apply to take
 * them over; without it a StatefulSet caught mid-create fails with a field conflict.
 */
async function resumeInterrupted(stack: Stack, log: fs.WriteStream, ops: { onOutput: (s: string) => void; color: "never"; showSecrets: false }): Promise<void> {
    const pending = (((await stack.exportStack()).deployment as { pending_operations?: unknown[] } | undefined)?.pending_operations ?? []).length;
    if (pending === 0) return;
    log.write(`classroom: ${pending} operations were left pending by an interrupted run; refreshing the stack and clearing pending creates\n`);
    await withStaleLockRecovery(stack, log, () => stack.refresh({ ...ops, clearPendingCreates: true }));
    log.write("classroom: this run takes over the fields the interrupted run applied (server-side apply, forced)\n");
    // a copy: the workspace's env is this student's alone, ENV is every student's
    stack.workspace.envVars = { ...stack.workspace.envVars, PULUMI_K8S_ENABLE_PATCH_FORCE: "true" };
}

async function prepareStack(options: ClassOptions, base: BaseConfig, secrets: Record<string, string>, student: Student): Promise<Stack> {
    const name = stackName(student.id);
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: options.workDir }, await workspaceOptions());
    const ws = stack.workspace as LocalWorkspace;
    // The base's config, exactly, plus the prefix: the class stays in step with its stack file.
    const settings = await ws.stackSettings(name);
    settings.config = studentConfig(base, student.id);
    await ws.saveStackSettings(name, settings);
    if (Object.keys(secrets).length > 0) {
        await stack.setAllConfig(Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { value: v, secret: true }])));
    }
    return stack;
}

/** The project's workspace, as every classroom command opens it, its file backend repaired. */
export async function workspace(workDir: string): Promise<LocalWorkspace> {
    const ws = await LocalWorkspace.create({ workDir, ...(await workspaceOptions()) });
    for (const f of repairFileBackend((await ws.whoAmI()).url ?? "")) {
        process.stderr.write(`classroom: removed ${f}: empty, left by a run killed while saving its state\n`);
    }
    return ws;
}

/**
 * A run killed while the file backend saves a checkpoint can leave the checkpoint's metadata
 * file (`<file>.attrs`) empty, since gocloud's fileblob writes it in place; every later
 * command on the backend then fails with "error: EOF". The file holds only a content type
 * and checksum, and fileblob reads a missing one as defaults: remove the empty ones.
 * Returns the files removed.
 */
export function repairFileBackend(url: string): string[] {
    const m = /^file:\/\/([^?]*)/.exec(url);
    if (!m) return [];
    const root = path.join(m[1] === "~" || m[1].startsWith("~/") ? os.homedir() + m[1].slice(1) : m[1], ".pulumi");
    if (!fs.existsSync(root)) return [];
    const empty = fs
        .readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".attrs"))
        .map((e) => path.join(e.parentPath, e.name))
        .filter((f) => fs.statSync(f).size === 0);
    for (const f of empty) fs.rmSync(f);
    return empty;
}

/** The stacks the backend holds for the project, by name. */
export async function existingStacks(ws: LocalWorkspace): Promise<Set<string>> {
    return new Set((await ws.listStacks()).map((s) => s.name.split("/").pop()!));
}

async function selectStack(workDir: string, stackName: string): Promise<Stack> {
    return LocalWorkspace.selectStack({ stackName, workDir }, await workspaceOptions());
}

/**
 * Selecting or creating a stack rewrites the CLI's workspace file (the current stack), and the
 * first `stack init` initialises a fresh state backend: those steps take turns. The operations
 * themselves name their stack and run in parallel.
 */
let turn: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const next = turn.then(fn);
    turn = next.catch(() => undefined);
    return next;
}

/** Runs `fn` over `items`, at most `parallel` at a time; results in order. */
export async function pool<T, R>(items: T[], parallel: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
    return results;
}

/** Runs `command` for every student, `parallel` at a time; one student's failure never stops the others. */
export async function runClass(command: StackCommand, students: Student[], options: ClassOptions, progress: Progress): Promise<StudentResult[]> {
    const base = readBase(options.workDir, options.base);
    if (command !== "destroy") validateClass(base, students);
    const existing = await existingStacks(await workspace(options.workDir));
    let secrets: Record<string, string> = {};
    if (base.secure.length > 0 && (command === "up" || command === "preview")) {
        // decrypted from the base stack and encrypted again with each student's stack
        const all = await (await selectStack(options.workDir, options.base)).getAllConfig();
        secrets = Object.fromEntries(base.secure.map((k) => [k, all[k]?.value ?? ""]));
    }

    const runOne = async (student: Student): Promise<StudentResult> => {
        const name = stackName(student.id);
        const started = Date.now();
        const result: StudentResult = { id: student.id, stack: name, result: "ok", changes: {}, seconds: 0, namespaces: [] };
        const done = (r: Partial<StudentResult>) => {
            Object.assign(result, r, { seconds: (Date.now() - started) / 1000 });
            progress.phase(student.id, result.result === "failed" ? "failed" : "done", (result.detail ?? result.result).split("\n").pop());
            return result;
        };
        if (options.signal?.aborted) {
            result.result = "skipped";
            result.detail = "interrupted before it started";
            progress.phase(student.id, "failed", result.detail);
            return result;
        }
        if (command === "destroy" && !existing.has(name)) {
            return done({ result: "absent", detail: "no stack" });
        }
        const logPath = logFile(options.workDir, name, command);
        const log = fs.createWriteStream(logPath);
        const diagnostics: string[] = [];
        const onEvent = (e: EngineEvent) => {
            if (e.diagnosticEvent?.severity === "error") diagnostics.push(e.diagnosticEvent.message);
            const m = e.resOutputsEvent?.metadata;
            if (m) progress.step(student.id, `${m.op} ${m.type.split(":").pop()} ${m.urn.split("::").pop()}`);
        };
        // showSecrets false: the summary Stack.up/destroy read after the run (`stack history`) then
        // skips decrypting the config, which nothing here shows.
        const ops = { onOutput: (s: string) => log.write(s), onEvent, color: "never" as const, signal: options.signal, showSecrets: false as const };
        try {
            progress.phase(student.id, "preparing");
            if (command === "destroy") {
                const stack = await oneAtATime(() => selectStack(options.workDir, name));
                const namespaces = namespacesOf(await stack.outputs());
                progress.phase(student.id, "running");
                await resumeInterrupted(stack, log, ops);
                const r = await withStaleLockRecovery(stack, log, () => stack.destroy(ops));
                await oneAtATime(() => stack.workspace.removeStack(name));
                return done({ changes: changesOf(r.summary.resourceChanges), namespaces, detail: "stack removed" });
            }
            const stack = await oneAtATime(() => prepareStack(options, base, secrets, student));
            progress.phase(student.id, "running");
            if (command === "preview") {
                const r = await withStaleLockRecovery(stack, log, () => stack.preview({ ...ops, refresh: options.refresh }));
                return done({ changes: changesOf(r.changeSummary), namespaces: namespacesOf(await stack.outputs()) });
            }
            await resumeInterrupted(stack, log, ops);
            const r = await withStaleLockRecovery(stack, log, () => stack.up({ ...ops, refresh: options.refresh }));
            return done({ changes: changesOf(r.summary.resourceChanges), namespaces: namespacesOf(r.outputs) });
        } catch (e) {
            log.write(`\nclassroom: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
            return done({ result: "failed", detail: options.signal?.aborted ? "interrupted" : reason(diagnostics, e), log: logPath });
        } finally {
            await new Promise((ok) => log.end(ok));
        }
    };

    return pool(students, options.parallel, runOne);
}
