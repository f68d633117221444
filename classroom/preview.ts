// `classroom preview`: what `up` would change, per student.
import { Command } from "commander";
import { RosterOptions, rosterOptions, selectStudents, stackCommand } from "./common";

export function register(program: Command): void {
    rosterOptions(program.command("preview").description("show what up would change, per student"))
        .option("--refresh", "refresh each stack from the cluster first")
        .action(async (o: RosterOptions & { refresh?: boolean }) => {
            process.exitCode = await stackCommand("preview", selectStudents(o), o);
        });
}
