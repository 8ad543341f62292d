//! The status page (`slipway status --format html`), judged by headless Chromium on every reference flow.

pub mod browser;
pub mod page;
