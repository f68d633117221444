#!/bin/sh
# The `migrate` init container of the Flask app, before every start. The seed ran
# `flask db init/migrate/upgrade` by hand with kubectl exec. An image that ships no migrations
# (the course's does not) keeps its migration history only in the pod, so every start derives
# it afresh from the models: the revision id an earlier pod left in alembic_version names a
# script that is gone (`flask db migrate` then fails with "Can't locate revision", which the
# real node showed on the first app restart), so that table is dropped first; autogenerate
# then compares the models with the live schema (nothing to do when it is current) and
# `upgrade` applies the difference. Autogenerate would also drop every table and column the
# models do not declare (a student's own table, say), on every start: a guard loaded into
# those Python processes (sitecustomize) leaves whatever is only in the database out of the
# comparison, so migrations only add. An image that ships its migrations just gets
# `flask db upgrade`. The derived history goes to a temporary directory, not the image's
# working directory: the app runs as a non-root uid that may write only to /tmp.
# Inlined into the pod spec (sh -c) without these leading comment lines.
set -eu
if [ ! -d migrations ]; then
  work="$(mktemp -d)"
  guard="$work" history="$work/migrations"
  cat >"$guard/sitecustomize.py" <<'PY'
from alembic.runtime.environment import EnvironmentContext

_configure = EnvironmentContext.configure


def _configure_additive(self, *args, **kwargs):
    user_filter = kwargs.get("include_object")

    def include_object(obj, name, type_, reflected, compare_to):
        if reflected and compare_to is None:  # in the database only: never the app's to drop
            return False
        return user_filter(obj, name, type_, reflected, compare_to) if user_filter else True

    kwargs["include_object"] = include_object
    return _configure(self, *args, **kwargs)


EnvironmentContext.configure = _configure_additive
PY
  export PYTHONPATH="$guard${PYTHONPATH:+:$PYTHONPATH}"
  python3 - <<'PY'
import os
import sqlalchemy
url = os.environ.get("SQLALCHEMY_DATABASE_URI") or os.environ["DATABASE_URL"]
with sqlalchemy.create_engine(url).begin() as db:
    db.execute(sqlalchemy.text("DROP TABLE IF EXISTS alembic_version"))
PY
  flask db init -d "$history"
  flask db migrate -d "$history" -m "schema of this image"
  flask db upgrade -d "$history"
else
  flask db upgrade
fi
