//! slipway's integration tests, built as one test binary so that linking stays fast. One module per area.

mod support;

mod artifacts;
mod cfn_lint;
mod check;
mod cli;
mod cloudgov;
mod compose;
mod deploy;
mod diff;
mod diff_deployed;
mod diff_files;
mod diff_yaml;
mod faults;
mod flows;
mod moto;
mod resource_data;
mod synth;
mod templates;
mod yaml_escaping;
