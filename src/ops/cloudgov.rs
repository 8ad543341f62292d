//! An environment's cloud.gov target within a run: what to apply (the release's manifest, each app's
//! code: its image, its bits in the release, or for a rollback the droplet the ledger says the earlier
//! release ran), checked before anything changes ([`prepare`]); then [`apply`] and, when anything of the
//! run fails, [`restore`], each giving the ledger's per-app records. A run over several targets calls
//! these around its other targets; `diff --against deployed` and `status` call [`deployed`].

use std::collections::BTreeMap;

use super::{Context, OpsError};
use crate::apply::cloudgov::{self as cg, AppSpec, Code, Manifest, Space, Waits};
use crate::apply::report::Reporter;
use crate::cloudfoundry::{CfError, CloudFoundry, DropletState};
use crate::ledger::{self, AppRecord, Outcome, Phase, RunKind};
use crate::model::Environment;
use crate::release::Release;
use crate::synth::{ArtifactKey, ArtifactKind};

/// Why the cloud.gov target cannot be applied; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum CloudGovError {
    /// The release's manifest cannot be read.
    #[error(transparent)]
    Manifest(#[from] cg::ManifestError),
    /// The release holds no manifest for the environment.
    #[error("release {release} holds no cloud.gov manifest for `{env}` (`{env}/cloudgov/manifest.yml`)")]
    NoManifest {
        /// The release.
        release: String,
        /// The environment.
        env: String,
    },
    /// The Cloud Foundry API failed before anything changed.
    #[error(transparent)]
    Api(#[from] CfError),
    /// A rollback's droplet is no longer kept.
    #[error(
        "cannot roll `{env}` back to release {release}: cloud.gov no longer keeps droplet {droplet} of app {app} \
         (Cloud Controller keeps only an app's newest droplets); deploy the release again with `slipway deploy \
         --env {env} --release {release}` instead"
    )]
    DropletGone {
        /// The environment.
        env: String,
        /// The release.
        release: String,
        /// The app.
        app: String,
        /// The droplet.
        droplet: String,
    },
}

/// The cloud.gov part of a run, checked and ready.
pub struct Prepared<'a> {
    /// The client.
    pub cf: &'a CloudFoundry,
    /// The org, space and rollout.
    pub space: Space<'a>,
    /// The release's manifest, in dependency order.
    pub manifest: Manifest,
    /// Each app's droplet, when the run redeploys droplets (a rollback to a release the ledger knows).
    pub droplets: BTreeMap<String, String>,
    /// The release, whose images and bits the apps get otherwise.
    pub release: &'a Release,
    /// How long the slow steps may take.
    pub waits: Waits,
}

/// Reads the release's manifest for `env` and works out each app's code, refusing before anything
/// changes: a rollback to a release whose droplets the ledger recorded redeploys them, and refuses by name
/// when cloud.gov no longer keeps one.
pub async fn prepare<'a>(
    cx: &Context<'_>,
    env: &'a Environment,
    release: &'a Release,
    kind: RunKind,
    cf: &'a CloudFoundry,
    waits: Waits,
) -> Result<Option<Prepared<'a>>, OpsError> {
    let Some(target) = env.cloud_gov_target() else { return Ok(None) };
    let key = ArtifactKey::env_file(&env.name, ArtifactKind::CloudGov, "manifest.yml");
    let Some(bytes) = release.artifacts.get(&key) else {
        return Err(CloudGovError::NoManifest { release: release.info.id.clone(), env: env.name.clone() }.into());
    };
    let manifest =
        cg::read(&env.name, bytes, &release.info.id, release.info.commit.as_deref()).map_err(CloudGovError::from)?;
    let mut droplets = BTreeMap::new();
    if kind == RunKind::Rollback {
        droplets = recorded_droplets(cx, &env.name, &release.info.id).await?;
        for (app, droplet) in &droplets {
            let gone = match cf.droplet(droplet).await {
                Ok(d) => d.state == DropletState::Expired,
                Err(e) if e.status() == Some(404) => true,
                Err(e) => return Err(CloudGovError::Api(e).into()),
            };
            if gone {
                return Err(CloudGovError::DropletGone {
                    env: env.name.clone(),
                    release: release.info.id.clone(),
                    app: app.clone(),
                    droplet: droplet.clone(),
                }
                .into());
            }
        }
    }
    let space = Space { org: &target.org, space: &target.space, rollout: &target.rollout };
    Ok(Some(Prepared { cf, space, manifest, droplets, release, waits }))
}

/// The droplet each app ran when `release` last finished deployed on `env`, as the ledger recorded it.
async fn recorded_droplets(cx: &Context<'_>, env: &str, release: &str) -> Result<BTreeMap<String, String>, OpsError> {
    let records = ledger::records(cx.store, env).await?;
    let last = records.iter().rev().find(|r| {
        r.phase == Phase::Finished && r.outcome == Some(Outcome::Deployed) && r.release.as_deref() == Some(release)
    });
    Ok(last
        .map(|r| r.apps.iter().filter_map(|a| Some((a.name.clone(), a.droplet.clone()?))).collect())
        .unwrap_or_default())
}

/// The key of app `app`'s bits in a release.
pub fn bits_key(env: &str, app: &str) -> ArtifactKey {
    ArtifactKey::env_file(env, ArtifactKind::CloudGov, &format!("{app}.zip"))
}

/// Applies the prepared target; each app's record, and the first failure.
pub async fn apply(p: &Prepared<'_>, env: &str, reporter: &mut dyn Reporter) -> cg::Applied {
    let code = |app: &AppSpec| -> Result<Code, String> {
        if let Some(droplet) = p.droplets.get(&app.name) {
            return Ok(Code::Droplet(droplet.clone()));
        }
        if let Some(docker) = &app.docker {
            return Ok(Code::Image(docker.image.clone()));
        }
        match p.release.artifacts.get(&bits_key(env, &app.name)) {
            Some(zip) => Ok(Code::Bits(zip.clone())),
            None => Err(format!(
                "it is staged by buildpacks and release {} holds no code for it (`{}`): give its service \
                 `.source(DIR)` so that the release carries its files",
                p.release.info.id,
                bits_key(env, &app.name).path()
            )),
        }
    };
    cg::apply(p.cf, p.space, &p.manifest, code, p.waits, reporter).await
}

/// Puts back what `applied` changed.
pub async fn restore(p: &Prepared<'_>, applied: &cg::Applied, reporter: &mut dyn Reporter) -> cg::Restored {
    cg::restore(p.cf, applied, p.waits, reporter).await
}

/// The ledger's records of the apps: what each runs, ran before, and how the run left it.
pub fn records(applied: &cg::Applied, restored: Option<&cg::Restored>) -> Vec<AppRecord> {
    applied
        .apps
        .iter()
        .map(|a| {
            let mut result = a.result.clone();
            if let Some(r) = restored {
                if let Some((_, what)) = r.restored.iter().find(|(n, _)| *n == a.name) {
                    result = format!("{result}; rollback: {what}");
                }
                if let Some((_, why)) = r.stuck.iter().find(|(n, _)| *n == a.name) {
                    result = format!("{result}; rollback FAILED: {why}");
                }
            }
            AppRecord {
                name: a.name.clone(),
                droplet: a.droplet.clone(),
                revision: a.revision.clone(),
                previous_droplet: a.previous_droplet.clone(),
                result,
            }
        })
        .collect()
}

/// How `env`'s apps differ from `manifest` (the bytes of its `cloudgov/manifest.yml`, as a release or a
/// synth holds them), by meaning: app -> differences (empty: none).
pub async fn deployed(
    cf: &CloudFoundry,
    env: &Environment,
    manifest: &[u8],
    release: &str,
    commit: Option<&str>,
) -> Result<BTreeMap<String, Vec<String>>, OpsError> {
    let Some(target) = env.cloud_gov_target() else { return Ok(BTreeMap::new()) };
    let manifest = cg::read(&env.name, manifest, release, commit).map_err(CloudGovError::from)?;
    let space = Space { org: &target.org, space: &target.space, rollout: &target.rollout };
    let state = cg::state(cf, space, &manifest).await.map_err(CloudGovError::from)?;
    Ok(cg::differences(&manifest, &state))
}

/// Whether `env`'s apps still run what the ledger says its current release put there: each app's
/// differences from the release's manifest, and a droplet other than the one recorded. `None` when
/// nothing was deployed to it by slipway or its release is not in the store.
pub async fn drift(
    cx: &Context<'_>,
    env: &Environment,
    cf: &CloudFoundry,
) -> Result<Option<BTreeMap<String, Vec<String>>>, OpsError> {
    let state = ledger::EnvState::of(&ledger::records(cx.store, &env.name).await?, cx.clock.now());
    let Some(current) = state.current else { return Ok(None) };
    let Ok(release) = crate::release::read(cx.store, &current.release).await else { return Ok(None) };
    let key = ArtifactKey::env_file(&env.name, ArtifactKind::CloudGov, "manifest.yml");
    let Some(bytes) = release.artifacts.get(&key) else { return Ok(None) };
    let mut out = deployed(cf, env, bytes, &release.info.id, release.info.commit.as_deref()).await?;
    // The droplet each app got, as the ledger recorded it, against the one it runs.
    let records = ledger::records(cx.store, &env.name).await?;
    let last = records.iter().rev().find(|r| {
        r.phase == Phase::Finished
            && r.outcome == Some(Outcome::Deployed)
            && r.release.as_deref() == Some(current.release.as_str())
    });
    if let (Some(last), Some(target)) = (last, env.cloud_gov_target()) {
        let space = Space { org: &target.org, space: &target.space, rollout: &target.rollout };
        let space_guid = cg::find_space(cf, space).await.map_err(CloudGovError::from)?;
        for app in &last.apps {
            let Some(recorded) = &app.droplet else { continue };
            let Some(found) = cf.app_named(&space_guid, &app.name).await.map_err(CloudGovError::from)? else {
                continue;
            };
            let running = found.relationships.current_droplet.guid().unwrap_or("none");
            if running != recorded {
                out.entry(app.name.clone()).or_default().push(format!(
                    "runs droplet {running}, not {recorded}, which release {} put there",
                    current.release
                ));
            }
        }
    }
    Ok(Some(out))
}
