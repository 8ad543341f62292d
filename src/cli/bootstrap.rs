//! `slipway bootstrap`: an environment's AWS account and region made ready for deploys, once (again after an
//! upgrade of slipway that needs a newer bootstrap), as `cdk bootstrap` does.

use std::io::Write;

use super::progress::{Progress, ProgressMode};
use super::{CliError, Exit, Session};
use crate::apply::cloudformation::StackResult;
use crate::cloud::Poll;

/// Prepares the AWS account and region of an environment for slipway's deploys: deploys (creates or
/// updates) the `slipway-bootstrap` stack there, with the bucket deploys publish assets into (encrypted,
/// versioned, TLS only, no public access), the image repository they push images to, and the role
/// CloudFormation changes the stacks as (`slipway-cfn-exec-<region>`). Deploys, promotions and rollbacks
/// refuse an account that is not bootstrapped, or bootstrapped by an older version (exit 6). Running it
/// again changes nothing unless something differs.
#[derive(Debug, clap::Args)]
pub struct BootstrapArgs {
    /// The environment whose account and region to bootstrap.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    /// A managed policy (by ARN) the execution role gets instead of AdministratorAccess; repeat it for
    /// several. What CloudFormation may do in the account when it deploys its stacks.
    #[arg(long = "execution-policy", value_name = "ARN")]
    execution_policies: Vec<String>,
    /// The IAM role to assume (through STS) when the credentials are for another account than the
    /// environment's; by default the one its definition names.
    #[arg(long, value_name = "ARN")]
    assume_role: Option<String>,
    /// How to show progress: a live view on a terminal, or one line per stack event (for CI logs).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    progress: ProgressMode,
    /// The first polling interval in milliseconds (for tests).
    #[arg(long, value_name = "MS", default_value_t = 2000, hide = true)]
    poll_ms: u64,
}

pub fn run(s: &Session, args: &BootstrapArgs) -> Result<Exit, CliError> {
    let env = s.environment(&args.env)?;
    let Some(target) = env.aws_target() else {
        return Err(CliError::user(format!(
            "environment `{}` has no AWS target, so there is no account to bootstrap",
            env.name
        ))
        .hint("bootstrap an environment whose definition has `.aws(account, region)`"));
    };
    if let Some(bad) = args.execution_policies.iter().find(|p| !is_policy_arn(p)) {
        return Err(CliError::user(format!("--execution-policy `{bad}` is not the ARN of an IAM policy"))
            .hint("give a managed policy's ARN, e.g. arn:aws:iam::aws:policy/PowerUserAccess"));
    }
    let cloud = s.block_on(crate::ops::deploy::connect(s.connector(), env, args.assume_role.as_deref()))?;
    let mut progress = Progress::new(args.progress, s.ui());
    let poll = Poll::from_min(std::time::Duration::from_millis(args.poll_ms.max(1)));
    let done =
        s.block_on(crate::ops::bootstrap::bootstrap(&cloud, env, &args.execution_policies, poll, progress.reporter()));
    progress.reporter().finish();
    let done = done?;
    let place = format!("account {} in {}", target.account, target.region.code());
    let stack = crate::model::bootstrap::STACK_NAME;
    let result = done.applied.stacks.first().map(|(_, r)| r.clone()).unwrap_or(StackResult::NotStarted);
    let mut out = s.out();
    match &result {
        StackResult::Unchanged => writeln!(out, "{place} is bootstrapped already: {stack} is unchanged")?,
        StackResult::Created => writeln!(out, "bootstrapped {place}: created stack {stack}")?,
        StackResult::Updated => writeln!(out, "bootstrapped {place}: updated stack {stack}")?,
        other => {
            writeln!(out, "failed to bootstrap {place}: {}", crate::apply::cloudformation::result_text(other))?;
            return Ok(super::exit_of(&done.applied.ending));
        }
    }
    for (key, value) in &done.outputs {
        writeln!(out, "  {key}: {value}")?;
    }
    Ok(super::exit_of(&done.applied.ending))
}

/// Whether `arn` is an IAM policy's ARN (`arn:<partition>:iam::<account or aws>:policy/<name>`).
fn is_policy_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", _, rest]
        if !partition.is_empty() && rest.strip_prefix("policy/").is_some_and(|n| !n.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::is_policy_arn;

    #[test]
    fn policy_arns_are_told_from_other_text() {
        assert!(is_policy_arn("arn:aws:iam::aws:policy/PowerUserAccess"));
        assert!(is_policy_arn("arn:aws-us-gov:iam::111111111111:policy/team/deploy"));
        assert!(!is_policy_arn("PowerUserAccess"));
        assert!(!is_policy_arn("arn:aws:iam::aws:role/PowerUserAccess"));
        assert!(!is_policy_arn("arn:aws:s3:::bucket"));
    }
}
