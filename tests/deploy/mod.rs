//! Deploys, promotions and rollbacks against the CloudFormation API on loopback: stacks, the reference environment, the flows walked, the gates.

pub mod bootstrap;
pub mod compose_flow;
pub mod compose_only;
pub mod controls;
pub mod failures;
pub mod gates;
pub mod host_order;
pub mod hosts;
pub mod images;
pub mod localstack;
pub mod promote;
pub mod reference;
pub mod runs;
pub mod stacks;
pub mod walks;
pub mod world;
