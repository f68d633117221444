// The todo lab's share of the stack configuration (see LabConfig in lab.ts).
import type { LabConfig } from "./lab";
import { dnsLabel, image, intRange, rule, size } from "../shared/config-rules";
import { DNS_LABEL } from "../shared/naming";
import { parseQuantity } from "../shared/quantity";

export interface TodoSettings {
    dbSize: string;
    appImage: string;
    appUid: number;
    ingressHost: string;
    ingressClassName: string;
}

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
        description: "todo: `ingressClassName` of the Ingress.",
        schema: dnsLabel(63),
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
    }),
    storage: { keys: "todoDbSize", bytes: (s) => parseQuantity(s.dbSize) },
    // the database's namespace, and the app's with its rolling update's surge pod
    pods: { keys: "the app's rolling update", namespaces: () => [[[1, "small"]], [[2, "micro"]]] },
    appImageKeys: {},
};
