//! One deployment environment: where it deploys, who may deploy to it, how it is promoted and sized.
//!
//! Build one with the builder methods (`Environment::new("prod", Tier::Production).aws(..)...`) or with a
//! struct literal; every field is public. `slipway check` validates a whole set of them together.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::backing::BackingService;
use super::git_ref::RefPattern;
use super::service::{Service, Size};
use super::target::{AccountId, AwsTarget, CloudGovTarget, ComposeHost, ComposeTarget, Region, Target};

/// Durations as whole seconds in the project's rules (`"wait_seconds": 1800`), not serde's default pair.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// How close to production an environment is. It orders environments and picks defaults (sizes, retention).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// A throwaway feature-demo instance.
    Demo,
    /// Development or integration: deploys often, may be down.
    Development,
    /// Testing, QA, UAT.
    Test,
    /// Production-like, the last stop before production.
    Staging,
    /// Serves users.
    Production,
}

impl Tier {
    /// The tier's name as written in output (`production`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Demo => "demo",
            Tier::Development => "development",
            Tier::Test => "test",
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What starts a deploy to the environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// A push to one of the environment's refs deploys it.
    Push,
    /// Somebody runs the deploy by hand (a workflow dispatch), or promotes a release into it.
    Manual,
    /// Only a promotion from an environment it is promoted from reaches it (production, say).
    Promotion,
    /// Publishing a release whose tag matches the pattern (`v*`) deploys it.
    ReleaseTag(RefPattern),
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Push => f.write_str("push"),
            Trigger::Manual => f.write_str("manual"),
            Trigger::Promotion => f.write_str("promotion"),
            Trigger::ReleaseTag(p) => write!(f, "release tag {p}"),
        }
    }
}

/// A named group of people who may approve a deploy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The group's name (a GitHub team, say).
    pub name: String,
    /// Its members' handles.
    pub members: Vec<String>,
}

impl Group {
    /// A group and its members.
    pub fn new<S: Into<String>>(name: impl Into<String>, members: impl IntoIterator<Item = S>) -> Self {
        Group { name: name.into(), members: members.into_iter().map(Into::into).collect() }
    }
}

/// What must happen before a deploy to the environment may start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approvals {
    /// How many distinct people must approve.
    pub required: u32,
    /// How many more approvals the environment asks for, recorded when given and required of nobody (a
    /// review the team wants to see, not a gate): GitHub does not wait for them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub optional: u32,
    /// The groups whose members may approve; approvals from anyone else do not count.
    pub groups: Vec<Group>,
    /// How long a release must have run in the environment it is promoted from before it may come here
    /// (time to call it off). slipway's policy counts it, once, from the ledger; GitHub's own wait timer is
    /// left at zero, since it would count again before every job of the environment.
    #[serde(rename = "wait_seconds", with = "seconds")]
    pub wait: Duration,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Approvals {
    /// No approval, no wait.
    pub fn none() -> Self {
        Approvals::default()
    }

    /// `required` approvals, from the groups added with [`Approvals::from`].
    pub fn new(required: u32) -> Self {
        Approvals { required, ..Approvals::default() }
    }

    /// `n` optional approvals, from the groups added with [`Approvals::from`]: asked for, counted and
    /// recorded when given, required of nobody.
    pub fn optional(n: u32) -> Self {
        Approvals { optional: n, ..Approvals::default() }
    }

    /// Adds a group whose members may approve.
    pub fn from(mut self, group: Group) -> Self {
        self.groups.push(group);
        self
    }

    /// Sets the wait, in minutes.
    pub fn wait_minutes(mut self, minutes: u64) -> Self {
        self.wait = Duration::from_secs(minutes * 60);
        self
    }

    /// The wait in whole minutes, rounded up.
    pub fn wait_timer_minutes(&self) -> u64 {
        self.wait.as_secs().div_ceil(60)
    }

    /// The distinct people who may approve, sorted.
    pub fn approvers(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.groups.iter().flat_map(|g| g.members.iter().map(String::as_str)).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Database instance classes an environment's database may run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum DbClass {
    T4gMicro,
    T4gSmall,
    T4gMedium,
    M7gLarge,
}

impl DbClass {
    /// The class as RDS names it (`db.t4g.micro`).
    pub fn as_str(self) -> &'static str {
        match self {
            DbClass::T4gMicro => "db.t4g.micro",
            DbClass::T4gSmall => "db.t4g.small",
            DbClass::T4gMedium => "db.t4g.medium",
            DbClass::M7gLarge => "db.m7g.large",
        }
    }
}

/// The environment's relational database: its size, for the stacks that make it; and, on cloud.gov, the
/// reason a PostgreSQL backing service is bound (an environment without a database binds none there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// The instance class.
    pub class: DbClass,
    /// Allocated storage, in GiB.
    pub storage_gb: u32,
    /// A standby in a second availability zone.
    pub multi_az: bool,
    /// Days of automated backups kept.
    pub backup_days: u32,
}

/// A value a stack exports as an output: `StackOutput::new("app", "ApiUrl")`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackOutput {
    /// The stack's short name (`app`).
    pub stack: String,
    /// The output's logical name in that stack's template.
    pub output: String,
}

impl StackOutput {
    /// The output `output` of stack `stack`.
    pub fn new(stack: impl Into<String>, output: impl Into<String>) -> Self {
        StackOutput { stack: stack.into(), output: output.into() }
    }
}

/// Where a smoke check's base URL comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmokeUrl {
    /// A stack output (`StackOutput::new("app", "ApiUrl")`), read after the stacks deployed.
    Stack(StackOutput),
    /// Where the environment's compose target publishes a service (`http://host:port`), checked after
    /// the compose project came up.
    Service(String),
}

impl SmokeUrl {
    /// Where the compose target publishes service `name`.
    pub fn service(name: impl Into<String>) -> Self {
        SmokeUrl::Service(name.into())
    }
}

impl From<StackOutput> for SmokeUrl {
    fn from(output: StackOutput) -> Self {
        SmokeUrl::Stack(output)
    }
}

impl fmt::Display for SmokeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmokeUrl::Stack(o) => write!(f, "output `{}` of stack `{}`", o.output, o.stack),
            SmokeUrl::Service(s) => write!(f, "the URL the compose target publishes `{s}` on"),
        }
    }
}

/// An HTTP check that proves a deploy healthy: GET `path` below a base URL, which a stack output holds or
/// where the compose target publishes a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeCheck {
    /// A short name for reports.
    pub name: String,
    /// Where the base URL comes from.
    pub url: SmokeUrl,
    /// The path appended to the base URL (`/health`).
    pub path: String,
    /// The HTTP status that counts as healthy.
    pub expect_status: u16,
    /// How many times to try before the check fails.
    pub attempts: u32,
    /// How long one attempt may take.
    #[serde(rename = "timeout_seconds", with = "seconds")]
    pub timeout: Duration,
}

impl SmokeCheck {
    /// A GET of `path` below the URL `url` gives (a [`StackOutput`], or [`SmokeUrl::service`]), expecting
    /// 200, three attempts of ten seconds.
    pub fn get(name: impl Into<String>, url: impl Into<SmokeUrl>, path: impl Into<String>) -> Self {
        SmokeCheck {
            name: name.into(),
            url: url.into(),
            path: path.into(),
            expect_status: 200,
            attempts: 3,
            timeout: Duration::from_secs(10),
        }
    }

    /// Sets the expected status.
    pub fn expect(mut self, status: u16) -> Self {
        self.expect_status = status;
        self
    }

    /// Sets the number of attempts.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }
}

/// What a failed deploy does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rollback {
    /// Return every stack of the environment to the release it had before the deploy.
    #[default]
    PreviousRelease,
    /// Leave the failed state for a person to look at (only for throwaway environments).
    Leave,
}

/// One deployment environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// The name: lowercase letters, digits and hyphens; it appears in stack and app names.
    pub name: String,
    /// How close to production it is.
    pub tier: Tier,
    /// Where it deploys; one or several.
    pub targets: Vec<Target>,
    /// Which git refs may deploy to it.
    pub refs: Vec<RefPattern>,
    /// What starts a deploy.
    pub trigger: Trigger,
    /// The environments a release may be promoted from into this one.
    pub promoted_from: Vec<String>,
    /// The approvals a deploy needs.
    pub approvals: Approvals,
    /// How big each service runs, by name; a service not listed gets the tier's default.
    pub sizing: BTreeMap<String, Size>,
    /// Services as they run in this environment, by name: each replaces the project's service of that
    /// name here, or adds one (a demo's services on test images, say).
    pub services: BTreeMap<String, Service>,
    /// Backing services as they run in this environment, by name, replacing or adding to the project's.
    pub backing: BTreeMap<String, BackingService>,
    /// The database, where the environment has one.
    pub database: Option<Database>,
    /// Checks that prove a deploy healthy.
    pub smoke_checks: Vec<SmokeCheck>,
    /// What a failed deploy does.
    pub rollback: Rollback,
    /// Why a staging or production environment deploys without approvals or from any ref, when it
    /// deliberately does; `slipway check` refuses such an environment without a reason.
    pub unprotected_because: Option<String>,
    /// The IAM role (ARN) slipway assumes through STS to reach the environment's account when a run's
    /// credentials are for another account (a promotion from one account to the next).
    pub assume_role: Option<String>,
}

impl Environment {
    /// An environment with no targets, refs, approvals or checks yet; manual trigger.
    pub fn new(name: impl Into<String>, tier: Tier) -> Self {
        Environment {
            name: name.into(),
            tier,
            targets: Vec::new(),
            refs: Vec::new(),
            trigger: Trigger::Manual,
            promoted_from: Vec::new(),
            approvals: Approvals::none(),
            sizing: BTreeMap::new(),
            services: BTreeMap::new(),
            backing: BTreeMap::new(),
            database: None,
            smoke_checks: Vec::new(),
            rollback: Rollback::PreviousRelease,
            unprotected_because: None,
            assume_role: None,
        }
    }

    /// Deploys CloudFormation stacks into `account` / `region`.
    pub fn aws(mut self, account: AccountId, region: Region) -> Self {
        self.targets.push(Target::Aws(AwsTarget { account, region }));
        self
    }

    /// Runs the project's services as apps in cloud.gov `org` / `space`.
    pub fn cloud_gov(self, org: impl Into<String>, space: impl Into<String>) -> Self {
        self.cloud_gov_on(CloudGovTarget::new(org, space))
    }

    /// Runs the project's services as apps where `target` says, rolled out as it says.
    pub fn cloud_gov_on(mut self, target: CloudGovTarget) -> Self {
        self.targets.push(Target::CloudGov(target));
        self
    }

    /// Runs as a docker-compose project on `host`.
    pub fn compose(self, host: ComposeHost) -> Self {
        self.compose_on(ComposeTarget::new(host))
    }

    /// Runs as the docker-compose project `target` describes (a host, and how to reach its engine).
    pub fn compose_on(mut self, target: ComposeTarget) -> Self {
        self.targets.push(Target::Compose(target));
        self
    }

    /// Allows these refs to deploy.
    pub fn deploys_from<R: Into<RefPattern>>(mut self, refs: impl IntoIterator<Item = R>) -> Self {
        self.refs.extend(refs.into_iter().map(Into::into));
        self
    }

    /// Sets what starts a deploy.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// Allows promotion from these environments.
    pub fn promoted_from<S: Into<String>>(mut self, from: impl IntoIterator<Item = S>) -> Self {
        self.promoted_from.extend(from.into_iter().map(Into::into));
        self
    }

    /// Sets the approvals a deploy needs.
    pub fn approvals(mut self, approvals: Approvals) -> Self {
        self.approvals = approvals;
        self
    }

    /// Sizes service `service`.
    pub fn size(mut self, service: impl Into<String>, size: Size) -> Self {
        self.sizing.insert(service.into(), size);
        self
    }

    /// Runs `service` in this environment as it says, in place of the project's service of that name (or
    /// beside the project's services, when it has none of that name).
    pub fn service(mut self, service: Service) -> Self {
        self.services.insert(service.name.clone(), service);
        self
    }

    /// Runs backing service `backing` in this environment as it says, in place of the project's of that
    /// name (or beside them).
    pub fn backing(mut self, backing: BackingService) -> Self {
        self.backing.insert(backing.name.clone(), backing);
        self
    }

    /// Gives the environment a database.
    pub fn database(mut self, database: Database) -> Self {
        self.database = Some(database);
        self
    }

    /// Adds a smoke check.
    pub fn smoke(mut self, check: SmokeCheck) -> Self {
        self.smoke_checks.push(check);
        self
    }

    /// Sets what a failed deploy does.
    pub fn rollback(mut self, rollback: Rollback) -> Self {
        self.rollback = rollback;
        self
    }

    /// Says why this staging or production environment may deploy without approvals, or from any ref.
    /// Without it, `slipway check` refuses such an environment: it is almost always a mistake.
    pub fn unprotected_because(mut self, reason: impl Into<String>) -> Self {
        self.unprotected_because = Some(reason.into());
        self
    }

    /// Names the IAM role slipway assumes to reach this environment's account from another account's
    /// credentials.
    pub fn assume_role(mut self, role_arn: impl Into<String>) -> Self {
        self.assume_role = Some(role_arn.into());
        self
    }

    /// The AWS target, if the environment has one. `check` refuses more than one.
    pub fn aws_target(&self) -> Option<&AwsTarget> {
        self.targets.iter().find_map(|t| match t {
            Target::Aws(a) => Some(a),
            _ => None,
        })
    }

    /// The cloud.gov target, if the environment has one.
    pub fn cloud_gov_target(&self) -> Option<&CloudGovTarget> {
        self.targets.iter().find_map(|t| match t {
            Target::CloudGov(c) => Some(c),
            _ => None,
        })
    }

    /// The docker-compose target, if the environment has one.
    pub fn compose_target(&self) -> Option<&ComposeTarget> {
        self.targets.iter().find_map(|t| match t {
            Target::Compose(c) => Some(c),
            _ => None,
        })
    }

    /// The size of `service` here: the one set with [`Environment::size`], or the tier's default (three
    /// instances of 1,024 MiB in production, two in staging, else one of the service's own memory).
    pub fn size_of(&self, service: &Service) -> Size {
        if let Some(size) = self.sizing.get(&service.name) {
            return *size;
        }
        let (instances, memory_mb) = match self.tier {
            Tier::Production => (3, 1024),
            Tier::Staging => (2, 1024),
            _ => (1, service.memory_mb),
        };
        Size { instances, memory_mb, disk_mb: service.disk_mb }
    }

    /// Whether a deploy from git ref `branch` is allowed.
    pub fn allows_ref(&self, branch: &str) -> bool {
        self.refs.iter().any(|r| r.matches(branch))
    }
}
