//! The world the flows are walked in: moto with an account per environment, a store, a ledger, a clock the
//! test moves, and a stand-in app per environment whose URL the smoke checks read ([`World`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use aws_credential_types::Credentials;
use slipway::apply::cloudformation::{ApprovalMode, Approver, Ending, EventLines, InFlight, Options};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::clock::Clock;
use slipway::cloud::{Connector, Poll, Settings};
use slipway::diff::StackDiff;
use slipway::ledger::{self, Actor, Approval, Outcome, Phase, Record, RunKind};
use slipway::model::{Definitions, Environment, Project, SmokeCheck, StackOutput};
use slipway::ops::deploy::{End, Io, Request};
use slipway::ops::run::LockOptions;
use slipway::ops::{Context, OpsError};
use slipway::release::{self, ReleaseInfo};
use slipway::store::Store;

use crate::moto::Moto;
use crate::support::{TestClock, tempdir};

thread_local! {
    /// Each environment's stand-in app URL, which its stack outputs as `ApiUrl`.
    static APP_URLS: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    /// The release being made, which its templates name (so every release's templates differ).
    static MAKING: RefCell<String> = const { RefCell::new(String::new()) };
}

/// One small stack per environment: a topic named after the release (so every release changes it), a
/// description naming the release being made (so every release's template differs), and the URL of the
/// environment's stand-in app as `ApiUrl`, which its smoke check reads.
fn tiny_stacks(_: &Project, env: &Environment) -> Vec<Stack> {
    let making = MAKING.with(|m| m.borrow().clone());
    let mut t = Template::new(format!("{}: app of release {making}", env.name));
    t.parameter("Release", Parameter::string("the release"));
    t.resource("Topic", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("app-${Release}")));
    let url = APP_URLS.with(|u| u.borrow().get(&env.name).cloned()).unwrap_or_else(|| "http://127.0.0.1:9".into());
    t.output("ApiUrl", Output::new("the app", Expr::str(url)));
    if env.evidence.alarms.is_empty() {
        return vec![Stack::new("app", t)];
    }
    // An environment watched by alarms gets a second stack that makes its alarm and names it in an output
    // (moto records the alarm without making it in CloudWatch: the test makes it there).
    let mut watch = Template::new(format!("{}: alarms of release {making}", env.name));
    watch.parameter("Release", Parameter::string("the release"));
    let name = format!("{}-errors", env.name);
    watch.resource(
        "Errors",
        Resource::new("AWS::CloudWatch::Alarm")
            .prop("AlarmName", Expr::str(name.clone()))
            .prop("AlarmDescription", Expr::sub("errors of release ${Release}")),
    );
    watch.output("ErrorsAlarm", Output::new("the alarm", Expr::str(name)));
    vec![Stack::new("app", t), Stack::new("watch", watch)]
}

/// An environment's app: answers every request with the status it is set to.
struct App {
    url: String,
    status: Arc<AtomicU16>,
}

impl App {
    fn start() -> App {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let status = Arc::new(AtomicU16::new(200));
        let answer = status.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut buf = [0u8; 2048];
                let _ = conn.read(&mut buf);
                let code = answer.load(Ordering::SeqCst);
                let _ = write!(conn, "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            }
        });
        App { url, status }
    }
}

struct Refuse;

impl Approver for Refuse {
    fn approve(&mut self, _: &str, _: &StackDiff) -> bool {
        false
    }
}

/// A team's world: moto with an account per environment, a store, a clock, and the flow's definitions.
pub(crate) struct World {
    moto: Moto,
    _dir: tempfile::TempDir,
    pub(crate) store: Store,
    pub(crate) clock: TestClock,
    pub(crate) project: Definitions,
    apps: BTreeMap<String, App>,
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) connector: Connector,
}

impl World {
    /// `project` with tiny stacks, a smoke check and a role to assume in each environment's account.
    pub(crate) fn new(project: Definitions) -> World {
        let moto = Moto::start_accounts();
        let dir = tempdir();
        let store = Store::local(&dir.path().join("store"));
        let mut apps = BTreeMap::new();
        let mut project = project.stacks_from(tiny_stacks);
        for env in &mut project.environments {
            let app = App::start();
            APP_URLS.with(|u| u.borrow_mut().insert(env.name.clone(), app.url.clone()));
            apps.insert(env.name.clone(), app);
            let account = env.aws_target().expect("every walked environment has an AWS target").account.clone();
            env.assume_role = Some(format!("arn:aws:iam::{account}:role/slipway-deploy"));
            env.smoke_checks =
                vec![SmokeCheck::get("health", StackOutput::new("app", "ApiUrl"), "/health").attempts(1)];
        }
        assert_eq!(slipway::model::check(&project), vec![], "the walked flow passes check");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&moto.endpoint)
            .region(aws_config::Region::new(project.environments[0].aws_target().unwrap().region.code().to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
        let connector = rt.block_on(Connector::load_from(loader, Settings::default()));
        rt.block_on(crate::moto::bootstrap_envs(&connector, &project.environments));
        World { moto, _dir: dir, store, clock: TestClock::starting_now(), project, apps, rt, connector }
    }

    /// The endpoint of the world's moto.
    pub(crate) fn endpoint(&self) -> &str {
        &self.moto.endpoint
    }

    /// Sets the world's clock to `at`.
    pub(crate) fn set_clock(&self, at: slipway::clock::Timestamp) {
        self.clock.set(at);
    }

    pub(crate) fn advance(&self, minutes: u64) {
        self.clock.advance(Duration::from_secs(minutes * 60));
    }

    /// The app of `env` answers `status` from now on.
    pub(crate) fn app_answers(&self, env: &str, status: u16) {
        self.apps[env].status.store(status, Ordering::SeqCst);
    }

    /// Makes release `id` of the definitions, on `git_ref`, by `author`.
    pub(crate) fn release(&self, id: &str, git_ref: &str, author: &str) {
        MAKING.with(|m| *m.borrow_mut() = id.to_string());
        let set = crate::support::synth(&self.project, &[]).expect("the flow synthesizes");
        let info = ReleaseInfo {
            id: id.into(),
            commit: Some(format!("commit-of-{id}")),
            git_ref: Some(git_ref.into()),
            created_at: self.clock.now(),
            created_by: author.into(),
            slipway_version: "test".into(),
            environments: set.environments.clone(),
            dirty: vec![],
        };
        self.rt.block_on(crate::support::create_release(&self.store, &info, &set));
    }

    /// Runs `kind` of `release` into `env` as `by`, with `approvals`, the way the commands do.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        kind: RunKind,
        release: &str,
        env: &str,
        from: Option<&str>,
        by: &str,
        approvals: &[&str],
        reason: Option<&str>,
        break_freeze: bool,
    ) -> Result<Ending, Vec<String>> {
        let break_window = kind != RunKind::Rollback && reason.is_some();
        // Each run from a CI run of its own, as in GitHub Actions, so that the history links somewhere.
        let ci_run = format!("https://github.com/{}/actions/runs/{}", self.project.repository, 1000 + self.runs());
        let actor = Actor { name: by.into(), ci_run: Some(ci_run) };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &self.clock };
        let target = self.project.find(env).unwrap_or_else(|| panic!("no environment {env}"));
        let options = Options {
            concurrency: 4,
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
        self.rt.block_on(async {
            let release = release::read(&self.store, release).await.unwrap();
            let req = Request {
                env: target,
                release: &release,
                kind,
                from: from.map(str::to_string),
                approvals: approvals
                    .iter()
                    .map(|a| Approval { by: (*a).into(), source: "command line".into() })
                    .collect(),
                reason: reason.map(str::to_string),
                break_freeze,
                break_window,
                apply: &options,
                lock: LockOptions {
                    wait: Duration::ZERO,
                    ttl: Duration::from_secs(3600),
                    poll: Duration::from_millis(10),
                },
                host: None,
            };
            let refused = |e: OpsError| match e {
                OpsError::Refused(refusals) => refusals.iter().map(ToString::to_string).collect(),
                other => panic!("{kind:?} of {} into {env} failed: {other}\n{}", req.release.info.id, self.moto.log()),
            };
            // As the commands do: the policy first, without credentials, then again under the lock.
            let decision = slipway::ops::deploy::decide(
                &cx,
                target,
                &req.release.info,
                kind,
                req.from.as_deref(),
                &req.approvals,
                break_freeze,
                break_window,
            )
            .await
            .unwrap();
            if !decision.allowed() {
                return Err(refused(OpsError::Refused(decision.refusals)));
            }
            let cloud = slipway::ops::deploy::connect(&self.connector, target, None).await.map_err(refused)?;
            let mut log = Vec::new();
            let mut reporter = EventLines::new(&mut log);
            let in_flight = RefCell::new(InFlight::default());
            let io = Io {
                reporter: &mut reporter,
                approver: &mut Refuse,
                in_flight: &in_flight,
                interrupt: std::future::pending(),
            };
            let ran = slipway::ops::deploy::run(&cx, &req, &cloud, io).await.map_err(refused)?;
            match ran.end {
                End::Applied(outcome) => Ok(outcome.ending),
                End::Interrupted(_) => panic!("nothing interrupts a walk"),
            }
        })
    }

    pub(crate) fn deploy(&self, release: &str, env: &str, by: &str, approvals: &[&str]) -> Result<Ending, Vec<String>> {
        self.run(RunKind::Deploy, release, env, None, by, approvals, None, false)
    }

    pub(crate) fn promote(
        &self,
        release: &str,
        from: &str,
        to: &str,
        by: &str,
        approvals: &[&str],
    ) -> Result<Ending, Vec<String>> {
        self.run(RunKind::Promote, release, to, Some(from), by, approvals, None, false)
    }

    /// Promotes as [`World::promote`] does, breaking a closed window of the target for `reason`
    /// (`--break-window --reason`).
    pub(crate) fn promote_breaking_window(
        &self,
        release: &str,
        from: &str,
        to: &str,
        by: &str,
        approvals: &[&str],
        reason: &str,
    ) -> Result<Ending, Vec<String>> {
        self.run(RunKind::Promote, release, to, Some(from), by, approvals, Some(reason), false)
    }

    /// Records a freeze or an unfreeze of `env`, as the commands do.
    pub(crate) fn freeze(&self, env: &str, by: &str, frozen: bool) {
        let now = self.clock.now();
        let actor = Actor { name: by.into(), ci_run: None };
        let kind = if frozen { RunKind::Freeze } else { RunKind::Unfreeze };
        let mut r = Record::new(&ledger::new_run_id(now), Phase::Done, kind, env, now, &actor);
        r.outcome = Some(Outcome::Done);
        r.reason = frozen.then(|| "incident 42: stop the line".to_string());
        self.rt.block_on(ledger::append(&self.store, &r)).unwrap();
    }

    /// Rolls `env` back to `to` (by default the release before the current one), as `slipway rollback` does.
    pub(crate) fn rollback(
        &self,
        env: &str,
        to: Option<&str>,
        by: &str,
        approvals: &[&str],
        break_freeze: bool,
    ) -> Result<Ending, Vec<String>> {
        let actor = Actor { name: by.into(), ci_run: None };
        let cx = Context { project: &self.project, store: &self.store, actor: &actor, clock: &self.clock };
        let to = self.rt.block_on(slipway::ops::rollback::target(&cx, env, to)).map_err(|e| vec![e.to_string()])?;
        self.run(RunKind::Rollback, &to, env, None, by, approvals, Some("r3 breaks logins"), break_freeze)
    }

    /// Lifts the hold on `env`, as `slipway unhold` does.
    pub(crate) fn unhold(&self, env: &str, by: &str) {
        let now = self.clock.now();
        let actor = Actor { name: by.into(), ci_run: None };
        let mut r = Record::new(&ledger::new_run_id(now), Phase::Done, RunKind::Unhold, env, now, &actor);
        r.outcome = Some(Outcome::Done);
        self.rt.block_on(ledger::append(&self.store, &r)).unwrap();
    }

    /// The template `env`'s stack runs, as moto answers GetTemplate, and that of release `id` for `env`.
    pub(crate) fn templates(&self, env: &str, id: &str) -> (String, String) {
        let release = self.rt.block_on(release::read(&self.store, id)).unwrap();
        let key = slipway::synth::ArtifactKey::template(env, "app");
        let made = String::from_utf8(release.artifacts[&key].clone()).unwrap();
        let cloud = self.cloud(env);
        let deployed = self.rt.block_on(cloud.get_template(&format!("{}-{env}-app", self.project.name))).unwrap();
        (deployed, made)
    }

    /// The ledger of `env`, a line per record: `promote r1 finished deployed by ana [priya, mateo]`.
    pub(crate) fn ledger(&self, env: &str) -> Vec<String> {
        let records = self.rt.block_on(ledger::records(&self.store, env)).unwrap();
        records
            .iter()
            .map(|r| {
                let outcome = r.outcome.map(|o| o.as_str()).unwrap_or("-");
                let phase = match r.phase {
                    Phase::Started => " started".to_string(),
                    Phase::Finished => format!(" finished {outcome}"),
                    Phase::Reconciled => format!(" reconciled {outcome}"),
                    Phase::Done => String::new(),
                };
                let approvals = if r.approvals.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", r.approvals.iter().map(|a| a.by.as_str()).collect::<Vec<_>>().join(", "))
                };
                let release = r.release.as_deref().map(|x| format!(" {x}")).unwrap_or_default();
                let reason = match (r.kind, &r.reason) {
                    (RunKind::Rollback, Some(reason)) => format!(" ({reason})"),
                    _ => String::new(),
                };
                let broke = if r.broke_freeze { " breaking the freeze" } else { "" };
                format!("{}{release}{phase} by {}{approvals}{reason}{broke}", r.kind.as_str(), r.actor.name)
            })
            .collect()
    }

    /// `env`'s account, reached as the walks reach it: by assuming its deploy role.
    pub(crate) fn cloud(&self, env: &str) -> slipway::cloud::Cloud {
        let target = self.project.find(env).unwrap().aws_target().unwrap();
        let account = target.account.to_string();
        let destination =
            slipway::cloud::Destination { environment: env, account: &account, region: target.region.code() };
        let role = format!("arn:aws:iam::{account}:role/slipway-deploy");
        self.rt
            .block_on(self.connector.connect_assuming(&destination, slipway::cloud::RegionRule::Environment, &role))
            .unwrap()
    }

    /// How many records the ledger holds.
    pub(crate) fn runs(&self) -> usize {
        self.rt.block_on(ledger::all_records(&self.store)).unwrap().len()
    }

    /// The release `env`'s stack runs now, as its `Release` parameter says in moto.
    pub(crate) fn running(&self, env: &str) -> Option<String> {
        let cloud = self.cloud(env);
        let name = format!("{}-{env}-app", self.project.name);
        self.rt.block_on(cloud.describe_stack(&name)).unwrap().map(|s| s.parameters["Release"].clone())
    }
}
