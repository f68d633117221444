// The fence around one student namespace: what it may consume (ResourceQuota), what a
// container gets when it says nothing (LimitRange), who may connect to its pods
// (NetworkPolicy), and the student's edit rights in it (Role + RoleBinding).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Labels, STUDENT } from "../shared/naming";
import { kubeScoreIgnore } from "../shared/resources";

export interface NamespaceFenceSettings {
    quota: { cpuRequests: string; memoryRequests: string; cpuLimits: string; memoryLimits: string; storage: string; pods: number };
    containerDefaults: { request: { cpu: string; memory: string }; limit: { cpu: string; memory: string } };
}

export interface NamespaceFenceArgs {
    namespace: pulumi.Input<string>;
    labels: Labels;
    settings: NamespaceFenceSettings;
    /** The student's ServiceAccount, which gets edit rights here. */
    student: { serviceAccount: string; namespace: string };
}

const READ = ["get", "list", "watch"];
const WRITE = [...READ, "create", "update", "patch", "delete", "deletecollection"];

/**
 * What a student may do in a lab namespace: the built-in `edit` role's work on pods, workloads,
 * Services, config, Secrets, claims and Ingresses, but only read the fence itself (quota,
 * limits, NetworkPolicies) and no RBAC, so no student can open their namespace or widen
 * their own rights. Claims bind only to the PVs reserved for them (claimRef), and Pod
 * Security forbids hostPath volumes to students' pods, so storage stays fenced too.
 */
export const STUDENT_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    {
        apiGroups: [""],
        resources: ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services", "services/proxy", "endpoints", "configmaps", "secrets", "persistentvolumeclaims"],
        verbs: WRITE,
    },
    { apiGroups: [""], resources: ["pods/log", "pods/status", "events", "serviceaccounts", "resourcequotas", "limitranges", "namespaces"], verbs: READ },
    {
        apiGroups: ["apps"],
        resources: ["deployments", "deployments/scale", "statefulsets", "statefulsets/scale", "replicasets", "replicasets/scale"],
        verbs: WRITE,
    },
    { apiGroups: ["apps"], resources: ["controllerrevisions"], verbs: READ },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: WRITE },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: WRITE },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: WRITE },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: WRITE },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
];

/** Quota, container defaults, namespace isolation and student access of one lab namespace. */
export class NamespaceFence extends pulumi.ComponentResource {
    readonly quota: k8s.core.v1.ResourceQuota;
    readonly limitRange: k8s.core.v1.LimitRange;
    readonly isolation: k8s.networking.v1.NetworkPolicy;
    readonly role: k8s.rbac.v1.Role;
    readonly roleBinding: k8s.rbac.v1.RoleBinding;

    constructor(name: string, args: NamespaceFenceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:security:NamespaceFence", name, {}, opts);
        const { namespace, labels, settings } = args;
        const q = settings.quota;
        const metadata = (n: string) => ({ name: n, namespace, labels });

        // Compute quotas require every container to state requests and limits; the LimitRange
        // supplies them to containers that state none, so a bare `kubectl run` still works.
        this.quota = new k8s.core.v1.ResourceQuota(
            `${name}-quota`,
            {
                metadata: metadata("lab-quota"),
                spec: {
                    hard: {
                        "requests.cpu": q.cpuRequests,
                        "requests.memory": q.memoryRequests,
                        "limits.cpu": q.cpuLimits,
                        "limits.memory": q.memoryLimits,
                        "requests.storage": q.storage,
                        pods: String(q.pods),
                    },
                },
            },
            { parent: this },
        );
        const d = settings.containerDefaults;
        this.limitRange = new k8s.core.v1.LimitRange(
            `${name}-limits`,
            {
                metadata: metadata("lab-limits"),
                spec: { limits: [{ type: "Container", defaultRequest: { ...d.request }, default: { ...d.limit } }] },
            },
            { parent: this },
        );
        // Pods of this namespace may reach each other; nothing from another namespace may,
        // unless a lab opens a named path (allowFrom) on top.
        this.isolation = new k8s.networking.v1.NetworkPolicy(
            `${name}-isolation`,
            {
                // kube-score (networkpolicy-targets-pod) finds no pod in a namespace the stack runs none
                // in (todo-ingress): the policy is there for the pods a student creates.
                metadata: { ...metadata("same-namespace-only"), annotations: kubeScoreIgnore("networkpolicy-targets-pod") },
                spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
            },
            { parent: this },
        );
        this.role = new k8s.rbac.v1.Role(`${name}-role`, { metadata: metadata(STUDENT.role), rules: STUDENT_RULES }, { parent: this });
        this.roleBinding = new k8s.rbac.v1.RoleBinding(
            `${name}-binding`,
            {
                metadata: metadata(STUDENT.role),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: args.student.serviceAccount, namespace: args.student.namespace }],
            },
            { parent: this },
        );
        this.registerOutputs({ quota: this.quota.metadata.name, limitRange: this.limitRange.metadata.name });
    }
}

export interface AllowFromArgs {
    /** Namespace of the pods that receive the traffic. */
    namespace: pulumi.Input<string>;
    labels: Labels;
    /** Policy name: what it lets in. */
    policyName: string;
    /** The receiving pods. */
    podSelector: Labels;
    /** The sending namespace, and within it the sending pods (all pods if omitted). */
    from: { namespace: pulumi.Input<string>; podSelector?: Labels };
    port: number;
}

/** Opens one path through a namespace's isolation: pods of another namespace to a port of these pods. */
export function allowFrom(name: string, args: AllowFromArgs, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy {
    return new k8s.networking.v1.NetworkPolicy(
        name,
        {
            metadata: { name: args.policyName, namespace: args.namespace, labels: args.labels },
            spec: {
                podSelector: { matchLabels: args.podSelector },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            {
                                // kubernetes.io/metadata.name is set by the API server on every namespace
                                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.from.namespace } },
                                ...(args.from.podSelector ? { podSelector: { matchLabels: args.from.podSelector } } : {}),
                            },
                        ],
                        ports: [{ protocol: "TCP", port: args.port }],
                    },
                ],
            },
        },
        opts,
    );
}
