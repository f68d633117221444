// Lab 003, customer backend (Java): Secret `db-pass`, PostgreSQL `customer-db` on the PV
// `local-pv-1` through claim `pg-pv-claim`, and the students' backend; `app=customer` on
// every object, so the seed's `kubectl delete ... -l app=customer` still finds them all.
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../security/credentials";
import { LabContext, LabOutputs, endpoint, labNamespace } from "./lab";
import { CUSTOMER, CustomerSettings, SEED_STORAGE } from "./customer-lab.config";
import { PersistentClaim } from "../storage/persistent-claim";
import { Postgres } from "../workloads/postgres";
import { WebApp } from "../workloads/web-app";

const LAB = CUSTOMER.id;
const LAB_LABEL = { app: "customer" };
const DB = { user: "root", database: "customer" };
const BACKEND_PORT = 8080;

export type CustomerLabArgs = LabContext & CustomerSettings;

export class CustomerLab extends pulumi.ComponentResource {
    readonly outputs: LabOutputs;

    constructor(name: string, args: CustomerLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:lab:Customer", name, {}, opts);
        const { naming, backend } = args;
        const db = { name: "customer-db", component: "database", extra: LAB_LABEL };
        const labLabels = { ...naming.labLabels(LAB), ...LAB_LABEL };
        const namespace = labNamespace(this, `${name}-ns`, args, { lab: LAB, base: "customer", holdsData: true, unknownAppUser: !!args.backendImage, extraLabels: LAB_LABEL });
        const credentials = new Credentials(
            `${name}-db-pass`,
            { namespace: namespace.name, secretName: "db-pass", generate: { password: 24 }, labels: labLabels, generation: args.credentialsGeneration },
            { parent: this },
        );
        const claim = new PersistentClaim(
            `${name}-pg-pv-claim`,
            {
                lab: LAB,
                backend,
                namespace,
                claimName: SEED_STORAGE.claim,
                volumeName: SEED_STORAGE.volume,
                size: args.dbSize,
                labels: naming.appLabels(LAB, db),
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );
        const postgres = new Postgres(
            `${name}-customer-db`,
            {
                lab: LAB,
                naming,
                app: db,
                namespace,
                name: "customer-db",
                headlessServiceName: "customer-db-headless",
                serviceName: "customer-db",
                image: args.images.postgres,
                volumePermissionsImage: args.images.volumePermissions,
                auth: { username: DB.user, database: DB.database, credentials, passwordKey: "password" },
                persistence: { kind: "existingClaim", claim },
                backend,
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );
        const endpoints = { "customer-db": endpoint(namespace.name, postgres.host, "customer-db", postgres.port) };
        if (args.backendImage) {
            const app = new WebApp(
                `${name}-backend`,
                {
                    lab: LAB,
                    naming,
                    app: { name: "customer-backend", component: "backend", extra: LAB_LABEL },
                    namespace,
                    name: "customer-backend",
                    image: args.backendImage,
                    port: BACKEND_PORT,
                    probe: { tcp: true },
                    env: [
                        { name: "POSTGRES_URL", value: pulumi.interpolate`${postgres.service.metadata.name}:${postgres.port}/${DB.database}` },
                        { name: "POSTGRES_USER", value: DB.user },
                        credentials.env("POSTGRES_PASSWORD", "password"),
                    ],
                    credentials: [credentials],
                    // the app connects as it starts: the database must be up, which nothing the app names says
                    dependsOn: [postgres],
                },
                { parent: this },
            );
            Object.assign(endpoints, { "customer-backend": endpoint(namespace.name, app.host, "customer-backend", BACKEND_PORT) });
        }
        this.outputs = {
            namespaces: [namespace.name],
            endpoints,
            secrets: { password: credentials.value("password") },
            skippedApps: args.backendImage ? [] : ["backend"],
        };
        this.registerOutputs({ namespaces: this.outputs.namespaces });
    }
}
