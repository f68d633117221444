// Every config key, declared once: the stack's own keys here, each lab's beside its component
// (components/labs/<lab>-lab.config.ts). Pulumi.yaml's `config:` block and README's key table
// are generated from KEYS (npm run docs:config).
import { z } from "zod";
import { CUSTOMER } from "../components/labs/customer-lab.config";
import { MOVIES } from "../components/labs/movies-lab.config";
import { POSTGRES_HA } from "../components/labs/postgres-ha-lab.config";
import { TODO } from "../components/labs/todo-lab.config";
import { WORKSHOP } from "../components/labs/workshop-lab.config";
import { KeySpec, bool, cpu, dnsLabel, generation, image, intRange, memory, oneOf, keyValueList, optionalHost, optionalNodeName, optionalProvisioner, optionalUrl, postgresImage, size, storageRoot } from "../components/shared/config-rules";
import { LAB_IDS, LabId, MAX_PREFIX_LENGTH } from "../components/shared/naming";

/** Each lab's declarations, in the order of LAB_IDS. */
export const LABS = { workshop: WORKSHOP, todo: TODO, movies: MOVIES, customer: CUSTOMER, "postgres-ha": POSTGRES_HA } as const satisfies Record<LabId, { id: LabId }>;

/** The key holding a lab's credentials generation: every lab has one, alike. */
export const credentialsGenerationKey = <L extends LabId>(lab: L) => `${LABS[lab].name}CredentialsGeneration` as const;

type CredentialsKeys = { [L in LabId as ReturnType<typeof credentialsGenerationKey<L>>]: KeySpec<typeof generation> };
const CREDENTIALS_KEYS = Object.fromEntries(
    LAB_IDS.map((lab) => [
        credentialsGenerationKey(lab),
        {
            type: "integer",
            default: 0,
            description: `${lab}: generation of its generated passwords; raise it by one to rotate them (see *Credentials: kept data, rotation*).`,
            schema: generation,
        },
    ]),
) as CredentialsKeys;

export const KEYS = {
    prefix: {
        type: "string",
        default: "labs",
        description: `Name prefix of the stack (a student id): in every namespace, PV, StorageClass and directory. DNS-1123 label, at most ${MAX_PREFIX_LENGTH} characters.`,
        schema: dnsLabel(MAX_PREFIX_LENGTH),
    },
    labs: {
        type: "array",
        default: [...LAB_IDS] as string[],
        description: `Labs to provision, at least one: ${LAB_IDS.map((id) => `\`${id}\``).join(", ")}.`,
        schema: z
            .array(oneOf(LAB_IDS, `one of ${LAB_IDS.join(", ")}`), { error: `a list of lab names (${LAB_IDS.join(", ")})` })
            .min(1, { error: `at least one lab (${LAB_IDS.join(", ")})` })
            .superRefine((v, ctx) => {
                const dup = v.find((x, i) => v.indexOf(x) !== i);
                if (dup !== undefined) ctx.addIssue({ code: "custom", message: "each lab at most once", input: dup });
            }),
    },
    storageMode: {
        type: "string",
        default: "hostPath",
        description: "`hostPath` (directories of one node), `nfs` (subdirectories of an export) or `dynamic` (volumes made by a provisioner, through a StorageClass of the stack's own; see *Storage*).",
        schema: oneOf(["hostPath", "nfs", "dynamic"], "hostPath, nfs or dynamic"),
    },
    hostPathRoot: {
        type: "string",
        default: "/data/state-labs",
        description: "hostPath mode only (refused in nfs mode): directory on the node (`hostPathNode`) under which volumes live. A clean absolute path that is a directory of its own: not `/`, not a system directory (`/var/lib`, `/tmp`) nor inside the system's trees (`/etc`, `/proc`, `/var/lib/kubelet`, ...), no `..`, `.` or trailing `/`.",
        schema: storageRoot("/data/state-labs", false),
    },
    hostPathNode: {
        type: "string",
        default: "",
        description:
            "hostPath mode (required; refused in nfs mode): the node that holds the volumes' directories, as `kubectl get nodes` names it (minikube: `minikube`, kind: `kind-control-plane`). Every PV is pinned to it (`nodeAffinity` on `kubernetes.io/hostname`), so a database never starts on another node's empty directory.",
        schema: optionalNodeName,
    },
    nfsServer: {
        type: "string",
        default: "",
        description: "nfs mode (required; refused in hostPath mode, where it would be ignored): NFS server host name or IP.",
        schema: optionalHost,
    },
    nfsPath: {
        type: "string",
        default: "",
        description: "nfs mode (required; refused in hostPath mode): exported directory under which volumes live; the same rules as `hostPathRoot`.",
        schema: storageRoot("/srv/nfs/state-labs", true),
    },
    storageProvisioner: {
        type: "string",
        default: "",
        description:
            "dynamic mode (required; refused in the others): the provisioner of the stack's StorageClass, as a class of your cluster names it (`kubectl get storageclass`): `hostpath.csi.k8s.io` (minikube's `csi-hostpath-driver` addon), `ebs.csi.aws.com`, `pd.csi.storage.gke.io`, `disk.csi.azure.com`; `loop.csi.state-labs.io` on the local node.",
        schema: optionalProvisioner,
    },
    storageClassParameters: {
        type: "array",
        default: [] as string[],
        description: "dynamic mode only: the provisioner's parameters, as `key=value` entries (the `parameters` of the class you copy, e.g. `type=gp3`).",
        schema: keyValueList,
    },
    storageAllowExpansion: {
        type: "boolean",
        default: true,
        description: "dynamic mode only: whether the provisioner grows volumes (its class says `allowVolumeExpansion: true`). When true, raising a lab's size grows its claims in place; when false, the program warns instead.",
        schema: bool,
    },
    keepDataOnDestroy: {
        type: "boolean",
        default: true,
        description: "Keep PVs, claims and the namespaces holding them on delete/destroy.",
        schema: bool,
    },
    renderYamlToDirectory: {
        type: "string",
        default: "",
        description: "Write manifests to this directory instead of applying them (see below).",
        schema: z.string({ error: "a directory path" }),
    },
    postgresImage: {
        type: "string",
        default: "postgres:17.6",
        description: "PostgreSQL image (17 or older).",
        schema: postgresImage,
    },
    volumePermissionsImage: {
        type: "string",
        default: "busybox:1.36.1",
        description: "Image of the init container and Job that prepare data directories.",
        schema: image,
    },
    ...WORKSHOP.keys,
    ...TODO.keys,
    ...MOVIES.keys,
    ...CUSTOMER.keys,
    ...POSTGRES_HA.keys,
    ...CREDENTIALS_KEYS,
    ingressControllerNamespace: {
        type: "string",
        default: "traefik",
        description:
            "Namespace of the ingress controller, whose pods proxy Ingress and Gateway API traffic: the NetworkPolicies let it, and no other namespace, reach apps behind them. Traefik's Helm chart installs into `traefik`; minikube's `ingress` addon (the retired ingress-nginx) into `ingress-nginx`.",
        schema: dnsLabel(63),
    },
    ingressControllerService: {
        type: "string",
        default: "traefik",
        description:
            "The ingress controller's Service in `ingressControllerNamespace`, for the port-forward command the todo lab prints (`traefik` for Traefik's Helm chart, `ingress-nginx-controller` for minikube's `ingress` addon).",
        schema: dnsLabel(63),
    },
    quotaCpuRequests: {
        type: "string",
        default: "2",
        description: "ResourceQuota of each lab namespace: total CPU requests. Must admit what each lab runs at once (checked, as for quotaPods).",
        schema: cpu,
    },
    quotaMemoryRequests: {
        type: "string",
        default: "4Gi",
        description: "ResourceQuota of each lab namespace: total memory requests. Must admit what each lab runs at once (checked, as for quotaPods).",
        schema: memory,
    },
    quotaCpuLimits: {
        type: "string",
        default: "12",
        description: "ResourceQuota of each lab namespace: total CPU limits. Must admit what each lab runs at once (checked, as for quotaPods).",
        schema: cpu,
    },
    quotaMemoryLimits: {
        type: "string",
        default: "8Gi",
        description: "ResourceQuota of each lab namespace: total memory limits. Must admit what each lab runs at once (checked, as for quotaPods).",
        schema: memory,
    },
    quotaStorage: {
        type: "string",
        default: "20Gi",
        description: "ResourceQuota of each lab namespace: total storage of its claims; a lab claiming more is refused at config time.",
        schema: size,
    },
    quotaPods: {
        type: "integer",
        default: 20,
        description: "ResourceQuota of each lab namespace: pods. Must admit what a lab runs at once (checked): its replicas, a Job beside them, one surge pod per Deployment.",
        schema: intRange(1, 1000),
    },
    defaultCpuRequest: {
        type: "string",
        default: "50m",
        description: "LimitRange of each lab namespace: CPU request of a container that sets none. At most defaultCpuLimit and quotaCpuRequests (checked), as each default is held against its limit and quota.",
        schema: cpu,
    },
    defaultMemoryRequest: {
        type: "string",
        default: "64Mi",
        description: "LimitRange: memory request of a container that sets none.",
        schema: memory,
    },
    defaultCpuLimit: {
        type: "string",
        default: "500m",
        description: "LimitRange: CPU limit of a container that sets none.",
        schema: cpu,
    },
    defaultMemoryLimit: {
        type: "string",
        default: "256Mi",
        description: "LimitRange: memory limit of a container that sets none.",
        schema: memory,
    },
    studentApiServer: {
        type: "string",
        default: "",
        description: "API server URL in the student's kubeconfig; empty takes the server of your current kubeconfig context.",
        schema: optionalUrl,
    },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof KEYS;
