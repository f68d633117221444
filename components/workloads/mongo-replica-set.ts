import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Credentials, syncCredentialsContainer } from "../security/credentials";
import { AppIdentity, LabId, StackNaming, serviceHost } from "../shared/naming";
import { RESOURCE_PRESETS, podSecurity, restrictedContainer } from "../shared/resources";
import { ClaimTemplateArgs, claimRetention, claimTemplateStorage, growClaims, statefulSetOptions } from "../storage/stateful-storage";
import { headlessService } from "./services";
import { StorageBackend } from "../storage/storage-backend";
import { volumePermissionsContainer } from "../storage/volume-permissions";

export const MONGO_PORT = 27017;
/** uid/gid of the mongodb user in the official image. */
const MONGO_UID = 999;
const DATA_DIR = "/data/db";
const KEYFILE_DIR = "/etc/mongo-keyfile";

export interface MongoReplicaSetArgs {
    lab: LabId;
    naming: StackNaming;
    app: AppIdentity;
    namespace: NamespaceRef;
    /** StatefulSet name; members are `<name>-0.<headless>...`. */
    name: string;
    headlessServiceName: string;
    replicaSetName: string;
    replicas: number;
    image: string;
    volumePermissionsImage: string;
    template: string;
    size: string;
    rootUsername: string;
    /** Holds `rootPasswordKey` and `keyfileKey` (the members' shared key). */
    credentials: Credentials;
    rootPasswordKey: string;
    keyfileKey: string;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
}

/** Member host names: FQDNs, so the replica-set config resolves from any namespace. */
export function mongoMembers(sts: string, headless: string, namespace: string, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `${sts}-${i}.${serviceHost(headless, namespace)}:${MONGO_PORT}`);
}

// Idempotent: initiates a replica set that is not yet initiated, then brings its configuration
// to exactly the configured members, and otherwise changes nothing. The password comes from the
// env, never argv.
// - A reconfiguration through the primary may add or remove one voting member at a time
//   (MongoDB 4.4+), so growing or shrinking by more than one takes one step per member.
// - Scaling down removes pods first (the StatefulSet shrinks before this Job runs). When the
//   departed members held the majority (3 to 1), no primary can be elected among the rest:
//   the reachable first member is then reconfigured with force to the configured members, the
//   one way MongoDB allows without a majority, and becomes primary.
export const INITIATE_JS = `
const rsName = process.env.REPLICA_SET;
const members = process.env.MEMBERS.split(" ");
function admin(host) {
  const conn = new Mongo("mongodb://" + host + "/admin?directConnection=true");
  const a = conn.getDB("admin");
  a.auth(process.env.MONGO_ROOT_USERNAME, process.env.MONGO_ROOT_PASSWORD);
  return a;
}
function check(r, what) { if (r.ok !== 1) { printjson(r); throw new Error(what + " failed"); } return r; }
function configOf(a) { return check(a.runCommand({ replSetGetConfig: 1 }), "replSetGetConfig").config; }
function primaryOf(a) {
  for (let i = 0; i < 30; i++) {
    const primary = check(a.runCommand({ replSetGetStatus: 1 }), "replSetGetStatus").members.find((m) => m.stateStr === "PRIMARY");
    if (primary) return primary.name;
    sleep(2000);
  }
  return undefined;
}
const first = admin(members[0]);
const status = first.runCommand({ replSetGetStatus: 1 });
if (status.ok !== 1 && status.code === 94) {
  check(first.runCommand({ replSetInitiate: { _id: rsName, members: members.map((host, i) => ({ _id: i, host })) } }), "replSetInitiate");
  print("initiated " + rsName + " with " + members.join(", "));
} else {
  check(status, "replSetGetStatus");
  if (!status.members.some((m) => m.stateStr === "PRIMARY")) {
    const conf = configOf(first);
    const departed = conf.members.filter((m) => !members.includes(m.host));
    const kept = conf.members.filter((m) => members.includes(m.host));
    if (departed.length > 0 && kept.length <= conf.members.length / 2) {
      conf.members = kept;
      conf.version += 1;
      check(first.runCommand({ replSetReconfig: conf, force: true }), "replSetReconfig (force)");
      print("removed " + departed.map((m) => m.host).join(", ") + " from " + rsName + " with force: the members left held no majority");
    }
  }
  const primary = primaryOf(first);
  if (!primary) throw new Error("no primary yet; retrying");
  const a = admin(primary);
  let changed = false;
  for (;;) {
    const conf = configOf(a);
    const departed = conf.members.filter((m) => !members.includes(m.host));
    const missing = members.filter((h) => !conf.members.some((m) => m.host === h));
    if (departed.length > 0) {
      conf.members = conf.members.filter((m) => m.host !== departed[0].host);
      print("removing " + departed[0].host + " from " + rsName);
    } else if (missing.length > 0) {
      conf.members.push({ _id: Math.max(...conf.members.map((m) => m._id)) + 1, host: missing[0] });
      print("adding " + missing[0] + " to " + rsName);
    } else {
      break;
    }
    conf.version += 1;
    check(a.runCommand({ replSetReconfig: conf }), "replSetReconfig");
    changed = true;
  }
  if (!changed) print(rsName + " already has " + members.join(", ") + ": nothing to do");
}
`;

// Every start of a member whose volume holds data: its root user follows the Secret, so kept
// data stays reachable after a destroy and a rotation. MongoDB keeps users in the data, and a
// user's password can only be changed by someone logged in; so, as MongoDB's own maintenance
// procedure does, the member first runs standalone: no --replSet, no --keyFile (hence no
// auth), on loopback and another port, where nothing outside the pod can reach it. Each
// member does this itself (a standalone write is not replicated). The password travels in
// the env (mongosh reads process.env), never argv. A member without the user yet (still
// syncing) is left alone: it copies the users from the primary.
export const SYNC_ROOT_JS = `
const admin = db.getSiblingDB("admin");
const user = process.env.MONGO_INITDB_ROOT_USERNAME;
if (admin.getUser(user) === null) {
  print("no user " + user + " on this member yet: it copies the users from the primary");
} else {
  admin.changeUserPassword(user, process.env.MONGO_INITDB_ROOT_PASSWORD);
  print(user + ": password set from the Secret");
}
`;
const SYNC_PORT = 27018;
export const SYNC_CREDENTIALS = `set -eu
if [ ! -e ${DATA_DIR}/WiredTiger ]; then echo "no database in ${DATA_DIR} yet: its first start takes the Secret's password"; exit 0; fi
mongod --dbpath ${DATA_DIR} --bind_ip 127.0.0.1 --port ${SYNC_PORT} --wiredTigerCacheSizeGB 0.25 --quiet >/dev/null &
pid=$!
until mongosh --quiet --port ${SYNC_PORT} --eval "db.adminCommand('ping').ok" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { echo "mongod did not start standalone on ${DATA_DIR}"; exit 1; }
  sleep 1
done
status=0
mongosh --quiet --port ${SYNC_PORT} --file /scripts/sync-root.js || status=$?
mongosh --quiet --port ${SYNC_PORT} admin --eval "db.shutdownServer()" >/dev/null 2>&1 || true
wait "$pid" || true
exit "$status"
`;

const WAIT_AND_INITIATE = `set -eu
for host in $MEMBERS; do
  until mongosh --quiet "mongodb://$host/admin?directConnection=true" --eval "db.adminCommand('ping').ok" >/dev/null 2>&1; do
    echo "waiting for $host"; sleep 3
  done
done
exec mongosh --quiet --nodb --file /scripts/initiate.js
`;

/** A MongoDB replica set: StatefulSet, headless Service, shared keyFile, self-initiation. */
export class MongoReplicaSet extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly headlessService: k8s.core.v1.Service;
    readonly initiation: k8s.batch.v1.Job;
    /** FQDN host:port of every member. */
    readonly members: pulumi.Output<string[]>;

    constructor(name: string, args: MongoReplicaSetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:database:MongoReplicaSet", name, {}, opts);
        const labels = args.naming.appLabels(args.lab, args.app);
        const selector = args.naming.selectorLabels(args.lab, args.app);
        const ns = args.namespace.name;
        const c = args.credentials;

        this.headlessService = headlessService(
            `${name}-headless`,
            { serviceName: args.headlessServiceName, namespace: ns, labels, selector, ports: [{ name: "mongodb", port: MONGO_PORT, targetPort: "mongodb" }] },
            this,
        );
        const templates: ClaimTemplateArgs = {
            backend: args.backend, lab: args.lab, namespace: args.namespace, statefulSet: args.name, template: args.template, size: args.size, replicas: args.replicas, labels,
        };
        const storage = claimTemplateStorage(name, templates);
        const env = [
            { name: "MONGO_INITDB_ROOT_USERNAME", value: args.rootUsername },
            c.env("MONGO_INITDB_ROOT_PASSWORD", args.rootPasswordKey),
        ];
        const sync = new k8s.core.v1.ConfigMap(
            `${name}-sync`,
            { metadata: { name: `${args.name}-sync`, namespace: ns, labels }, data: { "sync-root.js": SYNC_ROOT_JS } },
            { parent: this },
        );
        const ping: k8s.types.input.core.v1.ExecAction = { command: ["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"] };
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name: args.name, namespace: args.namespace.forPods, labels },
                spec: {
                    serviceName: args.headlessServiceName,
                    replicas: args.replicas,
                    selector: { matchLabels: selector },
                    persistentVolumeClaimRetentionPolicy: claimRetention(args.keepDataOnDestroy),
                    template: {
                        metadata: { labels, annotations: c.podAnnotations },
                        spec: {
                            enableServiceLinks: false,
                            securityContext: podSecurity(MONGO_UID),
                            initContainers: [
                                ...(args.backend.needsVolumePermissions
                                    ? [volumePermissionsContainer({ image: args.volumePermissionsImage, volumeName: args.template, mountPath: DATA_DIR, uid: MONGO_UID, gid: MONGO_UID })]
                                    : []),
                                {
                                    // mongod refuses a keyfile readable by group or others, and a Secret
                                    // volume with fsGroup is group-readable: copy it, owned by mongod, 0400.
                                    name: "keyfile",
                                    image: args.image,
                                    command: ["sh", "-c", `cp /keyfile-secret/keyfile ${KEYFILE_DIR}/keyfile && chmod 0400 ${KEYFILE_DIR}/keyfile`],
                                    resources: RESOURCE_PRESETS.nano,
                                    securityContext: restrictedContainer(),
                                    volumeMounts: [
                                        { name: "keyfile-secret", mountPath: "/keyfile-secret", readOnly: true },
                                        { name: "keyfile", mountPath: KEYFILE_DIR },
                                    ],
                                },
                                syncCredentialsContainer({
                                    image: args.image,
                                    script: SYNC_CREDENTIALS,
                                    env,
                                    volumeMounts: [
                                        { name: args.template, mountPath: DATA_DIR },
                                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                                    ],
                                }),
                            ],
                            containers: [
                                {
                                    name: "mongo",
                                    image: args.image,
                                    // args, not command: the image's entrypoint creates the root user on first start.
                                    args: ["mongod", "--replSet", args.replicaSetName, "--bind_ip_all", "--keyFile", `${KEYFILE_DIR}/keyfile`, "--wiredTigerCacheSizeGB", "0.25"],
                                    ports: [{ name: "mongodb", containerPort: MONGO_PORT }],
                                    env,
                                    readinessProbe: { exec: ping, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 6 },
                                    livenessProbe: { exec: ping, initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
                                    resources: RESOURCE_PRESETS.small,
                                    securityContext: restrictedContainer(),
                                    volumeMounts: [
                                        { name: args.template, mountPath: DATA_DIR },
                                        { name: "keyfile", mountPath: KEYFILE_DIR, readOnly: true },
                                    ],
                                },
                            ],
                            volumes: [
                                c.volume("keyfile-secret", { [args.keyfileKey]: "keyfile" }, 0o440),
                                { name: "keyfile", emptyDir: { medium: "Memory" } },
                                { name: "scripts", configMap: { name: `${args.name}-sync` } },
                            ],
                        },
                    },
                    volumeClaimTemplates: [storage.volumeClaimTemplate],
                },
            },
            statefulSetOptions(this, [this.headlessService, sync, c.secret, ...storage.waitFor]),
        );
        growClaims(name, templates, storage, this.statefulSet, this);

        this.members = pulumi.output(ns).apply((n) => mongoMembers(args.name, args.headlessServiceName, n, args.replicas));
        const script = new k8s.core.v1.ConfigMap(
            `${name}-initiate`,
            { metadata: { name: `${args.name}-initiate`, namespace: ns, labels }, data: { "initiate.js": INITIATE_JS } },
            { parent: this },
        );
        const jobLabels = args.naming.appLabels(args.lab, { name: `${args.app.name}-initiate`, component: "database-setup" });
        this.initiation = new k8s.batch.v1.Job(
            `${name}-initiate`,
            {
                metadata: { name: `${args.name}-initiate`, namespace: args.namespace.forPods, labels: jobLabels },
                spec: {
                    backoffLimit: 20,
                    template: {
                        metadata: { labels: jobLabels },
                        spec: {
                            restartPolicy: "OnFailure",
                            enableServiceLinks: false,
                            securityContext: podSecurity(MONGO_UID),
                            containers: [
                                {
                                    name: "initiate",
                                    image: args.image,
                                    command: ["sh", "-c", WAIT_AND_INITIATE],
                                    env: [
                                        { name: "REPLICA_SET", value: args.replicaSetName },
                                        { name: "MEMBERS", value: this.members.apply((m) => m.join(" ")) },
                                        { name: "MONGO_ROOT_USERNAME", value: args.rootUsername },
                                        c.env("MONGO_ROOT_PASSWORD", args.rootPasswordKey),
                                    ],
                                    resources: RESOURCE_PRESETS.micro,
                                    securityContext: restrictedContainer(),
                                    volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
                                },
                            ],
                            volumes: [{ name: "scripts", configMap: { name: `${args.name}-initiate` } }],
                        },
                    },
                },
            },
            // A changed member list changes the (immutable) pod template: the Job is replaced and
            // runs again, adding the new members; otherwise it stays done.
            { parent: this, dependsOn: [this.statefulSet, script] },
        );
        this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, members: this.members });
    }
}
