// The skeleton every database here shares (Postgres, MongoReplicaSet, Grafana): a headless
// Service for stable pod names and a StatefulSet running as the image's user, its data on a
// claim per pod (static PVs reserved, claims grown, kept on scale-down), a pre-created claim or
// an emptyDir, with the volume-permissions init container where the backend needs it. What
// differs (containers, scripts, client Services) stays in each component. A function, not a
// ComponentResource: the children keep their names and parent (the component), so their URNs.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Labels, LabId } from "../shared/naming";
import { podSecurity } from "../shared/resources";
import { PersistentClaim } from "../storage/persistent-claim";
import { ClaimTemplateArgs, ClaimTemplateStorage, claimRetention, claimTemplateStorage, growTemplateClaims, statefulSetOptions } from "../storage/stateful-storage";
import { StorageBackend } from "../storage/storage-backend";
import { volumePermissionsContainer } from "../storage/volume-permissions";
import { headlessService } from "./services";

export type DatabaseStorage =
    /** One claim per pod from `volumeClaimTemplates`, each bound to a static PV of the backend. */
    | { kind: "claimTemplate"; template: string; size: string }
    /** One pre-created claim mounted by the single pod (labs 000, 001 and 003). */
    | { kind: "existingClaim"; claim: PersistentClaim }
    /** An emptyDir: data is lost with the pod (the seed's first step in lab 000). */
    | { kind: "ephemeral" };

/** The pod's own parts; the skeleton adds the data volume and the volume-permissions init container. */
export interface DatabasePod {
    initContainers: k8s.types.input.core.v1.Container[];
    containers: k8s.types.input.core.v1.Container[];
    /** Volumes besides the data volume (left out of the spec when undefined). */
    volumes?: k8s.types.input.core.v1.Volume[];
    terminationGracePeriodSeconds?: number;
}

export interface StatefulDatabaseArgs {
    lab: LabId;
    namespace: NamespaceRef;
    labels: Labels;
    selector: Labels;
    /** StatefulSet name; pods are `<name>-0`, `<name>-1`, ... */
    name: string;
    /** Literal name of the headless Service. */
    headlessServiceName: string;
    ports: k8s.types.input.core.v1.ServicePort[];
    replicas: number;
    /** The image's user (and group): the pod runs as it, the volume is handed to it. */
    uid: number;
    dataMount: string;
    volumePermissionsImage: string;
    storage: DatabaseStorage;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
    podAnnotations: Record<string, string> | undefined;
    /** Annotations of the StatefulSet itself (not its pods: a change there rolls none). */
    annotations?: Record<string, string>;
    /** The pod, given the data volume's name and the headless Service (for member host names). */
    pod: (s: { volumeName: string; headlessService: k8s.core.v1.Service }) => DatabasePod;
}

/** The headless Service and the StatefulSet of a database, children of `parent`, named `name` and `<name>-headless`. */
export function statefulDatabase(
    name: string,
    a: StatefulDatabaseArgs,
    parent: pulumi.Resource,
): { headlessService: k8s.core.v1.Service; statefulSet: k8s.apps.v1.StatefulSet } {
    const { storage } = a;
    const service = headlessService(`${name}-headless`, { serviceName: a.headlessServiceName, namespace: a.namespace.name, labels: a.labels, selector: a.selector, ports: a.ports }, parent);
    const volumeName = storage.kind === "claimTemplate" ? storage.template : "data";
    // What no field of the StatefulSet names (the rest it names through outputs): the PVs
    // reserved for its claims and their preparation.
    let waitFor: pulumi.Resource[] = [];
    let dataVolume: k8s.types.input.core.v1.Volume | undefined;
    let templates: ClaimTemplateArgs | undefined;
    let templateStorage: ClaimTemplateStorage | undefined;
    if (storage.kind === "claimTemplate") {
        templates = { backend: a.backend, lab: a.lab, namespace: a.namespace, statefulSet: a.name, template: storage.template, size: storage.size, replicas: a.replicas, labels: a.labels };
        templateStorage = claimTemplateStorage(name, templates);
        waitFor = templateStorage.waitFor;
    } else if (storage.kind === "existingClaim") {
        dataVolume = { name: volumeName, persistentVolumeClaim: { claimName: storage.claim.name } };
        waitFor = storage.claim.ready;
    } else {
        dataVolume = { name: volumeName, emptyDir: {} };
    }
    const pod = a.pod({ volumeName, headlessService: service });
    const permissions =
        storage.kind !== "ephemeral" && a.backend.needsVolumePermissions
            ? [volumePermissionsContainer({ image: a.volumePermissionsImage, volumeName, mountPath: a.dataMount, uid: a.uid, gid: a.uid })]
            : [];
    const statefulSet = new k8s.apps.v1.StatefulSet(
        name,
        {
            metadata: { name: a.name, namespace: a.namespace.forPods, labels: a.labels, annotations: a.annotations },
            spec: {
                serviceName: service.metadata.name,
                replicas: a.replicas,
                selector: { matchLabels: a.selector },
                persistentVolumeClaimRetentionPolicy: claimRetention(a.keepDataOnDestroy),
                template: {
                    metadata: { labels: a.labels, annotations: a.podAnnotations },
                    spec: {
                        enableServiceLinks: false,
                        // nothing in a database pod calls the Kubernetes API
                        automountServiceAccountToken: false,
                        securityContext: podSecurity(a.uid),
                        terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
                        initContainers: [...permissions, ...pod.initContainers],
                        containers: pod.containers,
                        volumes: dataVolume ? [dataVolume, ...(pod.volumes ?? [])] : pod.volumes,
                    },
                },
                volumeClaimTemplates: templateStorage ? [templateStorage.volumeClaimTemplate] : [],
            },
        },
        statefulSetOptions(parent, waitFor),
    );
    if (templates && templateStorage) growTemplateClaims(name, templates, templateStorage, statefulSet, parent);
    return { headlessService: service, statefulSet };
}
