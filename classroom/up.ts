// `classroom up`: create or update every student's stack.
import { Command } from "commander";
import { RosterOptions, rosterOptions, selectStudents, stackCommand } from "./common";

export function register(program: Command): void {
    rosterOptions(program.command("up").description("create or update every student's stack (safe to re-run: resumes where a run stopped)"))
        .option("--refresh", "refresh each stack from the cluster first")
        .action(async (o: RosterOptions & { refresh?: boolean }) => {
            process.exitCode = await stackCommand("up", selectStudents(o), o);
        });
}
