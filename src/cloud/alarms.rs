//! CloudWatch alarms: how the alarms a deploy is watched by stand (DescribeAlarms), and the name of an
//! alarm a stack made (DescribeStackResource: an `AWS::CloudWatch::Alarm`'s physical ID is its name).

use aws_sdk_cloudwatch::types::{AlarmType, StateValue};

use super::{Cloud, CloudError};

/// One alarm as CloudWatch reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmState {
    /// Its name.
    pub name: String,
    /// Its ARN, which CloudFormation's rollback triggers name.
    pub arn: String,
    /// Whether it is in ALARM.
    pub alarm: bool,
    /// Whether it is a composite alarm.
    pub composite: bool,
    /// Its state as CloudWatch writes it (`OK`, `ALARM`, `INSUFFICIENT_DATA`).
    pub state: String,
    /// CloudWatch's reason for the state.
    pub reason: String,
    /// When it last changed state, in milliseconds since the Unix epoch.
    pub updated_millis: Option<i64>,
}

/// The most alarm names one DescribeAlarms call takes.
const NAMES_PER_CALL: usize = 100;

impl Cloud {
    /// The alarms of `names` that exist, metric and composite alike; a name with no alarm is left out.
    pub async fn alarms(&self, names: &[String]) -> Result<Vec<AlarmState>, CloudError> {
        let mut found = Vec::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let out = self
                .within("DescribeAlarms", "-", async {
                    let _place = self.place().await;
                    self.cw
                        .describe_alarms()
                        .set_alarm_names(Some(chunk.to_vec()))
                        .alarm_types(AlarmType::MetricAlarm)
                        .alarm_types(AlarmType::CompositeAlarm)
                        .send()
                        .await
                        .map_err(|e| self.error("DescribeAlarms", "-", e))
                })
                .await?;
            let state = |composite: bool,
                         name: Option<&str>,
                         arn: Option<&str>,
                         value: Option<&StateValue>,
                         reason: Option<&str>,
                         at: Option<&aws_sdk_cloudwatch::primitives::DateTime>| AlarmState {
                name: name.unwrap_or_default().to_string(),
                arn: arn.unwrap_or_default().to_string(),
                alarm: value == Some(&StateValue::Alarm),
                composite,
                state: value.map(|v| v.as_str().to_string()).unwrap_or_default(),
                reason: reason.unwrap_or_default().to_string(),
                updated_millis: at.and_then(|t| t.to_millis().ok()),
            };
            for a in out.metric_alarms() {
                found.push(state(
                    false,
                    a.alarm_name(),
                    a.alarm_arn(),
                    a.state_value(),
                    a.state_reason(),
                    a.state_updated_timestamp(),
                ));
            }
            for a in out.composite_alarms() {
                found.push(state(
                    true,
                    a.alarm_name(),
                    a.alarm_arn(),
                    a.state_value(),
                    a.state_reason(),
                    a.state_updated_timestamp(),
                ));
            }
        }
        Ok(found)
    }

    /// The physical ID of resource `logical_id` of `stack`, when the stack and the resource exist.
    pub async fn physical_id(&self, stack: &str, logical_id: &str) -> Result<Option<String>, CloudError> {
        self.within("DescribeStackResource", stack, async {
            let _place = self.place().await;
            match self.cfn.describe_stack_resource().stack_name(stack).logical_resource_id(logical_id).send().await {
                Ok(out) => Ok(out
                    .stack_resource_detail()
                    .and_then(|d| d.physical_resource_id())
                    .filter(|id| !id.is_empty())
                    .map(str::to_string)),
                Err(e) => {
                    let e = self.error("DescribeStackResource", stack, e);
                    // A stack or resource that is not there (yet): nothing to name.
                    if matches!(e.failure, super::Failure::Service { .. })
                        && (e.stack_missing()
                            || e.message.contains("not found")
                            || e.message.contains("does not exist"))
                    {
                        Ok(None)
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await
    }
}
