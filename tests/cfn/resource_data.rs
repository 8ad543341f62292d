//! The resource-type facts compiled into slipway are the shared data set, byte for byte, and the
//! attributes beyond it are what cfn-lint works out from the same schemas.

use crate::support::{python_tool, repo_root, shared_dir};

#[test]
fn bundled_resource_types_match_the_shared_data() {
    let shared = std::fs::read_to_string(shared_dir().join("data/cfn-resource-types.json")).unwrap();
    assert!(
        shared == slipway::cfn::resource_types::bundled_json(),
        "src/cfn/resource-types.json differs from ../shared/data/cfn-resource-types.json: copy the shared \
         file over the bundled one"
    );
}

/// `src/cfn/attributes.json` (the `Fn::GetAtt` attributes the facts' `readOnly` lacks) is what
/// `tests/cfn_attributes.py` makes now from the pinned cfn-lint's schemas.
#[test]
fn bundled_attributes_are_what_cfn_lint_says() {
    let python = python_tool("SLIPWAY_TEST_PYTHON", "python");
    let out = std::process::Command::new(&python)
        .arg(repo_root().join("tests/cfn_attributes.py"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run `bash tests/run.sh`", python.display()));
    assert!(out.status.success(), "tests/cfn_attributes.py failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stdout == slipway::cfn::resource_types::bundled_attributes_json().as_bytes(),
        "src/cfn/attributes.json differs from what cfn-lint says: run \
         `target/py/bin/python tests/cfn_attributes.py > src/cfn/attributes.json`"
    );
}
