//! `slipway verify`: an environment's smoke checks run against the release it runs now, and recorded as
//! evidence for that release, what a promotion from it needs when its deploy skipped them.

use std::io::Write;

use super::progress::{Progress, ProgressMode};
use super::run_args::StoreArgs;
use super::{CliError, Exit, Session};
use crate::cloud::Poll;

/// Runs an environment's smoke checks against the release it runs, and records the result in the
/// ledger as evidence for that release (a deploy with --no-smoke has none, so nothing can be promoted
/// from it until its checks pass). Exit 0 when every check passed; 1 when one failed, which is recorded
/// too: the release is then not healthy there.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    /// The IAM role to assume to read the environment's stacks, when the credentials are for another
    /// account; by default the one its definition names.
    #[arg(long, value_name = "ARN")]
    assume_role: Option<String>,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

pub fn run(s: &Session, args: &VerifyArgs) -> Result<Exit, CliError> {
    let env = s.environment(&args.env)?;
    let cx = s.context()?;
    let cloud = match env.aws_target() {
        Some(_) => Some(s.block_on(crate::ops::deploy::connect(s.connector(), env, args.assume_role.as_deref()))?),
        None => None,
    };
    let mut progress = Progress::new(ProgressMode::Events, s.ui());
    let poll = Poll::from_min(std::time::Duration::from_secs(2));
    let verified = s.block_on(crate::ops::verify::verify(&cx, env, cloud.as_ref(), &poll, progress.reporter()))?;
    match &verified.cause {
        None => {
            writeln!(
                s.out(),
                "verified: {} runs release {}, and every smoke check passed",
                env.name,
                verified.release
            )?;
            Ok(Exit::Success)
        }
        Some(cause) => {
            writeln!(s.out(), "failed: {} runs release {}, and {cause}", env.name, verified.release)?;
            Ok(Exit::Refused)
        }
    }
}
