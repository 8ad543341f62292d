//! CloudFormation's own replacement verdicts, read from a change set, as impacts the diff can take over
//! its own: a change set knows things slipway's offline facts cannot (a conditional replacement that will
//! not happen with these values, say), so where it has a verdict, that verdict wins.

use std::collections::BTreeMap;

use super::Impact;
#[cfg(feature = "engine")]
use crate::cloud::{Recreation, Replacement, ResourceChange};

/// Replacement verdicts of a change set, by logical ID.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdicts {
    /// Each modified resource's verdict: `replace`, `may-replace` or `update`.
    pub resources: BTreeMap<String, Impact>,
    /// Per resource, each top-level property's verdict.
    pub properties: BTreeMap<String, BTreeMap<String, Impact>>,
}

impl Verdicts {
    /// The verdicts of a change set's resource changes (those CloudFormation gave a verdict for).
    #[cfg(feature = "engine")]
    pub fn of(changes: &[ResourceChange]) -> Verdicts {
        let mut verdicts = Verdicts::default();
        for change in changes {
            let Some(replacement) = change.replacement else { continue };
            let impact = match replacement {
                Replacement::Always => Impact::Replace,
                Replacement::Conditional => Impact::MayReplace,
                Replacement::Never => Impact::Update,
            };
            verdicts.resources.insert(change.logical_id.clone(), impact);
            for detail in change.details.iter().filter(|d| d.attribute == "Properties") {
                let Some(property) = &detail.name else { continue };
                let impact = match detail.recreation {
                    Recreation::Always => Impact::Replace,
                    Recreation::Conditionally => Impact::MayReplace,
                    Recreation::Never => Impact::Update,
                };
                let per_resource = verdicts.properties.entry(change.logical_id.clone()).or_default();
                // A property can appear in several details (direct and through a reference): the worst counts.
                let slot = per_resource.entry(property.clone()).or_insert(impact);
                *slot = (*slot).max(impact);
            }
        }
        verdicts
    }
}
