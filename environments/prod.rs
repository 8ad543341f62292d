//! prod: promoted from staging only, after two release managers approve and a 30-minute wait; only
//! `main` and `release/*` may deploy here.

use slipway::model::{
    AccountId, Approvals, Database, DbClass, Environment, Region, Size, SmokeCheck, StackOutput, Tier, Trigger,
};

const ACCOUNT: AccountId = slipway::account_id!("444444444444");

/// The production environment.
pub fn prod() -> Environment {
    Environment::new("prod", Tier::Production)
        .aws(ACCOUNT, Region::UsEast1)
        .cloud_gov("webapp-org", "prod")
        .deploys_from(["main", "release/*"])
        .trigger(Trigger::Promotion)
        .promoted_from(["staging"])
        .approvals(Approvals::new(2).from(super::release_managers()).wait_minutes(30))
        .size("frontend", Size { instances: 3, memory_mb: 512, disk_mb: 1024 })
        .size("backend", Size { instances: 3, memory_mb: 2048, disk_mb: 2048 })
        .database(Database { class: DbClass::M7gLarge, storage_gb: 100, multi_az: true, backup_days: 30 })
        .smoke(SmokeCheck::get("api-health", StackOutput::new("app", "ApiUrl"), "/health").attempts(5))
}
