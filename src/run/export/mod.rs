//! A dataset as a task of another evaluation harness: an lm-evaluation-harness task folder
//! ([`lm_eval`]) or an inspect_ai task file ([`inspect`]). Each item's prompt is rendered here
//! exactly as `corrcause run` puts it (the same [`Prompt`] and worked examples), each row keeps
//! its corrcause id and label, and the harness reads answers with a Python port of corrcause's
//! answer reader, so that the harness's own metrics agree with `corrcause score` on its log.

pub mod inspect;
pub mod lm_eval;

use super::prompt::{Prompt, Shot};
use crate::dataset::record::VARIANT_FIELDS;
use crate::error::{Error, Result, Source};
use crate::output::AtomicFile;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// corrcause's answer reader in Python, written beside every exported task.
pub const ANSWER_READER: &str = include_str!("corrcause_answer.py");
/// The name of [`ANSWER_READER`]'s file.
pub const ANSWER_READER_FILE: &str = "corrcause_answer.py";
/// The rows of an exported task, one JSON line per item.
pub const DATA_FILE: &str = "corrcause.jsonl";

/// How items are put to the model: the prompt, worked examples and generation settings.
#[derive(Clone, Debug)]
pub struct Asking {
    pub prompt: Prompt,
    pub shots: Vec<Shot>,
    pub max_tokens: u32,
    pub temperature: f64,
}

/// Row fields copied from a dataset item when it has them (besides those every row has).
pub(crate) const CARRIED: [&str; 4] = ["premise_id", "num_variables", "relation", "split"];

/// One item of a task as a harness sees it: `id`, `prompt`, `target` ("Yes" or "No"), `label`
/// (1 valid, 0 invalid), `task` (the variant's task name), and the item's premise id, size,
/// relation, split and variant fields when it has them.
pub type Row = Map<String, Value>;

/// The task name of each variant: `base` alone when the items are of one variant, else `base_`
/// and the values of the variant fields that differ, made safe for a file name.
fn task_names(items: &[Map<String, Value>], base: &str) -> Vec<String> {
    let key = |item: &Map<String, Value>, field: &str| -> String {
        item.get(field)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let varying: Vec<&str> = VARIANT_FIELDS
        .into_iter()
        .filter(|f| {
            items.iter().any(|i| {
                items
                    .first()
                    .is_some_and(|first| key(i, f) != key(first, f))
            })
        })
        .collect();
    items
        .iter()
        .map(|item| {
            let mut name = base.to_string();
            for f in &varying {
                name.push('_');
                name.extend(key(item, f).chars().map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                }));
            }
            name
        })
        .collect()
}

/// The rows of the JSONL dataset `files`, in order, with prompts rendered by `asking`. A line
/// that is not an item (id, premise, hypothesis and a 0/1 label) is an error naming it.
pub fn rows(files: &[PathBuf], asking: &Asking) -> Result<Vec<Row>> {
    let mut items = Vec::new();
    for file in files {
        rows_of(file, asking, &mut items)?;
    }
    if items.is_empty() {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(Error::Usage(format!("{} holds no items", names.join(", "))));
    }
    let names = task_names(&items, "corrcause");
    for (row, task) in items.iter_mut().zip(names) {
        row.insert("task".into(), json!(task));
    }
    Ok(items)
}

/// Appends the rows of one JSONL file to `items`.
fn rows_of(file: &Path, asking: &Asking, items: &mut Vec<Row>) -> Result<()> {
    let source = Source::File(file.to_path_buf());
    let text = std::fs::read_to_string(file).map_err(|e| Error::reading(file.display(), e))?;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let item: Map<String, Value> = serde_json::from_str(line)
            .map_err(|e| Error::input(&source, n, None, format!("not a JSON object: {e}")))?;
        let text_field = |k: &str| {
            item.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| Error::input(&source, n, Some(k), "missing or not text"))
        };
        let id = match item.get("id") {
            Some(Value::Number(k)) => k.to_string(),
            _ => text_field("id")?,
        };
        let (premise, hypothesis) = (text_field("premise")?, text_field("hypothesis")?);
        let label = match item.get("label").and_then(Value::as_u64) {
            Some(l @ (0 | 1)) => l,
            _ => return Err(Error::input(&source, n, Some("label"), "expected 0 or 1")),
        };
        let mut row = Row::new();
        row.insert("id".into(), json!(id));
        row.insert(
            "prompt".into(),
            json!(asking
                .prompt
                .render_with_shots(&asking.shots, &premise, &hypothesis)),
        );
        row.insert(
            "target".into(),
            json!(if label == 1 { "Yes" } else { "No" }),
        );
        row.insert("label".into(), json!(label));
        for field in CARRIED.into_iter().chain(VARIANT_FIELDS) {
            if let Some(v) = item.get(field).filter(|v| !v.is_null()) {
                row.insert(field.into(), v.clone());
            }
        }
        items.push(row);
    }
    Ok(())
}

/// The distinct task names of `rows`, in order of first appearance.
pub fn tasks(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        let t = r["task"].as_str().unwrap_or("corrcause");
        if !names.iter().any(|n| n == t) {
            names.push(t.to_string());
        }
    }
    names
}

/// Writes `text` to `dir/name` atomically; returns the path.
fn write_file(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    let mut f = AtomicFile::create(&path)?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::writing(path.display(), e))?;
    f.commit()?;
    Ok(path)
}

/// Writes the rows (one JSON line each) and the answer reader into `dir`.
fn write_common(dir: &Path, rows: &[Row]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io_at("creating folder", dir.display(), e))?;
    let mut data = String::new();
    for r in rows {
        data.push_str(&Value::Object(r.clone()).to_string());
        data.push('\n');
    }
    Ok(vec![
        write_file(dir, DATA_FILE, &data)?,
        write_file(dir, ANSWER_READER_FILE, ANSWER_READER)?,
    ])
}

/// A Python literal for `s` (a JSON string is one).
fn py_str(s: &str) -> String {
    Value::from(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, label: u8, names: &str) -> String {
        json!({"id": id, "premise": "P.", "hypothesis": "A causes B.", "label": label, "names": names, "style": "original", "relation": "parent", "split": null}).to_string()
    }

    #[test]
    fn rows_carry_the_run_prompt_id_label_and_variant_tasks() {
        let dir = std::env::temp_dir().join(format!("corrcause-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("test.jsonl");
        let text = [
            item("a", 1, "letters"),
            item("b", 0, "words"),
            item("c", 0, "letters"),
        ]
        .join("\n");
        std::fs::write(&file, text).unwrap();
        let asking = Asking {
            prompt: Prompt::Corr2Cause,
            shots: Vec::new(),
            max_tokens: 16,
            temperature: 0.0,
        };
        let rows = rows(std::slice::from_ref(&file), &asking).unwrap();
        assert_eq!(
            rows[0]["prompt"],
            Prompt::Corr2Cause.render("P.", "A causes B.")
        );
        assert_eq!(rows[0]["target"], "Yes");
        assert_eq!(rows[1]["target"], "No");
        assert_eq!(rows[1]["id"], "b");
        assert!(rows[0].get("split").is_none(), "null fields are left out");
        assert_eq!(
            tasks(&rows),
            ["corrcause_letters", "corrcause_words"],
            "only the field that varies names the tasks"
        );
        std::fs::write(&file, "{\"id\": \"a\", \"premise\": \"P.\"}\n").unwrap();
        let e = super::rows(&[file], &asking).unwrap_err().to_string();
        assert!(e.contains("test.jsonl:1: field `hypothesis`"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
