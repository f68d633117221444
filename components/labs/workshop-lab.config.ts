// The workshop lab's share of the stack configuration (see LabConfig in lab.ts).
import type { LabConfig } from "./lab";
import { bool, optionalImage, size } from "../shared/config-rules";
import { parseQuantity } from "../shared/quantity";

export interface WorkshopSettings {
    /** true: the claim is mounted; false: an emptyDir (the claim still exists, so switching back finds the data). */
    persistence: boolean;
    dbSize: string;
    backendImage?: string;
}

const KEYS = {
    workshopPersistence: {
        type: "boolean",
        default: true,
        description: "workshop: database on its claim (`false`: emptyDir, data lost with the pod).",
        schema: bool,
    },
    workshopDbSize: {
        type: "string",
        default: "1Gi",
        description: "workshop: size of the database claim.",
        schema: size,
    },
    workshopBackendImage: {
        type: "string",
        default: "",
        description: "workshop: the students' FastAPI image (or ours, `state-labs.local/workshop-backend:1-bookworm`: see *The course's apps*); empty leaves the backend out.",
        schema: optionalImage,
    },
} as const;

export const WORKSHOP: LabConfig<"workshop", typeof KEYS, WorkshopSettings> = {
    id: "workshop",
    name: "workshop",
    keys: KEYS,
    settings: (v) => ({ persistence: v.workshopPersistence, dbSize: v.workshopDbSize, backendImage: v.workshopBackendImage || undefined }),
    storage: { keys: "workshopDbSize", bytes: (s) => parseQuantity(s.dbSize) },
    pods: { keys: "workshopBackendImage", namespaces: (s) => [[[1, "small"], [s.backendImage ? 2 : 0, "micro"]]] },
    appImageKeys: { backend: "workshopBackendImage" },
};
