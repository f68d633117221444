// Lab 001, stateful Flask todo: PostgreSQL in namespace `postgres` with its settings in a
// ConfigMap and its password in a Secret, the Flask app in `stateful-namespace` migrating
// its schema itself, and an Ingress in a third namespace reaching the app through an
// ExternalName Service, as the seed teaches; or, by todoExposure, Gateway API beside or
// instead of it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../security/credentials";
import { LabContext, LabOutputs, endpoint, labNamespace } from "./lab";
import { TODO, TodoSettings } from "./todo-lab.config";
import { allowFrom } from "../security/namespace-fence";
import { PersistentClaim } from "../storage/persistent-claim";
import { inlineScript } from "../shared/scripts";
import { Postgres } from "../workloads/postgres";
import { WebApp } from "../workloads/web-app";

const LAB = TODO.id;
const DB = { name: "postgres", user: "todo", database: "todo" };
const APP_PORT = 5000;

export type TodoLabArgs = LabContext & TodoSettings;

// The app's `migrate` init container: the schema follows the image's models before every
// start, adding only (todo-lab/migrate.sh says how).
export const MIGRATE = inlineScript(__dirname, "todo-lab", "migrate.sh");

export class TodoLab extends pulumi.ComponentResource {
    readonly outputs: LabOutputs;

    constructor(name: string, args: TodoLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:lab:Todo", name, {}, opts);
        const { naming, backend } = args;
        const db = { name: "postgres", component: "database", extra: { app: "postgres" } };
        const flask = { name: "stateful-flask", component: "backend", extra: { app: "stateful-flask" } };
        const dbNs = labNamespace(this, `${name}-postgres-ns`, args, { lab: LAB, base: "postgres", holdsData: true, unknownAppUser: false });
        // The app runs as a set non-root uid (todoAppUid), so its namespace can enforce restricted.
        const appNs = labNamespace(this, `${name}-app-ns`, args, { lab: LAB, base: "stateful-namespace", holdsData: false, unknownAppUser: false });
        const ingressNs = labNamespace(this, `${name}-ingress-ns`, args, { lab: LAB, base: "todo-ingress", holdsData: false, unknownAppUser: false });

        const dbLabels = naming.appLabels(LAB, db);
        // Non-secret settings only: the seed's password in a ConfigMap is exactly what not to do.
        const settings = new k8s.core.v1.ConfigMap(
            `${name}-postgres-config`,
            { metadata: { name: "postgres-config", namespace: dbNs.name, labels: dbLabels }, data: { POSTGRES_DB: DB.database, POSTGRES_USER: DB.user } },
            { parent: this },
        );
        const credentials = new Credentials(
            `${name}-postgres-secret`,
            { namespace: dbNs.name, secretName: "postgres-secret", generate: { POSTGRES_PASSWORD: 24 }, labels: dbLabels, generation: args.credentialsGeneration },
            { parent: this },
        );
        const claim = new PersistentClaim(
            `${name}-postgres-pvc`,
            { lab: LAB, backend, namespace: dbNs, claimName: "postgres-pvc", volumeName: "postgres-pv", size: args.dbSize, labels: dbLabels, keepDataOnDestroy: args.keepDataOnDestroy },
            { parent: this },
        );
        const postgres = new Postgres(
            `${name}-postgres`,
            {
                lab: LAB,
                naming,
                app: db,
                namespace: dbNs,
                name: DB.name,
                headlessServiceName: "postgres-headless",
                serviceName: "postgres",
                image: args.images.postgres,
                volumePermissionsImage: args.images.volumePermissions,
                auth: {
                    username: DB.user,
                    database: DB.database,
                    credentials,
                    passwordKey: "POSTGRES_PASSWORD",
                    settings: { configMap: settings.metadata.name, usernameKey: "POSTGRES_USER", databaseKey: "POSTGRES_DB" },
                },
                persistence: { kind: "existingClaim", claim },
                backend,
                keepDataOnDestroy: args.keepDataOnDestroy,
            },
            { parent: this },
        );

        // Secrets do not cross namespaces: the app's namespace gets its own, built from the
        // same generated password.
        const dbHost = postgres.host;
        const appCredentials = new Credentials(
            `${name}-app-db`,
            {
                namespace: appNs.name,
                secretName: "stateful-flask-db",
                generate: {},
                derive: () => {
                    const password = credentials.value("POSTGRES_PASSWORD");
                    return {
                        POSTGRES_PASSWORD: password,
                        DATABASE_URL: pulumi.interpolate`postgresql://${DB.user}:${password}@${dbHost}:${postgres.port}/${DB.database}`,
                    };
                },
                labels: naming.appLabels(LAB, flask),
                generation: args.credentialsGeneration,
            },
            { parent: this },
        );
        const env = [
            { name: "POSTGRES_HOST", value: dbHost },
            { name: "POSTGRES_PORT", value: String(postgres.port) },
            { name: "POSTGRES_DB", value: DB.database },
            { name: "POSTGRES_USER", value: DB.user },
            appCredentials.env("POSTGRES_PASSWORD", "POSTGRES_PASSWORD"),
            appCredentials.env("DATABASE_URL", "DATABASE_URL"),
            appCredentials.env("SQLALCHEMY_DATABASE_URI", "DATABASE_URL"),
        ];
        const app = new WebApp(
            `${name}-app`,
            {
                lab: LAB,
                naming,
                app: flask,
                namespace: appNs,
                name: "stateful-flask",
                image: args.appImage,
                port: APP_PORT,
                // the app's paths are the students' own: a TCP check cannot be wrong
                probe: { tcp: true },
                env,
                runAsUser: args.appUid,
                initContainers: [
                    {
                        name: "migrate",
                        image: args.appImage,
                        command: ["sh", "-c", MIGRATE],
                        env,
                        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    },
                ],
                credentials: [appCredentials],
                // the app connects as it starts: the database must be up, which nothing the app names says
                dependsOn: [postgres],
            },
            { parent: this },
        );

        // The namespaces are isolated from each other (namespace-fence.ts): open exactly the two
        // paths this lab needs across them.
        allowFrom(
            `${name}-app-to-postgres`,
            {
                namespace: dbNs.name,
                labels: dbLabels,
                policyName: "allow-stateful-flask",
                podSelector: naming.selectorLabels(LAB, db),
                from: { namespace: appNs.name, podSelector: naming.selectorLabels(LAB, flask) },
                port: postgres.port,
            },
            { parent: this },
        );
        const controller = args.ingressController;
        allowFrom(
            `${name}-ingress-to-app`,
            {
                namespace: appNs.name,
                labels: naming.appLabels(LAB, flask),
                policyName: "allow-ingress-controller",
                podSelector: naming.selectorLabels(LAB, flask),
                // the controller proxies to the app's pods, for an Ingress or an HTTPRoute alike,
                // wherever the routing object lives
                from: { namespace: controller.namespace },
                port: APP_PORT,
            },
            { parent: this },
        );

        // The routing objects live in a namespace of their own, as the seed's Ingress does.
        const ingressLabels = naming.appLabels(LAB, { name: "stateful-flask-ingress", component: "ingress" });
        if (args.exposure.ingress) {
            // The seed's way: an ExternalName Service there points at the app.
            const external = new k8s.core.v1.Service(
                `${name}-external`,
                {
                    metadata: { name: "stateful-flask", namespace: ingressNs.name, labels: ingressLabels },
                    spec: { type: "ExternalName", externalName: app.host, ports: [{ name: "http", port: APP_PORT }] },
                },
                { parent: this },
            );
            new k8s.networking.v1.Ingress(
                `${name}-ingress`,
                {
                    metadata: {
                        name: "stateful-flask",
                        namespace: ingressNs.name,
                        labels: ingressLabels,
                        // Only an ingress controller reports an address; the lab is complete without
                        // one, so do not wait for it.
                        annotations: { "pulumi.com/skipAwait": "true" },
                    },
                    spec: {
                        ingressClassName: args.ingressClassName,
                        rules: [
                            {
                                host: args.ingressHost,
                                http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: external.metadata.name, port: { number: APP_PORT } } } }] },
                            },
                        ],
                    },
                },
                { parent: this },
            );
        }
        if (args.exposure.httpRoute) this.gatewayRoute(name, args, ingressNs.name, appNs.name, app.service.metadata.name, ingressLabels);

        this.outputs = {
            namespaces: [dbNs.name, appNs.name, ingressNs.name],
            endpoints: {
                postgres: endpoint(dbNs.name, postgres.host, "postgres", postgres.port),
                app: endpoint(appNs.name, app.host, "stateful-flask", APP_PORT),
                ingress: {
                    address: pulumi.output(`http://${args.ingressHost}/`),
                    portForward: pulumi.output(`kubectl -n ${controller.namespace} port-forward service/${controller.service} 8080:80 # then: curl -H 'Host: ${args.ingressHost}' http://localhost:8080/`),
                },
            },
            secrets: { databaseUrl: appCredentials.value("DATABASE_URL") },
            skippedApps: [],
        };
        this.registerOutputs({ namespaces: this.outputs.namespaces });
    }

    /**
     * Gateway API beside (or instead of) the seed's Ingress: a Gateway of the lab's own, for its
     * host only, and an HTTPRoute to the app's Service. Implementations refuse ExternalName
     * backends (Traefik's does), so the route names the Service in the app's namespace, which a
     * ReferenceGrant there allows for this Service and routes of this namespace only.
     */
    private gatewayRoute(name: string, args: TodoLabArgs, routeNs: pulumi.Input<string>, appNs: pulumi.Input<string>, service: pulumi.Input<string>, labels: Record<string, string>): void {
        const apiVersion = "gateway.networking.k8s.io/v1";
        // Nothing reports a Gateway Programmed without a controller; the lab is whole without one.
        const metadata = (n: string, namespace: pulumi.Input<string>) => ({ name: n, namespace, labels, annotations: { "pulumi.com/skipAwait": "true" } });
        const gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion,
                kind: "Gateway",
                metadata: metadata("stateful-flask", routeNs),
                spec: {
                    gatewayClassName: args.gatewayClassName,
                    listeners: [{ name: "http", protocol: "HTTP", port: args.gatewayPort, hostname: args.ingressHost, allowedRoutes: { namespaces: { from: "Same" } } }],
                },
            },
            { parent: this },
        );
        const grant = new k8s.apiextensions.CustomResource(
            `${name}-reference-grant`,
            {
                apiVersion: "gateway.networking.k8s.io/v1beta1",
                kind: "ReferenceGrant",
                metadata: metadata("allow-todo-routes", appNs),
                spec: {
                    from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: routeNs }],
                    to: [{ group: "", kind: "Service", name: service }],
                },
            },
            { parent: this },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-route`,
            {
                apiVersion,
                kind: "HTTPRoute",
                metadata: metadata("stateful-flask", routeNs),
                spec: {
                    parentRefs: [{ name: gateway.metadata.name, sectionName: "http" }],
                    hostnames: [args.ingressHost],
                    rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: service, namespace: appNs, port: APP_PORT }] }],
                },
            },
            // the grant names nothing the route refers to: without it first, the route is refused until it exists
            { parent: this, dependsOn: [grant] },
        );
    }
}
