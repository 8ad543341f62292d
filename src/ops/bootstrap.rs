//! `slipway bootstrap`: an environment's AWS account and region made ready for slipway's deploys, once,
//! with the bootstrap stack (`model::bootstrap`: an assets bucket, an image repository and the execution
//! role change sets name), deployed through the same change sets and rollback as any stack; and
//! [`require`], which every run that changes an environment's stacks calls before it takes the lock or
//! changes anything: an account that is not bootstrapped, or bootstrapped by an older version than this
//! engine needs, is refused, naming the command that fixes it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::OpsError;
use crate::apply::cloudformation::{self as cfn, ApprovalMode, InFlight, NoQuestions, Options, Plan, StackPlan};
use crate::apply::report::Reporter;
use crate::cloud::{Cloud, Poll};
use crate::model::bootstrap::{self, REQUIRED_VERSION, STACK_NAME, VERSION_OUTPUT};
use crate::model::{AwsTarget, Environment};

/// Why an environment's account cannot be deployed to yet: nothing was taken or changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BootstrapError {
    /// The account and region have no (usable) bootstrap stack.
    #[error(
        "account {account} in {region} is not bootstrapped{}: run `slipway bootstrap --env {env}`",
        match status { Some(s) => format!(" (its {STACK_NAME} stack is {s})"), None => String::new() }
    )]
    Missing {
        /// The environment being deployed.
        env: String,
        /// Its account.
        account: String,
        /// Its region.
        region: String,
        /// The bootstrap stack's status, when there is one that is unusable (a create that rolled back).
        status: Option<String>,
    },
    /// The bootstrap stack is older than this engine needs.
    #[error(
        "account {account} in {region} is bootstrapped with version {found}, and this slipway needs version \
         {required}: run `slipway bootstrap --env {env}`"
    )]
    Outdated {
        /// The environment being deployed.
        env: String,
        /// Its account.
        account: String,
        /// Its region.
        region: String,
        /// The version the stack says it is (its `Version` output, or `none`).
        found: String,
        /// The version this engine needs.
        required: u32,
    },
}

/// Refuses `env` when its account and region (connected to as `cloud`) are not bootstrapped, or
/// bootstrapped by an older version than [`REQUIRED_VERSION`]. One DescribeStacks call; an environment
/// with no AWS target passes.
pub async fn require(cloud: &Cloud, env: &Environment) -> Result<(), OpsError> {
    let Some(target) = env.aws_target() else { return Ok(()) };
    let state = cloud.describe_stack(STACK_NAME).await?;
    let (account, region) = (target.account.to_string(), target.region.code().to_string());
    let missing = |status: Option<String>| BootstrapError::Missing {
        env: env.name.clone(),
        account: account.clone(),
        region: region.clone(),
        status,
    };
    let Some(state) = state else { return Err(missing(None).into()) };
    // A stack that never finished being created holds nothing deploys can use.
    let usable = !matches!(
        state.status.as_str(),
        "REVIEW_IN_PROGRESS"
            | "CREATE_IN_PROGRESS"
            | "CREATE_FAILED"
            | "ROLLBACK_IN_PROGRESS"
            | "ROLLBACK_COMPLETE"
            | "ROLLBACK_FAILED"
            | "DELETE_IN_PROGRESS"
            | "DELETE_FAILED"
    );
    if !usable {
        return Err(missing(Some(state.status)).into());
    }
    let found = state.outputs.get(VERSION_OUTPUT);
    match found.and_then(|v| v.trim().parse::<u32>().ok()) {
        Some(v) if v >= REQUIRED_VERSION => Ok(()),
        _ => Err(BootstrapError::Outdated {
            env: env.name.clone(),
            account,
            region,
            found: found.cloned().unwrap_or_else(|| "none".into()),
            required: REQUIRED_VERSION,
        }
        .into()),
    }
}

/// What a bootstrap did.
#[derive(Debug)]
pub struct Bootstrapped {
    /// The account and region.
    pub target: AwsTarget,
    /// The bootstrap stack's deploy: its one stack's result says created, updated or unchanged.
    pub applied: cfn::Applied,
    /// The stack's outputs after it (`Version`, `AssetsBucket`, `ImageRepository`, `ExecutionRoleArn`);
    /// empty when it did not deploy.
    pub outputs: BTreeMap<String, String>,
}

/// Deploys (creates or updates) the bootstrap stack of `env`'s account and region through `cloud`, its
/// execution role with the managed policies `policies` (`AdministratorAccess` when none), by change set,
/// polling by `poll`; the change set names no role, since this stack makes the role the others name.
pub async fn bootstrap(
    cloud: &Cloud,
    env: &Environment,
    policies: &[String],
    poll: Poll,
    reporter: &mut dyn Reporter,
) -> Result<Bootstrapped, OpsError> {
    let Some(target) = env.aws_target() else {
        return Err(cfn::PlanError::NoAws(env.name.clone()).into());
    };
    let template = bootstrap::template(target, policies).to_json();
    // The environment's own alarms and checks are about its stacks, not this one.
    let mut plain = env.clone();
    plain.evidence = Default::default();
    plain.smoke_checks = Vec::new();
    let plan = Plan {
        env: plain,
        release: format!("bootstrap-v{REQUIRED_VERSION}"),
        stacks: vec![StackPlan {
            short: "bootstrap".into(),
            name: STACK_NAME.into(),
            template,
            parameters: BTreeMap::new(),
            depends_on: BTreeSet::new(),
            template_url: None,
        }],
        tags: BTreeMap::new(),
        smoke_checks: Vec::new(),
        role_arn: None,
    };
    let options = Options {
        concurrency: 1,
        approval: ApprovalMode::Never,
        yes: false,
        interactive: false,
        skip_resources: Vec::new(),
        in_progress_wait: Duration::from_secs(600),
        poll,
        artifacts_bucket: None,
        smoke: false,
        bake: false,
    };
    let in_flight = RefCell::new(InFlight::default());
    let applied = Box::pin(cfn::run(cloud, &plan, &options, reporter, &mut NoQuestions, &in_flight)).await;
    let outputs = match applied.ending {
        cfn::Ending::Deployed => cloud.describe_stack(STACK_NAME).await?.map(|s| s.outputs).unwrap_or_default(),
        _ => BTreeMap::new(),
    };
    Ok(Bootstrapped { target: target.clone(), applied, outputs })
}
