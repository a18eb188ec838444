//! An lm-evaluation-harness task folder: `lm_eval --include_path DIR --tasks corrcause ...` runs
//! the items with any lm-eval model type. One `generate_until` task per variant of the data (one
//! task `corrcause` when there is one variant, else tasks `corrcause_<variant>` in a group
//! `corrcause`), reading its rows from `corrcause.jsonl` beside it; accuracy, F1 of the valid
//! class and MCC are computed by lm-eval from answers read as `corrcause score` reads them.

use super::{py_str, tasks, write_common, write_file, Asking, Row};
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The Python side of the task (loading rows, reading answers).
const MODULE: &str = include_str!("corrcause_lm_eval.py");
const MODULE_FILE: &str = "corrcause_lm_eval.py";

/// One task's YAML.
fn task_yaml(name: &str, asking: &Asking) -> String {
    format!(
        "# Written by `corrcause export lm-eval`: {name}, items of corrcause.jsonl.
task: {name}
custom_dataset: !function corrcause_lm_eval.load
test_split: test
output_type: generate_until
doc_to_text: prompt
doc_to_target: target
generation_kwargs:
  until: []
  max_gen_toks: {max_tokens}
  do_sample: false
  temperature: {temperature:?}
process_results: !function corrcause_lm_eval.process_results
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: f1
    aggregation: !function corrcause_lm_eval.f1
    higher_is_better: true
  - metric: mcc
    aggregation: !function corrcause_lm_eval.mcc
    higher_is_better: true
metadata:
  version: 1.0
  task: {task}
",
        max_tokens = asking.max_tokens,
        temperature = asking.temperature,
        task = py_str(name),
    )
}

/// The group of several variants' tasks (accuracy pooled over their items).
fn group_yaml(names: &[String]) -> String {
    let mut out = String::from(
        "# Written by `corrcause export lm-eval`: the variants of the data, one task each.\ngroup: corrcause\ntask:\n",
    );
    for n in names {
        out.push_str(&format!("  - {n}\n"));
    }
    out.push_str(
        "aggregate_metric_list:\n  - metric: acc\n    aggregation: mean\n    weight_by_size: true\nmetadata:\n  version: 1.0\n",
    );
    out
}

/// Writes the task folder for `rows` into `dir`; returns the files written.
pub fn write(dir: &Path, rows: &[Row], asking: &Asking) -> Result<Vec<PathBuf>> {
    let mut files = write_common(dir, rows)?;
    files.push(write_file(dir, MODULE_FILE, MODULE)?);
    let names = tasks(rows);
    for name in &names {
        files.push(write_file(
            dir,
            &format!("{name}.yaml"),
            &task_yaml(name, asking),
        )?);
    }
    if names.len() > 1 {
        files.push(write_file(dir, "corrcause.yaml", &group_yaml(&names))?);
    }
    Ok(files)
}
