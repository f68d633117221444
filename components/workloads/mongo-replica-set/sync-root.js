// Run by mongosh against a member started standalone (see sync-credentials.sh): the root user
// takes the Secret's password, read from the env (mongosh reads process.env), never argv. A
// member without the user yet (still syncing) is left alone: it copies the users from the
// primary.

const admin = db.getSiblingDB("admin");
const user = process.env.MONGO_INITDB_ROOT_USERNAME;
if (admin.getUser(user) === null) {
  print("no user " + user + " on this member yet: it copies the users from the primary");
} else {
  admin.changeUserPassword(user, process.env.MONGO_INITDB_ROOT_PASSWORD);
  print(user + ": password set from the Secret");
}
