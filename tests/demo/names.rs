//! The name budget of feature demos, as a property: whatever branch a person pushes (unicode, slashes,
//! 300 characters, two names that differ only past the cut), its slug is valid in every name it becomes
//! part of, checked here independently of the budget's own arithmetic, and two different names never get
//! one slug.

use proptest::prelude::*;
use slipway::model::{NameBudget, demo_name, name_problem};

/// The reference project's budget, and one for a project whose long name leaves little room.
fn budgets() -> [(String, String, NameBudget); 2] {
    let reference = webapp::project();
    let long = "a-rather-long-project-name-x";
    [
        ("webapp".into(), "deploy-role".into(), NameBudget::for_project(&reference).unwrap()),
        (long.into(), "monitoring".into(), NameBudget::new(long, "monitoring", "frontend", "db").unwrap()),
    ]
}

fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Every rule a slug meets, written out again rather than asked of the budget.
fn violations(project: &str, stack: &str, slug: &str) -> Vec<String> {
    let mut out = Vec::new();
    let stack_name = format!("{project}-{slug}-{stack}");
    let stack_ok = stack_name.len() <= 128
        && stack_name.starts_with(|c: char| c.is_ascii_alphabetic())
        && stack_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !stack_ok {
        out.push(format!("stack name {stack_name}"));
    }
    for component in ["frontend", "backend"] {
        let app = format!("{project}-{component}-{slug}");
        if !is_dns_label(&app) {
            out.push(format!("cloud.gov app name / route host {app}"));
        }
    }
    if !is_dns_label(slug) {
        out.push(format!("host name label {slug}"));
    }
    let compose = format!("{project}-{slug}");
    let compose_ok = compose.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && compose.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !compose_ok {
        out.push(format!("compose project {compose}"));
    }
    // Bucket names CloudFormation derives from the stack name: lowercase, no dots, so never `..` or an IP.
    if slug.contains('.') || slug.bytes().any(|b| b.is_ascii_uppercase()) {
        out.push(format!("bucket-name part {slug}"));
    }
    if let Some(why) = name_problem(slug) {
        out.push(format!("environment name {slug}: {why}"));
    }
    out
}

/// Names as people write branches: any characters (control and non-ASCII included), sometimes with
/// the `feature-demo/` prefix, up to 300 characters.
fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..300).prop_map(String::from_iter),
        "(feature-demo/)?[a-zA-Z0-9/_. é日-]{1,300}",
        "[a-z][a-z0-9-]{0,70}",
    ]
}

proptest! {
    #[test]
    fn every_slug_fits_every_name_it_becomes_part_of(name in any_name()) {
        for (project, stack, budget) in budgets() {
            let Ok(slug) = budget.slug(&name) else {
                prop_assert!(demo_name(&name).is_empty(), "only an empty name has no slug: {name:?}");
                continue;
            };
            prop_assert_eq!(violations(&project, &stack, &slug.slug), Vec::<String>::new(), "{:?}", name);
            prop_assert_eq!(budget.problems(&slug.slug), Vec::<String>::new());
            prop_assert!(slug.slug.len() <= budget.max_len());
            prop_assert_eq!(&budget.slug(&name).unwrap(), &slug, "deterministic");
            prop_assert_eq!(slug.why.is_empty(), slug.slug == slug.name, "a changed name says why: {}", slug);
        }
    }

    #[test]
    fn different_names_never_share_a_slug(a in any_name(), b in any_name()) {
        prop_assume!(demo_name(&a) != demo_name(&b) && !demo_name(&a).is_empty() && !demo_name(&b).is_empty());
        for (_, _, budget) in budgets() {
            prop_assert_ne!(budget.slug(&a).unwrap().slug, budget.slug(&b).unwrap().slug, "{:?} / {:?}", a, b);
        }
    }

    #[test]
    fn names_that_differ_only_past_the_cut_get_different_slugs(
        base in "[a-z][a-z0-9-]{60,250}",
        x in "[a-z0-9]{1,8}",
        y in "[a-z0-9]{1,8}",
    ) {
        prop_assume!(x != y);
        for (_, _, budget) in budgets() {
            let (a, b) = (format!("{base}{x}"), format!("{base}-{y}"));
            let (sa, sb) = (budget.slug(&a).unwrap(), budget.slug(&b).unwrap());
            prop_assert_ne!(&sa.slug, &sb.slug);
            prop_assert!(sa.why.iter().any(|w| w.contains("cut to")), "{}", sa);
        }
    }
}

#[test]
fn a_branch_and_its_demo_name_are_the_same_demo() {
    for (_, _, budget) in budgets() {
        for name in ["Checkout Redesign", "dark-mode", &"x".repeat(300)] {
            assert_eq!(budget.slug(name), budget.slug(&format!("feature-demo/{name}")));
        }
    }
}
