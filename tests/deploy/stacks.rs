//! `slipway deploy` against a real CloudFormation API on loopback (moto), with a fault-injecting proxy in
//! front of it for what moto cannot do (throttling, 5xx, dropped connections, slow answers, and stacks that
//! fail and roll back). Every failure path asserts the final state of every stack as moto holds it, the
//! exit status and the message, and that the previous templates are back.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
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
    pub(crate) static SMOKE_URL: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The revision of the definitions: moto only updates a stack whose template changed.
    pub(crate) static REVISION: Cell<u32> = const { Cell::new(1) };
    /// Pads the `side` stack's template past 51,200 bytes.
    pub(crate) static LARGE: Cell<bool> = const { Cell::new(false) };
    /// The actions the `side` stack's `Worker` role may take, one statement each (no role when empty).
    pub(crate) static GRANTS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn release_param() -> Parameter {
    Parameter::string("the release")
}

/// A template with the definitions' revision in its metadata.
pub(crate) fn template(description: &str) -> Template {
    let mut t = Template::new(description);
    t.metadata.insert("Revision".into(), Expr::Int(REVISION.with(Cell::get).into()));
    t
}

/// Three stacks: `base` and `side` independent, `app` importing an export of `base`, so deployed after it
/// and rolled back before it (the test endpoint refuses to delete or drop an export a stack imports).
/// `Stack::after` orders stacks the same way; `ordering_follows_imports_and_declarations` tests both.
pub(crate) fn stacks(_: &Project, _: &Environment) -> Vec<Stack> {
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

pub(crate) fn project() -> Definitions {
    let mut env = Environment::new("dev", Tier::Development)
        .aws(AccountId::new("111111111111"), Region::UsEast1)
        .deploys_from(["main"]);
    if SMOKE_URL.with(|u| u.borrow().is_some()) {
        env = env.smoke(SmokeCheck::get("health", StackOutput::new("app", "Url"), "/health").attempts(2));
    }
    Project::new("shop", Repository::new("acme", "shop")).environment(env).stacks_from(stacks)
}

pub(crate) fn options() -> Options {
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
        bake: true,
    }
}

pub(crate) struct Refuse;
impl Approver for Refuse {
    fn approve(&mut self, _: &str, _: &StackDiff) -> bool {
        false
    }
}

/// What a deploy did: the outcome, its summary lines and exit status, and the progress lines.
pub(crate) struct Deployed {
    pub(crate) outcome: Applied,
    pub(crate) summary: Vec<String>,
    pub(crate) code: u8,
    pub(crate) log: String,
}

/// Deploys release `release` (`rN` deploys revision N of the definitions).
pub(crate) fn deploy(endpoint: &str, release: &str, opts: &Options) -> Deployed {
    deploy_with(endpoint, release, opts, &mut Refuse)
}

/// The plan of release `release` of the test project's `dev`, from what the definitions synthesize now.
pub(crate) fn plan(release: &str) -> Plan {
    REVISION.with(|r| r.set(release.trim_start_matches('r').parse().unwrap_or(1)));
    let project = project();
    let set = crate::support::synth(&project, &["dev".to_string()]).expect("the test definitions synthesize");
    Plan::new(&project.name, project.find("dev").unwrap(), release, &set.artifacts).expect("a plan")
}

/// Deploys `plan` through the proxy at `endpoint`, asking `approver` where the gate asks.
pub(crate) fn deploy_plan(endpoint: &str, plan: &Plan, opts: &Options, approver: &mut dyn Approver) -> Deployed {
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

pub(crate) fn deploy_with(endpoint: &str, release: &str, opts: &Options, approver: &mut dyn Approver) -> Deployed {
    deploy_plan(endpoint, &plan(release), opts, approver)
}

/// Each stack's status and `Release` parameter, as moto holds them (`None`: the stack does not exist).
pub(crate) fn stacks_in(moto: &Moto) -> BTreeMap<&'static str, Option<(String, String)>> {
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

pub(crate) fn template_of(moto: &Moto, short: &str) -> String {
    let client = moto.client();
    block_on(async {
        let out = client.get_template().stack_name(format!("shop-dev-{short}")).send().await.unwrap();
        out.template_body().unwrap().to_string()
    })
}

pub(crate) fn deployed(release: &str) -> Option<(String, String)> {
    Some(("UPDATE_COMPLETE".into(), release.into()))
}

pub(crate) fn created(release: &str) -> Option<(String, String)> {
    Some(("CREATE_COMPLETE".into(), release.into()))
}

pub(crate) fn results(d: &Deployed) -> Vec<(&str, &StackResult)> {
    d.outcome.stacks.iter().map(|(n, r)| (n.as_str(), r)).collect()
}

pub(crate) fn setup() -> (Moto, Faults) {
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
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let (described, listed) = (faults.arrivals("DescribeStacks").len(), faults.arrivals("ListChangeSets").len());
    faults.latency(Duration::from_millis(100));
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.code, 0, "{}\n{}\n--- moto\n{}", d.log, d.summary.join("\n"), moto.log());
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
    let set = crate::support::synth(&project(), &[]).unwrap();
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
