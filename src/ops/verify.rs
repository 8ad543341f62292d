//! Evidence after the fact: an environment's smoke checks run against the release it runs now, recorded
//! in the ledger for that release. A deploy with `--no-smoke` leaves its release without evidence (the
//! policy never counts a skipped check as passed); this is how it gets some without deploying again.
//! It changes nothing, so it takes no lock: its record names the release it checked, and counts only
//! while the environment still runs that release.

use super::{Context, OpsError};
use crate::apply::report::{Report, Reporter};
use crate::apply::smoke::{SmokeFailure, SmokeResult, run_all};
use crate::cloud::{Cloud, Poll};
use crate::ledger::{self, EnvState, Outcome, Phase, Record, RunKind};
use crate::model::{Environment, SmokeUrl};

/// What a verification found.
#[derive(Debug)]
pub struct Verified {
    /// The release checked.
    pub release: String,
    /// Each check run, up to the first that failed.
    pub results: Vec<SmokeResult>,
    /// Why it failed, if it did.
    pub cause: Option<String>,
}

/// Why there is nothing to verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The environment runs no release.
    #[error("`{0}` runs no release, so there is nothing to verify")]
    NothingDeployed(String),
    /// The environment has no smoke checks.
    #[error("`{0}` has no smoke checks to run; add some to its definition (`Environment::smoke`)")]
    NoChecks(String),
}

/// Runs `env`'s smoke checks against the release it runs (stack outputs read through `cloud`) and records
/// the results as evidence for that release.
pub async fn verify(
    cx: &Context<'_>,
    env: &Environment,
    cloud: Option<&Cloud>,
    poll: &Poll,
    reporter: &mut dyn Reporter,
) -> Result<Verified, OpsError> {
    let state = EnvState::of(&ledger::records(cx.store, &env.name).await?, cx.clock.now());
    let Some(current) = state.current else { return Err(VerifyError::NothingDeployed(env.name.clone()).into()) };
    if env.smoke_checks.is_empty() {
        return Err(VerifyError::NoChecks(env.name.clone()).into());
    }
    let resolve = async |url: &SmokeUrl| {
        let found = match url {
            SmokeUrl::Stack(output) => {
                let Some(cloud) = cloud else { return Err(SmokeFailure::NoUrl(format!("{url}: no AWS target"))) };
                let name = crate::cfn::stack_name(&cx.project.name, &env.name, &output.stack);
                match cloud.describe_stack(&name).await {
                    Ok(Some(s)) => {
                        s.outputs.get(&output.output).cloned().ok_or_else(|| {
                            format!("stack {name} has no output `{}` to read the URL from", output.output)
                        })
                    }
                    Ok(None) => Err(format!("stack {name} does not exist")),
                    Err(e) => Err(format!("stack {name} could not be read: {e}")),
                }
            }
            SmokeUrl::Service(_) => Err(format!("{url} is known only to the run that brings the compose project up")),
        };
        found.map(Some).map_err(SmokeFailure::NoUrl)
    };
    let (results, cause) = run_all(&env.smoke_checks, resolve, poll, |text| reporter.report(Report::Note(text))).await;
    let now = cx.clock.now();
    let mut record = Record::new(&ledger::new_run_id(now), Phase::Done, RunKind::Verify, &env.name, now, cx.actor);
    record.release = Some(current.release.clone());
    record.commit = current.commit.clone();
    record.smoke = super::deploy::smoke_records(&results, true, &[]);
    record.outcome = Some(if cause.is_none() { Outcome::Done } else { Outcome::Failed });
    record.reason = cause.clone();
    ledger::append(cx.store, &record).await?;
    Ok(Verified { release: current.release, results, cause })
}
