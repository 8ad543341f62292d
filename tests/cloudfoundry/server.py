"""A Cloud Foundry v3 API on loopback for slipway's tests, written from the v3 API reference.

No Cloud Foundry runs on a test machine, so tests/cloudfoundry.rs starts this server (Python 3's standard
library only) and runs slipway's client against it. It is not cloud.gov and was never compared with one:
tests/README.md ("The Cloud Foundry v3 API on loopback") lists what it models and what it does not.

    python3 tests/cloudfoundry/server.py [--port N]    # prints "listening on http://127.0.0.1:PORT"

Besides the API (api.py, api_routes.py; state and time in world.py, JSON in present.py) it serves:
- `GET /`: the global API root (docs/v3/.../root/_global_root.md.erb), whose `login` and `uaa` links point
  at `/uaa` on this server;
- `POST /uaa/oauth/token`: a UAA token endpoint for the password grant with client `cf` and an empty secret;
- `/_test/...`: the tests' control endpoints, apart from the API: `POST /_test/seed` (users, orgs, spaces,
  domains, service instances, timing), `POST /_test/script` (faults, below), `GET /_test/state` (what was
  received: requests, uploads, tokens issued, environment variables).

Faults (`POST /_test/script` with one object or a list): `{"kind": "fail_staging", "app", "error_id"}`,
`{"kind": "crash", "app", "indexes"}` (instances of the app's next deployment that crash),
`{"kind": "fail_binding", "service_instance", "reason"}`, `{"kind": "rate_limit", "method", "path",
"times", "retry_after"}`, `{"kind": "reject_token", "method", "path", "times"}` and `{"kind": "hang",
"method", "path"}` (requests, by method and path prefix, answered 429, answered 401 whatever their token,
or never answered) wait for their moment; `{"kind": "expire_tokens"}` and
`{"kind": "cancel_deployment", "app"}` (another user cancels the app's deployment) act at once.
"""

import argparse
import base64
import email.parser
import email.policy
import json
import math
import sys
import threading
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ beside the modules below
import api  # noqa: E402
import api_routes  # noqa: E402,F401 (registers its endpoints)
from world import ApiError, World  # noqa: E402

LOCK = threading.Lock()
WORLD = World()
RECEIVED = []  # every request to the v3 API and the token endpoint, as the tests read it
STOP = threading.Event()
CF_CLIENT = "Basic " + base64.b64encode(b"cf:").decode()


class Request:
    """One v3 request as a handler sees it."""

    def __init__(self, method, path, query, body, form, base):
        self.method, self.path, self.query, self.body, self.form, self.base = method, path, query, body, form, base

    def paginate(self, items, presenter):
        # docs/v3/.../concepts/_pagination.md.erb: `page`, `per_page` (1 to 5000, default 50), and first,
        # last, next and previous links that keep the request's filters
        try:
            page, per_page = int(self.query.get("page", 1)), int(self.query.get("per_page", 50))
        except ValueError:
            page, per_page = 0, 0
        if page < 1 or not 1 <= per_page <= 5000:
            raise ApiError(400, 10005, "CF-BadQueryParameter", "The query parameter is invalid: Page must be "
                           "greater than 0, Per page must be between 1 and 5000")
        pages = max(1, math.ceil(len(items) / per_page))

        def link(n):
            query = dict(self.query, page=str(n), per_page=str(per_page))
            return {"href": f"{self.base}{self.path}?{urllib.parse.urlencode(query)}"}
        return 200, {"pagination": {"total_results": len(items), "total_pages": pages, "first": link(1),
                                    "last": link(pages), "next": link(page + 1) if page < pages else None,
                                    "previous": link(page - 1) if page > 1 else None},
                     "resources": [presenter(r, self.base) for r in items[(page - 1) * per_page:page * per_page]]}


def parse_multipart(content_type, raw):
    """docs/v3/.../packages/_upload_bits.md.erb's multipart form: field name -> (bytes, filename)."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        return None
    return {part.get_param("name", header="content-disposition"): (part.get_payload(decode=True) or b"",
                                                                     part.get_filename())
            for part in message.iter_parts()}


def take_fault(kinds, method, path):
    """The first waiting fault of one of `kinds` for this request, counting down its `times`."""
    for s in WORLD.scripts:
        if s["kind"] in kinds and s.get("method", method) == method \
                and path.startswith(s.get("path", "")):
            s["times"] = s.get("times", 1) - 1
            if s["times"] <= 0:
                WORLD.scripts.remove(s)
            return s
    return None


def root(base):
    # docs/v3/.../root/_global_root.md.erb and api_resources/_root.erb :global_root
    return {"links": {"self": {"href": base}, "cloud_controller_v2": None,
                      "cloud_controller_v3": {"href": f"{base}/v3", "meta": {"version": "3.190.0"}},
                      "network_policy_v0": None, "network_policy_v1": None,
                      "login": {"href": f"{base}/uaa"}, "uaa": {"href": f"{base}/uaa"}, "credhub": None,
                      "routing": None, "logging": None, "log_cache": None, "log_stream": None, "app_ssh": None}}


def token(headers, raw):
    """A UAA token endpoint (docs/v3/.../concepts/_authentication.md.erb: tokens come from UAA), as the cf
    CLI calls it (cloudfoundry/cli api/uaa/auth.go): form-encoded `grant_type=password`, `username`,
    `password`, with HTTP basic authentication of client `cf` and an empty secret."""
    form = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
    RECEIVED.append({"method": "POST", "path": "/uaa/oauth/token", "query": {}, "token": None,
                     "body": {"grant_type": form.get("grant_type"), "username": form.get("username"),
                              "client": headers.get("Authorization") == CF_CLIENT}})
    if headers.get("Authorization") != CF_CLIENT:
        return 401, {"error": "unauthorized", "error_description": "Bad credentials"}
    if form.get("grant_type") != "password":
        return 400, {"error": "unsupported_grant_type",
                     "error_description": f"Unsupported grant type: {form.get('grant_type')}"}
    if WORLD.users.get(form.get("username")) != form.get("password") or not form.get("password"):
        return 401, {"error": "unauthorized", "error_description": "Bad credentials"}
    value = "cftest." + uuid.uuid4().hex + uuid.uuid4().hex
    WORLD.tokens[value] = {"user": form["username"], "number": len(WORLD.tokens) + 1, "expired": False}
    return 200, {"access_token": value, "token_type": "bearer", "refresh_token": value + ".refresh",
                 "expires_in": 599, "scope": "cloud_controller.read cloud_controller.write openid",
                 "jti": uuid.uuid4().hex}


def control(method, path, body):
    """The tests' own endpoints, apart from the API."""
    if method == "POST" and path == "/_test/seed":
        WORLD.seed(body)
        return 200, {}
    if method == "POST" and path == "/_test/script":
        for s in body if isinstance(body, list) else [body]:
            if s["kind"] == "expire_tokens":
                for t in WORLD.tokens.values():
                    t["expired"] = True
            elif s["kind"] == "cancel_deployment":
                app = next(a for a in WORLD.all("apps") if a["name"] == s["app"])
                WORLD.cancel(WORLD.deploying(app))
            else:
                WORLD.scripts.append(s)
        return 200, {}
    if method == "GET" and path == "/_test/state":
        apps = {a["name"]: {"guid": a["guid"], "state": a["state"], "env": a["env"], "droplet": a["droplet"]}
                for a in WORLD.all("apps")}
        processes = [{"guid": p["guid"], "app": p["app"], "type": p["type"], "instances": p["instances"],
                      "states": [i["state"] for i in p["inst"]], "memory_in_mb": p["memory_in_mb"],
                      "disk_in_mb": p["disk_in_mb"], "health_check": p["health_check"]}
                     for p in WORLD.all("processes")]
        return 200, {"received": RECEIVED, "tokens": list(WORLD.tokens), "uploads": WORLD.uploads, "apps": apps,
                     "processes": processes, "scripts": WORLD.scripts, "clock": WORLD.clock}
    return 404, {"error": f"no control endpoint {method} {path}"}


def api_request(method, path, query, headers, raw, base):
    """One v3 request: the caller holds LOCK. (status, body, headers), or None to never answer."""
    entry = {"method": method, "path": path, "query": query, "token": None, "body": None}
    RECEIVED.append(entry)
    form = parse_multipart(headers.get("Content-Type", ""), raw)
    if form is not None:
        entry["body"] = {"multipart": {k: {"size": len(v), "filename": f} for k, (v, f) in form.items()}}
    elif raw:
        try:
            entry["body"] = json.loads(raw)
        except ValueError:
            return 400, ApiError(400, 1001, "CF-MessageParseError", "Request invalid due to parse error").body(), {}
    fault = take_fault(("rate_limit", "hang"), method, path)
    if fault and fault["kind"] == "hang":
        entry["status"] = "never answered"
        return None
    if fault:
        # errors/v2.yml 10013 RateLimitExceeded, 429, with Retry-After (middleware/base_rate_limiter.rb)
        entry["status"] = 429
        return 429, ApiError(429, 10013, "CF-RateLimitExceeded", "Rate Limit Exceeded").body(), \
            {"Retry-After": str(fault.get("retry_after", 1))}
    # docs/v3/.../concepts/_authentication.md.erb: `Authorization: bearer <token>`; errors per _errors.md.erb
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        entry["status"] = 401
        return 401, ApiError(401, 10002, "CF-NotAuthenticated", "Authentication error").body(), {}
    known = WORLD.tokens.get(value)
    if known is None or known["expired"] or take_fault(("reject_token",), method, path):
        entry["status"] = 401
        entry["token"] = known and known["number"]
        return 401, ApiError(401, 1000, "CF-InvalidAuthToken", "Invalid Auth Token").body(), {}
    entry["token"] = known["number"]
    WORLD.tick()
    req = Request(method, path, query, entry["body"] if form is None else {},
                      {k: v for k, (v, _) in form.items()} if form is not None else None, base)
    for m, pattern, handler in api.ROUTES:
        match = pattern.match(path)
        if m == method and match:
            try:
                answer = handler(req, WORLD, *match.groups())
            except ApiError as e:
                answer = (e.status, e.body())
            break
    else:
        answer = (404, ApiError(404, 10000, "CF-NotFound", "Unknown request").body())
    entry["status"] = answer[0]
    return answer[0], answer[1], answer[2] if len(answer) > 2 else {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        base = f"http://{self.headers.get('Host')}"
        try:
            with LOCK:
                if url.path.startswith("/_test/"):
                    answer = control(method, url.path, json.loads(raw) if raw else None) + ({},)
                elif method == "GET" and url.path == "/":
                    answer = (200, root(base), {})
                elif url.path == "/uaa/oauth/token" and method == "POST":
                    fault = take_fault(("hang",), method, url.path)
                    answer = None if fault and fault["kind"] == "hang" else token(self.headers, raw) + ({},)
                else:
                    answer = api_request(method, url.path, query, self.headers, raw, base)
        except Exception:  # a bug here: say so loudly, as the CC would with UnknownError
            traceback.print_exc()
            answer = (500, ApiError(500, 10001, "UnknownError", "An unknown error occurred.").body(), {})
        if answer is None:
            STOP.wait(300)  # never answer: the client's own timeout must end the request
            self.close_connection = True
            return
        status, body, headers = answer
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        STOP.set()


if __name__ == "__main__":
    main()
