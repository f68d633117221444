// Run by mongosh (--nodb) in the initiation Job. Idempotent: initiates a replica set that is
// not yet initiated, then brings its configuration to exactly the configured members, and
// otherwise changes nothing. The password comes from the env, never argv.
// - A reconfiguration through the primary may add or remove one voting member at a time
//   (MongoDB 4.4+), so growing or shrinking by more than one takes one step per member.
// - Scaling down removes pods first (the StatefulSet shrinks before this Job runs). When the
//   departed members held the majority (3 to 1), no primary can be elected among the rest:
//   the reachable first member is then reconfigured with force to the configured members, the
//   one way MongoDB allows without a majority, and becomes primary.

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
