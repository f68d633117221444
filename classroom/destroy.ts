// `classroom destroy`: destroy and remove each student's stack; data stays as keepDataOnDestroy says.
import { Command } from "commander";
import { ClassError } from "./class";
import { RosterOptions, rosterOptions, selectStudents, stackCommand } from "./common";

export function register(program: Command): void {
    rosterOptions(program.command("destroy").description("destroy and remove each student's stack; data is kept as keepDataOnDestroy says"))
        .option("-y, --yes", "required: confirms the destroy")
        .action(async (o: RosterOptions & { yes?: boolean }) => {
            const students = selectStudents(o);
            if (!o.yes) throw new ClassError([`destroy deletes the stacks of ${students.length} student(s) (${students.map((s) => s.id).join(", ")}); add --yes to go ahead`]);
            process.exitCode = await stackCommand("destroy", students, o);
        });
}
