//! The policy, rule by rule, without any cloud: ledger states are made from records, the time is given.

use std::time::Duration;

use slipway::clock::Timestamp;
use slipway::ledger::{Actor, Approval, EnvState, Outcome, Phase, Record, RunKind, SmokeRecord};
use slipway::model::{Approvals, Environment, Group, RefPattern, Region, Tier, Trigger};
use slipway::policy::{Action, Decision, Request, Rule, decide};
use slipway::release::ReleaseInfo;

fn t(minutes: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_500_000_000).plus(Duration::from_secs(minutes * 60))
}

fn managers() -> Group {
    Group::new("release-managers", ["priya", "mateo", "ines"])
}

fn env(name: &str) -> Environment {
    Environment::new(name, Tier::Development)
        .aws(slipway::account_id!("111111111111"), Region::UsEast1)
        .deploys_from(["main", "release/*"])
}

fn staging() -> Environment {
    env("staging").promoted_from(["test"])
}

fn prod() -> Environment {
    Environment::new("prod", Tier::Production)
        .aws(slipway::account_id!("444444444444"), Region::UsEast1)
        .deploys_from(["main", "release/*"])
        .trigger(Trigger::Promotion)
        .promoted_from(["staging"])
        .approvals(Approvals::new(2).from(managers()).wait_minutes(30))
}

fn release(id: &str, git_ref: Option<&str>, author: &str) -> ReleaseInfo {
    ReleaseInfo {
        id: id.into(),
        commit: Some("abc".into()),
        git_ref: git_ref.map(str::to_string),
        created_at: t(0),
        created_by: author.into(),
        slipway_version: "test".into(),
        environments: vec![],
        dirty: vec![],
    }
}

fn actor(name: &str) -> Actor {
    Actor { name: name.into(), ci_run: None }
}

/// A run of `kind` of `release` on `env`, started at `at` and finished a minute later as `outcome`.
fn run(env: &str, kind: RunKind, release: &str, at: u64, outcome: Outcome, smoke_passed: bool) -> Vec<Record> {
    let id = format!("{env}-{release}-{at}");
    let mut started = Record::new(&id, Phase::Started, kind, env, t(at), &actor("ci"));
    started.release = Some(release.into());
    let mut finished = Record { phase: Phase::Finished, at: t(at + 1), outcome: Some(outcome), ..started.clone() };
    finished.smoke = vec![SmokeRecord::of("api-health", smoke_passed, "GET /health")];
    vec![started, finished]
}

fn state(records: &[Record], now: u64) -> EnvState {
    EnvState::of(records, t(now))
}

fn approvals(names: &[&str]) -> Vec<Approval> {
    names.iter().map(|n| Approval { by: (*n).into(), source: "command line".into() }).collect()
}

/// Promotes `r1` (made on `main` by `ana`, who runs it) from staging to prod at `now`, staging having
/// received it at minute 0 (finished at minute 1).
fn promote_to_prod(staging_records: &[Record], by: &[&str], now: u64, frozen: bool) -> Decision {
    let target = prod();
    let source = staging();
    let mut prod_records = Vec::new();
    if frozen {
        let mut f = Record::new("f", Phase::Done, RunKind::Freeze, "prod", t(0), &actor("ines"));
        f.reason = Some("end-of-year freeze".into());
        prod_records.push(f);
    }
    let target_state = state(&prod_records, now);
    let source_state = state(staging_records, now);
    let release = release("r1", Some("refs/heads/main"), "ana");
    let given = approvals(by);
    decide(&Request {
        action: Action::Promote,
        target: &target,
        target_state: &target_state,
        source: Some((&source, &source_state)),
        release: &release,
        actor: "ana",
        approvals: &given,
        now: t(now),
        break_window: false,
    })
}

fn rules(v: &Decision) -> Vec<Rule> {
    v.refusals.iter().map(|r| r.rule).collect()
}

fn messages(v: &Decision) -> Vec<String> {
    v.refusals.iter().map(ToString::to_string).collect()
}

#[test]
fn a_promotion_with_every_gate_passed_is_allowed_and_counts_its_approvals() {
    let staging_runs = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    let v = promote_to_prod(&staging_runs, &["priya", "mateo"], 45, false);
    assert!(v.allowed(), "{:?}", v.refusals);
    assert_eq!(v.counted.iter().map(|a| a.by.as_str()).collect::<Vec<_>>(), ["priya", "mateo"]);
}

#[test]
fn approvals_count_distinct_people_of_the_groups_never_the_runner_or_the_author() {
    let staging_runs = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    let too_few = promote_to_prod(&staging_runs, &["priya"], 45, false);
    assert_eq!(
        messages(&too_few),
        ["[approvals] `prod` needs 2 approvals from release-managers, by people other than the one running this \
          and the release's author (ana); counted priya"]
    );
    let twice = promote_to_prod(&staging_runs, &["priya", "priya"], 45, false);
    assert_eq!(
        messages(&twice),
        ["[approvals] `prod` needs 2 approvals from release-managers, by people other than the one running this \
          and the release's author (ana); counted priya; not counted: priya approved twice, counted once"]
    );
    // Each person's reason is said once, whoever else's name theirs begins with.
    let prefixes = promote_to_prod(&staging_runs, &["ana b", "ana", "ana b"], 45, false);
    assert_eq!(
        messages(&prefixes),
        ["[approvals] `prod` needs 2 approvals from release-managers, by people other than the one running this \
          and the release's author (ana); none counted; not counted: ana b is in none of the approving groups; \
          ana is the person running this"]
    );
    let author = promote_to_prod(&staging_runs, &["priya", "ana"], 45, false);
    assert_eq!(
        messages(&author),
        ["[approvals] `prod` needs 2 approvals from release-managers, by people other than the one running this \
          and the release's author (ana); counted priya; not counted: ana is the person running this"]
    );
    let outsider = promote_to_prod(&staging_runs, &["priya", "jonas"], 45, false);
    assert_eq!(
        messages(&outsider),
        ["[approvals] `prod` needs 2 approvals from release-managers, by people other than the one running this \
          and the release's author (ana); counted priya; not counted: jonas is in none of the approving groups"]
    );
}

#[test]
fn the_authors_approval_does_not_count_even_when_someone_else_promotes() {
    let target = prod();
    let source = staging();
    let staging_runs = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    let source_state = state(&staging_runs, 45);
    let target_state = state(&[], 45);
    let release = release("r1", Some("main"), "mateo");
    let given = approvals(&["priya", "mateo"]);
    let v = decide(&Request {
        action: Action::Promote,
        target: &target,
        target_state: &target_state,
        source: Some((&source, &source_state)),
        release: &release,
        actor: "ines",
        approvals: &given,
        now: t(45),
        break_window: false,
    });
    assert_eq!(rules(&v), [Rule::Approvals]);
    assert!(messages(&v)[0].ends_with("not counted: mateo is the release's author"), "{:?}", messages(&v));
}

#[test]
fn the_wait_timer_runs_from_when_the_release_reached_the_source() {
    let staging_runs = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    let early = promote_to_prod(&staging_runs, &["priya", "mateo"], 20, false);
    assert_eq!(
        messages(&early),
        ["[wait] `prod` waits 30m after a release reaches `staging`: release r1 reached it at \
          2026-11-24T06:01:00.000Z, so it may go at 2026-11-24T06:31:00.000Z (in 11m)"]
    );
    assert!(promote_to_prod(&staging_runs, &["priya", "mateo"], 31, false).allowed());
}

#[test]
fn a_frozen_target_refuses_deploys_and_promotions_and_a_rollback_may_break_it() {
    let staging_runs = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    let frozen = promote_to_prod(&staging_runs, &["priya", "mateo"], 45, true);
    assert_eq!(
        messages(&frozen),
        ["[freeze] `prod` is frozen by ines (2026-11-24T06:00:00.000Z): end-of-year freeze; `slipway unfreeze` \
          lifts it"]
    );
    let target = prod();
    let mut f = Record::new("f", Phase::Done, RunKind::Freeze, "prod", t(0), &actor("ines"));
    f.reason = Some("end-of-year freeze".into());
    let mut records = run("prod", RunKind::Promote, "r0", 0, Outcome::Deployed, true);
    records.push(f);
    let target_state = state(&records, 45);
    let release = release("r0", Some("main"), "ana");
    let given = approvals(&["priya", "mateo"]);
    let ask = |break_freeze| {
        decide(&Request {
            action: Action::Rollback { break_freeze },
            target: &target,
            target_state: &target_state,
            source: None,
            release: &release,
            actor: "ines",
            approvals: &given,
            now: t(45),
            break_window: false,
        })
    };
    assert_eq!(rules(&ask(false)), [Rule::Freeze]);
    assert!(messages(&ask(false))[0].ends_with("a rollback may pass with --break-freeze, which is recorded"));
    assert!(ask(true).allowed(), "{:?}", ask(true).refusals);
    // A freeze with an end is over at its end.
    let mut until = Record::new("g", Phase::Done, RunKind::Freeze, "prod", t(0), &actor("ines"));
    until.until = Some(t(60));
    assert!(state(&[until.clone()], 59).frozen.is_some());
    assert!(state(&[until], 60).frozen.is_none());
}

#[test]
fn a_path_not_in_the_graph_and_a_direct_deploy_of_a_promoted_environment_are_refused() {
    let target = prod();
    let dev = env("dev").trigger(Trigger::Push);
    let dev_state = state(&run("dev", RunKind::Deploy, "r1", 0, Outcome::Deployed, true), 45);
    let empty = state(&[], 45);
    let release = release("r1", Some("main"), "ana");
    let given = approvals(&["priya", "mateo"]);
    let skip = decide(&Request {
        action: Action::Promote,
        target: &target,
        target_state: &empty,
        source: Some((&dev, &dev_state)),
        release: &release,
        actor: "ana",
        approvals: &given,
        now: t(45),
        break_window: false,
    });
    assert_eq!(messages(&skip), ["[path] `prod` is not promoted from `dev`: it is promoted from staging"]);
    let direct = decide(&Request {
        action: Action::Deploy,
        target: &target,
        target_state: &empty,
        source: None,
        release: &release,
        actor: "ana",
        approvals: &given,
        now: t(45),
        break_window: false,
    });
    assert_eq!(
        messages(&direct),
        ["[path] `prod` is reached only by promotion from staging, not deployed directly; use `slipway promote \
          --release r1 --to prod`"]
    );
    // An environment deployed on push is deployed directly.
    let dev_deploy = decide(&Request {
        action: Action::Deploy,
        target: &dev,
        target_state: &empty,
        source: None,
        release: &release,
        actor: "ana",
        approvals: &[],
        now: t(45),
        break_window: false,
    });
    assert!(dev_deploy.allowed(), "{:?}", dev_deploy.refusals);
}

#[test]
fn a_release_made_on_a_ref_the_target_does_not_deploy_from_is_refused() {
    let dev = env("dev").trigger(Trigger::Push);
    let empty = state(&[], 0);
    let ask = |git_ref: Option<&str>| {
        let release = release("r1", git_ref, "ana");
        decide(&Request {
            action: Action::Deploy,
            target: &dev,
            target_state: &empty,
            source: None,
            release: &release,
            actor: "ana",
            approvals: &[],
            now: t(0),
            break_window: false,
        })
    };
    assert!(ask(Some("refs/heads/release/v1.2")).allowed());
    assert_eq!(
        messages(&ask(Some("refs/heads/feature/login"))),
        ["[ref] release r1 was made on `feature/login`, but `dev` deploys only from main, release/*"]
    );
    assert_eq!(
        messages(&ask(None)),
        ["[ref] release r1 records no git ref, so nothing says it may deploy to `dev`; create releases with `--ref` \
          (or in CI, where GITHUB_REF says)"]
    );
    // `release/*` stops at `/`, as in GitHub's branch filters; the refusal says what would match.
    assert_eq!(
        messages(&ask(Some("refs/heads/release/v1/hotfix"))),
        ["[ref] release r1 was made on `release/v1/hotfix`, but `dev` deploys only from main, release/* (a `*` \
          stops at `/`, so `release/*` does not match `release/v1/hotfix`; write `release/**` to match it)"]
    );
    // A release tag passes where the trigger says so.
    let tagged = env("pre-prod").trigger(Trigger::ReleaseTag("v*".into()));
    let release = release("r2", Some("refs/tags/v2.0.0"), "ana");
    let v = decide(&Request {
        action: Action::Deploy,
        target: &tagged,
        target_state: &empty,
        source: None,
        release: &release,
        actor: "ana",
        approvals: &[],
        now: t(0),
        break_window: false,
    });
    assert!(v.allowed(), "{:?}", v.refusals);
}

#[test]
fn the_source_must_run_the_release_its_last_change_must_have_succeeded_and_its_smoke_passed() {
    // Staging runs r0, not r1.
    let other = run("staging", RunKind::Promote, "r0", 0, Outcome::Deployed, true);
    assert_eq!(
        messages(&promote_to_prod(&other, &["priya", "mateo"], 45, false)),
        ["[source] `staging` runs release r0, not r1; promote what the source runs now"]
    );
    // r1 reached staging, but its smoke check failed there.
    let failed_smoke = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, false);
    assert_eq!(
        messages(&promote_to_prod(&failed_smoke, &["priya", "mateo"], 45, false)),
        ["[source] release r1's smoke check `api-health` failed in `staging`: GET /health"]
    );
    // r1 runs, but a later change to staging (r2) failed and rolled back.
    let mut later = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    later.extend(run("staging", RunKind::Promote, "r2", 5, Outcome::RolledBack, true));
    assert_eq!(
        messages(&promote_to_prod(&later, &["priya", "mateo"], 45, false)),
        ["[source] the last change to `staging` (promote of release r2 by ci) ended rolled-back; it must succeed \
          before a promotion from it"]
    );
    // Nothing reached staging.
    assert_eq!(
        messages(&promote_to_prod(&[], &["priya", "mateo"], 45, false)),
        ["[source] `staging` runs no release; release r1 must reach it first"]
    );
}

#[test]
fn a_rolled_back_environment_is_held_against_automatic_deploys_until_unhold_or_a_promotion() {
    let dev = env("dev").trigger(Trigger::Push);
    let mut records = run("dev", RunKind::Deploy, "r1", 0, Outcome::Deployed, true);
    records.extend(run("dev", RunKind::Deploy, "r2", 2, Outcome::Deployed, true));
    let mut back = run("dev", RunKind::Rollback, "r1", 4, Outcome::Deployed, true);
    back[1].reason = Some("r2 breaks logins".into());
    records.extend(back);
    let release = release("r3", Some("main"), "ana");
    let ask_of = |target: &Environment, records: &[Record]| {
        let s = state(records, 10);
        decide(&Request {
            action: Action::Deploy,
            target,
            target_state: &s,
            source: None,
            release: &release,
            actor: "ana",
            approvals: &[],
            now: t(10),
            break_window: false,
        })
    };
    let ask = |records: &[Record]| ask_of(&dev, records);
    assert_eq!(
        messages(&ask(&records)),
        ["[hold] `dev` is held since ci rolled it back to r1 at 2026-11-24T06:05:00.000Z (r2 breaks logins), so its \
          automatic deploys are refused; `slipway unhold --env dev` lifts the hold"]
    );
    // A release tag deploys by itself too; a deploy run by hand names its release, and passes.
    let tagged = env("dev").trigger(Trigger::ReleaseTag(RefPattern::new("v*")));
    assert_eq!(rules(&ask_of(&tagged, &records)), [Rule::Hold]);
    assert!(ask_of(&env("dev").trigger(Trigger::Manual), &records).allowed());
    let mut by_hand = records.clone();
    by_hand.extend(run("dev", RunKind::Deploy, "r3", 8, Outcome::Deployed, true));
    assert_eq!(state(&by_hand, 10).held, None, "a deploy that passed a hold was named by hand, and lifts it");
    let mut lifted = records.clone();
    lifted.push(Record::new("u", Phase::Done, RunKind::Unhold, "dev", t(6), &actor("ana")));
    assert!(ask(&lifted).allowed());
    let mut promoted = records.clone();
    promoted.extend(run("dev", RunKind::Promote, "r1", 7, Outcome::Deployed, true));
    assert!(ask(&promoted).allowed());
    // The state tells the release before the current one, for a rollback's default.
    assert_eq!(state(&records, 10).current.map(|d| d.release), Some("r1".into()));
    // Suggest only what can work: a promotion only into an environment something is promoted into.
    let promoted_into = env("dev").trigger(Trigger::Push).promoted_from(["integration"]);
    assert!(
        messages(&ask_of(&promoted_into, &records))[0].ends_with(
            "`slipway unhold --env dev` lifts the hold, or promote a release into it by name from integration"
        ),
        "{:?}",
        messages(&ask_of(&promoted_into, &records))
    );
}

/// A run like [`run`] whose smoke checks were skipped (`--no-smoke`).
fn unchecked(env: &str, kind: RunKind, release: &str, at: u64) -> Vec<Record> {
    let mut records = run(env, kind, release, at, Outcome::Deployed, true);
    records[1].smoke = vec![SmokeRecord::skipped("api-health", "skipped: deployed with --no-smoke")];
    records
}

#[test]
fn a_skipped_check_is_no_evidence_until_verify_runs_it() {
    let skipped = unchecked("staging", RunKind::Promote, "r1", 0);
    assert_eq!(
        messages(&promote_to_prod(&skipped, &["priya", "mateo"], 45, false)),
        ["[source] release r1's smoke check `api-health` was not run in `staging` (skipped: deployed with \
          --no-smoke), so nothing shows it healthy there; run its checks with `slipway verify --env staging`"]
    );
    // `verify` runs them against what staging runs: passed, they count; failed, they refuse.
    let verify = |passed: bool, release: &str| {
        let mut r = Record::new("v", Phase::Done, RunKind::Verify, "staging", t(3), &actor("ana"));
        r.release = Some(release.into());
        r.smoke = vec![SmokeRecord::of("api-health", passed, "GET /health answered 200")];
        r.outcome = Some(if passed { Outcome::Done } else { Outcome::Failed });
        r
    };
    let mut verified = skipped.clone();
    verified.push(verify(true, "r1"));
    assert!(promote_to_prod(&verified, &["priya", "mateo"], 45, false).allowed());
    let mut failed = skipped.clone();
    failed.push(verify(false, "r1"));
    assert_eq!(rules(&promote_to_prod(&failed, &["priya", "mateo"], 45, false)), [Rule::Source]);
    // Evidence for another release than the one staging runs counts for nothing.
    let mut other = skipped;
    other.push(verify(true, "r0"));
    assert_eq!(rules(&promote_to_prod(&other, &["priya", "mateo"], 45, false)), [Rule::Source]);
}

#[test]
fn a_rollback_brings_back_only_what_ran_there_healthy() {
    let mut records = run("prod", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    records.extend(unchecked("prod", RunKind::Promote, "r2", 2));
    records.extend(run("prod", RunKind::Promote, "r3", 4, Outcome::Deployed, false));
    records.extend(run("prod", RunKind::Promote, "r4", 6, Outcome::Deployed, true));
    let target = prod();
    let ask = |id: &str| {
        let s = state(&records, 10);
        let release = release(id, Some("main"), "ana");
        decide(&Request {
            action: Action::Rollback { break_freeze: false },
            target: &target,
            target_state: &s,
            source: None,
            release: &release,
            actor: "ana",
            approvals: &approvals(&["priya", "mateo"]),
            now: t(10),
            break_window: false,
        })
    };
    assert!(ask("r1").allowed());
    for (id, why) in [
        ("r2", "release r2 never finished healthy in `prod`"),
        ("r3", "release r3 never finished healthy in `prod`"),
        ("r5", "`prod` never ran release r5"),
    ] {
        let m = messages(&ask(id));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with(&format!("[history] {why}")), "{m:?}");
        assert!(m[0].contains("(it may go back to r1)"), "{m:?}");
        assert!(m[0].ends_with(&format!("promote it (`slipway promote --release {id} --to prod`)")), "{m:?}");
    }
    assert_eq!(state(&records, 10).previous().map(|d| d.release.as_str()), Some("r1"), "the default skips r3 and r2");
}

#[test]
fn every_refusing_rule_is_listed_not_only_the_first() {
    let v = promote_to_prod(&[], &["ana"], 5, true);
    assert_eq!(rules(&v), [Rule::Source, Rule::Approvals, Rule::Freeze]);
}

/// An environment that asks optional approvals: a promotion without them passes; the ones given by people
/// of its groups (not the runner, not the author) are counted and so recorded; others are not.
#[test]
fn optional_approvals_are_counted_when_given_and_required_of_nobody() {
    let qa = Group::new("qa", ["kim", "lee"]);
    let active = env("active").promoted_from(["staging"]).approvals(Approvals::optional(1).from(qa));
    let source = staging();
    let staging_runs = run("staging", RunKind::Promote, "r1", 0, Outcome::Deployed, true);
    let source_state = state(&staging_runs, 5);
    let target_state = state(&[], 5);
    let release = release("r1", Some("refs/heads/main"), "ana");
    let decide_with = |by: &[&str]| {
        let given = approvals(by);
        decide(&Request {
            action: Action::Promote,
            target: &active,
            target_state: &target_state,
            source: Some((&source, &source_state)),
            release: &release,
            actor: "bo",
            approvals: &given,
            now: t(5),
            break_window: false,
        })
    };
    let none = decide_with(&[]);
    assert!(none.allowed(), "{:?}", none.refusals);
    assert!(none.counted.is_empty());
    let given = decide_with(&["kim", "ana", "mallory"]);
    assert!(given.allowed(), "{:?}", given.refusals);
    assert_eq!(given.counted.iter().map(|a| a.by.as_str()).collect::<Vec<_>>(), ["kim"]);
}
