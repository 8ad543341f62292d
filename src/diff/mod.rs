//! `slipway diff`: what would change, as data, rendered separately.
//!
//! A reviewer reads a diff on every pull request and CI reads it before it deploys, so it must neither
//! invent changes nor miss a replacement. The diff is computed once, as plain data ([`Diff`]), over
//! templates parsed into one normalized JSON shape ([`value`]), so a template slipway just synthesized and
//! one that came back from CloudFormation as YAML compare alike. Each renderer in [`render`] (terminal
//! text, Markdown for a pull-request comment, JSON for machines) reads that same value.
//!
//! - [`template`]: the structural diff of two templates: resources with property paths and an
//!   [`Impact`], the other sections, and anything else at the top level.
//! - [`security`]: IAM statements and security-group rules added or removed, broadening flagged.
//! - [`artifacts`]: two output directories' worth of files, per environment and stack, with a unified
//!   text diff for the files that are not CloudFormation templates.
//! - [`files`]: two template files, or two directories of templates, that slipway need not have
//!   written (`slipway diff OLD NEW`).
//! - [`yaml`]: YAML templates read as CloudFormation reads them (YAML 1.1, short forms).

pub mod artifacts;
pub mod files;
pub mod render;
pub mod security;
pub mod template;
pub mod value;
pub mod verdicts;
pub mod yaml;

pub use artifacts::{ArtifactError, Diff, EnvironmentDiff, FileDiff, StackDiff, Subject};
pub use files::{Compared, FilesError, diff_paths};
pub use security::{SecurityChange, SecurityItem};
pub use template::{Cause, EntryChange, PropertyChange, ResourceChange, TemplateDiff, diff_templates};
pub use value::parse_template;
pub use verdicts::Verdicts;

use serde::Serialize;

/// Whether something was added, removed or modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only the new side has it.
    Added,
    /// Only the old side has it.
    Removed,
    /// Both have it, and it differs.
    Modified,
}

impl Change {
    /// `added`, `removed`, `modified`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Modified => "modified",
        }
    }
}

/// What deploying a change does to a resource's physical object, ordered by severity so that a
/// resource's (or a whole diff's) worst impact is `max()`.
///
/// `Create` touches nothing that exists, so it is the mildest. `Orphan` (a removed resource with
/// `DeletionPolicy: Retain`) loses no data but leaves an object outside any stack, so it ranks above an
/// in-place update and below anything that may delete an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// A new resource.
    Create,
    /// Updated in place.
    Update,
    /// Removed from the stack, but its object is kept (`DeletionPolicy: Retain`).
    Orphan,
    /// Possibly replaced: the change reaches a replacing property through a value that may change, or
    /// the resource type is one slipway has no facts about.
    MayReplace,
    /// Replaced: a new object is created and the old one deleted.
    Replace,
    /// Deleted.
    Destroy,
}

impl Impact {
    /// `create`, `update`, `orphan`, `may-replace`, `replace`, `destroy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Create => "create",
            Impact::Update => "update",
            Impact::Orphan => "orphan",
            Impact::MayReplace => "may-replace",
            Impact::Replace => "replace",
            Impact::Destroy => "destroy",
        }
    }
}
