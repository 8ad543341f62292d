//! The bake: after the smoke checks pass, the environment's CloudWatch alarms are watched for its bake
//! time, with progress in the log; one that goes to ALARM fails the deploy, which then rolls every stack
//! it changed back. Before the stacks change, the same alarms (those that exist by then) go to
//! CloudFormation as the rollback triggers of every stack change, with the environment's monitoring time.
//!
//! An alarm that cannot be found when the bake starts fails it: a definition that names an alarm asks for
//! its evidence, and an alarm that is not there gives none.

use std::time::Duration;

use crate::clock::human;
use crate::cloud::{AlarmState, RollbackTriggers};
use crate::model::AlarmRef;

use super::Deploy;

/// How a bake ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baked {
    /// The alarms watched, by name.
    pub alarms: Vec<String>,
    /// How long they were to be watched.
    pub duration: Duration,
    /// Whether no alarm went off (and every one could be watched).
    pub passed: bool,
    /// What was seen.
    pub detail: String,
    /// The alarm that went off, when one did.
    pub alarm: Option<AlarmHit>,
}

/// An alarm that went to ALARM during the bake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmHit {
    /// Its name.
    pub name: String,
    /// CloudWatch's reason.
    pub reason: String,
    /// When it went to ALARM, in milliseconds since the Unix epoch, as CloudWatch says.
    pub at_millis: Option<i64>,
}

impl Deploy<'_> {
    /// The name of every alarm of the environment, or, for each that has none (yet), why.
    async fn alarm_names(&self) -> Vec<Result<String, String>> {
        let mut names = Vec::new();
        for alarm in &self.plan.env.evidence.alarms {
            let stack_name = |short: &str| self.plan.stacks.iter().find(|s| s.short == short).map(|s| s.name.clone());
            let found = match alarm {
                AlarmRef::Named(name) => Ok(Some(name.clone())),
                AlarmRef::Output(o) => match stack_name(&o.stack) {
                    None => Err(format!("this deploy has no stack `{}`", o.stack)),
                    Some(stack) => self
                        .cloud
                        .describe_stack(&stack)
                        .await
                        .map(|s| s.and_then(|s| s.outputs.get(&o.output).cloned()))
                        .map_err(|e| e.to_string()),
                },
                AlarmRef::Resource { stack, logical_id } => match stack_name(stack) {
                    None => Err(format!("this deploy has no stack `{stack}`")),
                    Some(stack) => self.cloud.physical_id(&stack, logical_id).await.map_err(|e| e.to_string()),
                },
            };
            names.push(match found {
                Ok(Some(name)) => Ok(name),
                Ok(None) => Err(format!("{alarm} is not there")),
                Err(why) => Err(format!("{alarm} cannot be found: {why}")),
            });
        }
        names
    }

    /// The rollback triggers of this deploy's stack changes: the environment's alarms that exist now, with
    /// its monitoring time; `None` when the environment watches no alarm.
    pub(super) async fn rollback_triggers(&self) -> Option<RollbackTriggers> {
        let evidence = &self.plan.env.evidence;
        if evidence.alarms.is_empty() {
            return None;
        }
        let mut names = Vec::new();
        for name in self.alarm_names().await {
            match name {
                Ok(name) => names.push(name),
                Err(why) => self.note(&format!("rollback triggers: {why} yet; the bake watches it after the deploy")),
            }
        }
        let found = match self.cloud.alarms(&names).await {
            Ok(found) => found,
            Err(e) => {
                self.note(&format!("rollback triggers: the alarms could not be read ({e}); the bake watches them"));
                Vec::new()
            }
        };
        let alarms: Vec<(String, bool)> = found.iter().map(|a| (a.arn.clone(), a.composite)).collect();
        self.note(&format!(
            "CloudFormation watches {} alarm(s) during each stack change and for {} minute(s) after it",
            alarms.len(),
            evidence.monitoring_minutes
        ));
        Some(RollbackTriggers { alarms, monitoring_minutes: evidence.monitoring_minutes })
    }

    /// Watches the environment's alarms for its bake time: how it ended, and the cause of the failure if
    /// an alarm went off or could not be watched. `None` when the environment watches no alarm.
    pub(super) async fn bake(&self) -> Option<(Baked, Option<String>)> {
        let evidence = &self.plan.env.evidence;
        if evidence.alarms.is_empty() {
            return None;
        }
        let duration = evidence.bake;
        let resolved = self.alarm_names().await;
        let names: Vec<String> = resolved.iter().filter_map(|n| n.as_ref().ok().cloned()).collect();
        let fail = |detail: String, alarm: Option<AlarmHit>| {
            let cause = format!("bake: {detail}");
            let baked = Baked { alarms: names.clone(), duration, passed: false, detail, alarm };
            Some((baked, Some(cause)))
        };
        if let Some(Err(why)) = resolved.iter().find(|n| n.is_err()) {
            return fail(format!("{why}, so it cannot be watched"), None);
        }
        self.note(&format!("bake: watching {} alarm(s) for {}: {}", names.len(), human(duration), names.join(", ")));
        let start = tokio::time::Instant::now();
        let deadline = start + duration;
        let step = (duration / 10).clamp(Duration::from_secs(5), Duration::from_secs(60));
        let mut next_note = start + step;
        loop {
            let states = match self.cloud.alarms(&names).await {
                Ok(states) => states,
                Err(e) => return fail(format!("the alarms could not be read: {e}"), None),
            };
            if let Some(missing) = names.iter().find(|n| !states.iter().any(|s| &s.name == *n)) {
                return fail(format!("alarm `{missing}` does not exist, so it cannot be watched"), None);
            }
            if let Some(hit) = states.iter().find(|s| s.alarm) {
                return fail(went_off(hit), Some(hit_of(hit)));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                let detail = format!("{} alarm(s) stayed out of ALARM for {}", names.len(), human(duration));
                self.note(&format!("bake passed: {detail}"));
                return Some((Baked { alarms: names.clone(), duration, passed: true, detail, alarm: None }, None));
            }
            if now >= next_note {
                let states: Vec<String> = states.iter().map(|s| format!("{} {}", s.name, s.state)).collect();
                self.note(&format!("bake: {} left; {}", human(deadline - now), states.join(", ")));
                next_note = now + step;
            }
            tokio::time::sleep(self.opts.poll.max.min(deadline - now)).await;
        }
    }
}

fn went_off(a: &AlarmState) -> String {
    format!("alarm `{}` went to ALARM: {}", a.name, a.reason)
}

fn hit_of(a: &AlarmState) -> AlarmHit {
    AlarmHit { name: a.name.clone(), reason: a.reason.clone(), at_millis: a.updated_millis }
}
