//! Where an environment deploys: an AWS account and region, a cloud.gov org and space, a docker-compose host.
//!
//! A typo in an account ID deploys into somebody else's account, so IDs are checked before anything runs:
//! written with [`account_id!`](crate::account_id) a bad one is a compile error wherever it is written;
//! built with [`AccountId::new`] (from a string known only at run time, say) `slipway check` refuses it,
//! naming the environment. Neither ever panics. Regions are an enum, so `us-est-1` cannot compile.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An AWS account ID: twelve digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(Cow<'static, str>);

impl AccountId {
    /// An account ID as written; `slipway check` refuses one that is not twelve digits. Use
    /// [`account_id!`](crate::account_id) to have the compiler refuse it instead.
    pub const fn new(id: &'static str) -> Self {
        AccountId(Cow::Borrowed(id))
    }

    /// An account ID read at run time (from the project's rules, an environment variable); `slipway check`
    /// refuses one that is not twelve digits.
    pub fn owned(id: impl Into<String>) -> Self {
        AccountId(Cow::Owned(id.into()))
    }

    /// An account ID that must be twelve digits: evaluated in a `const` (as [`account_id!`](crate::account_id)
    /// does), anything else fails to compile.
    #[doc(hidden)]
    pub const fn checked(id: &'static str) -> Self {
        assert!(Self::is_valid(id), "an AWS account ID is exactly twelve digits");
        AccountId(Cow::Borrowed(id))
    }

    /// Whether `id` is an AWS account ID: twelve digits.
    pub const fn is_valid(id: &str) -> bool {
        let bytes = id.as_bytes();
        if bytes.len() != 12 {
            return false;
        }
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Why this is not an account ID, if it is not.
    pub fn problem(&self) -> Option<String> {
        (!Self::is_valid(&self.0)).then(|| format!("the AWS account ID `{}` is not twelve digits", self.0))
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A twelve-digit AWS account ID checked by the compiler: `account_id!("111111111111")`. Anything but
/// twelve digits fails to compile, wherever it is written.
#[macro_export]
macro_rules! account_id {
    ($id:literal) => {{
        const ID: $crate::model::AccountId = $crate::model::AccountId::checked($id);
        ID
    }};
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The AWS regions slipway deploys to. A region is an enum, not a string, so `us-est-1` cannot compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Region {
    #[serde(rename = "us-east-1")]
    UsEast1,
    #[serde(rename = "us-east-2")]
    UsEast2,
    #[serde(rename = "us-west-1")]
    UsWest1,
    #[serde(rename = "us-west-2")]
    UsWest2,
    #[serde(rename = "us-gov-west-1")]
    UsGovWest1,
    #[serde(rename = "us-gov-east-1")]
    UsGovEast1,
    #[serde(rename = "ca-central-1")]
    CaCentral1,
    #[serde(rename = "eu-west-1")]
    EuWest1,
    #[serde(rename = "eu-west-2")]
    EuWest2,
    #[serde(rename = "eu-central-1")]
    EuCentral1,
    #[serde(rename = "ap-southeast-1")]
    ApSoutheast1,
    #[serde(rename = "ap-southeast-2")]
    ApSoutheast2,
    #[serde(rename = "ap-northeast-1")]
    ApNortheast1,
}

impl Region {
    /// The region's code, as AWS writes it (`us-east-1`).
    pub fn code(self) -> &'static str {
        match self {
            Region::UsEast1 => "us-east-1",
            Region::UsEast2 => "us-east-2",
            Region::UsWest1 => "us-west-1",
            Region::UsWest2 => "us-west-2",
            Region::UsGovWest1 => "us-gov-west-1",
            Region::UsGovEast1 => "us-gov-east-1",
            Region::CaCentral1 => "ca-central-1",
            Region::EuWest1 => "eu-west-1",
            Region::EuWest2 => "eu-west-2",
            Region::EuCentral1 => "eu-central-1",
            Region::ApSoutheast1 => "ap-southeast-1",
            Region::ApSoutheast2 => "ap-southeast-2",
            Region::ApNortheast1 => "ap-northeast-1",
        }
    }

    /// The partition the region belongs to (`aws` or `aws-us-gov`).
    pub fn partition(self) -> &'static str {
        match self {
            Region::UsGovWest1 | Region::UsGovEast1 => "aws-us-gov",
            _ => "aws",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An AWS account and region: the environment's CloudFormation stacks deploy there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsTarget {
    /// The account the stacks live in.
    pub account: AccountId,
    /// The region the stacks live in.
    pub region: Region,
}

/// A cloud.gov (Cloud Foundry) org and space: the environment's services run there as apps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudGovTarget {
    /// The Cloud Foundry organization.
    pub org: String,
    /// The space inside the org; several environments may share one space.
    pub space: String,
    /// How a new release replaces the running instances of each app.
    #[serde(default, skip_serializing_if = "Rollout::is_rolling")]
    pub rollout: Rollout,
}

impl CloudGovTarget {
    /// The space `space` of org `org`, rolled out instance by instance.
    pub fn new(org: impl Into<String>, space: impl Into<String>) -> Self {
        CloudGovTarget { org: org.into(), space: space.into(), rollout: Rollout::Rolling }
    }

    /// Rolled out as a canary: each step runs `weights` percent of the instances on the new release
    /// (ascending, 1 to 100) and is checked healthy before the next; no weights is one canary instance.
    pub fn canary(mut self, weights: impl IntoIterator<Item = u32>) -> Self {
        self.rollout = Rollout::Canary { steps: weights.into_iter().collect() };
        self
    }
}

/// How Cloud Foundry replaces an app's instances with the new release's, without downtime (a deployment's
/// strategy in the v3 API).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "strategy")]
pub enum Rollout {
    /// New instances start a few at a time and the old ones stop as the new ones become healthy.
    #[default]
    Rolling,
    /// A share of the instances first, then more, step by step: each step's percentage of the instances
    /// (`[25, 50]`: a quarter, a half, then all); slipway goes on to the next step once the step's
    /// instances run. No steps: one canary instance, then all.
    Canary {
        /// Each step's share of the instances, in percent, ascending.
        steps: Vec<u32>,
    },
}

impl Rollout {
    /// Whether it is the default, rolling.
    pub fn is_rolling(&self) -> bool {
        *self == Rollout::Rolling
    }

    /// What is wrong with it, if anything.
    pub fn problem(&self) -> Option<String> {
        let Rollout::Canary { steps } = self else { return None };
        if let Some(w) = steps.iter().find(|w| !(1..=100).contains(*w)) {
            return Some(format!("a canary step of {w}% is not between 1 and 100"));
        }
        if steps.windows(2).any(|w| w[0] >= w[1]) {
            return Some(format!("canary steps {steps:?} must grow from step to step"));
        }
        None
    }
}

/// Where a docker-compose environment runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComposeHost {
    /// A developer's own machine.
    Local,
    /// A server, by host name (a feature-demo host, say).
    Server(String),
}

impl ComposeHost {
    /// The host port each of `services` (the environment's compose services that listen on a port, in the
    /// project's order) is published on, by service name, when the compose environment `env` runs here.
    ///
    /// A developer's machine publishes each on the memorable port its definition gives
    /// ([`crate::model::Service::local_port`]; `slipway check` refuses a service without one). On a server
    /// the ports are derived from the environment's name (SHA-256 of it, into one of [`DEMO_PORT_SLOTS`]
    /// slots of [`PORTS_PER_SLOT`] ports from [`DEMO_PORT_BASE`]), one after the other, so that feature
    /// demos sharing a server get distinct ports without anybody handing them out, and the same demo always
    /// gets the same ports. Two names can still land in one slot; `slipway check` refuses that and the fix
    /// is another demo name.
    pub fn ports_for(&self, env: &str, services: &[&crate::model::Service]) -> BTreeMap<String, u16> {
        let published = services.iter().filter(|s| s.on_compose && s.port.is_some());
        match self {
            ComposeHost::Local => published.filter_map(|s| s.local_port.map(|p| (s.name.clone(), p))).collect(),
            ComposeHost::Server(_) => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(env.as_bytes());
                let mut first = [0u8; 8];
                first.copy_from_slice(&digest[..8]);
                let slot = (u64::from_be_bytes(first) % u64::from(DEMO_PORT_SLOTS)) as u16;
                let base = DEMO_PORT_BASE + slot * PORTS_PER_SLOT;
                published.zip(base..base + PORTS_PER_SLOT).map(|(s, port)| (s.name.clone(), port)).collect()
            }
        }
    }

    /// The host's name as the check reports it (`this machine` for a local one).
    pub fn describe(&self) -> String {
        match self {
            ComposeHost::Local => "the local machine".into(),
            ComposeHost::Server(h) => format!("server `{h}`"),
        }
    }
}

/// The first host port a compose environment on a server may publish.
pub const DEMO_PORT_BASE: u16 = 20000;
/// How many ports one compose environment on a server may publish (its slot).
pub const PORTS_PER_SLOT: u16 = 10;
/// How many slots follow [`DEMO_PORT_BASE`] (so ports stay below 30000, under the ephemeral range).
pub const DEMO_PORT_SLOTS: u16 = 1000;

/// A docker-compose target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposeTarget {
    /// The host the compose project runs on.
    pub host: ComposeHost,
    /// The Docker engine slipway reaches the host's through (`ssh://deploy@demo.example.org`,
    /// `tcp://10.0.0.5:2376`, `unix:///var/run/docker.sock`); when `None`, `--host` or `DOCKER_HOST` says.
    pub docker_host: Option<String>,
    /// Whether a deploy brings the host up before the environment's stacks (by default after them, since
    /// its services may read their outputs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_stacks: bool,
    /// The image registry the host pulls the project's image assets from (`registry.example.org:5000`):
    /// a service that runs an image asset runs `<registry>/<project>/<asset>:<hash>`, which a deploy
    /// pushes there first. `None`: the host runs no image asset (`slipway check` refuses one that would).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
}

impl ComposeTarget {
    /// A compose project on `host`.
    pub fn new(host: ComposeHost) -> Self {
        ComposeTarget { host, docker_host: None, before_stacks: false, registry: None }
    }

    /// A deploy brings the host up before the environment's stacks, and puts it back when they fail: for
    /// stacks that depend on what the host serves (a health check or a DNS record pointing at it).
    pub fn before_stacks(mut self) -> Self {
        self.before_stacks = true;
        self
    }

    /// The host pulls image assets from `registry` (`registry.example.org:5000`, without a scheme or path),
    /// where deploys push them.
    pub fn registry(mut self, registry: impl Into<String>) -> Self {
        self.registry = Some(registry.into());
        self
    }

    /// Reaches the host's Docker engine through `endpoint` (`ssh://user@server`, `tcp://...`, `unix://...`).
    pub fn docker_host(mut self, endpoint: impl Into<String>) -> Self {
        self.docker_host = Some(endpoint.into());
        self
    }
}

/// One place an environment deploys to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// CloudFormation stacks in an AWS account and region.
    Aws(AwsTarget),
    /// The project's services as Cloud Foundry apps in a cloud.gov space.
    CloudGov(CloudGovTarget),
    /// A docker-compose project.
    Compose(ComposeTarget),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Aws(t) => write!(f, "aws:{}/{}", t.account, t.region),
            Target::CloudGov(t) => write!(f, "cloud.gov:{}/{}", t.org, t.space),
            Target::Compose(ComposeTarget { host: ComposeHost::Local, .. }) => f.write_str("compose:local"),
            Target::Compose(ComposeTarget { host: ComposeHost::Server(h), .. }) => write!(f, "compose:{h}"),
        }
    }
}
