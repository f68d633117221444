// Lab 004, PostgreSQL with 3 replicas: the seed's three pods were three unrelated
// databases; here ordinal 0 is the primary and the others stream from it as hot standbys.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../security/credentials";
import { LabContext, LabOutputs, endpoint, labNamespace } from "./lab";
import { POSTGRES_HA, PostgresHaSettings } from "./postgres-ha-lab.config";
import { Postgres } from "../workloads/postgres";

const LAB = POSTGRES_HA.id;
const DB = { user: "labuser", database: "database" };

export type PostgresHaLabArgs = LabContext & PostgresHaSettings;

export class PostgresHaLab extends pulumi.ComponentResource {
    readonly outputs: LabOutputs;
    readonly postgres: Postgres;

    constructor(name: string, args: PostgresHaLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:lab:PostgresHa", name, {}, opts);
        const { naming, backend } = args;
        const app = { name: "postgres-sts", component: "database", extra: { app: "postgres-sts" } };
        const labels = naming.appLabels(LAB, app);
        const namespace = labNamespace(this, `${name}-ns`, args, { lab: LAB, base: "postgres-ha", holdsData: true, unknownAppUser: false });
        const settings = new k8s.core.v1.ConfigMap(
            `${name}-config-map`,
            { metadata: { name: "config-map", namespace: namespace.name, labels }, data: { "postgres-db": DB.database, "postgres-user": DB.user } },
            { parent: this },
        );
        const credentials = new Credentials(
            `${name}-database-secret`,
            { namespace: namespace.name, secretName: "database-secret", generate: { "postgres-pass": 24, "replication-pass": 24 }, labels, generation: args.credentialsGeneration },
            { parent: this },
        );
        this.postgres = new Postgres(
            `${name}-postgres`,
            {
                lab: LAB,
                naming,
                app,
                namespace,
                name: "postgres-sts",
                headlessServiceName: "postgres-headless",
                serviceName: "postgres-primary",
                image: args.images.postgres,
                volumePermissionsImage: args.images.volumePermissions,
                auth: {
                    username: DB.user,
                    database: DB.database,
                    credentials,
                    passwordKey: "postgres-pass",
                    settings: { configMap: settings.metadata.name, usernameKey: "postgres-user", databaseKey: "postgres-db" },
                },
                persistence: { kind: "claimTemplate", template: "postgres-data", size: args.size },
                replication: { replicas: args.replicas, passwordKey: "replication-pass", readServiceName: "postgres-read" },
                backend,
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );
        this.outputs = {
            namespaces: [namespace.name],
            endpoints: {
                "postgres-primary": endpoint(namespace.name, this.postgres.host, "postgres-primary", this.postgres.port),
                "postgres-read": endpoint(namespace.name, namespace.name.apply((ns) => `postgres-read.${ns}.svc.cluster.local`), "postgres-read", this.postgres.port),
            },
            secrets: {
                primaryUrl: pulumi.interpolate`postgresql://${DB.user}:${credentials.value("postgres-pass")}@${this.postgres.host}:${this.postgres.port}/${DB.database}`,
            },
            skippedApps: [],
        };
        this.registerOutputs({ namespaces: this.outputs.namespaces });
    }
}
