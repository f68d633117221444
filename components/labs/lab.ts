// What every lab component receives from the stack and hands back for stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { LabNamespace, PodSecurityLevel } from "../security/namespace";
import { NamespaceFenceSettings } from "../security/namespace-fence";
import type { KeySpec, KeyValues } from "../shared/config-rules";
import { Labels, LabId, StackNaming } from "../shared/naming";
import { RESOURCE_PRESETS } from "../shared/resources";
import { StorageBackend } from "../storage/storage-backend";

export interface LabContext {
    naming: StackNaming;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
    images: { postgres: string; volumePermissions: string };
    /** Quota, container defaults and network rules of every lab namespace. */
    fence: NamespaceFenceSettings;
    /**
     * The cluster's ingress controller (Ingress and Gateway API alike): its namespace, the one
     * other namespace let in to apps behind an Ingress or HTTPRoute, and its Service.
     */
    ingressController: { namespace: string; service: string };
    /** This lab's credentials generation: raising it rotates the lab's generated passwords. */
    credentialsGeneration: number;
}

/**
 * The Pod Security level a lab namespace can enforce. Data on hostPath/NFS needs a root init
 * container to fix ownership, and course-built app images may run as root: both fit
 * "baseline". Namespaces with neither run "restricted"; all of them audit against it.
 */
export function podSecurityLevel(a: { rootInit: boolean; unknownAppUser: boolean }): PodSecurityLevel {
    return a.rootInit || a.unknownAppUser ? "baseline" : "restricted";
}

/**
 * What the stack's configuration knows of one lab, declared beside its component in
 * <lab>-lab.config.ts; stacks/config-keys.ts and stacks/config.ts assemble the labs'.
 */
/** [how many pods, the RESOURCE_PRESETS entry their containers use] */
export type PodGroup = readonly [number, keyof typeof RESOURCE_PRESETS];

export interface LabConfig<N extends string, K extends Record<string, KeySpec>, S> {
    id: LabId;
    /** Its settings' name in the stack's config, and what its generated keys start with (postgresHa). */
    name: N;
    /** Its own keys, in the order the docs list them. */
    keys: K;
    /** What its component receives beyond LabContext, from its keys' values. */
    settings(values: KeyValues<K>, prefix: string): S;
    /** What its claims request in its one namespace that holds data (the storage quota check); `keys` name the inputs. */
    storage: { keys: string; bytes(settings: S): number };
    /**
     * What it runs at once, per namespace (the pods, CPU and memory quota checks): each namespace
     * a list of [pods, the preset of their resources]: replicas, a Job beside them, one surge pod
     * per Deployment. A pod's charge is its containers' preset (init containers ask no more).
     */
    pods: { keys: string; namespaces(settings: S): PodGroup[][] };
    /** Apps left out when their image is not configured: app → the key that configures it. */
    appImageKeys: Record<string, keyof K & string>;
}

export interface LabEndpoint {
    /** In-cluster address host:port. */
    address: pulumi.Output<string>;
    /** How an operator reaches it from a laptop. */
    portForward: pulumi.Output<string>;
}

export interface LabOutputs {
    namespaces: pulumi.Output<string>[];
    endpoints: Record<string, LabEndpoint>;
    /** Connection strings and passwords: Pulumi secrets only. */
    secrets: Record<string, pulumi.Output<string>>;
    /** Apps left out because their image is not configured. */
    skippedApps: string[];
}

export function endpoint(namespace: pulumi.Output<string>, host: pulumi.Output<string>, service: string, port: number): LabEndpoint {
    return {
        address: pulumi.interpolate`${host}:${port}`,
        portForward: pulumi.interpolate`kubectl -n ${namespace} port-forward service/${service} ${port}:${port}`,
    };
}

export interface LabNamespaceRequest {
    lab: LabId;
    /** The seed's namespace name; the stack prefix goes in front. */
    base: string;
    /** It will hold claims: kept on destroy (with keepDataOnDestroy), and its pods fix volume ownership. */
    holdsData: boolean;
    /** A course-built app of unknown user runs in it. */
    unknownAppUser: boolean;
    extraLabels?: Labels;
}

/** A lab namespace with the Pod Security level its pods need. */
export function labNamespace(parent: pulumi.Resource, resourceName: string, ctx: LabContext, r: LabNamespaceRequest): LabNamespace {
    return new LabNamespace(
        resourceName,
        {
            name: ctx.naming.namespace(r.base),
            labels: { ...ctx.naming.labLabels(r.lab), ...r.extraLabels },
            enforce: podSecurityLevel({ rootInit: r.holdsData && ctx.backend.needsVolumePermissions, unknownAppUser: r.unknownAppUser }),
            holdsData: r.holdsData,
            keepDataOnDestroy: ctx.keepDataOnDestroy,
            fence: ctx.fence,
            accessNamespace: ctx.naming.accessNamespace(),
        },
        { parent },
    );
}
