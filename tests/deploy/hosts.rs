//! An environment with both kinds of target deployed as one run: its CloudFormation stack on moto, and
//! its compose project on the test Docker engine reached over real SSH (an OpenSSH server on loopback,
//! [`crate::sshd`], its host key pinned). A new release changes the images; a release whose service never
//! becomes healthy brings both targets back, the stack to its template and parameters, the host to the
//! previous release's bundle, container for container.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use aws_credential_types::Credentials;
use slipway::apply::cloudformation::{ApprovalMode, Ending, EventLines, InFlight, NoQuestions, Options};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::clock::Clock;
use slipway::cloud::{Cloud, Connector, Destination, Poll, RegionRule, Settings};
use slipway::docker::SshAccess;
use slipway::ledger::{self, Actor, HostRecord, Phase, RunKind};
use slipway::model::{AccountId, ComposeHost, ComposeTarget, Definitions, Environment, Project, Region, Target, Tier};
use slipway::ops::compose_diff;
use slipway::ops::compose_host::{self, HostReach};
use slipway::ops::deploy::{End, Io, Request};
use slipway::ops::run::LockOptions;
use slipway::ops::{Context, OpsError};
use slipway::release::{self, ReleaseInfo};
use slipway::store::Store;

use crate::demo::local::{BROKEN, LOCAL_HOST, demo_name, local_demo, local_image};
use crate::moto::Moto;
use crate::sshd::Sshd;
use crate::support::{Docker, ProjectCleanup, TestClock, docker, http_get, tempdir};

const ACCOUNT: AccountId = AccountId::new("111111111111");

/// One small stack whose topic is named after the release, so that every release updates it.
pub(super) fn stacks(project: &Project, env: &Environment) -> Vec<Stack> {
    if !env.name.starts_with("hosts") {
        return webapp::stacks::for_environment(project, env);
    }
    let mut t = Template::new(format!("{}-{}: the environment's events", project.name, env.name));
    t.parameter("Release", Parameter::string("the release it runs"));
    t.resource("Events", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("events-${Release}")));
    t.output("TopicArn", Output::new("the topic", Expr::r#ref("Events")));
    vec![Stack::new("events", t)]
}

/// A permanent environment (development) on a server: the reference services from the test images, a stack,
/// and the compose project on the Docker engine at `docker_host`.
fn server_env(name: &str, docker_host: &str) -> Environment {
    let mut env = local_demo(name);
    env.tier = Tier::Development;
    env.targets.retain(|t| !matches!(t, Target::Compose(_)));
    env.aws(ACCOUNT, Region::UsEast1)
        .compose_on(ComposeTarget::new(ComposeHost::Server(LOCAL_HOST.into())).docker_host(docker_host))
}

pub(super) struct World {
    moto: Moto,
    pub(super) engine: Docker,
    sshd: Sshd,
    _dir: tempfile::TempDir,
    store: Store,
    clock: TestClock,
    pub(super) project: Definitions,
    name: String,
    rt: tokio::runtime::Runtime,
    cloud: Cloud,
    connector: Connector,
    log: RefCell<Vec<u8>>,
}

impl World {
    fn new() -> World {
        World::new_with(|env| env)
    }

    /// A world whose environment is `server_env`'s, changed by `edit`.
    pub(super) fn new_with(edit: impl FnOnce(Environment) -> Environment) -> World {
        let moto = Moto::start();
        let engine = docker();
        let sshd = Sshd::start(&engine);
        let dir = tempdir();
        let name = demo_name("hosts");
        let mut project = webapp::project().stacks_from(stacks);
        project.environments.push(edit(server_env(&name, &sshd.url())));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&moto.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
        let connector = rt.block_on(Connector::load_from(loader, Settings::default()));
        let dest = Destination { environment: &name, account: "111111111111", region: "us-east-1" };
        let cloud = rt.block_on(connector.connect(&dest, RegionRule::Strict)).unwrap();
        World {
            moto,
            engine,
            sshd,
            store: Store::local(&dir.path().join("store")),
            _dir: dir,
            clock: TestClock::starting_now(),
            project,
            name,
            rt,
            cloud,
            connector,
            log: RefCell::new(Vec::new()),
        }
    }

    pub(super) fn env(&self) -> &Environment {
        self.project.find(&self.name).unwrap()
    }

    pub(super) fn compose_project(&self) -> String {
        format!("webapp-{}", self.name)
    }

    fn stack_name(&self) -> String {
        format!("webapp-{}-events", self.name)
    }

    pub(super) fn said(&self) -> String {
        format!(
            "{}\n--- sshd\n{}\n--- moto\n{}",
            String::from_utf8_lossy(&self.log.borrow()),
            self.sshd.log(),
            self.moto.log()
        )
    }

    /// Release `id`: the definitions synthesized, as `release create` keeps them.
    pub(super) fn release(&self, id: &str) {
        self.release_of(&self.project, id);
    }

    /// Release `id` of `project` (the world's, changed).
    pub(super) fn release_of(&self, project: &Definitions, id: &str) {
        let set = crate::support::synth(project, &[]).expect("the project synthesizes");
        let info = ReleaseInfo {
            id: id.into(),
            commit: Some(format!("commit-of-{id}")),
            git_ref: Some(format!("refs/heads/feature-demo/{}", self.name)),
            created_at: self.clock.now(),
            created_by: "ana".into(),
            slipway_version: "test".into(),
            environments: set.environments.clone(),
            dirty: vec![],
        };
        self.rt.block_on(crate::support::create_release(&self.store, &info, &set));
    }

    /// The compose host, logged in to with the test's key and trusting only the keys in `known_hosts`.
    fn reach(&self, known_hosts: &std::path::Path) -> Result<Option<HostReach>, compose_host::HostError> {
        let ssh = SshAccess::new(Some(known_hosts), Some(&self.sshd.key())).unwrap();
        compose_host::reach(self.env(), None, Some(self.engine.compose.as_path()), Some(ssh))
    }

    /// Deploys release `id` as `slipway deploy` does, over SSH with the pinned host key.
    pub(super) fn deploy(&self, id: &str) -> Result<(Ending, Vec<HostRecord>), OpsError> {
        self.run(RunKind::Deploy, id, Some(&self.sshd.known_hosts()))
    }

    /// Deploys release `id` to the stacks alone, as `slipway deploy --target aws` does.
    fn deploy_stacks(&self, id: &str) -> Result<(Ending, Vec<HostRecord>), OpsError> {
        self.run(RunKind::Deploy, id, None)
    }

    fn deploy_with(&self, id: &str, known_hosts: &std::path::Path) -> Result<(Ending, Vec<HostRecord>), OpsError> {
        self.run(RunKind::Deploy, id, Some(known_hosts))
    }

    /// Runs `kind` of release `id` (a deploy, or a rollback to it) as the commands do; without `known_hosts`
    /// the host is left out, as `--target aws` leaves it.
    fn run(
        &self,
        kind: RunKind,
        id: &str,
        known_hosts: Option<&std::path::Path>,
    ) -> Result<(Ending, Vec<HostRecord>), OpsError> {
        let actor = Actor { name: "ci".into(), ci_run: None };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &self.clock };
        let options = Options {
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
        };
        let host = match known_hosts {
            Some(known_hosts) => self.reach(known_hosts)?,
            None => None,
        };
        let host = host.map(|h| HostReach { compose: h.compose.with_docker_cli(&self.engine.docker), ..h });
        self.clock.advance(Duration::from_secs(60));
        let started = std::time::Instant::now();
        let ran = self.rt.block_on(async {
            let release = release::read(&self.store, id).await.unwrap();
            let req = Request {
                env: self.env(),
                release: &release,
                kind,
                from: None,
                approvals: vec![],
                reason: (kind == RunKind::Rollback).then(|| "back to the first release".to_string()),
                break_freeze: false,
                break_window: false,
                apply: &options,
                lock: LockOptions {
                    wait: Duration::ZERO,
                    ttl: Duration::from_secs(600),
                    poll: Duration::from_millis(10),
                },
                host: host.as_ref(),
            };
            let mut log = Vec::new();
            let mut reporter = EventLines::new(&mut log);
            let in_flight = RefCell::new(InFlight::default());
            let io = Io {
                reporter: &mut reporter,
                approver: &mut NoQuestions,
                in_flight: &in_flight,
                interrupt: std::future::pending(),
            };
            let ran = slipway::ops::deploy::run(&cx, &req, &self.cloud, io).await;
            self.log.borrow_mut().extend(log);
            let ran = ran?;
            match ran.end {
                End::Applied(applied) => Ok((applied.ending, ran.hosts)),
                End::Interrupted(_) => panic!("nothing interrupts this deploy"),
            }
        });
        // A figure for the notes (`--nocapture`), never an assertion.
        eprintln!("{} of release {id}: {:.1} s", kind.as_str(), started.elapsed().as_secs_f64());
        ran
    }

    /// What `status` says of the environment's compose host: its services, and its drift.
    fn status(&self) -> slipway::ops::compose_host::HostStatus {
        let actor = Actor { name: "ana".into(), ci_run: None };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &self.clock };
        let reach = |_: &Environment| self.reach(&self.sshd.known_hosts());
        let envs = [self.env()];
        let statuses =
            self.rt.block_on(slipway::ops::status::status_with_hosts(&cx, &envs, Some(&self.connector), &reach));
        let mut statuses = statuses.unwrap();
        assert_eq!(statuses[0].drift, slipway::ops::status::Drift::None, "the stack did not drift");
        statuses.remove(0).hosts.remove(0)
    }

    /// The stack as CloudFormation has it: its template, byte for byte, and its parameters.
    pub(super) fn stack(&self) -> (String, BTreeMap<String, String>) {
        self.rt.block_on(async {
            let template = self.cloud.get_template(&self.stack_name()).await.unwrap();
            let state = self.cloud.describe_stack(&self.stack_name()).await.unwrap().unwrap();
            (template, state.parameters)
        })
    }

    /// Each service on the host: its image by name and by ID, its state and health, and every label
    /// (compose's hash of the service's whole configuration among them, but not the scratch directory `up`
    /// ran from), read by the docker CLI.
    pub(super) fn host(&self) -> BTreeMap<String, String> {
        let services = self.engine.compose().services(&self.compose_project(), &self.engine.host).unwrap();
        services
            .into_iter()
            .map(|mut s| {
                // Where `up` ran from: each run's own scratch directory, nothing the containers run with.
                s.labels.retain(|k, _| !k.starts_with("com.docker.compose.project."));
                // Which container a recreated one replaced: compose's bookkeeping, not what it runs.
                s.labels.remove("com.docker.compose.replace");
                let out = self.engine.cli(&["inspect", "--format", "{{.Image}}", &s.id]);
                let image_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
                (s.service.clone(), format!("{} {image_id} {} {} {:?}", s.image, s.state, s.health, s.labels))
            })
            .collect()
    }

    fn images(&self) -> BTreeMap<String, String> {
        let services = self.engine.compose().services(&self.compose_project(), &self.engine.host).unwrap();
        services.into_iter().map(|s| (s.service, s.image)).collect()
    }

    fn url(&self, service: &str) -> String {
        let bundle = slipway::synth::compose::bundle(&self.project, self.env()).unwrap();
        bundle.urls.iter().find(|(s, _)| s == service).unwrap().1.clone()
    }
}

pub(super) fn tag_image(engine: &Docker, tag: &str) {
    let (repository, release) = local_image();
    let out = engine.cli(&["tag", &format!("{repository}:{release}"), &format!("{repository}:{tag}")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn stacks_and_a_compose_host_over_ssh_deploy_as_one_run_and_go_back_together() {
    let w = World::new();
    let _cleanup = ProjectCleanup::new(&w.engine, &w.compose_project());
    let (repository, first) = local_image();
    let second = format!("{first}-next");
    tag_image(&w.engine, &second);
    tag_image(&w.engine, BROKEN);
    for id in [first.as_str(), second.as_str(), BROKEN] {
        w.release(id);
    }

    // The first release: the stack created, every service created over SSH, healthy, answering.
    let (ending, hosts) = w.deploy(&first).unwrap_or_else(|e| panic!("{e}\n{}", w.said()));
    assert_eq!(ending, Ending::Deployed, "{}", w.said());
    assert_eq!(hosts.len(), 1);
    assert_eq!(
        (hosts[0].host.as_str(), hosts[0].project.as_str()),
        (w.sshd.url().as_str(), w.compose_project().as_str())
    );
    let recorded: Vec<(&str, &str, &str)> =
        hosts[0].services.iter().map(|s| (s.service.as_str(), s.image.as_str(), s.health.as_str())).collect();
    let image = |tag: &str| format!("{repository}:{tag}");
    let postgres = crate::support::harness_var("SLIPWAY_TEST_POSTGRES_IMAGE");
    assert_eq!(
        recorded,
        [
            ("backend", image(&first).as_str(), "healthy"),
            ("db", postgres.as_str(), "healthy"),
            ("frontend", image(&first).as_str(), "healthy")
        ]
    );
    assert_eq!(http_get(&w.url("frontend")), Ok((200, format!("{} frontend {first}\n", w.name))));

    // A new release changes the images of the app's services; the database is left as it is.
    let (ending, hosts) = w.deploy(&second).unwrap();
    assert_eq!(ending, Ending::Deployed, "{}", w.said());
    let changes: BTreeMap<&str, Option<&str>> =
        hosts[0].services.iter().map(|s| (s.service.as_str(), s.change.as_deref())).collect();
    assert_eq!(
        changes,
        BTreeMap::from([("backend", Some("recreated")), ("db", Some("unchanged")), ("frontend", Some("recreated"))])
    );
    assert_eq!(w.images()["backend"], image(&second));
    assert_eq!(w.stack().1["Release"], second);
    let (stack_before, host_before) = (w.stack(), w.host());

    // The stacks alone (`--target aws`): the host is not touched, and its smoke checks, which read the URLs
    // it publishes, are recorded as skipped, never as passed.
    let (ending, hosts) = w.deploy_stacks(&second).unwrap();
    assert_eq!((ending, hosts.len()), (Ending::Deployed, 0), "{}", w.said());
    assert_eq!(w.host(), host_before);
    let records = w.rt.block_on(ledger::records(&w.store, &w.name)).unwrap();
    let smoke: Vec<(&str, bool)> = records.last().unwrap().smoke.iter().map(|s| (s.name.as_str(), s.skipped)).collect();
    assert_eq!(smoke, [("frontend", true), ("backend", true)]);

    // The same release again: nothing on the host is recreated, the stack is unchanged.
    let (ending, hosts) = w.deploy(&second).unwrap();
    assert_eq!(ending, Ending::Deployed, "{}", w.said());
    assert!(hosts[0].services.iter().all(|s| s.change.as_deref() == Some("unchanged")), "{:?}", hosts[0]);
    assert_eq!(hosts[0].result, "unchanged");
    assert_eq!((w.stack(), w.host()), (stack_before.clone(), host_before.clone()));

    // A release whose backend never becomes healthy: both targets go back to the second release.
    let (ending, hosts) = w.deploy(BROKEN).unwrap();
    let Ending::RolledBack { cause } = &ending else { panic!("{ending:?}\n{}", w.said()) };
    assert!(cause.contains("service `backend`") && cause.contains("unhealthy"), "{cause}");
    assert_eq!(hosts[0].restored.as_deref(), Some(format!("back on release {second}").as_str()));
    assert_eq!(w.stack(), stack_before, "the stack's template and parameters are as they were");
    assert_eq!(w.host(), host_before, "every service runs the image and the configuration it ran");
    assert_eq!(http_get(&w.url("frontend")), Ok((200, format!("{} frontend {second}\n", w.name))));

    // The ledger: five runs, each that applied the host with its services as the run left them.
    let records = w.rt.block_on(ledger::records(&w.store, &w.name)).unwrap();
    let finished: Vec<_> = records.iter().filter(|r| r.phase == Phase::Finished).collect();
    assert_eq!(finished.len(), 5);
    let last = &finished[4].hosts[0];
    assert!(last.result.starts_with("FAILED: "), "{last:?}");
    assert!(last.services.iter().all(|s| s.health == "healthy" || s.health.is_empty()), "{last:?}");
    assert_eq!(last.services.iter().find(|s| s.service == "backend").unwrap().image, image(&second));

    // A host whose key is not the pinned one is refused before anything changes.
    let refused = w.deploy_with(&first, &w.sshd.other_known_hosts()).unwrap_err().to_string();
    assert!(refused.contains("SSH host key") && refused.contains("it changed"), "{refused}");
    assert_eq!(w.host(), host_before);
    assert_eq!(w.stack(), stack_before);

    // rollback --to the first release: both targets go to its bytes and images.
    let (ending, hosts) = w.run(RunKind::Rollback, &first, Some(&w.sshd.known_hosts())).unwrap();
    assert_eq!(ending, Ending::Deployed, "{}", w.said());
    assert!(hosts[0].services.iter().filter(|s| s.service != "db").all(|s| s.image == image(&first)), "{hosts:?}");
    assert_eq!(w.stack().1["Release"], first);
    assert_eq!(http_get(&w.url("frontend")), Ok((200, format!("{} frontend {first}\n", w.name))));

    // status: the release each service's label names, its image, no drift; then a service stopped by hand.
    let status = w.status();
    let seen: Vec<(&str, Option<&str>)> =
        status.services.iter().map(|s| (s.service.as_str(), s.change.as_deref())).collect();
    assert_eq!(seen, [("backend", Some(first.as_str())), ("db", None), ("frontend", Some(first.as_str()))]);
    assert_eq!(status.drift, Ok(vec![]));
    // diff --against deployed: what each service runs (its release, image and state) against what the
    // definitions synthesize now: nothing differs.
    let reach = w.reach(&w.sshd.known_hosts()).unwrap().unwrap();
    let bundle = slipway::synth::compose::bundle(&w.project, w.env()).unwrap();
    let diff = compose_diff::against(&reach, &bundle).unwrap();
    assert!(!diff.differs(), "{diff:?}");
    let runs: Vec<(&str, &str)> =
        diff.services.iter().map(|s| (s.service.as_str(), s.runs.as_deref().unwrap_or("nothing"))).collect();
    let frontend = format!("release {first}, {}, running, healthy", image(&first));
    assert_eq!(
        runs,
        [
            ("db", format!("{postgres}, running, healthy").as_str()),
            ("backend", frontend.as_str()),
            ("frontend", frontend.as_str())
        ]
    );

    let stopped = w.engine.cli(&["stop", &format!("{}-frontend", w.compose_project())]);
    assert!(stopped.status.success(), "{}", String::from_utf8_lossy(&stopped.stderr));
    let drift = w.status().drift.unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].starts_with("`frontend` is exited"), "{drift:?}");
    // diff says so too; and a service the definitions add, or one they no longer have, is said as such.
    let diff = compose_diff::against(&reach, &bundle).unwrap();
    let differences: Vec<(&str, &Vec<String>)> = diff
        .services
        .iter()
        .filter(|s| !s.differences.is_empty())
        .map(|s| (s.service.as_str(), &s.differences))
        .collect();
    assert_eq!(differences, [("frontend", &vec![format!("container {}-frontend is exited", w.compose_project())])]);
    let mut changed = bundle.clone();
    changed.services.retain(|s| s.key != "backend");
    changed
        .services
        .push(slipway::synth::compose::ComposeService { key: "worker".into(), ..bundle.services[1].clone() });
    changed.services.iter_mut().filter(|s| s.key == "db").for_each(|s| s.image = "postgres:99".into());
    let diff = compose_diff::against(&reach, &changed).unwrap();
    let differences: Vec<(&str, Vec<String>)> =
        diff.services.iter().map(|s| (s.service.as_str(), s.differences.clone())).collect();
    let said = |s: &str| vec![s.to_string()];
    assert_eq!(
        differences,
        [
            ("db", said(&format!("runs {postgres}, the definitions name postgres:99"))),
            ("frontend", said(&format!("container {}-frontend is exited", w.compose_project()))),
            ("worker", said("not on the host: a deploy adds it")),
            ("backend", said("not in the definitions: a deploy removes it")),
        ]
    );
    let started = w.engine.cli(&["start", &format!("{}-frontend", w.compose_project())]);
    assert!(started.status.success());
}
