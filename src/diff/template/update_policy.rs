//! Replacement that a resource's `UpdatePolicy` decides rather than its type's facts alone. An Auto
//! Scaling group's `LaunchTemplate`, `LaunchConfigurationName`, `VPCZoneIdentifier` and
//! `MixedInstancesPolicy` are `conditionalCreateOnly` in the schema, but which way it goes is written in
//! the template: CloudFormation replaces the group when its `UpdatePolicy` says
//! `AutoScalingReplacingUpdate: {WillReplace: true}`, and otherwise updates it in place (rolling its
//! instances as `AutoScalingRollingUpdate` says, or leaving them). An in-place update keeps the group's
//! name and ARN, so nothing that refers to the group is touched.

use serde_json::Value;

use crate::diff::Impact;

/// The group's properties whose change `AutoScalingReplacingUpdate` governs.
const REPLACING_UPDATE: [&str; 4] =
    ["LaunchConfigurationName", "LaunchTemplate", "MixedInstancesPolicy", "VPCZoneIdentifier"];

/// What a change under the `conditionalCreateOnly` path `pattern` of `resource` (type `kind`, as the new
/// template has it) does, when the resource's attributes decide it: `Replace` (when `certain`, i.e. the
/// value certainly changes; `MayReplace` when it only may) or `Update`. `None` when they do not decide it,
/// and the change may replace the resource as the facts say.
pub(super) fn decides(kind: &str, pattern: &str, resource: &Value, certain: bool) -> Option<Impact> {
    if kind != "AWS::AutoScaling::AutoScalingGroup" || !REPLACING_UPDATE.contains(&pattern) {
        return None;
    }
    let will_replace = resource
        .get("UpdatePolicy")
        .and_then(|p| p.get("AutoScalingReplacingUpdate"))
        .and_then(|r| r.get("WillReplace"));
    match will_replace {
        // Absent, or written out as false: updated in place.
        None => Some(Impact::Update),
        Some(Value::Bool(b)) => Some(verdict(*b, certain)),
        // YAML and JSON templates may write the boolean as a string.
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(verdict(true, certain)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(Impact::Update),
        // An intrinsic function (`Fn::If` on a condition): known only at deploy time.
        Some(_) => None,
    }
}

fn verdict(will_replace: bool, certain: bool) -> Impact {
    match (will_replace, certain) {
        (false, _) => Impact::Update,
        (true, true) => Impact::Replace,
        (true, false) => Impact::MayReplace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_will_replace_true_replaces_the_group() {
        let group = "AWS::AutoScaling::AutoScalingGroup";
        let replacing = json!({"UpdatePolicy": {"AutoScalingReplacingUpdate": {"WillReplace": true}}});
        let rolling = json!({"UpdatePolicy": {"AutoScalingRollingUpdate": {"MinInstancesInService": 1}}});
        assert_eq!(decides(group, "LaunchTemplate", &replacing, true), Some(Impact::Replace));
        assert_eq!(decides(group, "LaunchTemplate", &replacing, false), Some(Impact::MayReplace));
        assert_eq!(decides(group, "VPCZoneIdentifier", &rolling, true), Some(Impact::Update));
        assert_eq!(decides(group, "MixedInstancesPolicy", &json!({}), true), Some(Impact::Update));
        let as_text = json!({"UpdatePolicy": {"AutoScalingReplacingUpdate": {"WillReplace": "true"}}});
        assert_eq!(decides(group, "LaunchConfigurationName", &as_text, true), Some(Impact::Replace));
        let conditional =
            json!({"UpdatePolicy": {"AutoScalingReplacingUpdate": {"WillReplace": {"Fn::If": ["C", true, false]}}}});
        assert_eq!(decides(group, "LaunchTemplate", &conditional, true), None);
        // Other types, and the group's other properties, are left to the facts.
        assert_eq!(decides("AWS::EC2::Instance", "LaunchTemplate", &replacing, true), None);
        assert_eq!(decides(group, "AutoScalingGroupName", &replacing, true), None);
    }
}
