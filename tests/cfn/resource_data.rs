//! The resource-type facts compiled into slipway are the shared data set, byte for byte.

use crate::support::shared_dir;

#[test]
fn bundled_resource_types_match_the_shared_data() {
    let shared = std::fs::read_to_string(shared_dir().join("data/cfn-resource-types.json")).unwrap();
    assert!(
        shared == slipway::cfn::resource_types::bundled_json(),
        "src/cfn/resource-types.json differs from ../shared/data/cfn-resource-types.json: copy the shared \
         file over the bundled one"
    );
}
