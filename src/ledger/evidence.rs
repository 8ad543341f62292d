//! What a run records of the alarms it watched after its smoke checks (the bake), and of an alarm that
//! went off: evidence for the release it deployed, or the reason it was rolled back. A bake skipped with
//! `--no-bake` is recorded as skipped, and is never evidence.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// An alarm that went to ALARM: its name, CloudWatch's reason and when it changed state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmRecord {
    /// The alarm's name.
    pub name: String,
    /// CloudWatch's reason for the state (`Threshold Crossed: 1 datapoint [7.0] was greater than ...`).
    pub reason: String,
    /// When the alarm went to ALARM, as CloudWatch says.
    pub at: Timestamp,
}

/// The bake of a run: which alarms were watched, for how long, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BakeRecord {
    /// The alarms watched, by name (or as the definition names them, when it was skipped).
    pub alarms: Vec<String>,
    /// How long they were to be watched, in seconds.
    pub seconds: u64,
    /// Whether every alarm stayed out of ALARM for the whole bake.
    pub passed: bool,
    /// What was seen, or why it was not run.
    pub detail: String,
    /// The alarm that went off, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<AlarmRecord>,
    /// It was not run (`--no-bake`): it did not pass, and nothing says it would have.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl BakeRecord {
    /// A bake that was not run, and why.
    pub fn skipped(alarms: Vec<String>, seconds: u64, why: &str) -> Self {
        BakeRecord { alarms, seconds, passed: false, detail: why.into(), alarm: None, skipped: true }
    }

    /// Whether it counts as evidence: it ran, and no alarm went off.
    pub fn is_evidence(&self) -> bool {
        self.passed && !self.skipped
    }
}
