//! The ledger: what ran where, since when, who put it there, who approved it, and how it ended.
//!
//! Every deploy, promotion, rollback, demo change, freeze and unlock appends records to the store, one new
//! object each, created only if its key is free, never rewritten: a run writes a `started` record before
//! it changes anything and a `finished` one at the end. A run that dies (SIGKILL, a lost CI runner) leaves
//! a `started` record alone; the next run on that environment reads what the stacks really are and
//! appends a `reconciled` record for the dead run that says what it found ([`unfinished`]).
//!
//! Keys are `ledger/<env>/<ms since epoch>-<run>-<phase>.json`, so a listing is in time order.
//! [`state`] reads an environment's records into what is true now; [`lock`] keeps two runs from changing
//! one environment at once.

pub mod demos;
pub mod evidence;
pub mod lock;
pub mod state;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::store::{Store, StoreError};

pub use evidence::{AlarmRecord, BakeRecord};
pub use state::EnvState;

/// The ledger's format version, in every record.
pub const FORMAT: u32 = 1;

/// What a run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// `slipway deploy`.
    Deploy,
    /// `slipway promote`.
    Promote,
    /// `slipway rollback`.
    Rollback,
    /// `slipway demo up`.
    DemoUp,
    /// `slipway demo down`.
    DemoDown,
    /// `slipway freeze`.
    Freeze,
    /// `slipway unfreeze`.
    Unfreeze,
    /// `slipway unhold`.
    Unhold,
    /// `slipway unlock`.
    Unlock,
    /// `slipway verify`: the smoke checks run against what the environment runs, as evidence.
    Verify,
}

impl RunKind {
    /// The kind as records and history write it (`demo-up`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Deploy => "deploy",
            RunKind::Promote => "promote",
            RunKind::Rollback => "rollback",
            RunKind::DemoUp => "demo-up",
            RunKind::DemoDown => "demo-down",
            RunKind::Freeze => "freeze",
            RunKind::Unfreeze => "unfreeze",
            RunKind::Unhold => "unhold",
            RunKind::Unlock => "unlock",
            RunKind::Verify => "verify",
        }
    }

    /// Whether a run of this kind changes what runs in the environment.
    pub fn changes_release(self) -> bool {
        matches!(self, RunKind::Deploy | RunKind::Promote | RunKind::Rollback | RunKind::DemoUp | RunKind::DemoDown)
    }
}

/// Which record of a run this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Written before the run changes anything.
    Started,
    /// Written by the run at its end.
    Finished,
    /// Written by a later run for one that died without finishing, saying what it found.
    Reconciled,
    /// A run that is one record (freeze, unfreeze, unhold, unlock).
    Done,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Everything is on the new release.
    Deployed,
    /// Something failed; everything it changed is back where it was.
    RolledBack,
    /// Something failed and some of it could not be brought back.
    RollbackIncomplete,
    /// Something failed and was left as it was, for a person to look at: the environment's rollback rule
    /// is `Rollback::Leave` (a feature demo).
    Failed,
    /// Refused before anything changed.
    Refused,
    /// A cloud API failed before anything changed.
    CloudFailed,
    /// Interrupted (Ctrl-C); what was executed is recorded.
    Interrupted,
    /// The run died without a record of its end; a later run recorded what it found.
    Lost,
    /// Done (for one-record runs).
    Done,
}

impl Outcome {
    /// As records write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Deployed => "deployed",
            Outcome::RolledBack => "rolled-back",
            Outcome::RollbackIncomplete => "rollback-incomplete",
            Outcome::Failed => "failed",
            Outcome::Refused => "refused",
            Outcome::CloudFailed => "cloud-failed",
            Outcome::Interrupted => "interrupted",
            Outcome::Lost => "lost",
            Outcome::Done => "done",
        }
    }
}

/// An approval a run counted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Approval {
    /// Who approved.
    pub by: String,
    /// Where the approval came from (`command line`, `github`).
    pub source: String,
}

/// One stack's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackRecord {
    /// The CloudFormation stack name.
    pub name: String,
    /// What happened to it (`created`, `unchanged`, `FAILED: ...`), or what a reconciliation found.
    pub result: String,
}

/// One compose host's result: where, which project, what happened, and each service as it was left.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRecord {
    /// The Docker engine (`ssh://deploy@staging.example.org`).
    pub host: String,
    /// The compose project.
    pub project: String,
    /// The release its bundle was of.
    pub release: String,
    /// What happened (`updated`, `unchanged`, `FAILED: ...`).
    pub result: String,
    /// What the run's rollback did to it, when it had to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<String>,
    /// Each service as the run left it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceRecord>,
}

/// One service of a compose host, as a run left it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// The service's key in the compose file.
    pub service: String,
    /// The image its container runs.
    pub image: String,
    /// `running`, `exited`, ...
    pub state: String,
    /// `healthy`, `unhealthy`, or empty when it has no health check.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub health: String,
    /// What `up` did to it (`created`, `recreated`, `unchanged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}

/// One smoke check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeRecord {
    /// The check.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What it saw.
    pub detail: String,
    /// It was not run (`--no-smoke`): it did not pass, and nothing says it would have.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl SmokeRecord {
    /// A check that ran, and passed or not.
    pub fn of(name: &str, passed: bool, detail: &str) -> Self {
        SmokeRecord { name: name.into(), passed, detail: detail.into(), skipped: false }
    }

    /// A check that was not run, and why.
    pub fn skipped(name: &str, why: &str) -> Self {
        SmokeRecord { name: name.into(), passed: false, detail: why.into(), skipped: true }
    }
}

/// Who runs a command, and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `GITHUB_ACTOR`, else the operating system's user.
    pub name: String,
    /// The CI run's URL, when there is one.
    pub ci_run: Option<String>,
}

/// One ledger record. Fields a kind of run has no use for are absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// [`FORMAT`].
    pub format: u32,
    /// The run's id: its records share it.
    pub run: String,
    /// Which record of the run.
    pub phase: Phase,
    /// What the run did.
    pub kind: RunKind,
    /// The environment.
    pub environment: String,
    /// When this record was written.
    pub at: Timestamp,
    /// When the run started (on its last record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// Who ran it.
    pub actor: Actor,
    /// The release applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The release's commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The environment a promotion came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Every artifact applied, by path, with its SHA-256.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub artifacts: BTreeMap<String, String>,
    /// The approvals counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// How it ended (on its last record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Each stack's result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<StackRecord>,
    /// Each compose host's result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostRecord>,
    /// Each cloud.gov app's result: the droplet and revision it runs, and the droplet it ran before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppRecord>,
    /// Each smoke check's result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smoke: Vec<SmokeRecord>,
    /// Why (a rollback's or freeze's reason, a failure's cause, what a reconciliation found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Until when a freeze holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Whether a rollback passed a freeze (`--break-freeze`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub broke_freeze: bool,
    /// What a feature demo's run is about (its expiry is [`Record::until`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo: Option<DemoRecord>,
    /// The alarms watched after the smoke checks, and how that ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake: Option<BakeRecord>,
    /// The window a run passed with `--break-window` (its reason is [`Record::reason`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broke_window: Option<String>,
}

/// One cloud.gov app of a run: what it runs after the run, what it ran before, and how the run left it.
/// A later `rollback --to` the run's release redeploys [`AppRecord::droplet`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRecord {
    /// The app's name in its space.
    pub name: String,
    /// The droplet the release's code was staged into (or redeployed), when it got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub droplet: Option<String>,
    /// The app's revision after the run's deployment (Cloud Foundry's version number and guid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The droplet it ran before the run, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_droplet: Option<String>,
    /// `deployed`, `unchanged`, `failed: ...`, `rollback: back on droplet ...`.
    pub result: String,
}

/// A feature demo's run: the name it was given, where it runs, and where to reach it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoRecord {
    /// The name the demo was given (the environment is its slug).
    pub name: String,
    /// The branch it was made from, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The Docker engine its compose project runs on, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_host: Option<String>,
    /// Its compose project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_project: Option<String>,
    /// Its URLs, by what answers there (`web`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub urls: BTreeMap<String, String>,
}

impl Record {
    /// A record of run `run` of `kind` on `env`, written at `at` by `actor`, with nothing else yet.
    pub fn new(run: &str, phase: Phase, kind: RunKind, env: &str, at: Timestamp, actor: &Actor) -> Record {
        Record {
            format: FORMAT,
            run: run.into(),
            phase,
            kind,
            environment: env.into(),
            at,
            started_at: None,
            actor: actor.clone(),
            release: None,
            commit: None,
            from: None,
            artifacts: BTreeMap::new(),
            approvals: Vec::new(),
            outcome: None,
            stacks: Vec::new(),
            hosts: Vec::new(),
            apps: Vec::new(),
            smoke: Vec::new(),
            reason: None,
            until: None,
            broke_freeze: false,
            demo: None,
            bake: None,
            broke_window: None,
        }
    }

    /// The record's key in the store.
    pub fn key(&self) -> String {
        let phase = match self.phase {
            Phase::Started => "started",
            Phase::Finished => "finished",
            Phase::Reconciled => "reconciled",
            Phase::Done => "done",
        };
        format!("ledger/{}/{:013}-{}-{phase}.json", self.environment, self.at.unix_millis(), self.run)
    }
}

/// Why the ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record cannot be read.
    #[error("the ledger record `{key}` cannot be read: {why}")]
    Unreadable {
        /// The record's key.
        key: String,
        /// Why.
        why: String,
    },
    /// A record's key was taken (never happens unless two runs share an id).
    #[error("the ledger already holds `{0}`; a record is never rewritten")]
    Taken(String),
}

/// A new run id: the time and a random part, unique across machines.
pub fn new_run_id(now: Timestamp) -> String {
    format!("{:x}{:08x}", now.unix_millis(), fastrand::u32(..))
}

/// Appends `record`.
pub async fn append(store: &Store, record: &Record) -> Result<(), LedgerError> {
    let mut json = serde_json::to_string_pretty(record).expect("a record serializes");
    json.push('\n');
    let key = record.key();
    if !store.put_new(&key, json.into_bytes()).await? {
        return Err(LedgerError::Taken(key));
    }
    Ok(())
}

/// Every record of environment `env`, oldest first.
pub async fn records(store: &Store, env: &str) -> Result<Vec<Record>, LedgerError> {
    read_all(store, &format!("ledger/{env}/")).await
}

/// Every record of every environment, oldest first.
pub async fn all_records(store: &Store) -> Result<Vec<Record>, LedgerError> {
    read_all(store, "ledger/").await
}

/// Time order; within one millisecond a run's `started` record comes before its end (their keys would
/// sort the other way round).
fn in_order(records: &mut [Record]) {
    records.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| (a.phase != Phase::Started).cmp(&(b.phase != Phase::Started)))
            .then(a.run.cmp(&b.run))
    });
}

async fn read_all(store: &Store, prefix: &str) -> Result<Vec<Record>, LedgerError> {
    let mut out = Vec::new();
    for key in store.list(prefix).await? {
        if !key.ends_with(".json") {
            continue;
        }
        let Some(object) = store.get(&key).await? else { continue };
        let record: Record = serde_json::from_slice(&object.bytes)
            .map_err(|e| LedgerError::Unreadable { key: key.clone(), why: e.to_string() })?;
        out.push(record);
    }
    in_order(&mut out);
    Ok(out)
}

/// The `started` records among `records` whose run has no later record: runs that died, or that are
/// still going (only the environment's lock tells which).
pub fn unfinished(records: &[Record]) -> Vec<&Record> {
    records
        .iter()
        .filter(|r| r.phase == Phase::Started)
        .filter(|s| !records.iter().any(|r| r.run == s.run && r.phase != Phase::Started))
        .collect()
}
