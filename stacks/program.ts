// The stack program: validated config in, lab components out. Config is read once, in
// config.ts; everything below receives typed values.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HostPathStorage } from "../components/storage/hostpath-storage";
import { LabContext, LabOutputs } from "../components/labs/lab";
import { LabId, StackNaming } from "../components/shared/naming";
import { NfsStorage } from "../components/storage/nfs-storage";
import { DynamicStorage } from "../components/storage/dynamic-storage";
import { StorageBackend } from "../components/storage/storage-backend";
import { GuardedVolume, StorageLocation, StorageLocationGuard } from "../components/storage/storage-location-guard";
import { WorkshopLab } from "../components/labs/workshop-lab";
import { TodoLab } from "../components/labs/todo-lab";
import { MoviesLab } from "../components/labs/movies-lab";
import { CustomerLab } from "../components/labs/customer-lab";
import { PostgresHaLab } from "../components/labs/postgres-ha-lab";
import { StudentAccess } from "../components/security/student-access";
import { StudentPolicy } from "../components/security/student-policy";
import { LabsConfig, PROJECT } from "./config";
import { LABS } from "./config-keys";

function storageBackend(config: LabsConfig, naming: StackNaming, opts: pulumi.ComponentResourceOptions): StorageBackend {
    const common = { naming, labels: naming.stackLabels(), keepDataOnDestroy: config.keepDataOnDestroy };
    const s = config.storage;
    switch (s.mode) {
        case "nfs":
            return new NfsStorage("storage", { ...common, server: s.server, path: s.path, helperImage: config.images.volumePermissions }, opts);
        case "dynamic":
            return new DynamicStorage("storage", { naming, labels: common.labels, provisioner: s.provisioner, parameters: s.parameters, allowExpansion: s.allowExpansion }, opts);
        case "hostPath":
            return new HostPathStorage("storage", { ...common, root: s.root, node: s.node }, opts);
    }
}

/** The keys that decide where the stack's data lives, by config key (what the guard records). */
export function storageLocation(config: LabsConfig): StorageLocation {
    const s = config.storage;
    // dynamic: the provisioner holds the volumes (its parameters may change: they shape new volumes only)
    const where: StorageLocation =
        s.mode === "nfs" ? { nfsServer: s.server, nfsPath: s.path } : s.mode === "dynamic" ? { storageProvisioner: s.provisioner } : { hostPathRoot: s.root, hostPathNode: s.node };
    return { prefix: config.prefix, storageMode: s.mode, ...where };
}

export interface StackOutputs {
    prefix: string;
    storageMode: string;
    storageClassName: string;
    labs: Record<string, {
        namespaces: pulumi.Output<string>[];
        endpoints: Record<string, { address: pulumi.Output<string>; portForward: pulumi.Output<string> }>;
        secrets: Record<string, pulumi.Output<string>>;
        skippedApps: Record<string, string>;
    }>;
    student: {
        /** Where the student's ServiceAccount lives (no rights there). */
        accessNamespace: pulumi.Output<string>;
        serviceAccount: pulumi.Output<string>;
        /** The namespaces the student may edit. */
        namespaces: pulumi.Output<string>[];
        /** kubeconfig for the student (secret), when the API server is known. */
        kubeconfig?: pulumi.Output<string>;
    };
}

/** `rootOptions` reach every resource (tests pass transformations that observe options). */
export function program(config: LabsConfig, rootOptions: pulumi.ComponentResourceOptions = {}): StackOutputs {
    const naming = new StackNaming(config.prefix);
    // Every Kubernetes resource waits for the guard (through the provider), so a refused move of
    // the data touches nothing. Its volumes are known once the labs are built, below.
    let volumesKnown!: (v: GuardedVolume[]) => void;
    const guard = new StorageLocationGuard(
        "storage-location",
        { location: storageLocation(config), volumes: new Promise<GuardedVolume[]>((resolve) => (volumesKnown = resolve)) },
        rootOptions,
    );
    // One explicit provider. A Secret whose data changes (a rotation) is updated in place, not
    // deleted and created again (the provider's default), which would leave pods that start in
    // between without it. Render mode swaps where manifests go, nothing else.
    const provider = new k8s.Provider(
        "k8s",
        { enableSecretMutable: true, ...(config.renderYamlToDirectory ? { renderYamlToDirectory: config.renderYamlToDirectory } : {}) },
        { ...rootOptions, dependsOn: [guard] },
    );
    const opts = { ...rootOptions, providers: { kubernetes: provider } };
    const backend = storageBackend(config, naming, opts);
    try {
        return stackResources(config, naming, backend, opts);
    } finally {
        volumesKnown([...backend.volumes]);
    }
}

function stackResources(config: LabsConfig, naming: StackNaming, backend: StorageBackend, opts: pulumi.ComponentResourceOptions): StackOutputs {
    const context: Omit<LabContext, "credentialsGeneration"> = { naming, backend, keepDataOnDestroy: config.keepDataOnDestroy, images: config.images, fence: config.fence, ingressController: config.ingressController };

    const labs: StackOutputs["labs"] = {};
    const report = (lab: LabId, out: LabOutputs) => {
        const skippedApps = Object.fromEntries(
            out.skippedApps.map((app) => {
                const key = `${PROJECT}:${LABS[lab].appImageKeys[app]}`;
                pulumi.log.warn(`lab ${lab}: the ${app} Deployment is left out because no image is configured; set ${key} to the students' image to deploy it`);
                return [app, `left out: set ${key}`];
            }),
        );
        labs[lab] = { ...out, skippedApps };
    };
    const lab = (id: LabId): LabContext => ({ ...context, credentialsGeneration: config.credentialsGeneration[id] });
    const build: Record<LabId, () => LabOutputs> = {
        workshop: () => new WorkshopLab("workshop", { ...lab("workshop"), ...config.workshop }, opts).outputs,
        todo: () => new TodoLab("todo", { ...lab("todo"), ...config.todo }, opts).outputs,
        movies: () => new MoviesLab("movies", { ...lab("movies"), ...config.movies }, opts).outputs,
        customer: () => new CustomerLab("customer", { ...lab("customer"), ...config.customer }, opts).outputs,
        "postgres-ha": () => new PostgresHaLab("postgres-ha", { ...lab("postgres-ha"), ...config.postgresHa }, opts).outputs,
    };
    for (const lab of config.labs) report(lab, build[lab]());

    const namespaces = Object.values(labs).flatMap((l) => l.namespaces);
    if (!config.student.apiServer) {
        pulumi.log.warn(`no kubeconfig for the student: the API server is unknown; set ${PROJECT}:studentApiServer, or run with a kubeconfig whose current context names its server`);
    }
    const access = new StudentAccess("student", { naming, labels: naming.stackLabels(), namespaces, apiServer: config.student.apiServer }, opts);
    // What the student's own requests may mount, in every storage mode (student-policy.ts).
    new StudentPolicy("student-policy", { naming, labels: naming.stackLabels(), accessNamespace: access.namespace }, opts);
    return {
        prefix: config.prefix,
        storageMode: config.storage.mode,
        storageClassName: backend.storageClassName,
        labs,
        student: { accessNamespace: access.namespace, serviceAccount: access.serviceAccount, namespaces, kubeconfig: access.kubeconfig },
    };
}
