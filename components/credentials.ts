import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Labels } from "./naming";

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
}

/**
 * Generated passwords kept in one Kubernetes Secret. The RandomPassword inputs are
 * constants, so a password is generated once and never changes on a later `pulumi up`.
 * Consumers read values through `secretKeyRef` (see `env`), never as plain values.
 */
export class Credentials extends pulumi.ComponentResource {
    readonly secretName: string;
    readonly secret: k8s.core.v1.Secret;
    private readonly values: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:security:Credentials", name, {}, opts);
        const passwords: Record<string, pulumi.Output<string>> = {};
        for (const [key, length] of Object.entries(args.generate)) {
            // Letters and digits only: the values go into URIs unescaped, and a MongoDB keyfile
            // accepts only base64 characters.
            passwords[key] = new random.RandomPassword(`${name}-${key}`, { length, special: false }, { parent: this }).result;
        }
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

    /** A volume holding some keys of this Secret as files. */
    volume(volumeName: string, items: Record<string, string>, defaultMode: number): k8s.types.input.core.v1.Volume {
        Object.keys(items).forEach((k) => this.assertKey(k));
        return { name: volumeName, secret: { secretName: this.secretName, defaultMode, items: Object.entries(items).map(([key, path]) => ({ key, path })) } };
    }

    /** An env var read from this Secret. */
    env(envName: string, key: string): k8s.types.input.core.v1.EnvVar {
        this.assertKey(key);
        return { name: envName, valueFrom: { secretKeyRef: { name: this.secretName, key } } };
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
