// The dev stack's config as it runs on the real node (sandbox/node/up.sh): the dev stack file
// with the labs that can run there, the images built here (sandbox/node/images.sh) selected
// through the stack's own image keys (the course apps' too, so workshop and customer run whole),
// and the node's data directory. Nothing else changes.
// Used by the real-node suite and by `npm run local`, which calls it as a command:
//   ts-node sandbox/node/stack-file.ts <data dir>     (prints the stack file on stdout)
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

/** The text of Pulumi.dev.yaml with the node's labs, images and data directory. */
export function nodeStackFile(dataDir: string, images: NodeImages = nodeImages()): string {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
    Object.assign(doc.config, {
        "state-labs:labs": NODE_LABS,
        "state-labs:hostPathRoot": dataDir,
        "state-labs:postgresImage": images.postgres,
        "state-labs:volumePermissionsImage": images.busybox,
        "state-labs:todoAppImage": images.todo,
        "state-labs:workshopBackendImage": images.workshop,
        "state-labs:customerBackendImage": images.customer,
        // movies is not among NODE_LABS (no MongoDB here): its catalog image is set where it runs
    });
    return `# The dev stack on the real node (sandbox/node/stack-file.ts); do not edit.\n${stringify(doc)}`;
}

if (require.main === module) {
    const [dataDir] = process.argv.slice(2);
    if (!dataDir || !path.isAbsolute(dataDir)) {
        console.error("usage: ts-node sandbox/node/stack-file.ts <absolute data directory>");
        process.exit(2);
    }
    process.stdout.write(nodeStackFile(dataDir));
}
