"""The loopback Cloud Controller's endpoints for routing and services: domains, routes and their destinations,
service instances, service credential bindings, and the jobs that asynchronous bindings return. Same form as
api.py (one function per endpoint, each naming its section of docs/v3/source/includes/...).
"""

import uuid

import present
from api import endpoint, filter_list, guid_of
from world import timestamp, unprocessable


@endpoint("GET", "/v3/domains")
def list_domains(req, w):
    # docs/v3/.../domains/_list.md.erb: `names`, case-insensitive
    names = [n.lower() for n in filter_list(req, "names") or []]
    return req.paginate(w.all("domains", lambda d: not names or d["name"].lower() in names), present.domain)


def present_route(w):
    return lambda r, base: present.route(r, base, w.tables["domains"][r["domain"]]["name"])


@endpoint("GET", "/v3/routes")
def list_routes(req, w):
    # docs/v3/.../routes/_list.md.erb: `domain_guids`, `hosts`, `paths`, `space_guids`, `app_guids`
    domains, hosts, paths, spaces, apps = (filter_list(req, n) for n in
                                           ("domain_guids", "hosts", "paths", "space_guids", "app_guids"))
    items = w.all("routes", lambda r: (domains is None or r["domain"] in domains)
                  and (hosts is None or r["host"] in hosts) and (paths is None or r["path"] in paths)
                  and (spaces is None or r["space"] in spaces)
                  and (apps is None or any(d["app"] in apps for d in r["destinations"])))
    return req.paginate(items, present_route(w))


@endpoint("POST", "/v3/routes")
def create_route(req, w):
    # docs/v3/.../routes/_create.md.erb: 201; app/actions/route_create.rb refuses a second route with the
    # same host and path in a domain
    domain = w.tables["domains"].get(guid_of(req.body, "relationships", "domain", "data", "guid"))
    space = w.tables["spaces"].get(guid_of(req.body, "relationships", "space", "data", "guid"))
    if domain is None or space is None:
        raise unprocessable("Invalid domain or space. Ensure that they exist and you have access to them.")
    host, path = req.body.get("host") or "", req.body.get("path") or ""
    if path and (not path.startswith("/") or path == "/" or "?" in path):
        raise unprocessable("Path must begin with a '/', must not be exactly '/' and must not contain '?'")
    if any(r["domain"] == domain["guid"] and r["host"] == host and r["path"] == path for r in w.all("routes")):
        where = f"host '{host}' and path '{path}'" if path else f"host '{host}'"
        raise unprocessable(f"Route already exists with {where} for domain '{domain['name']}'.")
    route = w.add("routes", {"host": host, "path": path, "domain": domain["guid"], "space": space["guid"],
                             "destinations": []})
    return 201, present_route(w)(route, req.base)


@endpoint("GET", "/v3/routes/{guid}")
def get_route(req, w, guid):
    # docs/v3/.../routes/_get.md.erb
    return 200, present_route(w)(w.get("routes", guid, "Route"), req.base)


@endpoint("GET", "/v3/routes/{guid}/destinations")
def list_destinations(req, w, guid):
    # docs/v3/.../routes/_list_destinations.md.erb
    return 200, present.destinations(w.get("routes", guid, "Route"), req.base)


@endpoint("POST", "/v3/routes/{guid}/destinations")
def insert_destinations(req, w, guid):
    # docs/v3/.../routes/_insert_destinations.md.erb: added to the existing ones; without process.type, web;
    # docs/v3/.../routes/_destination_object.md.erb: without a port, 8080 for buildpack apps
    route = w.get("routes", guid, "Route")
    for d in req.body.get("destinations") or []:
        app = w.tables["apps"].get(guid_of(d, "app", "guid"))
        if app is None or app["space"] != route["space"]:
            raise unprocessable("App(s) with guid(s) must exist in the same space as the route.")
        kind = guid_of(d, "app", "process", "type") or "web"
        port = d.get("port") or 8080
        if any(x["app"] == app["guid"] and x["process_type"] == kind and x["port"] == port
               for x in route["destinations"]):
            continue  # mapping an existing destination again changes nothing
        route["destinations"].append({"guid": str(uuid.uuid4()), "created_at": timestamp(), "app": app["guid"],
                                      "process_type": kind, "port": port, "protocol": d.get("protocol") or "http1"})
    w.touch(route)
    return 200, present.destinations(route, req.base)


@endpoint("DELETE", "/v3/routes/{guid}/destinations/{guid}")
def remove_destination(req, w, guid, destination):
    # docs/v3/.../routes/_remove_destination.md.erb: 204
    route = w.get("routes", guid, "Route")
    kept = [d for d in route["destinations"] if d["guid"] != destination]
    if len(kept) == len(route["destinations"]):
        raise unprocessable("Unable to unmap route from destination. Ensure the route has a destination with this guid.")
    route["destinations"] = kept
    w.touch(route)
    return 204, None


@endpoint("GET", "/v3/service_instances")
def list_service_instances(req, w):
    # docs/v3/.../service_instances/_list.md.erb: `names` (case-sensitive) and `space_guids`
    names, spaces = filter_list(req, "names"), filter_list(req, "space_guids")
    items = w.all("service_instances", lambda s: (names is None or s["name"] in names)
                  and (spaces is None or s["space"] in spaces))
    return req.paginate(items, present.service_instance)


@endpoint("GET", "/v3/service_credential_bindings")
def list_bindings(req, w):
    # docs/v3/.../service_credential_bindings/_list.md.erb: `app_guids`, `service_instance_guids`, `type`
    apps, instances = filter_list(req, "app_guids"), filter_list(req, "service_instance_guids")
    kinds = filter_list(req, "type")
    items = w.all("bindings", lambda b: (apps is None or b["app"] in apps)
                  and (instances is None or b["service_instance"] in instances)
                  and (kinds is None or "app" in kinds))
    return req.paginate(items, present.binding)


@endpoint("GET", "/v3/service_credential_bindings/{guid}")
def get_binding(req, w, guid):
    # docs/v3/.../service_credential_bindings/_get.md.erb
    return 200, present.binding(w.get("bindings", guid, "Service credential binding"), req.base)


@endpoint("POST", "/v3/service_credential_bindings")
def create_binding(req, w):
    # docs/v3/.../service_credential_bindings/_create.md.erb: a user-provided instance is bound at once
    # (201 and the binding); a managed one asks its broker: 202 and a Location to a job, operation
    # service_bindings.create (app/jobs/v3/create_service_credential_binding_job_actor.rb)
    if req.body.get("type") != "app":
        raise unprocessable("Type must be 'app' or 'key'; this server binds apps only")
    instance = w.tables["service_instances"].get(guid_of(req.body, "relationships", "service_instance", "data", "guid"))
    app = w.tables["apps"].get(guid_of(req.body, "relationships", "app", "data", "guid"))
    if instance is None:
        raise unprocessable("The service instance could not be found.")
    if app is None:
        raise unprocessable("The app could not be found.")
    if any(b["app"] == app["guid"] and b["service_instance"] == instance["guid"] for b in w.all("bindings")):
        # app/actions/service_credential_binding_app_create.rb
        raise unprocessable("The app is already bound to the service instance")
    managed = instance["type"] == "managed"
    binding = w.add("bindings", {"name": req.body.get("name"), "app": app["guid"], "service_instance": instance["guid"],
                                 "operation_state": "in progress" if managed else "succeeded"})
    if not managed:
        return 201, present.binding(binding, req.base)
    failure = w.script("fail_binding", lambda s: s["service_instance"] == instance["name"])
    if failure:
        # errors/v2.yml 10009 UnableToPerform, "%s could not be completed: %s" (app/jobs/v3/create_binding_async_job.rb)
        failure = {"code": 10009, "title": "CF-UnableToPerform",
                   "detail": f"bind could not be completed: {failure.get('reason', 'Service broker error')}"}

    def settle(ok):
        binding["operation_state"] = "succeeded" if ok else "failed"
    job = w.create_job("service_bindings.create", "service_credential_binding", binding["guid"], settle, failure)
    return 202, None, {"Location": f"{req.base}/v3/jobs/{job['guid']}"}


@endpoint("GET", "/v3/jobs/{guid}")
def get_job(req, w, guid):
    # docs/v3/.../jobs/_get.md.erb: 200 whatever the job's state
    return 200, present.job(w.get("jobs", guid, "Job"), req.base)
