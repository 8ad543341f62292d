//! The arguments the commands that change an environment share (deploy, promote, rollback, the demo
//! commands): where the store is, how a run waits for and holds the lock, how it shows progress, which
//! changes need approval, and who approved. Each group resolves to the engine's own types here, so the
//! engine never sees what the user typed.

use std::time::Duration;

use super::CliError;
use super::progress::ProgressMode;
use super::session::Session;
use crate::apply::cloudformation::{ApprovalMode, Options};
use crate::cloud::Poll;
use crate::ledger::Approval;
use crate::ops::run::LockOptions;

/// Where slipway keeps releases, the ledger and the locks.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct StoreArgs {
    /// The store: a directory, or s3://bucket/prefix for teams whose CI runs on many machines. Default:
    /// `.slipway/` at the top of the working tree.
    #[arg(long = "store", value_name = "DIR|s3://BUCKET/PREFIX", env = "SLIPWAY_STORE", global = false)]
    pub store: Option<String>,
}

/// Who approved: counted by the policy (distinct people from the target's approving groups, none of them
/// the person running the command or the release's author).
#[derive(Debug, clap::Args)]
pub struct ApprovalArgs {
    /// A person who approved (repeatable).
    #[arg(long = "approved-by", value_name = "NAME")]
    approved_by: Vec<String>,
    /// Also read the approvals of this GitHub Actions run's pending deployment to the target environment
    /// from GitHub's REST API (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_TOKEN).
    #[arg(long, value_enum)]
    approvals: Option<ApprovalSource>,
}

/// Where approvals come from besides the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ApprovalSource {
    /// The GitHub Actions run's approvals of its pending deployments.
    Github,
}

impl ApprovalArgs {
    /// Every approval given for a change to `env`.
    pub fn collect(&self, s: &Session, env: &str) -> Result<Vec<Approval>, CliError> {
        let mut out: Vec<Approval> =
            self.approved_by.iter().map(|by| Approval { by: by.clone(), source: "command line".into() }).collect();
        if self.approvals == Some(ApprovalSource::Github) {
            let settings = crate::github::Settings::from_env();
            out.extend(s.block_on(crate::ops::github::approvals_of_this_run(settings, env))?);
        }
        Ok(out)
    }
}

/// How a run changes an environment's targets: shared by deploy, promote, rollback and the demo commands.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How many independent stacks may change at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// How to show progress: a live view on a terminal, or one line per stack event (for CI logs).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// How long to wait for an operation somebody else started on a stack, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    wait_in_progress: u64,
    /// How long to wait when another run holds the environment's lock (`10m`); by default do not wait.
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "0s")]
    wait_lock: Duration,
    /// How long this run's lock holds before another run may take it over.
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "2h")]
    lock_ttl: Duration,
    /// The IAM role to assume (through STS) when the credentials are for another account than the
    /// environment's; by default the one its definition names.
    #[arg(long, value_name = "ARN")]
    pub assume_role: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The first polling interval in milliseconds; it doubles up to 7.5 times that (for tests). cloud.gov's
    /// staging and deployments are polled at it.
    #[arg(long, value_name = "MS", default_value_t = 2000, hide = true)]
    poll_ms: u64,
}

/// Which changes need approval before they run, as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RequireApproval {
    /// Never ask.
    Never,
    /// Ask when a change broadens access: IAM statements, policy attachments, security-group rules.
    Broadening,
    /// Ask for every change.
    AnyChange,
}

impl From<RequireApproval> for ApprovalMode {
    fn from(r: RequireApproval) -> Self {
        match r {
            RequireApproval::Never => ApprovalMode::Never,
            RequireApproval::Broadening => ApprovalMode::Broadening,
            RequireApproval::AnyChange => ApprovalMode::AnyChange,
        }
    }
}

/// How a release is applied: shared by deploy, promote and rollback.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Which change sets need approval before they run.
    #[arg(long, value_enum, default_value_t = RequireApproval::Broadening)]
    require_approval: RequireApproval,
    /// Approve every gated change set without asking (for CI, after review).
    #[arg(long)]
    yes: bool,
    /// Logical IDs to skip when continuing an update rollback that failed (comma-separated).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    skip_resources: Vec<String>,
    /// The S3 bucket templates over 51,200 bytes are uploaded to; by default the deploy-role stack's
    /// `ArtifactsBucketName` output (or, with an S3 store, the release's own copy).
    #[arg(long, value_name = "NAME")]
    artifacts_bucket: Option<String>,
    /// Skip the environment's smoke checks (recorded as skipped: the release does not count as healthy
    /// there, so it cannot be promoted from there until `slipway verify` runs them).
    #[arg(long)]
    no_smoke: bool,
    /// Skip watching the environment's alarms for its bake time after the smoke checks (recorded as
    /// skipped: like --no-smoke, the release does not count as healthy there).
    #[arg(long)]
    no_bake: bool,
    #[command(flatten)]
    pub host: HostArgs,
    /// Apply only these of the environment's targets (repeatable; default: every target it has). A
    /// cloud.gov target needs CF_API and CF_USERNAME + CF_PASSWORD (a cloud.gov service account) or CF_TOKEN;
    /// a compose host, its Docker engine (--docker-host).
    #[arg(long = "target", value_enum, value_name = "KIND")]
    pub targets: Vec<TargetKind>,
}

/// A kind of deploy target, as `--target` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// The environment's AWS account: its CloudFormation stacks.
    Aws,
    /// The environment's cloud.gov space: its apps.
    CloudGov,
    /// The environment's compose host on a server: its docker-compose project.
    Compose,
}

impl ApplyArgs {
    /// Whether the run applies targets of `kind`.
    pub fn applies(&self, kind: TargetKind) -> bool {
        self.targets.is_empty() || self.targets.contains(&kind)
    }

    /// The apply's choices; `interactive` says whether a person can be asked.
    pub fn options(&self, interactive: bool) -> Options {
        Options {
            approval: self.require_approval.into(),
            yes: self.yes,
            interactive,
            skip_resources: self.skip_resources.clone(),
            artifacts_bucket: self.artifacts_bucket.clone(),
            smoke: !self.no_smoke,
            bake: !self.no_bake,
            ..self.run.options()
        }
    }
}

/// How an environment's compose host is reached (deploy, promote, rollback).
#[derive(Debug, clap::Args)]
pub struct HostArgs {
    /// The Docker engine of the environment's compose host (ssh://user@server[:port], tcp://host:2376,
    /// unix:///path). Default: the definition's `docker_host`, else $DOCKER_HOST.
    #[arg(long, value_name = "URL")]
    docker_host: Option<String>,
    /// The only host keys an ssh:// Docker host may have (OpenSSH's known_hosts format): the pinned key.
    /// Default: $SLIPWAY_SSH_KNOWN_HOSTS, else your own known_hosts. Host keys are always checked: an
    /// unknown host, or one whose key changed, is refused.
    #[arg(long, value_name = "FILE", env = "SLIPWAY_SSH_KNOWN_HOSTS")]
    ssh_known_hosts: Option<std::path::PathBuf>,
    /// The private key to log in to an ssh:// Docker host with. Default: $SLIPWAY_SSH_KEY, else ssh's own.
    #[arg(long, value_name = "FILE", env = "SLIPWAY_SSH_KEY")]
    ssh_key: Option<std::path::PathBuf>,
}

impl HostArgs {
    /// The compose host of `env`, when it has one on a server: the compose CLI ($SLIPWAY_COMPOSE, else
    /// `docker compose`) and the engine.
    pub fn reach(
        &self,
        env: &crate::model::Environment,
    ) -> Result<Option<crate::ops::compose_host::HostReach>, CliError> {
        use crate::ops::compose_host::{HostError, reach};
        let ssh = match (&self.ssh_known_hosts, &self.ssh_key) {
            (None, None) => None,
            (known, key) => Some(
                crate::docker::SshAccess::new(known.as_deref(), key.as_deref())
                    .map_err(|e| crate::ops::OpsError::from(HostError::from(e)))?,
            ),
        };
        let cli = crate::vars::var("SLIPWAY_COMPOSE").map(std::path::PathBuf::from);
        Ok(reach(env, self.docker_host.as_deref(), cli.as_deref(), ssh).map_err(crate::ops::OpsError::from)?)
    }
}

impl RunArgs {
    /// The apply's choices, for a run nobody is asked about (a demo's): no gate, smoke checks on.
    pub fn options(&self) -> Options {
        Options {
            concurrency: self.concurrency.max(1),
            approval: ApprovalMode::Never,
            yes: false,
            interactive: false,
            skip_resources: Vec::new(),
            in_progress_wait: Duration::from_secs(self.wait_in_progress),
            poll: self.poll(),
            artifacts_bucket: None,
            smoke: true,
            bake: true,
        }
    }

    /// The first polling interval: the one cloud.gov's staging and deployments are polled at.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(1))
    }

    /// How often to poll.
    pub fn poll(&self) -> Poll {
        Poll::from_min(self.poll_interval())
    }

    /// The lock's choices.
    pub fn lock_options(&self) -> LockOptions {
        let poll = Duration::from_millis(self.poll_ms.max(1)).min(Duration::from_secs(2));
        LockOptions { wait: self.wait_lock, ttl: self.lock_ttl, poll }
    }
}

/// Passing a closed deploy window: shared by deploy and promote.
#[derive(Debug, Default, clap::Args)]
pub struct WindowArgs {
    /// Deploy or promote although the target's windows are closed now; needs --reason and passes only
    /// with the approvals a promotion into the target needs. Recorded in the ledger.
    #[arg(long, requires = "reason")]
    pub break_window: bool,
    /// Why the window is broken (recorded).
    #[arg(long, value_name = "TEXT", requires = "break_window")]
    pub reason: Option<String>,
}

impl WindowArgs {
    /// Whether to break a closed window, and the reason to record; refuses an empty reason.
    pub fn resolve(&self) -> Result<(bool, Option<String>), CliError> {
        match &self.reason {
            Some(r) if r.trim().is_empty() => {
                Err(CliError::user("--reason is empty; say why the window is broken (it is recorded)"))
            }
            r => Ok((self.break_window, r.clone())),
        }
    }
}
