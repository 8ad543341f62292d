//! What `slipway synth` writes, judged by the published schemas, snapshotted, and at scale.

pub mod artifacts;
pub mod cloudgov;
pub mod compose;
pub mod github_run;
pub mod graph;
pub mod output;
pub mod scale;
pub mod templates;
pub mod workflows;
pub mod yaml_escaping;
