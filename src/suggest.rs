//! "Did you mean …?" for names a user mistyped: environments, resource types, properties.

/// The candidate closest to `name`, if one is close enough to be a plausible typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` when there is a close candidate, else nothing: ready to append to a message.
pub fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(name, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name_and_nothing_for_strangers() {
        let envs = ["dev", "test", "staging", "prod"];
        assert_eq!(closest("stagign", envs), Some("staging"));
        assert_eq!(closest("Prod", envs), Some("prod"));
        assert_eq!(closest("kubernetes", envs), None);
        assert_eq!(hint("stagign", envs), "; did you mean `staging`?");
    }
}
