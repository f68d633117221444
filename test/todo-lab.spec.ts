import * as assert from "assert";
import { K8sObject, objects, one, ofKind, run } from "./objects";
import { runScript } from "./standins";

describe("TodoLab (lab 001)", () => {
    let objs: K8sObject[];
    before(async () => (objs = objects(await run("dev", { labs: ["todo"] }))));

    it("creates the seed's namespaces, plus one for the Ingress", () => {
        assert.deepStrictEqual(ofKind(objs, "Namespace").map((n) => n.metadata.name).filter((n) => n !== "dev-access").sort(), ["dev-postgres", "dev-stateful-namespace", "dev-todo-ingress"]);
    });

    it("keeps non-secret settings in the ConfigMap and the password in a Secret only", () => {
        const cm = one(objs, "ConfigMap", "postgres-config", "dev-postgres");
        assert.deepStrictEqual(cm.data, { POSTGRES_DB: "todo", POSTGRES_USER: "todo" });
        assert.deepStrictEqual(Object.keys(one(objs, "Secret", "postgres-secret", "dev-postgres").stringData), ["POSTGRES_PASSWORD"]);
        const pg = one(objs, "StatefulSet", "postgres", "dev-postgres").spec.template.spec.containers[0];
        assert.deepStrictEqual(pg.env.find((e: K8sObject) => e.name === "POSTGRES_USER").valueFrom, { configMapKeyRef: { name: "postgres-config", key: "POSTGRES_USER" } });
        assert.deepStrictEqual(pg.env.find((e: K8sObject) => e.name === "POSTGRES_PASSWORD").valueFrom, { secretKeyRef: { name: "postgres-secret", key: "POSTGRES_PASSWORD" } });
    });

    it("puts PostgreSQL on a PV + PVC behind a Service", () => {
        const claim = one(objs, "PersistentVolumeClaim", "postgres-pvc", "dev-postgres");
        assert.strictEqual(claim.spec.volumeName, "dev-postgres-pv");
        one(objs, "Service", "postgres", "dev-postgres");
    });

    it("runs the seed's Flask image on port 5000 with its database URL from a Secret of its namespace", () => {
        const app = one(objs, "Deployment", "stateful-flask", "dev-stateful-namespace").spec.template.spec;
        const c = app.containers[0];
        assert.strictEqual(c.image, "daredrexel/stateful-flask:v0");
        assert.strictEqual(c.ports[0].containerPort, 5000);
        assert.deepStrictEqual(c.env.find((e: K8sObject) => e.name === "DATABASE_URL").valueFrom, { secretKeyRef: { name: "stateful-flask-db", key: "DATABASE_URL" } });
        const secret = one(objs, "Secret", "stateful-flask-db", "dev-stateful-namespace");
        const pw = one(objs, "Secret", "postgres-secret").stringData.POSTGRES_PASSWORD;
        assert.strictEqual(secret.stringData.DATABASE_URL, `postgresql://todo:${pw}@postgres.dev-postgres.svc.cluster.local:5432/todo`);
    });

    // The migrate container's command, run as the pod would: real python3 and sh, with
    // stand-ins for the app's libraries (sqlalchemy, alembic's EnvironmentContext) on PYTHONPATH
    // and a `flask` that, as Flask-Migrate's env.py does, configures alembic (so the guard the
    // script loads acts on it) and logs its arguments and the comparison it would make.
    const stubs: Record<string, string> = {
        "stubs/sqlalchemy/__init__.py": [
            "import os",
            "def text(s): return s",
            "class _Db:",
            "    def __init__(self, url): self.url = url",
            "    def __enter__(self): return self",
            "    def __exit__(self, *exc): return False",
            "    def execute(self, sql): open(os.environ['CALLS'], 'a').write('sql %s %s\\n' % (self.url, sql))",
            "class _Engine:",
            "    def __init__(self, url): self.url = url",
            "    def begin(self): return _Db(self.url)",
            "def create_engine(url): return _Engine(url)",
        ].join("\n"),
        "stubs/alembic/__init__.py": "",
        "stubs/alembic/runtime/__init__.py": "",
        "stubs/alembic/runtime/environment.py": "class EnvironmentContext:\n    def configure(self, *args, **kwargs):\n        self.include_object = kwargs.get('include_object')\n",
        "flask.py": [
            "import os, sys",
            "from alembic.runtime.environment import EnvironmentContext",
            "ctx = EnvironmentContext()",
            "ctx.configure(include_object=lambda obj, name, type_, reflected, compare_to: name != 'excluded_by_app')",
            "keep = lambda name, reflected, compare_to: ctx.include_object(None, name, 'table', reflected, compare_to)",
            "compared = [n for n, r, c in [('student_table', True, None), ('todo', False, None), ('todo_live', True, 'todo'), ('excluded_by_app', False, None)] if keep(n, r, c)]",
            "open(os.environ['CALLS'], 'a').write('flask %s compares %s\\n' % (' '.join(sys.argv[1:]), ','.join(compared)))",
        ].join("\n"),
    };
    function migrate(shipsMigrations: boolean) {
        const app = one(objs, "Deployment", "stateful-flask").spec.template.spec;
        const [c] = app.initContainers;
        assert.deepStrictEqual(c.command.slice(0, 2), ["sh", "-c"]);
        return runScript(c.command[2], {
            tools: { flask: `exec python3 "$ROOT/flask.py" "$@"` },
            files: { ...stubs, ...(shipsMigrations ? { "migrations/env.py": "" } : {}) },
            env: { PYTHONPATH: "$ROOT/stubs", DATABASE_URL: "postgresql://todo:pw@db/todo", SQLALCHEMY_DATABASE_URI: "postgresql://todo:pw@db/todo" },
        });
    }

    it("migrates the schema before the app starts: drops the stale revision, derives the history from the models, upgrades", () => {
        const app = one(objs, "Deployment", "stateful-flask").spec.template.spec;
        const [c] = app.initContainers;
        assert.strictEqual(c.name, "migrate");
        assert.strictEqual(c.image, app.containers[0].image);
        assert.deepStrictEqual(c.env, app.containers[0].env);
        const r = migrate(false);
        assert.strictEqual(r.status, 0, r.stderr);
        // autogenerate compares only what the models declare (and the app does not exclude):
        // a table only in the database is never the app's to drop
        // the history goes to a temporary directory: the app's own may not be writable (non-root)
        assert.deepStrictEqual(r.calls.map((c: string) => c.replace(/-d \S+\/migrations /, "-d <tmp>/migrations ")), [
            "sql postgresql://todo:pw@db/todo DROP TABLE IF EXISTS alembic_version",
            "flask db init -d <tmp>/migrations compares todo,todo_live",
            "flask db migrate -d <tmp>/migrations -m schema of this image compares todo,todo_live",
            "flask db upgrade -d <tmp>/migrations compares todo,todo_live",
        ]);
    });

    it("only upgrades, unguarded, when the image ships its migrations", () => {
        const r = migrate(true);
        assert.strictEqual(r.status, 0, r.stderr);
        // no guard: the shipped migrations are the app's own decisions
        assert.deepStrictEqual(r.calls, ["flask db upgrade compares student_table,todo,todo_live"]);
    });

    it("reaches the app from the Ingress's namespace through an ExternalName Service", () => {
        const ext = one(objs, "Service", "stateful-flask", "dev-todo-ingress");
        assert.strictEqual(ext.spec.type, "ExternalName");
        assert.strictEqual(ext.spec.externalName, "stateful-flask.dev-stateful-namespace.svc.cluster.local");
        one(objs, "Service", "stateful-flask", "dev-stateful-namespace");
        const ing = one(objs, "Ingress", "stateful-flask", "dev-todo-ingress");
        assert.strictEqual(ing.spec.ingressClassName, "nginx");
        assert.strictEqual(ing.spec.rules[0].host, "todo.dev.labs.local");
        assert.deepStrictEqual(ing.spec.rules[0].http.paths[0].backend, { service: { name: "stateful-flask", port: { number: 5000 } } });
    });

    it("takes host and class from config", async () => {
        const ing = one(objects(await run("dev", { labs: ["todo"], todoIngressHost: "todo.school.example", todoIngressClassName: "traefik" })), "Ingress", "stateful-flask");
        assert.strictEqual(ing.spec.rules[0].host, "todo.school.example");
        assert.strictEqual(ing.spec.ingressClassName, "traefik");
    });

    describe("todoExposure: the seed's Ingress, Gateway API, or both", () => {
        const routing = (o: K8sObject[]) => o.filter((x) => ["Ingress", "Gateway", "HTTPRoute", "ReferenceGrant"].includes(x.kind) || x.spec?.type === "ExternalName").map((x) => `${x.kind} ${x.metadata.namespace}/${x.metadata.name}`).sort();
        const GATEWAY = ["Gateway dev-todo-ingress/stateful-flask", "HTTPRoute dev-todo-ingress/stateful-flask", "ReferenceGrant dev-stateful-namespace/allow-todo-routes"];
        const INGRESS = ["Ingress dev-todo-ingress/stateful-flask", "Service dev-todo-ingress/stateful-flask"];

        it("creates only what the choice names", async () => {
            assert.deepStrictEqual(routing(objs), INGRESS, "ingress, the default");
            assert.deepStrictEqual(routing(objects(await run("dev", { labs: ["todo"], todoExposure: "httproute" }))), GATEWAY);
            assert.deepStrictEqual(routing(objects(await run("dev", { labs: ["todo"], todoExposure: "both" }))), [...GATEWAY, ...INGRESS].sort());
        });

        it("routes the host through the lab's Gateway to the app's own Service (no ExternalName), across namespaces by a ReferenceGrant for that Service only", async () => {
            const o = objects(await run("dev", { labs: ["todo"], todoExposure: "httproute", todoGatewayClassName: "eg", todoGatewayPort: 8080 }));
            const gw = one(o, "Gateway", "stateful-flask", "dev-todo-ingress");
            assert.strictEqual(gw.apiVersion, "gateway.networking.k8s.io/v1");
            assert.strictEqual(gw.spec.gatewayClassName, "eg");
            assert.deepStrictEqual(gw.spec.listeners, [{ name: "http", protocol: "HTTP", port: 8080, hostname: "todo.dev.labs.local", allowedRoutes: { namespaces: { from: "Same" } } }]);
            const route = one(o, "HTTPRoute", "stateful-flask", "dev-todo-ingress");
            assert.deepStrictEqual(route.spec.parentRefs, [{ name: "stateful-flask", sectionName: "http" }]);
            assert.deepStrictEqual(route.spec.hostnames, ["todo.dev.labs.local"]);
            const app = one(o, "Service", "stateful-flask", "dev-stateful-namespace");
            assert.deepStrictEqual(route.spec.rules, [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: app.metadata.name, namespace: "dev-stateful-namespace", port: 5000 }] }]);
            assert.strictEqual(app.spec.type ?? "ClusterIP", "ClusterIP");
            const grant = one(o, "ReferenceGrant", "allow-todo-routes", "dev-stateful-namespace");
            assert.strictEqual(grant.apiVersion, "gateway.networking.k8s.io/v1beta1");
            assert.deepStrictEqual(grant.spec, { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "dev-todo-ingress" }], to: [{ group: "", kind: "Service", name: "stateful-flask" }] });
        });

        it("lets the controller's namespace, and no other, reach the app, whichever the choice", async () => {
            for (const todoExposure of ["ingress", "httproute", "both"]) {
                const o = objects(await run("dev", { labs: ["todo"], todoExposure, ingressControllerNamespace: "gw-system" }));
                const froms = ofKind(o, "NetworkPolicy")
                    .filter((p) => p.metadata.namespace === "dev-stateful-namespace")
                    .flatMap((p) => (p.spec.ingress ?? []).flatMap((i: K8sObject) => i.from ?? []))
                    .map((f: K8sObject) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? "(own namespace)");
                assert.deepStrictEqual(froms.sort(), ["(own namespace)", "gw-system"], todoExposure);
            }
        });

        it("prints how to reach it through the controller's own Service", async () => {
            const r = await run("dev", { labs: ["todo"], ingressControllerNamespace: "ingress-nginx", ingressControllerService: "ingress-nginx-controller" });
            const ingress = (r.outputs as { labs: { todo: { endpoints: { ingress: { portForward: string } } } } }).labs.todo.endpoints.ingress;
            assert.match(ingress.portForward, /^kubectl -n ingress-nginx port-forward service\/ingress-nginx-controller 8080:80 # then: curl -H 'Host: todo\.dev\.labs\.local' /);
        });
    });
});
