import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Credentials, syncCredentialsContainer } from "../security/credentials";
import { AppIdentity, LabId, StackNaming, serviceHost } from "../shared/naming";
import { RESOURCE_PRESETS, kubeScoreIgnore, restrictedContainer } from "../shared/resources";
import { inlineScript, scriptFile } from "../shared/scripts";
import { clientService } from "./services";
import { StorageBackend } from "../storage/storage-backend";
import { DatabaseStorage, statefulDatabase } from "./stateful-database";

export const POSTGRES_PORT = 5432;
/** uid/gid of the postgres user in the official (Debian-based) image. */
const POSTGRES_UID = 999;
// postgres <= 17 keeps its data under this mount; PGDATA sits one level down because a
// fresh volume may hold lost+found and initdb refuses a non-empty directory.
const DATA_MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${DATA_MOUNT}/pgdata`;
export const REPLICATION_USER = "replicator";

export type PostgresPersistence = DatabaseStorage;

export interface PostgresAuth {
    username: string;
    database: string;
    credentials: Credentials;
    /** Key of the superuser password in the credentials' Secret. */
    passwordKey: string;
    /** Read user and database names from this ConfigMap (keys below) rather than plain env values. */
    settings?: { configMap: pulumi.Input<string>; usernameKey: string; databaseKey: string };
}

/** Streaming replication: ordinal 0 is the primary, every other pod a hot standby cloned from it. */
export interface PostgresReplication {
    replicas: number;
    /** Key of the replication user's password in the credentials' Secret. */
    passwordKey: string;
    /** Literal name of the read-only Service. */
    readServiceName: string;
}

export interface PostgresArgs {
    lab: LabId;
    naming: StackNaming;
    app: AppIdentity;
    namespace: NamespaceRef;
    /** StatefulSet name; pods are `<name>-0`, `<name>-1`, ... */
    name: string;
    /** Literal name of the headless Service that gives pods stable DNS names. */
    headlessServiceName: string;
    /** Literal name of the client Service (with replication: read-write, the primary only). */
    serviceName: string;
    image: string;
    volumePermissionsImage: string;
    auth: PostgresAuth;
    persistence: PostgresPersistence;
    replication?: PostgresReplication;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
}

/** The `pg_isready` probe, against the local server with the configured user and database. */
export function pgIsReady(): k8s.types.input.core.v1.ExecAction {
    return { command: ["sh", "-c", `exec pg_isready -h 127.0.0.1 -p ${POSTGRES_PORT} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`] };
}

/**
 * Liveness: is the server there at all. pg_isready exits 0 (accepting), 1 (rejecting: starting
 * up, in crash recovery, shutting down), 2 (no response) or 3 (no attempt). Only 2 and 3 mean
 * a dead server; restarting one that is replaying WAL would only start the replay again.
 */
export function pgResponds(): k8s.types.input.core.v1.ExecAction {
    return { command: ["sh", "-c", `pg_isready -h 127.0.0.1 -p ${POSTGRES_PORT} -U "$POSTGRES_USER" -d "$POSTGRES_DB"; [ $? -le 1 ]`] };
}

/** Env of the postgres containers; passwords only through secretKeyRef. */
export function postgresEnv(auth: PostgresAuth, replication?: PostgresReplication): k8s.types.input.core.v1.EnvVar[] {
    const s = auth.settings;
    return [
        s ? { name: "POSTGRES_USER", valueFrom: { configMapKeyRef: { name: s.configMap, key: s.usernameKey } } } : { name: "POSTGRES_USER", value: auth.username },
        s ? { name: "POSTGRES_DB", valueFrom: { configMapKeyRef: { name: s.configMap, key: s.databaseKey } } } : { name: "POSTGRES_DB", value: auth.database },
        auth.credentials.env("POSTGRES_PASSWORD", auth.passwordKey),
        { name: "PGDATA", value: PGDATA },
        ...(replication ? [auth.credentials.env("REPLICATION_PASSWORD", replication.passwordKey)] : []),
    ];
}

// The scripts its pods run (postgres/*.sh; what each does is said there).
const REPLICATION_INITDB = scriptFile(__dirname, "postgres", "replication-initdb.sh");
const CLONE_PRIMARY = inlineScript(__dirname, "postgres", "clone-primary.sh");
export const SYNC_CREDENTIALS = inlineScript(__dirname, "postgres", "sync-credentials.sh");

/** PostgreSQL as a StatefulSet with its headless and client Services; optionally replicated. */
export class Postgres extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly headlessService: k8s.core.v1.Service;
    /** The client Service (read-write: the primary). */
    readonly service: k8s.core.v1.Service;
    readonly readService?: k8s.core.v1.Service;
    /** In-cluster host name of the client Service. */
    readonly host: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:database:Postgres", name, {}, opts);
        const labels = args.naming.appLabels(args.lab, args.app);
        const selector = args.naming.selectorLabels(args.lab, args.app);
        const ns = args.namespace.name;
        const { persistence, replication } = args;
        const replicas = replication?.replicas ?? 1;
        if (replicas > 1 && persistence.kind !== "claimTemplate") {
            throw new Error(`${name}: replicas need a claim per pod (claimTemplate persistence)`);
        }
        const ports = [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres" }];
        // With replication the client Service is read-write: only the primary, pod <name>-0.
        const primary = replication ? { ...selector, "statefulset.kubernetes.io/pod-name": `${args.name}-0` } : selector;
        // kube-score (service-targets-pod) sees no pod with the pod-name label: the StatefulSet
        // controller adds it to each pod at run time.
        const annotations = replication ? kubeScoreIgnore("service-targets-pod") : undefined;
        this.service = clientService(name, { serviceName: args.serviceName, namespace: ns, labels, selector: primary, ports, annotations }, this);
        if (replication) {
            // Every member answers reads (standbys in hot standby), as in the Kubernetes
            // replicated MySQL tutorial; a Service selector cannot exclude ordinal 0.
            this.readService = clientService(`${name}-read`, { serviceName: replication.readServiceName, namespace: ns, labels, selector, ports }, this);
        }
        const initdb = replication
            ? new k8s.core.v1.ConfigMap(`${name}-initdb`, { metadata: { name: `${args.name}-initdb`, namespace: ns, labels }, data: { "10-replication.sh": REPLICATION_INITDB } }, { parent: this })
            : undefined;
        const env = postgresEnv(args.auth, replication);

        ({ headlessService: this.headlessService, statefulSet: this.statefulSet } = statefulDatabase(
            name,
            {
                ...args, labels, selector, ports, replicas, uid: POSTGRES_UID, dataMount: DATA_MOUNT, storage: persistence, podAnnotations: args.auth.credentials.podAnnotations,
                // No PodDisruptionBudget: the lab's exercises delete pods on purpose, and a budget would
                // guard only against a drain of the class cluster, which is not drained in use.
                annotations: replicas > 1 ? kubeScoreIgnore("statefulset-has-poddisruptionbudget") : undefined,
                pod: ({ volumeName, headlessService }) => {
                    const mounts = [{ name: volumeName, mountPath: DATA_MOUNT }];
                    const primaryHost = { name: "PRIMARY_HOST", value: pulumi.interpolate`${args.name}-0.${headlessService.metadata.name}` };
                    const initContainers: k8s.types.input.core.v1.Container[] = [];
                    if (replication) {
                        initContainers.push({
                            name: "clone-primary",
                            image: args.image,
                            command: ["sh", "-c", CLONE_PRIMARY],
                            env: [...env, primaryHost],
                            resources: RESOURCE_PRESETS.small,
                            securityContext: restrictedContainer(),
                            volumeMounts: mounts,
                        });
                    }
                    if (persistence.kind !== "ephemeral") {
                        initContainers.push(syncCredentialsContainer({ image: args.image, script: SYNC_CREDENTIALS, env: replication ? [...env, primaryHost] : env, volumeMounts: mounts }));
                    }
                    const container = {
                        name: "postgres",
                        image: args.image,
                        ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                        env,
                        // Until it first accepts connections only the startup probe runs: 10 minutes
                        // for a crash recovery (WAL replay) or a standby reaching consistency.
                        startupProbe: { exec: pgIsReady(), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
                        readinessProbe: { exec: pgIsReady(), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
                        livenessProbe: { exec: pgResponds(), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
                        resources: RESOURCE_PRESETS.small,
                        securityContext: restrictedContainer(),
                        volumeMounts: initdb ? [...mounts, { name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true }] : mounts,
                    };
                    const volumes = initdb ? [{ name: "initdb", configMap: { name: initdb.metadata.name, defaultMode: 0o555 } }] : [];
                    return { terminationGracePeriodSeconds: 30, initContainers, containers: [container], volumes };
                },
            },
            this,
        ));

        this.host = pulumi.all([this.service.metadata.name, ns]).apply(([s, n]) => serviceHost(s, n));
        this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, service: this.service.metadata.name });
    }
}
