"""A minimal WSGI application: lists items from PostgreSQL, caching the answer in Redis."""

import json
import os

import psycopg
import redis

DATABASE_URL = os.environ["DATABASE_URL"]
CACHE = redis.Redis.from_url(os.environ["REDIS_URL"])


def items():
    cached = CACHE.get("items")
    if cached is not None:
        return json.loads(cached)
    with psycopg.connect(DATABASE_URL) as conn:
        rows = conn.execute("SELECT id, name FROM items ORDER BY id").fetchall()
    result = [{"id": r[0], "name": r[1]} for r in rows]
    CACHE.setex("items", 30, json.dumps(result))
    return result


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    if path == "/api/items":
        body = json.dumps(items()).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]
