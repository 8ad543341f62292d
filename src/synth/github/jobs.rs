//! The pieces every workflow is made of: the pinned actions, checkout, the store check, credentials,
//! the approval gates, and the shell scripts (kept as files under `templates/github/`, so that they read
//! as shell to people and to shellcheck, which actionlint runs on every `run:` block).

use std::collections::BTreeMap;

use super::workflow::{Concurrency, Job, Step};
use crate::model::{Environment, Project, RefPattern, STORE_VARIABLE};

/// `actions/checkout`, pinned to a commit (v4.2.2).
pub const CHECKOUT: (&str, &str) = ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2");
/// `actions/upload-pages-artifact`, pinned to a commit (v5.0.0).
pub const UPLOAD_PAGES_ARTIFACT: (&str, &str) =
    ("actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0");
/// `actions/deploy-pages`, pinned to a commit (v5.0.0).
pub const DEPLOY_PAGES: (&str, &str) = ("actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0");
/// `actions/cache`, pinned to a commit (v4.3.0).
pub const CACHE: (&str, &str) = ("actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0");
/// `aws-actions/configure-aws-credentials`, pinned to a commit (v4.0.2).
pub const AWS_CREDENTIALS: (&str, &str) =
    ("aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502", "v4.0.2");

/// The engine the jobs run: installed on the job's `PATH` by [`engine`].
pub(super) const SLIPWAY: &str = "slipway";

/// A script of `templates/github/`, without its final newline.
macro_rules! script {
    ($file:literal) => {
        include_str!(concat!("../../../templates/github/", $file)).trim_end()
    };
}
pub(super) use script;

pub(super) fn store_value(project: &Project) -> String {
    match &project.github.store {
        Some(s) => s.clone(),
        None => format!("${{{{ vars.{STORE_VARIABLE} }}}}"),
    }
}

pub(super) fn perms(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub(super) fn checkout() -> Step {
    Step {
        name: "Check out the repository".into(),
        uses: Some(CHECKOUT.0.into()),
        version: Some(CHECKOUT.1.into()),
        with: BTreeMap::from([("persist-credentials".to_string(), "false".to_string())]),
        ..Step::default()
    }
}

/// What every workflow's jobs see: where the definitions' program is built (`SLIPWAY_APP`, which the engine
/// runs) and the store.
pub(super) fn workflow_env(project: &Project) -> BTreeMap<String, String> {
    let bin = definitions_bin(project);
    BTreeMap::from([
        ("CARGO_TARGET_DIR".to_string(), "${{ github.workspace }}/target".to_string()),
        ("SLIPWAY_APP".to_string(), format!("${{{{ github.workspace }}}}/target/release/{bin}")),
        ("SLIPWAY_DEFINITIONS".to_string(), bin),
    ])
}

/// The definitions' binary: the one the settings name, else the project's name.
fn definitions_bin(project: &Project) -> String {
    project.github.definitions_bin.clone().unwrap_or_else(|| project.name.clone())
}

/// Whether a deploy workflow's jobs may use caches: not one that releases start (a release tag, or a push
/// to a branch named like `release/*`), which builds what it deploys from the checkout alone: a cache is
/// written by other runs, and a release trusts none of them (zizmor's `cache-poisoning` audit reads
/// workflows the same way).
pub(super) fn cached(env: &Environment) -> bool {
    match env.trigger {
        crate::model::Trigger::ReleaseTag(_) => false,
        _ => !env.refs.iter().any(|r| r.as_str().to_lowercase().contains("release")),
    }
}

/// The steps that build the definitions' program (`$SLIPWAY_APP`) as the checkout has them: slipway's pure
/// part and the team's crate, in release mode, with cargo's downloads and build kept in a cache keyed by
/// `Cargo.lock` (a change of the definitions rebuilds only their crate) unless `cache` is false.
pub(super) fn definitions_with(cache: bool) -> Vec<Step> {
    let build = Step::run("Build the definitions", script!("build-definitions.sh"));
    if !cache {
        return vec![build];
    }
    let cache = Step {
        name: "Cache the definitions' build".into(),
        uses: Some(CACHE.0.into()),
        version: Some(CACHE.1.into()),
        with: BTreeMap::from([
            (
                "path".to_string(),
                "~/.cargo/registry/index\n~/.cargo/registry/cache\n~/.cargo/git/db\n${{ github.workspace }}/target"
                    .to_string(),
            ),
            ("key".to_string(), "slipway-definitions-${{ runner.os }}-${{ hashFiles('**/Cargo.lock') }}".to_string()),
            ("restore-keys".to_string(), "slipway-definitions-${{ runner.os }}-".to_string()),
        ]),
        ..Step::default()
    };
    vec![cache, build]
}

/// [`definitions_with`] a cache.
pub(super) fn definitions() -> Vec<Step> {
    definitions_with(true)
}

/// [`engine_with`] a cache.
pub(super) fn engine() -> Vec<Step> {
    engine_with(true)
}

/// The steps that put the engine on the job's `PATH`: the version the definitions' `Cargo.lock` pins,
/// built only when the cache does not hold it (or always, without `cache`), so a job of an unchanged
/// version compiles nothing of it.
pub(super) fn engine_with(cache: bool) -> Vec<Step> {
    let mut version = Step::run("Find the slipway engine the definitions pin", script!("engine-version.sh"));
    version.id = Some("engine".into());
    let cache_step = Step {
        name: "Cache the slipway engine".into(),
        uses: Some(CACHE.0.into()),
        version: Some(CACHE.1.into()),
        with: BTreeMap::from([
            ("path".to_string(), "~/.cargo/bin/slipway".to_string()),
            ("key".to_string(), "slipway-engine-${{ runner.os }}-${{ steps.engine.outputs.key }}".to_string()),
        ]),
        ..Step::default()
    };
    let mut install = Step::run("Install the slipway engine", script!("install-engine.sh"));
    install.env = BTreeMap::from([("INSTALL".to_string(), "${{ steps.engine.outputs.install }}".to_string())]);
    if cache { vec![version, cache_step, install] } else { vec![version, install] }
}

/// What the job that creates a release runs before it (building the team's code).
pub(super) fn before_release(project: &Project) -> Vec<Step> {
    project.github.before_release.iter().map(|s| Step::run(&s.name, &s.run)).collect()
}

pub(super) fn require_store() -> Step {
    Step::run("Require a shared store", script!("require-store.sh"))
}

/// The step that assumes `role` in `env`'s account and region, if `env` deploys to AWS.
/// The secrets of an environment's GitHub environment that reach its compose host over SSH: the deploy
/// key, and the server's host key pinned (a known_hosts line).
pub const SSH_KEY_SECRET: &str = "SLIPWAY_SSH_KEY";
/// See [`SSH_KEY_SECRET`].
pub const SSH_KNOWN_HOSTS_SECRET: &str = "SLIPWAY_SSH_KNOWN_HOSTS";

/// When `env` runs with docker-compose on a server, makes `work` reach its Docker engine: `DOCKER_HOST`
/// (the definition's, else the environment's variable `SLIPWAY_DOCKER_HOST`) and a step that writes the
/// deploy key and the pinned host key, environment secrets, to files slipway reads (host keys are always
/// checked: a server whose key is not the pinned one is refused).
pub(super) fn compose_host(env: &Environment, work: &mut Job) {
    let Some(target) = env.compose_target().filter(|t| t.host != crate::model::ComposeHost::Local) else { return };
    let host = target.docker_host.clone().unwrap_or_else(|| "${{ vars.SLIPWAY_DOCKER_HOST }}".into());
    work.env.insert("DOCKER_HOST".into(), host);
    work.steps.push(Step {
        env: BTreeMap::from([
            ("SSH_KEY".to_string(), format!("${{{{ secrets.{SSH_KEY_SECRET} }}}}")),
            ("SSH_KNOWN_HOSTS".to_string(), format!("${{{{ secrets.{SSH_KNOWN_HOSTS_SECRET} }}}}")),
        ]),
        ..Step::run("Reach the compose host's Docker engine", script!("compose-host.sh"))
    });
}

pub(super) fn aws_credentials(env: &Environment, role: &str) -> Option<Step> {
    let target = env.aws_target()?;
    Some(Step {
        name: format!("Assume {role} in {} ({})", target.account, target.region),
        uses: Some(AWS_CREDENTIALS.0.into()),
        version: Some(AWS_CREDENTIALS.1.into()),
        with: BTreeMap::from([
            ("role-to-assume".to_string(), Project::role_arn(target, role)),
            ("aws-region".to_string(), target.region.code().to_string()),
            ("role-session-name".to_string(), format!("slipway-{}", env.name)),
        ]),
        ..Step::default()
    })
}

/// The credentials a job of `env` acts with: the environment's `role` in its account, or, for an
/// environment with no AWS account, the project's store role ([`crate::model::GitHubSettings::store_role`]),
/// which reaches the store and nothing else.
pub(super) fn credentials(project: &Project, env: &Environment, role: &str) -> Option<Step> {
    if env.aws_target().is_some() {
        return aws_credentials(env, role);
    }
    store_credentials(project, &env.name)
}

/// The project's store role assumed, when it has one, for a job named `session` in CloudTrail.
pub(super) fn store_credentials(project: &Project, session: &str) -> Option<Step> {
    let store = project.github.store_role.as_ref()?;
    Some(Step {
        name: format!("Assume {} in {} ({}) to reach the store", store.name, store.account, store.region),
        uses: Some(AWS_CREDENTIALS.0.into()),
        version: Some(AWS_CREDENTIALS.1.into()),
        with: BTreeMap::from([
            ("role-to-assume".to_string(), store.arn()),
            ("aws-region".to_string(), store.region.code().to_string()),
            ("role-session-name".to_string(), format!("slipway-{session}-store")),
        ]),
        ..Step::default()
    })
}

/// cloud.gov's API, which `CF_API` names unless the repository's variable `CF_API` says otherwise.
pub const CLOUD_GOV_API: &str = "https://api.fr.cloud.gov";

/// The variables of the step that changes `env`, when it has a cloud.gov target: the API, and the
/// service account's user and password from the GitHub environment's secrets `CF_USERNAME` and
/// `CF_PASSWORD` (`cf create-service-key` of a `cloud-gov-service-account`), on that step only.
pub(super) fn cloud_gov_env(env: &Environment) -> BTreeMap<String, String> {
    if env.cloud_gov_target().is_none() {
        return BTreeMap::new();
    }
    BTreeMap::from([
        ("CF_API".to_string(), format!("${{{{ vars.CF_API || '{CLOUD_GOV_API}' }}}}")),
        ("CF_USERNAME".to_string(), "${{ secrets.CF_USERNAME }}".to_string()),
        ("CF_PASSWORD".to_string(), "${{ secrets.CF_PASSWORD }}".to_string()),
    ])
}

pub(super) fn concurrency(env: &str) -> Option<Concurrency> {
    Some(Concurrency { group: format!("slipway-{env}"), cancel_in_progress: false })
}

/// The permissions of a job that changes `env`: OIDC for AWS when it deploys there.
pub(super) fn change_permissions(
    project: &Project,
    env: &Environment,
    extra: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut p = perms(&[("contents", "read")]);
    if env.aws_target().is_some() || project.github.store_role.is_some() {
        p.insert("id-token".into(), "write".into());
    }
    for (k, v) in extra {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

/// The jobs that do `work` in `env` behind its approvals: with n required, n - 1 gate jobs in the
/// environment first, one after the other (GitHub approves every waiting job of an environment at once,
/// so gates side by side would take one approval), each a review; the work is the last.
pub(super) fn gated(
    project: &Project,
    env: &Environment,
    prefix: &str,
    condition: Option<String>,
    mut work: Job,
) -> Vec<Job> {
    let n = env.approvals.required;
    let mut jobs = Vec::new();
    let mut previous: Option<String> = None;
    for i in 1..n {
        let id = format!("{prefix}-approval-{i}");
        jobs.push(Job {
            id: id.clone(),
            name: format!("approval {i} of {n} for {}", env.name),
            needs: previous.iter().cloned().collect(),
            condition: condition.clone(),
            runs_on: project.github.runs_on.clone(),
            environment: Some(env.name.clone()),
            environment_url: None,
            concurrency: None,
            permissions: BTreeMap::new(),
            outputs: BTreeMap::new(),
            env: BTreeMap::new(),
            steps: vec![Step::run(
                "Record the approval",
                &format!(
                    "echo \"approval {i} of {n}: slipway counts the run's approvals (distinct people, from the \
                     approving groups) before it changes anything\""
                ),
            )],
        });
        previous = Some(id);
    }
    work.needs.extend(previous);
    work.condition = condition;
    jobs.push(work);
    jobs
}

pub(super) fn job(project: &Project, id: &str, name: String) -> Job {
    Job {
        id: id.into(),
        name,
        needs: Vec::new(),
        condition: None,
        runs_on: project.github.runs_on.clone(),
        environment: None,
        environment_url: None,
        concurrency: None,
        permissions: BTreeMap::new(),
        outputs: BTreeMap::new(),
        env: BTreeMap::new(),
        steps: Vec::new(),
    }
}

/// The name of a variable holding a value of environment `env` (`DIFF_DEV_INT`).
pub(super) fn var(prefix: &str, env: &str) -> String {
    format!("{prefix}_{}", env.to_ascii_uppercase().replace('-', "_"))
}

/// What a job that changes `env` adds so that slipway's policy counts the run's approvals: the
/// `--approvals github` argument, and the token and `actions: read` permission to read them. Nothing for
/// an environment that needs no approval.
pub(super) fn approvals_of_the_run(env: &Environment, work: &mut Job, script: &str) -> String {
    if env.approvals.required == 0 {
        return script.to_string();
    }
    work.permissions.insert("actions".into(), "read".into());
    work.env.insert("GITHUB_TOKEN".into(), "${{ github.token }}".into());
    format!("{script} --approvals github")
}

pub(super) fn list(refs: &[RefPattern]) -> String {
    refs.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
}

pub(super) fn dedup(v: &mut Vec<String>) {
    let mut seen = Vec::new();
    v.retain(|x| {
        let new = !seen.contains(x);
        seen.push(x.clone());
        new
    });
}
