//! May this release go to this environment now? One pure function decides, for deploy, promote and
//! rollback alike, from the definitions, the ledger's state of the environments, the release, the actor,
//! the approvals and the time, and answers "allowed" or every rule that refuses, by name, each with a
//! message that says what would make it pass.
//!
//! The rules:
//! - **path**: a promotion follows an edge of the graph (the target lists the source in
//!   `promoted_from`); a direct deploy is refused where the trigger says only a promotion reaches the
//!   environment (`Trigger::Promotion`);
//! - **source**: the release is what the source runs now, the source's last change succeeded, and its
//!   smoke checks and bake passed (a check skipped with `--no-smoke`, a bake skipped with `--no-bake`,
//!   did not pass);
//! - **history**: a rollback brings back only a release the environment ran before and that finished
//!   healthy there; anything else reaches it by promotion, through the other rules;
//! - **ref**: the release was made on a ref the target deploys from;
//! - **approvals**: enough distinct people from the required groups approved, none of them the person
//!   running the command or the release's author;
//! - **wait**: the target's wait timer has passed since the release reached the source;
//! - **soak**: the release has run in the source as long as the edge asks, with no rollback and no
//!   alarm there ([`soak`]);
//! - **window**: the target's allow and deny windows let a deploy or promotion in now, or the run breaks
//!   the window with a reason and the approvals ([`window`]);
//! - **freeze**: the target is not frozen (a rollback may break a freeze, which is recorded);
//! - **hold**: a rolled-back environment takes no direct deploy until it is lifted.

mod soak;
mod window;

use std::collections::BTreeSet;
use std::fmt;

use crate::clock::{Timestamp, human, human_left};
use crate::ledger::{Approval, EnvState, Outcome};
use crate::model::{Environment, Trigger};
use crate::release::ReleaseInfo;

/// What is being asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `slipway deploy`: the release goes straight to the target.
    Deploy,
    /// `slipway promote` from a source environment.
    Promote,
    /// `slipway rollback`: an earlier release back onto the target.
    Rollback {
        /// `--break-freeze`.
        break_freeze: bool,
    },
}

/// A rule of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// The promotion graph.
    Path,
    /// The source environment's state.
    Source,
    /// What a rollback may bring back.
    History,
    /// The release's git ref.
    Ref,
    /// The approvals.
    Approvals,
    /// The wait timer.
    Wait,
    /// The soak on the promotion edge.
    Soak,
    /// The target's allow and deny windows.
    Window,
    /// A freeze.
    Freeze,
    /// A hold after a rollback.
    Hold,
}

impl Rule {
    /// The rule's name, as refusals print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Path => "path",
            Rule::Source => "source",
            Rule::History => "history",
            Rule::Ref => "ref",
            Rule::Approvals => "approvals",
            Rule::Wait => "wait",
            Rule::Soak => "soak",
            Rule::Window => "window",
            Rule::Freeze => "freeze",
            Rule::Hold => "hold",
        }
    }
}

/// One rule that refuses, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The rule.
    pub rule: Rule,
    /// What is wrong and what would make it pass.
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule.as_str(), self.message)
    }
}

/// What the policy is asked about.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// Deploy, promote or rollback.
    pub action: Action,
    /// The target environment.
    pub target: &'a Environment,
    /// Its state.
    pub target_state: &'a EnvState,
    /// The source of a promotion, with its state.
    pub source: Option<(&'a Environment, &'a EnvState)>,
    /// The release.
    pub release: &'a ReleaseInfo,
    /// Who runs the command.
    pub actor: &'a str,
    /// The approvals given.
    pub approvals: &'a [Approval],
    /// Now.
    pub now: Timestamp,
    /// Whether a closed window may be passed (`--break-window --reason`), which is recorded.
    pub break_window: bool,
}

/// The policy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Every rule that refuses, in rule order; empty when allowed.
    pub refusals: Vec<Refusal>,
    /// The approvals that counted.
    pub counted: Vec<Approval>,
    /// Whether the target is frozen and a rollback passes the freeze (`--break-freeze`), which is recorded.
    pub broke_freeze: bool,
    /// The window a run passes with `--break-window`, which is recorded.
    pub broke_window: Option<String>,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn allowed(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// The branch or tag name of a git ref: `refs/heads/main` is `main`, `refs/tags/v1` is `v1`.
pub fn ref_name(git_ref: &str) -> &str {
    git_ref.strip_prefix("refs/heads/").or_else(|| git_ref.strip_prefix("refs/tags/")).unwrap_or(git_ref)
}

/// Decides `req`.
pub fn decide(req: &Request<'_>) -> Decision {
    let mut refusals = Vec::new();
    let target = req.target;
    path(req, &mut refusals);
    source(req, &mut refusals);
    history(req, &mut refusals);
    reference(req, &mut refusals);
    let counted = approvals(req, &mut refusals);
    wait(req, &mut refusals);
    soak::soak(req, &mut refusals);
    let broke_window = window::window(req, &mut refusals);
    let may_break = matches!(req.action, Action::Rollback { break_freeze: true });
    let broke_freeze = may_break && req.target_state.frozen.is_some();
    if let Some(f) = &req.target_state.frozen
        && !may_break
    {
        let until = f.until.map(|u| format!(" until {u}")).unwrap_or_default();
        let hint = match req.action {
            Action::Rollback { .. } => "; a rollback may pass with --break-freeze, which is recorded",
            _ => "; `slipway unfreeze` lifts it",
        };
        refusals.push(Refusal {
            rule: Rule::Freeze,
            message: format!("`{}` is frozen{until} by {} ({}): {}{hint}", target.name, f.by.name, f.at, f.reason),
        });
    }
    // A hold stops what deploys by itself; a deploy somebody runs by hand names its release, as a
    // promotion does, and so passes.
    let automatic = matches!(target.trigger, Trigger::Push | Trigger::ReleaseTag(_));
    if let (Action::Deploy, Some(h), true) = (req.action, &req.target_state.held, automatic) {
        // Suggest only what can work: a promotion only where something is promoted into the target.
        let or_promote = if target.promoted_from.is_empty() {
            String::new()
        } else {
            format!(", or promote a release into it by name from {}", target.promoted_from.join(" or "))
        };
        refusals.push(Refusal {
            rule: Rule::Hold,
            message: format!(
                "`{}` is held since {} rolled it back to {} at {} ({}), so its automatic deploys are refused; \
                 `slipway unhold --env {}` lifts the hold{or_promote}",
                target.name, h.by.name, h.release, h.at, h.reason, target.name
            ),
        });
    }
    refusals.sort_by_key(|r| r.rule);
    Decision { refusals, counted, broke_freeze, broke_window }
}

fn path(req: &Request<'_>, refusals: &mut Vec<Refusal>) {
    let target = req.target;
    match (req.action, req.source) {
        (Action::Promote, Some((source, _))) => {
            if !target.promoted_from.contains(&source.name) {
                let from = if target.promoted_from.is_empty() {
                    "nothing is promoted into it".to_string()
                } else {
                    format!("it is promoted from {}", target.promoted_from.join(", "))
                };
                refusals.push(Refusal {
                    rule: Rule::Path,
                    message: format!("`{}` is not promoted from `{}`: {from}", target.name, source.name),
                });
            }
        }
        (Action::Promote, None) => refusals.push(Refusal {
            rule: Rule::Path,
            message: format!("a promotion into `{}` needs the environment it comes from", target.name),
        }),
        (Action::Deploy, _) => {
            if target.trigger == Trigger::Promotion {
                refusals.push(Refusal {
                    rule: Rule::Path,
                    message: format!(
                        "`{}` is reached only by promotion from {}, not deployed directly; use `slipway \
                         promote --release {} --to {}`",
                        target.name,
                        target.promoted_from.join(", "),
                        req.release.id,
                        target.name
                    ),
                });
            }
        }
        (Action::Rollback { .. }, _) => {}
    }
}

fn source(req: &Request<'_>, refusals: &mut Vec<Refusal>) {
    let (Action::Promote, Some((source, state))) = (req.action, req.source) else { return };
    let id = &req.release.id;
    let mut refuse = |message: String| refusals.push(Refusal { rule: Rule::Source, message });
    match &state.current {
        None => refuse(format!("`{}` runs no release; release {id} must reach it first", source.name)),
        Some(current) if &current.release != id => refuse(format!(
            "`{}` runs release {}, not {id}; promote what the source runs now",
            source.name, current.release
        )),
        Some(current) => {
            if let Some(skipped) = current.smoke.iter().find(|s| s.skipped) {
                refuse(format!(
                    "release {id}'s smoke check `{}` was not run in `{}` ({}), so nothing shows it healthy there; \
                     run its checks with `slipway verify --env {}`",
                    skipped.name, source.name, skipped.detail, source.name
                ));
            } else if let Some(failed) = current.smoke.iter().find(|s| !s.passed) {
                refuse(format!(
                    "release {id}'s smoke check `{}` failed in `{}`: {}",
                    failed.name, source.name, failed.detail
                ));
            }
            if let Some(bake) = current.bake.as_ref().filter(|b| !b.is_evidence()) {
                refuse(format!(
                    "release {id}'s bake was not passed in `{}` ({}), so no alarm shows it healthy there; deploy it \
                     there again without --no-bake",
                    source.name, bake.detail
                ));
            }
        }
    }
    if let Some(change) = &state.last_change
        && change.outcome != Some(Outcome::Deployed)
    {
        let how = change.outcome.map(|o| o.as_str()).unwrap_or("not finished");
        refuse(format!(
            "the last change to `{}` ({} of release {} by {}) ended {how}; it must succeed before a promotion \
                 from it",
            source.name,
            change.kind.as_str(),
            change.release.as_deref().unwrap_or("?"),
            change.by.name
        ));
    }
}

/// A rollback brings back only a release the target ran before and that finished healthy there: not a
/// side door past the path, source and wait rules a promotion must pass.
fn history(req: &Request<'_>, refusals: &mut Vec<Refusal>) {
    let Action::Rollback { .. } = req.action else { return };
    let (target, id) = (&req.target.name, &req.release.id);
    let ran: Vec<&crate::ledger::state::Deployment> =
        req.target_state.deployments.iter().filter(|d| &d.release == id).collect();
    let why = if ran.is_empty() {
        format!("`{target}` never ran release {id}")
    } else if !ran.iter().any(|d| d.healthy()) {
        format!("release {id} never finished healthy in `{target}` (its smoke checks failed or were skipped)")
    } else {
        return;
    };
    let current = req.target_state.current.as_ref().map(|c| c.release.as_str());
    let mut healthy: Vec<&str> = Vec::new();
    for d in req.target_state.deployments.iter().rev().filter(|d| d.healthy()) {
        if Some(d.release.as_str()) != current && !healthy.contains(&d.release.as_str()) {
            healthy.push(&d.release);
        }
    }
    let known = if healthy.is_empty() {
        "it ran no release that finished healthy".to_string()
    } else {
        format!("it may go back to {}", healthy.join(", "))
    };
    let way = if req.target.promoted_from.is_empty() {
        format!("deploy it (`slipway deploy --env {target} --release {id}`)")
    } else {
        format!("promote it (`slipway promote --release {id} --to {target}`)")
    };
    refusals.push(Refusal {
        rule: Rule::History,
        message: format!("{why}: a rollback brings back only a release that ran there healthy ({known}); to bring {id} to `{target}`, {way}"),
    });
}

fn reference(req: &Request<'_>, refusals: &mut Vec<Refusal>) {
    let target = req.target;
    let Some(git_ref) = req.release.git_ref.as_deref() else {
        refusals.push(Refusal {
            rule: Rule::Ref,
            message: format!(
                "release {} records no git ref, so nothing says it may deploy to `{}`; create releases with \
                 `--ref` (or in CI, where GITHUB_REF says)",
                req.release.id, target.name
            ),
        });
        return;
    };
    let name = ref_name(git_ref);
    let tag = git_ref.starts_with("refs/tags/");
    let by_tag = matches!(&target.trigger, Trigger::ReleaseTag(p) if tag && p.matches(name));
    if !(target.allows_ref(name) || by_tag) {
        let allowed: Vec<String> = target.refs.iter().map(ToString::to_string).collect();
        let tags = match &target.trigger {
            Trigger::ReleaseTag(p) => format!(", or a tag matching {p}"),
            _ => String::new(),
        };
        refusals.push(Refusal {
            rule: Rule::Ref,
            message: format!(
                "release {} was made on `{name}`, but `{}` deploys only from {}{tags}{}",
                req.release.id,
                target.name,
                if allowed.is_empty() { "no branch".to_string() } else { allowed.join(", ") },
                slash_note(target, name)
            ),
        });
    }
}

/// When a pattern would have matched `name` but for a `*` that stops at `/` (as in GitHub's branch
/// filters), says so: `*` meaning "any branch" is a common slip.
fn slash_note(target: &Environment, name: &str) -> String {
    let deeper = |p: &str| crate::model::RefPattern::new(p.replace("**", "*").replace('*', "**"));
    match target.refs.iter().find(|p| p.as_str().contains('*') && deeper(p.as_str()).matches(name)) {
        Some(p) => format!(
            " (a `*` stops at `/`, so `{p}` does not match `{name}`; write `{}` to match it)",
            deeper(p.as_str()).as_str()
        ),
        None => String::new(),
    }
}

/// Counts the approvals that count, refusing when there are too few; returns those counted.
fn approvals(req: &Request<'_>, refusals: &mut Vec<Refusal>) -> Vec<Approval> {
    let rules = &req.target.approvals;
    let eligible: BTreeSet<&str> = rules.approvers().into_iter().collect();
    let mut counted: Vec<Approval> = Vec::new();
    let mut not_counted: Vec<String> = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for a in req.approvals {
        let why = if counted.iter().any(|c| c.by == a.by) {
            Some("approved twice, counted once")
        } else if a.by == req.actor {
            Some("is the person running this")
        } else if a.by == req.release.created_by {
            Some("is the release's author")
        } else if !eligible.is_empty() && !eligible.contains(a.by.as_str()) {
            Some("is in none of the approving groups")
        } else {
            None
        };
        match why {
            Some(why) if reported.insert(a.by.as_str()) => not_counted.push(format!("{} {why}", a.by)),
            Some(_) => {}
            None => counted.push(a.clone()),
        }
    }
    let required = rules.required as usize;
    if counted.len() < required {
        let groups: Vec<&str> = rules.groups.iter().map(|g| g.name.as_str()).collect();
        let from = if groups.is_empty() { String::new() } else { format!(" from {}", groups.join(" or ")) };
        let have = if counted.is_empty() {
            "none counted".to_string()
        } else {
            format!("counted {}", counted.iter().map(|c| c.by.as_str()).collect::<Vec<_>>().join(", "))
        };
        let not =
            if not_counted.is_empty() { String::new() } else { format!("; not counted: {}", not_counted.join("; ")) };
        refusals.push(Refusal {
            rule: Rule::Approvals,
            message: format!(
                "`{}` needs {required} approval{}{from}, by people other than the one running this and the \
                 release's author ({}); {have}{not}",
                req.target.name,
                if required == 1 { "" } else { "s" },
                req.release.created_by
            ),
        });
    }
    counted
}

fn wait(req: &Request<'_>, refusals: &mut Vec<Refusal>) {
    let wait = req.target.approvals.wait;
    if wait.is_zero() {
        return;
    }
    let (Action::Promote, Some((source, state))) = (req.action, req.source) else { return };
    let Some(reached) = state.reached(&req.release.id) else { return };
    let ready = reached.at.plus(wait);
    if req.now < ready {
        refusals.push(Refusal {
            rule: Rule::Wait,
            message: format!(
                "`{}` waits {} after a release reaches `{}`: release {} reached it at {}, so it may go at {} (in {})",
                req.target.name,
                human(wait),
                source.name,
                req.release.id,
                reached.at,
                ready,
                human_left(ready.since(req.now))
            ),
        });
    }
}
