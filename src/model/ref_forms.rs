//! One compiler of ref patterns, three outputs: a [`RefPattern`] as GitHub's workflow filters write it
//! (`on.push.branches`), as an environment's deployment branch policy writes it (Ruby `File.fnmatch` with
//! `FNM_PATHNAME`), and as an IAM trust condition on the OIDC token's `sub` writes it (`StringLike`).
//!
//! The three languages differ, and each differs from slipway's own globs ([`RefPattern::matches`]):
//! - workflow filters: `*` stays inside a component, `**` matches anything including `/` (so `**/fix`
//!   misses `fix`), `?` and `+` are quantifiers of the preceding character (not "one character"), `[]`
//!   takes only ranges of letters and digits, and a leading `!` negates;
//! - branch policies: `*` and `?` stay inside a component, `**/` matches zero or more whole components
//!   (so `release/**` alone would mean `release/*`), `\` escapes;
//! - IAM's `StringLike`: `*` matches anything including `/`, `?` exactly one character, `${$}` is a `$`.
//!
//! A pattern is parsed once into components, and each output is written from that so that it accepts
//! exactly the branch (or tag) names the pattern does, expanding where one pattern needs several
//! (`**/fix` is `fix` and `**/fix` as a workflow filter). Where a form cannot say a pattern at all (an
//! IAM condition cannot keep `*` inside one component), compiling it fails with the reason, and `slipway
//! check` refuses the pattern wherever that form is needed, rather than writing a wider one.

use std::fmt;

use super::git_ref::RefPattern;

/// Which form a pattern was being compiled to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefForm {
    /// A GitHub Actions workflow's `branches:` or `tags:` filter.
    WorkflowFilter,
    /// A GitHub environment's custom deployment branch (or tag) policy.
    BranchPolicy,
    /// An IAM `StringLike` condition on `token.actions.githubusercontent.com:sub`.
    TrustCondition,
}

impl fmt::Display for RefForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefForm::WorkflowFilter => "a GitHub workflow filter",
            RefForm::BranchPolicy => "a GitHub environment's deployment branch policy",
            RefForm::TrustCondition => "an IAM trust condition on the OIDC token",
        })
    }
}

/// Whether a pattern names branches or tags: it decides the `refs/heads/` or `refs/tags/` of a trust
/// condition and the `type` of a deployment branch policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefKind {
    /// Branches (`refs/heads/...`).
    Branch,
    /// Tags (`refs/tags/...`).
    Tag,
}

impl RefKind {
    /// The prefix of the full ref name (`refs/heads/`).
    pub fn prefix(self) -> &'static str {
        match self {
            RefKind::Branch => "refs/heads/",
            RefKind::Tag => "refs/tags/",
        }
    }

    /// The word GitHub's deployment-branch-policy API uses (`branch`, `tag`).
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Branch => "branch",
            RefKind::Tag => "tag",
        }
    }
}

/// A pattern a form cannot say exactly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the ref pattern `{pattern}` cannot be written as {form}: {why}")]
pub struct Unexpressible {
    /// The pattern as written.
    pub pattern: String,
    /// The form it was compiled to.
    pub form: RefForm,
    /// Why not, and what to write instead.
    pub why: String,
}

/// A piece of one path component.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(char),
    /// `*`: zero or more characters, not `/`.
    Star,
    /// `[...]`: one of these ASCII letters or digits (ranges kept as written, `0-9`).
    Class(String),
}

/// One `/`-separated component of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Component {
    /// `**` as a whole component: zero or more components (or, last, one or more).
    AnyDepth,
    Pieces(Vec<Piece>),
}

/// A pattern parsed: one list of components per alternative (`{a,b}` expanded).
type Parsed = Vec<Vec<Component>>;

impl RefPattern {
    /// The pattern as a workflow's `branches:`/`tags:` filter: one or more patterns, any of which matching
    /// means the pattern matches.
    pub fn workflow_filters(&self) -> Result<Vec<String>, Unexpressible> {
        let parsed = self.parse_for(RefForm::WorkflowFilter)?;
        let mut out = Vec::new();
        for alternative in &parsed {
            let last = alternative.len() - 1;
            // Every `**` but the last component may also stand for no component at all, which GitHub's
            // `**` (any characters between two `/`) cannot: write both.
            let optional: Vec<usize> = (0..last).filter(|i| alternative[*i] == Component::AnyDepth).collect();
            for mask in 0u32..(1 << optional.len()) {
                let kept: Vec<&Component> = alternative
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| optional.iter().position(|o| o == i).is_none_or(|bit| mask & (1 << bit) != 0))
                    .map(|(_, c)| c)
                    .collect();
                let text = kept
                    .iter()
                    .map(|c| match c {
                        Component::AnyDepth => "**".to_string(),
                        Component::Pieces(p) => write_pieces(p, filter_escape),
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                // A leading `!` negates; escaped it is a literal.
                let text = match text.strip_prefix('!') {
                    Some(rest) => format!("\\!{rest}"),
                    None => text,
                };
                push_new(&mut out, text);
            }
        }
        Ok(out)
    }

    /// The pattern as the names of an environment's custom deployment branch (or tag) policies.
    pub fn branch_policies(&self) -> Result<Vec<String>, Unexpressible> {
        let parsed = self.parse_for(RefForm::BranchPolicy)?;
        let mut out = Vec::new();
        for alternative in &parsed {
            let last = alternative.len() - 1;
            let text = alternative
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    // `**/` is zero or more components; last, `**/*` is one or more.
                    Component::AnyDepth if i == last => "**/*".to_string(),
                    Component::AnyDepth => "**".to_string(),
                    Component::Pieces(p) => write_pieces(p, fnmatch_escape),
                })
                .collect::<Vec<_>>()
                .join("/");
            push_new(&mut out, text);
        }
        Ok(out)
    }

    /// The pattern as `StringLike` values of the OIDC token's `sub` for repository `repo` (`owner/name`):
    /// `repo:owner/name:ref:refs/heads/main`. IAM's `*` crosses `/`, so only exact names and `prefix/**`
    /// can be said.
    pub fn trust_subjects(&self, repo: &str, kind: RefKind) -> Result<Vec<String>, Unexpressible> {
        let parsed = self.parse_for(RefForm::TrustCondition)?;
        let refuse = || Unexpressible {
            pattern: self.as_str().to_string(),
            form: RefForm::TrustCondition,
            why: "IAM's `*` also matches `/` and it has no classes, so only exact names and `prefix/**` can be \
                  said; name the refs, or end the pattern in `/**`"
                .into(),
        };
        let mut out = Vec::new();
        for alternative in &parsed {
            let (last, init) = alternative.split_last().expect("a pattern has a component");
            let literal = |c: &Component| match c {
                Component::Pieces(p) => p.iter().map(|p| if let Piece::Lit(c) = p { Some(*c) } else { None }).collect(),
                Component::AnyDepth => None,
            };
            let prefix: Option<Vec<String>> = init.iter().map(|c| literal(c).map(|s: String| iam_escape(&s))).collect();
            let Some(prefix) = prefix else { return Err(refuse()) };
            let name = match (last, literal(last)) {
                (_, Some(l)) => {
                    let mut all = prefix;
                    all.push(iam_escape(&l));
                    all.join("/")
                }
                (Component::AnyDepth, None) if prefix.is_empty() => "*".to_string(),
                (Component::AnyDepth, None) => format!("{}/*", prefix.join("/")),
                _ => return Err(refuse()),
            };
            push_new(&mut out, format!("repo:{repo}:ref:{}{name}", kind.prefix()));
        }
        Ok(out)
    }

    /// Why the pattern cannot be written as `form`, if it cannot.
    pub fn unexpressible_as(&self, form: RefForm) -> Option<Unexpressible> {
        let result = match form {
            RefForm::WorkflowFilter => self.workflow_filters().map(drop),
            RefForm::BranchPolicy => self.branch_policies().map(drop),
            RefForm::TrustCondition => self.trust_subjects("o/r", RefKind::Branch).map(drop),
        };
        result.err()
    }

    fn parse_for(&self, form: RefForm) -> Result<Parsed, Unexpressible> {
        parse(self.as_str()).map_err(|why| Unexpressible {
            pattern: self.as_str().to_string(),
            form,
            why: why.to_string(),
        })
    }
}

fn push_new(out: &mut Vec<String>, s: String) {
    if !out.contains(&s) {
        out.push(s);
    }
}

fn write_pieces(pieces: &[Piece], escape: fn(char, &mut String)) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Lit(c) => escape(*c, &mut s),
            Piece::Star => s.push('*'),
            Piece::Class(c) => {
                s.push('[');
                s.push_str(c);
                s.push(']');
            }
        }
    }
    s
}

/// GitHub's filter syntax gives `*`, `?`, `+`, `[`, `]` and `\` a meaning; `\` makes each a literal.
fn filter_escape(c: char, s: &mut String) {
    if matches!(c, '*' | '?' | '+' | '[' | ']' | '\\') {
        s.push('\\');
    }
    s.push(c);
}

/// `File.fnmatch` gives `*`, `?`, `[`, `]`, `{`, `}` and `\` a meaning (braces with `FNM_EXTGLOB`).
fn fnmatch_escape(c: char, s: &mut String) {
    if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
        s.push('\\');
    }
    s.push(c);
}

/// IAM reads `*` and `?` as wildcards and `${...}` as a policy variable; `${*}`, `${?}`, `${$}` are the
/// characters themselves.
fn iam_escape(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        match c {
            '*' | '?' | '$' => {
                s.push_str("${");
                s.push(c);
                s.push('}');
            }
            c => s.push(c),
        }
    }
    s
}

/// Parses a pattern (already free of what `RefPattern::problem` refuses) into its alternatives.
fn parse(pattern: &str) -> Result<Parsed, &'static str> {
    let mut out = Vec::new();
    for alternative in expand_braces(pattern)? {
        let mut components = Vec::new();
        for part in alternative.split('/') {
            if part.is_empty() {
                return Err("it has an empty component");
            }
            if part == "**" {
                if components.last() == Some(&Component::AnyDepth) {
                    return Err("`**/**` says nothing `**` does not; write one");
                }
                components.push(Component::AnyDepth);
                continue;
            }
            components.push(Component::Pieces(parse_component(part)?));
        }
        out.push(components);
    }
    Ok(out)
}

fn parse_component(part: &str) -> Result<Vec<Piece>, &'static str> {
    let mut pieces = Vec::new();
    let mut chars = part.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                if chars.peek() == Some(&'*') {
                    return Err("`**` must be a whole component (`release/**`, `**/fix`)");
                }
                pieces.push(Piece::Star);
            }
            '?' => {
                return Err("`?` (one character) has no equivalent in GitHub's workflow filters, where `?` means \
                            \"the preceding character, optionally\"; use `*` or name the refs");
            }
            '[' => {
                let mut class = String::new();
                loop {
                    match chars.next() {
                        Some(']') if !class.is_empty() => break,
                        Some(c) if c.is_ascii_alphanumeric() || c == '-' => class.push(c),
                        _ => {
                            return Err("a character class may hold only ASCII letters, digits and ranges of them \
                                        (`[0-9]`, `[a-z]`), which every form reads alike");
                        }
                    }
                }
                if !class_is_simple(&class) {
                    return Err("a character class may hold only ASCII letters, digits and ranges within one of \
                                `a-z`, `A-Z`, `0-9`, which every form reads alike");
                }
                pieces.push(Piece::Class(class));
            }
            ']' | '{' | '}' | ',' | '\\' => return Err("it holds a glob character out of place"),
            c => pieces.push(Piece::Lit(c)),
        }
    }
    Ok(pieces)
}

/// Letters and digits, and ranges `x-y` with both ends in one of `a-z`, `A-Z`, `0-9`, in order.
fn class_is_simple(class: &str) -> bool {
    let chars: Vec<char> = class.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '-' {
            return false;
        }
        if chars.get(i + 1) == Some(&'-') {
            let Some(&end) = chars.get(i + 2) else { return false };
            let same_group = (c.is_ascii_lowercase() && end.is_ascii_lowercase())
                || (c.is_ascii_uppercase() && end.is_ascii_uppercase())
                || (c.is_ascii_digit() && end.is_ascii_digit());
            if !same_group || c > end {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// `a/{b,c}/{d,e}` as its four alternatives; one level of braces, as the model's globs take them.
fn expand_braces(pattern: &str) -> Result<Vec<String>, &'static str> {
    let Some(open) = pattern.find('{') else { return Ok(vec![pattern.to_string()]) };
    let close = pattern[open..].find('}').map(|i| open + i).ok_or("it has an unclosed `{`")?;
    let inner = &pattern[open + 1..close];
    if inner.contains('{') {
        return Err("it nests `{...}` groups");
    }
    let mut out = Vec::new();
    for choice in inner.split(',') {
        for rest in expand_braces(&pattern[close + 1..])? {
            let alternative = format!("{}{choice}{rest}", &pattern[..open]);
            if !out.contains(&alternative) {
                out.push(alternative);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(p: &str) -> Vec<String> {
        RefPattern::new(p).workflow_filters().unwrap()
    }

    fn policies(p: &str) -> Vec<String> {
        RefPattern::new(p).branch_policies().unwrap()
    }

    #[test]
    fn each_form_writes_what_it_means() {
        assert_eq!(filters("main"), ["main"]);
        assert_eq!(filters("release/*"), ["release/*"]);
        assert_eq!(filters("feature-demo/**"), ["feature-demo/**"]);
        assert_eq!(filters("**/fix"), ["fix", "**/fix"]);
        assert_eq!(filters("a/**/b"), ["a/b", "a/**/b"]);
        assert_eq!(filters("c++"), ["c\\+\\+"]);
        assert_eq!(filters("!x"), ["\\!x"]);
        assert_eq!(filters("{main,develop}"), ["main", "develop"]);
        assert_eq!(policies("feature-demo/**"), ["feature-demo/**/*"]);
        assert_eq!(policies("**"), ["**/*"]);
        assert_eq!(policies("**/fix"), ["**/fix"]);
        assert_eq!(policies("release/v[0-9]*"), ["release/v[0-9]*"]);
        let subjects = |p: &str| RefPattern::new(p).trust_subjects("o/r", RefKind::Branch);
        assert_eq!(subjects("feature-demo/x").unwrap(), ["repo:o/r:ref:refs/heads/feature-demo/x"]);
        assert_eq!(subjects("feature-demo/**").unwrap(), ["repo:o/r:ref:refs/heads/feature-demo/*"]);
        assert_eq!(subjects("a$b").unwrap(), ["repo:o/r:ref:refs/heads/a${$}b"]);
        assert!(subjects("release/*").is_err());
        assert!(subjects("**/fix").is_err());
    }

    #[test]
    fn what_no_form_can_say_is_refused() {
        for p in ["release/?", "a**", "[!a]x", "[a-Z]", "[_]x", "**/**"] {
            assert!(RefPattern::new(p).workflow_filters().is_err(), "{p}");
        }
    }
}
