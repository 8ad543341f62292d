//! Smoke checks after the last stack: an HTTP GET of a URL a stack output holds ([`crate::apply::smoke`]).
//! A failing check fails the deploy, which then rolls the environment back. Checks of a URL the compose
//! target publishes are not the stacks' to run: whoever brings the compose project up runs them.

use crate::apply::smoke::{SmokeResult, get};
use crate::model::SmokeUrl;

use super::Deploy;

impl Deploy<'_> {
    /// Runs the environment's smoke checks, stopping at the first that fails; every result, and the cause
    /// of the failure if one failed.
    pub(super) async fn smoke(&self) -> (Vec<SmokeResult>, Option<String>) {
        let mut results = Vec::new();
        for check in &self.plan.smoke_checks {
            let SmokeUrl::Stack(output) = &check.url else { continue };
            let failed = |detail: String| SmokeResult { name: check.name.clone(), passed: false, detail };
            let Some(stack) = self.plan.stacks.iter().find(|s| s.short == output.stack) else {
                let why = format!("it reads stack `{}`, which this deploy does not have", output.stack);
                results.push(failed(why.clone()));
                return (results, Some(format!("smoke check `{}`: {why}", check.name)));
            };
            let url = match self.cloud.describe_stack(&stack.name).await {
                Ok(Some(s)) => s.outputs.get(&output.output).cloned(),
                _ => None,
            };
            let Some(url) = url else {
                let why = format!("stack {} has no output `{}` to read the URL from", stack.name, output.output);
                results.push(failed(why.clone()));
                return (results, Some(format!("smoke check `{}`: {why}", check.name)));
            };
            self.note(&format!("smoke check `{}`: GET {url}{}", check.name, check.path));
            match get(check, &url, &self.opts.poll).await {
                Ok(status) => {
                    self.note(&format!("smoke check `{}` passed ({status})", check.name));
                    results.push(SmokeResult {
                        name: check.name.clone(),
                        passed: true,
                        detail: format!("GET {url}{} answered {status}", check.path),
                    });
                }
                Err(why) => {
                    results.push(failed(why.clone()));
                    return (results, Some(format!("smoke check `{}` failed: {why}", check.name)));
                }
            }
        }
        (results, None)
    }
}
