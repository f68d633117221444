"""Unit tests of app.py, run by sandbox/node/images.sh inside the image's root filesystem
(its Debian packages, no network): the routes through FastAPI's ASGI interface, on SQLite
instead of PostgreSQL. Starlette's TestClient needs httpx, which the image does not ship, so
the requests are driven by hand.

    DATABASE_URL=sqlite:////tmp/t.db python3 -m unittest -v test_app
"""
import asyncio
import json
import os
import tempfile
import unittest

DB_FILE = os.path.join(tempfile.mkdtemp(), "items.db")
os.environ["DATABASE_URL"] = "sqlite:///" + DB_FILE

import app  # noqa: E402  (reads DATABASE_URL at import)


def request(method, path, body=None):
    """One HTTP request through the app's ASGI callable: (status, the JSON body parsed, or the text, or None)."""
    raw = json.dumps(body).encode() if body is not None else b""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("test", 80), "client": ("test", 1234),
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app.app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    is_json = (b"content-type", b"application/json") in start["headers"]
    return start["status"], (json.loads(data) if data and is_json else data.decode() or None)


class ItemsTest(unittest.TestCase):
    def setUp(self):
        app.Base.metadata.drop_all(app.engine)

    def test_an_item_posted_is_listed_and_read_back(self):
        status, item = request("POST", "/items", {"name": "kept", "description": "on the claim"})
        self.assertEqual(status, 201)
        self.assertEqual(item["name"], "kept")
        self.assertEqual(request("GET", "/items"), (200, [item]))
        self.assertEqual(request("GET", "/items/%d" % item["id"]), (200, item))

    def test_a_missing_table_is_created_again(self):
        # the seed's emptyDir: the database comes back empty under a running backend
        request("POST", "/items", {"name": "lost"})
        app.Base.metadata.drop_all(app.engine)
        self.assertEqual(request("GET", "/items"), (200, []))

    def test_bad_input_and_missing_items(self):
        self.assertEqual(request("POST", "/items", {"name": ""})[0], 422)
        self.assertEqual(request("POST", "/items", {"description": "no name"})[0], 422)
        self.assertEqual(request("GET", "/items/999")[0], 404)
        self.assertEqual(request("DELETE", "/items/999")[0], 404)

    def test_delete(self):
        _, item = request("POST", "/items", {"name": "gone"})
        self.assertEqual(request("DELETE", "/items/%d" % item["id"])[0], 204)
        self.assertEqual(request("GET", "/items"), (200, []))

    def test_probe_paths_answer_without_a_database(self):
        self.assertEqual(request("GET", "/healthz"), (200, {"status": "ok"}))
        self.assertEqual(request("GET", "/openapi.json")[0], 200)
        self.assertEqual(request("GET", "/docs")[0], 200)


class DatabaseUrlTest(unittest.TestCase):
    def test_parts_are_quoted(self):
        saved = dict(os.environ)
        try:
            os.environ.pop("DATABASE_URL")
            os.environ.update(POSTGRES_USER="postgres", POSTGRES_PASSWORD="p@ss/word", POSTGRES_HOST="db", POSTGRES_DB="postgres")
            url = app.database_url()
            self.assertEqual((url.password, url.host, url.port), ("p@ss/word", "db", 5432))
            self.assertIn("p%40ss%2Fword", url.render_as_string(hide_password=False))
        finally:
            os.environ.clear()
            os.environ.update(saved)


if __name__ == "__main__":
    unittest.main()
