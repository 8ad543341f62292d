//! The design's rule that imports point down only, checked on the source: every `crate::` and `super::`
//! path in `src/`, `environments/` and `stacks/` is resolved to the file it names, and
//! - a module may only import modules of the layers below it (the order is [`LAYERS`], top first);
//! - no two files import each other, directly or around a longer circle (a module's own `mod.rs` using
//!   the items of the files it declares is not an import of them: they are its parts).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repo_root;

/// The crate's top-level modules, from the top floor down. A module may import only those after it.
const LAYERS: [&str; 23] = [
    "cli",
    "report",
    "environments",
    "stacks",
    "ops",
    "apply",
    "policy",
    "ledger",
    "release",
    "store",
    "app",
    "diff",
    "synth",
    "model",
    "cfn",
    "cloud",
    "cloudfoundry",
    "docker",
    "github",
    "clock",
    "git",
    "suggest",
    "vars",
];

/// One source file: its module path (`["apply", "cloudformation", "gate"]`) and text.
struct Source {
    module: Vec<String>,
    is_mod_file: bool,
    text: String,
}

fn sources() -> BTreeMap<PathBuf, Source> {
    let root = repo_root();
    let mut out = BTreeMap::new();
    let mut walk = |dir: &Path, prefix: Vec<String>| {
        let mut stack = vec![(dir.to_path_buf(), prefix)];
        while let Some((dir, prefix)) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    let mut p = prefix.clone();
                    p.push(name);
                    stack.push((path, p));
                } else if let Some(stem) = name.strip_suffix(".rs") {
                    let mut module = prefix.clone();
                    let is_mod_file = matches!(stem, "mod" | "lib" | "main");
                    if !is_mod_file {
                        module.push(stem.to_string());
                    }
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.insert(path.strip_prefix(&root).unwrap().to_path_buf(), Source { module, is_mod_file, text });
                }
            }
        }
    };
    walk(&root.join("src"), vec![]);
    walk(&root.join("environments"), vec!["environments".into()]);
    walk(&root.join("stacks"), vec!["stacks".into()]);
    out
}

/// Every path a file names, as module paths from the crate root: `crate::a::b`, `super::x`, and each item
/// of a `use` group (`use super::{a, b::c}`).
fn named_paths(src: &Source) -> Vec<Vec<String>> {
    // Comments say things like `crate::x` in prose; only code counts.
    let code: String = src.text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    // `super` of `a::b::f` (src/a/b/f.rs) is `a::b`; of `a::b` (src/a/b/mod.rs) it is `a`.
    let parent: Vec<String> = src.module[..src.module.len().saturating_sub(1)].to_vec();
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let (base, skip) = if rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if rest.starts_with("super::") {
            (parent.clone(), "super::".len())
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let preceded_by_ident = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        i += skip;
        if preceded_by_ident {
            continue;
        }
        let mut path = base;
        expand(&code[i..], &mut path, &mut out);
    }
    out
}

/// Reads `a::b::{c, d::e}` at the start of `text` onto `path`, pushing every full path found.
fn expand(text: &str, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut segment = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            segment.push(c);
        } else if text[at..].starts_with("::") {
            if !segment.is_empty() {
                path.push(std::mem::take(&mut segment));
            }
            chars.next();
        } else if c == '{' {
            // A group: each comma-separated item continues the path so far.
            let mut depth = 0;
            let mut start = at + 1;
            for (j, d) in text[at..].char_indices() {
                match d {
                    '{' => depth += 1,
                    '}' | ',' if depth == 1 => {
                        let mut p = path.clone();
                        expand(text[start..at + j].trim_start(), &mut p, out);
                        start = at + j + 1;
                        if d == '}' {
                            return;
                        }
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            return;
        } else {
            break;
        }
    }
    if !segment.is_empty() {
        path.push(segment);
    }
    if !path.is_empty() {
        out.push(path.clone());
    }
}

/// The file a module path lands in: the longest prefix of it that is a file.
fn file_of(path: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (0..=path.len()).rev().find_map(|n| files.get(&path[..n]).cloned())
}

#[test]
fn imports_point_down_only_and_no_files_import_each_other() {
    let sources = sources();
    let files: BTreeMap<Vec<String>, PathBuf> = sources.iter().map(|(p, s)| (s.module.clone(), p.clone())).collect();
    let rank = |module: &str| LAYERS.iter().position(|l| *l == module);
    let mut upward = Vec::new();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (file, src) in &sources {
        let Some(own) = src.module.first() else { continue };
        let Some(own_rank) = rank(own) else { continue };
        for path in named_paths(src) {
            let Some(top) = path.first() else { continue };
            if let Some(r) = rank(top)
                && top != own
                && r < own_rank
            {
                upward.push(format!("{} imports {} (layer `{top}` is above `{own}`)", file.display(), path.join("::")));
            }
            let Some(target) = file_of(&path, &files) else { continue };
            let target_module = &sources[&target].module;
            // A module's mod.rs using its own parts is not an import.
            let is_part = src.is_mod_file && target_module.starts_with(&src.module) && target != *file;
            if target != *file && !is_part {
                edges.entry(file.clone()).or_default().insert(target);
            }
        }
    }
    assert!(upward.is_empty(), "imports that point up:\n{}", upward.join("\n"));
    // Any circle among files: depth-first search for a back edge.
    fn visit(
        node: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        path: &mut Vec<PathBuf>,
        found: &mut Vec<String>,
    ) {
        state.insert(node.clone(), 1);
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                0 => visit(next, edges, state, path, found),
                1 => {
                    let start = path.iter().position(|p| p == next).unwrap();
                    let circle: Vec<String> = path[start..].iter().map(|p| p.display().to_string()).collect();
                    found.push(format!("{} -> {}", circle.join(" -> "), next.display()));
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut found = Vec::new();
    for node in edges.keys() {
        if !state.contains_key(node) {
            visit(node, &edges, &mut state, &mut Vec::new(), &mut found);
        }
    }
    assert!(found.is_empty(), "files that import each other:\n{}", found.join("\n"));
    assert!(edges.len() > 40, "the check read only {} importing files; is the parser broken?", edges.len());
}

#[test]
fn the_parser_reads_paths_groups_and_skips_comments() {
    // The parser on a made-up pair of files, so that a broken parser cannot pass the real check by
    // seeing nothing.
    let a = Source {
        module: vec!["model".into(), "a".into()],
        is_mod_file: false,
        text:
            "use super::b::Thing;\nuse crate::{cfn::Expr, synth::ArtifactKey};\n// crate::cli::commands in a comment\n"
                .into(),
    };
    let paths = named_paths(&a);
    assert_eq!(
        paths,
        vec![
            vec!["model".to_string(), "b".into(), "Thing".into()],
            vec!["cfn".into(), "Expr".into()],
            vec!["synth".into(), "ArtifactKey".into()],
        ]
    );
    let files = BTreeMap::from([(vec!["model".to_string(), "b".into()], PathBuf::from("src/model/b.rs"))]);
    assert_eq!(file_of(&paths[0], &files), Some(PathBuf::from("src/model/b.rs")));
}

/// The calls that change the ledger, or reach AWS, GitHub, Docker or the store's objects: the engine's,
/// never the command line's.
const ENGINE_CALLS: [&str; 22] = [
    "ledger::append(",
    "lock::acquire(",
    "lock::release(",
    "lock::unlock(",
    ".put_new(",
    ".delete_if(",
    ".describe_stack(",
    ".deployed(",
    ".create_change_set(",
    ".execute_change_set(",
    ".delete_stack(",
    ".list_stacks(",
    ".connect(",
    ".connect_assuming(",
    ".anywhere(",
    "GitHub::new(",
    ".run_reviews(",
    ".put_environment(",
    "Compose::locate(",
    ".up(",
    ".down(",
    "aws_sdk_",
];

#[test]
fn the_command_line_writes_no_ledger_record_and_calls_no_api_itself() {
    let mut found = Vec::new();
    for (path, src) in sources().iter().filter(|(p, _)| p.starts_with("src/cli")) {
        let code: String = src.text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        for call in ENGINE_CALLS {
            if code.contains(call) {
                found.push(format!("{} calls `{call}`", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "the command line does engine work (it belongs in ops/ or below):\n{}", found.join("\n"));
    // The check can fail: the engine does make these calls.
    let engine: String =
        sources().iter().filter(|(p, _)| p.starts_with("src/ops")).map(|(_, s)| s.text.clone()).collect();
    assert!(ENGINE_CALLS.iter().filter(|c| engine.contains(*c)).count() >= 5, "is the list of calls stale?");
}
