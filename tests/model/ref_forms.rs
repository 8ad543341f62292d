//! One compiler of ref patterns, three outputs, and all three accept exactly what slipway's own ref rule
//! (`RefPattern::matches`) accepts, over a corpus of branch names chosen to break naive translations.
//!
//! Each output is judged by a matcher written here from its language's documentation, independent of the
//! compiler: GitHub's workflow filter syntax ("Filter pattern cheat sheet": `*` not across `/`, `**`
//! across, `?` and `+` quantify the preceding character, `[]` classes, `\` escapes), Ruby's `File.fnmatch`
//! with `FNM_PATHNAME` (what an environment's deployment branch policy uses: wildcards stay in a
//! component, `**/` is zero or more components, a leading `.` is not matched by a wildcard) and IAM's
//! `StringLike` (`*` anything, `?` one character, `${*}`/`${?}`/`${$}` literals). Where a form cannot say a
//! pattern, the compiler must refuse it, and `slipway check` then refuses the definitions.

use slipway::model::{
    AccountId, ComposeHost, Definitions, Environment, Project, RefForm, RefKind, RefPattern, Region, Repository, Tier,
    Trigger, check,
};

/// Branch names that a careless translation gets wrong: prefixes and extensions of each other, nesting,
/// characters the forms treat specially, non-ASCII.
pub const CORPUS: &[&str] = &[
    "main",
    "mainline",
    "Main",
    "master",
    "develop",
    "staging",
    "release",
    "release-1",
    "release/v1.2.3",
    "release/v1",
    "release/v1/rc1",
    "release/2025-01-03",
    "releases/v1",
    "release.1",
    "feature/login",
    "feature/map-layers",
    "feature-demo",
    "feature-demo/a",
    "feature-demo/a/b",
    "feature-demo/map-export",
    "x/feature-demo/a",
    "hotfix/crash-on-start",
    "hotfix/a/urgent",
    "hotfix/urgent",
    "fix",
    "a/fix",
    "a/b/fix",
    "prefix",
    "c++",
    "cplus",
    "a+b",
    "!important",
    "important",
    "{weird}",
    "a$b",
    "a${aws:username}",
    "été/fonctionnalité",
    "日本語",
    "emoji/🚀",
    "v1.2.3",
    "v1",
    "version",
    "vX",
    "dependabot/npm_and_yarn/lodash-4.17.21",
];

/// Patterns as definitions write them: the five reference flows' and ones that exercise every rule.
const PATTERNS: &[&str] = &[
    "main",
    "master",
    "develop",
    "staging",
    "release/*",
    "feature/*",
    "hotfix/*",
    "feature-demo/**",
    "feature-demo/map-export",
    "release/**",
    "**/fix",
    "hotfix/**/urgent",
    "**",
    "*",
    "release/v[0-9]*",
    "v*",
    "v[0-9]*",
    "{main,develop}",
    "release/{v1,v2}*",
    "c++",
    "a+b",
    "!important",
    "a$b",
    "été/*",
    "日本語",
    "emoji/*",
    "*/fix",
    "rel*se",
];

#[test]
fn every_form_accepts_exactly_what_the_pattern_accepts() {
    let mut wrong = Vec::new();
    let mut refused_trust = Vec::new();
    for p in PATTERNS {
        let pattern = RefPattern::new(*p);
        assert_eq!(pattern.problem(), None, "{p} is a valid pattern");
        let filters = pattern.workflow_filters().unwrap_or_else(|e| panic!("{e}"));
        let policies = pattern.branch_policies().unwrap_or_else(|e| panic!("{e}"));
        let trust = pattern.trust_subjects("acme/app", RefKind::Branch);
        if trust.is_err() {
            refused_trust.push(*p);
        }
        for branch in CORPUS {
            let expected = pattern.matches(branch);
            let by_filter = filters.iter().any(|f| filter_matches(f, branch));
            let by_policy = policies.iter().any(|f| fnmatch_pathname(f, branch));
            if by_filter != expected {
                wrong.push(format!("filter {filters:?} of `{p}` on `{branch}`: {by_filter}, the pattern {expected}"));
            }
            if by_policy != expected {
                wrong.push(format!("policy {policies:?} of `{p}` on `{branch}`: {by_policy}, the pattern {expected}"));
            }
            if let Ok(subjects) = &trust {
                let sub = format!("repo:acme/app:ref:refs/heads/{branch}");
                let by_trust = subjects.iter().any(|s| string_like(s, &sub));
                if by_trust != expected {
                    wrong
                        .push(format!("trust {subjects:?} of `{p}` on `{branch}`: {by_trust}, the pattern {expected}"));
                }
                // And never a branch of another repository, nor a tag of the same name.
                assert!(!subjects.iter().any(|s| string_like(s, &format!("repo:acme/other:ref:refs/heads/{branch}"))));
                assert!(!subjects.iter().any(|s| string_like(s, &format!("repo:acme/app:ref:refs/tags/{branch}"))));
            }
        }
    }
    assert!(wrong.is_empty(), "forms that disagree with the pattern:\n{}", wrong.join("\n"));
    // IAM's `*` crosses `/` and it has no classes: only exact names and `prefix/**` (and `**`) can be said.
    assert_eq!(
        refused_trust,
        [
            "release/*",
            "feature/*",
            "hotfix/*",
            "**/fix",
            "hotfix/**/urgent",
            "*",
            "release/v[0-9]*",
            "v*",
            "v[0-9]*",
            "release/{v1,v2}*",
            "été/*",
            "emoji/*",
            "*/fix",
            "rel*se",
        ]
    );
}

#[test]
fn the_corpus_tells_the_patterns_apart() {
    // A corpus every pattern accepted all of, or none of, would prove nothing.
    for p in PATTERNS.iter().filter(|p| !["**"].contains(p)) {
        let pattern = RefPattern::new(*p);
        let hits = CORPUS.iter().filter(|b| pattern.matches(b)).count();
        assert!(hits < CORPUS.len(), "`{p}` accepts the whole corpus");
    }
    let hits = |p: &str| CORPUS.iter().filter(|b| RefPattern::new(p).matches(b)).count();
    assert!(hits("release/*") >= 3 && hits("feature-demo/**") == 3 && hits("**/fix") == 3);
}

#[test]
fn tags_compile_to_tag_subjects_and_policies() {
    let pattern = RefPattern::new("v1.2.3");
    assert_eq!(pattern.trust_subjects("acme/app", RefKind::Tag).unwrap(), ["repo:acme/app:ref:refs/tags/v1.2.3"]);
    assert_eq!(RefKind::Tag.as_str(), "tag");
}

#[test]
fn what_a_form_cannot_say_is_refused_by_check() {
    let aws = |name: &str, tier| {
        Environment::new(name, tier).aws(AccountId::new("123456789012"), Region::UsEast1).trigger(Trigger::Push)
    };
    // `?` means one character to slipway and "optionally the preceding character" to GitHub's filters.
    let project = Project::new("app", Repository::new("acme", "app"))
        .environment(aws("dev", Tier::Development).deploys_from(["release/v?"]))
        // A demo's role trusts its refs directly; IAM cannot keep `*` inside a component.
        .environment(aws("demo-x", Tier::Demo).deploys_from(["feature-demo/x-*"]))
        .environment(Environment::new("local", Tier::Development).compose(ComposeHost::Local).deploys_from(["[!a]*"]));
    let problems: Vec<String> = check(&project.into()).iter().map(ToString::to_string).collect();
    let expect = [
        "environment `dev`, refs: the ref pattern `release/v?` cannot be written as a GitHub workflow filter",
        "environment `dev`, refs: the ref pattern `release/v?` cannot be written as a GitHub environment's \
         deployment branch policy",
        "environment `demo-x`, refs: the ref pattern `feature-demo/x-*` cannot be written as an IAM trust \
         condition on the OIDC token",
        "environment `local`, refs: the ref pattern `[!a]*` cannot be written as a GitHub workflow filter",
    ];
    for e in expect {
        assert!(problems.iter().any(|p| p.starts_with(e)), "no problem starting `{e}` in:\n{}", problems.join("\n"));
    }
    assert_eq!(
        RefPattern::new("release/v?").unexpressible_as(RefForm::TrustCondition).map(|e| e.form),
        Some(RefForm::TrustCondition)
    );
}

#[test]
fn the_judges_read_the_documented_examples_as_documented() {
    // GitHub's filter cheat sheet.
    assert!(filter_matches("Octo*", "Octocat") && !filter_matches("Octo*", "Octo/cat"));
    assert!(filter_matches("feature/**", "feature/a/b"));
    // `?` is "zero or one of the preceding character", not "one character".
    assert!(filter_matches("Octoc?t", "Octoct") && filter_matches("Octoc?t", "Octot"));
    assert!(!filter_matches("Octoc?t", "Octocat"));
    assert!(filter_matches("Octoco+t", "Octocooot") && !filter_matches("Octoco+t", "Octoct"));
    assert!(filter_matches("[CB]at", "Cat") && filter_matches("[1-2]00", "200") && !filter_matches("[CB]at", "Rat"));
    assert!(filter_matches("c\\+\\+", "c++") && !filter_matches("c++", "c++"));
    // Ruby's File.fnmatch with FNM_PATHNAME.
    assert!(fnmatch_pathname("release/*/*", "release/a/b") && !fnmatch_pathname("release/*", "release/a/b"));
    assert!(fnmatch_pathname("**/foo", "a/b/c/foo") && fnmatch_pathname("**/foo", "foo"));
    assert!(!fnmatch_pathname("**/foo", "a/.b/c/foo") && !fnmatch_pathname("*", ".hidden"));
    assert!(fnmatch_pathname("\\{x\\}", "{x}"));
    // IAM StringLike.
    assert!(string_like("a*", "a/b/c") && string_like("a?c", "abc") && !string_like("a?c", "ac"));
    assert!(string_like("a${*}", "a*") && !string_like("a${*}", "ab") && string_like("a${$}b", "a$b"));
}

// ---- the judges ----------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Tok {
    Char(char),
    Class(Vec<(char, char)>),
    /// Anything but `/` (`*`).
    Star,
    /// Anything (`**`).
    DoubleStar,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Quantity {
    One,
    Optional,
    OneOrMore,
}

fn class(chars: &mut std::iter::Peekable<std::str::Chars>) -> Vec<(char, char)> {
    let mut ranges = Vec::new();
    while let Some(c) = chars.next() {
        if c == ']' && !ranges.is_empty() {
            break;
        }
        if chars.peek() == Some(&'-') {
            chars.next();
            let end = chars.next().expect("a range has an end");
            ranges.push((c, end));
        } else {
            ranges.push((c, c));
        }
    }
    ranges
}

fn in_class(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|(a, b)| (*a..=*b).contains(&c))
}

/// GitHub's workflow filter syntax on one name.
pub fn filter_matches(pattern: &str, name: &str) -> bool {
    let mut toks: Vec<(Tok, Quantity)> = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let tok = match c {
            '\\' => Tok::Char(chars.next().expect("an escape escapes something")),
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                Tok::DoubleStar
            }
            '*' => Tok::Star,
            '[' => Tok::Class(class(&mut chars)),
            '?' => {
                toks.last_mut().expect("`?` follows something").1 = Quantity::Optional;
                continue;
            }
            '+' => {
                toks.last_mut().expect("`+` follows something").1 = Quantity::OneOrMore;
                continue;
            }
            c => Tok::Char(c),
        };
        toks.push((tok, Quantity::One));
    }
    let name: Vec<char> = name.chars().collect();
    fn one(tok: &Tok, c: char) -> bool {
        match tok {
            Tok::Char(x) => *x == c,
            Tok::Class(r) => in_class(r, c),
            Tok::Star => c != '/',
            Tok::DoubleStar => true,
        }
    }
    fn go(toks: &[(Tok, Quantity)], s: &[char]) -> bool {
        let Some(((tok, q), rest)) = toks.split_first() else { return s.is_empty() };
        match (tok, q) {
            (Tok::Star | Tok::DoubleStar, _) => {
                (0..=s.len()).any(|n| s[..n].iter().all(|c| one(tok, *c)) && go(rest, &s[n..]))
            }
            (_, Quantity::One) => !s.is_empty() && one(tok, s[0]) && go(rest, &s[1..]),
            (_, Quantity::Optional) => go(rest, s) || (!s.is_empty() && one(tok, s[0]) && go(rest, &s[1..])),
            (_, Quantity::OneOrMore) => {
                let mut n = 0;
                while n < s.len() && one(tok, s[n]) {
                    n += 1;
                    if go(rest, &s[n..]) {
                        return true;
                    }
                }
                false
            }
        }
    }
    go(&toks, &name)
}

/// Ruby's `File.fnmatch(pattern, name, File::FNM_PATHNAME)`.
pub fn fnmatch_pathname(pattern: &str, name: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let name: Vec<&str> = name.split('/').collect();
    fn components(p: &[&str], n: &[&str]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            // `**/` matches zero or more directories, none of them hidden.
            Some((&"**", rest)) if !rest.is_empty() => {
                (0..=n.len()).any(|k| n[..k].iter().all(|d| !d.starts_with('.')) && components(rest, &n[k..]))
            }
            Some((first, rest)) => !n.is_empty() && component(first, n[0]) && components(rest, &n[1..]),
        }
    }
    fn component(p: &str, s: &str) -> bool {
        let mut toks = Vec::new();
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            toks.push(match c {
                '\\' => Tok::Char(chars.next().expect("an escape escapes something")),
                '*' => Tok::Star,
                '?' => Tok::Class(vec![('\u{0}', char::MAX)]),
                '[' => Tok::Class(class(&mut chars)),
                c => Tok::Char(c),
            });
        }
        let s: Vec<char> = s.chars().collect();
        // Without FNM_DOTMATCH no wildcard matches a leading `.`.
        if s.first() == Some(&'.') && !matches!(toks.first(), Some(Tok::Char('.'))) {
            return false;
        }
        fn go(toks: &[Tok], s: &[char]) -> bool {
            match toks.split_first() {
                None => s.is_empty(),
                Some((Tok::Star, rest)) => (0..=s.len()).any(|n| go(rest, &s[n..])),
                Some((Tok::Char(c), rest)) => s.first() == Some(c) && go(rest, &s[1..]),
                Some((Tok::Class(r), rest)) => s.first().is_some_and(|c| in_class(r, *c)) && go(rest, &s[1..]),
                Some((Tok::DoubleStar, _)) => unreachable!(),
            }
        }
        go(&toks, &s)
    }
    components(&pattern, &name)
}

/// IAM's `StringLike` on one value.
pub fn string_like(pattern: &str, value: &str) -> bool {
    let mut toks = Vec::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(literal) = ["${*}", "${?}", "${$}"].iter().find(|l| rest.starts_with(**l)) {
            toks.push(Tok::Char(literal.chars().nth(2).unwrap()));
            rest = &rest[literal.len()..];
            continue;
        }
        toks.push(match c {
            '*' => Tok::DoubleStar,
            '?' => Tok::Class(vec![('\u{0}', char::MAX)]),
            c => Tok::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    let s: Vec<char> = value.chars().collect();
    fn go(toks: &[Tok], s: &[char]) -> bool {
        match toks.split_first() {
            None => s.is_empty(),
            Some((Tok::DoubleStar, rest)) => (0..=s.len()).any(|n| go(rest, &s[n..])),
            Some((Tok::Char(c), rest)) => s.first() == Some(c) && go(rest, &s[1..]),
            Some((Tok::Class(r), rest)) => s.first().is_some_and(|c| in_class(r, *c)) && go(rest, &s[1..]),
            Some((Tok::Star, _)) => unreachable!(),
        }
    }
    go(&toks, &s)
}

/// The trust policy of role `logical_id` in environment `env`'s deploy-role template: its condition.
fn trust_condition(project: &Definitions, env: &str, logical_id: &str) -> serde_json::Value {
    let set = crate::support::synth(project, &[]).unwrap_or_else(|p| panic!("{p:?}"));
    let template: serde_json::Value =
        serde_json::from_slice(set.file(&format!("{env}/cloudformation/deploy-role.template.json")).unwrap()).unwrap();
    let role = &template["Resources"][logical_id]["Properties"];
    role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"].clone()
}

#[test]
fn deploy_roles_trust_their_github_environment_and_demo_roles_their_refs() {
    let project = webapp::project();
    assert_eq!(
        trust_condition(&project, "prod", "DeployRole"),
        serde_json::json!({"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:slipway-examples/webapp:environment:prod"}})
    );
    assert_eq!(
        trust_condition(&project, "prod", "DiffRole")["StringEquals"]["token.actions.githubusercontent.com:sub"],
        serde_json::json!([
            "repo:slipway-examples/webapp:pull_request",
            "repo:slipway-examples/webapp:ref:refs/heads/main"
        ])
    );
    // A demo on AWS: its jobs run in no GitHub environment, so its role trusts its branch, and nothing wider.
    fn aws_demo(name: &str) -> Environment {
        Environment::new(name, Tier::Demo)
            .aws(AccountId::new("123456789012"), Region::UsEast1)
            .deploys_from([format!("feature-demo/{name}").as_str()])
            .trigger(Trigger::Push)
    }
    let project = Project::new("app", Repository::new("acme", "app"))
        .stacks_from(webapp::stacks::for_environment)
        .asset(webapp::code()[0].clone())
        .assets_in(webapp::ROOT)
        .demos_from(aws_demo)
        .with_demo("map")
        .unwrap();
    let condition = trust_condition(&project, "map", "DeployRole");
    assert_eq!(
        condition["StringLike"]["token.actions.githubusercontent.com:sub"],
        serde_json::json!(["repo:acme/app:ref:refs/heads/feature-demo/map"])
    );
    for branch in CORPUS {
        let sub = format!("repo:acme/app:ref:refs/heads/{branch}");
        let trusted = string_like("repo:acme/app:ref:refs/heads/feature-demo/map", &sub);
        assert_eq!(trusted, RefPattern::new("feature-demo/map").matches(branch));
    }
}

/// GitHub's OIDC reference gives the `sub` of the `main` branch of `octocat/my-repo` as
/// `repo:octocat/my-repo:ref:refs/heads/main` by name, and `repo:octocat@123456/my-repo@456789:ref:refs/heads/main`
/// with immutable IDs (owner 123456, repository 456789). A role trusts exactly the form its repository's
/// tokens carry, and a token of the other form matches none of its subjects.
#[test]
fn trust_policies_match_the_subject_form_the_repository_uses() {
    fn on_aws(name: &str) -> Environment {
        Environment::new(name, Tier::Development)
            .aws(AccountId::new("123456789012"), Region::UsEast1)
            .deploys_from(["main"])
            .trigger(Trigger::Push)
    }
    let documented = [
        ("repo:octocat/my-repo:ref:refs/heads/main", None),
        ("repo:octocat@123456/my-repo@456789:ref:refs/heads/main", Some((123456, 456789))),
    ];
    for (subject, ids) in documented {
        let mut repository = Repository::new("octocat", "my-repo");
        if let Some((owner, repo)) = ids {
            repository = repository.with_ids(owner, repo);
        }
        let project = Project::new("app", repository)
            .environment(on_aws("dev"))
            .stacks_from(webapp::stacks::for_environment)
            .asset(webapp::code()[0].clone())
            .assets_in(webapp::ROOT);
        let diff =
            trust_condition(&project, "dev", "DiffRole")["StringEquals"]["token.actions.githubusercontent.com:sub"]
                .clone();
        let trusted: Vec<String> = serde_json::from_value(diff).unwrap();
        assert!(trusted.contains(&subject.to_string()), "{subject} not in {trusted:?}");
        let (other, _) = documented.iter().find(|(s, _)| *s != subject).unwrap();
        assert!(!trusted.contains(&other.to_string()), "{other} trusted too: {trusted:?}");
        let deploy = trust_condition(&project, "dev", "DeployRole");
        let prefix = subject.split(":ref:").next().unwrap();
        assert_eq!(
            deploy["StringEquals"]["token.actions.githubusercontent.com:sub"],
            format!("{prefix}:environment:dev"),
        );
    }
}

/// The store role admits the jobs that hold no environment's role (a compose-only environment's, the
/// feature demos', the default branch's status page) and nobody else; `synth` notes an environment with no
/// AWS account until the project names a store role.
#[test]
fn the_store_role_trusts_the_jobs_that_have_no_other_way_to_the_store() {
    use slipway::cfn::Template;
    use slipway::model::{AccountId, Region, StoreRole};
    let mut project = crate::model::reference_flows::compose_servers_only();
    let set = crate::support::synth(&project, &[]).unwrap_or_else(|p| panic!("{p:?}"));
    let note = set.notes.iter().find(|n| n.path == ".github/workflows").expect("a note on the store's credentials");
    assert!(note.message.contains("`GitHubSettings::store_role`"), "{}", note.message);
    project.project.github.store_role =
        Some(StoreRole::new(AccountId::new("999999999999"), Region::UsEast1, "shop-store"));
    let set = crate::support::synth(&project, &[]).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(set.notes.iter().all(|n| n.path != ".github/workflows"), "{:?}", set.notes);

    let mut t = Template::new("the store role");
    project.store_access_role("team-store", "slipway/").add_to(&mut t);
    let template: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
    let role = &template["Resources"]["StoreRole"]["Properties"];
    assert_eq!(role["RoleName"], "shop-store");
    let condition = &role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"];
    assert_eq!(condition["StringEquals"]["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com");
    let patterns: Vec<&str> = condition["StringLike"]["token.actions.githubusercontent.com:sub"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let repo = project.repository.subject_name();
    let admits = |sub: String| patterns.iter().any(|p| string_like(p, &sub));
    for env in &project.environments {
        assert!(admits(format!("repo:{repo}:environment:{}", env.name)), "{} is compose-only", env.name);
    }
    assert!(admits(format!("repo:{repo}:ref:refs/heads/feature-demo/login")), "a demo's jobs");
    assert!(admits(format!("repo:{repo}:ref:refs/heads/main")), "the status page");
    assert!(!admits(format!("repo:{repo}:pull_request")), "a pull request");
    assert!(!admits(format!("repo:{repo}:ref:refs/heads/feature/login")), "another branch");
    assert!(!admits(format!("repo:acme/other:environment:{}", project.environments[0].name)), "another repository");
    // It reaches the store's prefix, and nothing else.
    let statements = role["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap();
    let resources: Vec<String> = statements.iter().map(|s| s["Resource"].to_string()).collect();
    assert!(resources[0].contains("arn:${AWS::Partition}:s3:::team-store/slipway/*"), "{resources:?}");
    assert_eq!(statements[1]["Condition"]["StringLike"]["s3:prefix"], serde_json::json!(["slipway/*"]));
}
