//! The integration tests, as one binary: a module per area.

mod artifacts;
mod cloudgov;
mod compose;
mod yaml_escaping;
