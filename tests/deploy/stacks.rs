//! `slipway deploy` against a real CloudFormation API on loopback (moto), with a fault-injecting proxy in
//! front of it for what moto cannot do (throttling, 5xx, dropped connections, slow answers, and stacks that
//! fail and roll back). Every failure path asserts the final state of every stack as moto holds it, the
//! exit status and the message, and that the previous templates are back.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use aws_credential_types::Credentials;
use slipway::apply::cloudformation::{
    Applied, ApprovalMode, Approver, Ending, EventLines, InFlight, Options, Plan, StackResult,
};
use slipway::cfn::resources::{Principal, Role, Statement as RoleStatement};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::cloud::{Connector, Destination, Poll, RegionRule, Settings};
use slipway::diff::StackDiff;
use slipway::model::{AccountId, Definitions, Environment, Project, Region, Repository, SmokeCheck, StackOutput, Tier};

use crate::faults::{Failure, Fault, Faults};
use crate::moto::{Moto, block_on};
use crate::support::python_tool;

thread_local! {
    /// The URL the `app` stack's `Url` output holds, when the environment has a smoke check.
    static SMOKE_URL: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The revision of the definitions: moto only updates a stack whose template changed.
    static REVISION: Cell<u32> = const { Cell::new(1) };
    /// Pads the `side` stack's template past 51,200 bytes.
    static LARGE: Cell<bool> = const { Cell::new(false) };
    /// The actions the `side` stack's `Worker` role may take, one statement each (no role when empty).
    static GRANTS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

fn release_param() -> Parameter {
    Parameter::string("the release")
}

/// A template with the definitions' revision in its metadata.
fn template(description: &str) -> Template {
    let mut t = Template::new(description);
    t.metadata.insert("Revision".into(), Expr::Int(REVISION.with(Cell::get).into()));
    t
}

/// Three stacks: `base` and `side` independent, `app` importing an export of `base`, so deployed after it
/// and rolled back before it (the test endpoint refuses to delete or drop an export a stack imports).
/// `Stack::after` orders stacks the same way; `ordering_follows_imports_and_declarations` tests both.
fn stacks(_: &Project, _: &Environment) -> Vec<Stack> {
    let mut base = template("base");
    base.parameter("Release", release_param());
    base.resource("Topic", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("base-${Release}")));
    base.resource("Bucket", Resource::new("AWS::S3::Bucket"));
    base.output("TopicArn", Output::new("the topic", Expr::r#ref("Topic")).export("shop-dev-base-TopicArn"));

    let mut app = template("app");
    app.parameter("Release", release_param());
    let topic = Expr::map([("Key", Expr::str("base-topic")), ("Value", Expr::import("shop-dev-base-TopicArn"))]);
    app.resource("Queue", Resource::new("AWS::SQS::Queue").prop("Tags", Expr::list([topic])));
    app.resource("Topic", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("app-${Release}")));
    let url = SMOKE_URL.with(|u| u.borrow().clone()).unwrap_or_else(|| "http://127.0.0.1:9".into());
    app.output("Url", Output::new("where the app answers", Expr::str(url)));

    let mut side = template("side");
    side.parameter("Release", release_param());
    let mut topic = Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("side-${Release}"));
    if LARGE.with(Cell::get) {
        topic.metadata.insert("Padding".into(), Expr::str("x".repeat(60_000)));
    }
    side.resource("Topic", topic);
    let grants = GRANTS.with(|g| g.borrow().clone());
    if !grants.is_empty() {
        let role = Role {
            description: "shop worker".into(),
            trust: vec![RoleStatement::trust(Principal::Service("lambda.amazonaws.com".into()))],
            managed_policies: vec![],
            permissions: grants.iter().map(|a| RoleStatement::allow([*a], [Expr::str("*")])).collect(),
            max_session_seconds: None,
            name: None,
        };
        side.resource("Worker", role);
    }
    vec![Stack::new("base", base), Stack::new("app", app), Stack::new("side", side)]
}

fn project() -> Definitions {
    let mut env = Environment::new("dev", Tier::Development)
        .aws(AccountId::new("111111111111"), Region::UsEast1)
        .deploys_from(["main"]);
    if SMOKE_URL.with(|u| u.borrow().is_some()) {
        env = env.smoke(SmokeCheck::get("health", StackOutput::new("app", "Url"), "/health").attempts(2));
    }
    Project::new("shop", Repository::new("acme", "shop")).environment(env).stacks_from(stacks)
}

fn options() -> Options {
    Options {
        concurrency: 4,
        approval: ApprovalMode::Never,
        yes: false,
        interactive: false,
        skip_resources: vec![],
        in_progress_wait: Duration::from_secs(1),
        poll: Poll { min: Duration::from_millis(20), max: Duration::from_millis(150) },
        artifacts_bucket: None,
        smoke: true,
    }
}

struct Refuse;
impl Approver for Refuse {
    fn approve(&mut self, _: &str, _: &StackDiff) -> bool {
        false
    }
}

/// What a deploy did: the outcome, its summary lines and exit status, and the progress lines.
struct Deployed {
    outcome: Applied,
    summary: Vec<String>,
    code: u8,
    log: String,
}

/// Deploys release `release` (`rN` deploys revision N of the definitions).
fn deploy(endpoint: &str, release: &str, opts: &Options) -> Deployed {
    deploy_with(endpoint, release, opts, &mut Refuse)
}

/// The plan of release `release` of the test project's `dev`, from what the definitions synthesize now.
fn plan(release: &str) -> Plan {
    REVISION.with(|r| r.set(release.trim_start_matches('r').parse().unwrap_or(1)));
    let project = project();
    let set = slipway::synth::synth(&project, &["dev".to_string()]).expect("the test definitions synthesize");
    Plan::new(&project.name, project.find("dev").unwrap(), release, &set.artifacts).expect("a plan")
}

/// Deploys `plan` through the proxy at `endpoint`, asking `approver` where the gate asks.
fn deploy_plan(endpoint: &str, plan: &Plan, opts: &Options, approver: &mut dyn Approver) -> Deployed {
    let target = plan.env.aws_target().unwrap().clone();
    let mut log = Vec::new();
    let outcome = block_on(async {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
        let dest = Destination { environment: "dev", account: target.account.as_str(), region: target.region.code() };
        let connector = Connector::load_from(loader, Settings::default()).await;
        let cloud = connector.connect(&dest, RegionRule::Strict).await.expect("connected");
        let mut reporter = EventLines::new(&mut log);
        slipway::apply::cloudformation::run(
            &cloud,
            plan,
            opts,
            &mut reporter,
            approver,
            &RefCell::new(InFlight::default()),
        )
        .await
    });
    let summary = slipway::apply::cloudformation::summary(plan, &outcome);
    let code = slipway::cli::exit_of(&outcome.ending).code();
    Deployed { outcome, summary, code, log: String::from_utf8(log).unwrap() }
}

fn deploy_with(endpoint: &str, release: &str, opts: &Options, approver: &mut dyn Approver) -> Deployed {
    deploy_plan(endpoint, &plan(release), opts, approver)
}

/// Each stack's status and `Release` parameter, as moto holds them (`None`: the stack does not exist).
fn stacks_in(moto: &Moto) -> BTreeMap<&'static str, Option<(String, String)>> {
    let client = moto.client();
    block_on(async {
        let mut out = BTreeMap::new();
        for short in ["base", "app", "side"] {
            let name = format!("shop-dev-{short}");
            let found = match client.describe_stacks().stack_name(&name).send().await {
                Ok(o) => o.stacks().first().map(|s| {
                    let release = s
                        .parameters()
                        .iter()
                        .find(|p| p.parameter_key() == Some("Release"))
                        .and_then(|p| p.parameter_value())
                        .unwrap_or_default()
                        .to_string();
                    (s.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default(), release)
                }),
                Err(_) => None,
            };
            out.insert(short, found);
        }
        out
    })
}

fn template_of(moto: &Moto, short: &str) -> String {
    let client = moto.client();
    block_on(async {
        let out = client.get_template().stack_name(format!("shop-dev-{short}")).send().await.unwrap();
        out.template_body().unwrap().to_string()
    })
}

fn deployed(release: &str) -> Option<(String, String)> {
    Some(("UPDATE_COMPLETE".into(), release.into()))
}

fn created(release: &str) -> Option<(String, String)> {
    Some(("CREATE_COMPLETE".into(), release.into()))
}

fn results(d: &Deployed) -> Vec<(&str, &StackResult)> {
    d.outcome.stacks.iter().map(|(n, r)| (n.as_str(), r)).collect()
}

fn setup() -> (Moto, Faults) {
    python_tool("SLIPWAY_TEST_PYTHON", "python");
    SMOKE_URL.with(|u| *u.borrow_mut() = None);
    LARGE.with(|l| l.set(false));
    GRANTS.with(|g| g.borrow_mut().clear());
    REVISION.with(|r| r.set(1));
    let moto = Moto::start();
    let faults = Faults::start(&moto.endpoint);
    (moto, faults)
}

#[test]
fn creates_updates_and_reports_an_unchanged_environment_with_tags() {
    let (moto, faults) = setup();
    let first = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(first.outcome.ending, Ending::Deployed, "{}", first.log);
    assert_eq!(first.code, 0);
    assert!(results(&first).iter().all(|(_, r)| **r == StackResult::Created), "{:?}", results(&first));
    assert_eq!(first.summary.last().unwrap(), "deployed: dev is on release r1");
    let before = stacks_in(&moto);
    assert_eq!(before["base"], created("r1"));
    assert_eq!(before["app"], created("r1"));

    let tags: BTreeMap<String, String> = block_on(async {
        let out = moto.client().describe_stacks().stack_name("shop-dev-app").send().await.unwrap();
        out.stacks()[0].tags().iter().map(|t| (t.key().unwrap().into(), t.value().unwrap().into())).collect()
    });
    assert_eq!(tags["slipway:environment"], "dev");
    assert!(!tags.contains_key("slipway:release") && !tags.contains_key("slipway:commit"), "{tags:?}");

    let second = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(second.outcome.ending, Ending::Deployed, "{}", second.log);
    assert!(results(&second).iter().all(|(_, r)| **r == StackResult::Updated), "{:?}", results(&second));
    assert_eq!(stacks_in(&moto)["app"], deployed("r2"));
    let tags_after: BTreeMap<String, String> = block_on(async {
        let out = moto.client().describe_stacks().stack_name("shop-dev-app").send().await.unwrap();
        out.stacks()[0].tags().iter().map(|t| (t.key().unwrap().into(), t.value().unwrap().into())).collect()
    });
    assert_eq!(tags_after, tags, "a new release leaves the stack's tags as they were");

    let third = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(third.outcome.ending, Ending::Deployed);
    assert!(results(&third).iter().all(|(_, r)| **r == StackResult::Unchanged), "{:?}", results(&third));
    assert!(third.log.contains("shop-dev-app: unchanged"), "{}", third.log);
}

#[test]
fn independent_stacks_deploy_in_parallel_and_dependents_wait() {
    let (_moto, faults) = setup();
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.outcome.ending, Ending::Deployed, "{}", d.log);
    let pos = |needle: &str| d.log.find(needle).unwrap_or_else(|| panic!("no {needle:?} in\n{}", d.log));
    // `side` starts before `base` finishes: they run at once.
    assert!(pos("shop-dev-side: creating change set") < pos("shop-dev-base: CREATE_COMPLETE"), "{}", d.log);
    // `app` comes after `base`, so it starts only when `base` is done.
    assert!(pos("shop-dev-base: CREATE_COMPLETE") < pos("shop-dev-app: creating change set"), "{}", d.log);

    let (_moto, faults) = setup();
    let one_at_a_time = Options { concurrency: 1, ..options() };
    let d = deploy(&faults.endpoint, "r1", &one_at_a_time);
    let pos = |needle: &str| d.log.find(needle).unwrap();
    assert!(pos("shop-dev-base: CREATE_COMPLETE") < pos("shop-dev-side: creating change set"), "{}", d.log);
}

#[test]
fn throttling_5xx_dropped_connections_and_slow_answers_are_retried() {
    let (moto, faults) = setup();
    faults.inject("DescribeStacks", Fault::Throttle, 2);
    faults.inject("CreateChangeSet", Fault::Unavailable, 2);
    faults.inject("DescribeChangeSet", Fault::Drop, 1);
    faults.inject("DescribeStackEvents", Fault::Slow(Duration::from_millis(1500)), 1);
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.outcome.ending, Ending::Deployed, "{}", d.log);
    assert_eq!(stacks_in(&moto)["base"], created("r1"));
    // Every stack's CreateChangeSet went through once, plus the two answered with 503.
    assert_eq!(faults.calls("CreateChangeSet"), 3 + 2);
}

#[test]
fn a_describe_stacks_that_keeps_failing_before_anything_changed_is_a_cloud_failure() {
    let (moto, faults) = setup();
    // More 503s than the SDK's five attempts for each of the three stacks, which are recorded at once: every
    // DescribeStacks fails for good while the deploy is still recording.
    faults.inject("DescribeStacks", Fault::Unavailable, 3 * 5);
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.code, 3, "{}", d.log);
    let last = d.summary.last().unwrap();
    assert!(last.starts_with("not deployed, nothing was changed: DescribeStacks for stack `shop-dev-"), "{last}");
    assert!(last.contains("ServiceUnavailable"), "{last}");
    assert_eq!(faults.calls("CreateChangeSet"), 0);
    assert_eq!(stacks_in(&moto), BTreeMap::from([("base", None), ("app", None), ("side", None)]));
}

/// The record step reads every stack at once: with each answer delayed, all three stacks are described
/// before the first of them is looked at further (a step one stack at a time would describe, list the
/// change sets of and read the template of one stack before it described the next).
#[test]
fn the_record_step_reads_every_stack_at_once() {
    let (_moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let (described, listed) = (faults.arrivals("DescribeStacks").len(), faults.arrivals("ListChangeSets").len());
    faults.latency(Duration::from_millis(100));
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.code, 0, "{}", d.log);
    let describes = faults.arrivals("DescribeStacks");
    let first_listing = faults.arrivals("ListChangeSets")[listed];
    assert!(
        describes[described..described + 3].iter().all(|at| *at < first_listing),
        "every stack is described before any stack's change sets are listed"
    );
}

#[test]
fn a_stack_left_in_review_and_change_sets_left_unexecuted_are_cleared_and_said_so() {
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    // What an earlier deploy killed between CreateChangeSet and ExecuteChangeSet leaves: an update change
    // set on an existing stack, and a new stack whose create change set never ran (REVIEW_IN_PROGRESS).
    let body = template_of(&moto, "side").replace("\"side\"", "\"side, half done\"");
    let app = template_of_definitions("app");
    block_on(async {
        let client = moto.client();
        client
            .create_change_set()
            .stack_name("shop-dev-side")
            .change_set_name("slipway-deploy-r9-1")
            .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Update)
            .template_body(body)
            .parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key("Release")
                    .use_previous_value(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        client.delete_stack().stack_name("shop-dev-app").send().await.unwrap();
        client
            .create_change_set()
            .stack_name("shop-dev-app")
            .change_set_name("slipway-deploy-r9-2")
            .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
            .template_body(app)
            .parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key("Release")
                    .parameter_value("r9")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let app = client.describe_stacks().stack_name("shop-dev-app").send().await.unwrap();
        assert_eq!(app.stacks()[0].stack_status().unwrap().as_str(), "REVIEW_IN_PROGRESS");
    });
    // Nothing waits on them: the deploy clears both, says so, and goes on (a wait would take 1 s here and
    // end in a refusal; before, a REVIEW_IN_PROGRESS stack was waited on until the bound ran out).
    let d = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(d.code, 0, "{}", d.log);
    assert!(
        d.log.contains("shop-dev-app: found the stack REVIEW_IN_PROGRESS with no resources, left by an earlier create"),
        "{}",
        d.log
    );
    assert!(
        d.log.contains(
            "shop-dev-side: deleting change set slipway-deploy-r9-1, which an earlier deploy left unexecuted"
        ),
        "{}",
        d.log
    );
    assert_eq!(d.outcome.stacks.iter().find(|(n, _)| n == "shop-dev-app").unwrap().1, StackResult::Created);
    let left = block_on(async { moto.client().list_change_sets().stack_name("shop-dev-side").send().await.unwrap() });
    let waiting: Vec<_> = left
        .summaries()
        .iter()
        .filter(|c| c.execution_status().map(|s| s.as_str()) != Some("EXECUTE_COMPLETE"))
        .collect();
    assert!(waiting.is_empty(), "no change set waits to be executed: {waiting:?}");
    assert_eq!(stacks_in(&moto)["app"], created("r2"));
}

/// The template the test definitions synthesize now for stack `short` of `dev`.
fn template_of_definitions(short: &str) -> String {
    let set = slipway::synth::synth(&project(), &[]).unwrap();
    String::from_utf8(set.file(&format!("dev/cloudformation/{short}.template.json")).unwrap().to_vec()).unwrap()
}

#[test]
fn a_failed_create_is_deleted_and_the_environment_returns_to_nothing() {
    let (moto, faults) = setup();
    faults.fail("shop-dev-app", Failure::CreateRollsBack);
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.code, 4, "{}", d.log);
    let cause = "shop-dev-app: Broken (AWS::S3::BucketPolicy) CREATE_FAILED: Resource handler returned message: \
                 \"Access Denied (Service: S3, Status Code: 403)\"";
    assert_eq!(d.outcome.ending, Ending::RolledBack { cause: cause.into() });
    assert_eq!(
        d.summary,
        [
            "shop-dev-base: created".to_string(),
            format!(
                "shop-dev-app: FAILED: {}; create failed; the empty stack was deleted",
                &cause["shop-dev-app: ".len()..]
            ),
            "shop-dev-side: created".into(),
            "shop-dev-side: rollback: deleted: it did not exist before this deploy".into(),
            "shop-dev-base: rollback: deleted: it did not exist before this deploy".into(),
            format!("rolled back: dev is back where it was before this deploy, because {cause}"),
        ]
    );
    assert_eq!(stacks_in(&moto), BTreeMap::from([("base", None), ("app", None), ("side", None)]));
}

/// A deletion that finishes between the status read and the events read of the wait on it (every rollback
/// on LocalStack, whose deletes take tens of milliseconds) is a deletion that succeeded: the environment is
/// rolled back (exit 4), not reported as a rollback that left a stack behind (exit 5).
#[test]
fn a_delete_that_finishes_between_two_reads_is_a_delete_that_succeeded() {
    let (moto, faults) = setup();
    faults.fail("shop-dev-app", Failure::CreateRollsBack);
    faults.racing_delete("shop-dev-side");
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.code, 4, "{:?}\n{}", d.outcome.ending, d.log);
    assert!(matches!(d.outcome.ending, Ending::RolledBack { .. }), "{:?}", d.outcome.ending);
    assert!(
        d.summary.contains(&"shop-dev-side: rollback: deleted: it did not exist before this deploy".to_string()),
        "{:?}",
        d.summary
    );
    assert_eq!(stacks_in(&moto), BTreeMap::from([("base", None), ("app", None), ("side", None)]));
    assert!(
        !faults.race_pending("shop-dev-side"),
        "the status read saw the deletion under way, the events read no stack"
    );
}

#[test]
fn a_failed_update_rolls_the_whole_environment_back() {
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let templates: Vec<String> = ["base", "app", "side"].iter().map(|s| template_of(&moto, s)).collect();
    faults.fail("shop-dev-app", Failure::UpdateRollsBack);
    let d = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(d.code, 4, "{}", d.log);
    let Ending::RolledBack { cause } = &d.outcome.ending else { panic!("{:?}", d.outcome.ending) };
    assert!(cause.starts_with("shop-dev-app: Broken (AWS::S3::BucketPolicy) UPDATE_FAILED"), "{cause}");
    assert!(
        d.summary.contains(
            &"shop-dev-app: FAILED: Broken (AWS::S3::BucketPolicy) UPDATE_FAILED: Resource handler returned message: \
              \"Access Denied (Service: S3, Status Code: 403)\"; CloudFormation rolled the update back"
                .to_string()
        ),
        "{:?}",
        d.summary
    );
    assert!(d.summary.contains(&"shop-dev-base: rollback: restored to its previous template and parameters".into()));
    assert!(d.summary.contains(&"shop-dev-side: rollback: restored to its previous template and parameters".into()));
    // Every stack is on r1 again, with the template it had.
    let now = stacks_in(&moto);
    assert_eq!(now["base"], deployed("r1"));
    assert_eq!(now["side"], deployed("r1"));
    assert_eq!(now["app"], created("r1"), "moto never saw the failed update");
    let after: Vec<String> = ["base", "app", "side"].iter().map(|s| template_of(&moto, s)).collect();
    assert_eq!(after, templates);
    assert!(d.log.contains("returning 2 stack(s) this deploy changed to what they were"), "{}", d.log);
}

#[test]
fn a_failed_rollback_is_continued_skipping_the_named_resources() {
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    faults.fail("shop-dev-side", Failure::RollbackFails);
    let opts = Options { skip_resources: vec!["Broken".into()], concurrency: 1, ..options() };
    let d = deploy(&faults.endpoint, "r2", &opts);
    assert_eq!(d.code, 4, "{}", d.log);
    assert_eq!(faults.skipped(), [vec!["Broken".to_string()]]);
    let side = d.outcome.stacks.iter().find(|(n, _)| n == "shop-dev-side").unwrap();
    assert_eq!(
        side.1,
        StackResult::Failed {
            root_cause: "Broken (AWS::S3::BucketPolicy) UPDATE_FAILED: Resource handler returned message: \"Access \
                         Denied (Service: S3, Status Code: 403)\""
                .into(),
            state: "the rollback failed; slipway continued it to UPDATE_ROLLBACK_COMPLETE, skipping Broken".into(),
        }
    );
    assert!(d.log.contains("UPDATE_ROLLBACK_FAILED: continuing the rollback, skipping Broken"), "{}", d.log);
    let now = stacks_in(&moto);
    assert_eq!(now["base"], deployed("r1"));
    assert_eq!(now["app"], deployed("r1"));
}

#[test]
fn a_stack_busy_with_another_operation_is_waited_for_then_refused_with_nothing_changed() {
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    faults.fail("shop-dev-app", Failure::Busy);
    let d = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(d.code, 1);
    assert_eq!(
        d.summary.last().unwrap(),
        "not deployed, nothing was changed: stack shop-dev-app is still UPDATE_IN_PROGRESS after waiting 1s for an \
         operation this deploy did not start; look at it with `aws cloudformation describe-stack-events \
         --stack-name shop-dev-app` and deploy again when it has finished"
    );
    assert_eq!(faults.calls("CreateChangeSet"), 3, "only the first deploy made change sets");
    assert_eq!(stacks_in(&moto)["base"], created("r1"));
}

/// A one-route HTTP server on loopback answering `status` to every request.
fn http_server(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let _ = write!(conn, "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    url
}

#[test]
fn a_passing_smoke_check_completes_the_deploy() {
    let (_moto, faults) = setup();
    let server = http_server(200);
    SMOKE_URL.with(|u| *u.borrow_mut() = Some(server));
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.outcome.ending, Ending::Deployed, "{}", d.log);
    assert!(d.log.contains("smoke check `health` passed (200)"), "{}", d.log);
}

#[test]
fn a_failing_smoke_check_rolls_the_environment_back() {
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let server = http_server(503);
    SMOKE_URL.with(|u| *u.borrow_mut() = Some(server.clone()));
    let d = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(d.code, 4, "{}", d.log);
    assert_eq!(
        d.outcome.ending,
        Ending::RolledBack {
            cause: format!(
                "smoke check `health` failed: GET {server}/health answered 503, expected 200 (after 2 attempt(s))"
            )
        }
    );
    let now = stacks_in(&moto);
    assert_eq!(
        (now["base"].clone(), now["app"].clone(), now["side"].clone()),
        (deployed("r1"), deployed("r1"), deployed("r1"))
    );
}

#[test]
fn a_change_needing_approval_without_a_terminal_is_refused_before_anything_changes() {
    let (moto, faults) = setup();
    let gated = Options { approval: ApprovalMode::AnyChange, concurrency: 1, ..options() };
    let d = deploy(&faults.endpoint, "r1", &gated);
    assert_eq!(d.code, 1, "{}", d.log);
    assert_eq!(
        d.summary.last().unwrap(),
        "not deployed, nothing was changed: shop-dev-base, shop-dev-app, shop-dev-side change and need approval, but \
         there is no terminal to ask on; review the changes above and rerun with --yes (or with --require-approval \
         never)"
    );
    assert!(d.outcome.stacks.iter().all(|(_, r)| *r == StackResult::NotStarted), "{:?}", d.outcome.stacks);
    // What needs approval is shown: every stack's diff, property by property.
    assert!(d.log.contains("shop-dev-base:   [+] stack base (added, worst impact create)"), "{}", d.log);
    assert!(d.log.contains("shop-dev-base:       [+] Topic AWS::SNS::Topic: create"), "{}", d.log);
    assert_eq!(faults.calls("CreateChangeSet"), 0);
    assert_eq!(faults.calls("ExecuteChangeSet"), 0);
    assert_eq!(stacks_in(&moto), BTreeMap::from([("base", None), ("app", None), ("side", None)]));
    let approved = deploy(&faults.endpoint, "r1", &Options { yes: true, ..gated });
    assert_eq!(approved.code, 0, "{}", approved.log);
}

#[test]
fn a_template_over_51200_bytes_goes_through_the_artifacts_bucket() {
    let (moto, faults) = setup();
    LARGE.with(|l| l.set(true));
    let without = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(without.code, 1);
    assert!(without.summary.last().unwrap().contains("pass --artifacts-bucket NAME"), "{:?}", without.summary);
    block_on(async {
        let s3 = moto.s3();
        s3.create_bucket().bucket("artifacts").send().await.unwrap();
    });
    let with = deploy(&faults.endpoint, "r1", &Options { artifacts_bucket: Some("artifacts".into()), ..options() });
    assert_eq!(with.code, 0, "{}", with.log);
    assert!(with.log.contains("uploading the "), "{}", with.log);
    assert!(template_of(&moto, "side").len() > 51_200);
}

/// Approves everything, remembering what it was shown.
#[derive(Default)]
struct Recorder(Vec<(String, String)>);

impl Approver for Recorder {
    fn approve(&mut self, stack: &str, diff: &StackDiff) -> bool {
        self.0.push((stack.to_string(), slipway::diff::render::stack_text(diff, false)));
        true
    }
}

#[test]
fn the_gate_asks_when_an_iam_statement_broadens_access_and_not_when_one_narrows_it() {
    let (moto, faults) = setup();
    GRANTS.with(|g| *g.borrow_mut() = vec!["sqs:SendMessage"]);
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let gated = Options { approval: ApprovalMode::Broadening, interactive: true, ..options() };

    // A second statement: access broadens, so a person is asked, and shown the property-level diff.
    GRANTS.with(|g| *g.borrow_mut() = vec!["sqs:SendMessage", "sqs:DeleteQueue"]);
    let mut asked = Recorder::default();
    let d = deploy_with(&faults.endpoint, "r2", &gated, &mut asked);
    assert_eq!(d.code, 0, "{}", d.log);
    assert_eq!(asked.0.len(), 1, "only the stack whose access broadens asks: {:?}", asked.0);
    let (stack, shown) = &asked.0[0];
    assert_eq!(stack, "shop-dev-side");
    assert!(shown.contains("    security\n      [+] BROADENS Worker Properties/Policies["), "{shown}");
    assert!(shown.contains("sqs:DeleteQueue"), "{shown}");
    assert!(shown.contains("[~] Worker AWS::IAM::Role: update"), "{shown}");
    assert!(shown.contains("└─ Properties/Policies/"), "the changed property paths: {shown}");
    assert!(d.log.contains("shop-dev-side:       [~] Worker AWS::IAM::Role: update"), "{}", d.log);

    // One statement fewer: access narrows, nobody is asked, and the change still shows in the log.
    GRANTS.with(|g| *g.borrow_mut() = vec!["sqs:DeleteQueue"]);
    let mut asked = Recorder::default();
    let d = deploy_with(&faults.endpoint, "r3", &gated, &mut asked);
    assert_eq!(d.code, 0, "{}", d.log);
    assert!(asked.0.is_empty(), "narrowing asked: {:?}", asked.0);
    assert!(d.log.contains("shop-dev-side:       [-] Worker Properties/Policies["), "{}", d.log);
    let role = template_of(&moto, "side");
    assert!(role.contains("sqs:DeleteQueue") && !role.contains("sqs:SendMessage"), "{role}");
}

#[test]
fn a_synth_directory_deploys_exactly_the_bytes_it_holds() {
    let (moto, faults) = setup();
    let project = project();
    let set = slipway::synth::synth(&project, &[]).unwrap();
    let dir = crate::support::tempdir();
    let out = dir.path().join("out");
    slipway::synth::write(&set, &out).unwrap();
    // The definitions move on after the synth; the directory is what was reviewed.
    REVISION.with(|r| r.set(7));
    let read = slipway::synth::read_dir(&out, &[]).unwrap();
    assert!(read.changed.is_empty() && read.unlisted.is_empty());
    let plan = Plan::new(&project.name, project.find("dev").unwrap(), "r1", &read.artifacts).unwrap();
    let d = deploy_plan(&faults.endpoint, &plan, &options(), &mut Refuse);
    assert_eq!(d.code, 0, "{}", d.log);
    for stack in ["base", "app", "side"] {
        let on_disk = std::fs::read_to_string(out.join(format!("dev/cloudformation/{stack}.template.json"))).unwrap();
        assert_eq!(template_of(&moto, stack), on_disk, "{stack}");
    }
}

#[test]
fn deploy_from_a_directory_refuses_a_file_changed_missing_or_unlisted_naming_it() {
    let dir = crate::support::tempdir();
    let run = |args: &[&str]| crate::support::slipway(dir.path(), args);
    assert_eq!(run(&["synth", "--out", "out"]).status, 0);
    let deploy = ["deploy", "--env", "dev", "--from", "out", "--release", "r1", "--yes", "--target", "aws"];

    let app = dir.path().join("out/dev/cloudformation/app.template.json");
    let original = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, original.replace("\"Description\"", "\"Description \"")).unwrap();
    let edited = run(&deploy);
    assert_eq!(edited.status, 1, "{}", edited.stderr);
    assert_eq!(
        edited.stderr.lines().next().unwrap(),
        "error: `out/dev/cloudformation/app.template.json` changed after `slipway synth` wrote it (its SHA-256 \
         differs from the one in manifest.json); refusing to deploy what was not reviewed"
    );
    std::fs::write(&app, &original).unwrap();

    let data = dir.path().join("out/dev/cloudformation/data.template.json");
    let kept = std::fs::read(&data).unwrap();
    std::fs::remove_file(&data).unwrap();
    let missing = run(&deploy);
    assert_eq!(missing.status, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.starts_with(
            "error: `out/dev/cloudformation/data.template.json`, which manifest.json lists, cannot be read: "
        ),
        "{}",
        missing.stderr
    );
    std::fs::write(&data, kept).unwrap();

    std::fs::write(dir.path().join("out/dev/cloudformation/extra.template.json"), "{}").unwrap();
    let unlisted = run(&deploy);
    assert_eq!(unlisted.status, 1, "{}", unlisted.stderr);
    assert!(
        unlisted.stderr.starts_with(
            "error: `out/dev/cloudformation/extra.template.json` is not listed in manifest.json: slipway did not \
             write it"
        ),
        "{}",
        unlisted.stderr
    );
}

#[test]
fn ordering_follows_imports_and_declarations() {
    fn importing(_: &Project, _: &Environment) -> Vec<Stack> {
        let mut base = Template::new("base");
        base.resource("Topic", Resource::new("AWS::SNS::Topic"));
        base.output("TopicArn", Output::new("the topic", Expr::r#ref("Topic")).export("shop-dev-base-TopicArn"));
        let mut app = Template::new("app");
        app.resource(
            "Queue",
            Resource::new("AWS::SQS::Queue").prop("QueueName", Expr::import("shop-dev-base-TopicArn")),
        );
        let mut late = Template::new("late");
        late.resource("Topic", Resource::new("AWS::SNS::Topic"));
        // Defined first, but imports and declarations put it last.
        vec![Stack::new("late", late).after("app"), Stack::new("app", app), Stack::new("base", base)]
    }
    let project = project().stacks_from(importing);
    let set = slipway::synth::synth(&project, &[]).unwrap();
    let plan = Plan::new(&project.name, project.find("dev").unwrap(), "r1", &set.artifacts).unwrap();
    let order: Vec<(&str, Vec<&str>)> =
        plan.stacks.iter().map(|s| (s.short.as_str(), s.depends_on.iter().map(String::as_str).collect())).collect();
    assert_eq!(order, [("base", vec![]), ("app", vec!["base"]), ("late", vec!["app"])]);
}

/// `slipway deploy --env dev --release r1 --progress events EXTRA…` in `dir`, with no AWS settings but those
/// in `env` (none inherited from this machine: no profile, no config files, no instance metadata).
fn deploy_command(dir: &std::path::Path, env: &[(&str, String)], extra: &[&str]) -> std::process::Command {
    let mut cmd = crate::support::engine();
    cmd.args(["deploy", "--env", "dev", "--release", "r1", "--progress", "events", "--target", "aws"])
        .args(extra)
        .current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k == "GITHUB_SHA" {
            cmd.env_remove(k);
        }
    }
    cmd.env("GITHUB_REF", "refs/heads/main")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/slipway-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/slipway-test-credentials");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the deploy of [`deploy_command`] to the end.
fn deploy_binary(env: &[(&str, String)]) -> crate::support::Run {
    let dir = crate::support::tempdir();
    let out = deploy_command(dir.path(), env, &[]).output().unwrap();
    crate::support::Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn missing_credentials_wrong_region_unreachable_endpoint_and_wrong_account_are_one_clear_line() {
    let keys = || vec![("AWS_ACCESS_KEY_ID", "testing".to_string()), ("AWS_SECRET_ACCESS_KEY", "testing".into())];

    let run = deploy_binary(&[("AWS_REGION", "us-east-1".into())]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "cloud error: no usable AWS credentials: the credential provider was not enabled: no providers in chain \
         provided credentials\nhint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or AWS_ROLE_ARN \
         with AWS_WEB_IDENTITY_TOKEN_FILE (GitHub OIDC)\nhint: nothing was read or changed\n"
    );

    // No credentials, and instance metadata that answers 403: still one line, no SDK dump.
    let imds = http_server(403);
    let here = crate::support::tempdir();
    let mut cmd = deploy_command(here.path(), &[("AWS_REGION", "us-east-1".into())], &[]);
    cmd.env_remove("AWS_EC2_METADATA_DISABLED").env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let first = stderr.lines().next().unwrap();
    assert!(first.starts_with("cloud error: no usable AWS credentials: "), "{stderr}");
    assert!(!stderr.contains("Response {") && !stderr.contains("raw:"), "a debug dump: {stderr}");
    assert_eq!(stderr.lines().filter(|l| !l.starts_with("hint: ")).count(), 1, "{stderr}");

    let mut wrong_region = keys();
    wrong_region.push(("AWS_REGION", "eu-west-1".into()));
    let run = deploy_binary(&wrong_region);
    assert_eq!(run.status, 3);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "cloud error: the AWS region configured here is eu-west-1 but environment `dev` deploys to us-east-1; unset \
         AWS_REGION/AWS_DEFAULT_REGION or correct the environment's definition"
    );

    let mut unreachable = keys();
    unreachable.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()));
    let run = deploy_binary(&unreachable);
    assert_eq!(run.status, 3);
    assert!(run.stderr.starts_with("cloud error: cannot reach AWS at http://127.0.0.1:9: "), "{}", run.stderr);

    let other = Moto::start_as("999999999999");
    let mut wrong_account = keys();
    wrong_account.push(("AWS_ENDPOINT_URL", other.endpoint.clone()));
    let run = deploy_binary(&wrong_account);
    assert_eq!(run.status, 3);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "cloud error: the AWS credentials belong to account 999999999999 but environment `dev` deploys to account \
         111111111111; refusing to touch the wrong account"
    );
    let stacks = block_on(async { other.client().describe_stacks().send().await.unwrap().stacks().len() });
    assert_eq!(stacks, 0, "nothing was created");
}

/// A deploy of the reference `dev` through the real binary, interrupted (SIGINT, as a terminal's Ctrl-C)
/// while it waits for stacks busy with operations it did not start. Asserts what it says.
pub fn interrupted_deploy() -> crate::support::Run {
    use std::io::BufRead;
    let (moto, faults) = setup();
    // Every stack of the reference `dev` environment exists and is busy with an operation slipway did not
    // start, so the first one the deploy looks at holds it.
    let stacks = ["network", "data", "app", "monitoring", "deploy-role"].map(|s| format!("webapp-dev-{s}"));
    block_on(async {
        let body = r#"{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}"#;
        for name in &stacks {
            moto.client().create_stack().stack_name(name).template_body(body).send().await.unwrap();
        }
    });
    for name in &stacks {
        faults.fail(name, Failure::Busy);
    }
    let dir = crate::support::tempdir();
    let env = [
        ("AWS_ENDPOINT_URL", faults.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ];
    let mut child = deploy_command(dir.path(), &env, &["--poll-ms", "50"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read its progress until it is waiting for the busy stack, then interrupt it.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("(started elsewhere) to finish") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "slipway ended before it waited:\n{seen}");
        seen.push_str(&line);
    }
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let code = child.wait().unwrap().code();
    let stderr = seen + &rest;
    assert!(stderr.contains(": waiting for UPDATE_IN_PROGRESS (started elsewhere) to finish"), "{stderr}");
    assert!(
        stderr.ends_with(
            "interrupted: slipway stopped waiting; CloudFormation carries on with what was started\n  no change set \
             was executed\n"
        ),
        "{stderr}"
    );
    assert_eq!(faults.calls("ExecuteChangeSet"), 0);
    // The run gave its lock back and the ledger says how it ended.
    let store = dir.path().join(".slipway");
    let locks: Vec<_> = std::fs::read_dir(store.join("locks")).unwrap().collect();
    assert!(locks.is_empty(), "the lock was given back: {locks:?}");
    let mut records: Vec<std::path::PathBuf> =
        std::fs::read_dir(store.join("ledger/dev")).unwrap().map(|e| e.unwrap().path()).collect();
    records.sort();
    assert_eq!(records.len(), 2, "{records:?}");
    let finished: serde_json::Value = serde_json::from_slice(&std::fs::read(&records[1]).unwrap()).unwrap();
    assert_eq!((finished["phase"].as_str(), finished["outcome"].as_str()), (Some("finished"), Some("interrupted")));
    crate::support::Run { status: code.unwrap_or(-1), stdout, stderr }
}

#[test]
fn ctrl_c_while_waiting_stops_and_says_what_was_executed() {
    let run = interrupted_deploy();
    assert_eq!(run.status, 130, "{}", run.stderr);
}
