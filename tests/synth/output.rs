//! `slipway synth`: whole-file snapshots of every artifact (so a pull request shows exactly what a
//! definition change does to the output), byte-identical output across runs, and an output directory that
//! is replaced all or nothing and never at the cost of files slipway did not write.

use std::fs;

use crate::support::{read_tree, slipway, snapshots, tempdir};

#[test]
fn snapshots_of_every_artifact() {
    let project = webapp::project().with_demo("example").unwrap();
    let set = crate::support::synth(&project, &[]).unwrap();
    snapshots(|| {
        for (path, bytes) in &set.files() {
            let name = format!("artifact@{}", path.replace('/', "__"));
            insta::assert_snapshot!(name, String::from_utf8(bytes.clone()).unwrap());
        }
    });
}

#[test]
fn two_runs_write_the_same_bytes() {
    let dir = tempdir();
    for out in ["a", "b"] {
        let run = slipway(dir.path(), &["synth", "--out", out]);
        assert_eq!(run.status, 0, "{}", run.stderr);
    }
    let a = read_tree(&dir.path().join("a"));
    let b = read_tree(&dir.path().join("b"));
    assert!(a.len() > 20, "synth wrote only {} files", a.len());
    assert_eq!(a, b);
}

#[test]
fn the_manifest_lists_every_file_with_its_sha256() {
    let dir = tempdir();
    assert_eq!(slipway(dir.path(), &["synth"]).status, 0);
    let out = dir.path().join("out");
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    // The artifacts, then the assets (the app's code, `assets/<sha256>.zip`): every file on disk, listed once.
    let entries: Vec<&serde_json::Value> =
        manifest["files"].as_array().unwrap().iter().chain(manifest["assets"].as_array().unwrap()).collect();
    let mut listed: Vec<&str> = entries.iter().map(|f| f["path"].as_str().unwrap()).collect();
    listed.sort();
    let on_disk: Vec<String> = read_tree(&out).into_iter().map(|(p, _)| p).filter(|p| p != "manifest.json").collect();
    assert_eq!(listed, on_disk);
    assert_eq!(manifest["assets"].as_array().unwrap().len(), 2, "the backend's and the frontend's code");
    for f in entries {
        let bytes = fs::read(out.join(f["path"].as_str().unwrap())).unwrap();
        let digest = sha256_hex(&bytes);
        assert_eq!(f["sha256"].as_str().unwrap(), digest, "{}", f["path"]);
        assert_eq!(f["bytes"].as_u64().unwrap(), bytes.len() as u64);
        if let Some(hash) = f["path"].as_str().unwrap().strip_prefix("assets/") {
            assert_eq!(hash, format!("{digest}.zip"), "an asset is kept under its own SHA-256");
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    // Independent of slipway's own hashing: the system's sha256sum.
    let dir = tempdir();
    let file = dir.path().join("f");
    fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("sha256sum").arg(&file).output().expect("sha256sum runs");
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

#[test]
fn env_limits_the_output_and_a_rerun_replaces_the_previous_output() {
    let dir = tempdir();
    assert_eq!(slipway(dir.path(), &["synth"]).status, 0);
    let run = slipway(dir.path(), &["synth", "--env", "prod", "--env", "dev"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let files: Vec<String> = read_tree(&dir.path().join("out")).into_iter().map(|(p, _)| p).collect();
    // The environments asked for, and the project's code their templates refer to.
    let wanted = |p: &String| p == "manifest.json" || ["dev/", "prod/", "assets/"].iter().any(|d| p.starts_with(d));
    assert!(files.iter().all(wanted), "{files:?}");
    assert!(files.iter().any(|p| p.starts_with("prod/")) && files.iter().any(|p| p.starts_with("dev/")));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["environments"], serde_json::json!(["dev", "prod"]));
}

#[test]
fn refuses_to_replace_a_directory_holding_other_files_and_touches_nothing() {
    let dir = tempdir();
    let out = dir.path().join("out");
    fs::create_dir_all(out.join("notes")).unwrap();
    fs::write(out.join("notes/todo.txt"), "mine").unwrap();
    let run = slipway(dir.path(), &["synth"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "error: `out` holds files slipway did not write (notes/todo.txt); move them away or choose another --out\n"
    );
    assert_eq!(read_tree(&out), vec![("notes/todo.txt".to_string(), b"mine".to_vec())]);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["out"], "no staging directory is left behind");
}

#[test]
fn refuses_a_file_added_to_an_earlier_output() {
    let dir = tempdir();
    assert_eq!(slipway(dir.path(), &["synth"]).status, 0);
    fs::write(dir.path().join("out/dev/cloudformation/handmade.json"), "{}").unwrap();
    let run = slipway(dir.path(), &["synth"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("(dev/cloudformation/handmade.json)"), "{}", run.stderr);
    assert!(dir.path().join("out/dev/cloudformation/handmade.json").exists());
}

#[test]
fn refuses_an_output_path_that_is_a_file() {
    let dir = tempdir();
    fs::write(dir.path().join("out"), "not a directory").unwrap();
    let run = slipway(dir.path(), &["synth"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stderr, "error: `out` exists and is not a directory; choose another --out\n");
}

#[test]
fn definitions_that_fail_check_leave_the_previous_output_untouched() {
    let dir = tempdir();
    assert_eq!(slipway(dir.path(), &["synth"]).status, 0);
    let before = read_tree(&dir.path().join("out"));
    // A demo named like a permanent environment makes the definitions fail check.
    let run = slipway(dir.path(), &["synth", "--demo", "dev"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("environment `dev`, name: the feature-demo name `dev` collides"), "{}", run.stderr);
    assert_eq!(read_tree(&dir.path().join("out")), before);
}

/// Makes `dir` unwritable, for root too (the test machine's user): `chattr +i` where running as root,
/// else mode 0555. Returns a guard that makes it writable again.
fn unwritable(dir: &std::path::Path) -> impl Drop + '_ {
    struct Guard<'a>(&'a std::path::Path, bool);
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            if self.1 {
                let _ = std::process::Command::new("chattr").arg("-i").arg(self.0).status();
            }
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(self.0, fs::Permissions::from_mode(0o755));
        }
    }
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        let status = std::process::Command::new("chattr").arg("+i").arg(dir).status().unwrap_or_else(|e| {
            panic!("chattr, which makes a directory unwritable for root, cannot run ({e}): apt-get install e2fsprogs")
        });
        assert!(status.success(), "chattr +i {} failed", dir.display());
    }
    Guard(dir, root)
}

#[test]
fn an_unwritable_place_is_named_as_the_user_wrote_it() {
    let dir = tempdir();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    let _guard = unwritable(&ro);
    let run = slipway(dir.path(), &["synth", "--out", "ro/out"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let first = run.stderr.lines().next().unwrap();
    assert!(first.starts_with("error: could not write `ro/out`: "), "{first}");
    assert!(
        first.ends_with(
            "(slipway writes the new output beside it and swaps it in, so its parent directory must be writable)"
        ),
        "{first}"
    );
    assert!(!run.stderr.contains("slipway-new"), "the temporary directory is not the user's business: {}", run.stderr);
}

#[test]
fn an_output_path_that_links_to_a_directory_is_written_through_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    assert_eq!(slipway(dir.path(), &["synth", "--out", "real"]).status, 0);
    fs::set_permissions(dir.path().join("real"), fs::Permissions::from_mode(0o750)).unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
    let run = slipway(dir.path(), &["synth", "--out", "link", "--env", "dev"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(fs::symlink_metadata(dir.path().join("link")).unwrap().file_type().is_symlink(), "the link stays");
    let real = dir.path().join("real");
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(real.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["environments"], serde_json::json!(["dev"]), "the linked directory holds the new output");
    assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o750, "its permissions are kept");
    let dangling = dir.path().join("nowhere");
    std::os::unix::fs::symlink("missing", &dangling).unwrap();
    let run = slipway(dir.path(), &["synth", "--out", "nowhere"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.starts_with("error: could not write `nowhere`: "), "{}", run.stderr);
    assert!(run.stderr.contains("(it is a link to nothing)"), "{}", run.stderr);
}
