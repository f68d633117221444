// The student's way into the cluster: a ServiceAccount in a namespace of its own, a long-lived
// token for it, and a kubeconfig built from that token. Its rights come from the RoleBinding
// in each lab namespace's fence (namespace-fence.ts), so it can act in those and nowhere else.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { podSecurityLabels } from "./namespace";
import { Labels, STUDENT, StackNaming } from "../shared/naming";

export interface StudentAccessArgs {
    naming: StackNaming;
    labels: Labels;
    /** The lab namespaces the student edits; the kubeconfig's context starts in the first. */
    namespaces: pulumi.Input<string>[];
    /** API server URL as students reach it; without it no kubeconfig is built. */
    apiServer?: string;
}

export class StudentAccess extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly serviceAccount: pulumi.Output<string>;
    /** A kubeconfig for the student (a Pulumi secret), when the API server is known. */
    readonly kubeconfig?: pulumi.Output<string>;

    constructor(name: string, args: StudentAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:security:StudentAccess", name, {}, opts);
        const { naming, labels } = args;
        // Holds no data and runs no pods; the student has no rights in it, so cannot mint tokens.
        const namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: naming.accessNamespace(), labels: { ...labels, ...podSecurityLabels("restricted") } } },
            { parent: this },
        );
        const account = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name: STUDENT.serviceAccount, namespace: namespace.metadata.name, labels }, automountServiceAccountToken: false },
            { parent: this },
        );
        // A token Secret (not a TokenRequest): it lives as long as the stack, so the kubeconfig
        // handed to a student keeps working. The token controller fills it in, and deletes it
        // if the account is missing: the annotation names it through its output, so the Secret
        // waits for it. The provider waits for the data.
        const token = new k8s.core.v1.Secret(
            `${name}-token`,
            {
                metadata: {
                    name: STUDENT.tokenSecret,
                    namespace: namespace.metadata.name,
                    labels,
                    annotations: { "kubernetes.io/service-account.name": account.metadata.name },
                },
                type: "kubernetes.io/service-account-token",
            },
            { parent: this },
        );
        this.namespace = namespace.metadata.name;
        this.serviceAccount = account.metadata.name;
        if (args.apiServer) {
            const server = args.apiServer;
            const context = naming.prefix;
            this.kubeconfig = pulumi.secret(
                pulumi.all([token.data, pulumi.output(args.namespaces[0] ?? this.namespace)]).apply(([data, defaultNamespace]) =>
                    stringify({
                        apiVersion: "v1",
                        kind: "Config",
                        clusters: [{ name: context, cluster: { server, "certificate-authority-data": data["ca.crt"] } }],
                        users: [{ name: `${context}-student`, user: { token: Buffer.from(data.token, "base64").toString() } }],
                        contexts: [{ name: context, context: { cluster: context, user: `${context}-student`, namespace: defaultNamespace } }],
                        "current-context": context,
                    }),
                ),
            );
        }
        this.registerOutputs({ namespace: this.namespace, serviceAccount: this.serviceAccount, kubeconfig: this.kubeconfig });
    }
}
