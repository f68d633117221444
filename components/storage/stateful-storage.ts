// What every StatefulSet with claim templates needs from the storage backend: a static PV
// reserved for each `<template>-<sts>-<ordinal>` claim, a template bound to the backend's
// class, and growth without replacing anything.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { growClaims } from "./growth";
import { NamespaceRef } from "../security/namespace";
import { Labels, LabId, templateClaimName } from "../shared/naming";
import { StorageBackend } from "./storage-backend";

export interface ClaimTemplateArgs {
    backend: StorageBackend;
    lab: LabId;
    namespace: NamespaceRef;
    statefulSet: string;
    template: string;
    size: string;
    replicas: number;
    labels: Labels;
}

export interface ClaimTemplateStorage {
    volumeClaimTemplate: k8s.types.input.core.v1.PersistentVolumeClaim;
    /** PVs (and their preparation) the StatefulSet's pods need before they can mount. */
    waitFor: pulumi.Resource[];
    claimNames: string[];
}

/** Static PVs for each ordinal and the claim template that binds to them. */
export function claimTemplateStorage(name: string, a: ClaimTemplateArgs): ClaimTemplateStorage {
    const waitFor: pulumi.Resource[] = [];
    const claimNames = Array.from({ length: a.replicas }, (_, i) => {
        const claim = templateClaimName(a.template, a.statefulSet, i);
        const volume = a.backend.volumeFor(`${name}-pv-${i}`, {
            lab: a.lab,
            volumeName: claim,
            claim: { namespace: a.namespace, name: claim },
            size: a.size,
            labels: a.labels,
        });
        waitFor.push(...(volume.pv ? [volume.pv] : []), ...volume.ready);
        return claim;
    });
    return {
        volumeClaimTemplate: {
            metadata: { name: a.template, labels: a.labels },
            spec: {
                storageClassName: a.backend.storageClassName,
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: a.size } },
            },
        },
        waitFor,
        claimNames,
    };
}

/**
 * Options every StatefulSet with claim templates gets: templates are immutable, so a changed
 * size would replace the StatefulSet; it is ignored here and grown by `growTemplateClaims` instead.
 */
export function statefulSetOptions(parent: pulumi.Resource, dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions {
    return { parent, dependsOn, ignoreChanges: ["spec.volumeClaimTemplates"] };
}

/** The claim retention of a StatefulSet: scale-down never deletes data; deletion only when asked. */
export function claimRetention(keepDataOnDestroy: boolean): k8s.types.input.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy {
    return { whenDeleted: keepDataOnDestroy ? "Retain" : "Delete", whenScaled: "Retain" };
}

/** After the StatefulSet exists: patch its claims to the configured size, or say why not. */
export function growTemplateClaims(
    name: string,
    a: ClaimTemplateArgs,
    storage: ClaimTemplateStorage,
    statefulSet: k8s.apps.v1.StatefulSet,
    parent: pulumi.Resource,
): void {
    growClaims(
        name,
        {
            backend: a.backend,
            what: `StatefulSet ${a.statefulSet} claims ${a.template}-*`,
            current: statefulSet.spec.volumeClaimTemplates.apply((t) => t?.find((x) => x.metadata?.name === a.template)?.spec?.resources?.requests?.storage),
            wanted: a.size,
            claims: storage.claimNames.map((claim) => ({ namespace: a.namespace.name, name: claim })),
            resource: statefulSet,
        },
        { parent, dependsOn: [statefulSet] },
    );
}
