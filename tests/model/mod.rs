//! The definitions: what `check` refuses, ref patterns in every form, and the reference flows.

pub mod check;
pub mod flows;
pub mod ref_forms;
pub mod reference_flows;
