//! The reference stacks of a web app with a frontend and a backend: functions from an environment to a
//! CloudFormation stack. A new team copies these and changes what its app needs.
//!
//! Stacks share values through exports named `<project>-<env>-<stack>-<output>`, so the dependency order
//! of an environment's stacks follows from its imports: network and logging, then data, then app, then
//! monitoring; the deploy-role stack imports nothing of theirs.

use slipway::model::{AwsTarget, Environment, Project, Service, Tier};

use slipway::cfn::resources::AccessLogs;
use slipway::cfn::{Expr, Output, Stack};

pub mod app;
pub mod data;
pub mod deploy_role;
pub mod logging;
pub mod monitoring;
pub mod network;

/// What a stack function reads: the project, the environment and its AWS target.
pub struct Context<'a> {
    /// The project (name, repository).
    pub project: &'a Project,
    /// The environment being synthesized.
    pub env: &'a Environment,
    /// Its AWS account and region.
    pub aws: &'a AwsTarget,
}

impl Context<'_> {
    /// The export name of `output` of `stack` in this environment.
    pub fn export_name(&self, stack: &str, output: &str) -> String {
        format!("{}-{}-{stack}-{output}", self.project.name, self.env.name)
    }

    /// `Fn::ImportValue` of `output` of `stack` in this environment.
    pub fn import(&self, stack: &str, output: &str) -> Expr {
        Expr::import(self.export_name(stack, output))
    }

    /// An output of `stack` exported under its conventional name.
    pub fn exported(&self, stack: &str, output: &str, description: &str, value: Expr) -> Output {
        Output::new(description, value).export(self.export_name(stack, output))
    }

    /// Server access logging of a bucket into the logging stack's bucket, under `s3/<name>/`.
    pub fn access_logs(&self, name: &str) -> AccessLogs {
        AccessLogs { bucket: self.import("logging", "LogBucketName"), name: name.into() }
    }

    /// Service `name` as it runs in this environment (the project's, or the environment's own).
    pub fn service(&self, name: &str) -> Option<Service> {
        self.project.services_in(self.env).into_iter().find(|s| s.name == name)
    }

    /// A name prefix unique to this project and environment (`webapp-prod`).
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.project.name, self.env.name)
    }

    /// How long logs are kept, by tier.
    pub fn log_retention_days(&self) -> u32 {
        match self.env.tier {
            Tier::Production => 365,
            Tier::Staging => 90,
            Tier::Demo => 7,
            _ => 30,
        }
    }

    /// The HTTP API's throttle, by tier: (burst, requests per second).
    pub fn api_throttle(&self) -> (u32, u32) {
        if self.env.tier >= Tier::Staging { (500, 1000) } else { (50, 100) }
    }

    /// The backend function's reserved concurrency: what the API's rate limit needs at about 100 ms per
    /// request (100 from staging up, 10 below), which also stays under the database's connection limit
    /// (about 110 on the smallest class a reference environment runs). The account keeps at least 100
    /// unreserved executions, as Lambda requires, from its default quota of 1,000.
    pub fn backend_concurrency(&self) -> u32 {
        self.api_throttle().1 / 10
    }

    /// Seconds between enhanced-monitoring samples of the database host: finer in production, where an
    /// incident must be explained afterwards, and cheaper elsewhere.
    pub fn db_monitoring_interval_seconds(&self) -> u32 {
        if self.env.tier == Tier::Production { 15 } else { 60 }
    }
}

/// The environment's CloudFormation stacks; none when it has no AWS target.
pub fn for_environment(project: &Project, env: &Environment) -> Vec<Stack> {
    let Some(aws) = env.aws_target() else { return Vec::new() };
    let cx = Context { project, env, aws };
    vec![
        network::stack(&cx),
        logging::stack(&cx),
        data::stack(&cx),
        app::stack(&cx),
        monitoring::stack(&cx),
        deploy_role::stack(&cx),
    ]
}
