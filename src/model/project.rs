//! A project: the app being deployed, the repository it lives in, and all of its environments.

use std::fmt;

use super::environment::Environment;
use super::git_ref::RefPattern;
use super::target::AwsTarget;
use crate::cfn::Stack;

/// Makes an environment's CloudFormation stacks: `stacks::for_environment` for this repository.
pub type StackFactory = fn(&Project, &Environment) -> Vec<Stack>;

/// A GitHub repository, `owner/name`: deploy roles trust workflows of this repository only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The user or organization.
    pub owner: String,
    /// The repository's name.
    pub name: String,
}

impl Repository {
    /// `owner/name`.
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Repository { owner: owner.into(), name: name.into() }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// How the GitHub Actions workflows `slipway synth` writes run: the settings that belong to the project
/// rather than to one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubSettings {
    /// Where CI keeps releases, the ledger and the locks: every runner is a fresh machine, so this is an
    /// S3 store (`s3://bucket/prefix`) that all of them share. `None` (the default) reads it from the
    /// repository variable `SLIPWAY_STORE` at run time, so the bucket is set once in GitHub's settings.
    pub store: Option<String>,
    /// The branches feature-demo instances are made from: `prefix/**`, one demo per branch below it.
    pub demo_branches: RefPattern,
    /// When `slipway demo gc` runs, as a cron line in UTC.
    pub demo_gc_schedule: String,
    /// The runner every job runs on.
    pub runs_on: String,
}

impl Default for GitHubSettings {
    fn default() -> Self {
        GitHubSettings {
            store: None,
            demo_branches: RefPattern::new("feature-demo/**"),
            demo_gc_schedule: "17 3 * * *".into(),
            runs_on: "ubuntu-24.04".into(),
        }
    }
}

/// The repository variable the workflows read the store from when [`GitHubSettings::store`] is `None`.
pub const STORE_VARIABLE: &str = "SLIPWAY_STORE";

/// The app, its repository and its environments: what `environments/mod.rs` returns.
#[derive(Clone, Debug)]
pub struct Project {
    /// The app's name; it prefixes stack and app names (`webapp-prod-data`, `webapp-frontend-prod`).
    pub name: String,
    /// Where the code lives; deploy roles trust this repository's workflows.
    pub repository: Repository,
    /// The permanent environments.
    pub environments: Vec<Environment>,
    /// Feature-demo instances added for this run (`slipway synth --demo NAME`).
    pub demos: Vec<Environment>,
    /// Makes a feature-demo instance from its name, where the project has them.
    pub demo_factory: Option<fn(&str) -> Environment>,
    /// Makes each environment's CloudFormation stacks.
    pub stacks: StackFactory,
    /// How the synthesized GitHub Actions workflows run.
    pub github: GitHubSettings,
}

impl Project {
    /// A project with no environments yet, whose environments get no CloudFormation stacks until
    /// [`Project::stacks_from`] says how to make them.
    pub fn new(name: impl Into<String>, repository: Repository) -> Self {
        Project {
            name: name.into(),
            repository,
            environments: Vec::new(),
            demos: Vec::new(),
            demo_factory: None,
            stacks: |_, _| Vec::new(),
            github: GitHubSettings::default(),
        }
    }

    /// Sets how the synthesized GitHub Actions workflows run.
    pub fn github(mut self, settings: GitHubSettings) -> Self {
        self.github = settings;
        self
    }

    /// The name of the role environment `env`'s deploy jobs assume (`webapp-prod-deploy`): the deploy-role
    /// stack names it so, and the workflows build its ARN from it, so neither has to look the other up.
    pub fn deploy_role_name(&self, env: &str) -> String {
        format!("{}-{env}-deploy", self.name)
    }

    /// The name of the read-only role pull requests assume to diff environment `env` against what is
    /// deployed (`webapp-prod-diff`).
    pub fn diff_role_name(&self, env: &str) -> String {
        format!("{}-{env}-diff", self.name)
    }

    /// Sets the function that makes each environment's CloudFormation stacks.
    pub fn stacks_from(mut self, factory: StackFactory) -> Self {
        self.stacks = factory;
        self
    }

    /// Adds a permanent environment.
    pub fn environment(mut self, env: Environment) -> Self {
        self.environments.push(env);
        self
    }

    /// Sets the function that makes feature-demo instances.
    pub fn demos_from(mut self, factory: fn(&str) -> Environment) -> Self {
        self.demo_factory = Some(factory);
        self
    }

    /// Adds the feature-demo instance `name`; `None` when the project has no demo factory.
    pub fn with_demo(mut self, name: &str) -> Option<Self> {
        let demo = (self.demo_factory?)(name);
        self.demos.push(demo);
        Some(self)
    }

    /// Every environment: the permanent ones, then the demo instances.
    pub fn all_environments(&self) -> impl Iterator<Item = &Environment> {
        self.environments.iter().chain(self.demos.iter())
    }

    /// The environment called `name`.
    pub fn find(&self, name: &str) -> Option<&Environment> {
        self.all_environments().find(|e| e.name == name)
    }

    /// The ARN of role `role` in `target`'s account (`arn:aws:iam::111111111111:role/webapp-dev-deploy`).
    pub fn role_arn(target: &AwsTarget, role: &str) -> String {
        format!("arn:{}:iam::{}:role/{role}", target.region.partition(), target.account)
    }

    /// The environment names closest to `name`, for "did you mean" hints.
    pub fn closest(&self, name: &str) -> Option<&str> {
        crate::suggest::closest(name, self.all_environments().map(|e| e.name.as_str()))
    }
}
