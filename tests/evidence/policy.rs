//! The soak and window rules and the bake as evidence, in the one pure policy function, on a fixed clock:
//! Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) on Sunday 2026-03-29, so the same wall-clock
//! window opens an hour earlier in UTC after it, and the refusals say when it opens.

use std::time::Duration;

use slipway::clock::Timestamp;
use slipway::ledger::{
    Actor, AlarmRecord, Approval, BakeRecord, EnvState, Outcome, Phase, Record, RunKind, SmokeRecord,
};
use slipway::model::{Approvals, Environment, Group, Region, Tier, Trigger};
use slipway::policy::{Action, Decision, Request, Rule, decide};
use slipway::release::ReleaseInfo;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn staging() -> Environment {
    Environment::new("staging", Tier::Staging)
        .aws(slipway::account_id!("333333333333"), Region::UsEast1)
        .deploys_from(["main"])
        .unprotected_because("a test")
}

/// prod: promoted from staging after a day's soak, on weekdays 09:00-16:00 Berlin time, never over the
/// holidays; two release managers approve.
fn prod() -> Environment {
    Environment::new("prod", Tier::Production)
        .aws(slipway::account_id!("444444444444"), Region::UsEast1)
        .deploys_from(["main"])
        .trigger(Trigger::Promotion)
        .promoted_from(["staging"])
        .approvals(Approvals::new(2).from(Group::new("release-managers", ["priya", "mateo", "ines"])))
        .soak("staging", Duration::from_secs(24 * 3600))
        .allow_window("weekdays 09:00-16:00 Europe/Berlin")
        .deny_window("2026-12-20 to 2027-01-04 Europe/Berlin")
}

fn release(id: &str) -> ReleaseInfo {
    ReleaseInfo {
        id: id.into(),
        commit: Some("abc".into()),
        git_ref: Some("refs/heads/main".into()),
        created_at: at("2026-03-01T00:00:00Z"),
        created_by: "ana".into(),
        slipway_version: "test".into(),
        environments: vec![],
        dirty: vec![],
    }
}

/// A deploy of `release` to `env` that started at `at` and finished a minute later as `outcome`, with a
/// passed smoke check and the bake `bake`.
fn run(env: &str, release: &str, started: Timestamp, outcome: Outcome, bake: Option<BakeRecord>) -> Vec<Record> {
    let actor = Actor { name: "ci".into(), ci_run: None };
    let id = format!("{env}-{release}-{}", started.unix_millis());
    let mut s = Record::new(&id, Phase::Started, RunKind::Deploy, env, started, &actor);
    s.release = Some(release.into());
    let mut f = Record { phase: Phase::Finished, at: started.plus(Duration::from_secs(60)), ..s.clone() };
    f.outcome = Some(outcome);
    f.smoke = vec![SmokeRecord::of("health", true, "GET /health answered 200")];
    f.bake = bake;
    if outcome != Outcome::Deployed {
        f.reason = Some("bake: alarm `staging-errors` went to ALARM: Threshold Crossed".into());
    }
    vec![s, f]
}

fn passed() -> Option<BakeRecord> {
    Some(BakeRecord {
        alarms: vec!["staging-errors".into()],
        seconds: 600,
        passed: true,
        detail: "1 alarm(s) stayed out of ALARM for 10m".into(),
        alarm: None,
        skipped: false,
    })
}

fn promote(records: &[Record], now: Timestamp, approvers: &[&str], break_window: bool) -> Decision {
    let (target, source) = (prod(), staging());
    let target_state = EnvState::of(&[], now);
    let source_state = EnvState::of(records, now);
    let approvals: Vec<Approval> =
        approvers.iter().map(|a| Approval { by: (*a).into(), source: "command line".into() }).collect();
    decide(&Request {
        action: Action::Promote,
        target: &target,
        target_state: &target_state,
        source: Some((&source, &source_state)),
        release: &release("r1"),
        actor: "ci",
        approvals: &approvals,
        now,
        break_window,
    })
}

fn messages(d: &Decision) -> Vec<String> {
    d.refusals.iter().map(ToString::to_string).collect()
}

const BOTH: [&str; 2] = ["priya", "mateo"];

#[test]
fn a_weekly_window_keeps_its_wall_clock_hours_across_the_change_to_summer_time() {
    let soaked = run("staging", "r1", at("2026-03-20T08:00:00Z"), Outcome::Deployed, passed());
    // Friday 08:30 UTC is 09:30 in Berlin (CET): open.
    assert!(promote(&soaked, at("2026-03-27T08:30:00Z"), &BOTH, false).allowed());
    // Friday 15:30 UTC is 16:30 CET: closed, and the next opening is Monday 09:00 CEST, 07:00 UTC.
    let late = promote(&soaked, at("2026-03-27T15:30:00Z"), &BOTH, false);
    assert_eq!(
        messages(&late),
        ["[window] `prod` takes a promotion only inside its allow window `allow weekdays 09:00-16:00 Europe/Berlin` \
          (Fri 2026-03-27 16:30 CET there); the next window opens at 2026-03-30T07:00:00.000Z (Mon 2026-03-30 09:00 \
          CEST, in 2d 16h); `--break-window --reason TEXT` passes it, with the 2 approvals a promotion into it \
          needs, and is recorded"]
    );
    // Monday 06:30 UTC would be 07:30 at last week's offset, and is 08:30 CEST: still closed.
    let early = promote(&soaked, at("2026-03-30T06:30:00Z"), &BOTH, false);
    assert_eq!(early.refusals.iter().map(|r| r.rule).collect::<Vec<_>>(), [Rule::Window]);
    assert!(messages(&early)[0].contains("opens at 2026-03-30T07:00:00.000Z (Mon 2026-03-30 09:00 CEST, in 30m)"));
    // Monday 07:30 UTC is 09:30 CEST: open (an offset read once, before the change, would say 08:30).
    assert!(promote(&soaked, at("2026-03-30T07:30:00Z"), &BOTH, false).allowed());
    // Monday 14:30 UTC is 16:30 CEST: closed again, an hour earlier in UTC than the Friday before.
    assert!(!promote(&soaked, at("2026-03-30T14:30:00Z"), &BOTH, false).allowed());
    assert!(promote(&soaked, at("2026-03-27T14:30:00Z"), &BOTH, false).allowed());
}

#[test]
fn a_deny_window_names_itself_and_the_first_allowed_hour_after_it() {
    let soaked = run("staging", "r1", at("2026-12-01T08:00:00Z"), Outcome::Deployed, passed());
    // Thursday 2026-12-24, 10:00 UTC: inside the weekday hours, but denied until the end of 2027-01-04;
    // 2027-01-05 is a Tuesday, so the next window opens at 09:00 CET that day.
    let denied = promote(&soaked, at("2026-12-24T10:00:00Z"), &BOTH, false);
    assert_eq!(
        messages(&denied),
        ["[window] `prod` takes no promotion in its window `deny 2026-12-20 to 2027-01-04 Europe/Berlin` (Thu \
          2026-12-24 11:00 CET there); the next window opens at 2027-01-05T08:00:00.000Z (Tue 2027-01-05 09:00 CET, \
          in 11d 22h); `--break-window --reason TEXT` passes it, with the 2 approvals a promotion into it needs, \
          and is recorded"]
    );
    // Breaking it passes the window, records which, and still needs the approvals.
    let broken = promote(&soaked, at("2026-12-24T10:00:00Z"), &BOTH, true);
    assert!(broken.allowed(), "{:?}", broken.refusals);
    assert_eq!(broken.broke_window.as_deref(), Some("deny 2026-12-20 to 2027-01-04 Europe/Berlin"));
    let alone = promote(&soaked, at("2026-12-24T10:00:00Z"), &["priya"], true);
    assert_eq!(alone.refusals.iter().map(|r| r.rule).collect::<Vec<_>>(), [Rule::Approvals]);
}

#[test]
fn a_rollback_is_never_kept_out_by_a_window() {
    let target = prod();
    let records = run("prod", "r1", at("2026-12-01T08:00:00Z"), Outcome::Deployed, None);
    let state = EnvState::of(&records, at("2026-12-24T10:00:00Z"));
    let approvals: Vec<Approval> =
        BOTH.iter().map(|a| Approval { by: (*a).into(), source: "command line".into() }).collect();
    let d = decide(&Request {
        action: Action::Rollback { break_freeze: false },
        target: &target,
        target_state: &state,
        source: None,
        release: &release("r1"),
        actor: "ci",
        approvals: &approvals,
        now: at("2026-12-24T10:00:00Z"),
        break_window: false,
    });
    assert!(d.allowed(), "{:?}", d.refusals);
}

#[test]
fn soak_counts_from_when_the_release_reached_the_source_across_the_clock_change() {
    // r1 reached staging on Saturday 2026-03-28 at 12:01 UTC; a day's soak ends on the day the clocks
    // change, at the same UTC time, when prod's window is shut (a Sunday).
    let records = run("staging", "r1", at("2026-03-28T12:00:00Z"), Outcome::Deployed, passed());
    let early = promote(&records, at("2026-03-29T09:00:00Z"), &BOTH, false);
    assert_eq!(
        messages(&early),
        [
            "[soak] `prod` takes a release from `staging` only after it has run there for 1d 0h with no rollback and \
             no alarm: release r1 reached it at 2026-03-28T12:01:00.000Z, so it may go at 2026-03-29T12:01:00.000Z \
             (in 3h 1m), if no rollback or alarm comes first",
            "[window] `prod` takes a promotion only inside its allow window `allow weekdays 09:00-16:00 \
             Europe/Berlin` (Sun 2026-03-29 11:00 CEST there); the next window opens at 2026-03-30T07:00:00.000Z \
             (Mon 2026-03-30 09:00 CEST, in 22h 0m); `--break-window --reason TEXT` passes it, with the 2 \
             approvals a promotion into it needs, and is recorded",
        ]
    );
    // Soaked by Monday morning, and the window is open.
    assert!(promote(&records, at("2026-03-30T07:00:00Z"), &BOTH, false).allowed());
}

#[test]
fn an_alarm_that_rolled_the_release_back_in_the_source_stops_its_soak() {
    let mut records = run("staging", "r0", at("2026-03-02T08:00:00Z"), Outcome::Deployed, passed());
    let alarmed = BakeRecord {
        alarms: vec!["staging-errors".into()],
        seconds: 600,
        passed: false,
        detail: "alarm `staging-errors` went to ALARM: Threshold Crossed".into(),
        alarm: Some(AlarmRecord {
            name: "staging-errors".into(),
            reason: "Threshold Crossed".into(),
            at: at("2026-03-03T08:03:00Z"),
        }),
        skipped: false,
    };
    records.extend(run("staging", "r1", at("2026-03-03T08:00:00Z"), Outcome::RolledBack, Some(alarmed)));
    let d = promote(&records, at("2026-03-10T10:00:00Z"), &BOTH, false);
    // The source rule refuses too: dev runs r0, and its last change ended rolled back.
    assert_eq!(d.refusals.iter().map(|r| r.rule).collect::<Vec<_>>(), [Rule::Source, Rule::Source, Rule::Soak]);
    assert_eq!(
        messages(&d)[2],
        "[soak] `prod` takes a release from `staging` only after it has run there for 1d 0h with no rollback and no \
         alarm: in `staging` release r1 had a setback at 2026-03-03T08:01:00.000Z: alarm `staging-errors` went to \
         ALARM at 2026-03-03T08:03:00.000Z (Threshold Crossed), and it was rolled back; it may go 1d 0h after it \
         next reaches `staging` and stays there healthy"
    );
    // Deployed again and soaked a day since, it may go.
    records.extend(run("staging", "r1", at("2026-03-09T08:00:00Z"), Outcome::Deployed, passed()));
    assert!(promote(&records, at("2026-03-10T10:00:00Z"), &BOTH, false).allowed());
}

#[test]
fn a_skipped_bake_is_no_evidence() {
    let skipped = BakeRecord::skipped(vec!["staging-errors".into()], 600, "skipped: deployed with --no-bake");
    let records = run("staging", "r1", at("2026-03-02T08:00:00Z"), Outcome::Deployed, Some(skipped));
    let state = EnvState::of(&records, at("2026-03-10T10:00:00Z"));
    assert!(!state.current.as_ref().unwrap().healthy());
    let d = promote(&records, at("2026-03-10T10:00:00Z"), &BOTH, false);
    assert_eq!(
        messages(&d),
        ["[source] release r1's bake was not passed in `staging` (skipped: deployed with --no-bake), so no alarm \
          shows it healthy there; deploy it there again without --no-bake"]
    );
}
