//! A compose host the definition brings up before the environment's stacks
//! (`ComposeTarget::before_stacks`): a deploy applies it first, and when the stacks then fail it goes back
//! with them, on moto and the test Docker engine over real SSH.

use slipway::apply::cloudformation::Ending;
use slipway::cfn::{Expr, Resource, Stack};
use slipway::model::{Environment, Project, Target};

use super::hosts::{World, stacks, tag_image};
use crate::demo::local::local_image;
use crate::support::ProjectCleanup;

/// The world's stack with a function the Lambda API refuses (more memory than it allows): its update fails
/// and CloudFormation rolls it back.
fn failing_stacks(project: &Project, env: &Environment) -> Vec<Stack> {
    let mut stacks = stacks(project, env);
    if !env.name.starts_with("hosts") {
        return stacks;
    }
    let function = Resource::new("AWS::Lambda::Function")
        .prop("Runtime", "python3.12")
        .prop("Handler", "index.handler")
        .prop("Role", "arn:aws:iam::111111111111:role/none")
        .prop("Code", Expr::map([("ZipFile", Expr::from("def handler(e, c): pass"))]))
        .prop("MemorySize", 20_000_u32);
    stacks[0].template.resource("TooBig", function);
    stacks
}

#[test]
fn a_host_declared_before_the_stacks_goes_first_and_back_when_they_fail() {
    let w = World::new_with(|mut env| {
        for target in &mut env.targets {
            if let Target::Compose(compose) = target {
                compose.before_stacks = true;
            }
        }
        env
    });
    let _cleanup = ProjectCleanup::new(&w.engine, &w.compose_project());
    let (_, first) = local_image();
    let second = format!("{first}-before");
    tag_image(&w.engine, &second);
    w.release(&first);
    w.release_of(&w.project.clone().stacks_from(failing_stacks), &second);

    // The host first, then the stack.
    let (ending, hosts) = w.deploy(&first).unwrap_or_else(|e| panic!("{e}\n{}", w.said()));
    assert_eq!(ending, Ending::Deployed, "{}", w.said());
    assert_eq!(hosts[0].result, "updated");
    let said = w.said();
    let host_at = said.find("compose: bringing up project").expect("the host came up");
    let stacks_at = said.find("1 stack(s)").expect("the stacks were deployed");
    assert!(host_at < stacks_at, "the host before the stacks:\n{said}");
    let (stack_before, host_before) = (w.stack(), w.host());

    // A release whose stack fails after the host took its images: the stack rolled back by
    // CloudFormation, the host back on the first release, container for container.
    let (ending, hosts) = w.deploy(&second).unwrap();
    let Ending::RolledBack { cause } = &ending else { panic!("{ending:?}\n{}", w.said()) };
    assert!(cause.contains("TooBig"), "{cause}");
    assert_eq!(hosts[0].restored.as_deref(), Some(format!("back on release {first}").as_str()), "{hosts:?}");
    assert_eq!(w.stack(), stack_before, "the stack's template and parameters are as they were");
    assert_eq!(w.host(), host_before, "every service runs the image and the configuration it ran");
}
