"""The state of the loopback Cloud Controller and how it changes with time.

Written from the Cloud Foundry v3 API reference (cloudfoundry/cloud_controller_ng, docs/v3/source/includes/...;
"docs/v3/..." below is short for that directory). Where the reference names a state or a transition but not
the rule that drives it (how a rolling deployment scales, what a canceled deployment leaves behind), the rule
is the Cloud Controller's own, named by its source file in the same repository.

Time is a clock of ticks: every authenticated v3 request is one tick (server.py calls `tick`), so a client
that polls sees a build STAGING for a few polls and then STAGED, and the same sequence of requests always
sees the same states. Nothing here knows HTTP: errors are `ApiError`s that server.py renders.
"""

import datetime
import hashlib
import io
import uuid
import zipfile


class ApiError(Exception):
    """A v3 error: docs/v3/.../concepts/_errors.md.erb, `{"errors": [{code, title, detail}]}`."""

    def __init__(self, status, code, title, detail):
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail

    def body(self):
        return {"errors": [{"code": self.code, "title": self.title, "detail": self.detail}]}


def not_found(kind):
    # docs/v3/.../concepts/_errors.md.erb: CF-ResourceNotFound, 10010, 404 ("App not found", as the CC says it)
    return ApiError(404, 10010, "CF-ResourceNotFound", f"{kind} not found")


def unprocessable(detail):
    # docs/v3/.../concepts/_errors.md.erb: CF-UnprocessableEntity, 10008, 422, the detail says why
    return ApiError(422, 10008, "CF-UnprocessableEntity", detail)


def timestamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# docs/v3/.../resources/deployments/_object.md.erb: status.value ACTIVE (reasons DEPLOYING, PAUSED, CANCELING)
# or FINALIZED (DEPLOYED, CANCELED, SUPERSEDED). The internal states are app/models/runtime/deployment_model.rb's.
PROGRESSING = ("DEPLOYING", "PREPAUSED", "PAUSED")


class World:
    def __init__(self):
        self.clock = 0
        # Ticks each asynchronous step takes; a test may change them through /_test/seed.
        # droplets_kept: config/cloud_controller.yml `droplets.max_staged_droplets_stored` (42 there, 5 in
        # config/bosh-lite.yml); seeds may lower it to try a rollback to a droplet no longer kept
        self.timing = {"upload": 1, "staging": 3, "starting": 2, "job": 2, "droplets_kept": 5}
        self.users = {}
        self.tokens = {}  # token -> {"user", "number", "expired"}
        self.seq = 0
        self.tables = {name: {} for name in (
            "organizations", "spaces", "domains", "apps", "processes", "packages", "builds", "droplets",
            "deployments", "revisions", "routes", "service_instances", "bindings", "jobs")}
        self.scripts = []  # faults a test asked for, consumed as they fire
        self.uploads = {}  # package guid -> what the upload held

    # ---- records ---------------------------------------------------------------------------------------

    def add(self, table, record):
        self.seq += 1
        record.setdefault("guid", str(uuid.uuid4()))
        record["seq"] = self.seq
        record["created_at"] = record["updated_at"] = timestamp()
        self.tables[table][record["guid"]] = record
        return record

    def get(self, table, guid, kind):
        record = self.tables[table].get(guid)
        if record is None:
            raise not_found(kind)
        return record

    def all(self, table, keep=lambda r: True):
        return sorted((r for r in self.tables[table].values() if keep(r)), key=lambda r: r["seq"])

    def touch(self, record, **changes):
        record.update(changes)
        record["updated_at"] = timestamp()

    def script(self, kind, match):
        """Takes the first pending fault of `kind` for which `match` holds, or None."""
        for i, s in enumerate(self.scripts):
            if s["kind"] == kind and match(s):
                return self.scripts.pop(i)
        return None

    # ---- seeding (what an operator made before slipway runs) -----------------------------------------------

    def seed(self, spec):
        self.users.update(spec.get("users", {}))
        self.timing.update(spec.get("timing", {}))
        for org in spec.get("organizations", []):
            o = self.add("organizations", {"name": org["name"]})
            for space in org.get("spaces", []):
                self.add("spaces", {"name": space, "organization": o["guid"]})
        for name in spec.get("domains", []):
            self.add("domains", {"name": name})
        for si in spec.get("service_instances", []):
            # a space's name is unique in its organization only: `organization` says which, when given
            org = si.get("organization")
            space = next(s for s in self.all("spaces") if s["name"] == si["space"]
                         and (org is None or self.tables["organizations"][s["organization"]]["name"] == org))
            self.add("service_instances", {"name": si["name"], "space": space["guid"],
                                           "type": si.get("type", "managed")})

    # ---- time ----------------------------------------------------------------------------------------------

    def tick(self):
        self.clock += 1
        for p in self.all("packages", lambda p: p["state"] == "PROCESSING_UPLOAD" and p["ready_at"] <= self.clock):
            self.finish_upload(p)
        for b in self.all("builds", lambda b: b["state"] == "STAGING" and b["done_at"] <= self.clock):
            self.finish_build(b)
        for j in self.all("jobs", lambda j: j["state"] == "PROCESSING" and j["done_at"] <= self.clock):
            self.finish_job(j)
        for p in self.all("processes"):
            self.reconcile(p)
        # lib/cloud_controller/deployment_updater/dispatcher.rb: DEPLOYING deployments scale, PREPAUSED ones
        # canary, CANCELING ones cancel, each time the updater runs.
        for d in self.all("deployments"):
            if d["state"] == "DEPLOYING":
                if self.scale(d, self.desired_web_instances(d), self.desired_web_instances(d)):
                    self.finalize(d)
            elif d["state"] == "PREPAUSED":
                canary, original = self.canary_step(d)
                if self.scale(d, canary + original, canary):
                    # lib/cloud_controller/deployment_updater/updater.rb `canary`: ACTIVE, reason PAUSED
                    self.touch(d, state="PAUSED", value="ACTIVE", reason="PAUSED")
            elif d["state"] == "CANCELING":
                self.finish_cancel(d)

    # ---- apps and processes --------------------------------------------------------------------------------

    def create_process(self, app, kind, **fields):
        # app/actions/app_create.rb makes the web process with the app's guid; a web process runs 1 instance
        # and other types 0 until scaled. Defaults: docs/v3/.../processes/_health_check_object.md.erb (type
        # `port`), _readiness_health_check_object.md.erb (`process`).
        record = {"app": app["guid"], "type": kind, "command": None, "instances": 1 if kind == "web" else 0,
                  "memory_in_mb": 1024, "disk_in_mb": 1024, "log_rate": -1,
                  "health_check": {"type": "port", "data": {"timeout": None, "invocation_timeout": None,
                                                            "interval": None}},
                  "readiness": {"type": "process", "data": {"invocation_timeout": None, "interval": None}},
                  "state": app["state"], "revision": None, "inst": [], "crash": [], "version": str(uuid.uuid4())}
        record.update(fields)
        return self.add("processes", record)

    def processes_of(self, app, kind=None):
        return self.all("processes", lambda p: p["app"] == app["guid"] and (kind is None or p["type"] == kind))

    def deploying(self, app):
        """The app's deployment in flight (app/models/runtime/deployment_model.rb PROGRESSING_STATES), if any."""
        return next((d for d in self.all("deployments", lambda d: d["app"] == app["guid"])
                     if d["state"] in PROGRESSING), None)

    def reconcile(self, p):
        """What Diego does: runs as many instances as desired, each STARTING for a few ticks, then RUNNING or
        CRASHED (docs/v3/.../processes/_stats_object.md.erb: RUNNING, CRASHED, STARTING, STOPPING, DOWN)."""
        if p["state"] != "STARTED":
            p["inst"] = []
            return
        while len(p["inst"]) < p["instances"]:
            index = len(p["inst"])
            p["inst"].append({"index": index, "state": "STARTING", "guid": str(uuid.uuid4()),
                              "ready_at": self.clock + self.timing["starting"], "since": self.clock})
        del p["inst"][p["instances"]:]
        for i in p["inst"]:
            if i["state"] == "STARTING" and i["ready_at"] <= self.clock:
                i["state"] = "CRASHED" if i["index"] in p["crash"] else "RUNNING"
                i["since"] = self.clock

    def assign_droplet(self, app, droplet):
        # app/actions/app_assign_droplet.rb: the droplet must be the app's; its process types become processes.
        if droplet is None or droplet["app"] != app["guid"] or droplet["state"] != "STAGED":
            raise unprocessable("Unable to assign current droplet. Ensure the droplet exists and belongs to this app.")
        self.touch(app, droplet=droplet["guid"])
        for kind, command in (droplet.get("process_types") or {}).items():
            if not self.processes_of(app, kind):
                self.create_process(app, kind)
        return app

    def start(self, app, create_revision=True):
        # docs/v3/.../apps/_start.md.erb; app/actions/app_start.rb makes a revision when a stopped app starts.
        if not app.get("droplet"):
            raise unprocessable("Assign a droplet before starting this app.")
        if app["state"] != "STARTED" and create_revision:
            self.revise(app)
        self.touch(app, state="STARTED")
        for p in self.processes_of(app):
            self.touch(p, state="STARTED", revision=app.get("revision"))

    def stop(self, app):
        # docs/v3/.../apps/_stop.md.erb: desired state STOPPED; the runtime stops every instance.
        self.touch(app, state="STOPPED")
        for p in self.processes_of(app):
            self.touch(p, state="STOPPED")
            p["inst"] = []

    # ---- revisions -----------------------------------------------------------------------------------------

    def revise(self, app, rollback_to=None):
        """app/actions/revision_resolver.rb: a new revision when the droplet or the environment variables
        differ from the latest one's ("Initial revision." first), else the latest one; a rollback to a
        revision that changes nothing is refused."""
        if not app.get("droplet"):
            return None
        revisions = self.all("revisions", lambda r: r["app"] == app["guid"])
        latest = revisions[-1] if revisions else None
        if latest is None:
            description = "Initial revision."
        else:
            reasons = []
            if latest["droplet"] != app["droplet"]:
                reasons.append("New droplet deployed.")
            if latest["env"] != app["env"]:
                reasons.append("New environment variables deployed.")
            reasons.sort()
            if rollback_to is not None:
                if not reasons:
                    raise unprocessable("Unable to rollback. The code and configuration you are rolling back to is "
                                        "the same as the deployed revision.")
                reasons.append(f"Rolled back to revision {rollback_to['version']}.")
            if not reasons:
                app["revision"] = latest["guid"]
                return latest
            description = " ".join(reasons)
        commands = {p["type"]: {"command": p["command"]} for p in self.processes_of(app)}
        # docs/v3/.../revisions/_object.md.erb: version starts at 1 and increments per app
        revision = self.add("revisions", {"app": app["guid"], "version": len(revisions) + 1, "droplet": app["droplet"],
                                          "env": dict(app["env"]), "description": description, "processes": commands})
        app["revision"] = revision["guid"]
        return revision

    # ---- packages, builds, droplets --------------------------------------------------------------------------

    def upload(self, package, bits, resources):
        # docs/v3/.../packages/_upload_bits.md.erb: a zip under the `bits` field; the package is then
        # PROCESSING_UPLOAD (app/actions/package_upload.rb) until the bits are stored: READY, or FAILED.
        if package["type"] != "bits" or package["state"] != "AWAITING_UPLOAD":
            raise unprocessable("Package type must be bits." if package["type"] != "bits"
                                else "Unable to upload bits to a package that is not awaiting upload.")
        entries = None
        try:
            with zipfile.ZipFile(io.BytesIO(bits)) as z:
                entries = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}
        except zipfile.BadZipFile:
            pass
        self.uploads[package["guid"]] = {"size": len(bits), "sha256": hashlib.sha256(bits).hexdigest(),
                                         "files": sorted(entries) if entries is not None else None,
                                         "resources": resources}
        package["entries"] = entries
        self.touch(package, state="PROCESSING_UPLOAD", ready_at=self.clock + self.timing["upload"])

    def finish_upload(self, package):
        if package["entries"] is None:
            # docs/v3/.../packages/_object.md.erb: data.error holds the error message
            self.touch(package, state="FAILED")
            package["data"]["error"] = "Error while uploading bits: the upload is not a zip file"
        else:
            self.touch(package, state="READY")
            package["data"]["checksum"]["value"] = self.uploads[package["guid"]]["sha256"]

    def create_build(self, package, lifecycle):
        # app/actions/build_create.rb: only a READY package can be staged.
        if package["state"] != "READY":
            raise unprocessable("Cannot stage package whose state is not ready.")
        app = self.tables["apps"][package["app"]]
        failure = self.script("fail_staging", lambda s: s["app"] == app["name"])
        return self.add("builds", {"app": app["guid"], "package": package["guid"], "state": "STAGING",
                                   "error": None, "droplet": None, "lifecycle": lifecycle or app["lifecycle"],
                                   "done_at": self.clock + self.timing["staging"], "failure": failure})

    def finish_build(self, build):
        package = self.tables["packages"][build["package"]]
        if build["failure"]:
            # docs/v3/.../builds/_object.md.erb: state FAILED, `error` describes it. Its form is
            # app/presenters/v3/build_presenter.rb's "<error_id> - <message>", the message from errors/v2.yml.
            f = build["failure"]
            message = STAGING_ERRORS.get(f.get("error_id", "StagingError"), "Staging error: %s")
            if "%s" in message:
                message = message % f.get("details", "staging failed")
            self.touch(build, state="FAILED", error=f"{f.get('error_id', 'StagingError')} - {message}")
            return
        if package["type"] == "docker":
            # docs/v3/.../droplets/_object.md.erb: a docker droplet names its image; lifecycle.data is {}
            fields = {"lifecycle": {"type": "docker", "data": {}}, "image": package["data"]["image"],
                      "process_types": {"web": ""}, "checksum": None, "stack": None, "buildpacks": None}
        else:
            # docs/v3/.../concepts/_procfiles.md.erb: a Procfile in the package's root declares process types
            procfile = (package.get("entries") or {}).get("Procfile", "")
            types = {k.strip(): v.strip() for k, _, v in
                     (line.partition(":") for line in procfile.splitlines() if ":" in line)}
            fields = {"lifecycle": {"type": "buildpack", "data": {}}, "image": None,
                      "process_types": types or {"web": ""}, "stack": "cflinuxfs4", "buildpacks": [],
                      "checksum": {"type": "sha256", "value": self.uploads[package["guid"]]["sha256"]}}
        droplet = self.add("droplets", {"app": build["app"], "package": package["guid"], "state": "STAGED",
                                        "error": None, **fields})
        self.touch(build, state="STAGED", droplet=droplet["guid"])
        self.expire_droplets(self.tables["apps"][build["app"]])

    def expire_droplets(self, app):
        """lib/cloud_controller/bits_expiration.rb `expire_droplets!`, run when staging completes
        (lib/cloud_controller/diego/staging_completion_handler.rb): of the app's STAGED and FAILED droplets
        other than its current one, all but the newest `droplets_kept` become EXPIRED."""
        candidates = [d for d in self.all("droplets", lambda d: d["app"] == app["guid"])
                      if d["state"] in ("STAGED", "FAILED") and d["guid"] != app.get("droplet")]
        keep = self.timing["droplets_kept"]
        if len(candidates) < keep:
            return
        for d in candidates[:len(candidates) - keep]:  # oldest first: tables keep the order of creation
            self.touch(d, state="EXPIRED")

    # ---- deployments -----------------------------------------------------------------------------------------

    def create_deployment(self, app, body):
        """docs/v3/.../deployments/_create.md.erb, as app/actions/deployment_create.rb carries it out."""
        droplet_ref = (body.get("droplet") or {}).get("guid")
        revision_ref = (body.get("revision") or {}).get("guid")
        if droplet_ref and revision_ref:
            raise unprocessable("Droplet Cannot set both fields 'droplet' and 'revision'")
        strategy = body.get("strategy") or "rolling"
        if strategy not in ("rolling", "canary"):
            raise unprocessable(f"Strategy '{strategy}' is not a supported deployment strategy")
        options = body.get("options") or {}
        max_in_flight = options.get("max_in_flight", 1)
        if not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise unprocessable("Max in flight must be an integer greater than 0")
        if "canary" in options and strategy != "canary":
            raise unprocessable("Options canary are only valid for Canary deployments")
        steps = (options.get("canary") or {}).get("steps")
        if steps is not None:
            weights = [s.get("instance_weight") for s in steps]
            if any(not isinstance(w, int) or not 1 <= w <= 100 for w in weights):
                raise unprocessable("Options canary steps instance weight must be an Integer between 1-100 (inclusive)")
            if weights != sorted(weights):
                raise unprocessable("Options canary steps instance weight must be sorted in ascending order")
        revision = None
        if revision_ref:
            revision = self.tables["revisions"].get(revision_ref)
            if revision is None:
                raise unprocessable("The revision does not exist")
            droplet = self.tables["droplets"].get(revision["droplet"])
        else:
            droplet = self.tables["droplets"].get(droplet_ref or app.get("droplet"))
        if droplet is None:
            raise unprocessable("Invalid droplet. Please specify a droplet in the request or set a current droplet "
                                "for the app.")
        previous_droplet = app.get("droplet")
        self.assign_droplet(app, droplet)
        if revision is not None:
            app["env"] = dict(revision["env"])
        new_revision = self.revise(app, rollback_to=revision)
        previous = next((d for d in self.all("deployments", lambda d: d["app"] == app["guid"])
                         if d["value"] == "ACTIVE"), None)
        webs = self.processes_of(app, "web")
        original = previous["original_instances"] if previous else webs[0]["instances"]
        d = self.add("deployments", {
            "app": app["guid"], "state": "PREPAUSED" if strategy == "canary" else "DEPLOYING", "value": "ACTIVE",
            "reason": "DEPLOYING", "error": None, "strategy": strategy, "droplet": droplet["guid"],
            "previous_droplet": previous_droplet, "original_instances": original,
            "revision": new_revision and {"guid": new_revision["guid"], "version": new_revision["version"]},
            "max_in_flight": max_in_flight, "web_instances": options.get("web_instances"),
            "memory_in_mb": options.get("memory_in_mb"), "disk_in_mb": options.get("disk_in_mb"),
            "canary_steps": steps, "canary_current": 1 if strategy == "canary" else None, "new_processes": []})
        sizes = {k: options[k] for k in ("memory_in_mb", "disk_in_mb") if options.get(k)}
        if app["state"] == "STOPPED":
            # A stopped app is started with the droplet at once: the deployment is DEPLOYED when made.
            process = webs[-1]
            process.update(sizes)
            if d["web_instances"]:
                process["instances"] = d["web_instances"]
            self.start(app, create_revision=False)
            self.touch(d, state="DEPLOYED", value="FINALIZED", reason="DEPLOYED", process=process["guid"])
            return d
        if strategy == "canary":
            starting = self.canary_step(d)[0]
        else:
            starting = d["web_instances"] or original
        newest = webs[-1]
        # the deployment's memory_in_mb and disk_in_mb, when given, size its new process instead of the old's
        sized = {"memory_in_mb": newest["memory_in_mb"], "disk_in_mb": newest["disk_in_mb"], **sizes}
        process = self.create_process(
            app, "web", command=newest["command"], health_check=dict(newest["health_check"]),
            readiness=dict(newest["readiness"]), instances=min(max_in_flight, starting), state="STARTED",
            revision=new_revision and new_revision["guid"], **sized)
        crash = self.script("crash", lambda s: s["app"] == app["name"])
        if crash:
            process["crash"] = crash.get("indexes", [0])
        if previous:
            # app/actions/deployment_create.rb `supersede_deployment`: FINALIZED, reason SUPERSEDED
            self.touch(previous, state="DEPLOYED" if previous["state"] == "DEPLOYING" else "CANCELED",
                       value="FINALIZED", reason="SUPERSEDED")
        d["process"] = process["guid"]
        d["new_processes"] = [{"guid": process["guid"], "type": "web"}]
        return d

    def desired_web_instances(self, d):
        return d["web_instances"] or d["original_instances"]

    def canary_step(self, d):
        """app/models/runtime/deployment_model.rb `canary_step_plan`: (canary, original) instances of the
        current step; without steps, one canary instance."""
        if not d["canary_steps"]:
            return 1, d["original_instances"]
        instances = d["original_instances"]
        if d["web_instances"] and d["web_instances"] < instances:
            instances = d["web_instances"]
        weight = d["canary_steps"][d["canary_current"] - 1]["instance_weight"]
        canary = max(int(instances * weight / 100 + 0.5), 1)  # Ruby's round: halves away from zero
        return canary, 0 if weight == 100 else instances - canary + 1

    def scale(self, d, target_total, interim):
        """lib/cloud_controller/deployment_updater/actions/scale.rb, up_scaler.rb and down_scaler.rb: the old
        web processes shrink as the new one's instances become routable, and the new one grows by
        max_in_flight only while no instance of it is unhealthy. True when it has `interim` routable."""
        app = self.tables["apps"][d["app"]]
        new = self.tables["processes"][d["process"]]
        starting = sum(i["state"] == "STARTING" for i in new["inst"])
        unhealthy = sum(i["state"] == "CRASHED" for i in new["inst"])
        routable = sum(i["state"] == "RUNNING" for i in new["inst"])
        old = [p for p in self.processes_of(app, "web") if p["guid"] != new["guid"]]
        desired_old = max(target_total - routable, 0)
        can_down = sum(p["instances"] for p in old) > desired_old
        can_up = starting < d["max_in_flight"] and unhealthy == 0 and routable >= new["instances"] - d["max_in_flight"]
        if not (can_up or can_down):
            return False
        self.touch(d, value="ACTIVE", reason="DEPLOYING", error=None)
        if can_down:
            reduce = sum(p["instances"] for p in old) - desired_old
            for p in old:
                take = min(reduce, p["instances"])
                p["instances"] -= take
                reduce -= take
        if new["instances"] >= interim and routable >= interim:
            return True
        if can_up:
            new["instances"] = min(routable + d["max_in_flight"], interim)
        return False

    def finalize(self, d):
        # lib/cloud_controller/deployment_updater/actions/finalize.rb: the other web processes go;
        # docs/v3/.../deployments/_object.md.erb: status.value ACTIVE -> FINALIZED, reason DEPLOYED
        app = self.tables["apps"][d["app"]]
        for p in self.processes_of(app, "web"):
            if p["guid"] != d["process"]:
                del self.tables["processes"][p["guid"]]
        self.touch(d, state="DEPLOYED", value="FINALIZED", reason="DEPLOYED")

    def cancel(self, d):
        # app/actions/deployment_cancel.rb: only an ACTIVE deployment can be canceled; the app's current
        # droplet goes back to the previous one at once, and the deployment is ACTIVE, reason CANCELING.
        if d["state"] not in PROGRESSING + ("CANCELING",):
            raise unprocessable(f"Cannot cancel a deployment with status: {d['value']} and reason: {d['reason']}")
        app = self.tables["apps"][d["app"]]
        if d["previous_droplet"]:
            self.touch(app, droplet=d["previous_droplet"])
        self.touch(d, state="CANCELING", value="ACTIVE", reason="CANCELING")

    def finish_cancel(self, d):
        # lib/cloud_controller/deployment_updater/actions/cancel.rb: the oldest web process is scaled back to
        # the deployment's original instance count, the others go; FINALIZED, reason CANCELED.
        app = self.tables["apps"][d["app"]]
        webs = self.processes_of(app, "web")
        prior = webs[0]
        for p in webs[1:]:
            del self.tables["processes"][p["guid"]]
        prior["instances"] = d["original_instances"]
        self.touch(d, state="CANCELED", value="FINALIZED", reason="CANCELED", error=None)

    def resume(self, d):
        # app/actions/deployment_continue.rb: only a PAUSED deployment continues; to the next canary step
        # (PREPAUSED) if there is one, else DEPLOYING to the end.
        if d["state"] != "PAUSED":
            raise unprocessable(f"Cannot continue a deployment with status: {d['value']} and reason: {d['reason']}")
        if d["canary_steps"] and d["canary_current"] < len(d["canary_steps"]):
            self.touch(d, state="PREPAUSED", value="ACTIVE", reason="DEPLOYING", canary_current=d["canary_current"] + 1)
        else:
            self.touch(d, state="DEPLOYING", value="ACTIVE", reason="DEPLOYING")

    # ---- jobs ------------------------------------------------------------------------------------------------

    def create_job(self, operation, resource_type, resource, on_complete=None, failure=None):
        # docs/v3/.../jobs/_object.md.erb: PROCESSING until COMPLETE or FAILED
        return self.add("jobs", {"operation": operation, "state": "PROCESSING", "errors": [], "warnings": [],
                                 "resource_type": resource_type, "resource": resource, "failure": failure,
                                 "on_complete": on_complete, "done_at": self.clock + self.timing["job"]})

    def finish_job(self, job):
        if job["failure"]:
            self.touch(job, state="FAILED", errors=[job["failure"]])
        else:
            self.touch(job, state="COMPLETE")
        if job["on_complete"]:
            job["on_complete"](job["state"] == "COMPLETE")


# errors/v2.yml: the staging errors a build's `error` names (app/models/runtime/build_model.rb STAGING_FAILED_REASONS)
STAGING_ERRORS = {
    "StagingError": "Staging error: %s",
    "NoAppDetectedError": "An app was not successfully detected by any available buildpack",
    "BuildpackCompileFailed": "App staging failed in the buildpack compile phase",
    "BuildpackReleaseFailed": "App staging failed in the buildpack release phase",
    "InsufficientResources": "Insufficient resources",
    "NoCompatibleCell": "Found no compatible cell",
    "StagingTimeExpired": "Staging time expired: %s",
}
