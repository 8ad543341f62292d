//! The bake walked on moto: a release deploys to dev and its alarm is watched for the bake; the next
//! release's alarm goes to ALARM during its bake, and every stack of dev goes back to the release before,
//! the alarm named in the ledger; that release then refuses to promote (soak), while the one before it
//! soaks and goes. Every CloudFormation request passes a recording proxy, which shows the alarms passed as
//! rollback triggers and cleared for the way back.

use std::sync::Mutex;
use std::time::Duration;

use aws_credential_types::Credentials;
use slipway::apply::cloudformation::Ending;
use slipway::clock::{Clock, SystemClock, Timestamp};
use slipway::cloud::{Connector, Settings};
use slipway::ledger::{self, Outcome, Phase};
use slipway::model::{AlarmRef, Approvals, Environment, Group, Project, Region, Repository, Tier, Trigger};

use crate::deploy::walks::World;
use crate::moto::Rewriter;

/// Every request body the proxy passed, in order.
static REQUESTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(request: &str, response: String) -> String {
    REQUESTS.lock().unwrap().push(request.to_string());
    response
}

fn flow() -> slipway::model::Definitions {
    Project::new("webapp", Repository::new("acme", "webapp"))
        .environment(
            Environment::new("dev", Tier::Development)
                .aws(slipway::account_id!("111111111111"), Region::UsEast1)
                .deploys_from(["main"])
                .trigger(Trigger::Push)
                .alarm(AlarmRef::output("watch", "ErrorsAlarm"))
                .bake(Duration::from_secs(3))
                .monitoring_minutes(5),
        )
        .environment(
            Environment::new("staging", Tier::Staging)
                .aws(slipway::account_id!("333333333333"), Region::UsEast1)
                .deploys_from(["main"])
                .trigger(Trigger::Promotion)
                .promoted_from(["dev"])
                .approvals(Approvals::new(1).from(Group::new("qa", ["amara"])))
                .soak("dev", Duration::from_secs(3600))
                .deny_window("2026-03-24 Europe/Berlin"),
        )
        .into()
}

/// SDK clients acting through `role` (an account's deploy role) at the moto at `endpoint`.
pub(crate) fn clients(endpoint: &str, role: &str) -> (aws_sdk_cloudformation::Client, aws_sdk_cloudwatch::Client) {
    crate::moto::block_on(async {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(slipway::cloud::https_client())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load()
            .await;
        let assumed = aws_sdk_sts::Client::new(&base)
            .assume_role()
            .role_arn(role)
            .role_session_name("test")
            .send()
            .await
            .unwrap();
        let c = assumed.credentials().unwrap();
        let creds =
            Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().into()), None, "sts");
        let config = base
            .to_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
            .build();
        (aws_sdk_cloudformation::Client::new(&config), aws_sdk_cloudwatch::Client::new(&config))
    })
}

pub(crate) fn release_of(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> (String, String) {
    crate::moto::block_on(async {
        let out = cfn.describe_stacks().stack_name(stack).send().await.unwrap();
        let s = &out.stacks()[0];
        let release = s.parameters().iter().find(|p| p.parameter_key() == Some("Release")).unwrap();
        (release.parameter_value().unwrap().to_string(), s.stack_status().unwrap().as_str().to_string())
    })
}

#[test]
fn an_alarm_during_the_bake_rolls_every_stack_back_and_the_release_never_soaks() {
    let mut w = World::new(flow());
    // Every CloudFormation and CloudWatch call of the runs through the recording proxy.
    let proxy = Rewriter::start(w.endpoint(), record);
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&proxy.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
    w.connector = w.rt.block_on(Connector::load_from(loader, Settings::default()));
    w.set_clock(Timestamp::parse("2026-03-24T09:00:00Z").unwrap());

    // The alarm the watch stack makes (moto records the resource but makes no alarm in CloudWatch).
    let (cfn, cw) = clients(w.endpoint(), "arn:aws:iam::111111111111:role/slipway-deploy");
    crate::moto::block_on(async {
        cw.put_metric_alarm()
            .alarm_name("dev-errors")
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .unwrap();
        cw.set_alarm_state()
            .alarm_name("dev-errors")
            .state_value("OK".into())
            .state_reason("quiet")
            .send()
            .await
            .unwrap();
    });

    w.release("r1", "refs/heads/main", "ana");
    w.release("r2", "refs/heads/main", "ana");
    assert_eq!(w.deploy("r1", "dev", "ci", &[]), Ok(Ending::Deployed));
    let records = w.rt.block_on(ledger::records(&w.store, "dev")).unwrap();
    let bake = records.last().unwrap().bake.clone().expect("the bake is recorded");
    assert!(bake.passed && !bake.skipped, "{bake:?}");
    assert_eq!(bake.alarms, ["dev-errors"]);
    assert_eq!(bake.seconds, 3);

    // The alarm goes off once both stacks are on r2: during the bake, after the smoke check.
    let stacks = ["webapp-dev-app", "webapp-dev-watch"];
    let setter = {
        let (cfn, cw) = (cfn.clone(), cw.clone());
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !stacks.iter().all(|s| release_of(&cfn, s) == ("r2".to_string(), "UPDATE_COMPLETE".to_string())) {
                assert!(start.elapsed() < Duration::from_secs(120), "r2 never reached both stacks");
                std::thread::sleep(Duration::from_millis(20));
            }
            crate::moto::block_on(
                cw.set_alarm_state()
                    .alarm_name("dev-errors")
                    .state_value("ALARM".into())
                    .state_reason("Threshold Crossed: 7 errors in a minute")
                    .send(),
            )
            .unwrap();
        })
    };
    let ending = w.deploy("r2", "dev", "ci", &[]);
    setter.join().unwrap();
    let Ok(Ending::RolledBack { cause }) = ending else { panic!("r2 was not rolled back: {ending:?}") };
    assert_eq!(cause, "bake: alarm `dev-errors` went to ALARM: Threshold Crossed: 7 errors in a minute");
    // `slipway deploy` exits 4 on this ending (the exit table's `RolledBack`).
    assert_eq!(slipway::app::Exit::RolledBack.code(), 4);
    for stack in stacks {
        assert_eq!(release_of(&cfn, stack), ("r1".to_string(), "UPDATE_COMPLETE".to_string()), "{stack}");
    }

    // The ledger names the alarm, its reason and its time.
    let records = w.rt.block_on(ledger::records(&w.store, "dev")).unwrap();
    let finished = records.last().unwrap();
    assert_eq!(
        (finished.phase, finished.outcome, finished.release.as_deref()),
        (Phase::Finished, Some(Outcome::RolledBack), Some("r2"))
    );
    let alarm = finished.bake.as_ref().and_then(|b| b.alarm.clone()).expect("the alarm is recorded");
    assert_eq!(alarm.name, "dev-errors");
    assert_eq!(alarm.reason, "Threshold Crossed: 7 errors in a minute");
    // CloudWatch's time of the change, which is the real one (the walk's clock is not CloudWatch's).
    assert!(SystemClock.now().since(alarm.at) < Duration::from_secs(300), "{alarm:?}");
    assert!(finished.reason.as_deref().unwrap().contains("alarm `dev-errors` went to ALARM"), "{:?}", finished.reason);

    // CloudFormation got the alarm as a rollback trigger with the monitoring time for r2's changes (it
    // existed by then), and the way back cleared the triggers so that the alarm could not stop it.
    let requests = REQUESTS.lock().unwrap().clone();
    let arn = "arn%3Aaws%3Acloudwatch%3Aus-east-1%3A111111111111%3Aalarm%3Adev-errors";
    let changes: Vec<&String> = requests.iter().filter(|r| r.contains("Action=CreateChangeSet")).collect();
    let with_trigger = changes
        .iter()
        .filter(|r| {
            r.contains(&format!("RollbackConfiguration.RollbackTriggers.member.1.Arn={arn}"))
                && r.contains("RollbackConfiguration.MonitoringTimeInMinutes=5")
                && r.contains("RollbackConfiguration.RollbackTriggers.member.1.Type=AWS%3A%3ACloudWatch%3A%3AAlarm")
        })
        .count();
    assert_eq!(with_trigger, 2, "r2's change of both stacks names the alarm:\n{changes:#?}");
    let restores: Vec<&&String> = changes.iter().filter(|r| r.contains("-restore")).collect();
    assert_eq!(restores.len(), 2, "{changes:#?}");
    for r in restores {
        assert!(r.contains("RollbackConfiguration.MonitoringTimeInMinutes=0") && !r.contains(arn), "{r}");
    }

    // r2 never soaked in dev: it refuses to promote, saying why; r1 soaks its hour and goes.
    let refused = w.promote("r2", "dev", "staging", "ci", &["amara"]).unwrap_err();
    assert_eq!(refused.len(), 4, "{refused:#?}");
    assert_eq!(refused[0], "[source] `dev` runs release r1, not r2; promote what the source runs now");
    assert_eq!(
        refused[1],
        "[source] the last change to `dev` (deploy of release r2 by ci) ended rolled-back; it must succeed before a \
         promotion from it"
    );
    assert!(refused[3].starts_with("[window] `staging` takes no promotion in its window"), "{}", refused[3]);
    assert!(
        refused[2].starts_with(
            "[soak] `staging` takes a release from `dev` only after it has run there for 1h 0m with no rollback and \
             no alarm: in `dev` release r2 had a setback at "
        ) && refused[2].contains(": alarm `dev-errors` went to ALARM at ")
            && refused[2].contains("(Threshold Crossed: 7 errors in a minute), and it was rolled back"),
        "{}",
        refused[2]
    );
    // dev's last change must succeed before anything leaves it: r1 again, unchanged, baked again once the
    // alarm is quiet (while it is in ALARM, the bake rolls r1 back too).
    let quiet = cw.set_alarm_state().alarm_name("dev-errors").state_value("OK".into()).state_reason("quiet again");
    crate::moto::block_on(quiet.send()).unwrap();
    assert_eq!(w.deploy("r1", "dev", "ci", &[]), Ok(Ending::Deployed));
    let early = w.promote("r1", "dev", "staging", "ci", &["amara"]).unwrap_err();
    assert_eq!(early.len(), 2, "{early:#?}");
    assert!(early[0].starts_with("[soak]") && early[0].contains(", so it may go at 2026-03-24T10:00:"), "{}", early[0]);
    // The status page says when each gate lifts: the soak an hour after r1 reached dev again, the window
    // at midnight in Berlin.
    let now = w.clock.now();
    let actor = ledger::Actor { name: "viewer".into(), ci_run: None };
    let cx = slipway::ops::Context { project: &w.project, store: &w.store, actor: &actor, clock: &w.clock };
    let envs: Vec<&Environment> = w.project.environments.iter().collect();
    let page = w.rt.block_on(slipway::ops::page::page(&cx, &envs, None, &Default::default())).unwrap();
    let waiting = page.waiting.iter().find(|x| x.to == "staging" && x.release == "r1").expect("r1 waits at staging");
    let until = |rule: &str| waiting.gates.iter().find(|g| g.rule == rule).map(|g| g.until);
    let dev = w.rt.block_on(ledger::records(&w.store, "dev")).unwrap();
    let reached = ledger::EnvState::of(&dev, now).reached("r1").unwrap().at;
    assert_eq!(until("soak"), Some(Some(reached.plus(Duration::from_secs(3600)))), "{waiting:#?}");
    assert_eq!(until("window"), Some(Some(Timestamp::parse("2026-03-24T23:00:00Z").unwrap())), "{waiting:#?}");
    w.advance(61);
    // Soaked; but staging takes nothing on 2026-03-24 (Berlin time), until midnight there.
    let denied = w.promote("r1", "dev", "staging", "ci", &["amara"]).unwrap_err();
    assert_eq!(
        denied,
        ["[window] `staging` takes no promotion in its window `deny 2026-03-24 Europe/Berlin` (Tue 2026-03-24 11:01 \
          CET there); the next window opens at 2026-03-24T23:00:00.000Z (Wed 2026-03-25 00:00 CET, in 12h 59m); \
          `--break-window --reason TEXT` passes it, with the 1 approval a promotion into it needs, and is recorded"]
    );
    // Broken with a reason and the approval, it goes, and the ledger says which window and why.
    let hotfix = "hotfix: logins fail";
    assert_eq!(w.promote_breaking_window("r1", "dev", "staging", "ci", &[], hotfix).unwrap_err().len(), 1);
    assert_eq!(w.promote_breaking_window("r1", "dev", "staging", "ci", &["amara"], hotfix), Ok(Ending::Deployed));
    let staging = w.rt.block_on(ledger::records(&w.store, "staging")).unwrap();
    let done = staging.last().unwrap();
    assert_eq!(done.outcome, Some(Outcome::Deployed));
    assert_eq!(done.broke_window.as_deref(), Some("deny 2026-03-24 Europe/Berlin"));
    assert_eq!(done.reason.as_deref(), Some(hotfix));
}
