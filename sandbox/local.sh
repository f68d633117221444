#!/usr/bin/env bash
# `npm run local -- up|down|status`: the labs running on this machine, no minikube and no
# Pulumi install. `up` builds what is missing (the control plane, the real node, the Pulumi
# engine, the images, from the Go module proxy and Debian's packages), starts the local
# cluster with a real node, runs `pulumi up` of the dev stack's program with the engine built
# here and the images built here, and prints the outputs and how to reach each lab.
#
# The stack is `dev` in a local file backend under the toolchain cache, with the dev stack
# file's config plus what this node needs (sandbox/node/stack-file.ts: the labs workshop, todo,
# customer and postgres-ha, as MongoDB and Grafana have no Debian package; the images built
# here, the workshop and customer backends included; hostPathRoot $LOCAL_DIR/data), written to $LOCAL_DIR/Pulumi.dev.yaml and passed with
# --config-file: the repository is not written to.
# `down` removes all of it: the cluster, the node, the stack's state and the lab data. It is a
# sandbox; a cluster of yours is deployed with a plain `pulumi up`.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-local}"
TOOLCHAIN_DIR="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"
LOCAL_DIR="$TOOLCHAIN_DIR/local"
KUBECONFIG_PATH="$TOOLCHAIN_DIR/clusters/$LABS_CLUSTER_NAME/kubeconfig"
STACK=dev

say() { echo "local: $*" >&2; }
usage() { echo "usage: npm run local -- up|down|status" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

engine() { # the offline engine of sandbox/engine/env.sh, state kept in $LOCAL_DIR/pulumi
  # shellcheck source=engine/env.sh
  source "$ROOT/sandbox/engine/env.sh" "$LOCAL_DIR/pulumi" 2>/dev/null
  export KUBECONFIG="$KUBECONFIG_PATH"
}
pulumi_dev() { (cd "$ROOT" && pulumi "$@" --stack "$STACK" --non-interactive); }

how_to_reach() {
  pulumi_dev stack output --json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const out = JSON.parse(s);
      for (const [lab, o] of Object.entries(out.labs ?? {})) {
        console.log(`\n${lab}: namespaces ${o.namespaces.join(", ")}`);
        for (const [name, e] of Object.entries(o.endpoints ?? {})) {
          console.log(`  ${name.padEnd(10)} ${e.address}\n  ${"".padEnd(10)} ${e.portForward}`);
          // the apps: what to ask them once the port-forward runs
          const route = { backend: "/items", "customer-backend": "/customers", catalog: "/movies", app: "/todos" }[name];
          if (route) console.log(`  ${"".padEnd(10)} then: curl http://localhost:${e.address.split(":").pop()}${route}`);
        }
      }
    });'
}

case "$1" in
  up)
    (( EUID == 0 )) || { say "needs root: the real node uses network namespaces, cgroups and iptables"; exit 1; }
    [[ -d "$ROOT/node_modules" ]] || { say "installing npm packages"; (cd "$ROOT" && npm ci); }
    t0=$(date +%s)
    say "1/4 building what is missing (first time: about 30 minutes on 2 cores; cached after)"
    "$ROOT/sandbox/cluster/toolchain.sh"
    "$ROOT/sandbox/engine/toolchain.sh"
    "$ROOT/sandbox/node/toolchain.sh"
    "$ROOT/sandbox/node/images.sh"
    say "2/4 starting the local cluster with a real node"
    "$ROOT/sandbox/node/up.sh" >/dev/null
    say "3/4 pulumi up of the dev stack (labs: workshop, todo, customer, postgres-ha)"
    mkdir -p "$LOCAL_DIR/data"
    (cd "$ROOT" && npx ts-node --transpile-only sandbox/node/stack-file.ts "$LOCAL_DIR/data") >"$LOCAL_DIR/Pulumi.$STACK.yaml"
    engine
    (cd "$ROOT" && pulumi stack select --create "$STACK" --non-interactive >/dev/null)
    pulumi_dev up --yes --skip-preview --config-file "$LOCAL_DIR/Pulumi.$STACK.yaml"
    say "4/4 ready in $(( $(date +%s) - t0 )) s"
    echo
    echo "kubectl:  export KUBECONFIG=$KUBECONFIG_PATH PATH=$TOOLCHAIN_DIR/bin:\$PATH"
    echo "secrets:  connection strings and passwords are Pulumi secrets; to see them:"
    echo "          (cd $ROOT && source sandbox/engine/env.sh $LOCAL_DIR/pulumi && pulumi stack output --show-secrets --stack $STACK)"
    echo "again:    npm run local -- status   (pods, claims, these addresses); npm run local -- down removes it all"
    how_to_reach
    ;;
  status)
    [[ -f "$KUBECONFIG_PATH" ]] || { say "the local cluster is not running (npm run local -- up)"; exit 1; }
    engine
    "$TOOLCHAIN_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get nodes -o wide
    echo
    "$TOOLCHAIN_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get pods,pvc -A --field-selector metadata.namespace!=kube-system
    how_to_reach
    ;;
  down)
    (( EUID == 0 )) || { say "needs root, as up does"; exit 1; }
    say "removing the local cluster, its real node, the stack's state and the lab data ($LOCAL_DIR)"
    "$ROOT/sandbox/node/down.sh"
    rm -rf "$LOCAL_DIR"
    ;;
  *) usage ;;
esac
