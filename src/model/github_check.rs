//! `slipway check`'s rules for what the definitions become on GitHub: every ref pattern must be sayable,
//! exactly, as a workflow filter and as an environment's deployment branch policy (and as an IAM trust
//! condition where a role trusts refs), and the environments' protection must fit what GitHub's API
//! takes (six reviewers). The wait is not GitHub's to hold (slipway's policy counts it, once), so GitHub's
//! limit on its wait timer does not apply.

use super::environment::{Environment, Tier, Trigger};
use super::git_ref::RefPattern;
use super::problem::Problem;
use super::project::Definitions;
use super::ref_forms::RefForm;

/// The most reviewers GitHub lets an environment list.
pub const MAX_REVIEWERS: usize = 6;

/// Checks the project's GitHub settings and what each environment becomes on GitHub.
pub fn check_github(project: &Definitions, envs: &[&Environment], problems: &mut Vec<Problem>) {
    for env in envs {
        check_refs(env, problems);
        if env.tier != Tier::Demo {
            check_protection(env, problems);
        }
    }
    let settings = &project.github;
    if let Some(store) = &settings.store
        && (!store.starts_with("s3://") || store.contains("${{"))
    {
        problems.push(Problem::new(
            "",
            "github.store",
            format!(
                "`{store}` is not an S3 store (`s3://bucket/prefix`); every CI runner is a fresh machine, so they \
                 must share one (or leave it unset to read the repository variable `SLIPWAY_STORE`)"
            ),
        ));
    }
    if settings.runs_on.trim().is_empty() {
        problems.push(Problem::new("", "github.runs_on", "is empty; name a runner such as `ubuntu-24.04`"));
    }
    if settings.demo_gc_schedule.split_whitespace().count() != 5 {
        problems.push(Problem::new(
            "",
            "github.demo_gc_schedule",
            format!("`{}` is not a cron line of five fields", settings.demo_gc_schedule),
        ));
    }
    if let Some(factory) = project.demo_factory {
        let pattern = &settings.demo_branches;
        if demo_prefix(pattern).is_none() {
            problems.push(Problem::new(
                "",
                "github.demo_branches",
                format!(
                    "`{pattern}` must be a branch prefix followed by `/**` (`feature-demo/**`): the workflow that \
                     takes a demo down when its branch is deleted can only compare prefixes"
                ),
            ));
        } else {
            let sample = factory("example");
            for r in sample.refs.iter().filter(|r| !pattern.matches(r.as_str())) {
                problems.push(Problem::new(
                    "",
                    "github.demo_branches",
                    format!(
                        "`{pattern}` does not match `{r}`, a branch the demo factory deploys from; the demo \
                         workflow would never run for it"
                    ),
                ));
            }
        }
    }
}

/// `feature-demo/` of `feature-demo/**`: the literal prefix of a pattern that is one, followed by `/**`.
pub fn demo_prefix(pattern: &RefPattern) -> Option<&str> {
    let prefix = pattern.as_str().strip_suffix("**")?;
    (prefix.ends_with('/') && !RefPattern::new(prefix.trim_end_matches('/')).is_glob() && prefix.len() > 1)
        .then_some(prefix)
}

fn check_refs(env: &Environment, problems: &mut Vec<Problem>) {
    // Permanent environments' jobs run in a GitHub environment (filters and branch policies); a demo's run
    // without one, so a demo's AWS role trusts its refs directly.
    let mut forms = vec![RefForm::WorkflowFilter, RefForm::BranchPolicy];
    if env.tier == Tier::Demo && env.aws_target().is_some() {
        forms.push(RefForm::TrustCondition);
    }
    let mut patterns: Vec<(&str, &RefPattern)> = env.refs.iter().map(|r| ("refs", r)).collect();
    if let Trigger::ReleaseTag(tag) = &env.trigger {
        patterns.push(("trigger", tag));
    }
    for (field, pattern) in patterns {
        if pattern.problem().is_some() {
            continue; // reported by the model's own rules
        }
        for form in &forms {
            if let Some(e) = pattern.unexpressible_as(*form) {
                problems.push(Problem::new(&env.name, field, e.to_string()));
            }
        }
    }
}

fn check_protection(env: &Environment, problems: &mut Vec<Problem>) {
    let a = &env.approvals;
    if a.approvers().len() > MAX_REVIEWERS && a.groups.len() > MAX_REVIEWERS {
        problems.push(Problem::new(
            &env.name,
            "approvals",
            format!(
                "names {} groups of {} people; a GitHub environment lists at most {MAX_REVIEWERS} reviewers (people, \
                 or teams when there are more people), so merge some groups",
                a.groups.len(),
                a.approvers().len()
            ),
        ));
    }
}
