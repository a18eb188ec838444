//! `cmd:PROGRAM ARGS...`: a model behind a subprocess that reads one JSON request per line on its
//! standard input and writes one JSON answer per line on its standard output.
//!
//! Request: `{"id", "prompt", "premise", "hypothesis"}`. Answer: `{"output": "..."}` (an `id`, if
//! given, must be the request's). Answers go to the run's journal as they arrive, so a run killed
//! at any moment continues where it stopped.

use super::journal::Journal;
use super::prompt::Prompt;
use crate::error::{Error, Result, Source};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A running model subprocess.
pub struct CommandModel {
    spec: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CommandModel {
    /// Starts `cmd:PROGRAM ARGS...` (arguments split on white space).
    pub fn start(spec: &str) -> Result<CommandModel> {
        let line = spec
            .strip_prefix("cmd:")
            .ok_or_else(|| Error::Usage(format!("{spec:?} is not a cmd: model")))?;
        let mut words = line.split_whitespace();
        let program = words
            .next()
            .ok_or_else(|| Error::Usage("cmd: needs a program".into()))?;
        let mut child = Command::new(program)
            .args(words)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Usage(format!("{spec}: cannot start {program}: {e}")))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(CommandModel {
            spec: spec.to_string(),
            child,
            stdin,
            stdout,
        })
    }

    /// Sends one request and reads its answer.
    pub fn ask(&mut self, request: &Value) -> Result<String> {
        let fail = |what: String| Error::Usage(format!("{}: {what}", self.spec));
        let mut line = serde_json::to_string(request).expect("a request serialises");
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|e| fail(format!("cannot send a request: {e}")))?;
        let mut answer = String::new();
        let n = self
            .stdout
            .read_line(&mut answer)
            .map_err(|e| fail(format!("cannot read an answer: {e}")))?;
        if n == 0 {
            return Err(fail(format!(
                "the program ended before answering item {}",
                request["id"]
            )));
        }
        let v: Value = serde_json::from_str(answer.trim_end())
            .map_err(|e| fail(format!("answer is not JSON ({e}): {:?}", answer.trim_end())))?;
        if let Some(id) = v.get("id") {
            if *id != request["id"] {
                return Err(fail(format!(
                    "answered {id} to a request for {}",
                    request["id"]
                )));
            }
        }
        v.get("output")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                fail(format!(
                    "answer has no text field `output`: {}",
                    answer.trim_end()
                ))
            })
    }
}

impl Drop for CommandModel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asks the model every item of the JSONL dataset `files` (after the worked examples `shots`) not
/// yet in the journal at `journal_path`, then writes `predictions` (one line per item, dataset order, atomically).
/// Returns (items, newly answered).
pub fn run_command(
    spec: &str,
    files: &[std::path::PathBuf],
    prompt: &Prompt,
    shots: &[(String, String, bool)],
    journal_path: &Path,
    predictions: &Path,
) -> Result<(usize, usize)> {
    let shots: Vec<(&str, &str, bool)> = shots
        .iter()
        .map(|(p, h, v)| (p.as_str(), h.as_str(), *v))
        .collect();
    let (mut journal, done) = Journal::open(journal_path)?;
    let mut model: Option<CommandModel> = None;
    let mut order: Vec<String> = Vec::new();
    let mut answered: std::collections::HashMap<String, Value> = done;
    let mut new = 0;
    for path in files {
        let source = Source::File(path.clone());
        let reader =
            BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path.display(), e))?);
        for (i, line) in reader.lines().enumerate() {
            let text = line.map_err(|e| Error::io(path.display(), e))?;
            let item = super::parse_item(&source, i + 1, &text)?;
            order.push(item.id.clone());
            if answered.contains_key(&item.id) {
                continue;
            }
            if model.is_none() {
                model = Some(CommandModel::start(spec)?);
            }
            let text_prompt = prompt.render_with_shots(&shots, &item.premise, &item.hypothesis);
            let request = json!({"id": item.id, "prompt": text_prompt, "premise": item.premise, "hypothesis": item.hypothesis});
            let started = std::time::Instant::now();
            let output = model.as_mut().expect("started").ask(&request)?;
            let answer = crate::text::answer::read(&output).answer;
            let record = json!({
                "id": item.id,
                "output": output,
                "answer": (answer != crate::text::answer::Answer::Unparsed).then(|| answer.as_str()),
                "request": {"prompt": text_prompt, "model": spec, "latency_ms": started.elapsed().as_millis() as u64},
            });
            journal.append(&record)?;
            answered.insert(item.id, record);
            new += 1;
        }
    }
    drop(model);
    let mut out = crate::output::AtomicFile::create(predictions)?;
    for id in &order {
        let line = serde_json::to_string(&answered[id]).expect("record serialises") + "\n";
        out.write_all(line.as_bytes())
            .map_err(|e| Error::io(predictions.display(), e))?;
    }
    out.commit()?;
    Ok((order.len(), new))
}
