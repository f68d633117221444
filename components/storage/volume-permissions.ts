import * as k8s from "@pulumi/kubernetes";
import { RESOURCE_PRESETS } from "../shared/resources";

export interface VolumePermissionsArgs {
    image: string;
    volumeName: string;
    mountPath: string;
    uid: number;
    gid: number;
}

/**
 * Bitnami's `volumePermissions` init container: fsGroup is not applied to hostPath or
 * in-tree nfs volumes, and those directories start root-owned, so a non-root database
 * could not write. It hands the volume root to the workload's user and group, mode 2770: no
 * user outside them needs it, and it is what a kubelet applying fsGroup (the group) leaves on
 * a root, so its `OnRootMismatch` check matches at the next mount. With 0700 it did not: on the
 * real node's CSI volumes every restart made the kubelet walk the volume adding group rwx and
 * setgid to every directory, PGDATA's too, and PostgreSQL refuses to start on that. Only where
 * the server refuses chown (NFS root_squash: root is nobody there) does it make the directory
 * writable by all, the one mode that lets the database user in, and the workload creates its
 * own 0700 data directory inside.
 */
export function volumePermissionsContainer(a: VolumePermissionsArgs): k8s.types.input.core.v1.Container {
    return {
        name: "volume-permissions",
        image: a.image,
        command: [
            "sh",
            "-c",
            [
                'if chown "$OWNER" "$DIR" 2>/dev/null; then chmod 2770 "$DIR"; echo "$DIR owned by $OWNER, mode 2770";',
                'else echo "chown refused on $DIR (NFS root_squash?): making it writable instead"; chmod 0777 "$DIR"; fi',
            ].join(" "),
        ],
        env: [
            { name: "DIR", value: a.mountPath },
            { name: "OWNER", value: `${a.uid}:${a.gid}` },
        ],
        resources: RESOURCE_PRESETS.nano,
        // Root only for chown; every capability but the ones chown/chmod need is dropped.
        securityContext: {
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            // chown and chmod touch only the volume
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"], add: ["CHOWN", "FOWNER", "DAC_OVERRIDE"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [{ name: a.volumeName, mountPath: a.mountPath }],
    };
}
