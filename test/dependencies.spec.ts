// The engine orders what it can see: an object naming another object of the stack names it
// through that object's output, so it waits for it without a hand-made dependsOn.
import * as assert from "assert";
import { RegisteredResource, StackRun } from "../tools/mock-runtime";
import { run } from "./objects";

const kindOf = (r: RegisteredResource) => r.type.split(":").pop()!;
const key = (r: RegisteredResource) => `${r.type}::${r.name}`;

/** `<Kind>/<namespace>/<name>` of every object an object names, by the fields that name one. */
function named(r: RegisteredResource): string[] {
    const ns = r.inputs.metadata?.namespace;
    const out: string[] = [];
    const ref = (kind: string, name: string | undefined) => name !== undefined && out.push(`${kind}/${ns}/${name}`);
    const pod = r.inputs.spec?.template?.spec;
    if (pod) {
        ref("Service", r.inputs.spec.serviceName);
        for (const v of pod.volumes ?? []) {
            ref("ConfigMap", v.configMap?.name);
            ref("Secret", v.secret?.secretName);
            ref("PersistentVolumeClaim", v.persistentVolumeClaim?.claimName);
        }
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
            for (const e of c.env ?? []) {
                ref("ConfigMap", e.valueFrom?.configMapKeyRef?.name);
                ref("Secret", e.valueFrom?.secretKeyRef?.name);
            }
        }
    }
    for (const rule of kindOf(r) === "Ingress" ? r.inputs.spec.rules : []) for (const p of rule.http.paths) ref("Service", p.backend.service?.name);
    if (kindOf(r) === "RoleBinding") ref(r.inputs.roleRef.kind, r.inputs.roleRef.name);
    return out;
}

describe("dependencies through outputs", () => {
    let r: StackRun;
    before(async () => (r = await run("dev", { moviesCatalogImage: "registry.example/catalog:1", workshopBackendImage: "registry.example/fastapi:1", customerBackendImage: "registry.example/java:1" })));

    it("makes every object wait for each object of the stack it names (Secrets, ConfigMaps, Services, claims, Roles)", () => {
        const byName = new Map(r.resources.filter((x) => x.custom && x.inputs.metadata?.name).map((x) => [`${kindOf(x)}/${x.inputs.metadata.namespace}/${x.inputs.metadata.name}`, x]));
        let checked = 0;
        for (const x of r.resources.filter((y) => y.custom)) {
            for (const n of named(x)) {
                const target = byName.get(n);
                if (!target) continue; // made by a controller (claims of templates), not by the stack
                assert.ok(x.waitsFor.includes(key(target)), `${key(x)} names ${n} but does not wait for it: ${x.waitsFor.join(", ")}`);
                checked++;
            }
        }
        assert.ok(checked > 40, `only ${checked} references`);
    });
});
