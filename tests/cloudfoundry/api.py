"""The loopback Cloud Controller's v3 endpoints: one function per endpoint, each naming the reference section
it follows (docs/v3/... is cloudfoundry/cloud_controller_ng's docs/v3/source/includes/...).

A handler takes the request (`Request` in server.py: method, path, query, body, form, base URL) and the
path's captures, changes world.py's state, and returns (status, JSON body[, headers]); lists go through
`server.paginate`, so every list is paginated as docs/v3/.../concepts/_pagination.md.erb says.
"""

import re

import present
from world import ApiError, not_found, unprocessable

ROUTES = []


def endpoint(method, pattern):
    def register(handler):
        ROUTES.append((method, re.compile("^" + pattern.replace("{guid}", "([^/]+)").replace("{type}", "([^/]+)")
                                          + "$"), handler))
        return handler
    return register


def filter_list(req, name):
    """A comma-delimited filter (docs/v3/.../concepts/_filters.md.erb), or None when absent."""
    value = req.query.get(name)
    return None if value is None else value.split(",")


def guid_of(body, *path):
    for key in path:
        body = (body or {}).get(key)
    return body


# ---- organizations, spaces, apps -------------------------------------------------------------------------------

@endpoint("GET", "/v3/organizations")
def list_organizations(req, w):
    # docs/v3/.../organizations/_list.md.erb: `names` filter, case-insensitive
    names = [n.lower() for n in filter_list(req, "names") or []]
    items = w.all("organizations", lambda o: not names or o["name"].lower() in names)
    return req.paginate(items, present.organization)


@endpoint("GET", "/v3/spaces")
def list_spaces(req, w):
    # docs/v3/.../spaces/_list.md.erb: `names` (case-insensitive) and `organization_guids`
    names = [n.lower() for n in filter_list(req, "names") or []]
    orgs = filter_list(req, "organization_guids")
    items = w.all("spaces", lambda s: (not names or s["name"].lower() in names)
                  and (orgs is None or s["organization"] in orgs))
    return req.paginate(items, present.space)


@endpoint("GET", "/v3/apps")
def list_apps(req, w):
    # docs/v3/.../apps/_list.md.erb: `names` (case-insensitive) and `space_guids`
    names = [n.lower() for n in filter_list(req, "names") or []]
    spaces = filter_list(req, "space_guids")
    items = w.all("apps", lambda a: (not names or a["name"].lower() in names)
                  and (spaces is None or a["space"] in spaces))
    return req.paginate(items, present.app)


@endpoint("POST", "/v3/apps")
def create_app(req, w):
    # docs/v3/.../apps/_create.md.erb: 201; the name is unique in its space (CF-UniquenessError, 10016)
    name, space_guid = req.body.get("name"), guid_of(req.body, "relationships", "space", "data", "guid")
    if not name or space_guid not in w.tables["spaces"]:
        raise unprocessable("Invalid space. Ensure that the space exists and you have access to it.")
    if any(a["name"].lower() == name.lower() and a["space"] == space_guid for a in w.all("apps")):
        raise ApiError(422, 10016, "CF-UniquenessError", f"App with the name '{name}' already exists.")
    env = req.body.get("environment_variables") or {}
    check_env(env)
    lifecycle = req.body.get("lifecycle") or {"type": "buildpack", "data": {"buildpacks": [], "stack": "cflinuxfs4"}}
    app = w.add("apps", {"name": name, "space": space_guid, "state": "STOPPED", "lifecycle": lifecycle,
                         "env": {k: v for k, v in env.items() if v is not None}, "droplet": None, "revision": None})
    w.create_process(app, "web", guid=app["guid"])
    return 201, present.app(app, req.base)


def check_env(env):
    # docs/v3/.../apps/_update_environment_variables.md.erb: no VCAP_ names, and PORT is not valid
    for key in env:
        if key.startswith("VCAP_") or key == "PORT":
            raise unprocessable(f"Environment variable {key} is not allowed")


@endpoint("GET", "/v3/apps/{guid}")
def get_app(req, w, guid):
    # docs/v3/.../apps/_get.md.erb
    return 200, present.app(w.get("apps", guid, "App"), req.base)


@endpoint("PATCH", "/v3/apps/{guid}")
def update_app(req, w, guid):
    # docs/v3/.../apps/_update.md.erb: name and lifecycle; lifecycle `type` may not change
    app = w.get("apps", guid, "App")
    lifecycle = req.body.get("lifecycle")
    if lifecycle is not None and lifecycle.get("type", app["lifecycle"]["type"]) != app["lifecycle"]["type"]:
        raise unprocessable("Lifecycle type cannot be changed")
    w.touch(app, name=req.body.get("name", app["name"]), lifecycle=lifecycle or app["lifecycle"])
    return 200, present.app(app, req.base)


@endpoint("GET", "/v3/apps/{guid}/environment_variables")
def get_env(req, w, guid):
    # docs/v3/.../apps/_environment_variables.md.erb
    return 200, present.environment_variables(w.get("apps", guid, "App"), req.base)


@endpoint("PATCH", "/v3/apps/{guid}/environment_variables")
def patch_env(req, w, guid):
    # docs/v3/.../apps/_update_environment_variables.md.erb: merged; a null value removes the variable
    app = w.get("apps", guid, "App")
    changes = req.body.get("var") or {}
    check_env(changes)
    for key, value in changes.items():
        if value is None:
            app["env"].pop(key, None)
        else:
            app["env"][key] = value
    w.touch(app)
    return 200, present.environment_variables(app, req.base)


@endpoint("GET", "/v3/apps/{guid}/droplets/current")
def get_current_droplet(req, w, guid):
    # docs/v3/.../apps/_get_current_droplet.md.erb; an app without one: CF-ResourceNotFound
    app = w.get("apps", guid, "App")
    if not app.get("droplet"):
        raise not_found("Droplet")
    return 200, present.droplet(w.tables["droplets"][app["droplet"]], req.base)


@endpoint("PATCH", "/v3/apps/{guid}/relationships/current_droplet")
def set_current_droplet(req, w, guid):
    # docs/v3/.../apps/_current_droplet.md.erb; refused during a deployment (app/controllers/v3/apps_controller.rb)
    app = w.get("apps", guid, "App")
    if w.deploying(app):
        raise unprocessable("Unable to assign current droplet while the app has a deployment in progress. Wait for "
                            "the deployment to complete or cancel it.")
    w.assign_droplet(app, w.tables["droplets"].get(guid_of(req.body, "data", "guid")))
    return 200, present.current_droplet_relationship(app, req.base)


@endpoint("GET", "/v3/apps/{guid}/droplets")
def list_app_droplets(req, w, guid):
    # docs/v3/.../droplets/_list_for_app.md.erb
    app = w.get("apps", guid, "App")
    return req.paginate(w.all("droplets", lambda d: d["app"] == app["guid"]), present.droplet)


@endpoint("POST", "/v3/apps/{guid}/actions/(start|stop|restart)")
def app_action(req, w, guid, action):
    # docs/v3/.../apps/_start.md.erb, _stop.md.erb, _restart.md.erb (stop, then start: new instances)
    app = w.get("apps", guid, "App")
    if action in ("stop", "restart"):
        if action == "restart" and not app.get("droplet"):
            raise unprocessable("Assign a droplet before starting this app.")
        w.stop(app)
    if action in ("start", "restart"):
        w.start(app)
    return 200, present.app(app, req.base)


# ---- processes ---------------------------------------------------------------------------------------------------

def app_process(w, guid, kind):
    # docs/v3/.../processes/_get.md.erb `GET /v3/apps/:guid/processes/:type`: the app's newest of that type
    # (app/fetchers/process_fetcher.rb), which during a deployment is the deployment's web process
    processes = w.processes_of(w.get("apps", guid, "App"), kind)
    if not processes:
        raise not_found("Process")
    return processes[-1]


@endpoint("GET", "/v3/apps/{guid}/processes")
def list_app_processes(req, w, guid):
    # docs/v3/.../processes/_list_for_app.md.erb
    return req.paginate(w.processes_of(w.get("apps", guid, "App")), present.process)


@endpoint("GET", "/v3/apps/{guid}/processes/{type}")
def get_app_process(req, w, guid, kind):
    return 200, present.process(app_process(w, guid, kind), req.base)


@endpoint("GET", "/v3/processes/{guid}")
def get_process(req, w, guid):
    # docs/v3/.../processes/_get.md.erb
    return 200, present.process(w.get("processes", guid, "Process"), req.base)


@endpoint("PATCH", "/v3/processes/{guid}")
def update_process(req, w, guid):
    # docs/v3/.../processes/_update.md.erb with _health_check_object.md.erb; app/actions/process_update.rb
    # refuses a web process during a deployment and drops the endpoint of a check that is not `http`
    p = w.get("processes", guid, "Process")
    if p["type"] == "web" and w.deploying(w.tables["apps"][p["app"]]):
        raise unprocessable("Cannot update this process while a deployment is in flight.")
    if "command" in req.body:
        p["command"] = req.body["command"]
    for key, record in (("health_check", "health_check"), ("readiness_health_check", "readiness")):
        hc = req.body.get(key)
        if hc is None:
            continue
        kind = hc.get("type", p[record]["type"])
        if kind not in ("port", "process", "http"):
            raise unprocessable('Health check type must be "port", "process", or "http"')
        data = dict(p[record]["data"])
        for field, value in (hc.get("data") or {}).items():
            if field != "endpoint" and value is not None and (not isinstance(value, int) or value < 1):
                raise unprocessable(f"Health check {field} must be greater than or equal to 1")
            data[field] = value
        if kind != "http":
            data.pop("endpoint", None)
        elif not str(data.get("endpoint") or "").startswith("/"):
            raise unprocessable(f"Health check endpoint HTTP health check endpoint is not a valid URI path: "
                                f"{data.get('endpoint')}")
        p[record] = {"type": kind, "data": data}
    w.touch(p)
    return 200, present.process(p, req.base)


def scale(req, w, p):
    # docs/v3/.../processes/_scale.md.erb: 202 with the process; app/actions/process_scale.rb refuses a web
    # process during a deployment
    if p["type"] == "web" and w.deploying(w.tables["apps"][p["app"]]):
        raise unprocessable("Cannot scale this process while a deployment is in flight.")
    for key in ("instances", "memory_in_mb", "disk_in_mb"):
        value = req.body.get(key)
        if value is not None:
            if not isinstance(value, int) or value < (0 if key == "instances" else 1):
                raise unprocessable(f"{key.capitalize()} must be greater than or equal to {0 if key == 'instances' else 1}")
            p[key] = value
    if "memory_in_mb" in req.body or "disk_in_mb" in req.body:
        p["inst"] = []  # new limits need new containers
    w.touch(p)
    return 202, present.process(p, req.base)


@endpoint("POST", "/v3/processes/{guid}/actions/scale")
def scale_process(req, w, guid):
    return scale(req, w, w.get("processes", guid, "Process"))


@endpoint("POST", "/v3/apps/{guid}/processes/{type}/actions/scale")
def scale_app_process(req, w, guid, kind):
    return scale(req, w, app_process(w, guid, kind))


@endpoint("GET", "/v3/processes/{guid}/stats")
def process_stats(req, w, guid):
    # docs/v3/.../processes/_stats.md.erb
    return 200, present.process_stats(w.get("processes", guid, "Process"))


@endpoint("GET", "/v3/apps/{guid}/processes/{type}/stats")
def app_process_stats(req, w, guid, kind):
    return 200, present.process_stats(app_process(w, guid, kind))


# ---- packages, builds, droplets ----------------------------------------------------------------------------------

@endpoint("POST", "/v3/packages")
def create_package(req, w):
    # docs/v3/.../packages/_create.md.erb: bits (AWAITING_UPLOAD) or docker (READY at once, data.image required)
    app = w.tables["apps"].get(guid_of(req.body, "relationships", "app", "data", "guid"))
    if app is None:
        raise unprocessable("App must exist")
    kind, data = req.body.get("type"), req.body.get("data") or {}
    if kind == "docker":
        if not data.get("image"):
            raise unprocessable("Data Image required")
        record = {"type": "docker", "state": "READY",
                  "data": {"image": data["image"], "username": data.get("username"), "password": data.get("password")}}
    elif kind == "bits":
        record = {"type": "bits", "state": "AWAITING_UPLOAD",
                  "data": {"checksum": {"type": "sha256", "value": None}, "error": None}}
    else:
        raise unprocessable("Type must be one of 'bits', 'docker'")
    package = w.add("packages", {"app": app["guid"], **record})
    return 201, present.package(package, req.base)


@endpoint("GET", "/v3/packages/{guid}")
def get_package(req, w, guid):
    # docs/v3/.../packages/_get.md.erb
    return 200, present.package(w.get("packages", guid, "Package"), req.base)


@endpoint("POST", "/v3/packages/{guid}/upload")
def upload_bits(req, w, guid):
    # docs/v3/.../packages/_upload_bits.md.erb: multipart form, `bits` (a zip) and/or `resources`
    package = w.get("packages", guid, "Package")
    if req.form is None or ("bits" not in req.form and "resources" not in req.form):
        raise unprocessable("Upload must include either resources or bits")
    w.upload(package, req.form.get("bits", b""), req.form.get("resources", b"[]").decode())
    return 200, present.package(package, req.base)


@endpoint("POST", "/v3/builds")
def create_build(req, w):
    # docs/v3/.../builds/_create.md.erb: 201, STAGING
    package = w.tables["packages"].get(guid_of(req.body, "package", "guid"))
    if package is None:
        raise unprocessable("Unable to use package. Ensure that the package exists and you have access to it.")
    return 201, present.build(w.create_build(package, req.body.get("lifecycle")), req.base)


@endpoint("GET", "/v3/builds/{guid}")
def get_build(req, w, guid):
    # docs/v3/.../builds/_get.md.erb
    return 200, present.build(w.get("builds", guid, "Build"), req.base)


@endpoint("GET", "/v3/droplets/{guid}")
def get_droplet(req, w, guid):
    # docs/v3/.../droplets/_get.md.erb
    return 200, present.droplet(w.get("droplets", guid, "Droplet"), req.base)


# ---- deployments and revisions ------------------------------------------------------------------------------------

@endpoint("POST", "/v3/deployments")
def create_deployment(req, w):
    # docs/v3/.../deployments/_create.md.erb: 201 (the reference's example says "201 OK")
    app = w.tables["apps"].get(guid_of(req.body, "relationships", "app", "data", "guid"))
    if app is None:
        raise unprocessable("Unable to use app. Ensure that the app exists and you have access to it.")
    return 201, present.deployment(w.create_deployment(app, req.body), req.base)


@endpoint("GET", "/v3/deployments")
def list_deployments(req, w):
    # docs/v3/.../deployments/_list.md.erb: `app_guids`, `status_values`, `status_reasons`
    apps, values, reasons = (filter_list(req, n) for n in ("app_guids", "status_values", "status_reasons"))
    items = w.all("deployments", lambda d: (apps is None or d["app"] in apps)
                  and (values is None or d["value"] in values) and (reasons is None or d["reason"] in reasons))
    return req.paginate(items, present.deployment)


@endpoint("GET", "/v3/deployments/{guid}")
def get_deployment(req, w, guid):
    # docs/v3/.../deployments/_get.md.erb
    return 200, present.deployment(w.get("deployments", guid, "Deployment"), req.base)


@endpoint("POST", "/v3/deployments/{guid}/actions/cancel")
def cancel_deployment(req, w, guid):
    # docs/v3/.../deployments/_cancel.md.erb: 200, no body
    w.cancel(w.get("deployments", guid, "Deployment"))
    return 200, None


@endpoint("POST", "/v3/deployments/{guid}/actions/continue")
def continue_deployment(req, w, guid):
    # docs/v3/.../deployments/_continue.md.erb: 200, no body
    w.resume(w.get("deployments", guid, "Deployment"))
    return 200, None


def present_revision(w, r, base):
    droplet = w.tables["droplets"].get(r["droplet"])
    return present.revision(r, base, droplet is not None and droplet["state"] == "STAGED")


@endpoint("GET", "/v3/apps/{guid}/revisions")
def list_revisions(req, w, guid):
    # docs/v3/.../revisions/_list.md.erb
    app = w.get("apps", guid, "App")
    return req.paginate(w.all("revisions", lambda r: r["app"] == app["guid"]),
                        lambda r, base: present_revision(w, r, base))


@endpoint("GET", "/v3/revisions/{guid}")
def get_revision(req, w, guid):
    # docs/v3/.../revisions/_get.md.erb
    return 200, present_revision(w, w.get("revisions", guid, "Revision"), req.base)
