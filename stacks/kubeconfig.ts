// The operator's kubeconfig, read as kubectl reads it: where the student's kubeconfig points
// when studentApiServer is not set.
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

/**
 * The API server of the current context of the kubeconfig the Kubernetes provider uses as
 * well: the files in KUBECONFIG (the first to set a name wins, as kubectl merges them), else
 * ~/.kube/config. Undefined when there is none or it names no server.
 */
/** What of a kubeconfig file is read here; anything may be missing. */
interface KubeconfigFile {
    "current-context"?: string;
    contexts?: { name?: string; context?: { cluster?: string } }[];
    clusters?: { name?: string; cluster?: { server?: unknown } }[];
}

export function ambientApiServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const files = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : env.HOME ? [path.join(env.HOME, ".kube", "config")] : [];
    const docs = files.flatMap((f) => {
        try {
            return [(parseYaml(fs.readFileSync(f, "utf8")) ?? {}) as KubeconfigFile];
        } catch {
            return [];
        }
    });
    const current = docs.map((d) => d["current-context"]).find(Boolean);
    const cluster = docs.flatMap((d) => d.contexts ?? []).find((e) => e?.name === current)?.context?.cluster;
    const server = docs.flatMap((d) => d.clusters ?? []).find((e) => e?.name === cluster)?.cluster?.server;
    return typeof server === "string" && server ? server : undefined;
}
