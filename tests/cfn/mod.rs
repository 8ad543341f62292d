//! The CloudFormation resource-type facts the checks and the diff read.

pub mod resource_data;
