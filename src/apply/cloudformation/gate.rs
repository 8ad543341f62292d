//! The approval gate: which changes a person must approve before they run, decided from the diff of the
//! recorded (deployed) template against the new one, the same value `slipway diff` shows. A change that
//! broadens access (an added `Allow`, a removed `Deny`, an attached policy, an opened port) stops a
//! `broadening` gate; one that narrows access does not.
//!
//! Without a terminal and without `--yes`, a change that needs approval cannot get it: the deploy is
//! refused before anything changes, naming every stack that needs approval.

use serde_json::Value;

use crate::diff::{Change, StackDiff, TemplateDiff, diff_templates, parse_template};

use super::{Deploy, StackPlan};

/// When a change set must be approved before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalMode {
    /// Never ask.
    Never,
    /// Ask when a change broadens access: IAM statements, policy attachments, security-group rules.
    Broadening,
    /// Ask for every change.
    AnyChange,
}

/// Asks a person whether a change may run.
pub trait Approver {
    /// Whether the change of `stack` (shown to them as `diff`) may be executed.
    fn approve(&mut self, stack: &str, diff: &StackDiff) -> bool;
}

impl ApprovalMode {
    /// Whether `diff` needs approval under this mode.
    pub fn needs_approval(self, diff: &TemplateDiff) -> bool {
        match self {
            ApprovalMode::Never => false,
            ApprovalMode::AnyChange => !diff.is_empty(),
            ApprovalMode::Broadening => diff.security.iter().any(|s| s.broadens),
        }
    }

    fn what(self) -> &'static str {
        match self {
            ApprovalMode::AnyChange => "changes",
            _ => "broadens access (see the security changes above)",
        }
    }
}

impl Deploy<'_> {
    /// The diff of what stack `sp` holds now (as recorded) against what this deploy brings.
    pub(super) fn stack_diff(&self, sp: &StackPlan) -> StackDiff {
        let previous = &self.previous[&sp.short];
        let parse = |text: &str| parse_template(text).unwrap_or(Value::Object(Default::default()));
        let (old, change) = match &previous.state {
            Some(_) => (parse(&previous.template), Change::Modified),
            None => (Value::Object(Default::default()), Change::Added),
        };
        StackDiff { name: sp.short.clone(), change, template: diff_templates(&old, &parse(&sp.template)) }
    }

    /// Whether the change of `sp`, shown as `diff`, needs approval: under `any-change` a change of the
    /// parameters alone counts too (a new release's `Release` changes what a function runs).
    fn needs_approval(&self, sp: &StackPlan, diff: &StackDiff) -> bool {
        let parameters_change = || {
            let previous = self.previous[&sp.short].state.as_ref().map(|s| &s.parameters);
            previous.is_some_and(|p| *p != sp.parameters)
        };
        self.opts.approval.needs_approval(&diff.template)
            || (self.opts.approval == ApprovalMode::AnyChange && parameters_change())
    }

    /// Before anything changes: when changes need approval and nobody can be asked, the reason to refuse
    /// the whole deploy, with every such stack's diff reported.
    pub(super) fn refuse_unapprovable(&self) -> Option<String> {
        if self.opts.yes || self.opts.interactive || self.opts.approval == ApprovalMode::Never {
            return None;
        }
        let mut gated = Vec::new();
        for sp in &self.plan.stacks {
            let diff = self.stack_diff(sp);
            if self.needs_approval(sp, &diff) {
                self.reporter.borrow_mut().report(super::Report::Changes { stack: &sp.name, diff: &diff });
                gated.push(sp.name.clone());
            }
        }
        if gated.is_empty() {
            return None;
        }
        let verb = match (gated.len(), self.opts.approval) {
            (1, ApprovalMode::AnyChange) => "changes and needs",
            (_, ApprovalMode::AnyChange) => "change and need",
            (1, _) => "broadens access and needs",
            _ => "broaden access and need",
        };
        Some(format!(
            "{} {verb} approval, but there is no terminal to ask on; review the changes above and rerun \
             with --yes (or with --require-approval never)",
            gated.join(", "),
        ))
    }

    /// `Some(why)` when the change of `sp`, shown as `diff`, needs an approval it did not get.
    pub(super) fn gate(&self, sp: &StackPlan, diff: &StackDiff) -> Option<String> {
        if self.opts.yes || !self.needs_approval(sp, diff) {
            return None;
        }
        let stack = &sp.name;
        let what = self.opts.approval.what();
        if !self.opts.interactive {
            return Some(format!(
                "the change {what} and needs approval, but there is no terminal to ask on; review it and rerun \
                 with --yes, or with --require-approval never"
            ));
        }
        if self.approver.borrow_mut().approve(stack, diff) {
            None
        } else {
            Some(format!("the change {what} and was not approved"))
        }
    }
}
