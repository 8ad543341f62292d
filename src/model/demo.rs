//! Feature-demo names: one slug, made from a demo's name or its branch, that every name built from it
//! can hold.
//!
//! A demo's name ends up inside many other names, each with its own rules: CloudFormation stack names
//! (`<project>-<slug>-<stack>`, at most 128, `[A-Za-z][-A-Za-z0-9]*`), cloud.gov app names that are also
//! route host names (`<project>-<service>-<slug>`, a DNS label of at most 63), the demo server's host
//! name (`<slug>.demo...`), compose project, network and volume names (`[a-z0-9][a-z0-9_-]*`), and the
//! environment name rules of [`name_problem`]. S3 bucket names (at most 63, lowercase, no `..`, not like
//! an IP address) are met as well: the reference stacks do not name their buckets, CloudFormation makes
//! the names from the (lowercased, cut) stack name, and a slug holds no dots and no uppercase anyway.
//! Checking each limit where the name is used would refuse a branch late and differently in every
//! place; so one [`NameBudget`] per project, whose room depends on the project's name and its longest
//! stack name, makes the slug once, and says why it differs from what the user typed.
//!
//! A name that already fits is its own slug. Anything else is folded (lowercase ASCII letters and
//! digits; everything else, non-ASCII included, becomes `-`), cut to the budget when too long, and ends
//! with six hex digits of the SHA-256 of the whole name: folding and cutting lose information, and the
//! hash keeps `Feature_X`, `feature/x` and two long names that differ only past the cut apart. The same
//! name always gives the same slug. Two different names can still meet by chance (24 bits) or on
//! purpose; [`check_slug`] refuses that, naming both.

use std::fmt;

use sha2::{Digest, Sha256};

use super::names::name_problem;
use super::project::Definitions;

/// The branch prefix of feature demos: `feature-demo/<name>`.
pub const BRANCH_PREFIX: &str = "feature-demo/";

/// Hex digits of the name's hash at the end of a slug that is not the name itself.
const HASH_HEX: usize = 6;

/// The shortest room a slug must have: a letter, `-`, and the hash.
const MIN_ROOM: usize = 1 + 1 + HASH_HEX;

/// A name a demo's slug becomes part of, and how long that name may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameLimit {
    /// What the name is (`the cloud.gov app name and route host`).
    pub what: &'static str,
    /// The name with `<slug>` where the slug goes (`shop-web-<slug>`).
    pub pattern: String,
    /// Its longest allowed length.
    pub max: usize,
}

impl NameLimit {
    fn new(what: &'static str, pattern: String, max: usize) -> Self {
        NameLimit { what, pattern, max }
    }

    /// How long the slug may be for this name to fit.
    pub fn room(&self) -> usize {
        self.max.saturating_sub(self.pattern.len() - SLUG.len())
    }

    /// The name with `slug` in it.
    pub fn with(&self, slug: &str) -> String {
        self.pattern.replace(SLUG, slug)
    }
}

const SLUG: &str = "<slug>";

/// Why no slug can be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// The name (or what follows `feature-demo/`) is empty.
    #[error("the demo name is empty; give a name, or a branch `{BRANCH_PREFIX}<name>`")]
    Empty,
    /// The project's name leaves no room for a demo's.
    #[error(
        "the project name `{project}` leaves {room} characters for a demo's name in {what} `{pattern}` (at most \
         {max}); a demo needs {MIN_ROOM}, so shorten the project name"
    )]
    NoRoom {
        /// The project.
        project: String,
        /// The room left.
        room: usize,
        /// The name that leaves it.
        what: &'static str,
        /// That name's pattern.
        pattern: String,
        /// That name's limit.
        max: usize,
    },
}

/// A demo's slug, and why it is not the name the user gave when it is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSlug {
    /// The demo's name: what was given, less a `refs/heads/` and `feature-demo/` prefix.
    pub name: String,
    /// The slug every resource name of the demo is made from.
    pub slug: String,
    /// Why the slug differs from the name, one reason a line, for the user; empty when it does not.
    pub why: Vec<String>,
}

impl fmt::Display for DemoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.why.is_empty() {
            return write!(f, "demo `{}`", self.slug);
        }
        write!(f, "demo `{}` is named `{}`: {}", self.name, self.slug, self.why.join("; "))
    }
}

/// The demo name in `name_or_branch`: without a leading `refs/heads/` and `feature-demo/`.
pub fn demo_name(name_or_branch: &str) -> &str {
    let name = name_or_branch.strip_prefix("refs/heads/").unwrap_or(name_or_branch);
    name.strip_prefix(BRANCH_PREFIX).unwrap_or(name)
}

/// Every limit a project's demo slugs must fit, and the room they leave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameBudget {
    limits: Vec<NameLimit>,
}

impl NameBudget {
    /// The budget of project `project`, whose longest CloudFormation stack short name is `longest_stack`
    /// (`deploy-role`; empty when it has no stacks), whose longest cloud.gov service name is
    /// `longest_service` (empty when a demo runs nothing on cloud.gov) and whose longest backing service
    /// name is `longest_backing` (empty when it has none).
    pub fn new(
        project: &str,
        longest_stack: &str,
        longest_service: &str,
        longest_backing: &str,
    ) -> Result<Self, SlugError> {
        let stack = if longest_stack.is_empty() { "<stack>" } else { longest_stack };
        let mut limits = vec![
            NameLimit::new("the CloudFormation stack name", format!("{project}-{SLUG}-{stack}"), 128),
            NameLimit::new("the demo server's host name (a DNS label)", SLUG.to_string(), 63),
            NameLimit::new("the compose project and network names", format!("{project}-{SLUG}"), 255),
        ];
        if !longest_service.is_empty() {
            limits.push(NameLimit::new(
                "the cloud.gov app name and route host (a DNS label)",
                super::service::cloud_gov_app_name(project, SLUG, longest_service),
                63,
            ));
        }
        if !longest_backing.is_empty() {
            limits.push(NameLimit::new(
                "the compose volume names",
                format!("{project}-{SLUG}-{longest_backing}-data"),
                255,
            ));
        }
        let budget = NameBudget { limits };
        let binding = budget.binding();
        if binding.room() < MIN_ROOM {
            return Err(SlugError::NoRoom {
                project: project.to_string(),
                room: binding.room(),
                what: binding.what,
                pattern: binding.pattern.clone(),
                max: binding.max,
            });
        }
        Ok(budget)
    }

    /// The budget of `definitions`: the project's name, and the longest stack, cloud.gov service and backing
    /// service names any of its environments or demos has (a demo's, as its factory makes one).
    pub fn for_project(definitions: &Definitions) -> Result<Self, SlugError> {
        let [stack, service, backing] = Self::longest_names(definitions);
        Self::new(&definitions.project.name, &stack, &service, &backing)
    }

    /// The longest stack, cloud.gov service and backing service names the definitions' environments and
    /// demos have: what a budget is made of besides the project's name.
    pub fn longest_names(definitions: &Definitions) -> [String; 3] {
        let example = definitions.demo_factory.map(|make| make("example"));
        let project = &definitions.project;
        let envs: Vec<&crate::model::Environment> = project.environments.iter().chain(example.iter()).collect();
        let longest = |names: Vec<String>| {
            names.into_iter().max_by(|a, b| a.len().cmp(&b.len()).then_with(|| b.cmp(a))).unwrap_or_default()
        };
        let stack = longest(envs.iter().flat_map(|env| definitions.stacks_of(env)).map(|s| s.name).collect());
        let service = longest(
            envs.iter()
                .filter(|env| env.cloud_gov_target().is_some())
                .flat_map(|env| project.services_in(env))
                .filter(|s| s.on_cloud_gov)
                .map(|s| s.name)
                .collect(),
        );
        let backing = longest(envs.iter().flat_map(|env| project.backing_in(env)).map(|b| b.name).collect());
        [stack, service, backing]
    }

    /// The limit that leaves the least room, which sets the longest slug.
    pub fn binding(&self) -> &NameLimit {
        self.limits.iter().min_by_key(|l| l.room()).expect("a budget has limits")
    }

    /// The longest slug.
    pub fn max_len(&self) -> usize {
        self.binding().room()
    }

    /// Every rule `slug` breaks: the environment-name rules and each limit; empty when it fits.
    pub fn problems(&self, slug: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(why) = name_problem(slug) {
            out.push(format!("`{slug}` {why}"));
        }
        for limit in &self.limits {
            let name = limit.with(slug);
            if name.len() > limit.max {
                out.push(format!("{} `{name}` is {} characters, more than {}", limit.what, name.len(), limit.max));
            }
        }
        out
    }

    /// The slug of the demo `name_or_branch` (a name, or `feature-demo/<name>`).
    pub fn slug(&self, name_or_branch: &str) -> Result<DemoSlug, SlugError> {
        let name = demo_name(name_or_branch);
        if name.is_empty() {
            return Err(SlugError::Empty);
        }
        let max = self.max_len();
        if name_problem(name).is_none() && name.len() <= max {
            return Ok(DemoSlug { name: name.into(), slug: name.into(), why: Vec::new() });
        }
        let mut why = Vec::new();
        let mut head = fold(name);
        if head != name {
            why.push(
                "a demo's name may hold only lowercase letters, digits and single `-` inside, so letters were \
                 lowercased and everything else became `-`"
                    .to_string(),
            );
        }
        if !head.starts_with(|c: char| c.is_ascii_lowercase()) {
            head = if head.is_empty() { "demo".into() } else { format!("demo-{head}") };
            why.push("it must start with a letter, so `demo-` was put in front".into());
        }
        let room = max - 1 - HASH_HEX;
        if head.len() > room {
            head.truncate(room);
            head.truncate(head.trim_end_matches('-').len());
            let binding = self.binding();
            why.push(format!(
                "it was cut to {max} characters, because {} `{}` may have at most {}",
                binding.what, binding.pattern, binding.max
            ));
        }
        let hash = short_hash(name);
        why.push(format!(
            "`{hash}` is from a hash of the whole name, and keeps it apart from other names that read the same \
             once changed like this"
        ));
        Ok(DemoSlug { name: name.into(), slug: format!("{head}-{hash}"), why })
    }
}

/// Lowercase ASCII letters and digits kept, anything else a `-`; no `-` at either end or two in a row.
fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(out.trim_end_matches('-').len());
    out
}

/// The first [`HASH_HEX`] hex digits of the SHA-256 of `name`.
fn short_hash(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..HASH_HEX].to_string()
}

/// Why a demo's slug cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugCollision {
    /// It is a permanent environment's name.
    #[error(
        "demo `{name}` would be named `{slug}`, the name of the permanent environment `{slug}`; its stacks, apps \
         and compose project would be that environment's, so choose another demo name"
    )]
    Permanent {
        /// The demo's name.
        name: String,
        /// Its slug.
        slug: String,
    },
    /// Another demo has it.
    #[error(
        "demo `{name}` would be named `{slug}`, like demo `{other}`; they would share stacks, apps and a compose \
         project, so choose another demo name"
    )]
    Demo {
        /// The demo's name.
        name: String,
        /// The other demo's name.
        other: String,
        /// The slug both would have.
        slug: String,
    },
}

/// Refuses `candidate` when its slug is a permanent environment's name or another demo's slug. A demo
/// in `demos` with the same name is the same demo (brought up again), not a collision.
pub fn check_slug<'a>(
    candidate: &DemoSlug,
    permanent: impl IntoIterator<Item = &'a str>,
    demos: impl IntoIterator<Item = &'a DemoSlug>,
) -> Result<(), SlugCollision> {
    if permanent.into_iter().any(|p| p == candidate.slug) {
        return Err(SlugCollision::Permanent { name: candidate.name.clone(), slug: candidate.slug.clone() });
    }
    match demos.into_iter().find(|d| d.slug == candidate.slug && d.name != candidate.name) {
        Some(other) => Err(SlugCollision::Demo {
            name: candidate.name.clone(),
            other: other.name.clone(),
            slug: candidate.slug.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webapp() -> NameBudget {
        NameBudget::new("webapp", "deploy-role", "frontend", "db").unwrap()
    }

    #[test]
    fn a_name_that_fits_is_its_own_slug_from_a_name_or_a_branch() {
        for given in ["dark-mode", "feature-demo/dark-mode", "refs/heads/feature-demo/dark-mode"] {
            let s = webapp().slug(given).unwrap();
            assert_eq!((s.name.as_str(), s.slug.as_str(), s.why.len()), ("dark-mode", "dark-mode", 0), "{given}");
            assert_eq!(s.to_string(), "demo `dark-mode`");
        }
    }

    #[test]
    fn the_budget_is_set_by_the_tightest_name_and_the_project_name() {
        let budget = webapp();
        assert_eq!(budget.binding().pattern, "webapp-frontend-<slug>");
        assert_eq!(budget.max_len(), 63 - "webapp-frontend-".len());
        let longer = NameBudget::new("a-much-longer-project-name", "deploy-role", "frontend", "db").unwrap();
        assert_eq!(longer.max_len(), budget.max_len() - ("a-much-longer-project-name".len() - "webapp".len()));
        let err = NameBudget::new(&"p".repeat(50), "", "frontend", "").unwrap_err();
        assert!(err.to_string().starts_with(&format!("the project name `{}` leaves 3 characters", "p".repeat(50))));
    }

    #[test]
    fn a_folded_name_says_why_and_ends_with_its_hash() {
        let s = webapp().slug("feature-demo/Fix_Login/ÉTÉ 2").unwrap();
        assert_eq!(s.name, "Fix_Login/ÉTÉ 2");
        assert_eq!(s.slug, format!("fix-login-t-2-{}", short_hash("Fix_Login/ÉTÉ 2")));
        assert_eq!(s.why.len(), 2, "{s}");
        assert!(s.why[0].contains("lowercased"), "{s}");
        assert!(s.to_string().starts_with("demo `Fix_Login/ÉTÉ 2` is named `fix-login-t-2-"), "{s}");
    }

    #[test]
    fn a_long_name_is_cut_to_the_budget_and_says_which_name_limits_it() {
        let long = "a".repeat(60);
        let s = webapp().slug(&long).unwrap();
        assert_eq!(s.slug.len(), webapp().max_len());
        assert!(s.slug.starts_with(&"a".repeat(40)) && s.slug.ends_with(&short_hash(&long)));
        assert!(s.why[0].contains("cut to 47 characters, because the cloud.gov app name"), "{s}");
    }

    #[test]
    fn names_without_a_letter_first_get_one() {
        assert!(webapp().slug("2024-q3").unwrap().slug.starts_with("demo-2024-q3-"));
        assert!(webapp().slug("日本語").unwrap().slug.starts_with("demo-"));
        assert_eq!(webapp().slug("feature-demo/"), Err(SlugError::Empty));
    }

    #[test]
    fn collisions_name_both_sides() {
        let budget = webapp();
        let dev = budget.slug("dev").unwrap();
        let err = check_slug(&dev, ["dev", "prod"], []).unwrap_err();
        assert!(err.to_string().starts_with("demo `dev` would be named `dev`, the name of the permanent"), "{err}");
        let mine = DemoSlug { name: "Mine".into(), slug: "x-123456".into(), why: vec![] };
        let theirs = DemoSlug { name: "theirs".into(), slug: "x-123456".into(), why: vec![] };
        let err = check_slug(&mine, [], [&theirs]).unwrap_err();
        assert!(err.to_string().starts_with("demo `Mine` would be named `x-123456`, like demo `theirs`"), "{err}");
        assert_eq!(check_slug(&mine, ["dev"], [&mine.clone()]), Ok(()), "the same demo again is no collision");
    }
}
