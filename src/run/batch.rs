//! Providers' batch endpoints: [`export`] writes one request per item in the OpenAI Batch API's
//! JSONL form (`custom_id`, `method`, `url`, `body`), and [`import`] turns the provider's result
//! file into a prediction file the scorer reads.

use super::ask::answer_record;
use super::openai::{read_completion, Api, Settings};
use super::prompt::{Prompt, Shot};
use crate::dataset::lines::numbered_lines;
use crate::error::{Error, Result, Source};
use crate::output::AtomicFile;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes a Batch API request for every item of the JSONL dataset `files` to `out`
/// (atomically); returns the number of requests.
pub fn export(
    files: &[PathBuf],
    prompt: &Prompt,
    shots: &[Shot],
    model: &str,
    settings: &Settings,
    out: &Path,
) -> Result<usize> {
    let url = match settings.api {
        Api::Chat => "/v1/chat/completions",
        Api::Completions => "/v1/completions",
    };
    let mut file = AtomicFile::create(out)?;
    let mut count = 0;
    for path in files {
        let source = Source::File(path.clone());
        for line in numbered_lines(path)? {
            let (n, text) = line?;
            let item = super::parse_item(&source, n, &text)?;
            let mut body = settings.body(model, &prompt.render_item(shots, &item));
            if let Some(b) = body.as_object_mut() {
                b.remove("stream"); // the Batch API takes no stream field
            }
            let request = json!({"custom_id": item.id, "method": "POST", "url": url, "body": body});
            writeln!(file, "{request}").map_err(|e| Error::writing(out.display(), e))?;
            count += 1;
        }
    }
    file.commit()?;
    Ok(count)
}

/// What an import found.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    /// Predictions written.
    pub answered: usize,
    /// Requests the provider did not answer: (line, custom_id, why). They are not in the output.
    pub failed: Vec<(usize, String, String)>,
}

/// Turns a Batch API result file into predictions at `out` (atomically, in the file's order).
/// A line that is not a result record is an error naming it; a request the provider failed is
/// listed in [`Imported::failed`].
pub fn import(results: &Path, out: &Path) -> Result<Imported> {
    let source = Source::File(results.to_path_buf());
    let lines = numbered_lines(results)?;
    let mut file = AtomicFile::create(out)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut imported = Imported::default();
    for line in lines {
        let (n, text) = line?;
        if text.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::input(&source, n, None, format!("not JSON: {e}")))?;
        let id = v
            .get("custom_id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::input(
                    &source,
                    n,
                    Some("custom_id"),
                    "missing: every result names its request",
                )
            })?
            .to_string();
        if let Some(first) = seen.insert(id.clone(), n) {
            return Err(Error::input(
                &source,
                n,
                Some("custom_id"),
                format!("{id:?} was already answered on line {first}"),
            ));
        }
        if let Some(error) = v.get("error").filter(|e| !e.is_null()) {
            imported.failed.push((n, id, error.to_string()));
            continue;
        }
        let response = v.get("response").ok_or_else(|| {
            Error::input(
                &source,
                n,
                Some("response"),
                "missing (and no `error` either)",
            )
        })?;
        let status = response
            .get("status_code")
            .and_then(Value::as_u64)
            .unwrap_or(200);
        let body = response
            .get("body")
            .ok_or_else(|| Error::input(&source, n, Some("response.body"), "missing"))?;
        if status != 200 {
            imported
                .failed
                .push((n, id, format!("HTTP {status}: {body}")));
            continue;
        }
        let reply = read_completion(body)
            .map_err(|e| Error::input(&source, n, Some("response.body"), e))?;
        let mut record = answer_record(&id, &reply);
        let mut request = json!({"model": body.get("model"), "batch": true});
        if let Some(r) = response.get("request_id") {
            request["request_id"] = r.clone();
        }
        if let Some(t) = reply.prompt_tokens {
            request["prompt_tokens"] = json!(t);
        }
        if let Some(t) = reply.completion_tokens {
            request["completion_tokens"] = json!(t);
        }
        record["request"] = request;
        writeln!(file, "{record}").map_err(|e| Error::writing(out.display(), e))?;
        imported.answered += 1;
    }
    file.commit()?;
    Ok(imported)
}
