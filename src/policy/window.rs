//! The window rule: a deploy or promotion happens only when the target's windows let it in, inside an
//! allow window (when it has any) and inside no deny window, read in each window's own time zone at the
//! policy's clock. A refusal says when the next window opens. `--break-window --reason` passes it, with the
//! approvals a promotion into the target needs (the approvals rule counts them), and is recorded. A
//! rollback is never kept out: going back is how a bad change is undone, in or out of a window.

use crate::clock::{Timestamp, human_left};
use crate::model::{Schedule, WindowRule, next_open, open_at};

use super::{Action, Refusal, Request, Rule};

/// Refuses `req` when the target's windows keep it out, unless it breaks the window; returns the window
/// it breaks, to be recorded.
pub(super) fn window(req: &Request<'_>, refusals: &mut Vec<Refusal>) -> Option<String> {
    let target = req.target;
    if matches!(req.action, Action::Rollback { .. }) || target.windows.is_empty() {
        return None;
    }
    let what = if req.action == Action::Promote { "promotion" } else { "deploy" };
    let mut refuse = |message: String| refusals.push(Refusal { rule: Rule::Window, message });
    let schedules: Result<Vec<Schedule>, String> =
        target.windows.iter().map(|w| w.schedule().map_err(|e| format!("`{w}`: {e}"))).collect();
    let schedules = match schedules {
        Ok(s) => s,
        Err(why) => {
            refuse(format!(
                "the windows of `{}` cannot be read ({why}); `slipway check` says what to fix",
                target.name
            ));
            return None;
        }
    };
    let Ok(now) = jiff::Timestamp::from_millisecond(req.now.unix_millis()) else { return None };
    let closed_by = match open_at(&schedules, now) {
        Ok(()) => return None,
        Err(closed_by) => closed_by,
    };
    let allows: Vec<&Schedule> = schedules.iter().filter(|s| s.rule == WindowRule::Allow).collect();
    let why = match closed_by {
        Some(deny) => {
            format!("`{}` takes no {what} in its window `{}` ({} there)", target.name, deny.text, deny.local(now))
        }
        None => format!(
            "`{}` takes a {what} only inside its allow window{} {} ({} there)",
            target.name,
            if allows.len() == 1 { "" } else { "s" },
            allows.iter().map(|s| format!("`{}`", s.text)).collect::<Vec<_>>().join(", "),
            allows[0].local(now)
        ),
    };
    let broken = closed_by.map(|d| d.text.clone()).unwrap_or_else(|| {
        format!("outside {}", allows.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(", "))
    });
    if req.break_window {
        return Some(broken);
    }
    let next = match next_open(&schedules, now) {
        Some(at) => {
            let local = closed_by.or(allows.first().copied()).map(|s| s.local(at)).unwrap_or_default();
            let at_ts = Timestamp::from_unix_millis(at.as_millisecond());
            format!("the next window opens at {at_ts} ({local}, in {})", human_left(at_ts.since(req.now)))
        }
        None => "no window opens in the next 400 days".to_string(),
    };
    let approvals = match target.approvals.required {
        0 => String::new(),
        n => format!(", with the {n} approval{} a promotion into it needs", if n == 1 { "" } else { "s" }),
    };
    refuse(format!("{why}; {next}; `--break-window --reason TEXT` passes it{approvals}, and is recorded"));
    None
}
