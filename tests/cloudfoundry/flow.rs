//! The cloud.gov flow of `shared/flows/cloudgov-four-environments.md` (four environments, `experiment`
//! and `development` side by side in space `dev`) walked through the code the commands run
//! (`slipway::ops::deploy::run_on`) against the v3 API server: deploys in dependency order, a failed
//! staging of the frontend that brings the backend back to its previous droplet, a rollback to an earlier
//! release's droplets, and one refused by name when Cloud Controller no longer keeps a droplet. The
//! ledger's per-app records and what the server received are asserted; every output stream of the runs
//! is searched for every token the server issued.

use std::cell::RefCell;
use std::time::Duration;

use serde_json::{Value, json};
use slipway::apply::cloudformation::{ApprovalMode, Approver, Ending, EventLines, InFlight, Options};
use slipway::clock::{Clock, SystemClock};
use slipway::cloud::Poll;
use slipway::cloudfoundry::CloudFoundry;
use slipway::ledger::{self, Actor, AppRecord, Phase, RunKind};
use slipway::model::Definitions;
use slipway::ops::deploy::{End, Io, Request, Targets};
use slipway::ops::run::LockOptions;
use slipway::ops::{Context, OpsError};
use slipway::release::{self, ReleaseInfo};
use slipway::store::Store;

use super::{CfServer, run};
use crate::support::tempdir;

const ORG: &str = "hhs-tanf";

/// The backend's start command in release r3 (r1 and r2 have the flow's own).
const R3_COMMAND: &str = "./serve --workers 4";

/// No stack change is ever asked about here (there are no stacks).
struct Refuse;

impl Approver for Refuse {
    fn approve(&mut self, _: &str, _: &slipway::diff::StackDiff) -> bool {
        false
    }
}

struct Walk {
    server: CfServer,
    cf: CloudFoundry,
    store: Store,
    _dir: tempfile::TempDir,
    project: Definitions,
    log: RefCell<Vec<u8>>,
}

impl Walk {
    fn new() -> Walk {
        let server = CfServer::start();
        let mut project = crate::model::reference_flows::cloud_gov_four();
        // Run from images, so that each release's code is its tag.
        project.services = std::mem::take(&mut project.services).into_iter().map(|s| s.docker()).collect();
        let instances: Vec<Value> = [("experiment", "dev"), ("development", "dev"), ("staging", "staging")]
            .iter()
            .map(|(env, space)| json!({ "name": format!("tdp-secrets-{env}"), "space": space, "organization": ORG }))
            .collect();
        server.control(
            "POST",
            "/_test/seed",
            &json!({ "organizations": [{ "name": ORG, "spaces": ["dev", "staging", "prod"] }], "service_instances": instances }),
        );
        let dir = tempdir();
        let store = Store::local(&dir.path().join("store"));
        let cf = server.client();
        Walk { server, cf, store, _dir: dir, project, log: RefCell::new(Vec::new()) }
    }

    fn release(&self, id: &str, git_ref: &str) {
        self.release_from(&self.project, id, git_ref);
    }

    /// Release `id` of `project` (the walk's, changed).
    fn release_from(&self, project: &Definitions, id: &str, git_ref: &str) {
        let set = crate::support::synth(project, &[]).expect("the flow synthesizes");
        let info = ReleaseInfo {
            id: id.into(),
            commit: Some(format!("commit-of-{id}")),
            git_ref: Some(git_ref.into()),
            created_at: SystemClock.now(),
            created_by: "vendor1".into(),
            slipway_version: "test".into(),
            environments: set.environments.clone(),
            dirty: vec![],
        };
        run(crate::support::create_release(&self.store, &info, &set));
    }

    fn run(&self, kind: RunKind, release: &str, env: &str) -> Result<(Ending, Vec<AppRecord>), OpsError> {
        let actor = Actor { name: "ci".into(), ci_run: None };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &SystemClock };
        let target = self.project.find(env).unwrap();
        let options = Options {
            concurrency: 1,
            approval: ApprovalMode::Never,
            yes: true,
            interactive: false,
            skip_resources: vec![],
            in_progress_wait: Duration::from_secs(1),
            poll: Poll { min: Duration::from_millis(20), max: Duration::from_millis(100) },
            artifacts_bucket: None,
            smoke: true,
            bake: true,
        };
        run(async {
            let release = release::read(&self.store, release).await.unwrap();
            let req = Request {
                env: target,
                release: &release,
                kind,
                from: None,
                approvals: vec![],
                reason: (kind == RunKind::Rollback).then(|| "r3 breaks uploads".to_string()),
                break_freeze: false,
                break_window: false,
                apply: &options,
                lock: LockOptions {
                    wait: Duration::ZERO,
                    ttl: Duration::from_secs(600),
                    poll: Duration::from_millis(10),
                },
                host: None,
            };
            let mut log = Vec::new();
            let mut reporter = EventLines::new(&mut log);
            let in_flight = RefCell::new(InFlight::default());
            let io = Io {
                reporter: &mut reporter,
                approver: &mut Refuse,
                in_flight: &in_flight,
                interrupt: std::future::pending(),
            };
            let targets = Targets { aws: None, cloud_gov: Some(&self.cf) };
            let ran = slipway::ops::deploy::run_on(&cx, &req, targets, io).await;
            self.log.borrow_mut().extend(log);
            let ran = ran?;
            match ran.end {
                End::Applied(applied) => Ok((applied.ending, ran.apps)),
                End::Interrupted(_) => panic!("nothing interrupts the walk"),
            }
        })
    }

    /// The guid and current droplet's image of app `name`.
    fn running(&self, name: &str) -> (String, Option<String>) {
        run(async {
            let org = self.cf.organization(ORG).await.unwrap();
            let env = name.rsplit('-').next().unwrap();
            let space = match env {
                "experiment" | "development" => "dev",
                other => other,
            };
            let space = self.cf.space(&org.guid, space).await.unwrap();
            let app = self.cf.app_named(&space.guid, name).await.unwrap().unwrap_or_else(|| panic!("no app {name}"));
            let droplet = self.cf.current_droplet(&app.guid).await.unwrap();
            (app.guid, droplet.and_then(|d| d.image))
        })
    }

    /// The last finished record of `env`.
    fn finished(&self, env: &str) -> ledger::Record {
        let records = run(ledger::records(&self.store, env)).unwrap();
        records.into_iter().rev().find(|r| r.phase == Phase::Finished).unwrap()
    }
}

fn image(app: &str, release: &str) -> Option<String> {
    // An image reference is lowercase, whatever case the owner is written in.
    Some(format!("ghcr.io/hhs/tdp-{app}:{release}"))
}

#[test]
fn the_cloud_gov_flow_deploys_rolls_back_a_failed_staging_and_goes_back_to_a_release() {
    let w = Walk::new();
    w.release("r1", "refs/heads/feature/upload");
    w.release("r2", "refs/heads/feature/upload");
    // r3 starts the backend with a command of its own.
    let mut with_command = w.project.clone();
    with_command.services.iter_mut().filter(|s| s.name == "backend").for_each(|s| s.command = Some(R3_COMMAND.into()));
    w.release_from(&with_command, "r3", "refs/heads/feature/upload");

    // r1 into both environments of space dev: two app pairs side by side.
    let (ending, apps) = w.run(RunKind::Deploy, "r1", "experiment").unwrap();
    assert_eq!(ending, Ending::Deployed);
    // The backend first: the frontend calls it.
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["tdp-backend-experiment", "tdp-frontend-experiment"]);
    assert!(apps.iter().all(|a| a.result == "deployed" && a.droplet.is_some() && a.previous_droplet.is_none()));
    assert!(apps.iter().all(|a| a.revision.as_deref().is_some_and(|r| r.starts_with("1 "))), "{apps:?}");
    assert_eq!(w.finished("experiment").apps, apps, "the ledger records each app's droplet and revision");
    assert_eq!(w.run(RunKind::Deploy, "r1", "development").unwrap().0, Ending::Deployed);
    let (backend, r1_image) = w.running("tdp-backend-experiment");
    assert_eq!(r1_image, image("backend", "r1"));
    assert_eq!(w.running("tdp-frontend-development").1, image("frontend", "r1"));
    let deployments: Vec<String> = w
        .server
        .received("POST", "/v3/deployments")
        .iter()
        .map(|r| r["body"]["relationships"]["app"]["data"]["guid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(deployments[0], backend, "the backend's deployment is made before the frontend's");
    let env = run(w.cf.environment_variables(&backend)).unwrap();
    assert_eq!(env.var["RELEASE"], "r1");
    assert_eq!(env.var["APP_ENV"], "experiment");

    // r2 rolls out over r1.
    let (ending, apps) = w.run(RunKind::Deploy, "r2", "experiment").unwrap();
    assert_eq!(ending, Ending::Deployed);
    let before: Vec<Option<String>> = run(ledger::records(&w.store, "experiment"))
        .unwrap()
        .iter()
        .find(|r| r.phase == Phase::Finished)
        .unwrap()
        .apps
        .iter()
        .map(|a| a.droplet.clone())
        .collect();
    assert_eq!(apps.iter().map(|a| a.previous_droplet.clone()).collect::<Vec<_>>(), before);
    let r2_backend_droplet = apps[0].droplet.clone().unwrap();
    assert_eq!(w.running("tdp-backend-experiment").1, image("backend", "r2"));

    let web = |app: &str| run(w.cf.process(app, "web")).unwrap();
    let r2_process = web(&backend);
    assert_ne!(r2_process.command.as_deref(), Some(R3_COMMAND));
    let patches_before = w.server.received("PATCH", "/v3/processes/").len();

    // r3's frontend fails staging: the backend, already on r3 (its command too), goes back to r2's droplet
    // and its process to r2's command and health check.
    w.server
        .script(json!({ "kind": "fail_staging", "app": "tdp-frontend-experiment", "error_id": "NoAppDetectedError" }));
    let (ending, apps) = w.run(RunKind::Deploy, "r3", "experiment").unwrap();
    let Ending::RolledBack { cause } = &ending else { panic!("{ending:?}") };
    assert!(cause.contains("app tdp-frontend-experiment") && cause.contains("NoAppDetectedError"), "{cause}");
    assert_eq!(w.running("tdp-backend-experiment").1, image("backend", "r2"), "the backend is back on r2");
    assert_eq!(w.running("tdp-frontend-experiment").1, image("frontend", "r2"));
    assert!(
        apps[0].result.starts_with("deployed; rollback:") && apps[0].result.contains(&r2_backend_droplet),
        "{apps:?}"
    );
    assert!(apps[1].result.starts_with("failed:"), "{apps:?}");
    let record = w.finished("experiment");
    assert_eq!(record.outcome.map(|o| o.as_str()), Some("rolled-back"));
    assert_eq!(record.apps, apps);
    assert_eq!(run(w.cf.environment_variables(&backend)).unwrap().var["RELEASE"], "r2", "its variables are back");
    // (Each deployment replaced the process: its PATCHes are the run's with a command in the body.)
    let patched: Vec<Value> = w.server.received("PATCH", "/v3/processes/")[patches_before..]
        .iter()
        .filter_map(|r| r["body"].get("command").cloned())
        .collect();
    assert_eq!(patched, [json!(R3_COMMAND), json!(r2_process.command)], "r3's command set, then put back");
    let back = web(&backend);
    assert_eq!((back.command, back.health_check), (r2_process.command, r2_process.health_check));

    // A rollback to r1 redeploys r1's droplets: nothing is staged again.
    let packages = w.server.received("POST", "/v3/packages").len();
    let (ending, apps) = w.run(RunKind::Rollback, "r1", "experiment").unwrap();
    assert_eq!(ending, Ending::Deployed);
    assert_eq!(w.server.received("POST", "/v3/packages").len(), packages, "no package for a rollback");
    assert_eq!(w.running("tdp-backend-experiment").1, image("backend", "r1"));
    assert_eq!(w.running("tdp-frontend-experiment").1, image("frontend", "r1"));
    assert!(apps.iter().all(|a| a.result == "deployed"), "{apps:?}");

    // `status` finds the apps as r1 left them; a change made by hand shows, by meaning.
    let drift = || {
        let actor = Actor { name: "ana".into(), ci_run: None };
        let cx = Context { project: &w.project, store: &w.store, actor: &actor, clock: &SystemClock };
        run(slipway::ops::cloudgov::drift(&cx, w.project.find("experiment").unwrap(), &w.cf)).unwrap().unwrap()
    };
    assert!(drift().values().all(Vec::is_empty), "{:?}", drift());
    run(async {
        let web = w.cf.process(&backend, "web").await.unwrap();
        let scale = slipway::cloudfoundry::Scale { instances: Some(3), ..Default::default() };
        w.cf.scale_process(&web.guid, &scale).await.unwrap();
        let debug = std::collections::BTreeMap::from([("DEBUG".to_string(), Some("1".to_string()))]);
        w.cf.update_environment_variables(&backend, &debug).await.unwrap();
    });
    assert_eq!(
        drift()["tdp-backend-experiment"],
        ["instances 3 -> 1", "variable DEBUG would be removed"],
        "what differs from r1's manifest"
    );
    assert!(drift()["tdp-frontend-experiment"].is_empty());

    // Cloud Controller keeps only an app's newest droplets: once r1's is expired, a rollback to r1 in
    // `development` is refused by name, and nothing there changes.
    w.server.control("POST", "/_test/seed", &json!({ "timing": { "droplets_kept": 1 } }));
    w.release("r4", "refs/heads/feature/upload");
    w.release("r5", "refs/heads/feature/upload");
    assert_eq!(w.run(RunKind::Deploy, "r4", "development").unwrap().0, Ending::Deployed);
    assert_eq!(w.run(RunKind::Deploy, "r5", "development").unwrap().0, Ending::Deployed);
    let deployments = w.server.received("POST", "/v3/deployments").len();
    let refused = w.run(RunKind::Rollback, "r1", "development").unwrap_err().to_string();
    assert!(
        refused.contains("cloud.gov no longer keeps droplet") && refused.contains("of app tdp-backend-development"),
        "{refused}"
    );
    assert_eq!(w.server.received("POST", "/v3/deployments").len(), deployments, "nothing was deployed");
    assert_eq!(w.running("tdp-backend-development").1, image("backend", "r5"));

    // No token in anything the runs wrote: their progress, the ledger, the errors.
    let tokens = w.server.tokens();
    assert!(!tokens.is_empty());
    let mut written = String::from_utf8(w.log.borrow().clone()).unwrap();
    written.push_str(&refused);
    for env in ["experiment", "development"] {
        for r in run(ledger::records(&w.store, env)).unwrap() {
            written.push_str(&serde_json::to_string(&r).unwrap());
        }
    }
    for token in &tokens {
        assert!(!written.contains(token.as_str()), "a token was written");
    }
    assert!(written.contains("tdp-backend-experiment: deployment"), "progress is shown:\n{written}");
}

#[test]
fn a_buildpack_app_gets_the_bits_its_release_zipped_and_one_without_any_is_refused_before_any_change() {
    use sha2::{Digest, Sha256};
    use slipway::ops::release::{NewRelease, Source};
    let mut w = Walk::new();
    // The frontend's files, in a directory of their own; the backend names none.
    let src = tempdir();
    std::fs::create_dir_all(src.path().join("public")).unwrap();
    std::fs::write(src.path().join("public/index.html"), "<h1>TANF data portal</h1>\n").unwrap();
    std::fs::write(src.path().join("Staticfile"), "root: public\n").unwrap();
    std::fs::write(src.path().join(".env"), "NOT_SHIPPED=1\n").unwrap();
    let dir = src.path().to_str().unwrap().to_string();
    w.project.services = crate::model::reference_flows::cloud_gov_four()
        .services
        .clone()
        .into_iter()
        .map(|s| if s.name == "frontend" { s.source(dir.clone()) } else { s.docker() })
        .collect();
    let actor = Actor { name: "vendor1".into(), ci_run: None };
    let cx = Context { project: &w.project, store: &w.store, actor: &actor, clock: &SystemClock };
    let set = crate::support::synth(&w.project, &[]).unwrap();
    let new = |id| NewRelease {
        id,
        commit: Some("abc".into()),
        git_ref: Some("refs/heads/feature/upload".into()),
        from: Source::Synthesized(&set),
        uncommitted: None,
        allow_dirty: false,
    };
    run(slipway::ops::release::create(&cx, &new("r1"), &mut EventLines::new(std::io::sink()))).unwrap();
    let release = run(release::read(&w.store, "r1")).unwrap();
    let key = slipway::ops::cloudgov::bits_key("experiment", "tdp-frontend-experiment");
    let bits = release.artifacts[&key].clone();
    // The same files make the same bytes: a second release of them is the same release's artifact.
    run(slipway::ops::release::create(&cx, &new("r2"), &mut EventLines::new(std::io::sink()))).unwrap();
    assert_eq!(run(release::read(&w.store, "r2")).unwrap().artifacts[&key], bits);

    let (ending, apps) = w.run(RunKind::Deploy, "r1", "experiment").unwrap();
    assert_eq!(ending, Ending::Deployed, "{apps:?}");
    let state = w.server.state();
    let uploads: Vec<&Value> = state["uploads"].as_object().unwrap().values().collect();
    assert_eq!(uploads.len(), 1, "one app is staged from bits");
    assert_eq!(uploads[0]["sha256"], format!("{:x}", Sha256::digest(&bits)));
    assert_eq!(uploads[0]["files"], json!(["Staticfile", "public/index.html"]), "hidden files stay out");
    let (frontend, _) = w.running("tdp-frontend-experiment");
    let droplet = run(w.cf.current_droplet(&frontend)).unwrap().unwrap();
    assert_eq!(droplet.lifecycle.kind, "buildpack");

    // A buildpack app whose release holds no bits: refused, naming it, before anything changes.
    w.project.services = w.project.services.clone().into_iter().map(|s| s.buildpacks(["python_buildpack"])).collect();
    w.release("r3", "refs/heads/feature/upload");
    let requests = w.server.state()["received"].as_array().unwrap().iter().filter(|r| r["method"] != "GET").count();
    let (ending, _) = w.run(RunKind::Deploy, "r3", "experiment").unwrap();
    let Ending::Refused { reason: cause } = ending else { panic!("{ending:?}") };
    assert!(
        cause.contains("app tdp-backend-experiment: it is staged by buildpacks and release r3 holds no code"),
        "{cause}"
    );
    let after = w.server.state()["received"].as_array().unwrap().iter().filter(|r| r["method"] != "GET").count();
    assert_eq!(after, requests, "nothing was changed");
}
