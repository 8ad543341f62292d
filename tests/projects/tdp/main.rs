//! A team's four cloud.gov environments, as its own repository would define them (only slipway's public
//! API), from its flow document (`shared/flows/cloudgov-four-environments.md`): `experiment` and
//! `development`, each a frontend + backend app pair, side by side in space `dev`, deployed by hand from
//! any branch; `staging` in space `staging` and `production` in space `prod`, reached only by promotion.
//!
//! The document has staging deploy "once gov-approved" and production deploy what was "tested in staging
//! & ready for prod", both spaces open to the government only. Here that is slipway's promotion: a release
//! that passed in `development` goes to `staging` with one approval from the government's reviewers, and
//! one that passed in `staging` goes to `production` with two (the document names no number; this team
//! asks two distinct people, neither the release's author nor the one running the promotion). Both take
//! only releases made on `main`, where the document's merged code is. The apps run from the images CI
//! builds, tagged with the release, so each release's code is its tag.

use slipway::model::{
    Approvals, Definitions, Environment, Group, HealthCheck, Link, Project, Repository, Service, Tier, Trigger,
};

fn main() -> std::process::ExitCode {
    slipway::app::main(project())
}

fn project() -> Definitions {
    let gov = Group::new("gov", ["alma", "raj", "lena"]);
    let cg = |name: &str, tier, space: &str| Environment::new(name, tier).cloud_gov("hhs-tanf", space);
    Project::new("tdp", Repository::new("HHS", "TANF-app"))
        .service(Service::web("frontend", 8080).docker().link(Link::url("backend", "API_URL")))
        .service(Service::web("backend", 8080).docker().health(HealthCheck::http("/health")).secret("SECRET_KEY"))
        .environment(cg("experiment", Tier::Development, "dev").deploys_from(["**"]).trigger(Trigger::Manual))
        .environment(cg("development", Tier::Development, "dev").deploys_from(["**"]).trigger(Trigger::Manual))
        .environment(
            cg("staging", Tier::Staging, "staging")
                .deploys_from(["main"])
                .trigger(Trigger::Promotion)
                .promoted_from(["development"])
                .approvals(Approvals::new(1).from(gov.clone())),
        )
        .environment(
            cg("production", Tier::Production, "prod")
                .deploys_from(["main"])
                .trigger(Trigger::Promotion)
                .promoted_from(["staging"])
                .approvals(Approvals::new(2).from(gov)),
        )
        .into()
}
