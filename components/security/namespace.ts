import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceFence, NamespaceFenceSettings } from "./namespace-fence";
import { Labels, STUDENT } from "../shared/naming";

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
    fence: NamespaceFenceSettings;
    /** Namespace of the student's ServiceAccount, which gets edit rights here. */
    accessNamespace: string;
}

/** Pod Security Admission labels of a namespace enforcing `enforce`. */
export function podSecurityLabels(enforce: PodSecurityLevel): Labels {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        // audit what restricted would refuse, so the gap is visible in audit logs
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": enforce,
        "pod-security.kubernetes.io/warn-version": "latest",
    };
}

/**
 * A namespace as the objects going into it need it. Pods created before the quota and
 * LimitRange exist would escape them, so whatever makes pods waits for both; nothing else
 * has to, and Secrets, Services and claims start as soon as the namespace exists.
 */
export interface NamespaceRef {
    /** For objects that make no pods: Secrets, ConfigMaps, Services, claims, policies. */
    name: pulumi.Input<string>;
    /** For StatefulSets, Deployments and Jobs: resolves once the quota and LimitRange stand. */
    forPods: pulumi.Input<string>;
}

/** A namespace that is not fenced (tests, or one fenced elsewhere): the same name for both. */
export function unfenced(name: string): NamespaceRef {
    return { name, forPods: name };
}

/** A lab's namespace with standard and Pod Security Admission labels, fenced for one student. */
export class LabNamespace extends pulumi.ComponentResource implements NamespaceRef {
    /** The name, resolved once the namespace exists. */
    readonly name: pulumi.Output<string>;
    /** The name, resolved once the fence stands too: pods made with it start inside quota and limits. */
    readonly forPods: pulumi.Output<string>;
    readonly namespace: k8s.core.v1.Namespace;
    readonly fence: NamespaceFence;

    constructor(name: string, args: LabNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:core:Namespace", name, {}, opts);
        this.namespace = new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: args.name,
                    labels: { ...args.labels, ...podSecurityLabels(args.enforce) },
                },
            },
            // Deleting a namespace deletes the claims in it: keep it when it holds data.
            { parent: this, retainOnDelete: args.holdsData && args.keepDataOnDestroy },
        );
        this.fence = new NamespaceFence(
            `${name}-fence`,
            {
                namespace: this.namespace.metadata.name,
                labels: args.labels,
                settings: args.fence,
                student: { serviceAccount: STUDENT.serviceAccount, namespace: args.accessNamespace },
            },
            { parent: this },
        );
        this.name = this.namespace.metadata.name;
        this.forPods = pulumi
            .all([this.namespace.metadata.name, this.fence.quota.metadata.name, this.fence.limitRange.metadata.name])
            .apply(([n]) => n);
        this.registerOutputs({ name: this.name });
    }
}
