//! A CloudFormation endpoint that fails the way AWS does, for the failure paths moto cannot produce: a
//! proxy in front of moto that forwards every request through the real wire protocol, and on request
//! throttles, answers 5xx, drops connections, answers slowly, or makes a stack's executed change set end in
//! `ROLLBACK_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE` or `UPDATE_ROLLBACK_FAILED` (moto applies a change set
//! within the call, and its resources almost never fail as AWS's do). A failing execution is not forwarded,
//! so moto keeps the stack as it was: exactly what CloudFormation's own rollback leaves behind.

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::moto::{content_length, forward, read_head};

/// A transport-level fault.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// HTTP 400 `Throttling: Rate exceeded`.
    Throttle,
    /// HTTP 503 `ServiceUnavailable`.
    Unavailable,
    /// The connection is closed without an answer.
    Drop,
    /// The answer comes after this long.
    Slow(Duration),
}

/// How an executed change set ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A create that fails and rolls back: `ROLLBACK_COMPLETE`.
    CreateRollsBack,
    /// An update that fails and rolls back: `UPDATE_ROLLBACK_COMPLETE`.
    UpdateRollsBack,
    /// An update whose rollback fails too: `UPDATE_ROLLBACK_FAILED`, until ContinueUpdateRollback.
    RollbackFails,
    /// Somebody else's operation that never ends: the stack stays `UPDATE_IN_PROGRESS`.
    Busy,
    /// A create that fails, and whose deletion fails too: `ROLLBACK_COMPLETE`, then `DELETE_FAILED`.
    CreateAndDeleteFail,
}

#[derive(Clone, Copy, Debug)]
struct Failing {
    failure: Failure,
    /// Set by ExecuteChangeSet (or at once for `Busy`); DescribeStacks calls since.
    active: bool,
    polls: usize,
    continued: bool,
    /// DescribeStacks calls since a DeleteStack this proxy kept from moto.
    deleting: Option<usize>,
}

#[derive(Debug, Default)]
struct State {
    /// Added to every answer: what a real region costs (the benchmarks use 50 ms).
    latency: Option<Duration>,
    faults: Vec<(String, Fault, usize)>,
    failing: BTreeMap<String, Failing>,
    calls: BTreeMap<String, usize>,
    /// Every request: action, stack name and when it arrived, in the order they arrived.
    requests: Vec<(String, String, Instant)>,
    /// Every request's parameters, in the order they arrived.
    params: Vec<BTreeMap<String, String>>,
    stack_ids: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    skipped: Vec<Vec<String>>,
    /// Stacks whose next deletion finishes between a status read and an events read (see [`Faults::racing_delete`]).
    racing: BTreeMap<String, Race>,
    /// What runs before the next request of an action for a stack is forwarded (see [`Faults::before`]).
    hooks: Vec<(String, String, Hook)>,
}

/// Something a test does at a given point of a deploy.
struct Hook(Box<dyn FnOnce() + Send>);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hook")
    }
}

/// Where a scripted race between a deletion and the reads that wait on it stands.
#[derive(Clone, Debug, Default)]
struct Race {
    /// The last DescribeStacks answer for the stack before it was deleted.
    described: Option<String>,
    /// Set once moto has deleted the stack: the next DescribeStacks answers `DELETE_IN_PROGRESS`.
    deleted: bool,
    /// Set once that answer is given: the next DescribeStackEvents says the stack does not exist.
    status_read: bool,
}

/// The proxy; it runs until the test process ends.
#[derive(Clone)]
pub struct Faults {
    /// `http://127.0.0.1:PORT` of the proxy.
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl Faults {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Faults {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (upstream, state) = (upstream.clone(), shared.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &state);
                });
            }
        });
        Faults { endpoint, state }
    }

    /// Every answer from now on comes `delay` later, as from a region far away; calls in flight wait
    /// side by side, each on a connection of its own.
    pub fn latency(&self, delay: Duration) {
        self.state.lock().unwrap().latency = Some(delay);
    }

    /// The next `times` calls of `action` (`DescribeStacks`) meet `fault`.
    pub fn inject(&self, action: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().faults.push((action.into(), fault, times));
    }

    /// The next executed change set of `stack` ends as `failure` (`Busy` takes effect at once).
    pub fn fail(&self, stack: &str, failure: Failure) {
        self.state.lock().unwrap().failing.insert(
            stack.into(),
            Failing { failure, active: failure == Failure::Busy, polls: 0, continued: false, deleting: None },
        );
    }

    /// Answers DescribeStacks of `stack` with output `key` = `value`, in place of the value moto computed (or
    /// as an added output). A test double for what a deployed stack's output points at, e.g. the URL of an
    /// API that on moto points nowhere, so that a smoke check can reach a server the test runs.
    pub fn output(&self, stack: &str, key: &str, value: &str) {
        self.state.lock().unwrap().outputs.entry(stack.into()).or_default().insert(key.into(), value.into());
    }

    /// The next deletion of `stack` finishes between the two reads that wait on it, as on LocalStack, whose
    /// deletes take tens of milliseconds: DescribeStacks still answers `DELETE_IN_PROGRESS`, and the
    /// DescribeStackEvents right after it (by name or by ID) says the stack does not exist. moto deletes the
    /// stack within the DeleteStack call, so later reads find it gone.
    pub fn racing_delete(&self, stack: &str) {
        self.state.lock().unwrap().racing.insert(stack.into(), Race::default());
    }

    /// Whether the race [`Faults::racing_delete`] scripted for `stack` has not been run to its end yet.
    pub fn race_pending(&self, stack: &str) -> bool {
        self.state.lock().unwrap().racing.contains_key(stack)
    }

    /// Runs `hook` once, when the next request of `action` for `stack` arrives and before it is forwarded:
    /// what CI (or another person) does between two calls of a deploy.
    pub fn before(&self, action: &str, stack: &str, hook: impl FnOnce() + Send + 'static) {
        self.state.lock().unwrap().hooks.push((action.into(), stack.into(), Hook(Box::new(hook))));
    }

    /// How many requests of `action` reached the proxy.
    pub fn calls(&self, action: &str) -> usize {
        self.state.lock().unwrap().calls.get(action).copied().unwrap_or(0)
    }

    /// The stack named by each request of `action`, in the order they arrived.
    pub fn stacks_called(&self, action: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state.requests.iter().filter(|(a, _, _)| a == action).map(|(_, stack, _)| stack.clone()).collect()
    }

    /// The parameters of each request of `action` (`RoleARN`, `ChangeSetType`, ...), in the order they arrived.
    pub fn params_of(&self, action: &str) -> Vec<BTreeMap<String, String>> {
        let state = self.state.lock().unwrap();
        state.params.iter().filter(|p| p.get("Action").map(String::as_str) == Some(action)).cloned().collect()
    }

    /// When each request of `action` arrived, in order.
    pub fn arrivals(&self, action: &str) -> Vec<Instant> {
        self.state.lock().unwrap().requests.iter().filter(|(a, _, _)| a == action).map(|(_, _, at)| *at).collect()
    }

    /// The `ResourcesToSkip` of every ContinueUpdateRollback call.
    pub fn skipped(&self) -> Vec<Vec<String>> {
        self.state.lock().unwrap().skipped.clone()
    }
}

/// The stack's name, whether a request names it or gives its ID
/// (`arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`), so that scripts keyed by name apply to both.
fn stack_name_of(name_or_id: &str) -> String {
    match name_or_id.strip_prefix("arn:").and_then(|arn| arn.split_once(":stack/")) {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest).to_string(),
        None => name_or_id.to_string(),
    }
}

fn form(body: &str) -> BTreeMap<String, String> {
    body.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

fn answer(w: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        w,
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    w.flush()
}

fn ok_response(action: &str) -> String {
    format!(
        "<{action}Response xmlns=\"{NS}\"><{action}Result/><ResponseMetadata><RequestId>faults</RequestId>\
         </ResponseMetadata></{action}Response>"
    )
}

fn error_response(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>\
         </Error><RequestId>faults</RequestId></ErrorResponse>"
    )
}

/// Sets output `key` of the (one) stack in DescribeStacks answer `text` to `value`, adding it if missing.
fn set_output(text: &mut String, key: &str, value: &str) {
    let at_key = format!("<OutputKey>{key}</OutputKey>");
    if let Some(k) = text.find(&at_key) {
        let end = k + text[k..].find("</member>").expect("an output member ends");
        if let (Some(a), Some(b)) = (text[k..end].find("<OutputValue>"), text[k..end].find("</OutputValue>")) {
            text.replace_range(k + a + "<OutputValue>".len()..k + b, value);
        } else {
            text.insert_str(k + at_key.len(), &format!("<OutputValue>{value}</OutputValue>"));
        }
        return;
    }
    let member = format!("<member>{at_key}<OutputValue>{value}</OutputValue></member>");
    if let Some(at) = text.find("<Outputs/>") {
        text.replace_range(at..at + "<Outputs/>".len(), &format!("<Outputs>{member}</Outputs>"));
    } else if let Some(at) = text.find("<Outputs>") {
        text.insert_str(at + "<Outputs>".len(), &member);
    } else if let Some(at) = text.find("</StackStatus>") {
        text.insert_str(at + "</StackStatus>".len(), &format!("<Outputs>{member}</Outputs>"));
    }
}

/// The answer a scripted race gives now instead of moto's, if any: a status read that still sees the
/// deletion under way, then an events read that finds the stack gone.
fn race_answer(state: &Mutex<State>, action: &str, stack: &str) -> Option<(&'static str, String)> {
    let mut s = state.lock().unwrap();
    let race = s.racing.get_mut(stack).filter(|r| r.deleted)?;
    match action {
        "DescribeStacks" if !race.status_read => {
            race.status_read = true;
            let mut text = race.described.clone().expect("described before it was deleted");
            if let (Some(a), Some(b)) = (text.find("<StackStatus>"), text.find("</StackStatus>")) {
                text.replace_range(a + "<StackStatus>".len()..b, "DELETE_IN_PROGRESS");
            }
            Some(("200 OK", text))
        }
        "DescribeStackEvents" if race.status_read => {
            s.racing.remove(stack);
            let message = format!("Stack with id {stack} does not exist");
            Some(("400 Bad Request", error_response("ValidationError", &message)))
        }
        _ => None,
    }
}

/// The stack's status after `polls` DescribeStacks calls since a failing execution.
fn status(f: &Failing) -> &'static str {
    match f.deleting {
        Some(0) => return "DELETE_IN_PROGRESS",
        Some(_) => return "DELETE_FAILED",
        None => {}
    }
    match (f.failure, f.polls, f.continued) {
        (Failure::Busy, _, _) => "UPDATE_IN_PROGRESS",
        (_, _, true) => "UPDATE_ROLLBACK_COMPLETE",
        (Failure::CreateRollsBack | Failure::CreateAndDeleteFail, 0, _) => "CREATE_IN_PROGRESS",
        (Failure::CreateRollsBack | Failure::CreateAndDeleteFail, 1, _) => "ROLLBACK_IN_PROGRESS",
        (Failure::CreateRollsBack | Failure::CreateAndDeleteFail, _, _) => "ROLLBACK_COMPLETE",
        (_, 0, _) => "UPDATE_IN_PROGRESS",
        (_, 1, _) => "UPDATE_ROLLBACK_IN_PROGRESS",
        (Failure::UpdateRollsBack, _, _) => "UPDATE_ROLLBACK_COMPLETE",
        (Failure::RollbackFails, _, _) => "UPDATE_ROLLBACK_FAILED",
    }
}

/// The events CloudFormation would have recorded so far, oldest first: (id, logical ID, type, status, reason).
fn events(stack: &str, f: &Failing) -> Vec<(String, String, String, String, String)> {
    let create = matches!(f.failure, Failure::CreateRollsBack | Failure::CreateAndDeleteFail);
    let verb = if create { "CREATE" } else { "UPDATE" };
    let ev = |n: u32, id: &str, kind: &str, status: String, reason: &str| {
        (format!("faults-{stack}-{n}"), id.to_string(), kind.to_string(), status, reason.to_string())
    };
    let mut all = vec![ev(1, stack, "AWS::CloudFormation::Stack", format!("{verb}_IN_PROGRESS"), "User Initiated")];
    if f.failure == Failure::Busy {
        return all;
    }
    if f.polls >= 1 {
        all.push(ev(
            2,
            "Broken",
            "AWS::S3::BucketPolicy",
            format!("{verb}_FAILED"),
            "Resource handler returned message: \"Access Denied (Service: S3, Status Code: 403)\"",
        ));
        all.push(ev(3, "Neighbour", "AWS::SNS::Topic", format!("{verb}_FAILED"), "Resource update cancelled"));
        let rolling = if create { "ROLLBACK_IN_PROGRESS" } else { "UPDATE_ROLLBACK_IN_PROGRESS" };
        all.push(ev(
            4,
            stack,
            "AWS::CloudFormation::Stack",
            rolling.into(),
            "The following resource(s) failed: [Broken]",
        ));
    }
    if f.polls >= 2 {
        if f.failure == Failure::RollbackFails {
            all.push(ev(
                5,
                "Broken",
                "AWS::S3::BucketPolicy",
                "UPDATE_FAILED".into(),
                "Rollback: bucket policy is locked",
            ));
        }
        all.push(ev(
            6,
            stack,
            "AWS::CloudFormation::Stack",
            status(&Failing { polls: 2, continued: false, deleting: None, ..*f }).into(),
            "",
        ));
    }
    if f.continued {
        all.push(ev(7, stack, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE".into(), "continued"));
    }
    if let Some(polls) = f.deleting {
        all.push(ev(8, stack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS".into(), "User Initiated"));
        if polls >= 1 {
            all.push(ev(
                9,
                "Broken",
                "AWS::S3::BucketPolicy",
                "DELETE_FAILED".into(),
                "Resource handler returned message: \"Access Denied\"",
            ));
            all.push(ev(
                10,
                stack,
                "AWS::CloudFormation::Stack",
                "DELETE_FAILED".into(),
                "The following resource(s) failed to delete: [Broken]",
            ));
        }
    }
    all
}

fn event_xml(stack: &str, stack_id: &str, e: &(String, String, String, String, String)) -> String {
    format!(
        "<member><EventId>{}</EventId><StackId>{stack_id}</StackId><StackName>{stack}</StackName>\
         <LogicalResourceId>{}</LogicalResourceId><PhysicalResourceId></PhysicalResourceId>\
         <ResourceType>{}</ResourceType><Timestamp>2026-11-23T12:00:{:02}.000Z</Timestamp>\
         <ResourceStatus>{}</ResourceStatus><ResourceStatusReason>{}</ResourceStatusReason></member>",
        e.0,
        e.1,
        e.2,
        e.0.rsplit('-').next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(0),
        e.3,
        e.4.replace('"', "&quot;")
    )
}

fn serve(conn: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    // One request per connection: every answer says `Connection: close`.
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    if let Some(head) = read_head(&mut reader)? {
        let mut body = vec![0; content_length(&head)];
        reader.read_exact(&mut body)?;
        let params = form(&String::from_utf8_lossy(&body));
        let action = params.get("Action").cloned().unwrap_or_default();
        let stack = stack_name_of(params.get("StackName").map(String::as_str).unwrap_or_default());
        let (latency, fault) = {
            let mut s = state.lock().unwrap();
            *s.calls.entry(action.clone()).or_default() += 1;
            s.requests.push((action.clone(), stack.clone(), Instant::now()));
            s.params.push(params.clone());
            let hit = s.faults.iter_mut().find(|(a, _, n)| *a == action && *n > 0);
            let fault = hit.map(|(_, fault, n)| {
                *n -= 1;
                *fault
            });
            (s.latency, fault)
        };
        if let Some(delay) = latency {
            std::thread::sleep(delay);
        }
        match fault {
            Some(Fault::Throttle) => {
                answer(&mut writer, "400 Bad Request", &error_response("Throttling", "Rate exceeded"))?;
                return Ok(());
            }
            Some(Fault::Unavailable) => {
                answer(&mut writer, "503 Service Unavailable", &error_response("ServiceUnavailable", "try again"))?;
                return Ok(());
            }
            Some(Fault::Drop) => return Ok(()),
            Some(Fault::Slow(d)) => std::thread::sleep(d),
            None => {}
        }
        let failing = state.lock().unwrap().failing.get(&stack).copied();
        match (action.as_str(), failing) {
            ("ExecuteChangeSet", Some(f)) if !f.active => {
                let mut s = state.lock().unwrap();
                let entry = s.failing.get_mut(&stack).unwrap();
                entry.active = true;
                answer(&mut writer, "200 OK", &ok_response("ExecuteChangeSet"))?;
                return Ok(());
            }
            ("ContinueUpdateRollback", Some(f)) if f.active => {
                let mut s = state.lock().unwrap();
                let skips: Vec<String> = params
                    .iter()
                    .filter(|(k, _)| k.starts_with("ResourcesToSkip.member."))
                    .map(|(_, v)| v.clone())
                    .collect();
                s.skipped.push(skips);
                s.failing.get_mut(&stack).unwrap().continued = true;
                answer(&mut writer, "200 OK", &ok_response("ContinueUpdateRollback"))?;
                return Ok(());
            }
            ("DeleteStack", Some(f)) if f.active && f.failure == Failure::CreateAndDeleteFail => {
                // CloudFormation accepts the deletion and fails it later; moto never sees it.
                state.lock().unwrap().failing.get_mut(&stack).unwrap().deleting = Some(0);
                answer(&mut writer, "200 OK", &ok_response("DeleteStack"))?;
                return Ok(());
            }
            ("DeleteStack", Some(f)) if f.active => {
                // CloudFormation deletes the rolled-back stack; moto, which never executed it, does too.
                state.lock().unwrap().failing.remove(&stack);
            }
            _ => {}
        }
        if let Some(answer_now) = race_answer(state, &action, &stack) {
            let (status, text) = answer_now;
            answer(&mut writer, status, &text)?;
            return Ok(());
        }
        let hook = {
            let mut s = state.lock().unwrap();
            let at = s.hooks.iter().position(|(a, st, _)| *a == action && *st == stack);
            at.map(|at| s.hooks.remove(at).2)
        };
        if let Some(Hook(hook)) = hook {
            hook();
        }
        let (answer_head, answer_body) = forward(upstream, &head, &body)?;
        // An object's bytes (a release's zip, an asset) pass as they are, with the upstream's head (its ETag).
        let mut text = match String::from_utf8(answer_body) {
            Ok(text) => text,
            Err(binary) => {
                let bytes = binary.into_bytes();
                writer.write_all(crate::moto::pass_head(&answer_head, bytes.len()).as_bytes())?;
                writer.write_all(&bytes)?;
                return writer.flush();
            }
        };
        let status_line =
            answer_head.lines().next().and_then(|l| l.split_once(' ')).map_or("200 OK", |x| x.1).to_string();
        let mut s = state.lock().unwrap();
        if let Some(race) = s.racing.get_mut(&stack) {
            match action.as_str() {
                "DescribeStacks" if status_line.starts_with("200") => race.described = Some(text.clone()),
                "DeleteStack" if status_line.starts_with("200") && race.described.is_some() => race.deleted = true,
                _ => {}
            }
        }
        let State { failing, stack_ids, outputs, .. } = &mut *s;
        if let Some(values) = outputs.get(&stack).filter(|_| action == "DescribeStacks") {
            for (key, value) in values {
                set_output(&mut text, key, value);
            }
        }
        if let Some(f) = failing.get_mut(&stack).filter(|f| f.active) {
            match action.as_str() {
                "DescribeStacks" => {
                    if let (Some(a), Some(b)) = (text.find("<StackStatus>"), text.find("</StackStatus>")) {
                        text.replace_range(a + "<StackStatus>".len()..b, status(f));
                    }
                    if let (Some(a), Some(b)) = (text.find("<StackId>"), text.find("</StackId>")) {
                        stack_ids.insert(stack.clone(), text[a + "<StackId>".len()..b].to_string());
                    }
                    match &mut f.deleting {
                        Some(polls) => *polls += 1,
                        None => f.polls += 1,
                    }
                }
                "DescribeStackEvents" => {
                    let id = stack_ids.get(&stack).cloned().unwrap_or_default();
                    let injected: String = events(&stack, f).iter().rev().map(|e| event_xml(&stack, &id, e)).collect();
                    if let Some(at) = text.find("<StackEvents>") {
                        text.insert_str(at + "<StackEvents>".len(), &injected);
                    }
                }
                _ => {}
            }
        }
        drop(s);
        answer(&mut writer, &status_line, &text)?;
    }
    Ok(())
}
