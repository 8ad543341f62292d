//! slipway's integration tests, built as one test binary so that linking stays fast. One module per area.

mod support;

mod cfn_lint;
mod check;
mod cli;
mod diff;
mod flows;
mod resource_data;
mod synth;
mod templates;
