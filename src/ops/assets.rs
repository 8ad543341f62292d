//! Assets from the working tree to the release store, and from the store to an environment's account.
//!
//! `release create` keeps each asset the synthesis wrote in the store under its hash ([`keep`]); a deploy, a promotion and a rollback publish the assets an environment's templates refer to
//! into the account's bootstrap bucket before any stack changes ([`publish`]), skipping what is there
//! already (the key is the hash) and uploading the rest in parallel.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt, stream};

use super::release_source::SourceError;
use super::{Context, OpsError};
use crate::apply::report::{Report, Reporter};
use crate::cloud::Cloud;
use crate::model::{Environment, Project, assets_bucket};
use crate::release::Release;
use crate::release::assets::{self as stored, StoredAsset};
use crate::synth::{ArtifactKey, ArtifactKind, Artifacts, rules::RULES_FILE, rules::Rules};

/// How many assets are uploaded at once.
const PARALLEL: usize = 4;

/// The project as the artifacts' rules (`slipway/project.json`) hold it: the assets they were synthesized
/// with, hashes included.
pub fn project_of(artifacts: &Artifacts) -> Result<Option<Project>, SourceError> {
    let key = ArtifactKey::project_file(ArtifactKind::Rules, RULES_FILE);
    let Some(bytes) = artifacts.get(&key) else { return Ok(None) };
    let rules = Rules::read(bytes).map_err(|e| SourceError::Asset(e.to_string()))?;
    Ok(Some(rules.project))
}

/// Keeps in the store every file and directory asset of `project` (hashed), from `files` (key to bytes,
/// as the synthesis wrote them), refusing one that is missing or is not the bytes its hash says; what the
/// release lists.
pub async fn keep(
    cx: &Context<'_>,
    project: &Project,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<StoredAsset>, OpsError> {
    let mut out = Vec::new();
    for asset in project.assets.iter().filter(|a| a.is_file()) {
        let refuse = |why: &str| SourceError::Asset(format!("asset `{}` ({}) {why}", asset.name, asset.path()));
        let (Some(hash), Some(key)) = (asset.hash.as_deref(), asset.object_key()) else {
            return Err(refuse("was synthesized without its hash; synthesize again with this slipway").into());
        };
        let Some(bytes) = files.get(&key) else {
            return Err(refuse(&format!("is not in the synthesis (no `{key}`); synthesize again")).into());
        };
        if crate::synth::sha256_hex(bytes) != hash {
            return Err(
                refuse(&format!("is not the bytes its hash says (`{key}`); synthesize again and review that")).into()
            );
        }
        let entry = StoredAsset::of(asset, bytes).expect("a hashed file asset has a key");
        stored::put(cx.store, &entry, bytes.clone()).await?;
        out.push(entry);
    }
    Ok(out)
}

/// What a publish did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// The assets uploaded.
    pub uploaded: Vec<String>,
    /// The assets the bucket had already.
    pub present: Vec<String>,
    /// How long it took.
    pub took: Duration,
}

/// The file assets of `release` that environment `env`'s templates refer to.
pub fn used_by(release: &Release, env: &str) -> Vec<StoredAsset> {
    let templates: Vec<&[u8]> = release
        .artifacts
        .iter()
        .filter(|(k, _)| k.environment() == Some(env) && k.stack().is_some())
        .map(|(_, bytes)| bytes.as_slice())
        .collect();
    let refers = |key: &str| templates.iter().any(|t| t.windows(key.len()).any(|w| w == key.as_bytes()));
    release.assets.iter().filter(|a| a.is_file() && refers(&a.key)).cloned().collect()
}

/// Publishes the assets `env`'s templates refer to into its account's bootstrap bucket through `cloud`,
/// before any stack changes: those already there (by key, which is the hash) are left, the rest uploaded
/// from the store, checked against the release, a few at a time.
pub async fn publish(
    cx: &Context<'_>,
    release: &Release,
    env: &Environment,
    cloud: &Cloud,
    reporter: &mut dyn Reporter,
) -> Result<Published, OpsError> {
    let started = Instant::now();
    let assets = used_by(release, &env.name);
    let Some(target) = env.aws_target().filter(|_| !assets.is_empty()) else { return Ok(Published::default()) };
    let bucket = assets_bucket(target.account.as_str(), target.region.code());
    let results: Vec<(String, bool)> = stream::iter(assets.iter().map(|asset| {
        let bucket = &bucket;
        async move {
            if cloud.object_exists(bucket, &asset.key).await? {
                return Ok::<_, OpsError>((asset.name.clone(), false));
            }
            let bytes = stored::bytes(cx.store, &release.info.id, asset).await?;
            cloud.put_object(bucket, &asset.key, bytes).await?;
            Ok((asset.name.clone(), true))
        }
    }))
    .buffer_unordered(PARALLEL)
    .try_collect()
    .await?;
    let mut out = Published { took: started.elapsed(), ..Published::default() };
    for (name, uploaded) in results {
        if uploaded { out.uploaded.push(name) } else { out.present.push(name) }
    }
    out.uploaded.sort();
    out.present.sort();
    reporter.report(Report::Note(&format!(
        "assets: {} published to s3://{bucket}, {} there already ({} ms)",
        out.uploaded.len(),
        out.present.len(),
        out.took.as_millis()
    )));
    Ok(out)
}
