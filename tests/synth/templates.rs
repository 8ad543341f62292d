//! Synthesis refuses templates CloudFormation would refuse, naming the environment, stack, logical ID and
//! property path, and saying what to do.

use slipway::cfn::resources::{Bucket, Encryption};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::model::{AccountId, Environment, Project, Region, Repository, Tier};

/// A project with one environment `dev` whose only stack `app` is built by `build`.
fn project_with(build: fn(&mut Template)) -> slipway::model::Definitions {
    thread_local! {
        static BUILD: std::cell::Cell<Option<fn(&mut Template)>> = const { std::cell::Cell::new(None) };
    }
    BUILD.with(|b| b.set(Some(build)));
    Project::new("shop", Repository::new("acme", "shop"))
        .environment(
            Environment::new("dev", Tier::Development)
                .aws(AccountId::new("123456789012"), Region::UsEast1)
                .deploys_from(["main"]),
        )
        .stacks_from(|_, _| {
            let mut t = Template::new("test stack");
            BUILD.with(|b| b.get().expect("a template builder is set")(&mut t));
            vec![Stack::new("app", t)]
        })
}

fn bucket() -> Resource {
    Bucket {
        encryption: Encryption::S3Managed,
        versioned: true,
        expire_noncurrent_after_days: None,
        expire_after_days: None,
        access_logs: None,
    }
    .into()
}

/// The problems synthesis reports, as the user reads them.
fn refusals(build: fn(&mut Template)) -> Vec<String> {
    match crate::support::synth(&project_with(build), &[]) {
        Ok(_) => vec![],
        Err(problems) => problems.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn accepts_a_sound_template() {
    assert_eq!(
        refusals(|t| {
            t.resource("Uploads", bucket());
        }),
        Vec::<String>::new()
    );
}

#[test]
fn unknown_resource_type_with_a_suggestion() {
    assert_eq!(
        refusals(|t| {
            t.resource("Uploads", Resource::new("AWS::S3::Buckett"));
        }),
        ["environment `dev`, stack `app`, Resources/Uploads/Type: unknown resource type `AWS::S3::Buckett`; did you \
         mean `AWS::S3::Bucket`?"]
    );
}

#[test]
fn unknown_property_with_a_suggestion() {
    assert_eq!(
        refusals(|t| {
            t.resource("Uploads", bucket().prop("VersioningConfig", Expr::map([("Status", "Enabled".into())])));
        }),
        ["environment `dev`, stack `app`, Resources/Uploads/Properties/VersioningConfig: unknown property \
             `VersioningConfig` for AWS::S3::Bucket; did you mean `VersioningConfiguration`?"]
    );
}

#[test]
fn read_only_property() {
    assert_eq!(
        refusals(|t| {
            t.resource("Uploads", bucket().prop("Arn", "arn:aws:s3:::x"));
        }),
        ["environment `dev`, stack `app`, Resources/Uploads/Properties/Arn: `Arn` is read-only for AWS::S3::Bucket: \
         CloudFormation sets it; read it with Fn::GetAtt instead"]
    );
}

#[test]
fn missing_required_property() {
    assert_eq!(
        refusals(|t| {
            t.resource("Role", Resource::new("AWS::IAM::Role").prop("Description", "x"));
        }),
        ["environment `dev`, stack `app`, Resources/Role/Properties: missing required property \
         `AssumeRolePolicyDocument` for AWS::IAM::Role"]
    );
}

#[test]
fn references_to_nothing() {
    let got = refusals(|t| {
        t.resource("Uploads", bucket());
        t.resource(
            "Policy",
            Resource::new("AWS::S3::BucketPolicy")
                .prop("Bucket", Expr::r#ref("Upload"))
                .prop("PolicyDocument", Expr::map([("Resource", Expr::get_att("Missing", "Arn"))])),
        );
        t.output("Where", Output::new("x", Expr::sub("${Uploads.Arn}/${Nope}")));
        t.output("Attr", Output::new("x", Expr::get_att("Uploads", "Arnn")));
    });
    assert_eq!(
        got,
        [
            "environment `dev`, stack `app`, Outputs/Attr/Value: Fn::GetAtt of `Uploads.Arnn`, but AWS::S3::Bucket has no \
         attribute `Arnn`; did you mean `Arn`?",
            "environment `dev`, stack `app`, Outputs/Where/Value: Ref to `Nope`, which is not a parameter or resource of \
         this template",
            "environment `dev`, stack `app`, Resources/Policy/Properties/Bucket: Ref to `Upload`, which is not a \
         parameter or resource of this template; did you mean `Uploads`?",
            "environment `dev`, stack `app`, Resources/Policy/Properties/PolicyDocument/Resource: Fn::GetAtt of \
         `Missing`, which is not a resource of this template",
        ]
    );
}

/// `Fn::GetAtt` (and `${X.Attr}` in `Fn::Sub`) of an attribute the type's published schema does not have
/// is refused: a property is not an attribute unless the schema says so, and nested attributes are read
/// dotted. Types with no facts, and custom resources, may have any attribute.
#[test]
fn get_att_of_an_attribute_the_type_does_not_have() {
    let got = refusals(|t| {
        t.resource("Uploads", bucket());
        t.resource("Db", Resource::new("AWS::RDS::DBInstance"));
        t.resource("Vpc", Resource::new("AWS::EC2::VPC").prop("CidrBlock", "10.0.0.0/16"));
        t.resource("Queue", Resource::new("AWS::SQS::Queue"));
        t.resource("Nested", Resource::new("AWS::CloudFormation::Stack").prop("TemplateURL", "https://example.com/t"));
        t.resource(
            "Thing",
            Resource::new("Custom::Thing").prop("ServiceToken", "arn:aws:lambda:us-east-1:1:function:f"),
        );
        // Read as attributes CloudFormation has: no refusal.
        t.output("Host", Output::new("x", Expr::get_att("Db", "Endpoint.Address")));
        t.output("Secret", Output::new("x", Expr::sub("${Db.MasterUserSecret.SecretArn}")));
        t.output("Cidr", Output::new("x", Expr::get_att("Vpc", "CidrBlock")));
        t.output("QueueName", Output::new("x", Expr::get_att("Queue", "QueueName")));
        t.output("Url", Output::new("x", Expr::get_att("Nested", "Outputs.Url")));
        t.output("Anything", Output::new("x", Expr::get_att("Thing", "Whatever")));
        // A property that is not an attribute, a misspelt nested one, and one a type does not have.
        t.output("Name", Output::new("x", Expr::get_att("Uploads", "BucketName")));
        t.output("Port", Output::new("x", Expr::sub("${Db.Endpoint.Prot}")));
        t.output("Id", Output::new("x", Expr::get_att("Queue", "QueueId")));
    });
    assert_eq!(
        got,
        [
            "environment `dev`, stack `app`, Outputs/Id/Value: Fn::GetAtt of `Queue.QueueId`, but AWS::SQS::Queue has \
             no attribute `QueueId`; did you mean `QueueUrl`?",
            "environment `dev`, stack `app`, Outputs/Name/Value: Fn::GetAtt of `Uploads.BucketName`, but \
             AWS::S3::Bucket has no attribute `BucketName`; its attributes are `Arn`, `DomainName`, \
             `DualStackDomainName`, `RegionalDomainName`, `WebsiteURL`, `MetadataConfiguration.Destination`, \
             `MetadataConfiguration.AnnotationTableConfiguration.TableArn`, \
             `MetadataConfiguration.AnnotationTableConfiguration.TableName`, and 6 more",
            "environment `dev`, stack `app`, Outputs/Port/Value: Fn::GetAtt of `Db.Endpoint.Prot`, but \
             AWS::RDS::DBInstance has no attribute `Endpoint.Prot`; did you mean `Endpoint.Port`?",
        ]
    );
}

#[test]
fn invalid_logical_ids() {
    assert_eq!(
        refusals(|t| {
            t.resource("uploads-bucket", bucket());
        }),
        ["environment `dev`, stack `app`, Resources/uploads-bucket: invalid logical ID: `uploads-bucket` holds '-'; \
         logical IDs may hold only ASCII letters and digits"]
    );
}

#[test]
fn too_many_resources_parameters_and_outputs() {
    let got = refusals(|t| {
        for i in 0..501 {
            t.resource(format!("Topic{i}"), Resource::new("AWS::SNS::Topic"));
        }
        for i in 0..201 {
            t.parameter(format!("P{i}"), Parameter::string("p"));
            t.output(format!("O{i}"), Output::new("o", Expr::r#ref("Topic0")));
        }
    });
    assert_eq!(
        got,
        [
            "environment `dev`, stack `app`, Outputs: has 201 entries, over CloudFormation's limit of 200; split the stack",
            "environment `dev`, stack `app`, Parameters: has 201 entries, over CloudFormation's limit of 200; split the \
         stack",
            "environment `dev`, stack `app`, Resources: has 501 entries, over CloudFormation's limit of 500; split the \
         stack",
        ]
    );
}

#[test]
fn a_template_over_one_megabyte_is_refused() {
    let got = refusals(|t| {
        for i in 0..40 {
            t.resource(format!("Topic{i}"), Resource::new("AWS::SNS::Topic").prop("DisplayName", "x".repeat(30_000)));
        }
    });
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("environment `dev`, stack `app`: is "), "{got:?}");
    assert!(got[0].ends_with("bytes, over CloudFormation's limit of 1048576 bytes; split the stack"), "{got:?}");
}

#[test]
fn a_template_over_51200_bytes_is_noted_as_going_through_s3() {
    let set = crate::support::synth(
        &project_with(|t| {
            for i in 0..3 {
                t.resource(
                    format!("Topic{i}"),
                    Resource::new("AWS::SNS::Topic").prop("DisplayName", "x".repeat(20_000)),
                );
            }
        }),
        &[],
    )
    .expect("a large template is allowed");
    assert_eq!(set.notes.len(), 1);
    assert_eq!(set.notes[0].path, "dev/cloudformation/app.template.json");
    assert!(set.notes[0].message.contains("over the 51200 bytes CloudFormation accepts inline"), "{:?}", set.notes);
    assert!(set.notes[0].message.contains("TemplateURL"));
}

/// A database whose master password is `password`.
fn database(password: &'static str) -> Resource {
    Resource::new("AWS::RDS::DBInstance")
        .prop("DBInstanceClass", "db.t4g.micro")
        .prop("Engine", "postgres")
        .prop("MasterUsername", "app")
        .prop("MasterUserPassword", password)
}

#[test]
fn a_secret_written_as_a_literal_is_refused() {
    assert_eq!(
        refusals(|t| {
            t.resource("Db", database("hunter2hunter2"));
        }),
        [
            "environment `dev`, stack `app`, Resources/Db/Properties/MasterUserPassword: `MasterUserPassword` is a literal \
         value; a secret must never be in a template: use `{{resolve:secretsmanager:...}}` or a NoEcho parameter"
        ]
    );
    let referenced = refusals(|t| {
        t.resource("Db", database("{{resolve:secretsmanager:shop/db:SecretString:password}}"));
    });
    assert_eq!(referenced, Vec::<String>::new());
}

#[test]
fn imports_of_exports_no_stack_declares() {
    let got = refusals(|t| {
        t.resource("Uploads", bucket().prop("BucketName", Expr::import("shop-dev-network-VpcId")));
    });
    assert_eq!(
        got,
        [
            "environment `dev`, stack `app`: imports `shop-dev-network-VpcId`, which no stack of this environment exports"
        ]
    );
}

#[test]
fn every_resource_that_takes_tags_is_tagged_with_its_environment() {
    let set = crate::support::synth(&webapp::project(), &[]).unwrap();
    let mut tagged = 0;
    for (env, stacks) in &set.stacks {
        for stack in stacks {
            let path = format!("{env}/cloudformation/{stack}.template.json");
            let template: serde_json::Value = serde_json::from_slice(set.file(&path).unwrap()).unwrap();
            for (id, r) in template["Resources"].as_object().unwrap() {
                let spec = slipway::cfn::resource_types::get(r["Type"].as_str().unwrap()).unwrap();
                if !spec.is_writable("Tags") {
                    continue;
                }
                let value = match &r["Properties"]["Tags"] {
                    serde_json::Value::Object(m) => m.get("slipway:environment").cloned(),
                    serde_json::Value::Array(list) => {
                        list.iter().find(|t| t["Key"] == "slipway:environment").map(|t| t["Value"].clone())
                    }
                    _ => None,
                };
                assert_eq!(value, Some(serde_json::json!(env)), "{env}/{stack}/{id} lacks its environment tag");
                tagged += 1;
            }
        }
    }
    assert!(tagged > 50, "only {tagged} tagged resources");
}

#[test]
fn no_secret_value_appears_in_any_artifact() {
    let set = crate::support::synth(&webapp::project(), &[]).unwrap();
    for (path, bytes) in &set.files() {
        let text = String::from_utf8_lossy(bytes);
        for needle in ["\"MasterUserPassword\"", "SecretString\":", "AKIA", "password\":"] {
            assert!(!text.contains(needle), "{path} holds {needle:?}");
        }
    }
}
