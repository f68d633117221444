import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CREDENTIALS_GENERATION_ANNOTATION, Labels } from "../shared/naming";
import { RESOURCE_PRESETS, restrictedContainer } from "../shared/resources";

export interface CredentialsArgs {
    namespace: pulumi.Input<string>;
    /** The Secret's literal name, e.g. the seed's `db-pass`. */
    secretName: string;
    /** Keys whose values are generated, with their length. */
    generate: Record<string, number>;
    /** Further keys, often built from the passwords (connection strings); stored as secret. */
    derive?: (passwords: Record<string, pulumi.Output<string>>) => Record<string, pulumi.Input<string>>;
    /** Secret type, e.g. Opaque (default). */
    type?: string;
    labels: Labels;
    /**
     * Raising it rotates the generated passwords (the lab's `<lab>CredentialsGeneration` key).
     * 0, the first generation, adds nothing to the resources, so stacks from before the key
     * plan no change.
     */
    generation?: number;
}

/**
 * Generated passwords kept in one Kubernetes Secret. The RandomPassword inputs are
 * constants, so a password is generated once and never changes on a later `pulumi up`,
 * unless the generation is raised on purpose (rotation). Consumers read values through
 * `secretKeyRef` (see `env`), never as plain values, and so waits for `secret`; it also carries
 * `podAnnotations`, so a rotation restarts it after the Secret changed.
 * Databases do not keep the password they were initialised with: each one sets its users'
 * passwords from this Secret when it starts (see the databases' `sync-credentials` init
 * containers), so kept data stays reachable after a destroy and a rotation.
 */
export class Credentials extends pulumi.ComponentResource {
    readonly secretName: string;
    readonly secret: k8s.core.v1.Secret;
    /**
     * For the pod templates of the workloads that read this Secret: a new generation restarts
     * them. Undefined in the first generation (no field, no diff against older stacks).
     */
    readonly podAnnotations: Record<string, string> | undefined;
    private readonly values: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:security:Credentials", name, {}, opts);
        const generation = args.generation ?? 0;
        // A changed keeper replaces the RandomPassword: a new value.
        const keepers = generation > 0 ? { generation: String(generation) } : undefined;
        const passwords: Record<string, pulumi.Output<string>> = {};
        for (const [key, length] of Object.entries(args.generate)) {
            // Letters and digits only: the values go into URIs unescaped, and a MongoDB keyfile
            // accepts only base64 characters.
            passwords[key] = new random.RandomPassword(`${name}-${key}`, { length, special: false, keepers }, { parent: this }).result;
        }
        this.podAnnotations = generation > 0 ? { [CREDENTIALS_GENERATION_ANNOTATION]: String(generation) } : undefined;
        const derived = args.derive ? args.derive(passwords) : {};
        this.values = Object.fromEntries(
            Object.entries({ ...passwords, ...derived }).map(([k, v]) => [k, pulumi.secret(pulumi.output(v))]),
        );
        this.secretName = args.secretName;
        this.secret = new k8s.core.v1.Secret(
            name,
            {
                metadata: { name: args.secretName, namespace: args.namespace, labels: args.labels },
                type: args.type ?? "Opaque",
                stringData: this.values,
            },
            { parent: this },
        );
        this.registerOutputs({ secretName: this.secretName });
    }

    /** Pod-template annotations of a workload that reads all of `credentials` (see `podAnnotations`). */
    static podAnnotations(...credentials: Credentials[]): Record<string, string> | undefined {
        const merged = Object.assign({}, ...credentials.map((c) => c.podAnnotations ?? {})) as Record<string, string>;
        return Object.keys(merged).length > 0 ? merged : undefined;
    }

    // volume and env name the Secret through its output: a workload reading it waits for it
    // (the engine sees the edge), so a rotation restarts pods only once the Secret changed.

    /** A volume holding some keys of this Secret as files. */
    volume(volumeName: string, items: Record<string, string>, defaultMode: number): k8s.types.input.core.v1.Volume {
        Object.keys(items).forEach((k) => this.assertKey(k));
        return { name: volumeName, secret: { secretName: this.secret.metadata.name, defaultMode, items: Object.entries(items).map(([key, path]) => ({ key, path })) } };
    }

    /** An env var read from this Secret. */
    env(envName: string, key: string): k8s.types.input.core.v1.EnvVar {
        this.assertKey(key);
        return { name: envName, valueFrom: { secretKeyRef: { name: this.secret.metadata.name, key } } };
    }

    /** A value as a Pulumi secret, for stack outputs. */
    value(key: string): pulumi.Output<string> {
        this.assertKey(key);
        return this.values[key];
    }

    private assertKey(key: string): void {
        if (!(key in this.values)) throw new Error(`Secret ${this.secretName} has no key ${key}`);
    }
}

/**
 * The init container with which a database follows its Secret: at every start, `script` sets
 * the users' passwords kept in the data to the ones in `env` (see each database's script).
 */
export function syncCredentialsContainer(a: {
    image: string;
    script: string;
    env: k8s.types.input.core.v1.EnvVar[];
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
}): k8s.types.input.core.v1.Container {
    return {
        name: "sync-credentials",
        image: a.image,
        command: ["sh", "-c", a.script],
        env: a.env,
        resources: RESOURCE_PRESETS.small,
        securityContext: restrictedContainer(),
        volumeMounts: a.volumeMounts,
    };
}
