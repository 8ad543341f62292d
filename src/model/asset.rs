//! Assets: the code and files a project's stacks and services run (a function's zip, a site's static
//! files, a container image), declared by name and referred to by content hash.
//!
//! A definition declares an asset ([`Asset::file`], [`Asset::directory`], [`Asset::image`]) and a stack
//! refers to it ([`super::Project::asset_ref`]): the reference is made from the asset's hash, so a
//! template changes exactly when the asset does, and synthesis stays a function of the definitions and
//! the asset files. The definitions' program hashes every asset before it synthesizes (the hash is data
//! here, filled in, never computed by the model); `release create` keeps each asset in the release store
//! under its hash, and deploys publish it to the environment account's bootstrap bucket and image
//! repository before any stack changes. A compose service runs an image asset by naming it
//! (`Service::image("api")`): its host pulls `<registry>/<project>/<asset>:<hash>` from the registry its
//! compose target names ([`super::ComposeTarget::registry`]), where a deploy pushes it first.

use serde::{Deserialize, Serialize};

use super::bootstrap::IMAGE_REPOSITORY;
use crate::cfn::Expr;

/// What a reference holds in place of a key until its asset is hashed, or when no such asset is declared;
/// synthesis refuses a template that still holds it.
pub const UNRESOLVED: &str = "slipway:unresolved-asset:";

/// One asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Its name, unique in the project (`backend`): what stacks and services refer to it by.
    pub name: String,
    /// What it is and where its files are.
    pub kind: AssetKind,
    /// Its hash, in hex: filled in by the definitions' program before synthesis. `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// What an asset is. Paths are relative to the project's top directory (where slipway runs), or absolute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AssetKind {
    /// One file, published as it is (a zip a build made).
    File {
        /// The file.
        path: String,
    },
    /// The files of a directory, published as one zip that is the same bytes for the same files (entries
    /// sorted, fixed times; hidden files left out).
    Directory {
        /// The directory.
        path: String,
    },
    /// A container image built from a Dockerfile and its context.
    Image {
        /// The build context.
        context: String,
        /// The Dockerfile, relative to the context.
        dockerfile: String,
    },
}

impl Asset {
    /// The file at `path`.
    pub fn file(name: impl Into<String>, path: impl Into<String>) -> Self {
        Asset { name: name.into(), kind: AssetKind::File { path: path.into() }, hash: None }
    }

    /// The files below directory `path`, zipped.
    pub fn directory(name: impl Into<String>, path: impl Into<String>) -> Self {
        Asset { name: name.into(), kind: AssetKind::Directory { path: path.into() }, hash: None }
    }

    /// The image built from `context` with its `Dockerfile`.
    pub fn image(name: impl Into<String>, context: impl Into<String>) -> Self {
        let kind = AssetKind::Image { context: context.into(), dockerfile: "Dockerfile".into() };
        Asset { name: name.into(), kind, hash: None }
    }

    /// The same image, built with this Dockerfile (relative to the context).
    pub fn dockerfile(mut self, file: impl Into<String>) -> Self {
        if let AssetKind::Image { dockerfile, .. } = &mut self.kind {
            *dockerfile = file.into();
        }
        self
    }

    /// Whether it is published as a zip or a file (to the assets bucket) rather than as an image.
    pub fn is_file(&self) -> bool {
        !matches!(self.kind, AssetKind::Image { .. })
    }

    /// The name it is stored and published under: `assets/<hash>.zip` (a directory), `assets/<hash><ext>`
    /// (a file, with its extension), `assets/<hash>.tar` (an image, as `docker save` writes it; it is
    /// pushed as tag `<hash>`). `None` until it is hashed.
    pub fn object_key(&self) -> Option<String> {
        let hash = self.hash.as_deref()?;
        Some(match &self.kind {
            AssetKind::Directory { .. } => format!("assets/{hash}.zip"),
            AssetKind::File { path } => {
                let ext = std::path::Path::new(path)
                    .extension()
                    .map(|e| format!(".{}", e.to_string_lossy()))
                    .filter(|e| e.len() <= 10 && e[1..].chars().all(|c| c.is_ascii_alphanumeric()))
                    .unwrap_or_default();
                format!("assets/{hash}{ext}")
            }
            AssetKind::Image { .. } => format!("assets/{hash}.tar"),
        })
    }

    /// Where the synthesis writes an image's build context (its files, zipped as a directory is), from
    /// which `release create` builds it: `assets/<hash>.context.zip`. `None` for a file or directory, or
    /// until it is hashed.
    pub fn context_key(&self) -> Option<String> {
        match (&self.kind, &self.hash) {
            (AssetKind::Image { .. }, Some(hash)) => Some(format!("assets/{hash}.context.zip")),
            _ => None,
        }
    }

    /// Its repository in a compose host's registry: `<project>/<name>`.
    pub fn repository(&self, project: &str) -> String {
        format!("{project}/{}", self.name)
    }

    /// The image a compose host pulls from `registry`: `<registry>/<project>/<name>:<hash>`. `None` for
    /// a file or directory, or until it is hashed.
    pub fn image_in(&self, registry: &str, project: &str) -> Option<String> {
        match (&self.kind, &self.hash) {
            (AssetKind::Image { .. }, Some(hash)) => Some(format!("{registry}/{}:{hash}", self.repository(project))),
            _ => None,
        }
    }

    /// Where its files are read from: the file, the directory, the image's context.
    pub fn path(&self) -> &str {
        match &self.kind {
            AssetKind::File { path } | AssetKind::Directory { path } => path,
            AssetKind::Image { context, .. } => context,
        }
    }
}

/// A stack's reference to an asset, as template values: where a deploy publishes it in the environment's
/// account and region.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetRef {
    /// The asset's name.
    pub name: String,
    /// Its key (a file); `None` when it is not declared or not hashed.
    key: Option<String>,
    /// Its hash, an image's tag; `None` when it is not declared or not hashed.
    hash: Option<String>,
}

impl AssetRef {
    pub(super) fn new(name: &str, asset: Option<&Asset>) -> Self {
        AssetRef { name: name.into(), key: asset.and_then(Asset::object_key), hash: asset.and_then(|a| a.hash.clone()) }
    }

    fn or_marker(&self, value: &Option<String>) -> String {
        value.clone().unwrap_or_else(|| format!("{UNRESOLVED}{}", self.name))
    }

    /// The bootstrap bucket of the stack's account and region.
    pub fn bucket(&self) -> Expr {
        super::bootstrap::assets_bucket_of_stack()
    }

    /// The file's key in that bucket (`assets/<hash>.zip`).
    pub fn key(&self) -> Expr {
        Expr::str(self.or_marker(&self.key))
    }

    /// The image's URI in the bootstrap repository of the stack's account and region, by its hash tag.
    pub fn image_uri(&self) -> Expr {
        Expr::sub(format!(
            "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{IMAGE_REPOSITORY}:{}",
            self.or_marker(&self.hash)
        ))
    }
}

/// The problems of the project's asset declarations: names, paths, and a hash where one was expected.
pub(super) fn check_assets(assets: &[Asset], problems: &mut Vec<super::Problem>) {
    let mut seen = std::collections::BTreeSet::new();
    for asset in assets {
        let field = format!("asset `{}`", asset.name);
        let problem = |message: String| super::Problem::new("", field.clone(), message);
        if let Some(why) = super::name_problem(&asset.name) {
            problems.push(problem(format!("the name {why}")));
        }
        if !seen.insert(asset.name.as_str()) {
            problems.push(problem("is declared more than once; give each asset its own name".into()));
        }
        if asset.path().trim().is_empty() {
            problems.push(problem("names no path; give the file, directory or build context it is".into()));
        }
        if let AssetKind::Image { dockerfile, .. } = &asset.kind
            && (dockerfile.trim().is_empty() || dockerfile.starts_with('/') || dockerfile.contains(".."))
        {
            problems.push(problem(format!("its Dockerfile `{dockerfile}` must be a path inside the build context")));
        }
        if let Some(hash) = &asset.hash
            && (hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
        {
            problems.push(problem(format!("`{hash}` is not a SHA-256 in lowercase hex")));
        }
    }
}
