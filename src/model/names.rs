//! The one rule every name that becomes part of a CloudFormation stack name and a cloud.gov app name
//! meets: the project's, each environment's and service's, and a feature demo's slug.

/// Why `name` cannot be part of a CloudFormation stack name and a cloud.gov app name, if it cannot.
///
/// Stack names allow `[A-Za-z][-A-Za-z0-9]*`; Cloud Foundry app names become route host names, which
/// want lowercase DNS labels. The intersection is lowercase letters, digits and single inner hyphens.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lowercase letter (it is part of stack and app names)");
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Some(
            "may hold only lowercase letters, digits and hyphens (it is part of CloudFormation stack names \
             and cloud.gov app names)",
        );
    }
    if name.ends_with('-') || name.contains("--") {
        return Some("may not end with a hyphen or hold two in a row");
    }
    None
}
