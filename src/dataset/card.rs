//! The Hugging Face dataset card (`README.md`) of a generated dataset: YAML front matter that
//! `datasets.load_dataset(DIR)` and the Hub read (configs and data files per split, features and
//! their types, license, task categories, size category) and a body for a reader (how the data
//! was made, the configuration that remakes it, counts, known limits, citations).
//!
//! Features are declared, not left to inference: a column that is null in every row of a file
//! (`split` in an unsplit dataset) would otherwise load with no type, and the `explanation`
//! objects differ in their keys by kind. A field this module does not know (added to the
//! records later) is typed from its value in the first item.

use crate::error::{Error, Result};
use crate::output::AtomicFile;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// An edge list, as `graph`, `holds_in` and `fails_in` are: pairs of names.
const EDGES: &str = "sequence:\n      sequence: string";

/// The type of each known record field, as the card's YAML writes it (after `- name: X\n    `).
fn known_type(field: &str) -> Option<String> {
    Some(match field {
        "id" | "premise_id" | "split" | "x" | "y" | "relation" | "template" | "names" | "style"
        | "premise_form" | "order" | "variant" | "premise" | "hypothesis" | "input" | "label3"
        | "depth" => "dtype: string".into(),
        "num_variables" | "mec_id" | "mec_size" | "holds" => "dtype: int64".into(),
        "label" => "class_label:\n      names:\n        '0': invalid\n        '1': valid".into(),
        "graph" => EDGES.into(),
        "meek" => "sequence: string".into(),
        "explanation" => {
            let edges = "sequence:\n          sequence: string";
            format!(
                "struct:\n    - name: kind\n      dtype: string\n    - name: reason\n      dtype: string\n    - name: cpdag\n      struct:\n      - name: directed\n        {edges}\n      - name: undirected\n        {edges}\n    - name: holds_in\n      {e2}\n    - name: fails_in\n      {e2}",
                e2 = "sequence:\n        sequence: string"
            )
        }
        _ => return None,
    })
}

/// The type of a field the card does not know, from one value (indented for a top-level field).
fn inferred_type(v: &Value) -> String {
    match v {
        Value::Bool(_) => "dtype: bool".into(),
        Value::Number(n) if n.is_i64() || n.is_u64() => "dtype: int64".into(),
        Value::Number(_) => "dtype: float64".into(),
        Value::Array(a) => match a.first() {
            Some(first) => format!(
                "sequence:\n      {}",
                inferred_type(first).replace('\n', "\n  ")
            ),
            None => "sequence: string".into(),
        },
        _ => "dtype: string".into(),
    }
}

/// The Hub's size category for `n` items.
fn size_category(n: u64) -> &'static str {
    match n {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        1_000_000..10_000_000 => "1M<n<10M",
        10_000_000..100_000_000 => "10M<n<100M",
        _ => "100M<n<1B",
    }
}

/// A YAML/JSON string literal.
fn quoted(s: &str) -> String {
    Value::from(s).to_string()
}

/// corrcause's and Corr2Cause's citations.
const CITATIONS: &str = r#"```bibtex
@inproceedings{jin2024corr2cause,
  title     = {Can Large Language Models Infer Causation from Correlation?},
  author    = {Jin, Zhijing and Liu, Jiarui and Lyu, Zhiheng and Poff, Spencer and Sachan, Mrinmaya and Mihalcea, Rada and Diab, Mona and Sch{\"o}lkopf, Bernhard},
  booktitle = {The Twelfth International Conference on Learning Representations (ICLR)},
  year      = {2024},
  url       = {https://openreview.net/forum?id=vqIH0ObdqL}
}

@software{corrcause,
  title   = {corrcause: causal-inference benchmarks for language models, generated and scored},
  version = {VERSION},
  note    = {Rust library and command-line tool}
}
```"#;

/// Writes `dir/README.md` for the dataset whose manifest is `manifest` (as `generate` writes
/// it, with its JSONL files already in `dir`); returns its path.
pub fn write(dir: &Path, manifest: &Value) -> Result<PathBuf> {
    let version = manifest["corrcause_version"].as_str().unwrap_or("unknown");
    let config = &manifest["config"];
    let items = manifest["items"].as_u64().unwrap_or(0);
    // The JSONL files, in the manifest's (split) order.
    let files: Vec<(String, u64, u64)> = manifest["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let path = f["path"].as_str()?;
            path.ends_with(".jsonl").then(|| {
                let count = |k: &str| f[k].as_u64().unwrap_or(0);
                (path.to_string(), count("items"), count("bytes"))
            })
        })
        .collect();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{}: a dataset card describes the JSONL files, and there are none (--format csv)",
            dir.display()
        )));
    }
    // The fields, in record order, from the first item of the first non-empty file.
    let mut first_item: Option<serde_json::Map<String, Value>> = None;
    for (path, n, _) in &files {
        if *n > 0 {
            let text = std::fs::File::open(dir.join(path))
                .map_err(|e| Error::reading(dir.join(path).display(), e))?;
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(text), &mut line)
                .map_err(|e| Error::reading(dir.join(path).display(), e))?;
            first_item = serde_json::from_str(&line).ok();
            break;
        }
    }
    let mut y = String::from("---\n");
    y.push_str("license: mit\nlanguage:\n- en\n");
    let preset = config["preset"].as_str().unwrap_or("custom");
    let _ = writeln!(y, "pretty_name: {}", quoted(&format!("corrcause {preset}")));
    y.push_str(
        "task_categories:\n- text-classification\ntask_ids:\n- natural-language-inference\n",
    );
    y.push_str("tags:\n- causal-inference\n- causal-discovery\n- corr2cause\n- synthetic\n");
    let _ = writeln!(y, "size_categories:\n- {}", size_category(items));
    // Splits in order, each with its files (one, or its parts in order) and their totals.
    let mut splits: Vec<(String, Vec<&str>, u64, u64)> = Vec::new();
    for (path, n, bytes) in &files {
        let split = super::parts::split_of(path);
        match splits.iter_mut().find(|s| s.0 == split) {
            Some(s) => {
                s.1.push(path);
                s.2 += n;
                s.3 += bytes;
            }
            None => splits.push((split.to_string(), vec![path], *n, *bytes)),
        }
    }
    y.push_str("configs:\n- config_name: default\n  data_files:\n");
    for (split, paths, _, _) in &splits {
        match paths.as_slice() {
            [one] => {
                let _ = writeln!(y, "  - split: {split}\n    path: {one}");
            }
            many => {
                let _ = writeln!(y, "  - split: {split}\n    path:");
                for p in many {
                    let _ = writeln!(y, "    - {p}");
                }
            }
        }
    }
    y.push_str("dataset_info:\n  features:\n");
    if let Some(item) = &first_item {
        for (name, value) in item {
            let ty = known_type(name).unwrap_or_else(|| inferred_type(value));
            let _ = writeln!(y, "  - name: {name}\n    {ty}");
        }
    }
    y.push_str("  splits:\n");
    for (split, _, n, bytes) in &splits {
        let _ = writeln!(
            y,
            "  - name: {split}\n    num_bytes: {bytes}\n    num_examples: {n}"
        );
    }
    y.push_str("---\n\n");

    let mut b = y;
    let _ = writeln!(b, "# corrcause {preset}\n");
    let _ = writeln!(
        b,
        "Causal-inference items in the form of Corr2Cause (Jin et al., ICLR 2024): a premise states \
         which pairs of variables of a closed system are correlated and which are independent \
         (given which others), and a hypothesis claims a causal relation between two of them. The \
         label says whether the hypothesis holds in every causal graph (DAG) consistent with the \
         premise, that is in every member of the Markov equivalence class (MEC) of the DAG the \
         premise was made from.\n"
    );
    b.push_str("## How it was made\n\n");
    let _ = writeln!(
        b,
        "Generated by corrcause {version}. For each number of variables N, DAGs are listed (or \
         sampled), one per Markov equivalence class; the premise lists the conditional \
         independences the DAG implies (d-separation), and each hypothesis's label is computed over \
         every member of the class: `label` 1 (valid) when it holds in all of them, 0 otherwise; \
         `label3` tells entailment (all members), contradiction (none) and neutral (some). \
         `explanation` says why, with a member where the claim fails or holds, and `graph` is the \
         DAG the premise was made from.\n"
    );
    let _ = writeln!(
        b,
        "To make the same files again, save this configuration as `config.json` and run \
         `corrcause generate --config config.json --out DIR` with corrcause {version}:\n\n```json\n{}\n```\n",
        serde_json::to_string_pretty(config).unwrap_or_default()
    );
    b.push_str("## Contents\n\n| split | file | items |\n| --- | --- | ---: |\n");
    for (path, n, _) in &files {
        let split = super::parts::split_of(path);
        let _ = writeln!(b, "| {split} | `{path}` | {n} |");
    }
    let _ = writeln!(b, "\n{items} items in all.\n");
    let counts = &manifest["counts"];
    if let Some(by_n) = counts["by_n"].as_object() {
        b.push_str("| N (variables) | premises | items |\n| ---: | ---: | ---: |\n");
        for (n, c) in by_n {
            let _ = writeln!(b, "| {n} | {} | {} |", c["premises"], c["items"]);
        }
        b.push('\n');
    }
    if let Some(by_relation) = counts["by_relation"].as_object() {
        b.push_str("| relation | valid | invalid |\n| --- | ---: | ---: |\n");
        for (r, c) in by_relation {
            let _ = writeln!(b, "| {r} | {} | {} |", c["valid"], c["invalid"]);
        }
        b.push('\n');
    }
    if let Some(by_label3) = counts["by_label3"].as_object() {
        let parts: Vec<String> = by_label3.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(b, "Three-way labels: {}.\n", parts.join(", "));
    }
    b.push_str(
        "Load it with `datasets.load_dataset(\"path/to/this/folder\")`; `manifest.json` gives every \
         file's SHA-256. Score a model's answers with `corrcause score --dataset DIR --predictions FILE` \
         (answers as JSON lines, or the logs of lm-evaluation-harness and inspect_ai).\n\n",
    );
    b.push_str("## Known limits\n\n");
    b.push_str(
        "- Synthetic and templated: every premise and hypothesis is made from a few sentence \
         templates over abstract variables, so the data measures formal causal reasoning, not \
         knowledge of the world.\n\
         - Labels assume what Corr2Cause assumes: a closed system (no hidden common causes), \
         faithfulness, and that the premise lists exactly the independences of the true DAG.\n\
         - Most items are invalid (a relation rarely holds in every member of an equivalence \
         class); report F1 of the valid class or MCC, not accuracy alone.\n\
         - Items of one premise share its graph and text and are not independent: resample \
         premises, not items, for intervals (`corrcause score` does).\n",
    );
    if config["semantics"] == "released" {
        b.push_str(
            "- Built with `semantics: released`: the labels reproduce the published Corr2Cause v2 \
             data, defects included (`corrcause audit` lists them), not the correct ones.\n",
        );
    }
    b.push_str("\n## Citation\n\n");
    b.push_str(&CITATIONS.replace("VERSION", version));
    b.push('\n');

    let path = dir.join("README.md");
    let mut f = AtomicFile::create(&path)?;
    f.write_all(b.as_bytes())
        .map_err(|e| Error::writing(path.display(), e))?;
    f.commit()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_categories_follow_the_hub() {
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1000), "1K<n<10K");
        assert_eq!(size_category(250_000), "100K<n<1M");
    }

    #[test]
    fn unknown_fields_are_typed_from_their_value() {
        assert_eq!(inferred_type(&serde_json::json!(3)), "dtype: int64");
        assert_eq!(inferred_type(&serde_json::json!(0.5)), "dtype: float64");
        assert_eq!(
            inferred_type(&serde_json::json!([["A", "B"]])),
            "sequence:\n      sequence:\n        dtype: string"
        );
    }
}
