//! `slipway graph`: the promotion graph as Mermaid (which renders in a GitHub comment) or Graphviz dot:
//! each environment with its refs and trigger, each edge labelled with the gate into its target
//! (approvals, groups, wait timer).

use super::{CliError, Exit, Streams, checked};
use crate::model::Definitions;
use crate::synth::graph;

/// Draws the promotion graph: environments with their refs and trigger, edges labelled with the gate into
/// the target (approvals, their groups, the wait timer).
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Mermaid (a `flowchart` GitHub renders in comments and Markdown) or Graphviz dot.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

pub fn run(d: &Definitions, args: &GraphArgs, io: &mut Streams) -> Result<Exit, CliError> {
    checked(d)?;
    let text = match args.format {
        Format::Mermaid => graph::mermaid(d),
        Format::Dot => graph::dot(d),
    };
    io.out.write_all(text.as_bytes())?;
    Ok(Exit::Success)
}
