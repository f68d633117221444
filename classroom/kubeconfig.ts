// `classroom kubeconfig <id>`: a student's kubeconfig, from their stack's secret output.
import { Command } from "commander";
import * as path from "path";
import { MAX_PREFIX_LENGTH } from "../components/shared/naming";
import { ClassError, existingStacks, workspace } from "./class";
import { EXIT, dirOption } from "./common";
import { requirePulumiFor } from "./preflight";
import { isStudentId, stackName } from "./roster";

async function kubeconfig(id: string, o: { dir: string }): Promise<number> {
    if (!isStudentId(id)) throw new ClassError([`"${id}" is not a student id (a DNS-1123 label of at most ${MAX_PREFIX_LENGTH} characters)`]);
    const name = stackName(id);
    requirePulumiFor(path.resolve(o.dir), [name]);
    const ws = await workspace(path.resolve(o.dir));
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

export function register(program: Command): void {
    program
        .command("kubeconfig <id>")
        .description("print a student's kubeconfig (a secret: hand it to that student only)")
        .addOption(dirOption())
        .action(async (id: string, o: { dir: string }) => {
            process.exitCode = await kubeconfig(id, o);
        });
}
