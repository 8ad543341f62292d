//! Facts about every CloudFormation resource type: its properties, the required ones, the ones whose
//! change replaces the resource (always, or only under conditions), and the attributes `Fn::GetAtt`
//! can read.
//!
//! `Fn::GetAtt` reads a type's read-only properties (`readOnly`), and for some types more: every property
//! of about sixty older types (an `AWS::EC2::VPC`'s `CidrBlock`, an `AWS::SQS::Queue`'s `QueueName`), a few
//! names of others, and any `Outputs.NAME` of a nested stack. `attributes.json` beside this file holds
//! those, as cfn-lint works them out from the same schemas (`tests/cfn_attributes.py` writes it), so that
//! the attributes a type has are `readOnly` and its entry there, and nothing else.
//!
//! The data is `resource-types.json` beside this file, a copy of `shared/data/cfn-resource-types.json`
//! (from the resource provider schemas bundled in cfn-lint), compiled into the binary so that slipway
//! needs no files at run time. The build script (`src/build.rs`) indexes it: every type's name with the
//! byte range of its object, sorted by name. A lookup is a binary search of that index, and a type's
//! object is parsed on its first lookup, without copying its strings. So no run parses the whole 715 KB
//! (which cost 16 million instructions, a quarter of `slipway synth`), and `slipway envs` parses none.
//!
//! Where the schema and CloudFormation's reference disagree on replacement, the reference wins: it is what
//! CloudFormation does. [`CORRECTIONS`] lists each such property, and [`get`] applies it to the type's facts.

use std::sync::OnceLock;

use serde::Deserialize;

const DATA: &str = include_str!("resource-types.json");
const ATTRIBUTES: &str = include_str!("attributes.json");

/// What CloudFormation publishes about one resource type.
#[derive(Debug, Deserialize)]
pub struct TypeSpec {
    /// Every top-level property, including the read-only ones.
    #[serde(borrow)]
    pub properties: Vec<&'static str>,
    /// Properties (or `/`-separated paths below them) whose change replaces the resource.
    #[serde(rename = "createOnly", borrow)]
    pub create_only: Vec<&'static str>,
    /// Properties (or `/`-separated paths below them) that some changes replace and others update in
    /// place (an RDS engine may be upgraded but not downgraded, an EC2 instance type changes in place
    /// only on an EBS-backed instance): a change to one of them may replace the resource. Older data
    /// files do not have the list.
    #[serde(rename = "conditionalCreateOnly", borrow, default)]
    pub conditional_create_only: Vec<&'static str>,
    /// Attributes CloudFormation sets, as `/`-separated paths; what `Fn::GetAtt` reads.
    #[serde(rename = "readOnly", borrow)]
    pub read_only: Vec<&'static str>,
    /// Properties a template must set.
    #[serde(borrow)]
    pub required: Vec<&'static str>,
    /// Attributes `Fn::GetAtt` reads beyond `read_only`, dotted (`CidrBlock`, `Outputs.*`), from
    /// `attributes.json`.
    #[serde(skip)]
    pub more_attributes: Vec<&'static str>,
}

impl TypeSpec {
    /// Whether a template may set `property` (it exists and is not read-only).
    pub fn is_writable(&self, property: &str) -> bool {
        self.properties.contains(&property) && !self.read_only.contains(&property)
    }

    /// The properties a template may set.
    pub fn writable(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.properties.iter().copied().filter(|p| !self.read_only.contains(p))
    }

    /// Whether `Fn::GetAtt` can read `attribute` (`Endpoint.Address`): a read-only attribute, or one of
    /// the type's attributes beyond them (`AWS::EC2::VPC`'s `CidrBlock`, a nested stack's `Outputs.Url`).
    pub fn has_attribute(&self, attribute: &str) -> bool {
        // `Endpoint/Address` is read as `Endpoint.Address`.
        let dotted = |a: &str| {
            a.len() == attribute.len()
                && a.bytes().zip(attribute.bytes()).all(|(x, y)| x == y || (x, y) == (b'/', b'.'))
        };
        // `Outputs.*` is any one name after `Outputs.`; `*` is any attribute.
        let matches = |a: &str| match a.strip_suffix('*') {
            Some(prefix) => attribute.len() > prefix.len() && attribute.starts_with(prefix),
            None => a == attribute,
        };
        self.read_only.iter().any(|a| dotted(a)) || self.more_attributes.iter().any(|a| matches(a))
    }

    /// The attributes `Fn::GetAtt` can read, dotted (`Endpoint.Address`).
    pub fn attributes(&self) -> Vec<String> {
        let read_only = self.read_only.iter().map(|a| a.replace('/', "."));
        read_only.chain(self.more_attributes.iter().map(|a| a.to_string())).collect()
    }
}

/// Properties the schema lists as `conditionalCreateOnly` whose change CloudFormation's reference says always
/// replaces the resource ("Update requires: Replacement"), so they count as `createOnly`.
pub const CORRECTIONS: [(&str, &str); 1] = [
    // The schema calls KeySchema conditional; a table's key schema cannot change in place.
    ("AWS::DynamoDB::Table", "KeySchema"),
];

impl TypeSpec {
    /// Applies [`CORRECTIONS`] to the facts of type `name`.
    fn corrected(mut self, name: &str) -> TypeSpec {
        for (_, property) in CORRECTIONS.iter().filter(|(kind, _)| *kind == name) {
            self.conditional_create_only.retain(|p| p != property);
            if !self.create_only.contains(property) {
                self.create_only.push(property);
            }
        }
        self
    }
}

// `static INDEX: [(&str, u32, u32); N]`: each type's name and the byte range of its object in `DATA`.
include!(concat!(env!("OUT_DIR"), "/resource_type_index.rs"));
// `static ATTRIBUTE_INDEX: [(&str, u32, u32); N]`: the same, of its list in `ATTRIBUTES`.
include!(concat!(env!("OUT_DIR"), "/attribute_index.rs"));

/// The attributes of type `name` in `ATTRIBUTES`.
fn more_attributes(name: &str) -> Vec<&'static str> {
    match ATTRIBUTE_INDEX.binary_search_by(|(n, _, _)| (*n).cmp(name)) {
        Ok(i) => {
            let (_, start, end) = ATTRIBUTE_INDEX[i];
            serde_json::from_str(&ATTRIBUTES[start as usize..end as usize])
                .expect("the bundled attributes.json is valid")
        }
        Err(_) => Vec::new(),
    }
}

/// Each type's facts, parsed on its first lookup.
static SPECS: [OnceLock<TypeSpec>; INDEX.len()] = [const { OnceLock::new() }; INDEX.len()];

/// The facts about resource type `name`, if CloudFormation has such a type.
pub fn get(name: &str) -> Option<&'static TypeSpec> {
    let i = INDEX.binary_search_by(|(n, _, _)| (*n).cmp(name)).ok()?;
    Some(SPECS[i].get_or_init(|| {
        let (_, start, end) = INDEX[i];
        let mut spec: TypeSpec = serde_json::from_str(&DATA[start as usize..end as usize])
            .expect("the bundled resource-types.json is valid");
        spec.more_attributes = more_attributes(name);
        spec.corrected(name)
    }))
}

/// Every resource type's name, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    INDEX.iter().map(|(n, _, _)| *n)
}

/// The bundled data, byte for byte (tests compare it with the shared copy).
pub fn bundled_json() -> &'static str {
    DATA
}

/// The bundled attributes beyond the read-only ones, byte for byte (tests compare it with what
/// `tests/cfn_attributes.py` makes from cfn-lint).
pub fn bundled_attributes_json() -> &'static str {
    ATTRIBUTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_buckets_and_their_replacing_properties() {
        let bucket = get("AWS::S3::Bucket").unwrap();
        assert!(bucket.is_writable("VersioningConfiguration"));
        assert!(!bucket.is_writable("Arn"), "Arn is read-only");
        assert!(bucket.create_only.contains(&"BucketName"));
        assert!(bucket.has_attribute("Arn"));
        assert!(!bucket.has_attribute("BucketName"), "a property, but not one Fn::GetAtt reads");
        assert!(get("AWS::S3::Buckett").is_none());
        assert!(names().count() > 1800);
    }

    /// The index the build script made finds every type a parse of the whole file finds, with the same facts.
    #[test]
    fn the_index_holds_every_type_of_the_file() {
        #[derive(Deserialize)]
        struct File {
            #[serde(rename = "resourceTypes", borrow)]
            resource_types: std::collections::BTreeMap<&'static str, TypeSpec>,
        }
        let file: File = serde_json::from_str(DATA).unwrap();
        assert_eq!(names().collect::<Vec<_>>(), file.resource_types.keys().copied().collect::<Vec<_>>());
        for (name, whole) in file.resource_types {
            let whole = whole.corrected(name);
            let indexed = get(name).unwrap();
            assert_eq!(
                (&indexed.properties, &indexed.create_only, &indexed.conditional_create_only),
                (&whole.properties, &whole.create_only, &whole.conditional_create_only),
                "{name}"
            );
            assert_eq!((&indexed.read_only, &indexed.required), (&whole.read_only, &whole.required), "{name}");
        }
    }

    #[test]
    fn knows_the_attributes_beyond_the_read_only_ones() {
        let db = get("AWS::RDS::DBInstance").unwrap();
        assert!(db.has_attribute("Endpoint.Address") && db.has_attribute("MasterUserSecret.SecretArn"));
        assert!(!db.has_attribute("Endpoint.Adress"));
        let vpc = get("AWS::EC2::VPC").unwrap();
        assert!(vpc.has_attribute("CidrBlock") && vpc.has_attribute("VpcId"));
        assert!(!vpc.read_only.contains(&"CidrBlock"), "CidrBlock comes from attributes.json");
        let queue = get("AWS::SQS::Queue").unwrap();
        assert!(queue.has_attribute("QueueName") && queue.has_attribute("Arn"));
        let nested = get("AWS::CloudFormation::Stack").unwrap();
        assert!(
            nested.has_attribute("Outputs.Url") && !nested.has_attribute("Outputs.") && !nested.has_attribute("Url")
        );
        assert!(get("AWS::Lambda::Function").unwrap().more_attributes.is_empty());
        assert!(ATTRIBUTE_INDEX.iter().all(|(n, _, _)| get(n).is_some()), "every type there is a type");
    }

    #[test]
    fn knows_which_properties_may_replace() {
        let instance = get("AWS::EC2::Instance").unwrap();
        for p in ["InstanceType", "UserData", "SecurityGroupIds"] {
            assert!(instance.conditional_create_only.contains(&p), "{p}");
            assert!(!instance.create_only.contains(&p), "{p} is not createOnly as well");
        }
        assert!(get("AWS::RDS::DBInstance").unwrap().conditional_create_only.contains(&"Engine"));
        assert_eq!(names().filter(|n| !get(n).unwrap().conditional_create_only.is_empty()).count(), 44);
    }

    #[test]
    fn the_reference_wins_where_it_says_a_conditional_property_always_replaces() {
        let table = get("AWS::DynamoDB::Table").unwrap();
        assert!(table.create_only.contains(&"KeySchema"), "{:?}", table.create_only);
        assert!(!table.conditional_create_only.contains(&"KeySchema"));
        assert!(DATA.contains("\"conditionalCreateOnly\": [\n\"KeySchema\"\n]"), "the schema says conditional");
        // A global table's KeySchema stays as its schema says.
        assert!(get("AWS::DynamoDB::GlobalTable").unwrap().conditional_create_only.contains(&"KeySchema"));
    }
}
