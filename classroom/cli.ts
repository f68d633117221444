// `npm run classroom -- <command>`: the labs for a whole class, one stack per student. One
// file per command (up, preview, status, check, reset, destroy, kubeconfig); this one wires them.
// Exit status: 0 every student succeeded (or is healthy); 1 at least one failed; 2 invalid
// invocation, roster or class config (nothing touched); 130 interrupted.
import { Command, CommanderError } from "commander";
import { ClassError } from "./class";
import { EXIT } from "./common";
import { PreflightError } from "./preflight";
import { RosterError } from "./roster";
import * as up from "./up";
import * as preview from "./preview";
import * as status from "./status";
import * as check from "./check";
import * as reset from "./reset";
import * as destroy from "./destroy";
import * as kubeconfig from "./kubeconfig";

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
  npm run classroom -- status --roster class.yaml --watch
  npm run classroom -- check --roster class.yaml --lab postgres-ha
  npm run classroom -- reset --roster class.yaml --only ada --lab workshop --yes
  npm run classroom -- kubeconfig ada > ada.kubeconfig
  npm run classroom -- destroy --roster class.yaml --only ada --yes

Exit status: 0 every student succeeded; 1 at least one failed (status, check: is not healthy,
did not pass); 2 invalid invocation, roster, class config or environment (no Pulumi CLI, login,
passphrase or reachable cluster: nothing was touched); 130 interrupted.
--verbose (or DEBUG set) adds the stack trace to an unexpected error.
Logs of each student's run: <dir>/.classroom/logs/student-<id>.<command>.log`,
        );
    for (const command of [up, preview, status, check, reset, destroy, kubeconfig]) command.register(program);
    return program;
}

export async function main(argv: string[]): Promise<number> {
    // --verbose anywhere on the line (a newcomer puts it after the command), not a command's option
    const verbose = argv.includes("--verbose") || !!process.env.DEBUG;
    try {
        await cli().parseAsync(argv.filter((a) => a !== "--verbose"));
        return Number(process.exitCode ?? EXIT.ok);
    } catch (e) {
        if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        if (e instanceof RosterError || e instanceof ClassError || e instanceof PreflightError) {
            process.stderr.write(`classroom: ${e.message}\n`);
            return EXIT.usage;
        }
        const text = e instanceof Error ? (verbose ? e.stack ?? e.message : e.message) : String(e);
        process.stderr.write(`classroom: ${text}${verbose ? "" : "\n(--verbose or DEBUG=1 shows where)"}\n`);
        return EXIT.failed;
    }
}

if (require.main === module) {
    void main(process.argv).then((code) => process.exit(code));
}
