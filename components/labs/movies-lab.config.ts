// The movies lab's share of the stack configuration (see LabConfig in lab.ts).
import type { LabConfig } from "./lab";
import { IMAGE, imageMajor, optionalImage, replicas, rule, size } from "../shared/config-rules";
import { parseQuantity } from "../shared/quantity";

export interface MoviesSettings {
    mongoImage: string;
    grafanaImage: string;
    mongoReplicas: number;
    mongoSize: string;
    grafanaSize: string;
    catalogImage?: string;
}

const KEYS = {
    mongoImage: {
        type: "string",
        default: "mongo:7.0.14",
        description: "movies: MongoDB image (5.0 or newer, for `mongosh`).",
        schema: rule(
            (v) => IMAGE.test(v) && (imageMajor(v, "mongo") ?? 5) >= 5,
            (v) => (IMAGE.test(v) ? "MongoDB 5.0 or newer (the labs run mongosh, which older images lack), such as mongo:7.0.14" : "a pinned image reference such as mongo:7.0.14 (a tag or digest is required)"),
        ),
    },
    grafanaImage: {
        type: "string",
        default: "grafana/grafana:11.2.0",
        description: "movies: Grafana image, 10 or newer (its admin password is reset from the Secret with `grafana cli ... --password-from-stdin`).",
        schema: rule(
            (v) => IMAGE.test(v) && (imageMajor(v, "grafana") ?? 10) >= 10,
            (v) =>
                IMAGE.test(v)
                    ? "Grafana 10 or newer (the lab resets the admin password from its Secret with grafana cli's --password-from-stdin), such as grafana/grafana:11.2.0"
                    : "a pinned image reference such as grafana/grafana:11.2.0 (a tag or digest is required)",
        ),
    },
    moviesMongoReplicas: {
        type: "integer",
        default: 3,
        description: "movies: replica-set members (1 to 7).",
        schema: replicas(7),
    },
    moviesMongoSize: {
        type: "string",
        default: "2Gi",
        description: "movies: size of each member's claim.",
        schema: size,
    },
    moviesGrafanaSize: {
        type: "string",
        default: "2Gi",
        description: "movies: size of Grafana's claim.",
        schema: size,
    },
    moviesCatalogImage: {
        type: "string",
        default: "",
        description: "movies: the students' movie catalog image (or ours, `state-labs.local/movie-catalog:1-bookworm`); empty leaves it out.",
        schema: optionalImage,
    },
} as const;

export const MOVIES: LabConfig<"movies", typeof KEYS, MoviesSettings> = {
    id: "movies",
    name: "movies",
    keys: KEYS,
    settings: (v) => ({
        mongoImage: v.mongoImage,
        grafanaImage: v.grafanaImage,
        mongoReplicas: v.moviesMongoReplicas,
        mongoSize: v.moviesMongoSize,
        grafanaSize: v.moviesGrafanaSize,
        catalogImage: v.moviesCatalogImage || undefined,
    }),
    storage: {
        keys: "moviesMongoSize × moviesMongoReplicas + moviesGrafanaSize",
        bytes: (s) => parseQuantity(s.mongoSize) * s.mongoReplicas + parseQuantity(s.grafanaSize),
    },
    // MongoDB's members and Grafana, the replica set's Job beside them, the catalog and its surge pod
    pods: {
        keys: "moviesMongoReplicas, moviesCatalogImage",
        namespaces: (s) => [[[s.mongoReplicas + 1, "small"], [1, "micro"], [s.catalogImage ? 2 : 0, "micro"]]],
    },
    appImageKeys: { catalog: "moviesCatalogImage" },
};
