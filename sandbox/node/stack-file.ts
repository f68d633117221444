// The dev stack's config as it runs on the real node (sandbox/node/up.sh): the dev stack file
// with the labs that can run there, the images built here (sandbox/node/images.sh) selected
// through the stack's own image keys (the course apps' too, so workshop and customer run whole),
// the node's data directory, and the todo app exposed both ways (the node runs Traefik).
// Nothing else changes.
// Used by the real-node suite and by `npm run local`, which calls it as a command:
//   ts-node sandbox/node/stack-file.ts <data dir> [--class-to <file>]
// (prints the dev stack file on stdout; writes the classroom's base, nodeClassStackFile, to <file>)
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";

const REPO_ROOT = path.resolve(__dirname, "../..");

/** Labs whose every image exists here: MongoDB and Grafana have no Debian package. */
export const NODE_LABS = ["workshop", "todo", "customer", "postgres-ha"];

/** sandbox/node/images.sh's keys; workshop, customer and catalog are the course apps. */
export type NodeImages = Record<"postgres" | "busybox" | "todo" | "workshop" | "customer" | "catalog" | "pause", string>;

/** The user the course apps' images run as (APP_UID in sandbox/node/images.sh): no security context names it. */
export const APP_IMAGE_UID = 10001;

export function nodeImages(): NodeImages {
    const toolchain = process.env.LABS_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache/state-labs/toolchain");
    return JSON.parse(fs.readFileSync(path.join(toolchain, "images/refs.json"), "utf8")) as NodeImages;
}

/** The text of Pulumi.dev.yaml with the node's labs, images, data directory and name (every PV is pinned to it). */
export function nodeStackFile(dataDir: string, images: NodeImages = nodeImages(), node: string = nodeSettings().name): string {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    Object.assign(doc.config, nodeLabsConfig(images), { "state-labs:hostPathRoot": dataDir, "state-labs:hostPathNode": node });
    return `# The dev stack on the real node (sandbox/node/stack-file.ts); do not edit.\n${stringify(doc)}`;
}

/** The text of Pulumi.dynamic.yaml with the node's labs and images, its claims made by the node's CSI driver (whose volumes grow). */
export function nodeDynamicStackFile(images: NodeImages = nodeImages(), csiDriver: string = nodeSettings().csiDriver): string {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dynamic.yaml"), "utf8")) as { config: Record<string, unknown> };
    Object.assign(doc.config, nodeLabsConfig(images), { "state-labs:storageProvisioner": csiDriver, "state-labs:storageAllowExpansion": true });
    return `# The dynamic stack on the real node (sandbox/node/stack-file.ts); do not edit.\n${stringify(doc)}`;
}

/** What every stack on the node sets: the labs that run there and the images built here. */
function nodeLabsConfig(images: NodeImages): Record<string, unknown> {
    return {
        "state-labs:labs": NODE_LABS,
        "state-labs:postgresImage": images.postgres,
        "state-labs:volumePermissionsImage": images.busybox,
        "state-labs:todoAppImage": images.todo,
        "state-labs:workshopBackendImage": images.workshop,
        "state-labs:customerBackendImage": images.customer,
        // the node's Traefik serves the seed's Ingress and Gateway API: prove both
        "state-labs:todoExposure": "both",
        // movies is not among NODE_LABS (no MongoDB here): its catalog image is set where it runs
    };
}

/** The real node's ingress controller (Traefik), as the host reaches it. */
export interface NodeIngress {
    /** The node's IP, where Traefik's `web` entry point listens (and what it writes in Ingress and Gateway statuses). */
    nodeIp: string;
    /** That entry point's port: also the listener port a Gateway must use. */
    port: number;
    /** `http://<nodeIp>:<port>`: ask it with the Ingress's or HTTPRoute's host as the Host header. */
    url: string;
    /** The IngressClass (controller k8s.io/ingress-nginx) and GatewayClass (traefik.io/gateway-controller) up.sh creates. */
    ingressClass: string;
    gatewayClass: string;
}

/** The real node of a cluster (default: LABS_CLUSTER_NAME, else sandbox/cluster/lib.sh's default) as
 *  sandbox/node/lib.sh itself names it and derives its addresses from the cluster's name. */
export function nodeSettings(cluster: string = process.env.LABS_CLUSTER_NAME ?? "state-labs"): { name: string; csiDriver: string; ingress: NodeIngress } {
    const script = 'die() { echo "$*" >&2; exit 1; }; CLUSTER_NAME="$1"; source "$2" && echo "$NODE_NAME $NODE_IP $TRAEFIK_WEB_PORT $INGRESS_CLASS $GATEWAY_CLASS $CSI_DRIVER"';
    const out = execFileSync("bash", ["-c", script, "bash", cluster, path.join(__dirname, "lib.sh")], { encoding: "utf8" });
    const [name, nodeIp, port, ingressClass, gatewayClass, csiDriver] = out.trim().split(" ");
    if (!name || !nodeIp || !port || !ingressClass || !gatewayClass || !csiDriver) throw new Error(`sandbox/node/lib.sh gave no node settings for cluster ${cluster}: ${out}`);
    return { name, csiDriver, ingress: { nodeIp, port: Number(port), url: `http://${nodeIp}:${port}`, ingressClass, gatewayClass } };
}

/** Where the real node serves Ingresses and HTTPRoutes (see nodeSettings). */
export function nodeIngress(cluster?: string): NodeIngress {
    return nodeSettings(cluster).ingress;
}

/** Labs of the classroom's base on the node (`npm run local -- classroom`): a class of two beside the dev stack. */
export const CLASS_LABS = ["workshop", "todo", "postgres-ha"];

/** The classroom's base stack file on the node: the node's dev stack file, prefix `class`, CLASS_LABS. */
export function nodeClassStackFile(dataDir: string, images: NodeImages = nodeImages(), node: string = nodeSettings().name): string {
    const doc = parse(nodeStackFile(dataDir, images, node)) as { config: Record<string, unknown> };
    Object.assign(doc.config, { "state-labs:prefix": "class", "state-labs:labs": CLASS_LABS });
    return `# The classroom's base on the real node (sandbox/node/stack-file.ts --class-to); do not edit.\n${stringify(doc)}`;
}

if (require.main === module) {
    // one process for both files: `npm run local -- up` starts ts-node once
    const [dataDir, flag, classFile] = process.argv.slice(2);
    if (!dataDir || !path.isAbsolute(dataDir) || (flag !== undefined && (flag !== "--class-to" || !classFile))) {
        console.error("usage: ts-node sandbox/node/stack-file.ts <absolute data directory> [--class-to <file>]");
        process.exit(2);
    }
    const [images, node] = [nodeImages(), nodeSettings().name];
    if (classFile) fs.writeFileSync(classFile, nodeClassStackFile(dataDir, images, node));
    process.stdout.write(nodeStackFile(dataDir, images, node));
}
