//! CloudFormation: a typed template model, intrinsic functions as a Rust enum, typed constructors for the
//! resources the reference stacks use, and validation against the published resource-type facts.

pub mod deps;
mod expr;
pub mod patterns;
pub mod resource_types;
pub mod resources;
mod template;
pub mod validate;

pub use expr::{Expr, PSEUDO_PARAMETERS, sub_placeholders};
pub use template::{Output, Parameter, ParameterType, Policy, Resource, Stack, Template, stack_name};
