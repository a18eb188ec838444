//! `cmd:PROGRAM ARGS...`: a model behind a subprocess that reads one JSON request per line on its
//! standard input and writes one JSON answer per line on its standard output.
//!
//! Request: `{"id", "prompt", "premise", "hypothesis"}` (for a graph item `{"id", "prompt",
//! "premise", "question", "variables"}`). Answer: `{"output": "..."}`, optionally
//! with `prompt_tokens` and `completion_tokens` (an `id`, if given, must be the request's). With
//! `--jobs N` the runner starts N copies, one per request in flight. A program that dies is started
//! again and the request retried (a crash is a passing fault); one that breaks the protocol stops
//! the run.

use super::backend::{Backend, Failure, Question, Reply, Session};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A `cmd:` model: the program and its arguments (split on white space).
#[derive(Clone, Debug)]
pub struct CommandBackend {
    spec: String,
    program: String,
    args: Vec<String>,
}

impl CommandBackend {
    /// Reads `cmd:PROGRAM ARGS...`.
    pub fn new(spec: &str) -> Result<CommandBackend, String> {
        let line = spec
            .strip_prefix("cmd:")
            .ok_or_else(|| format!("{spec:?} is not a cmd: model"))?;
        let mut words = line.split_whitespace().map(str::to_string);
        let program = words
            .next()
            .ok_or_else(|| "cmd: needs a program".to_string())?;
        Ok(CommandBackend {
            spec: spec.to_string(),
            program,
            args: words.collect(),
        })
    }
}

impl Backend for CommandBackend {
    fn spec(&self) -> &str {
        &self.spec
    }

    fn default_jobs(&self) -> usize {
        1
    }

    fn parameters(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("command".into(), json!(self.spec));
        m
    }

    fn cache_identity(&self) -> String {
        self.spec.clone()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, Failure> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Failure::Fatal(format!("cannot start {}: {e}", self.program)))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Box::new(CommandSession {
            child,
            stdin,
            stdout,
        }))
    }
}

/// One running copy of the program.
struct CommandSession {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Session for CommandSession {
    /// Sends one request and reads its answer. A program that died is a transient failure (the
    /// runner starts a new one); one that answers out of protocol stops the run.
    fn ask(&mut self, question: &Question) -> Result<Reply, Failure> {
        let request = question.request();
        let mut line = request.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|e| {
                Failure::transient(format!("cannot send a request (did the program die?): {e}"))
            })?;
        let mut answer = String::new();
        let n = self
            .stdout
            .read_line(&mut answer)
            .map_err(|e| Failure::transient(format!("cannot read an answer: {e}")))?;
        if n == 0 {
            return Err(Failure::transient(format!(
                "the program ended before answering item {:?}",
                question.id
            )));
        }
        let v: Value = serde_json::from_str(answer.trim_end()).map_err(|e| {
            Failure::Fatal(format!("answer is not JSON ({e}): {:?}", answer.trim_end()))
        })?;
        if let Some(id) = v.get("id") {
            if id.as_str() != Some(question.id.as_str()) {
                return Err(Failure::Fatal(format!(
                    "answered {id} to a request for {:?}",
                    question.id
                )));
            }
        }
        let output = v.get("output").and_then(Value::as_str).ok_or_else(|| {
            Failure::Fatal(format!(
                "answer has no text field `output`: {}",
                answer.trim_end()
            ))
        })?;
        Ok(Reply {
            output: output.to_string(),
            prompt_tokens: v.get("prompt_tokens").and_then(Value::as_u64),
            completion_tokens: v.get("completion_tokens").and_then(Value::as_u64),
            answer_probabilities: None,
        })
    }
}

impl Drop for CommandSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
