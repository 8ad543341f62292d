//! File assets from the synthesis to the release store, and from the store to an environment's account.
//!
//! `release create` keeps each asset the synthesis wrote in the store under its hash ([`keep`]); a deploy,
//! a promotion, a rollback and a demo's `up` publish the assets an environment's templates refer to into
//! the account's bootstrap bucket before any stack changes ([`publish`]), skipping what is there already
//! (the key is the hash) and uploading the rest in parallel.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt, stream};

use super::release_source::SourceError;
use super::{Context, OpsError};
use crate::apply::report::{Report, Reporter};
use crate::cloud::Cloud;
use crate::model::bootstrap::assets_bucket;
use crate::model::{Environment, Project};
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

/// Keeps in the store the file assets of a synthesis of some environments (`synth --env`, which writes
/// no project rules to name them): each `assets/<sha256>.<ext>` it wrote, refused unless its bytes have
/// that hash, named as `project` (the checkout's definitions) names that key, else by its hash.
pub async fn keep_files(
    cx: &Context<'_>,
    project: &Project,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<StoredAsset>, OpsError> {
    let mut out = Vec::new();
    for (key, bytes) in files {
        let Some((hash, _)) = key.strip_prefix(stored::STORE_PREFIX).and_then(|k| k.split_once('.')) else { continue };
        if key.ends_with(".context.zip") || key.ends_with(".tar") {
            continue;
        }
        if crate::synth::sha256_hex(bytes) != hash {
            let why =
                format!("`{key}` of the synthesis is not the bytes its name says; synthesize again and review that");
            return Err(SourceError::Asset(why).into());
        }
        let known = project.assets.iter().find(|a| a.object_key().as_deref() == Some(key.as_str()));
        let entry = match known.and_then(|a| StoredAsset::of(a, bytes)) {
            Some(entry) => entry,
            None => StoredAsset {
                name: hash.into(),
                kind: "file".into(),
                hash: hash.into(),
                key: key.clone(),
                bytes: bytes.len() as u64,
                sha256: hash.into(),
            },
        };
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
    let templates = templates_of(&release.artifacts, env);
    release.assets.iter().filter(|a| a.is_file() && refers(&templates, &a.key)).cloned().collect()
}

/// The templates of `env` among `artifacts`.
fn templates_of<'a>(artifacts: &'a Artifacts, env: &str) -> Vec<&'a [u8]> {
    artifacts
        .iter()
        .filter(|(k, _)| k.environment() == Some(env) && k.stack().is_some())
        .map(|(_, b)| b.as_slice())
        .collect()
}

/// Whether any of `templates` names `key`.
fn refers(templates: &[&[u8]], key: &str) -> bool {
    templates.iter().any(|t| t.windows(key.len()).any(|w| w == key.as_bytes()))
}

/// Where the bytes of the assets to publish come from.
pub enum Source<'a> {
    /// A release's, from the store, checked against its `assets.json`.
    Release(&'a Release),
    /// A synthesis's own (a feature demo's, made from the working tree), by key.
    Synthesized {
        /// The project, its assets hashed.
        project: &'a Project,
        /// The environment's templates and the rest of its artifacts.
        artifacts: &'a Artifacts,
        /// The assets' bytes, by key.
        files: &'a BTreeMap<String, Vec<u8>>,
    },
}

/// Publishes the assets `env`'s templates refer to into its account's bootstrap bucket through `cloud`,
/// before any stack changes: those already there (by key, which is the hash) are left, the rest uploaded
/// from `source`, a few at a time.
pub async fn publish(
    cx: &Context<'_>,
    source: Source<'_>,
    env: &Environment,
    cloud: &Cloud,
    reporter: &mut dyn Reporter,
) -> Result<Published, OpsError> {
    let started = Instant::now();
    let wanted: Vec<(String, String)> = match source {
        Source::Release(release) => used_by(release, &env.name).into_iter().map(|a| (a.name, a.key)).collect(),
        Source::Synthesized { project, artifacts, .. } => {
            let templates = templates_of(artifacts, &env.name);
            let keys =
                project.assets.iter().filter(|a| a.is_file()).filter_map(|a| Some((a.name.clone(), a.object_key()?)));
            keys.filter(|(_, key)| refers(&templates, key)).collect()
        }
    };
    let Some(target) = env.aws_target().filter(|_| !wanted.is_empty()) else { return Ok(Published::default()) };
    let bucket = assets_bucket(target);
    let bytes_of = async |name: &str, key: &str| -> Result<Vec<u8>, OpsError> {
        match source {
            Source::Release(release) => {
                let asset = release.assets.iter().find(|a| a.key == key).expect("a listed asset");
                Ok(stored::bytes(cx.store, &release.info.id, asset).await?)
            }
            Source::Synthesized { files, .. } => files.get(key).cloned().ok_or_else(|| {
                SourceError::Asset(format!("asset `{name}` ({key}) is not in the synthesis; synthesize again")).into()
            }),
        }
    };
    let results: Vec<(String, bool)> = stream::iter(wanted.iter().map(|(name, key)| {
        let (bucket, bytes_of) = (&bucket, &bytes_of);
        async move {
            if cloud.object_exists(bucket, key).await? {
                return Ok::<_, OpsError>((name.clone(), false));
            }
            cloud.put_object(bucket, key, bytes_of(name, key).await?).await?;
            Ok((name.clone(), true))
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
