//! Logs of other evaluation harnesses read as predictions: lm-evaluation-harness's
//! `samples_*.jsonl` (written with `--log_samples`) and inspect_ai's logs (`.eval` archives and
//! `.json`), recognised by their content, not their name. Each answer keeps its corrcause id (the
//! tasks `corrcause export lm-eval` and `corrcause export inspect` write carry it), the model's
//! raw text, the label the task was given (to catch a log from another dataset) and where in the
//! file it was, for messages.

mod zip;

use crate::error::{Error, Result, Source};
use serde_json::Value;
use std::io::{BufRead, Read};
use std::path::Path;

/// What a prediction file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    /// corrcause's own JSON lines (`id` and `output` or `prediction`).
    Predictions,
    /// lm-evaluation-harness samples (`doc_id`, `doc`, `resps`, one per line).
    LmEval,
    /// An inspect_ai `.eval` log (a ZIP archive with a JSON file per sample).
    InspectEval,
    /// An inspect_ai `.json` log (one JSON object with `eval` and `samples`).
    InspectJson,
}

/// One answer found in a harness log.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The file (or `archive.eval!member`) and line it came from.
    pub source: Source,
    pub line: usize,
    /// The corrcause id of the item.
    pub id: String,
    /// The model's raw text.
    pub output: String,
    /// The label the harness's task was given for the item, when the log shows it.
    pub label: Option<u8>,
}

/// Tells what `path` holds from its first bytes and first line.
pub fn detect(path: &Path) -> Result<LogKind> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
    let mut magic = [0u8; 4];
    let got = file
        .read(&mut magic)
        .map_err(|e| Error::reading(path.display(), e))?;
    if got == 4 && magic == *b"PK\x03\x04" {
        return Ok(LogKind::InspectEval);
    }
    // Bytes, not text: a file that is not UTF-8 is left to the JSON lines reader, which names
    // the line.
    let file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
    let mut first = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut first)
        .map_err(|e| Error::reading(path.display(), e))?;
    match serde_json::from_slice::<Value>(&first) {
        Ok(v) if v.get("doc_id").is_some() && v.get("resps").is_some() => Ok(LogKind::LmEval),
        Ok(_) => Ok(LogKind::Predictions),
        // A JSON document over several lines: inspect's `.json` log, or else not ours (the
        // JSON lines reader then names the line).
        Err(_) if first.trim_ascii_start().starts_with(b"{") => {
            let bytes = std::fs::read(path).map_err(|e| Error::reading(path.display(), e))?;
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) if v.get("eval").is_some() && v.get("version").is_some() => {
                    Ok(LogKind::InspectJson)
                }
                _ => Ok(LogKind::Predictions),
            }
        }
        Err(_) => Ok(LogKind::Predictions),
    }
}

/// Reads the answers of a harness log of `kind` (not [`LogKind::Predictions`]).
pub fn read(path: &Path, kind: LogKind) -> Result<Vec<Answered>> {
    match kind {
        LogKind::LmEval => read_lm_eval(path),
        LogKind::InspectJson => read_inspect_json(path),
        LogKind::InspectEval => read_inspect_eval(path),
        LogKind::Predictions => Err(Error::Usage(format!(
            "{}: a corrcause prediction file, not a harness log",
            path.display()
        ))),
    }
}

/// The model a harness log names: inspect's `eval.model`, or for lm-eval the folder it wrote the
/// samples into (named after the model). `None` for corrcause's own files or when not found.
pub fn model_name(path: &Path) -> Option<String> {
    let model = |v: &Value| v.pointer("/eval/model")?.as_str().map(str::to_string);
    match detect(path).ok()? {
        LogKind::Predictions => None,
        LogKind::LmEval => path
            .parent()?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        LogKind::InspectJson => {
            model(&serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?)
        }
        LogKind::InspectEval => {
            let archive = zip::Archive::new(std::fs::read(path).ok()?).ok()?;
            ["header.json", "_journal/start.json"]
                .iter()
                .find_map(|name| {
                    let member = archive.members.iter().find(|m| m.name == *name)?;
                    model(&serde_json::from_slice(&archive.read(member).ok()?).ok()?)
                })
        }
    }
}

/// The label a task row carries (`label` 0/1, or a Yes/No `target`).
fn label_of(v: &Value) -> Option<u8> {
    match v.get("label").and_then(Value::as_u64) {
        Some(l @ (0 | 1)) => Some(l as u8),
        _ => match v.get("target").and_then(Value::as_str) {
            Some("Yes") => Some(1),
            Some("No") => Some(0),
            _ => None,
        },
    }
}

/// An id as text (inspect keeps numeric ids as numbers).
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// lm-evaluation-harness samples: the id is the task row's (`doc.id`), the text the first
/// unfiltered response (`resps[0][0]`).
fn read_lm_eval(path: &Path) -> Result<Vec<Answered>> {
    let source = Source::File(path.to_path_buf());
    let text = std::fs::read_to_string(path).map_err(|e| Error::reading(path.display(), e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| Error::input(&source, n, None, format!("not JSON: {e}")))?;
        let doc = v.get("doc").ok_or_else(|| {
            Error::input(&source, n, Some("doc"), "missing: not an lm-eval sample")
        })?;
        let id = id_text(doc.get("id")).ok_or_else(|| {
            Error::input(
                &source,
                n,
                Some("doc.id"),
                "missing: the task was not written by `corrcause export lm-eval`",
            )
        })?;
        let output = v
            .pointer("/resps/0/0")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::input(
                    &source,
                    n,
                    Some("resps"),
                    "expected [[\"text\"]] (a generate_until task's response)",
                )
            })?
            .to_string();
        out.push(Answered {
            source: source.clone(),
            line: n,
            id,
            output,
            label: label_of(doc),
        });
    }
    Ok(out)
}

/// One inspect sample as an answer; `None` for a sample that ended in an error (it has no answer
/// and counts as missing).
fn inspect_sample(sample: &Value, source: &Source, line: usize) -> Result<Option<Answered>> {
    let id = id_text(sample.get("id"))
        .ok_or_else(|| Error::input(source, line, Some("id"), "missing"))?;
    if sample.get("error").is_some_and(|e| !e.is_null()) {
        return Ok(None);
    }
    let output = sample
        .pointer("/output/completion")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::input(source, line, Some("output.completion"), "missing"))?
        .to_string();
    let label = sample
        .get("metadata")
        .and_then(label_of)
        .or_else(|| label_of(sample));
    Ok(Some(Answered {
        source: source.clone(),
        line,
        id,
        output,
        label,
    }))
}

/// The line of `text` at which byte `at` is (from 1).
fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// An inspect `.json` log: the samples in `samples`, each named by the line where its id is.
fn read_inspect_json(path: &Path) -> Result<Vec<Answered>> {
    let source = Source::File(path.to_path_buf());
    let text = std::fs::read_to_string(path).map_err(|e| Error::reading(path.display(), e))?;
    let log: Value = serde_json::from_str(&text)
        .map_err(|e| Error::input(&source, e.line(), None, format!("not JSON: {e}")))?;
    let samples = log
        .get("samples")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::input(
                &source,
                1,
                Some("samples"),
                "missing: the log has no samples (was it written with --no-log-samples?)",
            )
        })?;
    let mut out = Vec::new();
    // Samples come in order; each one's `"id": ...` is searched for after the previous one.
    let mut from = text.find("\"samples\"").unwrap_or(0);
    for sample in samples {
        let id_json = sample.get("id").map(Value::to_string).unwrap_or_default();
        let needle = format!("\"id\": {id_json}");
        let at = text[from..].find(&needle).map_or(from, |i| from + i);
        from = at + 1;
        if let Some(a) = inspect_sample(sample, &source, line_at(&text, at))? {
            out.push(a);
        }
    }
    Ok(out)
}

/// An inspect `.eval` archive: one `samples/*.json` member per sample (and epoch), in the
/// archive's order.
fn read_inspect_eval(path: &Path) -> Result<Vec<Answered>> {
    let bytes = std::fs::read(path).map_err(|e| Error::reading(path.display(), e))?;
    let source = Source::File(path.to_path_buf());
    let archive = zip::Archive::new(bytes).map_err(|e| Error::input(&source, 1, None, e))?;
    let mut out = Vec::new();
    for member in archive
        .members
        .iter()
        .filter(|m| m.name.starts_with("samples/") && m.name.ends_with(".json"))
    {
        let inner = Source::File(format!("{}!{}", path.display(), member.name).into());
        let data = archive
            .read(member)
            .map_err(|e| Error::input(&inner, 1, None, e))?;
        let sample: Value = serde_json::from_slice(&data)
            .map_err(|e| Error::input(&inner, e.line(), None, format!("not JSON: {e}")))?;
        if let Some(a) = inspect_sample(&sample, &inner, 1)? {
            out.push(a);
        }
    }
    Ok(out)
}
