"""The todo app of lab 001 (state-labs.local/todo-flask), standing in for the course's
daredrexel/stateful-flask:v0: Flask, Flask-SQLAlchemy and Flask-Migrate from Debian's
packages, one `Todo` model in table `todo`, and no migrations directory in the image (the
deployment's init container runs `flask db init/migrate/upgrade` from /app).

Database: SQLALCHEMY_DATABASE_URI, else DATABASE_URL, else
postgresql://$POSTGRES_USER:$POSTGRES_PASSWORD@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB.

Routes: GET / (HTML list, with form actions /add, /update/<id>, /delete/<id>),
GET/POST /todos (JSON), GET/PATCH/DELETE /todos/<id> (JSON), GET /healthz.
"""
import os
from urllib.parse import quote

from flask import Flask, abort, jsonify, redirect, render_template_string, request, url_for
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

TITLE_MAX = 200


def database_uri() -> str:
    uri = os.environ.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
    if not uri:
        env = os.environ.get
        user = env("POSTGRES_USER", "postgres")
        uri = "postgresql://{}:{}@{}:{}/{}".format(
            quote(user, safe=""),
            quote(env("POSTGRES_PASSWORD", ""), safe=""),
            env("POSTGRES_HOST", "localhost"),
            env("POSTGRES_PORT", "5432"),
            quote(env("POSTGRES_DB", user), safe=""),
        )
    # SQLAlchemy 1.4 no longer accepts the Heroku-style scheme
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    return uri


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = database_uri()
app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app)
migrate = Migrate(app, db)


class Todo(db.Model):
    __tablename__ = "todo"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(TITLE_MAX), nullable=False)
    complete = db.Column(db.Boolean, nullable=False, default=False)

    def to_dict(self):
        return {"id": self.id, "title": self.title, "complete": self.complete}


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Todo</title></head>
<body>
<h1>Todo</h1>
<form action="{{ url_for('add') }}" method="post">
  <input name="title" maxlength="{{ title_max }}" required placeholder="What needs doing?">
  <button type="submit">Add</button>
</form>
<ul>
{% for todo in todos %}
  <li>{% if todo.complete %}<s>{{ todo.title }}</s>{% else %}{{ todo.title }}{% endif %}
    <a href="{{ url_for('update', todo_id=todo.id) }}">{{ 'undo' if todo.complete else 'done' }}</a>
    <a href="{{ url_for('delete', todo_id=todo.id) }}">delete</a></li>
{% else %}
  <li>Nothing to do.</li>
{% endfor %}
</ul>
</body>
</html>
"""


def clean_title(value):
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:TITLE_MAX]


def error(status, message):
    response = jsonify({"error": message})
    response.status_code = status
    return response


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/")
def index():
    todos = db.session.execute(db.select(Todo).order_by(Todo.id)).scalars().all()
    return render_template_string(PAGE, todos=todos, title_max=TITLE_MAX)


@app.post("/add")
def add():
    title = clean_title(request.form.get("title"))
    if title is None:
        abort(400)
    db.session.add(Todo(title=title, complete=False))
    db.session.commit()
    return redirect(url_for("index"))


@app.get("/update/<int:todo_id>")
def update(todo_id):
    todo = db.get_or_404(Todo, todo_id)
    todo.complete = not todo.complete
    db.session.commit()
    return redirect(url_for("index"))


@app.get("/delete/<int:todo_id>")
def delete(todo_id):
    todo = db.get_or_404(Todo, todo_id)
    db.session.delete(todo)
    db.session.commit()
    return redirect(url_for("index"))


@app.get("/todos")
def list_todos():
    todos = db.session.execute(db.select(Todo).order_by(Todo.id)).scalars().all()
    return jsonify([t.to_dict() for t in todos])


@app.post("/todos")
def create_todo():
    body = request.get_json(silent=True)
    title = clean_title(body.get("title")) if isinstance(body, dict) else None
    if title is None:
        return error(400, 'expected a JSON object with a non-empty "title"')
    todo = Todo(title=title, complete=bool(body.get("complete", False)))
    db.session.add(todo)
    db.session.commit()
    return jsonify(todo.to_dict()), 201


@app.get("/todos/<int:todo_id>")
def get_todo(todo_id):
    todo = db.session.get(Todo, todo_id)
    return jsonify(todo.to_dict()) if todo else error(404, "no such todo")


@app.patch("/todos/<int:todo_id>")
def patch_todo(todo_id):
    todo = db.session.get(Todo, todo_id)
    if todo is None:
        return error(404, "no such todo")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "expected a JSON object")
    if "title" in body:
        title = clean_title(body["title"])
        if title is None:
            return error(400, '"title" must be a non-empty string')
        todo.title = title
    if "complete" in body:
        todo.complete = bool(body["complete"])
    db.session.commit()
    return jsonify(todo.to_dict())


@app.delete("/todos/<int:todo_id>")
def delete_todo(todo_id):
    todo = db.session.get(Todo, todo_id)
    if todo is None:
        return error(404, "no such todo")
    db.session.delete(todo)
    db.session.commit()
    return "", 204


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")))
