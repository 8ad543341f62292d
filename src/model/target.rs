//! Where an environment deploys: an AWS account and region, a cloud.gov org and space, a docker-compose host.
//!
//! Account IDs and regions are checked when the definition compiles (`AccountId::new` is a `const fn` that
//! refuses anything but twelve digits), because a typo there deploys into somebody else's account.

use std::fmt;

/// A twelve-digit AWS account ID, checked at compile time when built in a `const`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(&'static str);

impl AccountId {
    /// Builds an account ID; panics (a compile error in a `const`) unless `id` is exactly twelve digits.
    pub const fn new(id: &'static str) -> Self {
        let bytes = id.as_bytes();
        assert!(bytes.len() == 12, "an AWS account ID has exactly twelve digits");
        let mut i = 0;
        while i < bytes.len() {
            assert!(bytes[i].is_ascii_digit(), "an AWS account ID has only digits");
            i += 1;
        }
        AccountId(id)
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
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

/// A docker-compose target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeTarget {
    /// The host the compose project runs on.
    pub host: ComposeHost,
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
            Target::Compose(ComposeTarget { host: ComposeHost::Local }) => f.write_str("compose:local"),
            Target::Compose(ComposeTarget { host: ComposeHost::Server(h) }) => write!(f, "compose:{h}"),
        }
    }
}
