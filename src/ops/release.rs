//! Making a release: every permanent environment's artifacts at one commit, synthesized from the
//! definitions or taken from a `slipway synth --out` directory, written to the store once.
//!
//! What is released is what was reviewed: a synth directory whose files changed after `synth` wrote them
//! (or that holds files it did not write) is refused, naming the file; and a working tree with
//! uncommitted changes is refused unless the release is told so (`--allow-dirty`), which its
//! `release.json` then records, since the commit it names is not exactly what it holds.

use std::path::Path;

pub use super::release_source::SourceError;
use super::{Context, OpsError};
use crate::model::Project;
use crate::release::{self, Created, ReleaseInfo};
use crate::synth::{ArtifactKey, ArtifactSet, Artifacts, SynthDir};

/// What a release is made of.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A reviewed `slipway synth --out` directory, refused unless every file is what `synth` wrote.
    Reviewed(&'a Path),
    /// What the definitions synthesize now: every permanent environment's artifacts.
    Synthesized(&'a ArtifactSet),
}

/// A release to make.
#[derive(Clone, Debug)]
pub struct NewRelease<'a> {
    /// Its id.
    pub id: &'a str,
    /// The commit it is made from, as the caller resolved it (`--commit`, `GITHUB_SHA`, git's HEAD).
    pub commit: Option<String>,
    /// The ref it is made on.
    pub git_ref: Option<String>,
    /// What it is made of.
    pub from: Source<'a>,
    /// What the working tree has uncommitted (`None` outside a git working tree).
    pub uncommitted: Option<Vec<String>>,
    /// Whether uncommitted changes are allowed (and recorded).
    pub allow_dirty: bool,
}

impl NewRelease<'_> {
    /// What the release's `release.json` will say, made by `cx`'s actor now: what the policy judges before
    /// the release is written.
    pub fn info(&self, cx: &Context<'_>) -> ReleaseInfo {
        ReleaseInfo {
            id: self.id.to_string(),
            commit: self.commit.clone(),
            git_ref: self.git_ref.clone(),
            created_at: cx.clock.now(),
            created_by: cx.actor.name.clone(),
            slipway_version: env!("CARGO_PKG_VERSION").into(),
            environments: Vec::new(),
            dirty: self.uncommitted.clone().filter(|_| self.allow_dirty).unwrap_or_default(),
        }
    }

    /// Refuses uncommitted changes unless they are allowed.
    fn check_clean(&self) -> Result<(), SourceError> {
        match &self.uncommitted {
            Some(paths) if !paths.is_empty() && !self.allow_dirty => Err(SourceError::Dirty {
                commit: self.commit.clone().unwrap_or_else(|| "HEAD".into()),
                paths: paths.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// Makes release `new` in `cx`'s store: a no-op when it exists with the same artifacts, refused when it
/// exists with others.
pub async fn create(
    cx: &Context<'_>,
    new: &NewRelease<'_>,
    reporter: &mut dyn crate::apply::report::Reporter,
) -> Result<Created, OpsError> {
    if !release::valid_id(new.id) {
        return Err(release::ReleaseError::BadId(new.id.into()).into());
    }
    new.check_clean()?;
    let (mut artifacts, environments, assets) = artifacts(new.from)?;
    let released = super::assets::project_of(&artifacts)?;
    add_bits(released.as_ref().unwrap_or(cx.project), &environments, &assets, &mut artifacts)?;
    let stored = match &released {
        Some(project) => {
            // Images first: a build is what fails most, and nothing of the release is written before it.
            let docker = super::images::docker();
            let mut stored = super::images::keep(cx, &docker, project, &assets, reporter).await?;
            stored.extend(super::assets::keep(cx, project, &assets).await?);
            stored
        }
        // A synthesis of some environments, which writes no rules: its files, named as the checkout names them.
        None => super::assets::keep_files(cx, cx.project, &assets).await?,
    };
    let info = ReleaseInfo { environments, ..new.info(cx) };
    Ok(release::create(cx.store, &info, &artifacts, &stored).await?)
}

/// Adds the bits of every service staged by buildpacks on cloud.gov that names its source, zipped, for
/// each environment of `envs` with a cloud.gov target: `<env>/cloudgov/<app>.zip`. A source that names a
/// directory asset is that asset's zip, as the synthesis wrote it (`assets`); any other is a directory
/// relative to the one slipway runs in (the top of the project).
fn add_bits(project: &Project, envs: &[String], assets: &Assets, artifacts: &mut Artifacts) -> Result<(), SourceError> {
    let mut zips: std::collections::BTreeMap<String, Vec<u8>> = std::collections::BTreeMap::new();
    for env in envs.iter().filter_map(|e| project.find(e)).filter(|e| e.cloud_gov_target().is_some()) {
        for service in project.services_in(env) {
            let (Some(source), true, crate::model::Runtime::Buildpacks(_)) =
                (&service.source, service.on_cloud_gov, &service.runtime)
            else {
                continue;
            };
            if !zips.contains_key(service.name.as_str()) {
                let zip = match project.find_asset(source) {
                    Some(asset @ crate::model::Asset { kind: crate::model::AssetKind::Directory { .. }, .. }) => {
                        asset.object_key().and_then(|key| assets.get(&key).cloned()).ok_or_else(|| {
                            SourceError::Bits(format!(
                                "service `{}`'s source is asset `{source}`, which the synthesis did not write; \
                                 synthesize again",
                                service.name
                            ))
                        })?
                    }
                    _ => release::bits::zip_dir(&service.name, Path::new(source))
                        .map_err(|e| SourceError::Bits(e.to_string()))?,
                };
                zips.insert(service.name.clone(), zip);
            }
            let app = crate::model::cloud_gov_app_name(&project.name, &env.name, &service.name);
            artifacts.insert(super::cloudgov::bits_key(&env.name, &app), zips[service.name.as_str()].clone());
        }
    }
    Ok(())
}

/// The artifacts a release is made of, its environments and its assets' files: a reviewed synth
/// directory's, or every permanent environment's, synthesized now.
fn artifacts(from: Source<'_>) -> Result<(Artifacts, Vec<String>, Assets), SourceError> {
    match from {
        Source::Reviewed(dir) => {
            let read = reviewed(dir, None)?;
            let envs = read.manifest.environments.clone();
            Ok((read.artifacts, envs, read.assets))
        }
        Source::Synthesized(set) => Ok((set.artifacts.clone(), set.environments.clone(), set.assets.clone())),
    }
}

/// Assets' files by key.
type Assets = std::collections::BTreeMap<String, Vec<u8>>;

/// The synth output directory `dir`, refused unless every file is exactly what `synth` wrote; with `env`,
/// also unless it holds templates for that environment and no file of it that the manifest does not list.
pub fn reviewed(dir: &Path, env: Option<&str>) -> Result<SynthDir, SourceError> {
    let only: Vec<String> = env.map(str::to_string).into_iter().collect();
    let read = crate::synth::read_dir(dir, &only)?;
    if let Some(path) = read.changed.first() {
        let doing = if env.is_some() { "deploy" } else { "release" };
        return Err(SourceError::Edited { path: dir.join(path), doing });
    }
    let Some(env) = env else { return Ok(read) };
    let ours = |p: &String| ArtifactKey::from_path(p).is_some_and(|k| k.environment() == Some(env));
    if let Some(path) = read.unlisted.iter().find(|p| ours(p)) {
        return Err(SourceError::Unlisted(dir.join(path)));
    }
    if !read.artifacts.keys().any(|k| k.stack().is_some()) {
        return Err(SourceError::NoTemplates {
            dir: dir.to_path_buf(),
            env: env.to_string(),
            synthesized: read.manifest.environments.clone(),
        });
    }
    Ok(read)
}
