//! What proves a deploy healthy beyond its smoke checks: CloudWatch alarms, passed to CloudFormation as
//! rollback triggers for every stack change and watched for a bake time after the smoke checks; an alarm
//! that goes to ALARM rolls the environment back to the release it ran before.
//!
//! An alarm is named three ways: one of the environment's own stacks makes it and exports its name as an
//! output ([`AlarmRef::output`]), or makes it as a resource of a logical ID ([`AlarmRef::resource`]: the
//! physical ID of an `AWS::CloudWatch::Alarm` is its name), or it exists already and is named as it is
//! ([`AlarmRef::named`]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::StackOutput;

/// How many rollback triggers CloudFormation takes for one stack operation.
pub const MAX_ROLLBACK_TRIGGERS: usize = 5;

/// The longest monitoring time CloudFormation takes after a stack operation, in minutes.
pub const MAX_MONITORING_MINUTES: u64 = 180;

/// A CloudWatch alarm that proves the environment healthy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmRef {
    /// The alarm whose name a stack output holds.
    Output(StackOutput),
    /// The alarm a stack makes as this logical ID.
    Resource {
        /// The stack's short name (`monitoring`).
        stack: String,
        /// The alarm's logical ID in that stack's template.
        logical_id: String,
    },
    /// An alarm that exists already, by name.
    Named(String),
}

impl AlarmRef {
    /// The alarm whose name output `output` of stack `stack` holds.
    pub fn output(stack: impl Into<String>, output: impl Into<String>) -> Self {
        AlarmRef::Output(StackOutput::new(stack, output))
    }

    /// The alarm stack `stack` makes as `logical_id`.
    pub fn resource(stack: impl Into<String>, logical_id: impl Into<String>) -> Self {
        AlarmRef::Resource { stack: stack.into(), logical_id: logical_id.into() }
    }

    /// An existing alarm, by name.
    pub fn named(name: impl Into<String>) -> Self {
        AlarmRef::Named(name.into())
    }

    /// The stack the alarm comes from, when one of the environment's stacks makes it.
    pub fn stack(&self) -> Option<&str> {
        match self {
            AlarmRef::Output(o) => Some(&o.stack),
            AlarmRef::Resource { stack, .. } => Some(stack),
            AlarmRef::Named(_) => None,
        }
    }
}

impl fmt::Display for AlarmRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlarmRef::Output(o) => write!(f, "the alarm named by output `{}` of stack `{}`", o.output, o.stack),
            AlarmRef::Resource { stack, logical_id } => write!(f, "alarm `{logical_id}` of stack `{stack}`"),
            AlarmRef::Named(name) => write!(f, "alarm `{name}`"),
        }
    }
}

/// The alarms that prove a deploy healthy, and how long they are watched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The alarms.
    pub alarms: Vec<AlarmRef>,
    /// How long the alarms are watched after the smoke checks pass (the bake); an alarm in ALARM in that
    /// time rolls the environment back.
    #[serde(rename = "bake_seconds", with = "super::environment::seconds")]
    pub bake: Duration,
    /// How long CloudFormation itself watches the alarms after each stack change (its rollback
    /// triggers' monitoring time), in whole minutes, at most 180.
    #[serde(rename = "monitoring_minutes")]
    pub monitoring_minutes: u64,
}

impl Evidence {
    /// Whether there is nothing to watch and nothing to wait for.
    pub fn is_empty(&self) -> bool {
        self.alarms.is_empty() && self.bake.is_zero() && self.monitoring_minutes == 0
    }
}

impl super::Environment {
    /// Adds an alarm that proves a deploy healthy: CloudFormation watches it during every stack change,
    /// and slipway for the bake time after the smoke checks.
    pub fn alarm(mut self, alarm: AlarmRef) -> Self {
        self.evidence.alarms.push(alarm);
        self
    }

    /// Sets how long the alarms are watched after the smoke checks pass.
    pub fn bake(mut self, bake: Duration) -> Self {
        self.evidence.bake = bake;
        self
    }

    /// Sets the bake, in minutes.
    pub fn bake_minutes(self, minutes: u64) -> Self {
        self.bake(Duration::from_secs(minutes * 60))
    }

    /// Sets how long CloudFormation watches the alarms after each stack change (at most 180 minutes).
    pub fn monitoring_minutes(mut self, minutes: u64) -> Self {
        self.evidence.monitoring_minutes = minutes;
        self
    }

    /// Requires a release to have run in `from` for `soak`, with no rollback and no alarm there, before it
    /// is promoted from there into this environment.
    pub fn soak(mut self, from: impl Into<String>, soak: Duration) -> Self {
        self.soak.insert(from.into(), soak);
        self
    }

    /// Adds an allow window: `.allow_window("weekdays 09:00-16:00 Europe/Berlin")`. With any, deploys and
    /// promotions happen only inside one.
    pub fn allow_window(mut self, spec: &str) -> Self {
        self.windows.push(super::Window::allow(spec));
        self
    }

    /// Adds a deny window: `.deny_window("2026-12-20 to 2027-01-04 Europe/Berlin")`.
    pub fn deny_window(mut self, spec: &str) -> Self {
        self.windows.push(super::Window::deny(spec));
        self
    }
}

/// `slipway check`'s rules for an environment's evidence, soak and windows (the alarms' stacks are
/// checked with the stacks, in synth): values CloudFormation refuses, a soak on an edge that does not
/// exist, and windows that cannot be read or never open.
pub(super) fn check(env: &super::Environment, problems: &mut Vec<super::Problem>) {
    let name = env.name.as_str();
    let e = &env.evidence;
    let mut problem = |field: &str, message: String| problems.push(super::Problem::new(name, field, message));
    if e.alarms.len() > MAX_ROLLBACK_TRIGGERS {
        problem(
            "evidence",
            format!(
                "names {} alarms, but CloudFormation takes at most {MAX_ROLLBACK_TRIGGERS} rollback triggers per \
                 stack change; combine them into a composite alarm",
                e.alarms.len()
            ),
        );
    }
    if e.monitoring_minutes > MAX_MONITORING_MINUTES {
        problem(
            "evidence",
            format!(
                "asks CloudFormation to watch its alarms for {} minutes after each stack change; it takes at most \
                 {MAX_MONITORING_MINUTES}; watch longer with the bake (`.bake_minutes(..)`)",
                e.monitoring_minutes
            ),
        );
    }
    if e.alarms.is_empty() && (!e.bake.is_zero() || e.monitoring_minutes > 0) {
        problem(
            "evidence",
            "has a bake or monitoring time but names no alarm to watch; add one with `.alarm(AlarmRef::..)`".into(),
        );
    }
    for alarm in &e.alarms {
        if let AlarmRef::Named(n) = alarm
            && (n.trim().is_empty() || n.len() > 255)
        {
            problem("evidence", format!("names the alarm `{n}`; an alarm's name is 1 to 255 characters"));
        }
    }
    for from in env.soak.keys() {
        if !env.promoted_from.contains(from) {
            problem(
                "soak",
                format!(
                    "soaks releases from `{from}`, which it is not promoted from{}; add it to `.promoted_from(..)` or \
                     drop the soak",
                    crate::suggest::hint(from, env.promoted_from.iter().map(String::as_str))
                ),
            );
        }
    }
    let mut schedules = Vec::new();
    for window in &env.windows {
        match window.schedule() {
            Err(why) => problem("windows", why),
            Ok(s) => match s.empty() {
                Some(why) => problem("windows", format!("`{window}` {why}, so it never holds")),
                None => schedules.push(s),
            },
        }
    }
    if schedules.len() == env.windows.len() && !schedules.is_empty() && !super::ever_open(&schedules) {
        problem(
            "windows",
            "never let a deploy or promotion in: every allow window falls inside a deny window; widen one or drop a \
             deny window"
                .into(),
        );
    }
}
