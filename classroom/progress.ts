// Live progress per student while a class runs: a table redrawn in place on a terminal, one
// line per change of state otherwise (CI logs, pipes). Written to stderr, so stdout keeps
// only the summary (or --json).

export type Phase = "queued" | "preparing" | "running" | "done" | "failed";

interface Row {
    id: string;
    phase: Phase;
    resources: number;
    current: string;
    started?: number;
    ended?: number;
    lastReported: number;
}

const NON_TTY_EVERY = 25;

export class Progress {
    private readonly rows = new Map<string, Row>();
    private timer?: NodeJS.Timeout;
    private drawn = 0;

    constructor(
        private readonly command: string,
        ids: string[],
        private readonly out: NodeJS.WriteStream = process.stderr,
        private readonly live = !!process.stderr.isTTY && process.env.TERM !== "dumb",
    ) {
        for (const id of ids) this.rows.set(id, { id, phase: "queued", resources: 0, current: "", lastReported: 0 });
        if (this.live) this.timer = setInterval(() => this.draw(), 500);
    }

    phase(id: string, phase: Phase, note = ""): void {
        const row = this.rows.get(id)!;
        row.phase = phase;
        if (phase === "preparing" || (phase === "running" && row.started === undefined)) row.started = Date.now();
        if (phase === "done" || phase === "failed") row.ended = Date.now();
        row.current = note;
        if (!this.live) this.line(row, note);
    }

    /** A resource step finished. */
    step(id: string, what: string): void {
        const row = this.rows.get(id)!;
        row.resources++;
        row.current = what;
        if (!this.live && row.resources - row.lastReported >= NON_TTY_EVERY) {
            row.lastReported = row.resources;
            this.line(row, `${row.resources} resources`);
        }
    }

    stop(): void {
        if (this.timer) clearInterval(this.timer);
        if (this.live) this.draw();
    }

    private seconds(row: Row): string {
        return row.started === undefined ? "" : `${Math.round(((row.ended ?? Date.now()) - row.started) / 1000)}s`;
    }

    private line(row: Row, note: string): void {
        this.out.write(`[${row.id}] ${this.command} ${row.phase}${note ? `: ${note}` : ""}${row.phase === "queued" ? "" : ` (${this.seconds(row)})`}\n`);
    }

    private draw(): void {
        const width = Math.max(...[...this.rows.keys()].map((k) => k.length));
        const cols = this.out.columns ?? 120;
        const lines = [...this.rows.values()].map((r) =>
            `  ${r.id.padEnd(width)}  ${this.command} ${r.phase.padEnd(9)} ${String(r.resources).padStart(4)} resources ${this.seconds(r).padStart(5)}  ${r.current}`.slice(0, cols - 1),
        );
        // move up over the previous drawing, then rewrite each line
        if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A`);
        for (const l of lines) this.out.write(`\x1b[2K${l}\n`);
        this.drawn = lines.length;
    }
}
