//! Smoke checks after the last stack, through the one loop of [`crate::apply::smoke`]: a check reads its
//! base URL from a stack output. A failing check fails the deploy, which then rolls the environment back.
//! Checks of a URL the compose target publishes are not the stacks' to run: whoever brings the compose
//! project up runs them.

use crate::apply::smoke::{SmokeFailure, SmokeResult, run_all};
use crate::model::SmokeUrl;

use super::Deploy;

impl Deploy<'_> {
    /// Runs the environment's smoke checks, stopping at the first that fails; every result, and the cause
    /// of the failure if one failed.
    pub(super) async fn smoke(&self) -> (Vec<SmokeResult>, Option<String>) {
        let resolve = async |url: &SmokeUrl| {
            let SmokeUrl::Stack(output) = url else { return Ok(None) };
            let Some(stack) = self.plan.stacks.iter().find(|s| s.short == output.stack) else {
                let why = format!("it reads stack `{}`, which this deploy does not have", output.stack);
                return Err(SmokeFailure::NoUrl(why));
            };
            let found = match self.cloud.describe_stack(&stack.name).await {
                Ok(Some(s)) => s.outputs.get(&output.output).cloned(),
                _ => None,
            };
            match found {
                Some(url) => Ok(Some(url)),
                None => Err(SmokeFailure::NoUrl(format!(
                    "stack {} has no output `{}` to read the URL from",
                    stack.name, output.output
                ))),
            }
        };
        run_all(&self.plan.smoke_checks, resolve, &self.opts.poll, |text| self.note(text)).await
    }
}
