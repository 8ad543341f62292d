//! slipway's integration tests, built as one test binary so that linking stays fast. One module per area.

mod support;

mod cfn_lint;
mod check;
mod cli;
mod diff;
mod diff_deployed;
mod flows;
mod moto;
mod resource_data;
mod synth;
mod templates;
