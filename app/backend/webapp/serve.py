"""Serves the backend with the standard library's WSGI server on the port `--port` names (cloud.gov and
compose give `$PORT`), else $PORT, else 8080: what cloud.gov runs and what the backend's image runs, with no
dependency to install."""

import argparse
import os
from wsgiref.simple_server import WSGIRequestHandler, make_server

from webapp.wsgi import application


class Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8080))
    port = parser.parse_args().port
    with make_server("0.0.0.0", port, application, handler_class=Quiet) as server:
        server.serve_forever()
