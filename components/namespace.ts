import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Labels } from "./naming";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface LabNamespaceArgs {
    /** The namespace's full name (prefixed by the caller's naming). */
    name: string;
    labels: Labels;
    /**
     * Pod Security Admission level enforced. Namespaces whose pods fix volume ownership
     * with a root init container need "baseline"; the rest run "restricted".
     */
    enforce: PodSecurityLevel;
    /** Keep the namespace (and the claims in it) when the stack is destroyed. */
    holdsData: boolean;
    keepDataOnDestroy: boolean;
}

/** A lab's namespace with standard and Pod Security Admission labels. */
export class LabNamespace extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;
    readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, args: LabNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:core:Namespace", name, {}, opts);
        this.namespace = new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: args.name,
                    labels: {
                        ...args.labels,
                        "pod-security.kubernetes.io/enforce": args.enforce,
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        // audit what restricted would refuse, so the gap is visible in audit logs
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/audit-version": "latest",
                        "pod-security.kubernetes.io/warn": args.enforce,
                        "pod-security.kubernetes.io/warn-version": "latest",
                    },
                },
            },
            // Deleting a namespace deletes the claims in it: keep it when it holds data.
            { parent: this, retainOnDelete: args.holdsData && args.keepDataOnDestroy },
        );
        this.name = this.namespace.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
