//! External judges of every synthesized template: cfn-lint and checkov.

pub mod cfn_lint;
pub mod checkov;
