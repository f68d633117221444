// Where a stack's data lives is fixed while the stack lives. A change of a key that decides it
// (prefix, storage mode, root directory, node, NFS server and path, storage class) would point
// every database at a new, empty volume while its data stays where it was: nothing in
// Kubernetes refuses that (a PV's source is immutable, so Pulumi simply makes new ones). The
// guard records the location with the volumes that live there, and its provider's `check`,
// which the engine calls in `pulumi preview` and before any step of `pulumi up`, refuses a
// change: every Kubernetes resource of the stack waits for the guard (stacks/program.ts).
import * as pulumi from "@pulumi/pulumi";

/** A volume that holds lab data, as the message names it. */
export interface GuardedVolume {
    lab: string;
    /** `PV <name>` (static modes) or `claim <name>` (dynamic mode). */
    volume: string;
}

/** Config key → value, for every key that decides where the data lives. */
export type StorageLocation = Record<string, string>;

export interface LocationRecord {
    location: StorageLocation;
    volumes: GuardedVolume[];
}

/**
 * Why `next` may not replace `recorded`, or undefined: a key of the location changed while
 * volumes live at the recorded one. Self-contained (no imports): the engine runs it from the
 * serialized provider.
 */
export function locationChangeProblem(recorded: Partial<LocationRecord> | undefined, next: LocationRecord): string | undefined {
    const volumes = recorded?.volumes ?? [];
    const old = recorded?.location;
    if (!old || volumes.length === 0) return undefined;
    // Only a key both records hold decides: one the recorded location lacks was added by a later
    // program (or belongs to another mode, whose switch storageMode itself shows).
    const moved = Object.keys(old).some((k) => k in next.location && old[k] !== next.location[k]);
    if (!moved) return undefined;
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next.location)])];
    const show = (v: string | undefined) => (v === undefined || v === "" ? "(not set)" : JSON.stringify(v));
    const changed = keys.filter((k) => (old[k] ?? "") !== (next.location[k] ?? "")).map((k) => `${k} ${show(old[k])} -> ${show(next.location[k])}`);
    const shown = volumes.slice(0, 8).map((v) => `${v.volume} (${v.lab})`);
    const more = volumes.length > shown.length ? ` and ${volumes.length - shown.length} more` : "";
    return (
        `the stack's data would move: ${changed.join(", ")}. Its ${volumes.length} volume(s) ${shown.join(", ")}${more} keep their data at the old location, ` +
        `and the databases would start on new, empty volumes. Nothing was changed. Set the key(s) back to the old value; to move the data on purpose, ` +
        `follow the README's "Moving data" (pulumi destroy keeping the data, move it, then pulumi up with the new value).`
    );
}

const provider: pulumi.dynamic.ResourceProvider = {
    check(olds: Partial<LocationRecord>, news: LocationRecord) {
        const problem = locationChangeProblem(olds, news);
        return Promise.resolve(problem ? { inputs: news, failures: [{ property: "", reason: problem }] } : { inputs: news });
    },
    create(inputs: LocationRecord) {
        return Promise.resolve({ id: "storage-location", outs: inputs });
    },
    update(_id: string, _olds: LocationRecord, news: LocationRecord) {
        return Promise.resolve({ outs: news });
    },
};

class LocationRecordResource extends pulumi.dynamic.Resource {
    constructor(name: string, args: { location: pulumi.Input<StorageLocation>; volumes: pulumi.Input<GuardedVolume[]> }, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, args, opts);
    }
}

export interface StorageLocationGuardArgs {
    location: StorageLocation;
    /** Resolved once every lab has asked the backend for its volumes. */
    volumes: pulumi.Input<GuardedVolume[]>;
}

/** The recorded location of a stack's data; depend on it to act only once a move was refused. */
export class StorageLocationGuard extends pulumi.ComponentResource {
    readonly record: pulumi.CustomResource;

    constructor(name: string, args: StorageLocationGuardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:LocationGuard", name, {}, opts);
        this.record = new LocationRecordResource(`${name}-record`, { location: args.location, volumes: args.volumes }, { parent: this });
        this.registerOutputs({ location: args.location });
    }
}
