//! What runs where: per environment, what the ledger says (the release, when, by whom, with whose
//! approval, how the last change ended, a freeze, a hold, a lock) and whether each deployed stack still
//! holds the template the ledger says was applied, compared by meaning as `slipway diff` compares. Without
//! credentials it says what it could not check instead of failing as a whole.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde_json::Value;

use super::compose_host::{self, HostStatus};
use super::deployed::{StackRead, read};
use super::{Context, OpsError};
use crate::cloud::Connector;
use crate::diff::{diff_templates, parse_template};
use crate::ledger::lock::{self, LockInfo};
use crate::ledger::{self, EnvState};
use crate::model::Environment;
use crate::release;
use crate::synth::{ArtifactKey, sha256_hex};

/// How [`Drift::NotChecked`] begins when the stacks could not be read (no credentials, no answer).
pub const UNREADABLE: &str = "could not read the stacks";

/// Whether the deployed stacks are what the ledger says was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Every stack holds the template applied.
    None,
    /// These stacks differ: (stack name, how).
    Drifted(Vec<(String, String)>),
    /// Not checked, and why (no AWS target, nothing deployed, no credentials, ...).
    NotChecked(String),
}

/// One environment's status.
#[derive(Clone, Debug)]
pub struct EnvStatus {
    /// The environment.
    pub name: String,
    /// What its records add up to.
    pub state: EnvState,
    /// The lock, if a run holds it.
    pub lock: Option<LockInfo>,
    /// Whether its stacks drifted.
    pub drift: Drift,
    /// Its compose host, when it has one on a server and the live state was asked for.
    pub hosts: Vec<HostStatus>,
}

/// The status of `envs`; with `connector`, their stacks are compared with what was applied.
///
/// The environments are looked at together and every stack of all of them is read at once: the cloud layer
/// bounds the calls in flight and pauses them all when AWS throttles; the results keep `envs`' order and
/// each environment's order of artifacts.
pub async fn status(
    cx: &Context<'_>,
    envs: &[&Environment],
    connector: Option<&Connector>,
) -> Result<Vec<EnvStatus>, OpsError> {
    status_with_hosts(cx, envs, connector, &compose_host::reach_to_read).await
}

/// [`status`], with each environment's compose host reached through `reach` (a library caller's own SSH
/// settings, say) rather than as [`compose_host::reach_to_read`] finds it.
pub async fn status_with_hosts(
    cx: &Context<'_>,
    envs: &[&Environment],
    connector: Option<&Connector>,
    reach: &dyn Fn(&Environment) -> Result<Option<compose_host::HostReach>, compose_host::HostError>,
) -> Result<Vec<EnvStatus>, OpsError> {
    let ledgers = join_all(envs.iter().map(|env| async move {
        let records = ledger::records(cx.store, &env.name).await?;
        let state = EnvState::of(&records, cx.clock.now());
        let lock = lock::current(cx.store, &env.name).await?.map(|(info, _)| info);
        Ok::<_, OpsError>((state, lock))
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    // Each release once, however many environments run it.
    let mut releases: Vec<&str> = envs
        .iter()
        .zip(&ledgers)
        .filter(|(env, _)| env.aws_target().is_some())
        .filter_map(|(_, (state, _))| state.current.as_ref().map(|c| &*c.release))
        .collect();
    releases.sort_unstable();
    releases.dedup();
    let bundles: BTreeMap<&str, Option<release::Release>> = match connector {
        None => BTreeMap::new(),
        Some(_) => releases
            .iter()
            .copied()
            .zip(join_all(releases.iter().map(|id| async move { release::read(cx.store, id).await.ok() })).await)
            .collect(),
    };
    let drifts =
        join_all(envs.iter().zip(&ledgers).map(|(env, (state, _))| drift(cx, env, state, connector, &bundles))).await;
    let mut hosts = Vec::new();
    for env in envs {
        hosts.push(match connector {
            Some(_) => host_status(cx, env, reach).await?,
            None => Vec::new(),
        });
    }
    Ok(envs
        .iter()
        .zip(ledgers)
        .zip(drifts)
        .zip(hosts)
        .map(|(((env, (state, lock)), drift), hosts)| EnvStatus { name: env.name.clone(), state, lock, drift, hosts })
        .collect())
}

/// What `env`'s compose host runs, against what its last deploy left there (the ledger's record of it).
async fn host_status(
    cx: &Context<'_>,
    env: &Environment,
    reach: &dyn Fn(&Environment) -> Result<Option<compose_host::HostReach>, compose_host::HostError>,
) -> Result<Vec<HostStatus>, OpsError> {
    let reach = match reach(env) {
        Ok(Some(reach)) => reach,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => {
            let host = env.compose_target().and_then(|t| t.docker_host.clone()).unwrap_or_default();
            return Ok(vec![HostStatus {
                host,
                project: String::new(),
                services: Vec::new(),
                drift: Err(e.to_string()),
            }]);
        }
    };
    let records = ledger::records(cx.store, &env.name).await?;
    let current = EnvState::of(&records, cx.clock.now()).current.map(|c| c.release);
    let applied = records
        .iter()
        .rev()
        .filter(|r| r.phase == ledger::Phase::Finished && r.release == current)
        .find_map(|r| r.hosts.first().cloned());
    let project = applied.as_ref().map_or_else(|| format!("{}-{}", cx.project.name, env.name), |a| a.project.clone());
    Ok(vec![compose_host::look(&reach, &project, current.as_deref(), applied.as_ref())])
}

/// Whether `env`'s stacks still hold what its ledger `state` says was applied.
async fn drift(
    cx: &Context<'_>,
    env: &Environment,
    state: &EnvState,
    connector: Option<&Connector>,
    bundles: &BTreeMap<&str, Option<release::Release>>,
) -> Drift {
    let (current, connector) = match (&state.current, env.aws_target(), connector) {
        (None, _, _) => return Drift::NotChecked("nothing deployed yet".into()),
        (_, None, _) => return Drift::NotChecked("no AWS target".into()),
        (_, _, None) => return Drift::NotChecked("not asked to read the stacks".into()),
        (Some(current), Some(_), Some(connector)) => (current, connector),
    };
    let cloud = match super::deploy::connect_to_read(connector, env).await {
        Err(e) => return Drift::NotChecked(format!("{UNREADABLE}: {e}")),
        Ok(cloud) => cloud,
    };
    let bundle = bundles.get(&*current.release).and_then(Option::as_ref);
    let reads = current
        .artifacts
        .keys()
        .filter_map(|path| {
            let key = ArtifactKey::from_path(path)?;
            let name = crate::cfn::stack_name(&cx.project.name, &env.name, key.stack()?);
            Some(StackRead { key, name, cloud: &cloud })
        })
        .collect();
    let drifted: Vec<(String, String)> = read(reads)
        .await
        .into_iter()
        .filter_map(|(r, found)| {
            let applied = bundle.and_then(|b| b.artifacts.get(&r.key));
            let why = match found {
                Err(e) => Some(format!("could not be read: {e}")),
                Ok(None) => Some("is not deployed".into()),
                Ok(Some((_, body))) => differs(&body, applied.map(Vec::as_slice), &current.artifacts[&r.key.path()]),
            };
            why.map(|why| (r.name, why))
        })
        .collect();
    if drifted.is_empty() { Drift::None } else { Drift::Drifted(drifted) }
}

/// How a deployed template differs from the one applied: by meaning when the applied bytes are at hand,
/// else by SHA-256; `None` when it does not.
fn differs(deployed: &str, applied: Option<&[u8]>, sha: &str) -> Option<String> {
    let Some(applied) = applied else {
        return (sha256_hex(deployed.as_bytes()) != sha).then(|| {
            "its template is not the one applied (its SHA-256 differs; the release is not in the store to \
             compare by meaning)"
                .to_string()
        });
    };
    let parse = |text: &str| parse_template(text).unwrap_or(Value::Null);
    let diff = diff_templates(&parse(&String::from_utf8_lossy(applied)), &parse(deployed));
    if diff.is_empty() {
        return None;
    }
    let mut what: Vec<String> =
        diff.resources.iter().map(|r| format!("{} {}", r.logical_id, r.change.as_str())).collect();
    for (section, list) in [
        ("parameter", &diff.parameters),
        ("condition", &diff.conditions),
        ("mapping", &diff.mappings),
        ("output", &diff.outputs),
        ("section", &diff.other),
    ] {
        what.extend(list.iter().map(|e| format!("{section} {} {}", e.id, e.change.as_str())));
    }
    Some(format!("its template was changed outside slipway: {}", what.join(", ")))
}
