//! One thing wrong with the definitions, as `slipway check` reports it: the environment, the field and
//! what to do. Every rule of the model (and the template checks of `synth`) reports in this shape.

use std::fmt;

/// One thing wrong with the definitions, naming the environment and the field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The environment the problem is in (empty for project-wide problems).
    pub environment: String,
    /// The field, or path, that is wrong (`promoted_from`, `Resources/Bucket/Properties/Foo`).
    pub field: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Problem {
    /// A problem with `field` of environment `env`.
    pub fn new(env: impl Into<String>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { environment: env.into(), field: field.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.environment.is_empty() {
            write!(f, "{}: {}", self.field, self.message)
        } else {
            write!(f, "environment `{}`, {}: {}", self.environment, self.field, self.message)
        }
    }
}

/// Every problem found in the definitions: what `check` and `synth` refuse with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the definitions have {} problem{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
pub struct Problems(pub Vec<Problem>);
