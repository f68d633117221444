"""Unit tests of app.py, run by sandbox/node/images.sh inside the image's root filesystem:
MongoDB does not run on this machine, so the routes run against a fake collection that
behaves as PyMongo's does where the app relies on it (projection, and insert_one adding _id to
the document it is given).

    python3 -m unittest -v test_app
"""
import copy
import unittest

import app as catalog


class FakeCollection:
    def __init__(self):
        self.docs = []

    @staticmethod
    def _matches(doc, query):
        # MongoDB's equality on an array field matches any element
        return all(v in doc.get(k) if isinstance(doc.get(k), list) else doc.get(k) == v for k, v in query.items())

    @staticmethod
    def _project(doc, projection):
        return {k: v for k, v in doc.items() if projection.get(k, 1)}

    def find(self, query, projection):
        return (self._project(copy.deepcopy(d), projection) for d in self.docs if self._matches(d, query))

    def find_one(self, query, projection):
        return next(self.find(query, projection), None)

    def insert_one(self, doc):
        doc["_id"] = object()  # as PyMongo does: an ObjectId, which jsonify cannot serialise
        self.docs.append(copy.deepcopy(doc))


class CatalogTest(unittest.TestCase):
    def setUp(self):
        self.movies = FakeCollection()
        self.client = catalog.create_app(self.movies).test_client()

    def test_status_answers_without_a_database(self):
        r = catalog.create_app().test_client().get("/status")
        self.assertEqual((r.status_code, r.get_data(as_text=True)), (200, "OK"))

    def test_a_movie_added_is_listed_and_read_back(self):
        r = self.client.post("/movies", json={"title": " Heat ", "year": 1995, "genre": ["crime", "drama"]})
        self.assertEqual(r.status_code, 201)
        movie = r.get_json()
        self.assertEqual((movie["title"], movie["year"]), ("Heat", 1995))
        self.assertNotIn("_id", movie)
        self.assertEqual(self.client.get("/movies").get_json(), [movie])
        self.assertEqual(self.client.get("/movies/" + movie["id"]).get_json(), movie)

    def test_listing_is_by_title_and_filters_by_genre(self):
        for title, genre in [("Up", "animation"), ("Alien", "horror"), ("Coco", "animation")]:
            self.client.post("/movies", json={"title": title, "genre": [genre]})
        titles = lambda r: [m["title"] for m in r.get_json()]  # noqa: E731
        self.assertEqual(titles(self.client.get("/movies")), ["Alien", "Coco", "Up"])
        self.assertEqual(titles(self.client.get("/movies?genre=animation")), ["Coco", "Up"])

    def test_bad_input_and_missing_movies(self):
        self.assertEqual(self.client.post("/movies", json={"year": 1995}).status_code, 400)
        self.assertEqual(self.client.post("/movies", json={"title": "X", "year": "1995"}).status_code, 400)
        self.assertEqual(self.client.post("/movies", data="not json").status_code, 400)
        self.assertEqual(self.client.get("/movies/nope").status_code, 404)
        self.assertEqual(self.movies.docs, [])


if __name__ == "__main__":
    unittest.main()
