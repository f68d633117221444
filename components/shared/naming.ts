// Names and labels are decided here and nowhere else.
import * as path from "path";

export const LAB_IDS = ["workshop", "todo", "movies", "customer", "postgres-ha"] as const;
export type LabId = (typeof LAB_IDS)[number];

export const PART_OF = "state-labs";
const LABEL_PREFIX = "state-labs.io";
/** On every object of a stack: its prefix (a student's id). */
export const PREFIX_LABEL = `${LABEL_PREFIX}/prefix`;
/** On every object of a lab, namespaces included: the lab's id. */
export const LAB_LABEL = `${LABEL_PREFIX}/lab`;
/** Pod-template annotation naming the credentials generation a pod was started with (see credentials.ts). */
export const CREDENTIALS_GENERATION_ANNOTATION = `${LABEL_PREFIX}/credentials-generation`;

// The longest namespace base a lab uses is "stateful-namespace" (18): with "-" and a
// 30-character prefix every namespace stays within the 63-character DNS label limit,
// with room to spare for labels that join prefix and lab id.
export const MAX_PREFIX_LENGTH = 30;

export type Labels = Record<string, string>;

/** A DNS-1123 label's shape (length aside): what namespaces, ids and prefixes must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The student's identity in the cluster: a ServiceAccount with a long-lived token, and its Role in every lab namespace. */
export const STUDENT = { serviceAccount: "student", tokenSecret: "student-token", role: "student-edit" } as const;

/** What one workload is, for its labels: `name` is the app, `component` its role in the lab. */
export interface AppIdentity {
    name: string;
    component: string;
    /** Labels a seed relies on (e.g. `app: customer`); added to every object of the app. */
    extra?: Labels;
}

/** Names and labels of one stack (one prefix, e.g. one student). */
export class StackNaming {
    constructor(readonly prefix: string) {}

    /** Namespace of a lab: the seed's name behind the stack prefix. */
    namespace(base: string): string {
        return `${this.prefix}-${base}`;
    }

    /** The namespace that holds the student's ServiceAccount; the student has no rights in it. */
    accessNamespace(): string {
        return this.namespace("access");
    }

    /**
     * The namespace of the stack's root storage work (the NFS mkdir Jobs, which mount the export
     * root): no student has rights in it, so none can exec into a pod that sees every volume.
     */
    storageNamespace(): string {
        return this.namespace("storage");
    }

    /** Cluster-scoped objects (PVs, StorageClasses) carry the prefix so stacks never collide. */
    clusterScoped(...parts: string[]): string {
        return [this.prefix, ...parts].join("-");
    }

    /** A volume's directory below a storage root: <root>/<prefix>/<lab>/<volume>. */
    volumeDirectory(root: string, lab: LabId, volume: string): string {
        return path.posix.join(root, this.prefix, lab, volume);
    }

    /** Labels on every object of the stack, e.g. its cluster-scoped storage. */
    stackLabels(): Labels {
        return {
            "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/managed-by": "pulumi",
            [PREFIX_LABEL]: this.prefix,
        };
    }

    /** Labels on every object of a lab. */
    labLabels(lab: LabId): Labels {
        return { ...this.stackLabels(), [LAB_LABEL]: lab };
    }

    /** The immutable selector of a workload: stable across updates, unique within the stack. */
    selectorLabels(lab: LabId, app: AppIdentity): Labels {
        return {
            "app.kubernetes.io/name": app.name,
            "app.kubernetes.io/instance": `${this.prefix}-${lab}`,
        };
    }

    /** All labels of a workload's objects. */
    appLabels(lab: LabId, app: AppIdentity): Labels {
        return {
            ...this.labLabels(lab),
            ...this.selectorLabels(lab, app),
            "app.kubernetes.io/component": app.component,
            ...app.extra,
        };
    }
}

/** The claim a StatefulSet's controller creates for a template and ordinal. */
export function templateClaimName(template: string, statefulSet: string, ordinal: number): string {
    return `${template}-${statefulSet}-${ordinal}`;
}

/** In-cluster DNS name of a Service (or of pod `<pod>.<headless>`). */
export function serviceHost(name: string, namespace: string): string {
    return `${name}.${namespace}.svc.cluster.local`;
}
