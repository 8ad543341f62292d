//! Where an environment deploys: an AWS account and region, a cloud.gov org and space, a docker-compose host.
//!
//! A typo in an account ID deploys into somebody else's account, so IDs are checked before anything runs:
//! written with [`account_id!`](crate::account_id) a bad one is a compile error wherever it is written;
//! built with [`AccountId::new`] (from a string known only at run time, say) `slipway check` refuses it,
//! naming the environment. Neither ever panics. Regions are an enum, so `us-est-1` cannot compile.

use std::fmt;

/// An AWS account ID: twelve digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(&'static str);

impl AccountId {
    /// An account ID as written; `slipway check` refuses one that is not twelve digits. Use
    /// [`account_id!`](crate::account_id) to have the compiler refuse it instead.
    pub const fn new(id: &'static str) -> Self {
        AccountId(id)
    }

    /// An account ID that must be twelve digits: evaluated in a `const` (as [`account_id!`](crate::account_id)
    /// does), anything else fails to compile.
    #[doc(hidden)]
    pub const fn checked(id: &'static str) -> Self {
        assert!(Self::is_valid(id), "an AWS account ID is exactly twelve digits");
        AccountId(id)
    }

    const fn is_valid(id: &str) -> bool {
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
        (!Self::is_valid(self.0)).then(|| format!("the AWS account ID `{}` is not twelve digits", self.0))
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &'static str {
        self.0
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
        f.write_str(self.0)
    }
}

/// The AWS regions slipway deploys to. A region is an enum, not a string, so `us-est-1` cannot compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Region {
    UsEast1,
    UsEast2,
    UsWest1,
    UsWest2,
    UsGovWest1,
    UsGovEast1,
    CaCentral1,
    EuWest1,
    EuWest2,
    EuCentral1,
    ApSoutheast1,
    ApSoutheast2,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsTarget {
    /// The account the stacks live in.
    pub account: AccountId,
    /// The region the stacks live in.
    pub region: Region,
}

/// A cloud.gov (Cloud Foundry) org and space: the environment's frontend + backend app pair runs there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudGovTarget {
    /// The Cloud Foundry organization.
    pub org: String,
    /// The space inside the org; several environments may share one space.
    pub space: String,
}

/// Where a docker-compose environment runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComposeHost {
    /// A developer's own machine.
    Local,
    /// A server, by host name (a feature-demo host, say).
    Server(String),
}

impl ComposeHost {
    /// The host ports the compose environment `env` publishes on this host.
    ///
    /// A developer's machine gets fixed, memorable ports. On a server the ports are derived from the
    /// environment's name (SHA-256 of it, into one of [`DEMO_PORT_SLOTS`] slots of ten ports from
    /// [`DEMO_PORT_BASE`]), so that feature demos sharing a server get distinct ports without anybody
    /// handing them out, and the same demo always gets the same ports. Two names can still land in one slot;
    /// `slipway check` refuses that and the fix is another demo name.
    pub fn ports_for(&self, env: &str) -> ComposePorts {
        match self {
            ComposeHost::Local => ComposePorts { frontend: 3000, backend: 8000 },
            ComposeHost::Server(_) => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(env.as_bytes());
                let mut first = [0u8; 8];
                first.copy_from_slice(&digest[..8]);
                let slot = (u64::from_be_bytes(first) % u64::from(DEMO_PORT_SLOTS)) as u16;
                let base = DEMO_PORT_BASE + slot * 10;
                ComposePorts { frontend: base, backend: base + 1 }
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
/// How many slots of ten ports follow [`DEMO_PORT_BASE`] (so ports stay below 30000, under the
/// ephemeral range).
pub const DEMO_PORT_SLOTS: u16 = 1000;

/// The host ports one compose environment publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComposePorts {
    /// Where the frontend answers on the host.
    pub frontend: u16,
    /// Where the backend answers on the host.
    pub backend: u16,
}

impl ComposePorts {
    /// Both ports, frontend first.
    pub fn all(self) -> [u16; 2] {
        [self.frontend, self.backend]
    }
}

/// The PostgreSQL image a compose environment's database runs unless its target names another.
pub const DEFAULT_DATABASE_IMAGE: &str = "postgres:16-alpine";

/// A docker-compose target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeTarget {
    /// The host the compose project runs on.
    pub host: ComposeHost,
    /// The image (with tag) of the database service, a PostgreSQL that the official image's
    /// `POSTGRES_USER`, `POSTGRES_PASSWORD` and `POSTGRES_DB` set up and `pg_isready` checks:
    /// [`DEFAULT_DATABASE_IMAGE`] unless set with [`ComposeTarget::database_image`] (a registry mirror for
    /// a host that cannot reach Docker Hub, another version, an image built on the host).
    pub database_image: String,
    /// The Docker engine `slipway demo up` reaches the host's through (`ssh://deploy@demo.example.org`,
    /// `tcp://10.0.0.5:2376`, `unix:///var/run/docker.sock`); when `None`, `--host` or `DOCKER_HOST` says.
    pub docker_host: Option<String>,
}

impl ComposeTarget {
    /// A compose project on `host`, with the default database image.
    pub fn new(host: ComposeHost) -> Self {
        ComposeTarget { host, database_image: DEFAULT_DATABASE_IMAGE.to_string(), docker_host: None }
    }

    /// Reaches the host's Docker engine through `endpoint` (`ssh://user@server`, `tcp://...`, `unix://...`).
    pub fn docker_host(mut self, endpoint: impl Into<String>) -> Self {
        self.docker_host = Some(endpoint.into());
        self
    }

    /// Runs the database from `image` (with tag) instead.
    pub fn database_image(mut self, image: impl Into<String>) -> Self {
        self.database_image = image.into();
        self
    }
}

/// One place an environment deploys to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// CloudFormation stacks in an AWS account and region.
    Aws(AwsTarget),
    /// A Cloud Foundry app pair in a cloud.gov space.
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
