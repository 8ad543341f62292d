//! What runs where: per environment, what the ledger says (the release, when, by whom, with whose
//! approval, how the last change ended, a freeze, a hold, a lock) and whether each deployed stack still
//! holds the template the ledger says was applied, compared by meaning as `slipway diff` compares. Without
//! credentials it says what it could not check instead of failing as a whole.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Context, OpsError};
use crate::apply::cloudformation::stack_name;
use crate::cloud::{Connector, Destination, RegionRule};
use crate::diff::{diff_templates, parse_template};
use crate::ledger::lock::{self, LockInfo};
use crate::ledger::{self, EnvState};
use crate::model::Environment;
use crate::release;
use crate::synth::{ArtifactKey, sha256_hex};

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
}

/// The status of `envs`; with `connector`, their stacks are compared with what was applied.
pub async fn status(
    cx: &Context<'_>,
    envs: &[&Environment],
    connector: Option<&Connector>,
) -> Result<Vec<EnvStatus>, OpsError> {
    let mut out = Vec::new();
    let mut bundles = BTreeMap::new();
    for env in envs {
        let records = ledger::records(cx.store, &env.name).await?;
        let state = EnvState::of(&records, cx.clock.now());
        let lock = lock::current(cx.store, &env.name).await?.map(|(info, _)| info);
        let drift = match (&state.current, env.aws_target(), connector) {
            (None, _, _) => Drift::NotChecked("nothing deployed yet".into()),
            (_, None, _) => Drift::NotChecked("no AWS target".into()),
            (_, _, None) => Drift::NotChecked("not asked to read the stacks".into()),
            (Some(current), Some(target), Some(connector)) => {
                let dest = Destination {
                    environment: &env.name,
                    account: target.account.as_str(),
                    region: target.region.code(),
                };
                match connector.connect(&dest, RegionRule::Environment).await {
                    Err(e) => Drift::NotChecked(format!("could not read the stacks: {e}")),
                    Ok(cloud) => {
                        if !bundles.contains_key(&current.release) {
                            let bundle = release::read(cx.store, &current.release).await.ok();
                            bundles.insert(current.release.clone(), bundle);
                        }
                        let bundle = bundles[&current.release].as_ref();
                        let mut drifted = Vec::new();
                        for (path, sha) in &current.artifacts {
                            let Some(key) = ArtifactKey::from_path(path) else { continue };
                            let Some(short) = key.stack() else { continue };
                            let name = stack_name(&cx.project.name, &env.name, short);
                            let applied = bundle.and_then(|b| b.artifacts.get(&key));
                            match cloud.deployed(&name).await {
                                Err(e) => drifted.push((name, format!("could not be read: {e}"))),
                                Ok(None) => drifted.push((name, "is not deployed".into())),
                                Ok(Some((_, body))) => {
                                    if let Some(why) = differs(&body, applied.map(Vec::as_slice), sha) {
                                        drifted.push((name, why));
                                    }
                                }
                            }
                        }
                        if drifted.is_empty() { Drift::None } else { Drift::Drifted(drifted) }
                    }
                }
            }
        };
        out.push(EnvStatus { name: env.name.clone(), state, lock, drift });
    }
    Ok(out)
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
