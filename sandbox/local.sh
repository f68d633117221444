#!/usr/bin/env bash
# `npm run local -- up|down|status|classroom <command> ...`: the labs running on this machine, no
# minikube and no Pulumi install. `up` builds what is missing (the control plane, the real node,
# the Pulumi engine, the images, from the Go module proxy and Debian's packages), starts the
# local cluster with a real node, runs `pulumi up` of the dev stack's program with the engine
# built here and the images built here, and prints the outputs and how to reach each lab.
# `classroom <command> ...` runs `npm run classroom` against that cluster with that engine
# (default roster: sandbox/classroom-roster.csv), so a class can be seen before a real one.
#
# The repository is never written to. Pulumi runs in a copy of the project, $LOCAL_DIR/project
# (the program's sources, refreshed on every `up`), whose Pulumi.dev.yaml is the dev stack file
# with what this node needs (sandbox/node/stack-file.ts: the labs workshop, todo, customer and
# postgres-ha, as MongoDB and Grafana have no Debian package; the images built here,
# the workshop and customer backends included; hostPathRoot $LOCAL_DIR/data). Why a copy: `pulumi stack select --create` with a passphrase
# writes the stack's `encryptionsalt` into Pulumi.<stack>.yaml of the directory it runs in; in
# the repository that line broke the next `up` after a `down`, and any plain `pulumi up` of dev.
# State: a file backend in $LOCAL_DIR/pulumi (sandbox/engine/env.sh).
# `down` removes all of it: the cluster, the node, the stack's state and the lab data. It is a
# sandbox; a cluster of yours is deployed with a plain `pulumi up`.
#
# Exit 2: a bad invocation or environment (not root, no Go or Debian tools for a build, too
# little disk, a cluster of an earlier run up, the local cluster not running), nothing touched.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-local}"
TOOLCHAIN_DIR="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"
LOCAL_DIR="${LABS_LOCAL_DIR:-$TOOLCHAIN_DIR/local}"   # the suite (test/cluster/local.spec.ts) takes a temp dir
PROJECT="$LOCAL_DIR/project"
KUBECONFIG_PATH="$TOOLCHAIN_DIR/clusters/$LABS_CLUSTER_NAME/kubeconfig"
STACK=dev
ROSTER="$ROOT/sandbox/classroom-roster.csv"
# shellcheck disable=SC2034  # read by preflight.sh
PREFLIGHT_TOOL=local
# shellcheck source=preflight.sh
source "$HERE/preflight.sh"

say() { echo "local: $*" >&2; }
usage() {
  echo "usage: npm run local -- up|down|status" >&2
  echo "       npm run local -- classroom up|preview|status|check|reset|destroy|kubeconfig [options]   (roster: sandbox/classroom-roster.csv)" >&2
  exit 2
}

# The project as Pulumi sees it, outside the repository: the program's sources copied afresh,
# node_modules linked, and the stack files this node needs. A stack file's `encryptionsalt`
# (written by `pulumi stack select --create`) is kept across refreshes: it unlocks the state.
local_project() {
  local f salt=""
  mkdir -p "$PROJECT" "$LOCAL_DIR/data"
  [[ -f "$PROJECT/Pulumi.$STACK.yaml" ]] && salt="$(grep -m1 '^encryptionsalt:' "$PROJECT/Pulumi.$STACK.yaml" || true)"
  for f in Pulumi.yaml package.json tsconfig.json stacks components; do
    rm -rf "${PROJECT:?}/$f"
    cp -R "$ROOT/$f" "$PROJECT/$f"
  done
  ln -sfn "$ROOT/node_modules" "$PROJECT/node_modules"
  # and the classroom's base (Pulumi.local-class.yaml): the node's dev stack file with the labs
  # a class of two fits beside dev
  (cd "$ROOT" && node -r ts-node/register/transpile-only sandbox/node/stack-file.ts "$LOCAL_DIR/data" \
    --class-to "$PROJECT/Pulumi.local-class.yaml") >"$PROJECT/Pulumi.$STACK.yaml.new"
  [[ -z "$salt" ]] || echo "$salt" >>"$PROJECT/Pulumi.$STACK.yaml.new"
  mv "$PROJECT/Pulumi.$STACK.yaml.new" "$PROJECT/Pulumi.$STACK.yaml"
}

engine() { # the offline engine of sandbox/engine/env.sh, state kept in $LOCAL_DIR/pulumi
  [[ -x "$TOOLCHAIN_DIR/bin/pulumi" ]] || preflight_fail "the Pulumi engine is not built yet: run npm run local -- up first"
  # shellcheck source=engine/env.sh
  source "$ROOT/sandbox/engine/env.sh" "$LOCAL_DIR/pulumi" 2>/dev/null
  export KUBECONFIG="$KUBECONFIG_PATH"
}
# Every Pulumi command runs in the project copy: nothing it writes lands in the repository.
pulumi_local() { (cd "$PROJECT" && pulumi "$@" --stack "$STACK" --non-interactive); }

# The local cluster answers (its kubeconfig exists and its processes run).
require_running() {
  if [[ ! -f "$KUBECONFIG_PATH" ]] || ! running; then
    preflight_fail "the local cluster is not running ($KUBECONFIG_PATH): start it with npm run local -- up"
  fi
}
running() { pgrep -f -- "$TOOLCHAIN_DIR/kwok/clusters/$LABS_CLUSTER_NAME/" >/dev/null 2>&1; }

how_to_reach() {
  # The node's ingress controller, from this machine: the address up.sh gave the node's components.
  local node_env="$TOOLCHAIN_DIR/nodes/$LABS_CLUSTER_NAME/etc/node.env" ingress=""
  [[ -f "$node_env" ]] && ingress="$(sed -n 's/^NODE_IP=//p' "$node_env"):$(sed -n 's/^TRAEFIK_WEB_PORT=//p' "$node_env")"
  # shellcheck disable=SC2016  # the ${...} are the JavaScript's own template literals
  pulumi_local stack output --json | node -e '
    const ingress = process.argv[1];
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const out = JSON.parse(s);
      for (const [lab, o] of Object.entries(out.labs ?? {})) {
        console.log(`\n${lab}: namespaces ${o.namespaces.join(", ")}`);
        for (const [name, e] of Object.entries(o.endpoints ?? {})) {
          console.log(`  ${name.padEnd(10)} ${e.address}\n  ${"".padEnd(10)} ${e.portForward}`);
          // the apps: what to ask them once the port-forward runs
          const route = { backend: "/items", "customer-backend": "/customers", catalog: "/movies", app: "/todos" }[name];
          if (route) console.log(`  ${"".padEnd(10)} then: curl http://localhost:${e.address.split(":").pop()}${route}`);
          // the Ingress (or HTTPRoute) host, through the node Traefik, with no port-forward
          if (name === "ingress" && ingress) console.log(`  ${"".padEnd(10)} from this machine: curl -H "Host: ${new URL(e.address).host}" http://${ingress}/todos`);
        }
      }
    });' "$ingress"
}

up() {
  preflight_root "the real node uses network namespaces, cgroups and iptables"
  if [[ -f "$KUBECONFIG_PATH" ]] && running; then
    preflight_fail "the local cluster is already up ($KUBECONFIG_PATH): npm run local -- status shows it; npm run local -- down removes it"
  fi
  preflight_no_cluster ""
  preflight_build node
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
  local_project
  engine
  (cd "$PROJECT" && pulumi stack select --create "$STACK" --non-interactive >/dev/null)
  pulumi_local up --yes --skip-preview
  say "4/4 ready in $(( $(date +%s) - t0 )) s"
  echo
  echo "kubectl:   export KUBECONFIG=$KUBECONFIG_PATH PATH=$TOOLCHAIN_DIR/bin:\$PATH"
  echo "secrets:   connection strings and passwords are Pulumi secrets; to see them:"
  echo "           (cd $PROJECT && source $ROOT/sandbox/engine/env.sh $LOCAL_DIR/pulumi && pulumi stack output --show-secrets --stack $STACK)"
  echo "classroom: npm run local -- classroom up   (a class of two, sandbox/classroom-roster.csv), then status, check, reset, destroy"
  echo "again:     npm run local -- status   (pods, claims, these addresses); npm run local -- down removes it all"
  how_to_reach
}

status() {
  require_running
  engine
  "$TOOLCHAIN_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get nodes -o wide
  echo
  "$TOOLCHAIN_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get pods,pvc -A --field-selector metadata.namespace!=kube-system
  how_to_reach
}

# `npm run classroom` on the project copy, the local cluster and the engine built here. Roster
# commands get the sample roster and the local base unless given theirs.
classroom() {
  local command="${1:-}" extra=()
  case "$command" in
    up | preview | status | check | reset | destroy)
      # (--roster x and --roster=x alike: an option given twice would take the last)
      [[ " $* " == *" --roster"* || " $* " == *" -r"* ]] || extra+=(--roster "$ROSTER")
      [[ " $* " == *" --base"* || " $* " == *" -b"* ]] || extra+=(--base local-class)
      ;;
    kubeconfig | help | --help | -h) ;;
    *) usage ;;
  esac
  require_running
  [[ -d "$PROJECT" ]] || preflight_fail "no local project ($PROJECT): run npm run local -- up first"
  engine
  cd "$ROOT"
  exec npx ts-node --transpile-only classroom/cli.ts "$@" "${extra[@]}" --dir "$PROJECT"
}

down() {
  preflight_root "the real node's network namespace, cgroups and iptables rules are removed as root"
  say "removing the local cluster, its real node, the stack's state and the lab data ($LOCAL_DIR)"
  "$ROOT/sandbox/node/down.sh"
  rm -rf "$LOCAL_DIR"
}

main() {
  [[ $# -ge 1 ]] || usage
  case "$1" in
    up | status | down) [[ $# -eq 1 ]] || usage; "$1" ;;
    classroom) shift; classroom "$@" ;;
    *) usage ;;
  esac
}

# Sourced (the unit tests: test/sandbox-preflight.spec.ts), it only defines the functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
