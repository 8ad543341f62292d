//! What [`super::apply`] changed, undone: each app the run touched, last first, put back on the droplet
//! and the environment variables it had (a deployment in flight is canceled, which Cloud Foundry itself
//! ends on the previous droplet; one that finished is followed by a deployment of the previous droplet;
//! an app the run made, which ran nothing before, is stopped).

use std::time::Instant;

use super::{Applied, Waits, phase, wait_deployment};
use crate::apply::report::Reporter;
use crate::cloudfoundry::{CfError, CloudFoundry, NewDeployment};

/// What [`restore`] did.
#[derive(Clone, Debug, Default)]
pub struct Restored {
    /// Each app put back, with how.
    pub restored: Vec<(String, String)>,
    /// Each app that could not be, with why: a person must see to it.
    pub stuck: Vec<(String, String)>,
}

/// Puts every app `applied` changed back as it was, last applied first.
pub async fn restore(cf: &CloudFoundry, applied: &Applied, waits: Waits, reporter: &mut dyn Reporter) -> Restored {
    let mut out = Restored::default();
    for app in applied.apps.iter().rev().filter(|a| a.changed) {
        let Some(guid) = app.guid.as_deref() else { continue };
        phase(reporter, &app.name, "rollback: putting the app back as it was");
        match restore_app(cf, guid, app, waits, reporter).await {
            Ok(what) => {
                phase(reporter, &app.name, &format!("rollback: {what}"));
                out.restored.push((app.name.clone(), what));
            }
            Err(e) => {
                phase(reporter, &app.name, &format!("rollback failed: {e}"));
                out.stuck.push((app.name.clone(), e.to_string()));
            }
        }
    }
    out
}

async fn restore_app(
    cf: &CloudFoundry,
    guid: &str,
    app: &super::AppOutcome,
    waits: Waits,
    reporter: &mut dyn Reporter,
) -> Result<String, CfError> {
    let mut how = Vec::new();
    if let Some(active) = cf.active_deployment(guid).await? {
        cf.cancel_deployment(&active.guid).await?;
        let deadline = Instant::now() + waits.deployment;
        loop {
            let d = cf.deployment(&active.guid).await?;
            if d.is_finalized() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(CfError::Settings(format!(
                    "deployment {} was asked to cancel and is still {} after {} s",
                    active.guid,
                    d.status.value,
                    waits.deployment.as_secs()
                )));
            }
            tokio::time::sleep(cf.settings().poll_interval).await;
        }
        how.push(format!("canceled deployment {}", active.guid));
    }
    if let Some(before) = &app.previous_process {
        let web = cf.process(guid, "web").await?;
        cf.set_process(&web.guid, &before.health_check, before.command.as_ref().map(Option::as_deref)).await?;
        how.push("process settings put back".into());
    }
    if let Some(env) = &app.previous_env {
        cf.update_environment_variables(guid, env).await?;
        how.push("variables put back".into());
    }
    let current = cf.app(guid).await?.relationships.current_droplet.guid().map(str::to_string);
    match (&app.previous_droplet, app.created) {
        (Some(previous), _) if current.as_deref() != Some(previous.as_str()) || app.deployment.is_some() => {
            let d = cf.create_deployment(&NewDeployment::rolling(guid).droplet(previous)).await?;
            wait_deployment(cf, &app.name, &d.guid, waits, reporter).await?;
            how.push(format!("back on droplet {previous}"));
        }
        (Some(previous), _) => how.push(format!("still on droplet {previous}")),
        (None, _) => {
            cf.stop_app(guid).await?;
            how.push("stopped (it ran nothing before this run)".into());
        }
    }
    Ok(how.join("; "))
}
