//! External judges of every synthesized template (cfn-lint and checkov) and workflow (actionlint and
//! zizmor; the workflow schema is `tests/synth/workflows.rs`'s).

pub mod cfn_lint;
pub mod checkov;
pub mod workflows;
