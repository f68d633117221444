// What every lab component receives from the stack and hands back for stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { StackNaming } from "./naming";
import { StorageBackend } from "./storage-backend";

export interface LabContext {
    naming: StackNaming;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
    images: { postgres: string; volumePermissions: string };
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
