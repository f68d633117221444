// `npm run render -- --stack dev --out rendered/dev`: writes, as YAML, exactly the Kubernetes
// objects the stack's program creates, by running it under Pulumi's mock runtime with the
// stack's real config file. No Pulumi CLI, no cluster. Generated passwords are mock values.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { PreflightError, requireStackFile } from "../classroom/preflight";
import { PROJECT } from "../stacks/config";
import { JsonObject, REPO_ROOT, StackRun, isClusterScoped, kubernetesObjects, runStack, stackFileConfig } from "./mock-runtime";

// Apply order (Helm's, for the kinds we emit): what others refer to comes first; the student's
// admission policy before anything the student could use. The fence
// (policies, quota, limits) precedes any pod; a ServiceAccount precedes its token Secret,
// which the token controller deletes if the account is missing.
const ORDER = [
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "ServiceAccount", "Secret", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "Role", "RoleBinding", "Service", "Job", "StatefulSet", "Deployment", "Ingress",
];

export interface RenderedFile {
    file: string;
    object: JsonObject;
}

/** The objects of a run as files named in apply order; claim patches last, in `patches/`. */
export function renderFiles(run: StackRun): RenderedFile[] {
    const rank = (kind: string) => (ORDER.indexOf(kind) === -1 ? ORDER.length : ORDER.indexOf(kind));
    const objects = kubernetesObjects(run);
    const sorted = [...objects].sort(
        (a, b) =>
            Number(a.type.endsWith("Patch")) - Number(b.type.endsWith("Patch")) ||
            rank(a.object.kind) - rank(b.object.kind) ||
            `${a.object.metadata.namespace ?? ""}/${a.object.metadata.name}`.localeCompare(`${b.object.metadata.namespace ?? ""}/${b.object.metadata.name}`),
    );
    return sorted.map((o, i) => {
        const md = o.object.metadata;
        const scope = isClusterScoped(o.object.kind) ? "" : `${md.namespace}-`;
        const dir = o.type.endsWith("Patch") ? "patches/" : "";
        return { file: `${dir}${String(i).padStart(3, "0")}-${o.object.kind.toLowerCase()}-${scope}${md.name}.yaml`, object: o.object };
    });
}

/** The command: `argv` as process.argv; the exit code, or a throw for runMain to report. */
export async function main(argv: string[]): Promise<number> {
    const cli = new Command()
        .name("render")
        .description("Write the Kubernetes objects a stack creates as YAML files, without a Pulumi engine or cluster.")
        .requiredOption("-s, --stack <name>", "stack whose Pulumi.<name>.yaml is used, e.g. dev or nfs")
        .option("-o, --out <dir>", "output directory (emptied first)", "")
        .option("--set <key=value...>", "override a config key for this render, e.g. --set prefix=alice", (v: string, acc: string[]) => {
            if (!v.includes("=")) throw new InvalidArgumentError(`expected key=value, got "${v}"`);
            return [...acc, v];
        }, [] as string[])
        .exitOverride()
        .parse(argv);
    const opts = cli.opts<{ stack: string; out: string; set: string[] }>();
    const out = path.resolve(opts.out || path.join(REPO_ROOT, "rendered", opts.stack));
    requireStackFile(REPO_ROOT, opts.stack);
    const config = stackFileConfig(opts.stack);
    for (const kv of opts.set) {
        const [k, ...v] = kv.split("=");
        config[k.includes(":") ? k : `${PROJECT}:${k}`] = v.join("=");
    }
    const started = process.hrtime.bigint();
    const run = await runStack(config, opts.stack);
    if (run.error) {
        console.error(run.error.message);
        return 1;
    }
    const files = renderFiles(run);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(path.join(out, "patches"), { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(out, f.file), stringify(f.object, { lineWidth: 0 }));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    for (const w of run.warnings) console.error(`warning: ${w}`);
    console.log(`${opts.stack}: ${files.length} objects (${run.resources.length} resources) written to ${path.relative(process.cwd(), out) || "."} in ${ms.toFixed(0)} ms`);
    return 0;
}

/** Exit 2 and one line for a bad invocation (unknown stack, bad option); a stack trace only with --verbose or DEBUG. */
export async function runMain(name: string, fn: (argv: string[]) => Promise<number>, argv: string[]): Promise<number> {
    const verbose = argv.includes("--verbose") || !!process.env.DEBUG;
    try {
        return await fn(argv.filter((a) => a !== "--verbose"));
    } catch (e) {
        if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
        if (e instanceof PreflightError) {
            console.error(`${name}: ${e.message}`);
            return 2;
        }
        console.error(`${name}: ${e instanceof Error ? (verbose ? e.stack : e.message) : String(e)}`);
        return 1;
    }
}

if (require.main === module) {
    void runMain("render", main, process.argv).then((code) => process.exit(code));
}
