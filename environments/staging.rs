//! staging: production's twin, the last stop before it.

use slipway::model::{
    AccountId, Approvals, Database, DbClass, Environment, Region, Size, SmokeCheck, StackOutput, Tier, Trigger,
};

const ACCOUNT: AccountId = slipway::account_id!("333333333333");

/// The staging environment.
pub fn staging() -> Environment {
    Environment::new("staging", Tier::Staging)
        .aws(ACCOUNT, Region::UsEast1)
        .cloud_gov("webapp-org", "staging")
        .deploys_from(["main", "release/*"])
        .trigger(Trigger::Promotion)
        .promoted_from(["test"])
        .approvals(Approvals::new(1).from(super::qa()))
        .size("backend", Size { instances: 2, memory_mb: 1024, disk_mb: 2048 })
        .database(Database { class: DbClass::T4gSmall, storage_gb: 50, multi_az: false, backup_days: 7 })
        .smoke(SmokeCheck::get("api-health", StackOutput::new("app", "ApiUrl"), "/health").attempts(5))
}
