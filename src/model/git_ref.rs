//! Which git refs may deploy to an environment: exact branch names (`main`) and globs (`release/*`).

use std::fmt;

/// A branch name or a glob over branch names, as a deployment-flow document writes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RefPattern(String);

impl RefPattern {
    /// A pattern: an exact name such as `main`, or a glob such as `release/*` or `feature-demo/**`.
    pub fn new(pattern: impl Into<String>) -> Self {
        RefPattern(pattern.into())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the pattern holds glob characters, rather than naming one ref.
    pub fn is_glob(&self) -> bool {
        self.0.contains(['*', '?', '[', '{'])
    }

    /// Why the pattern can never match a valid git ref, if it cannot.
    ///
    /// Follows `git check-ref-format`: no empty components, no `..`, no control characters, spaces, `~`,
    /// `^`, `:` or `\`, no component starting with `.` or ending in `.lock`; and a glob must parse.
    pub fn problem(&self) -> Option<String> {
        let p = &self.0;
        if p.is_empty() {
            return Some("is empty; name a branch such as `main` or a glob such as `release/*`".into());
        }
        if let Some(c) = p.chars().find(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '\\')) {
            return Some(format!("`{p}` contains {c:?}, which git does not allow in a ref name"));
        }
        if p.contains("..") || p.contains("@{") {
            return Some(format!("`{p}` contains `..` or `@{{`, which git does not allow in a ref name"));
        }
        if p.starts_with('/') || p.ends_with('/') || p.contains("//") {
            return Some(format!("`{p}` has an empty path component"));
        }
        if p.split('/').any(|c| c.starts_with('.') || c.ends_with(".lock")) {
            return Some(format!("`{p}` has a component that starts with `.` or ends in `.lock`"));
        }
        if p.ends_with('.') {
            return Some(format!("`{p}` ends with `.`"));
        }
        if self.is_glob()
            && let Err(e) = self.glob()
        {
            return Some(format!("`{p}` is not a valid glob: {}", e.kind()));
        }
        None
    }

    /// Whether the pattern admits any ref at all (`*`, `**`, `**/*`): nothing but wildcards and separators.
    pub fn is_unrestricted(&self) -> bool {
        self.is_glob() && self.0.chars().all(|c| matches!(c, '*' | '/' | '?'))
    }

    /// Whether `branch` may deploy under this pattern. A pattern with a `problem` matches nothing.
    pub fn matches(&self, branch: &str) -> bool {
        if !self.is_glob() {
            return self.0 == branch;
        }
        self.glob().map(|g| g.compile_matcher().is_match(branch)).unwrap_or(false)
    }

    fn glob(&self) -> Result<globset::Glob, globset::Error> {
        // `*` stays inside one path component, as it does in GitHub's branch filters.
        globset::GlobBuilder::new(&self.0).literal_separator(true).build()
    }
}

impl fmt::Display for RefPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RefPattern {
    fn from(s: &str) -> Self {
        RefPattern::new(s)
    }
}
