//! `cmd:PROGRAM ARGS...`: a model behind a subprocess that reads one JSON request per line on its
//! standard input and writes one JSON answer per line on its standard output.
//!
//! Request: `{"id", "prompt", "premise", "hypothesis"}` (for a graph item `{"id", "prompt",
//! "premise", "question", "variables"}`). Answer: `{"output": "..."}`, optionally
//! with `prompt_tokens` and `completion_tokens` (an `id`, if given, must be the request's). With
//! `--jobs N` the runner starts N copies, one per request in flight. A program that dies is started
//! again and the request retried (a crash is a passing fault); one that keeps dying before its
//! first answer is a crash loop, which stops the run like a server gone, with the program's last
//! lines on standard error; one that breaks the protocol stops the run at once.
//!
//! What the programs write on standard error is passed on to ours as it comes. They run in a
//! process group of their own, so a Ctrl-C reaches the runner alone, which ends them.

use super::backend::{Backend, Failure, Question, Reply, Session};
use super::stop::Endpoint;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines of a program's standard error kept for the message of a crash loop.
const STDERR_LINES: usize = 12;

/// A `cmd:` model: the program and its arguments (split on white space).
#[derive(Debug)]
pub struct CommandBackend {
    spec: String,
    program: String,
    args: Vec<String>,
    /// The running copies, by process id, so that [`Backend::cancel`] can end them.
    children: Mutex<HashMap<u32, Arc<Mutex<Child>>>>,
    /// The last lines on standard error of the copy that ended last.
    last_words: Mutex<Vec<String>>,
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
            children: Mutex::default(),
            last_words: Mutex::default(),
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
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|e| Failure::Fatal(format!("cannot start {}: {e}", self.program)))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let stderr = child.stderr.take().expect("piped");
        // Passes the program's standard error on, keeping its last lines; says when it closes.
        let (closed_tx, closed) = mpsc::channel::<()>();
        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let kept = tail.clone();
        std::thread::spawn(move || {
            let _closed = closed_tx;
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let _ = std::io::stderr().write_all(&line);
                let text = String::from_utf8_lossy(&line);
                let text: String = text.trim_end().chars().take(500).collect();
                let mut kept = kept.lock().expect("not poisoned");
                if kept.len() == STDERR_LINES {
                    kept.pop_front();
                }
                kept.push_back(text);
                line.clear();
            }
        });
        let pid = child.id();
        let child = Arc::new(Mutex::new(child));
        self.children
            .lock()
            .expect("not poisoned")
            .insert(pid, child.clone());
        Ok(Box::new(CommandSession {
            backend: self,
            pid,
            child,
            stdin,
            stdout,
            stderr_closed: closed,
            stderr: tail,
            answered: 0,
        }))
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::Program {
            command: self.spec["cmd:".len()..].trim().to_string(),
            stderr: self.last_words.lock().expect("not poisoned").clone(),
        }
    }

    fn cancel(&self) {
        for child in self.children.lock().expect("not poisoned").values() {
            let _ = child.lock().expect("not poisoned").kill();
        }
    }
}

/// One running copy of the program.
struct CommandSession<'a> {
    backend: &'a CommandBackend,
    pid: u32,
    child: Arc<Mutex<Child>>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Disconnects when the program's standard error closes.
    stderr_closed: mpsc::Receiver<()>,
    /// The last lines it wrote there.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Answers this copy gave.
    answered: u64,
}

impl CommandSession<'_> {
    /// The failure of a program that ended: a passing fault once it has answered, else (it died
    /// at start) a sign that it may never answer. Waits a little for its exit status and for the
    /// last of its standard error.
    fn ended(&mut self, what: String) -> Failure {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut status = None;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.lock().expect("not poisoned").try_wait() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self
            .stderr_closed
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        *self.backend.last_words.lock().expect("not poisoned") = self
            .stderr
            .lock()
            .expect("not poisoned")
            .iter()
            .cloned()
            .collect();
        let message = match status {
            Some(s) => format!("{what} ({s})"),
            None => what,
        };
        if self.answered == 0 {
            Failure::Unreachable(message)
        } else {
            Failure::transient(message)
        }
    }
}

impl Session for CommandSession<'_> {
    /// Sends one request and reads its answer. A program that died is a transient failure (the
    /// runner starts a new one); one that answers out of protocol stops the run.
    fn ask(&mut self, question: &Question) -> Result<Reply, Failure> {
        let request = question.request();
        let mut line = request.to_string();
        line.push('\n');
        if let Err(e) = self
            .stdin
            .write_all(line.as_bytes())
            .and_then(|_| self.stdin.flush())
        {
            return Err(self.ended(format!("cannot send a request (did the program die?): {e}")));
        }
        let mut answer = String::new();
        let n = match self.stdout.read_line(&mut answer) {
            Ok(n) => n,
            Err(e) => return Err(self.ended(format!("cannot read an answer: {e}"))),
        };
        if n == 0 {
            return Err(self.ended(format!(
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
        self.answered += 1;
        Ok(Reply {
            output: output.to_string(),
            prompt_tokens: v.get("prompt_tokens").and_then(Value::as_u64),
            completion_tokens: v.get("completion_tokens").and_then(Value::as_u64),
            answer_probabilities: None,
        })
    }
}

impl Drop for CommandSession<'_> {
    fn drop(&mut self) {
        self.backend
            .children
            .lock()
            .expect("not poisoned")
            .remove(&self.pid);
        let mut child = self.child.lock().expect("not poisoned");
        let _ = child.kill();
        let _ = child.wait();
    }
}
