// The class roster: who gets a stack. Read from YAML or CSV and validated whole before any
// stack is touched; every problem names its file, line and rule.
import { parse as parseCsv } from "csv-parse/sync";
import * as fs from "fs";
import * as path from "path";
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { DNS_LABEL, MAX_PREFIX_LENGTH } from "../components/shared/naming";

export interface Student {
    /** Stack prefix: goes into every namespace, PV and directory of the student's stack. */
    id: string;
    name?: string;
    /** Line of the roster that names the student. */
    line: number;
}

export class RosterError extends Error {
    constructor(
        readonly file: string,
        readonly problems: string[],
    ) {
        super(`invalid roster ${file}:\n  - ${problems.join("\n  - ")}`);
        this.name = "RosterError";
    }
}

const FIELDS = ["id", "name"];

export const ROSTER_FORMATS = `YAML: "students:" followed by a list of ids or of {id, name}; CSV: a header row with "id" and optionally "name", then one student per line`;

/** Whether `id` can be a student id (the shape only; uniqueness is the roster's). */
export function isStudentId(id: string): boolean {
    return DNS_LABEL.test(id) && id.length <= MAX_PREFIX_LENGTH;
}

/** The stack that holds a student's lab. */
export function stackName(id: string): string {
    return `student-${id}`;
}

interface Entry {
    line: number;
    fields: Record<string, unknown>;
}

function yamlEntries(text: string, problems: string[]): Entry[] {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
    const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
    if (doc.errors.length > 0) {
        for (const e of doc.errors) problems.push(`${e.linePos?.[0].line ?? 1}: not valid YAML: ${e.message.split("\n")[0]}`);
        return [];
    }
    const root = doc.contents;
    const students = isMap(root) ? root.get("students", true) : undefined;
    if (!isMap(root) || !isSeq(students)) {
        problems.push(`${lineOf(root)}: expected a mapping with a "students" list (${ROSTER_FORMATS})`);
        return [];
    }
    for (const key of root.items) {
        const k = isScalar(key.key) ? String(key.key.value) : "?";
        if (k !== "students") problems.push(`${lineOf(key.key)}: unknown top-level key "${k}"; expected only "students"`);
    }
    return students.items.map((item) => {
        const line = lineOf(item as never);
        if (isScalar(item)) return { line, fields: { id: item.value } };
        if (isMap(item)) {
            const fields: Record<string, unknown> = {};
            for (const pair of item.items) {
                const k = isScalar(pair.key) ? String(pair.key.value) : "?";
                fields[k] = isScalar(pair.value) ? pair.value.value : (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.();
            }
            return { line, fields };
        }
        return { line, fields: { id: (item as { toJSON?: () => unknown })?.toJSON?.() } };
    });
}

function csvEntries(text: string, problems: string[]): Entry[] {
    let records: { record: Record<string, string>; info: { lines: number } }[];
    try {
        records = parseCsv(text, { columns: (header: string[]) => header.map((h) => h.trim()), info: true, skip_empty_lines: true, comment: "#", trim: true });
    } catch (e) {
        const err = e as Error & { lines?: number };
        problems.push(`${err.lines ?? 1}: not valid CSV: ${err.message}`);
        return [];
    }
    const header = text.split(/\r?\n/).findIndex((l) => l.trim() !== "" && !l.trim().startsWith("#")) + 1;
    const columns = records.length > 0 ? Object.keys(records[0].record) : [];
    if (records.length > 0 && !columns.includes("id")) {
        problems.push(`${header}: the header row has no "id" column (${ROSTER_FORMATS})`);
        return [];
    }
    return records.map((r) => ({ line: r.info.lines, fields: r.record }));
}

/** Reads and validates a roster; throws one RosterError listing every problem. */
export function readRoster(file: string, options: { reservedIds?: Record<string, string> } = {}): Student[] {
    const label = path.basename(file);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new RosterError(label, [`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
    const problems: string[] = [];
    const ext = path.extname(file).toLowerCase();
    let entries: Entry[];
    if (ext === ".csv") entries = csvEntries(text, problems);
    else if (ext === ".yaml" || ext === ".yml") entries = yamlEntries(text, problems);
    else throw new RosterError(label, [`unknown roster format "${ext || "(no extension)"}"; expected .yaml, .yml or .csv (${ROSTER_FORMATS})`]);

    const students: Student[] = [];
    const seen = new Map<string, number>();
    for (const { line, fields } of entries) {
        const at = `${label}:${line}`;
        for (const k of Object.keys(fields)) {
            if (!FIELDS.includes(k)) problems.push(`${at}: unknown field "${k}"; expected ${FIELDS.join(", ")}`);
        }
        const raw = fields.id;
        if (raw === undefined || raw === null || raw === "") {
            problems.push(`${at}: the student has no id`);
            continue;
        }
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a non-text id is reported as such just below
        const id = String(raw);
        const before = problems.length;
        if (typeof raw !== "string") problems.push(`${at}: id ${JSON.stringify(raw)} must be text, a DNS-1123 label`);
        else if (!DNS_LABEL.test(id)) {
            problems.push(`${at}: id "${id}" is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`);
        }
        if (id.length > MAX_PREFIX_LENGTH) {
            problems.push(`${at}: id "${id}" has ${id.length} characters; at most ${MAX_PREFIX_LENGTH} keep every name derived from it (namespaces, PVs, labels) legal`);
        }
        const reserved = options.reservedIds?.[id];
        if (reserved) problems.push(`${at}: id "${id}" is the prefix of ${reserved}; its namespaces would be the student's`);
        const first = seen.get(id);
        if (first !== undefined) problems.push(`${at}: id "${id}" is already on line ${first}; ids must be unique`);
        else seen.set(id, line);
        const name = fields.name;
        if (name !== undefined && typeof name !== "string") problems.push(`${at}: name must be text`);
        if (problems.length === before) students.push({ id, line, ...(typeof name === "string" && name ? { name } : {}) });
    }
    if (entries.length === 0 && problems.length === 0) problems.push(`${label}: no students (${ROSTER_FORMATS})`);
    if (problems.length > 0) throw new RosterError(label, problems.map((p) => (p.startsWith(label) ? p : `${label}:${p}`)));
    return students;
}
