// The storage fence for the student's own requests: a ValidatingAdmissionPolicy (GA since
// Kubernetes 1.30; no webhook server to run) and its binding. Pod Security `baseline`, which
// the namespaces holding data need for the stack's root init container, allows inline `nfs:`
// volumes, and an NFS export holds every student's data; so whatever the student's
// ServiceAccount creates or edits in the stack's lab namespaces may mount only its own
// claims and the volume types that carry no data of others. Pods the stack runs are created
// by the operator and the controllers, never under the student's name: the policy does not
// apply to them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LAB_LABEL, Labels, PREFIX_LABEL, STUDENT, StackNaming } from "../shared/naming";

/** Volume types a student's pod may use: none reaches a node's or a server's files directly. */
export const STUDENT_VOLUME_TYPES = ["configMap", "secret", "emptyDir", "projected", "downwardAPI", "persistentVolumeClaim", "ephemeral"] as const;

export interface StudentPolicyArgs {
    naming: StackNaming;
    labels: Labels;
    /** Namespace of the student's ServiceAccount (StudentAccess). */
    accessNamespace: pulumi.Input<string>;
}

const allowedVolume = STUDENT_VOLUME_TYPES.map((t) => `has(v.${t})`).join(" || ");
// The pod spec of each kind the policy matches (variables are evaluated only when used, and a
// claim uses none of these).
const POD_SPEC = "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec";
// A claim's volumeName may stay as it was (the PV controller sets it when binding) but may not
// be set or changed by the student: a PV is chosen by the stack's claimRef, not by name.
const volumeNameKept = (field: string, old: string) => `!has(${field}) || ${field} == '' || (oldObject != null && has(${old}) && ${old} == ${field})`;

/** The policy and its binding, for this stack's lab namespaces and student only. */
export class StudentPolicy extends pulumi.ComponentResource {
    readonly policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;
    readonly binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding;

    constructor(name: string, args: StudentPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:security:StudentPolicy", name, {}, opts);
        const { naming, labels } = args;
        // Cluster-scoped: named from the prefix, so stacks on one cluster never collide.
        const policyName = naming.clusterScoped("student-storage-fence");
        const operations = ["CREATE", "UPDATE"];
        this.policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            `${name}-policy`,
            {
                metadata: { name: policyName, labels },
                spec: {
                    failurePolicy: "Fail",
                    matchConstraints: {
                        resourceRules: [
                            { apiGroups: [""], apiVersions: ["v1"], operations, resources: ["pods", "persistentvolumeclaims"] },
                            // UPDATE too: a student may edit the stack's own StatefulSets
                            { apiGroups: ["apps"], apiVersions: ["v1"], operations, resources: ["deployments", "statefulsets", "replicasets", "daemonsets"] },
                            { apiGroups: ["batch"], apiVersions: ["v1"], operations, resources: ["jobs", "cronjobs"] },
                        ],
                    },
                    matchConditions: [
                        {
                            name: "from-the-student",
                            expression: pulumi.interpolate`request.userInfo.username == 'system:serviceaccount:${args.accessNamespace}:${STUDENT.serviceAccount}'`,
                        },
                    ],
                    variables: [
                        { name: "isClaim", expression: "object.kind == 'PersistentVolumeClaim'" },
                        { name: "podSpec", expression: POD_SPEC },
                        {
                            name: "badVolumes",
                            expression: `variables.isClaim || !has(variables.podSpec.volumes) ? [] : variables.podSpec.volumes.filter(v, !(${allowedVolume})).map(v, v.name)`,
                        },
                        {
                            name: "containers",
                            expression:
                                "variables.isClaim ? [] : (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []) + (has(variables.podSpec.containers) ? variables.podSpec.containers : []) + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])",
                        },
                        {
                            name: "privileged",
                            expression: "variables.containers.filter(c, has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged).map(c, c.name)",
                        },
                        // A generic ephemeral volume's claim, or a StatefulSet's claim templates, naming a PV.
                        {
                            name: "namedVolumes",
                            expression:
                                "variables.isClaim ? [] : (has(variables.podSpec.volumes) ? variables.podSpec.volumes.filter(v, has(v.ephemeral) && has(v.ephemeral.volumeClaimTemplate.spec.volumeName) && v.ephemeral.volumeClaimTemplate.spec.volumeName != '').map(v, v.name) : []) + (object.kind == 'StatefulSet' && has(object.spec.volumeClaimTemplates) ? object.spec.volumeClaimTemplates.filter(t, has(t.spec.volumeName) && t.spec.volumeName != '' && (oldObject == null || !has(oldObject.spec.volumeClaimTemplates) || !oldObject.spec.volumeClaimTemplates.exists(o, o.metadata.name == t.metadata.name && has(o.spec.volumeName) && o.spec.volumeName == t.spec.volumeName))).map(t, t.metadata.name) : [])",
                        },
                    ],
                    validations: [
                        {
                            expression: "size(variables.badVolumes) == 0",
                            messageExpression: `'state-labs: a student may mount only their own claims and ${STUDENT_VOLUME_TYPES.join(", ")} volumes (no nfs, hostPath or other direct storage: it would reach other students\\' data); refused volumes: ' + variables.badVolumes.join(', ')`,
                            reason: "Forbidden",
                        },
                        {
                            expression: "size(variables.privileged) == 0",
                            messageExpression: "'state-labs: privileged containers are refused to students (a privileged container can mount any storage of the node); refused containers: ' + variables.privileged.join(', ')",
                            reason: "Forbidden",
                        },
                        {
                            expression: `!variables.isClaim || ${volumeNameKept("object.spec.volumeName", "oldObject.spec.volumeName")}`,
                            message: "state-labs: a student's claim may not name a PersistentVolume (spec.volumeName): the stack reserves each PV for its claim, and a named PV could be another student's",
                            reason: "Forbidden",
                        },
                        {
                            expression: "size(variables.namedVolumes) == 0",
                            messageExpression:
                                "'state-labs: a student\\'s claim templates may not name a PersistentVolume (spec.volumeName): a named PV could be another student\\'s; refused: ' + variables.namedVolumes.join(', ')",
                            reason: "Forbidden",
                        },
                    ],
                },
            },
            { parent: this },
        );
        this.binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            `${name}-binding`,
            {
                metadata: { name: policyName, labels },
                spec: {
                    policyName: this.policy.metadata.name,
                    validationActions: ["Deny"],
                    // This stack's lab namespaces: they carry its prefix and a lab label.
                    matchResources: {
                        namespaceSelector: {
                            matchLabels: { [PREFIX_LABEL]: naming.prefix },
                            matchExpressions: [{ key: LAB_LABEL, operator: "Exists" }],
                        },
                    },
                },
            },
            { parent: this },
        );
        this.registerOutputs({ policy: this.policy.metadata.name });
    }
}
