"""The loopback Cloud Controller's JSON: each resource as the v3 reference's example object shows it.

Every function takes the record world.py keeps and `base` (`http://127.0.0.1:PORT`, from the request's Host
header, so that links point back at this server as the CC's point at itself). Fields a deploy does not read
are kept where the example object has them, so a client that reads them finds them; metadata is always empty.
"""


def to_one(guid):
    # docs/v3/.../concepts/_relationships.md.erb: a to-one relationship is {"data": {"guid": ...}} or null data
    return {"data": {"guid": guid} if guid else None}


def meta():
    return {"labels": {}, "annotations": {}}


def stamps(r):
    return {"created_at": r["created_at"], "updated_at": r["updated_at"]}


def organization(r, base):
    # docs/v3/.../organizations/_object.md.erb
    return {"guid": r["guid"], **stamps(r), "name": r["name"], "suspended": False,
            "relationships": {"quota": to_one(None)}, "metadata": meta(),
            "links": {"self": {"href": f"{base}/v3/organizations/{r['guid']}"}}}


def space(r, base):
    # docs/v3/.../spaces/_object.md.erb
    return {"guid": r["guid"], **stamps(r), "name": r["name"], "suspended": False,
            "relationships": {"organization": to_one(r["organization"]), "quota": to_one(None)},
            "metadata": meta(),
            "links": {"self": {"href": f"{base}/v3/spaces/{r['guid']}"},
                      "organization": {"href": f"{base}/v3/organizations/{r['organization']}"}}}


def app(r, base):
    # docs/v3/.../apps/_object.md.erb and api_resources/_apps.erb
    a = f"{base}/v3/apps/{r['guid']}"
    return {"guid": r["guid"], **stamps(r), "name": r["name"], "state": r["state"], "lifecycle": r["lifecycle"],
            "relationships": {"space": to_one(r["space"]), "current_droplet": to_one(r.get("droplet"))},
            "metadata": meta(),
            "links": {"self": {"href": a}, "space": {"href": f"{base}/v3/spaces/{r['space']}"},
                      "processes": {"href": f"{a}/processes"}, "packages": {"href": f"{a}/packages"},
                      "environment_variables": {"href": f"{a}/environment_variables"},
                      "current_droplet": {"href": f"{a}/droplets/current"}, "droplets": {"href": f"{a}/droplets"},
                      "start": {"href": f"{a}/actions/start", "method": "POST"},
                      "stop": {"href": f"{a}/actions/stop", "method": "POST"},
                      "revisions": {"href": f"{a}/revisions"}}}


def environment_variables(r, base):
    # docs/v3/.../apps/_environment_variables.md.erb
    a = f"{base}/v3/apps/{r['guid']}"
    return {"var": r["env"], "links": {"self": {"href": f"{a}/environment_variables"}, "app": {"href": a}}}


def current_droplet_relationship(r, base):
    # api_resources/_apps.erb :app_current_droplet_relationship
    a = f"{base}/v3/apps/{r['guid']}"
    return {"data": {"guid": r["droplet"]} if r.get("droplet") else None,
            "links": {"self": {"href": f"{a}/relationships/current_droplet"},
                      "related": {"href": f"{a}/droplets/current"}}}


def health_check(hc):
    # docs/v3/.../processes/_health_check_object.md.erb: data.endpoint only for `http` checks
    data = {k: hc["data"].get(k) for k in ("timeout", "invocation_timeout", "interval")}
    if hc["type"] == "http":
        data["endpoint"] = hc["data"].get("endpoint")
    return {"type": hc["type"], "data": data}


def readiness(hc):
    # docs/v3/.../processes/_readiness_health_check_object.md.erb
    data = {k: hc["data"].get(k) for k in ("invocation_timeout", "interval")}
    if hc["type"] == "http":
        data["endpoint"] = hc["data"].get("endpoint")
    return {"type": hc["type"], "data": data}


def process(r, base):
    # docs/v3/.../processes/_object.md.erb and api_resources/_processes.erb :single_process
    p = f"{base}/v3/processes/{r['guid']}"
    return {"guid": r["guid"], **stamps(r), "version": r["version"], "type": r["type"], "command": r["command"],
            "user": "vcap", "instances": r["instances"], "memory_in_mb": r["memory_in_mb"],
            "disk_in_mb": r["disk_in_mb"], "log_rate_limit_in_bytes_per_second": r["log_rate"],
            "health_check": health_check(r["health_check"]), "readiness_health_check": readiness(r["readiness"]),
            "relationships": {"app": to_one(r["app"]), "revision": to_one(r["revision"])}, "metadata": meta(),
            "links": {"self": {"href": p}, "scale": {"href": f"{p}/actions/scale", "method": "POST"},
                      "app": {"href": f"{base}/v3/apps/{r['app']}"}, "stats": {"href": f"{p}/stats"}}}


def process_stats(r):
    # docs/v3/.../processes/_stats_object.md.erb; a process without running instances reports each desired
    # instance DOWN (lib/cloud_controller/diego/reporters/instances_stats_reporter.rb)
    out = []
    for index in range(max(r["instances"], len(r["inst"]))):
        i = r["inst"][index] if index < len(r["inst"]) else {"index": index, "state": "DOWN", "guid": None}
        running = i["state"] == "RUNNING"
        out.append({"type": r["type"], "index": index, "instance_guid": i["guid"], "state": i["state"],
                    "routable": running, "usage": {}, "host": "10.0.0.1" if running else "",
                    "instance_internal_ip": "", "instance_ports": None, "uptime": 0,
                    "mem_quota": r["memory_in_mb"] * 1024 * 1024 if running else None,
                    "disk_quota": r["disk_in_mb"] * 1024 * 1024 if running else None, "log_rate_limit": None,
                    "fds_quota": 16384, "isolation_segment": None, "details": None})
    return {"resources": out}


def package(r, base):
    # docs/v3/.../packages/_object.md.erb and api_resources/_packages.erb; a docker password reads "***"
    data = dict(r["data"])
    if "password" in data and data["password"] is not None:
        data["password"] = "***"
    p = f"{base}/v3/packages/{r['guid']}"
    links = {"self": {"href": p}, "app": {"href": f"{base}/v3/apps/{r['app']}"}}
    if r["type"] == "bits":
        links["upload"] = {"href": f"{p}/upload", "method": "POST"}
        links["download"] = {"href": f"{p}/download", "method": "GET"}
    return {"guid": r["guid"], **stamps(r), "type": r["type"], "data": data, "state": r["state"],
            "relationships": {"app": to_one(r["app"])}, "metadata": meta(), "links": links}


def build(r, base):
    # docs/v3/.../builds/_object.md.erb and api_resources/_builds.erb
    links = {"self": {"href": f"{base}/v3/builds/{r['guid']}"}, "app": {"href": f"{base}/v3/apps/{r['app']}"}}
    if r["droplet"]:
        links["droplet"] = {"href": f"{base}/v3/droplets/{r['droplet']}"}
    return {"guid": r["guid"], **stamps(r), "created_by": {"guid": "deployer", "name": "deployer", "email": ""},
            "state": r["state"], "staging_memory_in_mb": 1024, "staging_disk_in_mb": 1024,
            "staging_log_rate_limit_bytes_per_second": -1, "error": r["error"], "lifecycle": r["lifecycle"],
            "package": {"guid": r["package"]}, "droplet": {"guid": r["droplet"]} if r["droplet"] else None,
            "relationships": {"app": to_one(r["app"])}, "metadata": meta(), "links": links}


def droplet(r, base):
    # docs/v3/.../droplets/_object.md.erb and api_resources/_droplets.erb
    d = f"{base}/v3/droplets/{r['guid']}"
    return {"guid": r["guid"], **stamps(r), "state": r["state"], "error": r["error"], "lifecycle": r["lifecycle"],
            "execution_metadata": "", "process_types": r["process_types"], "checksum": r["checksum"],
            "buildpacks": r["buildpacks"], "stack": r["stack"], "image": r["image"],
            "relationships": {"app": to_one(r["app"])}, "metadata": meta(),
            "links": {"self": {"href": d}, "package": {"href": f"{base}/v3/packages/{r['package']}"},
                      "app": {"href": f"{base}/v3/apps/{r['app']}"},
                      "assign_current_droplet": {"href": f"{base}/v3/apps/{r['app']}/relationships/current_droplet",
                                                 "method": "PATCH"}}}


def deployment(r, base):
    # docs/v3/.../deployments/_object.md.erb and app/presenters/v3/deployment_presenter.rb: `canary` only for
    # canary deployments, `details.error` only when set, `cancel`/`continue` links only when allowed
    status = {"value": r["value"], "reason": r["reason"],
              "details": {"last_successful_healthcheck": r["updated_at"], "last_status_change": r["updated_at"]}}
    if r["error"]:
        status["details"]["error"] = r["error"]
    options = {"max_in_flight": r["max_in_flight"]}
    for key in ("web_instances", "memory_in_mb", "disk_in_mb"):
        if r[key]:
            options[key] = r[key]
    if r["strategy"] == "canary":
        status["canary"] = {"steps": {"current": r["canary_current"], "total": len(r["canary_steps"] or []) or 1}}
        if r["canary_steps"]:
            options["canary"] = {"steps": r["canary_steps"]}
    d = f"{base}/v3/deployments/{r['guid']}"
    links = {"self": {"href": d}, "app": {"href": f"{base}/v3/apps/{r['app']}"}}
    if r["state"] in ("DEPLOYING", "PREPAUSED", "PAUSED", "CANCELING"):
        links["cancel"] = {"href": f"{d}/actions/cancel", "method": "POST"}
    if r["state"] == "PAUSED":
        links["continue"] = {"href": f"{d}/actions/continue", "method": "POST"}
    return {"guid": r["guid"], **stamps(r), "status": status, "strategy": r["strategy"], "options": options,
            "droplet": {"guid": r["droplet"]}, "previous_droplet": {"guid": r["previous_droplet"]},
            "new_processes": r["new_processes"], "revision": r["revision"],
            "relationships": {"app": to_one(r["app"])}, "metadata": meta(), "links": links}


def revision(r, base, droplet_staged):
    # docs/v3/.../revisions/_object.md.erb and api_resources/_revisions.erb
    v = f"{base}/v3/revisions/{r['guid']}"
    return {"guid": r["guid"], **stamps(r), "version": r["version"], "droplet": {"guid": r["droplet"]},
            "processes": r["processes"], "sidecars": [], "description": r["description"],
            "deployable": droplet_staged, "relationships": {"app": to_one(r["app"])}, "metadata": meta(),
            "links": {"self": {"href": v}, "app": {"href": f"{base}/v3/apps/{r['app']}"},
                      "environment_variables": {"href": f"{v}/environment_variables"}}}


def domain(r, base):
    # docs/v3/.../domains/_object.md.erb: a shared domain has no organization
    return {"guid": r["guid"], **stamps(r), "name": r["name"], "internal": False, "router_group": None,
            "supported_protocols": ["http"], "metadata": meta(),
            "relationships": {"organization": to_one(None), "shared_organizations": {"data": []}},
            "links": {"self": {"href": f"{base}/v3/domains/{r['guid']}"}}}


def destination(r):
    # docs/v3/.../routes/_destination_object.md.erb; without a port, buildpack apps get 8080
    return {"guid": r["guid"], "app": {"guid": r["app"], "process": {"type": r["process_type"]}}, "weight": None,
            "port": r["port"], "protocol": r["protocol"], "created_at": r["created_at"], "updated_at": r["created_at"]}


def destinations(r, base):
    # api_resources/_routes.erb :list_of_route_destinations
    route_url = f"{base}/v3/routes/{r['guid']}"
    return {"destinations": [destination(d) for d in r["destinations"]],
            "links": {"self": {"href": f"{route_url}/destinations"}, "route": {"href": route_url}}}


def route(r, base, domain_name):
    # docs/v3/.../routes/_object.md.erb: url is host, domain and path together
    route_url = f"{base}/v3/routes/{r['guid']}"
    host = f"{r['host']}." if r["host"] else ""
    return {"guid": r["guid"], **stamps(r), "protocol": "http", "host": r["host"], "path": r["path"], "port": None,
            "url": f"{host}{domain_name}{r['path']}", "destinations": [destination(d) for d in r["destinations"]],
            "options": {}, "metadata": meta(),
            "relationships": {"space": to_one(r["space"]), "domain": to_one(r["domain"])},
            "links": {"self": {"href": route_url}, "space": {"href": f"{base}/v3/spaces/{r['space']}"},
                      "domain": {"href": f"{base}/v3/domains/{r['domain']}"},
                      "destinations": {"href": f"{route_url}/destinations"}}}


def service_instance(r, base):
    # docs/v3/.../service_instances/_object.md.erb: `managed` or `user-provided`, with a last operation
    out = {"guid": r["guid"], **stamps(r), "name": r["name"], "type": r["type"], "tags": [],
           "last_operation": {"type": "create", "state": "succeeded", "description": "Operation succeeded",
                              "created_at": r["created_at"], "updated_at": r["updated_at"]},
           "relationships": {"space": to_one(r["space"])}, "metadata": meta(),
           "links": {"self": {"href": f"{base}/v3/service_instances/{r['guid']}"}}}
    if r["type"] == "managed":
        out.update({"maintenance_info": {}, "upgrade_available": False, "dashboard_url": None,
                    "broker_provided_metadata": {"labels": {}, "attributes": {}}})
        out["relationships"]["service_plan"] = to_one("plan-" + r["guid"])
    else:
        out.update({"syslog_drain_url": None, "route_service_url": None})
    return out


def binding(r, base):
    # docs/v3/.../service_credential_bindings/_object.md.erb (an `app` binding)
    b = f"{base}/v3/service_credential_bindings/{r['guid']}"
    return {"guid": r["guid"], **stamps(r), "name": r["name"], "type": "app",
            "last_operation": {"type": "create", "state": r["operation_state"], "description": None,
                               "created_at": r["created_at"], "updated_at": r["updated_at"]},
            "relationships": {"app": to_one(r["app"]), "service_instance": to_one(r["service_instance"])},
            "metadata": meta(),
            "links": {"self": {"href": b}, "details": {"href": f"{b}/details"},
                      "service_instance": {"href": f"{base}/v3/service_instances/{r['service_instance']}"},
                      "app": {"href": f"{base}/v3/apps/{r['app']}"}}}


def job(r, base):
    # docs/v3/.../jobs/_object.md.erb; app/presenters/v3/job_presenter.rb links the job's resource by its type
    links = {"self": {"href": f"{base}/v3/jobs/{r['guid']}"}}
    if r["resource"]:
        links[r["resource_type"]] = {"href": f"{base}/v3/{r['resource_type']}s/{r['resource']}"}
    return {"guid": r["guid"], **stamps(r), "operation": r["operation"], "state": r["state"], "errors": r["errors"],
            "warnings": r["warnings"], "links": links}
