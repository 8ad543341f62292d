//! Putting a droplet into service without downtime, and the record of what ran: deployments (docs/v3
//! `resources/deployments`: rolling, or canary with its steps; polled while ACTIVE until FINALIZED; a paused
//! canary continued; one in flight canceled), revisions (`resources/revisions`), and the jobs that
//! asynchronous operations answer 202 with (`resources/jobs`, polled until COMPLETE or FAILED).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hyper::Method;
use serde::{Deserialize, Serialize};

use super::transport::{Payload, with_query};
use super::types::string_enum;
use super::{ApiError, CfError, CloudFoundry, Guid, InstanceState, Link, ToOne};

string_enum! {
    /// A deployment's strategy (docs/v3 `deployments/_object`).
    Strategy { Rolling = "rolling", Canary = "canary", }
}

string_enum! {
    /// `status.value` of a deployment: in progress, or finished (well or not).
    DeploymentValue { Active = "ACTIVE", Finalized = "FINALIZED", }
}

string_enum! {
    /// `status.reason` of a deployment.
    DeploymentReason {
        Deploying = "DEPLOYING", Paused = "PAUSED", Canceling = "CANCELING", Deployed = "DEPLOYED",
        Canceled = "CANCELED", Superseded = "SUPERSEDED",
    }
}

/// A deployment (docs/v3 `deployments/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Deployment {
    /// Its guid.
    pub guid: String,
    /// Where it is.
    pub status: DeploymentStatus,
    /// Rolling or canary.
    pub strategy: Strategy,
    /// The droplet it moves the app to.
    pub droplet: Option<NullableGuid>,
    /// The app's droplet before it.
    pub previous_droplet: Option<NullableGuid>,
    /// The processes it made.
    #[serde(default)]
    pub new_processes: Vec<NewProcess>,
    /// The revision it moves the app to, when the app keeps revisions.
    pub revision: Option<RevisionRef>,
    /// The app.
    pub relationships: AppRelationship,
}

impl Deployment {
    /// Finished, well or not.
    pub fn is_finalized(&self) -> bool {
        self.status.value == DeploymentValue::Finalized
    }

    /// A canary waiting to be continued.
    pub fn is_paused(&self) -> bool {
        self.status.value == DeploymentValue::Active && self.status.reason == DeploymentReason::Paused
    }
}

/// `{"guid": ...}` whose guid may be null.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NullableGuid {
    /// The guid.
    pub guid: Option<String>,
}

/// A deployment's status.
#[derive(Clone, Debug, Deserialize)]
pub struct DeploymentStatus {
    /// ACTIVE or FINALIZED.
    pub value: DeploymentValue,
    /// Why.
    pub reason: DeploymentReason,
    /// Details, with any error.
    #[serde(default)]
    pub details: DeploymentDetails,
    /// For a canary: which step of how many.
    #[serde(default)]
    pub canary: Option<CanaryStatus>,
}

/// `status.details`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DeploymentDetails {
    /// The error met while deploying, cleared once it progresses.
    #[serde(default)]
    pub error: Option<String>,
    /// When the status last changed.
    #[serde(default)]
    pub last_status_change: Option<String>,
}

/// `status.canary`.
#[derive(Clone, Debug, Deserialize)]
pub struct CanaryStatus {
    /// The steps.
    pub steps: CanarySteps,
}

/// `status.canary.steps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct CanarySteps {
    /// The current step, from 1.
    pub current: u32,
    /// How many steps.
    pub total: u32,
}

/// A process a deployment made.
#[derive(Clone, Debug, Deserialize)]
pub struct NewProcess {
    /// Its guid.
    pub guid: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A deployment's revision: `{"guid", "version"}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RevisionRef {
    /// Its guid.
    pub guid: String,
    /// Its version.
    pub version: u32,
}

/// `relationships.app`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AppRelationship {
    /// The app.
    pub app: ToOne,
}

/// A revision (docs/v3 `revisions/_object`): the code and configuration an app ran at one time.
#[derive(Clone, Debug, Deserialize)]
pub struct Revision {
    /// Its guid.
    pub guid: String,
    /// Its version, from 1.
    pub version: u32,
    /// Its droplet.
    pub droplet: Guid,
    /// Why it was made ("New droplet deployed.").
    pub description: Option<String>,
    /// Whether its droplet can still be deployed.
    pub deployable: bool,
    /// Process types and their commands.
    #[serde(default)]
    pub processes: BTreeMap<String, ProcessSnapshot>,
    /// When it was made.
    pub created_at: String,
}

/// A process type's command at a revision.
#[derive(Clone, Debug, Deserialize)]
pub struct ProcessSnapshot {
    /// The command.
    pub command: Option<String>,
}

string_enum! {
    /// A job's state (docs/v3 `jobs/_object`).
    JobState { Processing = "PROCESSING", Polling = "POLLING", Complete = "COMPLETE", Failed = "FAILED", }
}

/// A job (docs/v3 `jobs/_object`): an asynchronous operation a 202 answer's `Location` names.
#[derive(Clone, Debug, Deserialize)]
pub struct Job {
    /// Its guid.
    pub guid: String,
    /// What it does (`service_bindings.create`).
    pub operation: String,
    /// Its state.
    pub state: JobState,
    /// Why it failed.
    #[serde(default)]
    pub errors: Vec<ApiError>,
    /// Links to itself and to the resource it works on, by the resource's type.
    #[serde(default)]
    pub links: BTreeMap<String, Link>,
}

/// The body of `POST /v3/deployments` (docs/v3 `deployments/_create`).
#[derive(Clone, Debug, Serialize)]
pub struct NewDeployment {
    /// The droplet to deploy (else the app's current droplet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub droplet: Option<Guid>,
    /// The revision whose droplet and environment to deploy (a rollback); not with `droplet`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Guid>,
    /// Rolling or canary.
    pub strategy: Strategy,
    /// Its options.
    #[serde(skip_serializing_if = "DeploymentOptions::is_empty")]
    pub options: DeploymentOptions,
    /// The app.
    pub relationships: AppRelationship,
}

/// A deployment's options; `None` leaves the API's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeploymentOptions {
    /// New instances started at once (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// Web instances to end with (default: as many as now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_instances: Option<u32>,
    /// Memory per web instance (default: the web process's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_in_mb: Option<u64>,
    /// Disk per web instance (default: the web process's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_in_mb: Option<u64>,
    /// A canary's steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryOptions>,
}

impl DeploymentOptions {
    fn is_empty(&self) -> bool {
        *self == DeploymentOptions::default()
    }
}

/// `options.canary`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CanaryOptions {
    /// The steps, each pausing for a decision.
    pub steps: Vec<CanaryStep>,
}

/// One canary step: the percentage of instances it deploys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CanaryStep {
    /// 1 to 100, ascending from step to step.
    pub instance_weight: u32,
}

impl NewDeployment {
    /// A rolling deployment of the app's current droplet.
    pub fn rolling(app: &str) -> NewDeployment {
        NewDeployment {
            droplet: None,
            revision: None,
            strategy: Strategy::Rolling,
            options: DeploymentOptions::default(),
            relationships: AppRelationship { app: ToOne::to(app) },
        }
    }

    /// A canary deployment: with no `weights`, one canary instance, then a pause; else one step per weight
    /// (percent of instances, ascending), each followed by a pause.
    pub fn canary(app: &str, weights: &[u32]) -> NewDeployment {
        let mut d = NewDeployment::rolling(app);
        d.strategy = Strategy::Canary;
        if !weights.is_empty() {
            d.options.canary =
                Some(CanaryOptions { steps: weights.iter().map(|&w| CanaryStep { instance_weight: w }).collect() });
        }
        d
    }

    /// Deploying this droplet.
    pub fn droplet(mut self, droplet: &str) -> NewDeployment {
        self.droplet = Some(Guid::of(droplet));
        self
    }

    /// Deploying this revision's droplet and environment variables (a rollback).
    pub fn revision(mut self, revision: &str) -> NewDeployment {
        self.revision = Some(Guid::of(revision));
        self
    }

    /// Starting `n` new instances at a time.
    pub fn max_in_flight(mut self, n: u32) -> NewDeployment {
        self.options.max_in_flight = Some(n);
        self
    }

    /// Ending with `n` web instances.
    pub fn web_instances(mut self, n: u32) -> NewDeployment {
        self.options.web_instances = Some(n);
        self
    }
}

impl CloudFoundry {
    /// `POST /v3/deployments`. A stopped app is started with the droplet and the deployment is FINALIZED at
    /// once; a started one is replaced instance by instance while the deployment is ACTIVE.
    pub async fn create_deployment(&self, deployment: &NewDeployment) -> Result<Deployment, CfError> {
        self.post("/v3/deployments", deployment).await
    }

    /// `GET /v3/deployments/:guid`.
    pub async fn deployment(&self, guid: &str) -> Result<Deployment, CfError> {
        self.get(&format!("/v3/deployments/{guid}")).await
    }

    /// The app's deployment in flight (status ACTIVE), if any.
    pub async fn active_deployment(&self, app: &str) -> Result<Option<Deployment>, CfError> {
        let path = with_query("/v3/deployments", &[("app_guids", app), ("status_values", "ACTIVE")]);
        Ok(self.list::<Deployment>(&path).await?.into_iter().next())
    }

    /// Polls the deployment until it is FINALIZED and DEPLOYED, or a canary is PAUSED (see
    /// [`Deployment::is_paused`]). CANCELED or SUPERSEDED is an error. When `within` runs out the error says
    /// where it stands and the state of each instance of the processes it made (a crashed instance keeps
    /// a deployment ACTIVE forever; the caller decides whether to cancel it).
    pub async fn wait_for_deployment(&self, guid: &str, within: Duration) -> Result<Deployment, CfError> {
        let path = format!("/v3/deployments/{guid}");
        let deadline = Instant::now() + within;
        loop {
            let deployment: Deployment = self.get(&path).await?;
            let status = &deployment.status;
            match (&status.value, &status.reason) {
                (DeploymentValue::Finalized, DeploymentReason::Deployed) => return Ok(deployment),
                (DeploymentValue::Finalized, reason) => {
                    let outcome = match reason {
                        DeploymentReason::Canceled => "was canceled".to_string(),
                        DeploymentReason::Superseded => "was superseded by a newer deployment of the app".to_string(),
                        other => format!("ended {other}"),
                    };
                    return Err(self.failed(&path, format!("deployment {guid}"), outcome));
                }
                _ if deployment.is_paused() => return Ok(deployment),
                _ if Instant::now() >= deadline => {
                    let last = self.deployment_summary(&deployment).await;
                    return Err(self.unfinished(&path, format!("deployment {guid}"), within, last));
                }
                _ => self.pause(deadline).await,
            }
        }
    }

    /// `ACTIVE (DEPLOYING); error: ...; web process 1f2…: 1 RUNNING, 1 CRASHED`.
    async fn deployment_summary(&self, deployment: &Deployment) -> String {
        let mut out = format!("still {} ({})", deployment.status.value, deployment.status.reason);
        if let Some(error) = &deployment.status.details.error {
            out.push_str(&format!("; error: {error}"));
        }
        for process in &deployment.new_processes {
            // Best effort: the summary is for a person reading the error.
            let Ok(stats) = self.process_stats(&process.guid).await else { continue };
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for instance in &stats {
                *counts.entry(instance.state.to_string()).or_default() += 1;
            }
            let counts: Vec<String> = counts.iter().map(|(state, n)| format!("{n} {state}")).collect();
            out.push_str(&format!("; {} process {}: {}", process.kind, process.guid, counts.join(", ")));
            if stats.iter().any(|i| i.state == InstanceState::Crashed) {
                out.push_str(" (a crashed instance stops a deployment from progressing)");
            }
        }
        out
    }

    /// `POST /v3/deployments/:guid/actions/cancel`: the app goes back to its previous droplet and the
    /// deployment is CANCELING, then FINALIZED / CANCELED.
    pub async fn cancel_deployment(&self, guid: &str) -> Result<(), CfError> {
        self.send(Method::POST, &format!("/v3/deployments/{guid}/actions/cancel"), Payload::Empty).await.map(drop)
    }

    /// `POST /v3/deployments/:guid/actions/continue`: a PAUSED canary goes on to its next step, or to the end.
    pub async fn continue_deployment(&self, guid: &str) -> Result<(), CfError> {
        self.send(Method::POST, &format!("/v3/deployments/{guid}/actions/continue"), Payload::Empty).await.map(drop)
    }

    /// Every revision of the app (`GET /v3/apps/:guid/revisions`), oldest first.
    pub async fn revisions(&self, app: &str) -> Result<Vec<Revision>, CfError> {
        self.list(&format!("/v3/apps/{app}/revisions")).await
    }

    /// `GET /v3/revisions/:guid`.
    pub async fn revision(&self, guid: &str) -> Result<Revision, CfError> {
        self.get(&format!("/v3/revisions/{guid}")).await
    }

    /// Polls the job a 202 answer's `Location` names until it is COMPLETE; FAILED is an error with the job's
    /// errors.
    pub async fn wait_for_job(&self, location: &str, within: Duration) -> Result<Job, CfError> {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.send(Method::GET, location, Payload::Empty).await?;
            let job: Job = answer.decode()?;
            match job.state {
                JobState::Complete => return Ok(job),
                JobState::Failed => {
                    let errors: Vec<String> = job.errors.iter().map(ApiError::to_string).collect();
                    let outcome = format!(
                        "FAILED: {}",
                        if errors.is_empty() { "no error given".into() } else { errors.join("; ") }
                    );
                    return Err(CfError::Failed {
                        method: answer.method,
                        url: answer.url,
                        what: format!("job {} ({})", job.guid, job.operation),
                        outcome,
                    });
                }
                _ if Instant::now() >= deadline => {
                    return Err(CfError::Unfinished {
                        method: answer.method,
                        url: answer.url,
                        what: format!("job {} ({})", job.guid, job.operation),
                        seconds: within.as_secs(),
                        last: format!("still {}", job.state),
                    });
                }
                _ => self.pause(deadline).await,
            }
        }
    }
}
