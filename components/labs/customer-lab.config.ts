// The customer lab's share of the stack configuration (see LabConfig in lab.ts).
import type { LabConfig } from "./lab";
import { optionalImage, size } from "../shared/config-rules";
import { parseQuantity } from "../shared/quantity";

export interface CustomerSettings {
    dbSize: string;
    backendImage?: string;
}

/** The seed's names of the database's volume and claim, which its instructions use. */
export const SEED_STORAGE = { volume: "local-pv-1", claim: "pg-pv-claim" } as const;

const KEYS = {
    customerDbSize: {
        type: "string",
        default: "2Gi",
        description: `customer: size of PV \`${SEED_STORAGE.volume}\` and claim \`${SEED_STORAGE.claim}\`.`,
        schema: size,
    },
    customerBackendImage: {
        type: "string",
        default: "",
        description: "customer: the students' Java backend image (or ours, `state-labs.local/customer-backend:1-bookworm`); empty leaves it out.",
        schema: optionalImage,
    },
} as const;

export const CUSTOMER: LabConfig<"customer", typeof KEYS, CustomerSettings> = {
    id: "customer",
    name: "customer",
    keys: KEYS,
    settings: (v) => ({ dbSize: v.customerDbSize, backendImage: v.customerBackendImage || undefined }),
    storage: { keys: "customerDbSize", bytes: (s) => parseQuantity(s.dbSize) },
    pods: { keys: "customerBackendImage", namespaces: (s) => [[[1, "small"], [s.backendImage ? 2 : 0, "micro"]]] },
    appImageKeys: { backend: "customerBackendImage" },
};
