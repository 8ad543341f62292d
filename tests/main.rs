//! slipway's integration tests, built as one test binary so that linking stays fast. One module per area.

mod support;

mod artifacts;
mod cfn_lint;
mod check;
mod checkov;
mod cli;
mod cloudgov;
mod compose;
mod deploy;
mod diff;
mod diff_deployed;
mod diff_files;
mod diff_yaml;
mod exit_codes;
mod faults;
mod flows;
mod layers;
mod moto;
mod moto_patches;
mod reference_deploy;
mod resource_data;
mod scale;
mod synth;
mod templates;
mod yaml_escaping;
