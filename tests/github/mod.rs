//! GitHub environments applied, and the drift workflow's issues kept, through servers that answer as
//! GitHub documents.

pub mod apply;
pub mod drift;
