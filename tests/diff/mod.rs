//! `slipway diff`: templates compared by meaning, files, YAML read as CloudFormation reads it, and what is deployed.

pub mod command;
pub mod deployed;
pub mod files;
pub mod impacts;
pub mod render;
pub mod security;
pub mod templates;
pub mod yaml;
pub mod yaml_writer;
