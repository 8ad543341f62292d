//! Releases, the ledger and the locks, in both stores, and the commands that read and change them.

pub mod cli;
pub mod store;
