import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Credentials, syncCredentialsContainer } from "../security/credentials";
import { AppIdentity, LabId, StackNaming, serviceHost } from "../shared/naming";
import { RESOURCE_PRESETS, kubeScoreIgnore, podSecurity, restrictedContainer } from "../shared/resources";
import { inlineScript, scriptFile } from "../shared/scripts";
import { StorageBackend } from "../storage/storage-backend";
import { statefulDatabase } from "./stateful-database";

export const MONGO_PORT = 27017;
/** uid/gid of the mongodb user in the official image. */
const MONGO_UID = 999;
export const MONGO_DATA_DIR = "/data/db";
const KEYFILE_DIR = "/etc/mongo-keyfile";

export interface MongoReplicaSetArgs {
    lab: LabId;
    naming: StackNaming;
    app: AppIdentity;
    namespace: NamespaceRef;
    /** StatefulSet name; members are `<name>-0.<headless>...`. */
    name: string;
    headlessServiceName: string;
    replicaSetName: string;
    replicas: number;
    image: string;
    volumePermissionsImage: string;
    template: string;
    size: string;
    rootUsername: string;
    /** Holds `rootPasswordKey` and `keyfileKey` (the members' shared key). */
    credentials: Credentials;
    rootPasswordKey: string;
    keyfileKey: string;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
}

/** Member host names: FQDNs, so the replica-set config resolves from any namespace. */
export function mongoMembers(sts: string, headless: string, namespace: string, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `${sts}-${i}.${serviceHost(headless, namespace)}:${MONGO_PORT}`);
}

// The scripts its pods run (mongo-replica-set/*; what each does is said there). The .js ones
// are mongosh scripts in ConfigMaps, the .sh ones container commands.
export const INITIATE_JS = scriptFile(__dirname, "mongo-replica-set", "initiate.js");
export const SYNC_ROOT_JS = scriptFile(__dirname, "mongo-replica-set", "sync-root.js");
export const SYNC_CREDENTIALS = inlineScript(__dirname, "mongo-replica-set", "sync-credentials.sh");
const WAIT_AND_INITIATE = inlineScript(__dirname, "mongo-replica-set", "wait-and-initiate.sh");

/** A MongoDB replica set: StatefulSet, headless Service, shared keyFile, self-initiation. */
export class MongoReplicaSet extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly headlessService: k8s.core.v1.Service;
    readonly initiation: k8s.batch.v1.Job;
    /** FQDN host:port of every member. */
    readonly members: pulumi.Output<string[]>;

    constructor(name: string, args: MongoReplicaSetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:database:MongoReplicaSet", name, {}, opts);
        const labels = args.naming.appLabels(args.lab, args.app);
        const selector = args.naming.selectorLabels(args.lab, args.app);
        const ns = args.namespace.name;
        const c = args.credentials;

        const env = [
            { name: "MONGO_INITDB_ROOT_USERNAME", value: args.rootUsername },
            c.env("MONGO_INITDB_ROOT_PASSWORD", args.rootPasswordKey),
        ];
        const sync = new k8s.core.v1.ConfigMap(
            `${name}-sync`,
            { metadata: { name: `${args.name}-sync`, namespace: ns, labels }, data: { "sync-root.js": SYNC_ROOT_JS } },
            { parent: this },
        );
        const ping: k8s.types.input.core.v1.ExecAction = { command: ["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"] };
        ({ headlessService: this.headlessService, statefulSet: this.statefulSet } = statefulDatabase(
            name,
            {
                ...args, labels, selector, ports: [{ name: "mongodb", port: MONGO_PORT, targetPort: "mongodb" }], uid: MONGO_UID, dataMount: MONGO_DATA_DIR,
                // ping is the check that answers in every member state, for readiness and liveness alike
                // (their rates differ). No PodDisruptionBudget: the lab's exercises delete members on purpose,
                // and a budget would guard only against a drain of the class cluster, which is not drained in use.
                annotations: kubeScoreIgnore("pod-probes-identical", "statefulset-has-poddisruptionbudget"),
                storage: { kind: "claimTemplate", template: args.template, size: args.size }, podAnnotations: c.podAnnotations,
                pod: () => ({
                    initContainers: [
                        {
                            // mongod refuses a keyfile readable by group or others, and a Secret
                            // volume with fsGroup is group-readable: copy it, owned by mongod, 0400.
                            name: "keyfile",
                            image: args.image,
                            command: ["sh", "-c", `cp /keyfile-secret/keyfile ${KEYFILE_DIR}/keyfile && chmod 0400 ${KEYFILE_DIR}/keyfile`],
                            resources: RESOURCE_PRESETS.nano,
                            securityContext: restrictedContainer(),
                            volumeMounts: [
                                { name: "keyfile-secret", mountPath: "/keyfile-secret", readOnly: true },
                                { name: "keyfile", mountPath: KEYFILE_DIR },
                            ],
                        },
                        syncCredentialsContainer({
                            image: args.image,
                            script: SYNC_CREDENTIALS,
                            env,
                            volumeMounts: [
                                { name: args.template, mountPath: MONGO_DATA_DIR },
                                { name: "scripts", mountPath: "/scripts", readOnly: true },
                            ],
                        }),
                    ],
                    containers: [
                        {
                            name: "mongo",
                            image: args.image,
                            // args, not command: the image's entrypoint creates the root user on first start.
                            args: ["mongod", "--replSet", args.replicaSetName, "--bind_ip_all", "--keyFile", `${KEYFILE_DIR}/keyfile`, "--wiredTigerCacheSizeGB", "0.25"],
                            ports: [{ name: "mongodb", containerPort: MONGO_PORT }],
                            env,
                            // mongod listens only once its storage recovery is done: 10 minutes for that;
                            // after, ping answers in every member state (STARTUP2, RECOVERING too).
                            startupProbe: { exec: ping, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 60 },
                            readinessProbe: { exec: ping, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 6 },
                            livenessProbe: { exec: ping, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
                            resources: RESOURCE_PRESETS.small,
                            securityContext: restrictedContainer(),
                            volumeMounts: [
                                { name: args.template, mountPath: MONGO_DATA_DIR },
                                { name: "keyfile", mountPath: KEYFILE_DIR, readOnly: true },
                            ],
                        },
                    ],
                    volumes: [
                        c.volume("keyfile-secret", { [args.keyfileKey]: "keyfile" }, 0o440),
                        { name: "keyfile", emptyDir: { medium: "Memory" } },
                        { name: "scripts", configMap: { name: sync.metadata.name } },
                    ],
                }),
            },
            this,
        ));

        this.members = pulumi.all([this.headlessService.metadata.name, ns]).apply(([h, n]) => mongoMembers(args.name, h, n, args.replicas));
        const script = new k8s.core.v1.ConfigMap(
            `${name}-initiate`,
            { metadata: { name: `${args.name}-initiate`, namespace: ns, labels }, data: { "initiate.js": INITIATE_JS } },
            { parent: this },
        );
        const jobLabels = args.naming.appLabels(args.lab, { name: `${args.app.name}-initiate`, component: "database-setup" });
        this.initiation = new k8s.batch.v1.Job(
            `${name}-initiate`,
            {
                metadata: { name: `${args.name}-initiate`, namespace: args.namespace.forPods, labels: jobLabels },
                spec: {
                    backoffLimit: 20,
                    template: {
                        metadata: { labels: jobLabels },
                        spec: {
                            restartPolicy: "OnFailure",
                            enableServiceLinks: false,
                            // it talks to mongod only
                            automountServiceAccountToken: false,
                            securityContext: podSecurity(MONGO_UID),
                            containers: [
                                {
                                    name: "initiate",
                                    image: args.image,
                                    command: ["sh", "-c", WAIT_AND_INITIATE],
                                    env: [
                                        { name: "REPLICA_SET", value: args.replicaSetName },
                                        { name: "MEMBERS", value: this.members.apply((m) => m.join(" ")) },
                                        { name: "MONGO_ROOT_USERNAME", value: args.rootUsername },
                                        c.env("MONGO_ROOT_PASSWORD", args.rootPasswordKey),
                                    ],
                                    resources: RESOURCE_PRESETS.micro,
                                    securityContext: restrictedContainer(),
                                    volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
                                },
                            ],
                            volumes: [{ name: "scripts", configMap: { name: script.metadata.name } }],
                        },
                    },
                },
            },
            // A changed member list changes the (immutable) pod template: the Job is replaced and
            // runs again, adding the new members; otherwise it stays done.
            // The members must exist to be initiated: nothing in the Job names the StatefulSet.
            { parent: this, dependsOn: [this.statefulSet] },
        );
        this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, members: this.members });
    }
}
