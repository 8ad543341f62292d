//! A project: the app being deployed, the repository it lives in, its services and all of its
//! environments; and the definitions, which add what only a program can say (the function that makes an
//! environment's stacks, the one that makes a feature demo from a name).
//!
//! A [`Project`] is data: the definitions write it as the project's rules (`slipway/project.json`), and
//! the engine reads it back, never running the definitions' functions itself. [`Definitions`] is what a
//! team's program builds and synthesizes from.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::asset::{Asset, AssetRef};
use super::backing::BackingService;
use super::environment::Environment;
use super::git_ref::RefPattern;
use super::service::Service;
use super::target::{AccountId, AwsTarget, Region};
use crate::cfn::Stack;

/// Makes an environment's CloudFormation stacks.
pub type StackFactory = fn(&Project, &Environment) -> Vec<Stack>;

/// Makes a feature-demo instance from its name.
pub type DemoFactory = fn(&str) -> Environment;

/// A GitHub repository, `owner/name`: deploy roles trust workflows of this repository only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// The user or organization.
    pub owner: String,
    /// The repository's name.
    pub name: String,
    /// The owner's and the repository's immutable IDs, which GitHub puts in the OIDC `sub` claim of
    /// repositories created (or renamed, transferred, opted in) after 2026-06-18: `repo:owner@ID/name@ID:...`.
    /// `None`: the claims name the repository by name only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<RepositoryIds>,
}

/// A repository's immutable IDs, as `GET /repos/{owner}/{repo}` answers them (`owner.id`, `id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryIds {
    /// The owner's ID.
    pub owner: u64,
    /// The repository's ID.
    pub repository: u64,
}

impl Repository {
    /// `owner/name`, whose OIDC claims name it by name only.
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Repository { owner: owner.into(), name: name.into(), ids: None }
    }

    /// The same repository, whose OIDC claims carry its owner's and its own immutable IDs.
    pub fn with_ids(mut self, owner_id: u64, repository_id: u64) -> Self {
        self.ids = Some(RepositoryIds { owner: owner_id, repository: repository_id });
        self
    }

    /// The repository as its OIDC `sub` claims name it: `owner/name`, or `owner@ID/name@ID`.
    pub fn subject_name(&self) -> String {
        match self.ids {
            Some(ids) => format!("{}@{}/{}@{}", self.owner, ids.owner, self.name, ids.repository),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// How the GitHub Actions workflows `slipway synth` writes run: the settings that belong to the project
/// rather than to one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The repository's default branch, whose scheduled jobs (the status page) read every environment with
    /// its diff role.
    #[serde(default = "default_branch")]
    pub default_branch: String,
    /// The directory of the repository the definitions' crate is in (`infra`), where every job's scripts
    /// run; `None`: the repository's top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// The definitions' binary (the program the engine runs), built by every job with `cargo build
    /// --release --locked --bin NAME`; `None`: the project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definitions_bin: Option<String>,
    /// What the job that creates a release runs first (building the team's code), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before_release: Vec<CiStep>,
    /// The role the jobs of an environment with no AWS account (only a compose host or a cloud.gov space)
    /// assume to reach the store, through GitHub's OIDC as deploy roles are: an S3 store is out of their
    /// reach otherwise. `None`: such jobs get no AWS credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_role: Option<StoreRole>,
}

/// A role in the store's account that CI assumes to read and write the store (see
/// [`GitHubSettings::store_role`]). It is the team's to make: trusting the repository's OIDC subjects of
/// the refs that deploy, allowed to get, put, list and delete objects under the store's prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreRole {
    /// The account the store's bucket is in.
    pub account: AccountId,
    /// The bucket's region.
    pub region: Region,
    /// The role's name.
    pub name: String,
}

impl StoreRole {
    /// Role `name` in `account`, for a bucket in `region`.
    pub fn new(account: AccountId, region: Region, name: impl Into<String>) -> Self {
        StoreRole { account, region, name: name.into() }
    }

    /// Its ARN.
    pub fn arn(&self) -> String {
        format!("arn:{}:iam::{}:role/{}", self.region.partition(), self.account, self.name)
    }
}

/// A step a CI job runs: a name, and a shell script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiStep {
    /// What it does, as the run's log names it.
    pub name: String,
    /// The script (bash, `set -eo pipefail`), run in the working directory.
    pub run: String,
}

impl CiStep {
    /// A step `name` that runs `run`.
    pub fn new(name: impl Into<String>, run: impl Into<String>) -> Self {
        CiStep { name: name.into(), run: run.into() }
    }
}

fn default_branch() -> String {
    "main".into()
}

impl Default for GitHubSettings {
    fn default() -> Self {
        GitHubSettings {
            store: None,
            demo_branches: RefPattern::new("feature-demo/**"),
            demo_gc_schedule: "17 3 * * *".into(),
            runs_on: "ubuntu-24.04".into(),
            default_branch: default_branch(),
            working_directory: None,
            definitions_bin: None,
            before_release: Vec::new(),
            store_role: None,
        }
    }
}

/// The repository variable the workflows read the store from when [`GitHubSettings::store`] is `None`.
pub const STORE_VARIABLE: &str = "SLIPWAY_STORE";

/// The project: its name, repository, services and environments, as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The project's name; it prefixes stack and app names (`shop-prod-data`, `shop-web-prod`).
    pub name: String,
    /// Where the code lives; deploy roles trust this repository's workflows.
    pub repository: Repository,
    /// The services it runs on cloud.gov and under docker-compose, in order (the order of apps in a
    /// manifest, and of ports a compose server publishes).
    pub services: Vec<Service>,
    /// The backing services its services link to.
    pub backing: Vec<BackingService>,
    /// The permanent environments.
    pub environments: Vec<Environment>,
    /// Feature-demo instances added for this run (`slipway synth --demo NAME`).
    pub demos: Vec<Environment>,
    /// How the synthesized GitHub Actions workflows run.
    pub github: GitHubSettings,
    /// The code and files its stacks and services run, by name (see [`Asset`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<Asset>,
}

impl Project {
    /// A project with no services or environments yet.
    pub fn new(name: impl Into<String>, repository: Repository) -> Self {
        Project {
            name: name.into(),
            repository,
            services: Vec::new(),
            backing: Vec::new(),
            environments: Vec::new(),
            demos: Vec::new(),
            github: GitHubSettings::default(),
            assets: Vec::new(),
        }
    }

    /// Declares an asset.
    pub fn asset(mut self, asset: Asset) -> Self {
        self.assets.push(asset);
        self
    }

    /// Asset `name`, if the project declares it.
    pub fn find_asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }

    /// The image asset `service` runs: the declared image asset its `image` names (`Service::image("api")`
    /// with `Asset::image("api", ..)`), if any.
    pub fn image_asset_of(&self, service: &Service) -> Option<&Asset> {
        let asset = self.find_asset(service.image.as_deref()?)?;
        (!asset.is_file()).then_some(asset)
    }

    /// A stack's reference to asset `name`: its key in the bootstrap bucket, or its image in the bootstrap
    /// repository, by its hash. Synthesis refuses a template that refers to an asset the project does not
    /// declare.
    pub fn asset_ref(&self, name: &str) -> AssetRef {
        AssetRef::new(name, self.find_asset(name))
    }

    /// Sets how the synthesized GitHub Actions workflows run.
    pub fn github(mut self, settings: GitHubSettings) -> Self {
        self.github = settings;
        self
    }

    /// Adds a service.
    pub fn service(mut self, service: Service) -> Self {
        self.services.push(service);
        self
    }

    /// Adds a backing service.
    pub fn backing(mut self, backing: BackingService) -> Self {
        self.backing.push(backing);
        self
    }

    /// Adds a permanent environment.
    pub fn environment(mut self, env: Environment) -> Self {
        self.environments.push(env);
        self
    }

    /// These definitions, with `factory` making each environment's CloudFormation stacks.
    pub fn stacks_from(self, factory: StackFactory) -> Definitions {
        Definitions::from(self).stacks_from(factory)
    }

    /// These definitions, with `factory` making feature-demo instances from a name.
    pub fn demos_from(self, factory: DemoFactory) -> Definitions {
        Definitions::from(self).demos_from(factory)
    }

    /// The name of the role environment `env`'s deploy jobs assume (`shop-prod-deploy`): the deploy-role
    /// pattern names it so, and the workflows build its ARN from it, so neither has to look the other up.
    pub fn deploy_role_name(&self, env: &str) -> String {
        format!("{}-{env}-deploy", self.name)
    }

    /// The name of the read-only role pull requests assume to diff environment `env` against what is
    /// deployed (`shop-prod-diff`).
    pub fn diff_role_name(&self, env: &str) -> String {
        format!("{}-{env}-diff", self.name)
    }

    /// Every environment: the permanent ones, then the demo instances.
    pub fn all_environments(&self) -> impl Iterator<Item = &Environment> {
        self.environments.iter().chain(self.demos.iter())
    }

    /// The environment called `name`.
    pub fn find(&self, name: &str) -> Option<&Environment> {
        self.all_environments().find(|e| e.name == name)
    }

    /// The ARN of role `role` in `target`'s account (`arn:aws:iam::111111111111:role/shop-dev-deploy`).
    pub fn role_arn(target: &AwsTarget, role: &str) -> String {
        format!("arn:{}:iam::{}:role/{role}", target.region.partition(), target.account)
    }

    /// The environment names closest to `name`, for "did you mean" hints.
    pub fn closest(&self, name: &str) -> Option<&str> {
        crate::suggest::closest(name, self.all_environments().map(|e| e.name.as_str()))
    }

    /// The services as they run in `env`: the project's, each replaced by the environment's of the same
    /// name, then those only the environment has.
    pub fn services_in(&self, env: &Environment) -> Vec<Service> {
        let mut out: Vec<Service> =
            self.services.iter().map(|s| env.services.get(&s.name).unwrap_or(s).clone()).collect();
        out.extend(env.services.values().filter(|s| !self.services.iter().any(|p| p.name == s.name)).cloned());
        out
    }

    /// The backing services as they run in `env`: the project's, each replaced by the environment's of the
    /// same name, then those only the environment has.
    pub fn backing_in(&self, env: &Environment) -> Vec<BackingService> {
        let mut out: Vec<BackingService> =
            self.backing.iter().map(|b| env.backing.get(&b.name).unwrap_or(b).clone()).collect();
        out.extend(env.backing.values().filter(|b| !self.backing.iter().any(|p| p.name == b.name)).cloned());
        out
    }
}

/// What a team's program builds: the project, and the functions that make its stacks and its demos.
#[derive(Clone, Debug)]
pub struct Definitions {
    /// The project, as data.
    pub project: Project,
    /// Makes each environment's CloudFormation stacks.
    pub stacks: StackFactory,
    /// Makes a feature-demo instance from its name, where the project has them.
    pub demo_factory: Option<DemoFactory>,
    /// The directory the assets' paths are relative to (see [`Definitions::assets_in`]); `None`: the
    /// directory the program runs in.
    pub assets_root: Option<String>,
}

impl From<Project> for Definitions {
    /// Definitions whose environments get no CloudFormation stacks until [`Definitions::stacks_from`] says
    /// how to make them, and no feature demos.
    fn from(project: Project) -> Self {
        Definitions { project, stacks: |_, _| Vec::new(), demo_factory: None, assets_root: None }
    }
}

impl Deref for Definitions {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.project
    }
}

impl std::ops::DerefMut for Definitions {
    fn deref_mut(&mut self) -> &mut Project {
        &mut self.project
    }
}

impl Definitions {
    /// Sets the function that makes each environment's CloudFormation stacks.
    pub fn stacks_from(mut self, factory: StackFactory) -> Self {
        self.stacks = factory;
        self
    }

    /// Reads the assets' files relative to `dir` rather than to the directory the program runs in: a
    /// crate's own place, `concat!(env!("CARGO_MANIFEST_DIR"), "/..")`, whoever runs it from wherever.
    pub fn assets_in(mut self, dir: impl Into<String>) -> Self {
        self.assets_root = Some(dir.into());
        self
    }

    /// Sets the function that makes feature-demo instances.
    pub fn demos_from(mut self, factory: DemoFactory) -> Self {
        self.demo_factory = Some(factory);
        self
    }

    /// Adds a permanent environment.
    pub fn environment(mut self, env: Environment) -> Self {
        self.project.environments.push(env);
        self
    }

    /// Adds a service.
    pub fn service(mut self, service: Service) -> Self {
        self.project.services.push(service);
        self
    }

    /// Adds a backing service.
    pub fn backing(mut self, backing: BackingService) -> Self {
        self.project.backing.push(backing);
        self
    }

    /// Declares an asset.
    pub fn asset(mut self, asset: Asset) -> Self {
        self.project.assets.push(asset);
        self
    }

    /// Sets how the synthesized GitHub Actions workflows run.
    pub fn github(mut self, settings: GitHubSettings) -> Self {
        self.project.github = settings;
        self
    }

    /// Adds the feature-demo instance `name`; `None` when the project has no demo factory.
    pub fn with_demo(mut self, name: &str) -> Option<Self> {
        let demo = (self.demo_factory?)(name);
        self.project.demos.push(demo);
        Some(self)
    }

    /// The stacks `env` has.
    pub fn stacks_of(&self, env: &Environment) -> Vec<Stack> {
        (self.stacks)(&self.project, env)
    }
}
