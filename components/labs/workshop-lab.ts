// Lab 000, workshop part 2: a FastAPI backend and a PostgreSQL StatefulSet whose data
// survives pod deletion (or, switched off, the seed's first step: an emptyDir).
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../security/credentials";
import { LabContext, LabOutputs, endpoint, labNamespace } from "./lab";
import { WORKSHOP, WorkshopSettings } from "./workshop-lab.config";
import { PersistentClaim } from "../storage/persistent-claim";
import { Postgres } from "../workloads/postgres";
import { WebApp } from "../workloads/web-app";

const LAB = WORKSHOP.id;

export type WorkshopLabArgs = LabContext & WorkshopSettings;

export class WorkshopLab extends pulumi.ComponentResource {
    readonly outputs: LabOutputs;

    constructor(name: string, args: WorkshopLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:lab:Workshop", name, {}, opts);
        const { naming, backend } = args;
        const db = { name: "db", component: "database", extra: { app: "db" } };
        const namespace = labNamespace(this, `${name}-ns`, args, { lab: LAB, base: "kubernetes-ws-2", holdsData: true, unknownAppUser: !!args.backendImage });
        const credentials = new Credentials(
            `${name}-db-credentials`,
            {
                namespace: namespace.name,
                secretName: "db-credentials",
                generate: { password: 24 },
                derive: (p) => ({ "database-url": pulumi.interpolate`postgresql://postgres:${p.password}@db:5432/postgres` }),
                labels: naming.appLabels(LAB, db),
                generation: args.credentialsGeneration,
            },
            { parent: this },
        );
        const claim = new PersistentClaim(
            `${name}-db-data`,
            {
                lab: LAB,
                backend,
                namespace,
                claimName: "db-data",
                volumeName: "db-data",
                size: args.dbSize,
                labels: naming.appLabels(LAB, db),
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );
        const postgres = new Postgres(
            `${name}-db`,
            {
                lab: LAB,
                naming,
                app: db,
                namespace,
                name: "db",
                headlessServiceName: "db-headless",
                serviceName: "db",
                image: args.images.postgres,
                volumePermissionsImage: args.images.volumePermissions,
                auth: { username: "postgres", database: "postgres", credentials, passwordKey: "password" },
                persistence: args.persistence ? { kind: "existingClaim", claim } : { kind: "ephemeral" },
                backend,
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );
        const endpoints = { db: endpoint(namespace.name, postgres.host, "db", postgres.port) };
        if (args.backendImage) {
            const app = new WebApp(
                `${name}-backend`,
                {
                    lab: LAB,
                    naming,
                    app: { name: "backend", component: "backend", extra: { app: "backend" } },
                    namespace,
                    name: "backend",
                    image: args.backendImage,
                    port: 8000,
                    probe: { httpGet: "/docs" },
                    env: [
                        { name: "POSTGRES_HOST", value: "db" },
                        { name: "POSTGRES_PORT", value: "5432" },
                        { name: "POSTGRES_USER", value: "postgres" },
                        { name: "POSTGRES_DB", value: "postgres" },
                        credentials.env("POSTGRES_PASSWORD", "password"),
                        credentials.env("DATABASE_URL", "database-url"),
                    ],
                    credentials: [credentials],
                    // the app connects as it starts: the database must be up, which nothing the app names says
                    dependsOn: [postgres],
                },
                { parent: this },
            );
            Object.assign(endpoints, { backend: endpoint(namespace.name, app.host, "backend", app.port) });
        }
        this.outputs = {
            namespaces: [namespace.name],
            endpoints,
            secrets: { databaseUrl: credentials.value("database-url") },
            skippedApps: args.backendImage ? [] : ["backend"],
        };
        this.registerOutputs({ namespaces: this.outputs.namespaces });
    }
}
