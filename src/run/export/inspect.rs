//! An inspect_ai task file: `inspect eval DIR/corrcause.py --model <any inspect model>` runs the
//! items, each sample's id the corrcause id, with a scorer that reads answers as
//! `corrcause score` does (accuracy, its standard error, F1 of the valid class and MCC).

use super::{py_str, write_common, write_file, Asking, Row, CARRIED};
use crate::dataset::record::VARIANT_FIELDS;
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The task file, with `__MAX_TOKENS__`, `__TEMPERATURE__` and `__METADATA__` to fill.
const TASK: &str = include_str!("corrcause_inspect.py");

/// Writes `corrcause.py` and its data into `dir`; returns the files written.
pub fn write(dir: &Path, rows: &[Row], asking: &Asking) -> Result<Vec<PathBuf>> {
    let mut files = write_common(dir, rows)?;
    // The row fields kept as sample metadata: the label (for the scorer), the task name and
    // whatever the items carry.
    let metadata: Vec<String> = ["label", "task"]
        .into_iter()
        .chain(CARRIED)
        .chain(VARIANT_FIELDS)
        .filter(|f| rows.iter().any(|r| r.contains_key(*f)))
        .map(py_str)
        .collect();
    let text = TASK
        .replace("__MAX_TOKENS__", &asking.max_tokens.to_string())
        .replace("__TEMPERATURE__", &format!("{:?}", asking.temperature))
        .replace("__METADATA__", &format!("[{}]", metadata.join(", ")));
    files.push(write_file(dir, "corrcause.py", &text)?);
    Ok(files)
}
