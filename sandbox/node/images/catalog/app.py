"""The movie catalog of lab 002 (state-labs.local/movie-catalog), standing in for the students'
NetflixMovieCatalog built on MongoDB: Flask and PyMongo from Debian's packages, on port 8080.

Database: MONGO_URI (the lab's Secret `mongo-credentials`, key mongo-uri); movies in the
collection `movies` of the URI's database, or of database `movies` when the URI names none.

Routes: GET /status (the Deployment's probe; answers without MongoDB, so a replica-set election
does not restart the app), GET /movies (?genre=), GET /movies/<id>, POST /movies.
"""
import os
import uuid

from flask import Flask, jsonify, request

# what a movie is made of; _id (MongoDB's ObjectId) never leaves the database
FIELDS = {"title": str, "year": int, "genre": list}
PUBLIC = {"_id": 0}


def mongo_collection():
    from pymongo import MongoClient  # here, so that the tests need no PyMongo

    client = MongoClient(os.environ["MONGO_URI"], serverSelectionTimeoutMS=5000)
    return client.get_default_database(default="movies")["movies"]


def error(status, message):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def create_app(movies=None):
    """The app; `movies` is a collection (PyMongo's, or a test's), else MONGO_URI's on first use."""
    app = Flask(__name__)
    state = {"movies": movies}

    def collection():
        if state["movies"] is None:
            state["movies"] = mongo_collection()
        return state["movies"]

    @app.get("/status")
    def status():
        return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/movies")
    def list_movies():
        genre = request.args.get("genre")
        query = {"genre": genre} if genre else {}
        return jsonify(sorted(collection().find(query, PUBLIC), key=lambda m: m["title"]))

    @app.get("/movies/<movie_id>")
    def get_movie(movie_id):
        movie = collection().find_one({"id": movie_id}, PUBLIC)
        return jsonify(movie) if movie else error(404, "no such movie")

    @app.post("/movies")
    def add_movie():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"].strip():
            return error(400, 'expected a JSON object with a non-empty "title"')
        for key, kind in FIELDS.items():
            if key in body and not isinstance(body[key], kind):
                return error(400, '"%s" must be a %s' % (key, kind.__name__))
        movie = {key: body[key] for key in FIELDS if key in body}
        movie["title"] = movie["title"].strip()
        movie["id"] = uuid.uuid4().hex
        # insert_one adds _id to the document it is given: hand it a copy
        collection().insert_one(dict(movie))
        return jsonify(movie), 201

    return app


app = create_app()

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
