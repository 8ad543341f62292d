//! The soak rule: a promotion edge may ask that the release has run in the source for a time, with no
//! rollback and no alarm there since it arrived, counted from the ledger. A release that an alarm (or any
//! failure) rolled back in the source soaks again only from the next time it reaches it.

use crate::clock::{human, human_left};

use super::{Action, Refusal, Request, Rule};

/// Refuses a promotion whose release has not soaked in the source for as long as the edge asks.
pub(super) fn soak(req: &Request<'_>, refusals: &mut Vec<Refusal>) {
    let (Action::Promote, Some((source, state))) = (req.action, req.source) else { return };
    let Some(soak) = req.target.soak.get(&source.name).copied() else { return };
    let (id, target, from) = (&req.release.id, &req.target.name, &source.name);
    let needs = format!(
        "`{target}` takes a release from `{from}` only after it has run there for {} with no rollback and no alarm",
        human(soak)
    );
    let reached = state.reached(id);
    let setback = state.setbacks.iter().rev().find(|s| &s.release == id && reached.is_none_or(|d| s.at >= d.at));
    let message = match (reached, setback) {
        (_, Some(s)) => {
            let what = match &s.alarm {
                Some(a) => {
                    format!("alarm `{}` went to ALARM at {} ({}), and it was rolled back", a.name, a.at, a.reason)
                }
                None => s.what.clone(),
            };
            format!(
                "{needs}: in `{from}` release {id} had a setback at {}: {what}; it may go {} after it next reaches \
                 `{from}` and stays there healthy",
                s.at,
                human(soak)
            )
        }
        (None, None) => {
            format!("{needs}: release {id} has not reached `{from}`; it may go {} after it does", human(soak))
        }
        (Some(d), None) => {
            let ready = d.at.plus(soak);
            if req.now >= ready {
                return;
            }
            format!(
                "{needs}: release {id} reached it at {}, so it may go at {ready} (in {}), if no rollback or alarm \
                 comes first",
                d.at,
                human_left(ready.since(req.now))
            )
        }
    };
    refusals.push(Refusal { rule: Rule::Soak, message });
}
