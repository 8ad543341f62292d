//! Feature demos: their names, the engine operations on a real Docker engine, and the CLI.

pub mod cli;
pub mod engine;
pub mod local;
pub mod names;
pub mod try_it;
