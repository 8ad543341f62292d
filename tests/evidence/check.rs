//! `slipway check` (and synth, for what needs the stacks) refuses evidence, soak and windows that cannot
//! work, naming the environment and the field and saying what to do.

use std::time::Duration;

use slipway::cfn::{Expr, Output, Resource, Stack, Template};
use slipway::model::{AlarmRef, Definitions, Environment, Problem, Project, Region, Repository, Tier, check};

fn env(name: &str) -> Environment {
    Environment::new(name, Tier::Development)
        .aws(slipway::account_id!("123456789012"), Region::UsEast1)
        .deploys_from(["main"])
}

fn project(envs: Vec<Environment>) -> Definitions {
    envs.into_iter().fold(Project::new("shop", Repository::new("acme", "shop")), Project::environment).into()
}

fn messages(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn windows_that_cannot_be_read_or_never_open_are_refused() {
    let p = project(vec![
        env("a").allow_window("weekdays 09:00-16:00 Europe/Berlln"),
        env("b").allow_window("weekdays 9-16 Europe/Berlin"),
        env("c").allow_window("mon 10:00-10:00 UTC"),
        env("d").deny_window("2027-01-04 to 2026-12-20 UTC"),
        env("e").allow_window("2026-12-24 Europe/Berlin").deny_window("2026-12-20 to 2027-01-04 Europe/Berlin"),
        env("f").allow_window("weekdays 22:00-02:00 America/New_York").deny_window("2026-12-24 UTC"),
    ]);
    assert_eq!(
        messages(&check(&p)),
        [
            "environment `a`, windows: `Europe/Berlln` is not a time zone of the IANA database (such as Europe/Berlin \
             or UTC); write `allow weekdays 09:00-16:00 Europe/Berlin` or `deny 2026-12-20 to 2027-01-04 \
             Europe/Berlin`",
            "environment `b`, windows: `9` is not a time of day: write it as HH:MM, 00:00 to 24:00",
            "environment `c`, windows: `allow mon 10:00-10:00 UTC` opens and closes at the same time (10:00), so it \
             never holds",
            "environment `d`, windows: `deny 2027-01-04 to 2026-12-20 UTC` ends (2026-12-20) before it starts \
             (2027-01-04), so it never holds",
            "environment `e`, windows: never let a deploy or promotion in: every allow window falls inside a deny \
             window; widen one or drop a deny window",
        ]
    );
}

#[test]
fn evidence_and_soak_values_cloudformation_or_the_graph_refuse_are_refused() {
    let many = (0..6).fold(env("a"), |e, i| e.alarm(AlarmRef::named(format!("alarm-{i}"))));
    let p = project(vec![
        many.bake_minutes(10),
        env("b").alarm(AlarmRef::named("errors")).monitoring_minutes(200),
        env("c").bake_minutes(10),
        env("d").promoted_from(["a"]).soak("b", Duration::from_secs(3600)),
    ]);
    assert_eq!(
        messages(&check(&p)),
        [
            "environment `a`, evidence: names 6 alarms, but CloudFormation takes at most 5 rollback triggers per stack \
             change; combine them into a composite alarm",
            "environment `b`, evidence: asks CloudFormation to watch its alarms for 200 minutes after each stack \
             change; it takes at most 180; watch longer with the bake (`.bake_minutes(..)`)",
            "environment `c`, evidence: has a bake or monitoring time but names no alarm to watch; add one with \
             `.alarm(AlarmRef::..)`",
            "environment `d`, soak: soaks releases from `b`, which it is not promoted from; add it to \
             `.promoted_from(..)` or drop the soak",
        ]
    );
}

fn stacks(_: &Project, _: &Environment) -> Vec<Stack> {
    let mut t = Template::new("alarms");
    t.resource(
        "Errors",
        Resource::new("AWS::CloudWatch::Alarm")
            .prop("ComparisonOperator", Expr::str("GreaterThanThreshold"))
            .prop("EvaluationPeriods", Expr::from(1u32))
            .prop("MetricName", Expr::str("Errors"))
            .prop("Namespace", Expr::str("AWS/Lambda"))
            .prop("Period", Expr::from(60u32))
            .prop("Statistic", Expr::str("Sum"))
            .prop("Threshold", Expr::from(1u32)),
    );
    t.resource("Topic", Resource::new("AWS::SNS::Topic"));
    t.output("ErrorsAlarm", Output::new("the alarm", Expr::r#ref("Errors")));
    vec![Stack::new("watch", t)]
}

#[test]
fn an_alarm_of_a_stack_the_environment_does_not_have_is_refused_by_synth() {
    let p = project(vec![
        env("dev")
            .alarm(AlarmRef::resource("watch", "Errors"))
            .alarm(AlarmRef::output("watch", "ErrorsAlarm"))
            .alarm(AlarmRef::resource("wach", "Errors"))
            .alarm(AlarmRef::resource("watch", "Eros"))
            .alarm(AlarmRef::resource("watch", "Topic"))
            .alarm(AlarmRef::output("watch", "Alarm")),
    ])
    .stacks_from(stacks);
    let problems = crate::support::synth(&p, &[]).unwrap_err().0;
    assert_eq!(
        messages(&problems),
        [
            "environment `dev`, evidence: names 6 alarms, but CloudFormation takes at most 5 rollback triggers per \
             stack change; combine them into a composite alarm",
            "environment `dev`, evidence: watches alarm `Eros` of stack `watch`, but stack `watch` has no resource \
             `Eros`; did you mean `Errors`?",
            "environment `dev`, evidence: watches alarm `Errors` of stack `wach`, but the environment has no stack \
             `wach`; did you mean `watch`?",
            "environment `dev`, evidence: watches alarm `Topic` of stack `watch`, which is a AWS::SNS::Topic, not a \
             CloudWatch alarm",
            "environment `dev`, evidence: watches the alarm named by output `Alarm` of stack `watch`, but stack \
             `watch` has no such output",
        ]
    );
}

#[test]
fn the_rules_carry_evidence_soak_and_windows_as_data() {
    let p = project(vec![
        env("dev").alarm(AlarmRef::output("watch", "ErrorsAlarm")).bake_minutes(10).monitoring_minutes(5),
        env("prod")
            .promoted_from(["dev"])
            .soak("dev", Duration::from_secs(86_400))
            .allow_window("weekdays 09:00-16:00 Europe/Berlin"),
    ])
    .stacks_from(stacks);
    let rules = slipway::synth::rules::Rules::of(&p);
    let json: serde_json::Value = serde_json::from_str(&rules.to_json()).unwrap();
    let envs = &json["project"]["environments"];
    assert_eq!(
        envs[0]["evidence"],
        serde_json::json!({
            "alarms": [{ "output": { "stack": "watch", "output": "ErrorsAlarm" } }],
            "bake_seconds": 600,
            "monitoring_minutes": 5,
        })
    );
    assert_eq!(envs[1]["soak_seconds"], serde_json::json!({ "dev": 86400 }));
    assert_eq!(envs[1]["windows"], serde_json::json!(["allow weekdays 09:00-16:00 Europe/Berlin"]));
    // And read back, they are the same rules.
    assert_eq!(slipway::synth::rules::Rules::read(rules.to_json().as_bytes()).unwrap(), rules);
}
