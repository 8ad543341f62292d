//! Smoke checks after the last stack: an HTTP GET of a URL a stack output holds ([`crate::apply::smoke`]).
//! A failing check fails the deploy, which then rolls the environment back. Checks of a URL the compose
//! target publishes are not the stacks' to run: whoever brings the compose project up runs them.

use crate::apply::smoke::{SmokeResult, run};
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
            let (result, cause) = run(check, &url, &self.opts.poll, |text| self.note(text)).await;
            results.push(result);
            if cause.is_some() {
                return (results, cause);
            }
        }
        (results, None)
    }
}
