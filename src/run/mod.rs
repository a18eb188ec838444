//! Running models on a dataset: each item's prompt text in, a raw answer out, written as a
//! prediction file the scorer reads: the built-in baselines in process, and models behind a
//! [`backend::Backend`] (OpenAI-compatible servers, subprocesses) through [`ask::ask_all`].

pub mod ask;
pub mod backend;
pub mod baseline;
pub mod batch;
pub mod cache;
pub mod command;
pub mod journal;
pub mod openai;
pub mod progress;
pub mod prompt;

use crate::error::{Error, Result, Source};
use crate::output::AtomicFile;
use baseline::{Answerer, Baseline};
use rayon::prelude::*;
use std::io::{BufRead, Write};
use std::path::Path;

/// An item as a model is asked it.
#[derive(serde::Deserialize)]
pub(crate) struct Item {
    pub id: String,
    pub premise: String,
    pub hypothesis: String,
}

/// Reads one line of a corrcause JSONL dataset as an item, naming the line when it is not one.
pub(crate) fn parse_item(source: &Source, line: usize, text: &str) -> Result<Item> {
    serde_json::from_str(text).map_err(|e| {
        Error::input(
            source,
            line,
            None,
            format!("expected a record with id, premise and hypothesis: {e}"),
        )
    })
}

/// Answers every item of the JSONL `dataset` files with `baseline` and writes
/// `{"id", "output", "answer"}` lines to `out` (atomically); returns the number of items.
pub fn run_baseline(
    files: &[std::path::PathBuf],
    baseline: Baseline,
    seed: u64,
    out: &Path,
) -> Result<usize> {
    let answerer = Answerer::new(baseline, seed);
    let mut file = AtomicFile::create(out)?;
    let mut count = 0;
    for path in files {
        let source = Source::File(path.clone());
        let reader = std::io::BufReader::new(
            std::fs::File::open(path).map_err(|e| Error::io(path.display(), e))?,
        );
        let mut lines = reader.lines().enumerate();
        loop {
            let batch: Vec<(usize, std::io::Result<String>)> = lines.by_ref().take(4096).collect();
            if batch.is_empty() {
                break;
            }
            let answered: Vec<Result<String>> = batch
                .into_par_iter()
                .map(|(i, line)| {
                    let line_no = i + 1;
                    let text = line.map_err(|e| {
                        Error::input(&source, line_no, None, format!("cannot read: {e}"))
                    })?;
                    let item = parse_item(&source, line_no, &text)?;
                    let output = answerer
                        .answer(&item.id, &item.premise, &item.hypothesis)
                        .map_err(|e| Error::input(&source, line_no, None, e))?;
                    let answer = if output == "Yes" { "valid" } else { "invalid" };
                    Ok(
                        serde_json::json!({"id": item.id, "output": output, "answer": answer})
                            .to_string()
                            + "\n",
                    )
                })
                .collect();
            for a in answered {
                file.write_all(a?.as_bytes())
                    .map_err(|e| Error::io(out.display(), e))?;
                count += 1;
            }
        }
    }
    file.commit()?;
    Ok(count)
}
