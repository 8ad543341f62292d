//! Image assets: built once into the release store, and pushed to a compose host's registry before the
//! host pulls them.
//!
//! - [`keep`] (`release create`, and a demo's `up`): each image asset the store does not hold yet
//!   (`assets/<hash>.tar`) is built by the docker of the machine slipway runs on from the build context
//!   the synthesis wrote (`assets/<hash>.context.zip`, checked against the asset's hash, never the working
//!   tree), and kept as `docker save` wrote it. One the store holds is not built again.
//! - [`publish`] (a compose host's deploy, promotion, rollback, a demo's `up`): for each image asset the
//!   host's compose file names (`<registry>/<project>/<asset>:<hash>`), the registry is asked whether it
//!   has the tag (its HTTP API v2); when not, the stored tar is loaded into that docker, tagged and pushed.
//!   A rollback's compose file names the earlier release's images, which the store still holds.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Context, OpsError};
use crate::apply::report::{Report, Reporter};
use crate::docker::images::{Docker, DockerError};
use crate::docker::registry::{self, Presence, RegistryError};
use crate::model::{AssetKind, Project};
use crate::release::assets::{self as stored, StoredAsset};
use crate::store::Store;

/// How long a registry may take to say whether it has a tag.
const REGISTRY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an image asset could not be built or pushed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// `docker build` (or `save`) failed.
    #[error("image asset `{asset}` could not be built: {source}")]
    Build {
        /// The asset.
        asset: String,
        /// What docker said.
        source: DockerError,
    },
    /// The image could not be loaded, tagged or pushed.
    #[error("image asset `{asset}` could not be pushed as {image}: {source}")]
    Push {
        /// The asset.
        asset: String,
        /// The image it was pushed as.
        image: String,
        /// What docker said.
        source: DockerError,
    },
    /// The registry could not be asked.
    #[error("image asset `{asset}`: {source}")]
    Registry {
        /// The asset.
        asset: String,
        /// Why.
        source: RegistryError,
    },
    /// The synthesis does not hold what the asset is built from, or holds other bytes than its hash says.
    #[error("image asset `{asset}` ({path}) {why}")]
    Synthesis {
        /// The asset.
        asset: String,
        /// Its build context.
        path: String,
        /// Why, and what to do.
        why: String,
    },
    /// A file could not be written or read.
    #[error("image asset `{asset}`: {why}")]
    Io {
        /// The asset.
        asset: String,
        /// Why.
        why: String,
    },
}

/// The docker CLI slipway builds, loads and pushes images with: `SLIPWAY_DOCKER`, else `docker`, reaching
/// the engine `DOCKER_HOST` names (the machine slipway runs on, unless it says otherwise).
pub fn docker() -> Docker {
    Docker::new(crate::vars::var("SLIPWAY_DOCKER").map(PathBuf::from).as_deref())
}

/// Keeps in the store every image asset of `project` (hashed), building those it does not hold from their
/// contexts in `files` (key to bytes, as the synthesis wrote them) with `docker`; what the release lists.
pub async fn keep(
    cx: &Context<'_>,
    docker: &Docker,
    project: &Project,
    files: &BTreeMap<String, Vec<u8>>,
    reporter: &mut dyn Reporter,
) -> Result<Vec<StoredAsset>, OpsError> {
    let mut out = Vec::new();
    for asset in project.assets.iter().filter(|a| !a.is_file()) {
        let refuse =
            |why: &str| ImageError::Synthesis { asset: asset.name.clone(), path: asset.path().into(), why: why.into() };
        let (Some(hash), Some(key), Some(context_key), AssetKind::Image { dockerfile, .. }) =
            (asset.hash.as_deref(), asset.object_key(), asset.context_key(), &asset.kind)
        else {
            return Err(refuse("was synthesized without its hash; synthesize again with this slipway").into());
        };
        if cx.store.list(&key).await?.contains(&key) {
            let object =
                cx.store.get(&key).await?.ok_or_else(|| refuse(&format!("vanished from the store ({key})")))?;
            reporter.report(Report::Note(&format!("image asset `{}`: in the store already ({key})", asset.name)));
            out.push(StoredAsset::of(asset, &object.bytes).expect("a hashed image has a key"));
            continue;
        }
        let Some(context) = files.get(&context_key) else {
            return Err(refuse(&format!("is not in the synthesis (no `{context_key}`); synthesize again")).into());
        };
        if crate::app::assets::image_hash(dockerfile, context) != hash {
            return Err(refuse(&format!(
                "is not the build context its hash says (`{context_key}`); synthesize again and review that"
            ))
            .into());
        }
        let started = Instant::now();
        let tag = format!("{}:{hash}", asset.repository(&project.name));
        let bytes = build(docker, &asset.name, context, dockerfile, &tag)?;
        let entry = StoredAsset::of(asset, &bytes).expect("a hashed image has a key");
        stored::put(cx.store, &entry, bytes).await?;
        reporter.report(Report::Note(&format!(
            "image asset `{}`: built as {tag} and kept in the store ({key}, {} bytes, {} ms)",
            asset.name,
            entry.bytes,
            started.elapsed().as_millis()
        )));
        out.push(entry);
    }
    Ok(out)
}

/// Builds the context zip `context` as `tag`; the bytes of its `docker save`.
fn build(docker: &Docker, name: &str, context: &[u8], dockerfile: &str, tag: &str) -> Result<Vec<u8>, ImageError> {
    let io = |why: String| ImageError::Io { asset: name.into(), why };
    let dir = tempfile::tempdir().map_err(|e| io(format!("no temporary directory: {e}")))?;
    let files = dir.path().join("context");
    for (path, data) in crate::app::assets::unzip(context).map_err(|e| io(format!("its build context: {e}")))? {
        let relative = Path::new(&path);
        if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(io(format!("its build context holds `{path}`, which is not a path inside it")));
        }
        let to = files.join(relative);
        std::fs::create_dir_all(to.parent().expect("below the context"))
            .and_then(|()| std::fs::write(&to, data))
            .map_err(|e| io(format!("{}: {e}", to.display())))?;
    }
    let build = |source| ImageError::Build { asset: name.into(), source };
    docker.build(&files, dockerfile, tag).map_err(build)?;
    let tar = dir.path().join("image.tar");
    docker.save(tag, &tar).map_err(build)?;
    std::fs::read(&tar).map_err(|e| io(format!("{}: {e}", tar.display())))
}

/// What a publish of images did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pushed {
    /// The images pushed (`<registry>/<project>/<asset>:<hash>`).
    pub pushed: Vec<String>,
    /// The images the registry had already.
    pub present: Vec<String>,
    /// How long it took.
    pub took: Duration,
}

/// The image assets of `assets` that `compose_file` names, with the image it names each as: those of its
/// services' `image`s that are `<registry>/<repository>:<hash>` with a repository ending in the asset's name.
pub fn named_by(compose_file: &[u8], assets: &[StoredAsset]) -> Vec<(StoredAsset, String)> {
    let images = images_in(compose_file);
    let mut out = Vec::new();
    for asset in assets.iter().filter(|a| !a.is_file()) {
        let suffix = format!("/{}:{}", asset.name, asset.hash);
        for image in images.iter().filter(|i| i.ends_with(&suffix)) {
            if !out.iter().any(|(_, named): &(StoredAsset, String)| named == image) {
                out.push((asset.clone(), image.to_string()));
            }
        }
    }
    out
}

/// The images the services of `compose_file` run (none when it cannot be read).
pub fn images_in(compose_file: &[u8]) -> Vec<String> {
    let Ok(file) = serde_yaml_ng::from_slice::<serde_yaml_ng::Value>(compose_file) else { return Vec::new() };
    file.get("services")
        .and_then(|s| s.as_mapping())
        .into_iter()
        .flat_map(|services| services.values())
        .filter_map(|service| Some(service.get("image")?.as_str()?.to_string()))
        .collect()
}

/// Pushes every image asset of `assets` that `compose_file` names to the registry it names, unless that
/// has it already: loaded from `store` (checked against what release `release` lists) into `docker`,
/// tagged and pushed.
pub async fn publish(
    store: &Store,
    docker: &Docker,
    release: &str,
    assets: &[StoredAsset],
    compose_file: &[u8],
    reporter: &mut dyn Reporter,
) -> Result<Pushed, OpsError> {
    let started = Instant::now();
    let mut out = Pushed::default();
    for (asset, image) in named_by(compose_file, assets) {
        let (path, tag) = image.rsplit_once(':').expect("named with a tag");
        let (registry, repository) = path.split_once('/').expect("named with a registry");
        let presence = registry::manifest(registry, repository, tag, REGISTRY_TIMEOUT)
            .await
            .map_err(|source| ImageError::Registry { asset: asset.name.clone(), source })?;
        if let Presence::Present(_) = presence {
            out.present.push(image);
            continue;
        }
        let bytes = stored::bytes(store, release, &asset).await?;
        let push = |source| ImageError::Push { asset: asset.name.clone(), image: image.clone(), source };
        let io = |why: String| ImageError::Io { asset: asset.name.clone(), why };
        let dir = tempfile::tempdir().map_err(|e| io(format!("no temporary directory: {e}")))?;
        let tar = dir.path().join("image.tar");
        std::fs::write(&tar, bytes).map_err(|e| io(format!("{}: {e}", tar.display())))?;
        docker.load(&tar).map_err(push)?;
        // `docker save` kept the tag it was built as: `<project>/<asset>:<hash>`, the repository here.
        docker.tag(&format!("{repository}:{tag}"), &image).map_err(push)?;
        docker.push(&image).map_err(push)?;
        out.pushed.push(image);
    }
    out.took = started.elapsed();
    if !out.pushed.is_empty() || !out.present.is_empty() {
        reporter.report(Report::Note(&format!(
            "images: {} pushed{}, {} in the registry already{} ({} ms)",
            out.pushed.len(),
            listed(&out.pushed),
            out.present.len(),
            listed(&out.present),
            out.took.as_millis()
        )));
    }
    Ok(out)
}

fn listed(images: &[String]) -> String {
    if images.is_empty() { String::new() } else { format!(" ({})", images.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str, hash: &str) -> StoredAsset {
        StoredAsset {
            name: name.into(),
            kind: "image".into(),
            hash: hash.into(),
            key: format!("assets/{hash}.tar"),
            bytes: 1,
            sha256: String::new(),
        }
    }

    #[test]
    fn the_images_a_compose_file_names_are_the_assets_at_their_hash() {
        let file = b"services:\n  api:\n    image: \"127.0.0.1:5000/shop/api:aa\"\n  web:\n    image: ghcr.io/o/web:${RELEASE}\n  old:\n    image: 127.0.0.1:5000/shop/api:bb\n";
        let assets = [image("api", "aa"), image("web", "cc")];
        let named = named_by(file, &assets);
        assert_eq!(named.len(), 1, "{named:?}");
        assert_eq!(named[0].1, "127.0.0.1:5000/shop/api:aa");
        assert!(named_by(b"services: [", &assets).is_empty());
    }
}
