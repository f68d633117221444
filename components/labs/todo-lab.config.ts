// The todo lab's share of the stack configuration (see LabConfig in lab.ts).
import type { LabConfig } from "./lab";
import { dnsLabel, image, intRange, oneOf, rule, size } from "../shared/config-rules";
import { DNS_LABEL } from "../shared/naming";
import { parseQuantity } from "../shared/quantity";

export interface TodoSettings {
    dbSize: string;
    appImage: string;
    appUid: number;
    ingressHost: string;
    ingressClassName: string;
    /** How requests from outside reach the app: the seed's Ingress, Gateway API, or both. */
    exposure: { ingress: boolean; httpRoute: boolean };
    gatewayClassName: string;
    gatewayPort: number;
}

export const EXPOSURES = ["ingress", "httproute", "both"] as const;

// One host per stack, so students on one cluster do not share an Ingress host.
const defaultHost = (prefix: string) => `todo.${prefix}.labs.local`;

const KEYS = {
    todoDbSize: {
        type: "string",
        default: "1Gi",
        description: "todo: size of the PostgreSQL claim.",
        schema: size,
    },
    todoAppImage: {
        type: "string",
        default: "daredrexel/stateful-flask:v0",
        description: "todo: the Flask todo app image.",
        schema: image,
    },
    todoAppUid: {
        type: "integer",
        default: 10001,
        description:
            "todo: uid (and gid) the app and its `migrate` init container run as, never root. The image's files must be readable by it and it may write only to `/tmp` (the course's `daredrexel/stateful-flask:v0` and the sandbox's image do).",
        schema: intRange(1, 2147483647),
    },
    todoIngressHost: {
        type: "string",
        default: "",
        description: `todo: Ingress host; empty gives \`${defaultHost("<prefix>")}\`, one per stack.`,
        schema: rule(
            (v) => v === "" || (v.length <= 253 && v.split(".").every((p) => DNS_LABEL.test(p))),
            `a DNS name such as todo.labs.local, or "" for ${defaultHost("<prefix>")}`,
        ),
    },
    todoIngressClassName: {
        type: "string",
        default: "nginx",
        description:
            "todo: `ingressClassName` of the Ingress. The seed's `nginx` is served by Traefik's `kubernetesIngressNGINX` provider (an IngressClass `nginx` of controller `k8s.io/ingress-nginx` must exist) as by the retired ingress-nginx.",
        schema: dnsLabel(63),
    },
    todoExposure: {
        type: "string",
        default: "ingress",
        description:
            "todo: how requests from outside the cluster reach the app: `ingress` (the seed's Ingress through an ExternalName Service), `httproute` (Gateway API: a Gateway of class `todoGatewayClassName` and an HTTPRoute to the app's Service, with a ReferenceGrant), or `both`. Gateway API needs its CRDs (standard channel, v1.4) and a controller in the cluster.",
        schema: oneOf(EXPOSURES, EXPOSURES.join(", ")),
    },
    todoGatewayClassName: {
        type: "string",
        default: "traefik",
        description: "todo: `gatewayClassName` of the lab's Gateway (with `todoExposure` httproute or both). Traefik's is `traefik`.",
        schema: dnsLabel(63),
    },
    todoGatewayPort: {
        type: "integer",
        default: 8000,
        description: "todo: port of the Gateway's HTTP listener. Traefik serves a listener only on the port of one of its entryPoints: `web` is 8000 in its Helm chart and in the sandbox.",
        schema: intRange(1, 65535),
    },
} as const;

export const TODO: LabConfig<"todo", typeof KEYS, TodoSettings> = {
    id: "todo",
    name: "todo",
    keys: KEYS,
    settings: (v, prefix) => ({
        dbSize: v.todoDbSize,
        appImage: v.todoAppImage,
        appUid: v.todoAppUid,
        ingressHost: v.todoIngressHost || defaultHost(prefix),
        ingressClassName: v.todoIngressClassName,
        exposure: { ingress: v.todoExposure !== "httproute", httpRoute: v.todoExposure !== "ingress" },
        gatewayClassName: v.todoGatewayClassName,
        gatewayPort: v.todoGatewayPort,
    }),
    storage: { keys: "todoDbSize", bytes: (s) => parseQuantity(s.dbSize) },
    // the database's namespace, and the app's with its rolling update's surge pod
    pods: { keys: "the app's rolling update", namespaces: () => [[[1, "small"]], [[2, "micro"]]] },
    appImageKeys: {},
};
