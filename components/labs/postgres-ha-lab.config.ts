// The postgres-ha lab's share of the stack configuration (see LabConfig in lab.ts).
import type { LabConfig } from "./lab";
import { replicas, size } from "../shared/config-rules";
import { parseQuantity } from "../shared/quantity";

export interface PostgresHaSettings {
    replicas: number;
    size: string;
}

const KEYS = {
    postgresHaReplicas: {
        type: "integer",
        default: 3,
        description: "postgres-ha: pods, 1 primary and the rest hot standbys (1 to 10).",
        schema: replicas(10),
    },
    postgresHaSize: {
        type: "string",
        default: "200Mi",
        description: "postgres-ha: size of each pod's claim.",
        schema: size,
    },
} as const;

export const POSTGRES_HA: LabConfig<"postgresHa", typeof KEYS, PostgresHaSettings> = {
    id: "postgres-ha",
    name: "postgresHa",
    keys: KEYS,
    settings: (v) => ({ replicas: v.postgresHaReplicas, size: v.postgresHaSize }),
    storage: { keys: "postgresHaSize × postgresHaReplicas", bytes: (s) => parseQuantity(s.size) * s.replicas },
    pods: { keys: "postgresHaReplicas", namespaces: (s) => [[[s.replicas, "small"]]] },
    appImageKeys: {},
};
