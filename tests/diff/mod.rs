//! `slipway diff`: templates compared by meaning, files, YAML read as CloudFormation reads it, and what is deployed.

pub mod deployed;
pub mod files;
pub mod templates;
pub mod yaml;
