//! The alarms an environment is watched by must be there to watch: an alarm of one of its stacks names a
//! stack it has, and an output or an alarm resource that stack's template has. `synth` checks this with
//! the stacks, as it checks the stack outputs the smoke checks read.

use crate::cfn::Stack;
use crate::model::{AlarmRef, Environment, Problem};

/// The resource types CloudFormation takes as rollback triggers.
const ALARM_TYPES: [&str; 2] = ["AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"];

/// Reports every alarm of `env` whose stack, output or resource `stacks` do not have.
pub(super) fn check(env: &Environment, stacks: &[Stack], problems: &mut Vec<Problem>) {
    for alarm in &env.evidence.alarms {
        let Some(short) = alarm.stack() else { continue };
        let Some(stack) = stacks.iter().find(|s| s.name == short) else {
            problems.push(Problem::new(
                &env.name,
                "evidence",
                format!(
                    "watches {alarm}, but the environment has no stack `{short}`{}",
                    crate::suggest::hint(short, stacks.iter().map(|s| s.name.as_str()))
                ),
            ));
            continue;
        };
        let t = &stack.template;
        match alarm {
            AlarmRef::Output(o) if !t.outputs.contains_key(&o.output) => problems.push(Problem::new(
                &env.name,
                "evidence",
                format!(
                    "watches {alarm}, but stack `{short}` has no such output{}",
                    crate::suggest::hint(&o.output, t.outputs.keys().map(String::as_str))
                ),
            )),
            AlarmRef::Resource { logical_id, .. } => match t.resources.get(logical_id) {
                None => {
                    let alarms = t.resources.iter().filter(|(_, r)| ALARM_TYPES.contains(&r.kind.as_str()));
                    problems.push(Problem::new(
                        &env.name,
                        "evidence",
                        format!(
                            "watches {alarm}, but stack `{short}` has no resource `{logical_id}`{}",
                            crate::suggest::hint(logical_id, alarms.map(|(id, _)| id.as_str()))
                        ),
                    ))
                }
                Some(r) if !ALARM_TYPES.contains(&r.kind.as_str()) => problems.push(Problem::new(
                    &env.name,
                    "evidence",
                    format!("watches {alarm}, which is a {}, not a CloudWatch alarm", r.kind),
                )),
                Some(_) => {}
            },
            _ => {}
        }
    }
}
