"""The backend as a WSGI application: `/health` answers `ok`, everything else what it runs."""

import json
import os


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/health":
        body, kind = b"ok\n", "text/plain"
    else:
        answer = {"app": "webapp", "env": os.environ.get("APP_ENV", ""), "release": os.environ.get("RELEASE", "")}
        body, kind = (json.dumps(answer) + "\n").encode(), "application/json"
    start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
