//! The command line as a user meets it: arguments, messages, and every documented exit status.

pub mod commands;
pub mod exit_codes;
pub mod init;
