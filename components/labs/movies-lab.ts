// Lab 002, movie catalog: a 3-member MongoDB replica set that initiates itself, the
// students' catalog reading MONGO_URI from a Secret, and Grafana on its own claim.
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../security/credentials";
import { Grafana } from "../workloads/grafana";
import { LabContext, LabOutputs, endpoint, labNamespace } from "./lab";
import { MOVIES, MoviesSettings } from "./movies-lab.config";
import { MONGO_PORT, MongoReplicaSet, mongoMembers } from "../workloads/mongo-replica-set";
import { WebApp } from "../workloads/web-app";

const LAB = MOVIES.id;
const REPLICA_SET = "myReplicaSet";
const CATALOG_PORT = 8080;

export type MoviesLabArgs = LabContext & MoviesSettings;

export class MoviesLab extends pulumi.ComponentResource {
    readonly outputs: LabOutputs;
    readonly mongo: MongoReplicaSet;

    constructor(name: string, args: MoviesLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:lab:Movies", name, {}, opts);
        const { naming, backend } = args;
        const mongoApp = { name: "mongo", component: "database", extra: { app: "mongo" } };
        const namespace = labNamespace(this, `${name}-ns`, args, { lab: LAB, base: "movies", holdsData: true, unknownAppUser: !!args.catalogImage });

        const mongoCredentials = new Credentials(
            `${name}-mongo-credentials`,
            {
                namespace: namespace.name,
                secretName: "mongo-credentials",
                // a keyfile takes 6 to 1024 base64 characters
                generate: { "root-password": 24, keyfile: 756 },
                derive: (p) => ({
                    "mongo-uri": pulumi.interpolate`mongodb://root:${p["root-password"]}@${namespace.name.apply((ns) =>
                        mongoMembers("mongo", "mongo-service", ns, args.mongoReplicas).join(","),
                    )}/?replicaSet=${REPLICA_SET}&authSource=admin`,
                }),
                labels: naming.appLabels(LAB, mongoApp),
                generation: args.credentialsGeneration,
            },
            { parent: this },
        );
        this.mongo = new MongoReplicaSet(
            `${name}-mongo`,
            {
                lab: LAB,
                naming,
                app: mongoApp,
                namespace,
                name: "mongo",
                headlessServiceName: "mongo-service",
                replicaSetName: REPLICA_SET,
                replicas: args.mongoReplicas,
                image: args.mongoImage,
                volumePermissionsImage: args.images.volumePermissions,
                template: "mongo-persistent-storage",
                size: args.mongoSize,
                rootUsername: "root",
                credentials: mongoCredentials,
                rootPasswordKey: "root-password",
                keyfileKey: "keyfile",
                backend,
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );

        const grafanaApp = { name: "grafana", component: "monitoring", extra: { app: "grafana" } };
        const grafanaCredentials = new Credentials(
            `${name}-grafana-admin`,
            { namespace: namespace.name, secretName: "grafana-admin", generate: { "admin-password": 24 }, labels: naming.appLabels(LAB, grafanaApp), generation: args.credentialsGeneration },
            { parent: this },
        );
        const grafana = new Grafana(
            `${name}-grafana`,
            {
                lab: LAB,
                naming,
                app: grafanaApp,
                namespace,
                name: "grafana",
                headlessServiceName: "grafana-headless",
                image: args.grafanaImage,
                volumePermissionsImage: args.images.volumePermissions,
                template: "grafana-storage",
                size: args.grafanaSize,
                credentials: grafanaCredentials,
                passwordKey: "admin-password",
                backend,
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );

        const endpoints = {
            "mongo-0": endpoint(namespace.name, namespace.name.apply((ns) => mongoMembers("mongo", "mongo-service", ns, 1)[0].replace(/:\d+$/, "")), "mongo-service", MONGO_PORT),
            grafana: endpoint(namespace.name, grafana.host, "grafana", grafana.port),
        };
        endpoints["mongo-0"].portForward = pulumi.interpolate`kubectl -n ${namespace.name} port-forward pod/mongo-0 ${MONGO_PORT}:${MONGO_PORT}`;
        if (args.catalogImage) {
            const catalog = new WebApp(
                `${name}-catalog`,
                {
                    lab: LAB,
                    naming,
                    app: { name: "movie-catalog", component: "backend", extra: { app: "movie-catalog" } },
                    namespace,
                    name: "movie-catalog",
                    image: args.catalogImage,
                    port: CATALOG_PORT,
                    probe: { httpGet: "/status" },
                    env: [mongoCredentials.env("MONGO_URI", "mongo-uri")],
                    credentials: [mongoCredentials],
                    // the app connects as it starts: the database must be up, which nothing the app names says
                    dependsOn: [this.mongo],
                },
                { parent: this },
            );
            Object.assign(endpoints, { catalog: endpoint(namespace.name, catalog.host, "movie-catalog", CATALOG_PORT) });
        }
        this.outputs = {
            namespaces: [namespace.name],
            endpoints,
            secrets: { mongoUri: mongoCredentials.value("mongo-uri"), grafanaAdminPassword: grafanaCredentials.value("admin-password") },
            skippedApps: args.catalogImage ? [] : ["catalog"],
        };
        this.registerOutputs({ namespaces: this.outputs.namespaces });
    }
}
