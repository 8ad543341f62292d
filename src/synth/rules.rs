//! `slipway/project.json`: the project's rules as data, what the engine reads of the definitions: the
//! environments (targets, refs, triggers, edges, approvals, smoke checks, rollback), the services, the
//! GitHub settings, and what a feature demo needs to be named and found. Written with every full synthesis,
//! so that a pull request's diff shows a change of rules as plainly as a change of templates.
//!
//! The format has a version: an engine refuses rules of a newer format than it reads, naming both, rather
//! than misreading them.

use serde::{Deserialize, Serialize};

use crate::model::{Definitions, Environment, NameBudget, Project, SlugError};

/// The file the rules are in, under `slipway/`.
pub const RULES_FILE: &str = "project.json";

/// The rules' format version this slipway writes and reads.
pub const FORMAT: u32 = 1;

/// The project's rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// [`FORMAT`].
    pub format: u32,
    /// The slipway version of the definitions that wrote them.
    pub slipway_version: String,
    /// The project, with the feature demos synthesized among its environments.
    pub project: Project,
    /// What feature demos need, when the project makes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demos: Option<DemoRules>,
}

/// What the engine needs to name and find a project's feature demos without running its demo factory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoRules {
    /// The longest stack, cloud.gov service and backing service names, which set how long a demo's slug
    /// may be ([`NameBudget`]).
    pub longest_names: [String; 3],
    /// The demo the factory makes of the name `example`: where demos deploy (their account and region,
    /// their Docker host), for `demo ls` and `demo gc`.
    pub example: Environment,
}

/// Why rules cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Not JSON of the rules' shape.
    #[error("`slipway/{RULES_FILE}` cannot be read: {0}")]
    Unreadable(String),
    /// A newer format.
    #[error(
        "`slipway/{RULES_FILE}` is in format {found}, written by slipway {by}; this slipway ({}) reads format {FORMAT} \
         and older: install the slipway the definitions depend on",
        env!("CARGO_PKG_VERSION")
    )]
    Newer {
        /// The format found.
        found: u32,
        /// The version that wrote it.
        by: String,
    },
}

impl Rules {
    /// The rules of `definitions`.
    pub fn of(definitions: &Definitions) -> Rules {
        Rules {
            format: FORMAT,
            slipway_version: env!("CARGO_PKG_VERSION").into(),
            project: definitions.project.clone(),
            demos: definitions.demo_factory.map(|make| DemoRules {
                longest_names: NameBudget::longest_names(definitions),
                example: make("example"),
            }),
        }
    }

    /// The file's text: pretty JSON, keys in the model's order, a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("rules serialize");
        text.push('\n');
        text
    }

    /// Rules read back from `bytes`.
    pub fn read(bytes: &[u8]) -> Result<Rules, RulesError> {
        #[derive(Deserialize)]
        struct Head {
            format: u32,
            #[serde(default)]
            slipway_version: String,
        }
        let head: Head = serde_json::from_slice(bytes).map_err(|e| RulesError::Unreadable(e.to_string()))?;
        if head.format > FORMAT {
            return Err(RulesError::Newer { found: head.format, by: head.slipway_version });
        }
        serde_json::from_slice(bytes).map_err(|e| RulesError::Unreadable(e.to_string()))
    }

    /// The budget demos' slugs fit, or `None` when the project makes no demos.
    pub fn demo_budget(&self) -> Option<Result<NameBudget, SlugError>> {
        let d = self.demos.as_ref()?;
        let [stack, service, backing] = &d.longest_names;
        Some(NameBudget::new(&self.project.name, stack, service, backing))
    }
}
