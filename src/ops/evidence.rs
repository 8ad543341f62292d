//! What a run records of its bake: the alarms watched and how it ended, the alarm that went off with
//! CloudWatch's reason and time; a bake skipped with `--no-bake` is recorded as skipped, never as passed.

use crate::apply::cloudformation::Applied;
use crate::clock::Timestamp;
use crate::ledger::{AlarmRecord, BakeRecord};
use crate::model::Environment;

/// What the ledger records of an apply's bake: the alarms watched and how it ended; when it was not run
/// (`--no-bake`), the environment's alarms as skipped. `None` for an environment that watches no alarm.
pub fn bake_record(applied: &Applied, ran: bool, env: &Environment) -> Option<BakeRecord> {
    let evidence = &env.evidence;
    if evidence.alarms.is_empty() {
        return None;
    }
    if !ran {
        let alarms = evidence.alarms.iter().map(ToString::to_string).collect();
        return Some(BakeRecord::skipped(alarms, evidence.bake.as_secs(), "skipped: deployed with --no-bake"));
    }
    let baked = applied.bake.as_ref()?;
    Some(BakeRecord {
        alarms: baked.alarms.clone(),
        seconds: baked.duration.as_secs(),
        passed: baked.passed,
        detail: baked.detail.clone(),
        alarm: baked.alarm.as_ref().map(|a| AlarmRecord {
            name: a.name.clone(),
            reason: a.reason.clone(),
            at: a.at_millis.map(Timestamp::from_unix_millis).unwrap_or_else(|| Timestamp::from_unix_millis(0)),
        }),
        skipped: false,
    })
}
