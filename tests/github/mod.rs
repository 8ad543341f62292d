//! GitHub environments applied through a server that answers as GitHub documents.

pub mod apply;
