//! dev: every merge to `main` deploys here at once; developers also run it locally with docker-compose.

use slipway::model::{AccountId, ComposeHost, Environment, Region, SmokeCheck, StackOutput, Tier, Trigger};

const ACCOUNT: AccountId = slipway::account_id!("111111111111");

/// The dev environment.
pub fn dev() -> Environment {
    Environment::new("dev", Tier::Development)
        .aws(ACCOUNT, Region::UsEast1)
        .cloud_gov("webapp-org", "dev")
        .compose(ComposeHost::Local)
        .deploys_from(["main"])
        .trigger(Trigger::Push)
        .smoke(SmokeCheck::get("api-health", StackOutput::new("app", "ApiUrl"), "/health"))
}
