//! Running models on a dataset: each item's prompt text in, a raw answer out, written as a
//! prediction file the scorer reads: the built-in baselines in process, and models behind a
//! [`backend::Backend`] (OpenAI-compatible servers, subprocesses) through [`ask::ask_all`]. A run
//! that stops early (a signal, a server gone, a program in a crash loop) says why with a
//! [`stop::Stopped`], which front ends turn into one message and an exit status. [`plan`] is what
//! every front end runs: options resolved into the models, the folders and the shard of a run.

pub mod ask;
pub mod backend;
pub mod baseline;
pub mod batch;
pub mod cache;
pub mod command;
pub mod export;
pub mod journal;
pub mod openai;
pub mod plan;
pub mod progress;
pub mod prompt;
pub mod stop;

use crate::dataset::lines::{for_each_numbered_range, for_each_range_of_files};
use crate::error::{Error, Result, Source};
use crate::output::AtomicFile;
use baseline::{Answerer, Baseline};
use std::io::{BufRead, Write};
use std::path::Path;

/// An item as a model is asked it: a yes/no item (`hypothesis`) or a graph item (`question`
/// and `variables`).
pub(crate) struct Item {
    pub id: String,
    pub premise: String,
    /// The hypothesis of a yes/no item, or the question of a graph item.
    pub hypothesis: String,
    /// The variables of a graph item; `None` for a yes/no item.
    pub variables: Option<Vec<String>>,
}

/// Reads one line of a corrcause JSONL dataset as an item, naming the line when it is not one.
pub(crate) fn parse_item(source: &Source, line: usize, text: &str) -> Result<Item> {
    #[derive(serde::Deserialize)]
    struct Raw {
        id: String,
        premise: String,
        #[serde(default)]
        hypothesis: Option<String>,
        #[serde(default)]
        task: Option<String>,
        #[serde(default)]
        question: Option<String>,
        #[serde(default)]
        variables: Option<Vec<String>>,
    }
    let raw: Raw = serde_json::from_str(text).map_err(|e| {
        Error::input(
            source,
            line,
            None,
            format!("expected a record with id, premise and hypothesis (or question and variables for a graph item): {e}"),
        )
    })?;
    let missing = |field: &str| Error::input(source, line, Some(field), "missing");
    if raw.task.as_deref() == Some("graph") {
        Ok(Item {
            id: raw.id,
            premise: raw.premise,
            hypothesis: raw.question.ok_or_else(|| missing("question"))?,
            variables: Some(raw.variables.ok_or_else(|| missing("variables"))?),
        })
    } else {
        Ok(Item {
            id: raw.id,
            premise: raw.premise,
            hypothesis: raw.hypothesis.ok_or_else(|| missing("hypothesis"))?,
            variables: None,
        })
    }
}

/// The number of items (lines) in the JSONL dataset `files`.
pub fn count_items(files: &[std::path::PathBuf]) -> Result<usize> {
    let mut total = 0;
    for path in files {
        let mut reader = std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?,
        );
        loop {
            let buf = reader
                .fill_buf()
                .map_err(|e| Error::reading(path.display(), e))?;
            if buf.is_empty() {
                break;
            }
            total += buf.iter().filter(|&&b| b == b'\n').count();
            let n = buf.len();
            reader.consume(n);
        }
    }
    Ok(total)
}

/// A prediction file as written: the items answered, and the file's SHA-256 (hex) and size,
/// hashed as it was written so that its manifest entry needs no second read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub items: usize,
    pub sha256: String,
    pub bytes: u64,
}

/// Answers the items of the JSONL `dataset` files (all, or those at the positions in `items`)
/// with `baseline` and writes `{"id", "output", "answer"}` lines to `out` (atomically).
pub fn run_baseline(
    files: &[std::path::PathBuf],
    baseline: Baseline,
    seed: u64,
    out: &Path,
    items: Option<std::ops::Range<usize>>,
) -> Result<Answered> {
    use sha2::{Digest, Sha256};
    let answerer = Answerer::new(baseline, seed);
    let mut file = AtomicFile::create(out)?;
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut count = 0;
    let sources: Vec<Source> = files.iter().cloned().map(Source::File).collect();
    // The answers to the wanted items of a range of file `f` (after `position` items of the
    // files before) as JSON lines, how many, and the lines up to the range's end; lines are
    // numbered in the file from `before` (0 when not known: then an error is renumbered once
    // it is).
    let answer_range = |f: usize,
                        position: usize,
                        before: usize,
                        lines: &[(usize, &str)]|
     -> Result<(String, usize, usize)> {
        let source = &sources[f];
        let mut text = String::new();
        let mut answered = 0;
        for &(line, json) in lines {
            let line = before + line;
            if items
                .as_ref()
                .is_some_and(|wanted| !wanted.contains(&(position + line - 1)))
            {
                continue;
            }
            let item = parse_item(source, line, json)?;
            let record = match &item.variables {
                Some(variables) => {
                    let output = answerer
                        .answer_graph(&item.id, &item.premise, variables)
                        .map_err(|e| Error::input(source, line, None, e))?;
                    let answer = crate::text::graph_answer::read(&output, variables)
                        .answer
                        .ok()
                        .map(|g| g.to_json(variables));
                    serde_json::json!({"id": item.id, "output": output, "answer": answer})
                }
                None => {
                    let output = answerer
                        .answer(&item.id, &item.premise, &item.hypothesis)
                        .map_err(|e| Error::input(source, line, None, e))?;
                    let answer = if output == "Yes" { "valid" } else { "invalid" };
                    serde_json::json!({"id": item.id, "output": output, "answer": answer})
                }
            };
            text.push_str(&record.to_string());
            text.push('\n');
            answered += 1;
        }
        Ok((text, answered, before + lines.len()))
    };
    // Writes a range's answers; the lines of its file up to the range's end.
    let mut write = |shift: usize, answered: Result<(String, usize, usize)>| -> Result<usize> {
        let (text, n, end) = answered.map_err(|e| e.after_lines(shift))?;
        file.write_all(text.as_bytes())
            .map_err(|e| Error::writing(out.display(), e))?;
        hash.update(text.as_bytes());
        bytes += text.len() as u64;
        count += n;
        Ok(shift + end)
    };
    match &items {
        // Only the items at some positions: each file in turn, each range told the lines
        // before it (in the file, and so in the files read).
        Some(_) => {
            let mut position = 0usize;
            for (f, path) in files.iter().enumerate() {
                let map = |before: usize, lines: &[(usize, &str)]| {
                    answer_range(f, position, before, lines)
                };
                // Lines in this file, for the positions of the next.
                let mut file_lines = 0;
                for_each_numbered_range(path, &sources[f], map, |_, a| {
                    file_lines = write(0, a)?;
                    Ok(())
                })?;
                position += file_lines;
            }
        }
        // Every item: the files as one stream of ranges.
        None => for_each_range_of_files(
            files,
            |f, lines| answer_range(f, 0, 0, lines),
            |_, before, a| write(before, a).map(drop),
        )?,
    }
    file.commit()?;
    crate::output::free_aside(answerer);
    Ok(Answered {
        items: count,
        sha256: format!("{:x}", hash.finalize()),
        bytes,
    })
}
