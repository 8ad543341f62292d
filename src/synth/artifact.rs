//! What an artifact is, by key rather than by path: which environment it belongs to (or the project as a
//! whole), what kind of file it is, and its name. Synthesis, diff, deploy and the release store all name
//! artifacts this way; [`ArtifactKey::path`] and [`ArtifactKey::from_path`] are the only places that know
//! how a key is laid out in an output directory.

use std::collections::BTreeMap;
use std::fmt;

/// Files by key.
pub type Artifacts = BTreeMap<ArtifactKey, Vec<u8>>;

/// Whom an artifact belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// One environment (`dev`).
    Environment(String),
    /// The project as a whole (GitHub workflows and settings).
    Project,
}

/// What kind of file an artifact is, which fixes the directory it is written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtifactKind {
    /// A CloudFormation template; its name is the stack's short name.
    CloudFormation,
    /// A cloud.gov manifest.
    CloudGov,
    /// A docker-compose bundle's file.
    Compose,
    /// A GitHub Actions workflow (project-wide).
    Workflow,
    /// GitHub settings, such as environments' protection rules (project-wide).
    GitHub,
    /// The project's rules as data, what the engine reads of the definitions (project-wide).
    Rules,
}

impl ArtifactKind {
    /// Every kind.
    pub const ALL: [ArtifactKind; 6] = [
        ArtifactKind::CloudFormation,
        ArtifactKind::CloudGov,
        ArtifactKind::Compose,
        ArtifactKind::Workflow,
        ArtifactKind::GitHub,
        ArtifactKind::Rules,
    ];

    /// The directory the kind is written to: below the environment's directory, or at the top.
    pub fn directory(self) -> &'static str {
        match self {
            ArtifactKind::CloudFormation => "cloudformation",
            ArtifactKind::CloudGov => "cloudgov",
            ArtifactKind::Compose => "compose",
            ArtifactKind::Workflow => ".github/workflows",
            ArtifactKind::GitHub => "github",
            ArtifactKind::Rules => "slipway",
        }
    }

    /// Whether artifacts of this kind belong to the project rather than to one environment.
    pub fn is_project_wide(self) -> bool {
        matches!(self, ArtifactKind::Workflow | ArtifactKind::GitHub | ArtifactKind::Rules)
    }
}

/// The file name extensions a CloudFormation template may have; slipway writes the first.
pub const TEMPLATE_EXTENSIONS: [&str; 3] = [".template.json", ".template.yaml", ".template.yml"];

pub use crate::model::RESERVED_NAMES;

/// One artifact's identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArtifactKey {
    /// The environment, or the project.
    pub scope: Scope,
    /// What kind of file.
    pub kind: ArtifactKind,
    /// Its name: the stack's short name for a template, else the file's name.
    pub name: String,
}

impl ArtifactKey {
    /// The template of stack `stack` in environment `env`.
    pub fn template(env: &str, stack: &str) -> Self {
        ArtifactKey { scope: Scope::Environment(env.into()), kind: ArtifactKind::CloudFormation, name: stack.into() }
    }

    /// File `name` of kind `kind` in environment `env`.
    pub fn env_file(env: &str, kind: ArtifactKind, name: &str) -> Self {
        ArtifactKey { scope: Scope::Environment(env.into()), kind, name: name.into() }
    }

    /// Project-wide file `name` of kind `kind`.
    pub fn project_file(kind: ArtifactKind, name: &str) -> Self {
        ArtifactKey { scope: Scope::Project, kind, name: name.into() }
    }

    /// The environment the artifact belongs to, if it belongs to one.
    pub fn environment(&self) -> Option<&str> {
        match &self.scope {
            Scope::Environment(e) => Some(e),
            Scope::Project => None,
        }
    }

    /// The stack's short name, for a CloudFormation template.
    pub fn stack(&self) -> Option<&str> {
        (self.kind == ArtifactKind::CloudFormation).then_some(self.name.as_str())
    }

    /// The path relative to an output directory, with `/`: `dev/cloudformation/app.template.json`,
    /// `dev/cloudgov/manifest.yml`, `.github/workflows/deploy-dev.yml`.
    pub fn path(&self) -> String {
        let file = match self.kind {
            ArtifactKind::CloudFormation => format!("{}{}", self.name, TEMPLATE_EXTENSIONS[0]),
            _ => self.name.clone(),
        };
        match &self.scope {
            Scope::Environment(env) => format!("{env}/{}/{file}", self.kind.directory()),
            Scope::Project => format!("{}/{file}", self.kind.directory()),
        }
    }

    /// The key of a relative path, or `None` when the path is not where slipway puts any artifact. A
    /// template is known by its stack whatever its extension (`.template.json`, `.template.yaml`,
    /// `.template.yml`), so two directories whose templates differ only in format still match.
    pub fn from_path(path: &str) -> Option<Self> {
        for kind in ArtifactKind::ALL.into_iter().filter(|k| k.is_project_wide()) {
            if let Some(name) = path.strip_prefix(kind.directory()).and_then(|r| r.strip_prefix('/')) {
                return plain_name(name).map(|n| ArtifactKey::project_file(kind, n));
            }
        }
        let (env, rest) = path.split_once('/')?;
        if env.is_empty() || env.starts_with('.') || RESERVED_NAMES.contains(&env) {
            return None;
        }
        let (dir, file) = rest.split_once('/')?;
        let kind = ArtifactKind::ALL.into_iter().find(|k| !k.is_project_wide() && k.directory() == dir)?;
        let file = plain_name(file)?;
        let name = match kind {
            ArtifactKind::CloudFormation => TEMPLATE_EXTENSIONS.iter().find_map(|ext| file.strip_suffix(ext))?,
            _ => file,
        };
        (!name.is_empty()).then(|| ArtifactKey::env_file(env, kind, name))
    }
}

/// A file name with no directory in it.
fn plain_name(name: &str) -> Option<&str> {
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

impl fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_paths_go_both_ways() {
        let keys = [
            ArtifactKey::template("dev", "app"),
            ArtifactKey::env_file("dev", ArtifactKind::CloudGov, "manifest.yml"),
            ArtifactKey::env_file("demo-x", ArtifactKind::Compose, ".env.example"),
            ArtifactKey::project_file(ArtifactKind::Workflow, "deploy-dev.yml"),
            ArtifactKey::project_file(ArtifactKind::GitHub, "environments.json"),
        ];
        for key in keys {
            assert_eq!(ArtifactKey::from_path(&key.path()), Some(key.clone()), "{}", key.path());
        }
        assert_eq!(ArtifactKey::template("dev", "app").path(), "dev/cloudformation/app.template.json");
        assert_eq!(
            ArtifactKey::project_file(ArtifactKind::Workflow, "pr.yml").path(),
            ".github/workflows/pr.yml".to_string()
        );
    }

    #[test]
    fn templates_match_by_stack_whatever_the_extension() {
        for path in ["dev/cloudformation/app.template.yaml", "dev/cloudformation/app.template.yml"] {
            assert_eq!(ArtifactKey::from_path(path), Some(ArtifactKey::template("dev", "app")));
        }
    }

    #[test]
    fn other_paths_are_no_artifacts() {
        for path in [
            "manifest.json",
            "dev/cloudformation/app.json",
            "dev/cloudformation/nested/app.template.json",
            "dev/other/x",
            "github",
            ".github/workflows/a/b.yml",
            "dev/cloudformation/.template.json",
        ] {
            assert_eq!(ArtifactKey::from_path(path), None, "{path}");
        }
    }
}
