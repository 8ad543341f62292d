//! Feature demos end to end, through the code the `demo` commands run (`slipway::ops::demo`), on both kinds
//! of target at once: CloudFormation on moto, and a compose project on the test command's real Docker
//! engine with Compose v2, serving HTTP from locally built images. Each demo here is the reference
//! `feature_demo(name)` made runnable on the test engine ([`crate::demo::local`]) with an AWS target and a
//! small stack of its own (a bucket, a topic), and a cloud.gov target so that its app names and routes are
//! synthesized too.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_credential_types::Credentials;
use slipway::apply::cloudformation::{ApprovalMode, EventLines, Options};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::clock::{Clock, SystemClock};
use slipway::cloud::{Cloud, Connector, Destination, Poll, RegionRule, Settings, StackState};
use slipway::docker::{Compose, ServiceChange};
use slipway::ledger::demos::DemoStatus;
use slipway::ledger::{self, Actor, Outcome};
use slipway::model::{AccountId, Definitions, Environment, Project, Region, Rollback, Tier};
use slipway::ops::Context;
use slipway::ops::demo::list::{Listing, Places};
use slipway::ops::demo::{self, At, DownOutcome, UpOutcome, UpRequest};
use slipway::ops::run::LockOptions;
use slipway::store::Store;
use slipway::synth::rules::Rules;

use crate::demo::local::{BROKEN, demo_name, local_demo, local_image};
use crate::moto::Moto;
use crate::support::{Docker, TestClock, docker, http_get, tempdir};

/// The account and region demos' stacks go to (the reference `dev` environment's).
const ACCOUNT: AccountId = AccountId::new("111111111111");

/// A demo that runs on the test engine, with stacks and a cloud.gov target; left as it is when it fails.
fn demo_leaving(name: &str) -> Environment {
    local_demo(name).aws(ACCOUNT, Region::UsEast1).cloud_gov("webapp-org", "demos")
}

/// The same demo, brought back (or down) when it fails.
fn demo_restoring(name: &str) -> Environment {
    demo_leaving(name).rollback(Rollback::PreviousRelease)
}

/// A demo's stacks: one, with a bucket CloudFormation names after the stack and a topic named after the
/// release (so that a release changes it); permanent environments get the reference stacks.
fn stacks(project: &Project, env: &Environment) -> Vec<Stack> {
    if env.tier != Tier::Demo {
        return webapp::stacks::for_environment(project, env);
    }
    let mut t = Template::new(format!("{}-{}: the demo's files", project.name, env.name));
    t.parameter("Release", Parameter::string("the release the demo runs"));
    t.resource("Files", Resource::new("AWS::S3::Bucket"));
    t.resource("Events", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("demo-${Release}")));
    t.output("BucketName", Output::new("the demo's bucket", Expr::r#ref("Files")));
    vec![Stack::new("files", t)]
}

fn project(factory: fn(&str) -> Environment) -> Definitions {
    webapp::project().demos_from(factory).stacks_from(stacks)
}

/// Tags the test image as `tag` too, so that a demo can run release `tag`.
fn tag_image(engine: &Docker, tag: &str) {
    let (repository, release) = local_image();
    let out = engine.cli(&["tag", &format!("{repository}:{release}"), &format!("{repository}:{tag}")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// moto as the demos' account, the test engine, a store, and the demo commands' code.
struct Demos {
    moto: Moto,
    engine: Docker,
    compose: Compose,
    _dir: tempfile::TempDir,
    store: Store,
    project: Definitions,
    rt: tokio::runtime::Runtime,
    cloud: Cloud,
    log: RefCell<Vec<u8>>,
    /// The demos this test brought up: other tests' share the engine, and `ls` shows only these.
    mine: RefCell<BTreeSet<String>>,
    /// The time its operations read: a test moves it rather than sleeping.
    clock: TestClock,
}

impl Demos {
    fn new(factory: fn(&str) -> Environment) -> Demos {
        let moto = Moto::start();
        let engine = docker();
        let compose = engine.compose();
        let dir = tempdir();
        let store = Store::local(&dir.path().join("store"));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&moto.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
        let cloud = rt.block_on(async {
            let connector = Connector::load_from(loader, Settings::default()).await;
            let dest = Destination { environment: "demos", account: "111111111111", region: "us-east-1" };
            connector.connect(&dest, RegionRule::Strict).await.unwrap()
        });
        Demos {
            moto,
            engine,
            compose,
            _dir: dir,
            store,
            project: project(factory),
            rt,
            cloud,
            log: RefCell::new(Vec::new()),
            mine: RefCell::new(BTreeSet::new()),
            clock: TestClock::starting_now(),
        }
    }

    fn options() -> Options {
        Options {
            concurrency: 4,
            approval: ApprovalMode::Never,
            yes: false,
            interactive: false,
            skip_resources: vec![],
            in_progress_wait: Duration::from_secs(5),
            poll: Poll { min: Duration::from_millis(20), max: Duration::from_millis(200) },
            artifacts_bucket: None,
            smoke: true,
            bake: true,
        }
    }

    fn lock() -> LockOptions {
        LockOptions { wait: Duration::ZERO, ttl: Duration::from_secs(600), poll: Duration::from_millis(20) }
    }

    fn at(&self) -> At<'_> {
        At { cloud: Some(&self.cloud), compose: Some((&self.compose, &self.engine.host)) }
    }

    /// What the runs reported, and moto's log, for a failing assertion's message.
    fn said(&self) -> String {
        format!("{}\n--- moto\n{}", String::from_utf8_lossy(&self.log.borrow()), self.moto.log())
    }

    fn up(&self, name: &str, release: &str, ttl: Duration) -> UpOutcome {
        self.up_in(&self.store, name, release, ttl)
    }

    /// [`Demos::up`], recorded in `store`.
    fn up_in(&self, store: &Store, name: &str, release: &str, ttl: Duration) -> UpOutcome {
        self.mine.borrow_mut().insert(name.to_string());
        let actor = Actor { name: "ci".into(), ci_run: None };
        let cx = Context { project: &self.project, store, actor: &actor, clock: &self.clock };
        let known = self.rt.block_on(async { ledger::demos::demos(&ledger::all_records(store).await.unwrap()) });
        let demo = demo::resolve(&self.project, &Rules::of(&self.project), name, &known)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let options = Self::options();
        let req = UpRequest {
            demo: &demo,
            branch: Some(format!("feature-demo/{name}")),
            release: release.into(),
            commit: Some("abc123".into()),
            ttl,
            apply: &options,
            lock: Self::lock(),
        };
        let mut log = self.log.borrow_mut();
        let mut reporter = EventLines::new(&mut *log);
        let out = self.rt.block_on(demo::up(&cx, &req, &self.at(), &mut reporter));
        drop(log);
        out.unwrap_or_else(|e| panic!("demo up {name}: {e}\n{}", self.said()))
    }

    fn down(&self, name: &str) -> DownOutcome {
        let actor = Actor { name: "ci".into(), ci_run: None };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &self.clock };
        let demo = demo::existing(&self.project, &Rules::of(&self.project), name).unwrap();
        let mut log = self.log.borrow_mut();
        let mut reporter = EventLines::new(&mut *log);
        let out = self.rt.block_on(demo::down(&cx, &demo, &self.at(), &Self::options(), Self::lock(), &mut reporter));
        drop(log);
        out.unwrap_or_else(|e| panic!("demo down {name}: {e}\n{}", self.said()))
    }

    /// The demos `demo ls` lists, of those this test brought up.
    fn ls(&self) -> Vec<Listing> {
        let mine = self.mine.borrow().clone();
        let mut all = self.ls_all();
        all.retain(|l| mine.contains(&l.slug));
        all
    }

    fn ls_all(&self) -> Vec<Listing> {
        let actor = Actor { name: "ci".into(), ci_run: None };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &self.clock };
        let places = Places { clouds: vec![&self.cloud], compose: Some((&self.compose, &self.engine.host)) };
        self.rt.block_on(demo::list::list(&cx, &places)).unwrap()
    }

    /// The stacks of a demo as moto has them.
    fn stacks_of(&self, name: &str) -> Vec<StackState> {
        let all = self.rt.block_on(self.cloud.list_stacks()).unwrap();
        all.into_iter().filter(|s| s.tags.get("slipway:environment").map(String::as_str) == Some(name)).collect()
    }

    /// The compose project's containers, by service, as compose lists them.
    fn services(&self, name: &str) -> BTreeMap<String, String> {
        let services = self.compose.services(&format!("webapp-{name}"), &self.engine.host).unwrap();
        services.into_iter().map(|s| (s.service, format!("{} {}", s.state, s.health))).collect()
    }

    /// Docker objects of kind `kind` (`network`, `volume`) labelled as the demo's compose project's.
    fn docker_objects(&self, kind: &str, name: &str) -> Vec<String> {
        let filter = format!("label=com.docker.compose.project=webapp-{name}");
        let out = self.engine.cli(&[kind, "ls", "-q", "--filter", &filter]);
        let mut names: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
        if kind == "network" {
            names = names
                .iter()
                .map(|id| {
                    let out = self.engine.cli(&["network", "inspect", "--format", "{{.Name}}", id]);
                    String::from_utf8(out.stdout).unwrap().trim().to_string()
                })
                .collect();
        }
        names
    }

    fn ledger(&self, name: &str) -> Vec<String> {
        let records = self.rt.block_on(ledger::records(&self.store, name)).unwrap();
        records
            .iter()
            .map(|r| {
                let outcome = r.outcome.map(|o| format!(" {}", o.as_str())).unwrap_or_default();
                format!("{} {:?}{outcome}", r.kind.as_str(), r.phase).to_lowercase()
            })
            .collect()
    }
}

/// Brings the demo down when a test ends, however it ends.
struct Cleanup<'a>(&'a Demos, Vec<String>);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            let _ = self.0.compose.down(&format!("webapp-{name}"), &self.0.engine.host, true);
        }
    }
}

fn answers(url: &str, body: &str) {
    assert_eq!(http_get(url), Ok((200, format!("{body}\n"))), "GET {url}");
}

#[test]
fn a_demo_comes_up_is_listed_updates_in_place_and_goes_down_twice() {
    let w = Demos::new(demo_leaving);
    let name = demo_name("map");
    let _cleanup = Cleanup(&w, vec![name.clone()]);
    tag_image(&w.engine, "2");
    let week = Duration::from_secs(7 * 24 * 3600);

    let first = w.up(&name, "1", week);
    assert_eq!(first.outcome, Outcome::Deployed, "{:?}\n{}", first.cause, w.said());
    assert_eq!(
        first.stacks.iter().map(|s| (s.name.as_str(), s.result.as_str())).collect::<Vec<_>>(),
        [(format!("webapp-{name}-files").as_str(), "created")]
    );
    let created = ["backend", "db", "frontend"].map(|s| (s.to_string(), ServiceChange::Created));
    assert_eq!(first.compose, BTreeMap::from(created));
    assert_eq!(
        first.smoke.iter().map(|s| (s.name.as_str(), s.passed)).collect::<Vec<_>>(),
        [("frontend", true), ("backend", true)]
    );
    answers(&first.urls["frontend"], &format!("{name} frontend 1"));
    answers(&format!("{}/health", first.urls["backend"]), "ok");
    // The stacks say they are a demo's (its expiry is in the ledger: a tag that changed with every `up` would
    // update every resource of its stacks each time).
    let stacks = w.stacks_of(&name);
    assert_eq!(stacks.len(), 1);
    assert_eq!(stacks[0].tags["slipway:demo"], name);
    assert!(!stacks[0].tags.contains_key("slipway:expires"), "{:?}", stacks[0].tags);
    assert_eq!(stacks[0].tags["slipway:branch"], format!("feature-demo/{name}"));
    assert_eq!(stacks[0].parameters["Release"], "1");

    let listed = w.ls();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let l = &listed[0];
    assert_eq!((l.name.as_str(), l.status, l.release.as_deref()), (name.as_str(), Some(DemoStatus::Up), Some("1")));
    assert_eq!(l.branch.as_deref(), Some(format!("feature-demo/{name}").as_str()));
    assert_eq!(l.expires, Some(first.expires));
    assert_eq!(l.urls, first.urls);
    assert_eq!(l.stacks, [format!("webapp-{name}-files")]);
    assert_eq!(l.compose.as_deref(), Some(format!("webapp-{name} running(3)").as_str()));

    // Up again with a new release: updated in place, the database kept, the expiry counted from now.
    w.clock.advance(Duration::from_secs(60));
    let second = w.up(&name, "2", week);
    assert_eq!(second.outcome, Outcome::Deployed, "{:?}\n{}", second.cause, w.said());
    assert_eq!(second.stacks[0].result, "updated");
    assert_eq!(second.compose["db"], ServiceChange::Unchanged);
    assert_eq!(second.compose["backend"], ServiceChange::Recreated);
    assert!(second.expires > first.expires);
    answers(&second.urls["frontend"], &format!("{name} frontend 2"));
    assert_eq!(w.stacks_of(&name)[0].parameters["Release"], "2");
    assert_eq!(w.ls()[0].expires, Some(second.expires));
    let volumes = w.docker_objects("volume", &name);
    assert_eq!(volumes.len(), 1, "{volumes:?}");

    // Down: the compose project with its volume, then the stacks, waited on until gone.
    let down = w.down(&name);
    assert_eq!(down.outcome, Outcome::Done);
    assert!(down.left.is_empty(), "{:?}", down.left);
    assert!(
        down.removed.iter().any(|r| r.starts_with(&format!("compose project webapp-{name}"))),
        "{:?}",
        down.removed
    );
    assert!(down.removed.contains(&format!("stack webapp-{name}-files")), "{:?}", down.removed);
    assert!(w.stacks_of(&name).is_empty());
    assert!(w.services(&name).is_empty());
    assert!(w.docker_objects("volume", &name).is_empty());
    assert!(w.rt.block_on(w.store.list(&format!("demos/{name}/"))).unwrap().is_empty(), "the kept bundles go too");
    assert!(http_get(&first.urls["frontend"]).is_err(), "nothing answers any more");
    assert_eq!(w.ls(), []);
    // Again: nothing left, and that is success too.
    let again = w.down(&name);
    assert_eq!((again.outcome, again.removed.len(), again.left.len()), (Outcome::Done, 0, 0));

    assert_eq!(
        w.ledger(&name),
        [
            "demo-up started",
            "demo-up finished deployed",
            "demo-up started",
            "demo-up finished deployed",
            "demo-down started",
            "demo-down finished done",
            "demo-down started",
            "demo-down finished done",
        ]
    );
}

#[test]
fn two_demos_side_by_side_share_nothing_and_both_answer_at_once() {
    let w = Demos::new(demo_leaving);
    let (a, b) = (demo_name("side-a"), demo_name("side-b"));
    let _cleanup = Cleanup(&w, vec![a.clone(), b.clone()]);
    let week = Duration::from_secs(7 * 24 * 3600);
    let ups = [w.up(&a, "1", week), w.up(&b, "1", week)];
    for (name, up) in [&a, &b].iter().zip(&ups) {
        assert_eq!(up.outcome, Outcome::Deployed, "{name}: {:?}\n{}", up.cause, w.said());
    }
    // Both answer, at the same time.
    for (name, up) in [&a, &b].iter().zip(&ups) {
        answers(&up.urls["frontend"], &format!("{name} frontend 1"));
        answers(&format!("{}/health", up.urls["backend"]), "ok");
    }
    // Everything each is made of, by kind; no name appears in both.
    let names_of = |name: &String, up: &UpOutcome| -> BTreeMap<&'static str, BTreeSet<String>> {
        let stacks = w.stacks_of(name);
        let set =
            crate::support::synth(&w.project.clone().with_demo(name).unwrap(), std::slice::from_ref(name)).unwrap();
        let manifest = String::from_utf8(
            set.artifacts
                [&slipway::synth::ArtifactKey::env_file(name, slipway::synth::ArtifactKind::CloudGov, "manifest.yml")]
                .clone(),
        )
        .unwrap();
        let manifest: serde_json::Value = serde_yaml_ng::from_str(&manifest).unwrap();
        let apps = manifest["applications"].as_array().unwrap();
        let ports: BTreeSet<String> = up.urls.values().map(|u| u.rsplit(':').next().unwrap().to_string()).collect();
        BTreeMap::from([
            ("stack", stacks.iter().map(|s| s.name.clone()).collect()),
            ("bucket", stacks.iter().map(|s| s.outputs["BucketName"].clone()).collect()),
            ("app", apps.iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()),
            (
                "route",
                apps.iter()
                    .flat_map(|a| {
                        a["routes"].as_array().unwrap().iter().map(|r| r["route"].as_str().unwrap().to_string())
                    })
                    .collect(),
            ),
            ("compose project", BTreeSet::from([format!("webapp-{name}")])),
            ("network", w.docker_objects("network", name).into_iter().collect()),
            ("volume", w.docker_objects("volume", name).into_iter().collect()),
            ("host port", ports),
        ])
    };
    let (of_a, of_b) = (names_of(&a, &ups[0]), names_of(&b, &ups[1]));
    for (kind, names) in &of_a {
        assert!(!names.is_empty(), "{kind} of {a}: none found");
        assert!(!of_b[kind].is_empty(), "{kind} of {b}: none found");
        let shared: Vec<&String> = names.intersection(&of_b[kind]).collect();
        assert!(shared.is_empty(), "{a} and {b} share {kind} {shared:?}");
    }
    assert_eq!(w.ls().iter().map(|l| l.name.clone()).collect::<BTreeSet<_>>(), BTreeSet::from([a.clone(), b.clone()]));
    for name in [&a, &b] {
        assert_eq!(w.down(name).outcome, Outcome::Done);
    }
}

#[test]
fn a_demo_whose_service_fails_its_health_check_follows_its_rollback_rule() {
    let week = Duration::from_secs(7 * 24 * 3600);
    // Left as it is (the reference rule): it stays up for debugging, and ls shows it failed.
    let w = Demos::new(demo_leaving);
    tag_image(&w.engine, BROKEN);
    let left = demo_name("left");
    let _cleanup = Cleanup(&w, vec![left.clone()]);
    let failed = w.up(&left, BROKEN, week);
    assert_eq!(failed.outcome, Outcome::Failed, "{}", w.said());
    let cause = failed.cause.clone().unwrap();
    assert!(cause.contains(&format!("compose project `webapp-{left}`")), "{cause}");
    assert!(cause.contains("service `backend`"), "{cause}");
    assert!(cause.contains("unhealthy"), "{cause}");
    assert!(failed.undone[0].starts_with("left as it is for a person to look at"), "{:?}", failed.undone);
    assert_eq!(w.services(&left)["backend"], "running unhealthy");
    assert_eq!(w.stacks_of(&left).len(), 1);
    let listed = w.ls();
    assert_eq!(listed[0].status, Some(DemoStatus::Failed));
    assert!(listed[0].reason.as_deref().unwrap().contains("service `backend`"), "{listed:?}");
    assert_eq!(w.down(&left).outcome, Outcome::Done);

    // Brought back: a first `up` that fails leaves nothing; a failed update goes back to the last good one.
    let w = Demos::new(demo_restoring);
    tag_image(&w.engine, BROKEN);
    let back = demo_name("back");
    let _cleanup = Cleanup(&w, vec![back.clone()]);
    let first = w.up(&back, BROKEN, week);
    assert_eq!(first.outcome, Outcome::RolledBack, "{}", w.said());
    assert_eq!(first.undone.last().map(String::as_str), Some("nothing of the demo is left"), "{:?}", first.undone);
    assert!(w.services(&back).is_empty());
    assert!(w.stacks_of(&back).is_empty());
    assert!(w.docker_objects("volume", &back).is_empty());
    assert_eq!(w.ls(), []);

    assert_eq!(w.up(&back, "1", week).outcome, Outcome::Deployed, "{}", w.said());
    let update = w.up(&back, BROKEN, week);
    assert_eq!(update.outcome, Outcome::RolledBack, "{}", w.said());
    assert_eq!(
        update.undone,
        ["the stacks are back on the bundle of release 1", "the compose project is back on release 1"]
    );
    answers(&update.urls["frontend"], &format!("{back} frontend 1"));
    answers(&format!("{}/health", update.urls["backend"]), "ok");
    assert_eq!(w.stacks_of(&back)[0].parameters["Release"], "1");
    let listed = w.ls();
    assert_eq!((listed[0].status, listed[0].release.as_deref()), (Some(DemoStatus::Up), Some(BROKEN)));
    assert_eq!(w.down(&back).outcome, Outcome::Done);
    assert_eq!(
        w.ledger(&back),
        [
            "demo-up started",
            "demo-up finished rolled-back",
            "demo-up started",
            "demo-up finished deployed",
            "demo-up started",
            "demo-up finished rolled-back",
            "demo-down started",
            "demo-down finished done",
        ]
    );
}

#[test]
fn an_orphan_is_found_by_its_tags_and_labels_and_chosen_for_the_sweep_when_old_enough() {
    let w = Demos::new(demo_leaving);
    let week = Duration::from_secs(7 * 24 * 3600);
    let (known, orphan) = (demo_name("known"), demo_name("orphan"));
    let _cleanup = Cleanup(&w, vec![known.clone(), orphan.clone()]);
    assert_eq!(w.up(&known, "1", week).outcome, Outcome::Deployed, "{}", w.said());
    // An `up` whose records went to another store: this ledger does not know it.
    let elsewhere = tempdir();
    let up = w.up_in(&Store::local(elsewhere.path()), &orphan, "1", week);
    assert_eq!(up.outcome, Outcome::Deployed, "{}", w.said());

    let listed = w.ls();
    let by_name: BTreeMap<&str, &Listing> = listed.iter().map(|l| (l.name.as_str(), l)).collect();
    assert_eq!(by_name.len(), 2, "{listed:?}");
    assert_eq!(by_name[known.as_str()].status, Some(DemoStatus::Up));
    let found = by_name[orphan.as_str()];
    assert!(found.orphan(), "{found:?}");
    assert_eq!(found.status_text(), "orphan");
    assert_eq!(found.stacks, [format!("webapp-{orphan}-files")]);
    assert_eq!(found.compose.as_deref(), Some(format!("webapp-{orphan} running(3)").as_str()));
    let now = SystemClock.now();
    let since = found.since.expect("an orphan's age comes from its stacks and containers");
    assert!(now.since(since) < Duration::from_secs(600), "{since}");

    // gc: an orphan younger than a day stays; any orphan goes when the age allows; expired demos go.
    let day = Duration::from_secs(24 * 3600);
    let chosen = |at, age| {
        let sweep = demo::list::to_sweep(&listed, at, age);
        sweep.into_iter().map(|(l, why)| format!("{}: {}", l.name, why.split(' ').next().unwrap())).collect::<Vec<_>>()
    };
    assert_eq!(chosen(now, day), Vec::<String>::new());
    assert_eq!(chosen(now, Duration::ZERO), [format!("{orphan}: an")]);
    assert_eq!(chosen(now.plus(week + day), day), [format!("{known}: expired"), format!("{orphan}: an")]);

    // What gc then does for the orphan: bring it down by its slug, stacks and compose project alike.
    let down = w.down(&orphan);
    assert_eq!(down.outcome, Outcome::Done, "{:?}", down.left);
    assert!(w.stacks_of(&orphan).is_empty());
    assert!(w.services(&orphan).is_empty());
    assert_eq!(w.ls().iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), [known.as_str()]);

    // A known demo whose compose project was removed by hand: ls says what it sees, not what the ledger
    // remembers.
    assert_eq!(w.ls()[0].status_text(), "up");
    w.compose.down(&format!("webapp-{known}"), &w.engine.host, false).unwrap();
    let listed = w.ls();
    assert_eq!(listed[0].status_text(), "gone");
    assert_eq!(listed[0].gone, [format!("compose project webapp-{known} is not on {}", w.engine.host)]);
    assert_eq!(w.down(&known).outcome, Outcome::Done);
}
