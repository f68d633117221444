// The two Services every workload here has: a headless one for stable pod DNS names and a
// ClusterIP one for clients. Their names are literal (the seeds' names).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Labels } from "../shared/naming";

export interface ServiceArgs {
    serviceName: string;
    namespace: pulumi.Input<string>;
    labels: Labels;
    selector: Labels;
    ports: k8s.types.input.core.v1.ServicePort[];
    annotations?: Record<string, string>;
}

/** The headless Service that gives a StatefulSet's pods stable DNS names. */
export function headlessService(name: string, a: ServiceArgs, parent: pulumi.Resource): k8s.core.v1.Service {
    return new k8s.core.v1.Service(
        name,
        {
            metadata: { name: a.serviceName, namespace: a.namespace, labels: a.labels },
            // pods resolve before they are ready: replication and replica-set members find each other
            spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: a.selector, ports: a.ports },
        },
        { parent },
    );
}

/**
 * The ClusterIP Service clients use. Not awaited: pulumi-kubernetes would hold every such
 * Service (and whatever depends on it) until its endpoints have been still for 10 s
 * (pkg/await/service.go), the longest step of a `pulumi up`. What it would prove is already
 * proven: the workload behind it is awaited until its pods are Ready, and the selector matching
 * those pods is checked by the unit tests and, on a cluster, by the suites' endpoint checks.
 */
export function clientService(name: string, a: ServiceArgs, parent: pulumi.Resource): k8s.core.v1.Service {
    return new k8s.core.v1.Service(
        name,
        {
            metadata: { name: a.serviceName, namespace: a.namespace, labels: a.labels, annotations: { "pulumi.com/skipAwait": "true", ...a.annotations } },
            spec: { type: "ClusterIP", selector: a.selector, ports: a.ports },
        },
        { parent },
    );
}
