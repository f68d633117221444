import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "./credentials";
import { claimGrowthPatch, warnIfGrowthRefused } from "./growth";
import { AppIdentity, LabId, StackNaming, serviceHost, templateClaimName } from "./naming";
import { PersistentClaim } from "./persistent-claim";
import { RESOURCE_PRESETS, podSecurity, restrictedContainer } from "./resources";
import { StorageBackend } from "./storage-backend";
import { volumePermissionsContainer } from "./volume-permissions";

export const POSTGRES_PORT = 5432;
/** uid/gid of the postgres user in the official (Debian-based) image. */
const POSTGRES_UID = 999;
// postgres <= 17 keeps its data under this mount; PGDATA sits one level down because a
// fresh volume may hold lost+found and initdb refuses a non-empty directory.
const DATA_MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${DATA_MOUNT}/pgdata`;

export type PostgresPersistence =
    /** One claim per pod from `volumeClaimTemplates`, each bound to a static PV of the backend. */
    | { kind: "claimTemplate"; template: string; size: string }
    /** One pre-created claim mounted by the single pod (labs 000 and 003). */
    | { kind: "existingClaim"; claim: PersistentClaim }
    /** An emptyDir: data is lost with the pod (the seed's first step in lab 000). */
    | { kind: "ephemeral" };

export interface PostgresAuth {
    username: string;
    database: string;
    credentials: Credentials;
    /** Key of the password in the credentials' Secret. */
    passwordKey: string;
}

export interface PostgresArgs {
    lab: LabId;
    naming: StackNaming;
    app: AppIdentity;
    namespace: pulumi.Input<string>;
    /** StatefulSet name; pods are `<name>-0`, `<name>-1`, ... */
    name: string;
    /** Literal name of the headless Service that gives pods stable DNS names. */
    headlessServiceName: string;
    /** Literal name of the client Service. */
    serviceName: string;
    image: string;
    volumePermissionsImage: string;
    auth: PostgresAuth;
    persistence: PostgresPersistence;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
}

/** The `pg_isready` probe, against the local server with the configured user and database. */
export function pgIsReady(): k8s.types.input.core.v1.ExecAction {
    return { command: ["sh", "-c", `exec pg_isready -h 127.0.0.1 -p ${POSTGRES_PORT} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`] };
}

/** Env of the postgres container; the password only through secretKeyRef. */
export function postgresEnv(auth: PostgresAuth): k8s.types.input.core.v1.EnvVar[] {
    return [
        { name: "POSTGRES_USER", value: auth.username },
        { name: "POSTGRES_DB", value: auth.database },
        auth.credentials.env("POSTGRES_PASSWORD", auth.passwordKey),
        { name: "PGDATA", value: PGDATA },
    ];
}

/** A single-primary PostgreSQL StatefulSet with its headless and client Services. */
export class Postgres extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly headlessService: k8s.core.v1.Service;
    readonly service: k8s.core.v1.Service;
    /** In-cluster host name of the client Service. */
    readonly host: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:database:Postgres", name, {}, opts);
        const labels = args.naming.appLabels(args.lab, args.app);
        const selector = args.naming.selectorLabels(args.lab, args.app);
        const ns = args.namespace;
        const persistence = args.persistence;

        this.headlessService = new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: { name: args.headlessServiceName, namespace: ns, labels },
                spec: {
                    clusterIP: "None",
                    // pods resolve before they are ready (replication, init scripts)
                    publishNotReadyAddresses: true,
                    selector,
                    ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres" }],
                },
            },
            { parent: this },
        );
        this.service = new k8s.core.v1.Service(
            name,
            {
                metadata: { name: args.serviceName, namespace: ns, labels },
                spec: { type: "ClusterIP", selector, ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres" }] },
            },
            { parent: this },
        );

        const volumeName = persistence.kind === "claimTemplate" ? persistence.template : "data";
        const waitFor: pulumi.Resource[] = [];
        const volumes: k8s.types.input.core.v1.Volume[] = [];
        if (persistence.kind === "existingClaim") {
            volumes.push({ name: volumeName, persistentVolumeClaim: { claimName: persistence.claim.claimName } });
            waitFor.push(...persistence.claim.ready);
        } else if (persistence.kind === "ephemeral") {
            volumes.push({ name: volumeName, emptyDir: {} });
        }
        const replicas = 1;
        const templatePVs =
            persistence.kind === "claimTemplate"
                ? Array.from({ length: replicas }, (_, i) => {
                      const claim = templateClaimName(persistence.template, args.name, i);
                      const volume = args.backend.persistentVolume(`${name}-pv-${i}`, {
                          lab: args.lab,
                          volumeName: claim,
                          claim: { namespace: ns, name: claim },
                          size: persistence.size,
                          labels,
                      });
                      waitFor.push(volume.pv, ...volume.ready);
                      return claim;
                  })
                : [];

        const needsPermissions = persistence.kind !== "ephemeral" && args.backend.needsVolumePermissions;
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name: args.name, namespace: ns, labels },
                spec: {
                    serviceName: args.headlessServiceName,
                    replicas,
                    selector: { matchLabels: selector },
                    persistentVolumeClaimRetentionPolicy: {
                        whenDeleted: args.keepDataOnDestroy ? "Retain" : "Delete",
                        whenScaled: "Retain",
                    },
                    template: {
                        metadata: { labels },
                        spec: {
                            enableServiceLinks: false,
                            securityContext: podSecurity(POSTGRES_UID),
                            terminationGracePeriodSeconds: 30,
                            initContainers: needsPermissions
                                ? [volumePermissionsContainer({ image: args.volumePermissionsImage, volumeName, mountPath: DATA_MOUNT, uid: POSTGRES_UID, gid: POSTGRES_UID })]
                                : [],
                            containers: [
                                {
                                    name: "postgres",
                                    image: args.image,
                                    ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                                    env: postgresEnv(args.auth),
                                    readinessProbe: { exec: pgIsReady(), initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
                                    livenessProbe: { exec: pgIsReady(), initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
                                    resources: RESOURCE_PRESETS.small,
                                    securityContext: restrictedContainer(),
                                    volumeMounts: [{ name: volumeName, mountPath: DATA_MOUNT }],
                                },
                            ],
                            volumes,
                        },
                    },
                    volumeClaimTemplates:
                        persistence.kind === "claimTemplate"
                            ? [
                                  {
                                      metadata: { name: persistence.template, labels },
                                      spec: {
                                          storageClassName: args.backend.storageClassName,
                                          accessModes: ["ReadWriteOnce"],
                                          resources: { requests: { storage: persistence.size } },
                                      },
                                  },
                              ]
                            : [],
                },
            },
            {
                parent: this,
                dependsOn: [this.headlessService, ...waitFor],
                // Templates are immutable: a changed size would replace the StatefulSet. Sizes
                // grow through claim patches instead (see growth.ts).
                ignoreChanges: ["spec.volumeClaimTemplates"],
            },
        );

        if (persistence.kind === "claimTemplate") {
            if (args.backend.canExpand) {
                templatePVs.forEach((claim, i) =>
                    claimGrowthPatch(`${name}-grow-${i}`, { namespace: ns, name: claim }, persistence.size, { parent: this, dependsOn: [this.statefulSet] }),
                );
            } else {
                warnIfGrowthRefused(
                    args.backend,
                    `StatefulSet ${args.name} claims`,
                    this.statefulSet.spec.volumeClaimTemplates.apply((t) => t?.[0]?.spec?.resources?.requests?.storage),
                    persistence.size,
                    this.statefulSet,
                );
            }
        }

        this.host = pulumi.output(ns).apply((n) => serviceHost(args.serviceName, n));
        this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, service: this.service.metadata.name });
    }
}
