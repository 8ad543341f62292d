//! test: release candidates, deployed by hand after QA signs off, sharing cloud.gov space `dev` with dev.

use slipway::model::{AccountId, Approvals, Database, DbClass, Environment, Region, SmokeCheck, StackOutput, Tier};

const ACCOUNT: AccountId = slipway::account_id!("222222222222");

/// The test environment.
pub fn test() -> Environment {
    Environment::new("test", Tier::Test)
        .aws(ACCOUNT, Region::UsEast1)
        .cloud_gov("webapp-org", "dev")
        .deploys_from(["main", "release/*"])
        .promoted_from(["dev"])
        .approvals(Approvals::new(1).from(super::qa()))
        .database(Database { class: DbClass::T4gMicro, storage_gb: 20, multi_az: false, backup_days: 1 })
        .smoke(SmokeCheck::get("api-health", StackOutput::new("app", "ApiUrl"), "/health"))
}
