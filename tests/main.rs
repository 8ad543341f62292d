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
mod github_apply;
mod graph;
mod layers;
mod ledger_cli;
mod moto;
mod moto_patches;
mod policy;
mod promote_cli;
mod ref_forms;
mod reference_deploy;
mod reference_flows;
mod resource_data;
mod state;
mod synth;
mod templates;
mod walks;
mod workflows;
mod yaml_escaping;
