//! Reading a dataset's records as they are on disk, for front ends that hand them to users (the
//! Python `load`): a dataset folder (every split its manifest lists, or the one asked for), a
//! JSONL file, or a Corr2Cause CSV, resolved by [`DatasetSource`]. Every malformed line is an
//! error naming the file and line.

use super::corr2cause_csv::Corr2CauseCsv;
use super::lines::for_each_range_of_files;
use super::source::{DatasetSource, Form, ALL_SPLITS};
use crate::error::{Error, Result, Source};
use serde_json::{json, Map, Value};
use std::path::Path;

/// The records of a dataset, in file order, as JSON objects. A folder gives every split unless
/// `split` names one; in a JSONL file, `split` keeps the records of that split (an error when no
/// record is in it, naming the splits there are). A Corr2Cause CSV gives one
/// record per row: `id` (the row number from 0, as text), `premise`, `hypothesis`, `input`,
/// `label` and `num_variables` when the file has it.
pub fn load(path: &Path, split: Option<&str>) -> Result<Vec<Map<String, Value>>> {
    let mut records = Vec::new();
    let folder = path.is_dir();
    let source = DatasetSource::resolve(
        path,
        if folder {
            Some(split.unwrap_or(ALL_SPLITS))
        } else {
            None
        },
    )?;
    // A folder's split is chosen by its files; a file's by each record's `split`.
    let split = if folder { None } else { split };
    if source.form == Form::Csv {
        if let Some(split) = split {
            return Err(Error::Usage(format!(
                "{}: a Corr2Cause CSV has no splits (asked for split {split:?})",
                path.display()
            )));
        }
        let rows = source
            .files
            .iter()
            .map(|f| Corr2CauseCsv::open(f))
            .collect::<Result<Vec<_>>>()?;
        for (row, r) in rows.into_iter().flatten().enumerate() {
            let r = r?;
            let input = crate::text::nli_input(&r.premise, &r.hypothesis);
            let mut v = json!({"id": row.to_string(), "premise": r.premise, "hypothesis": r.hypothesis, "input": input, "label": r.label});
            if let Some(n) = r.num_variables {
                v["num_variables"] = json!(n);
            }
            let Value::Object(map) = v else {
                unreachable!("built as an object")
            };
            records.push(map);
        }
        return Ok(records);
    }
    let mut seen_splits: Vec<String> = Vec::new();
    // Every file's ranges as one stream, parsed on every core and taken in order.
    let files = &source.files;
    let parse = |f: usize, lines: &[(usize, &str)]| {
        let mut parsed = Vec::with_capacity(lines.len());
        for &(line, text) in lines {
            let e = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => {
                    parsed.push(map);
                    continue;
                }
                Ok(_) => "expected a JSON object (one record per line)".to_string(),
                Err(e) => format!("not valid JSON: {e}"),
            };
            let source = Source::File(files[f].clone());
            return (parsed, Some(Error::input(&source, line, None, e)));
        }
        (parsed, None)
    };
    for_each_range_of_files(files, parse, |_, before, (parsed, error)| {
        for record in parsed {
            match split {
                None => records.push(record),
                Some(want) => {
                    let have = record.get("split").and_then(Value::as_str);
                    if let Some(h) = have {
                        if !seen_splits.iter().any(|s| s == h) {
                            seen_splits.push(h.to_string());
                        }
                    }
                    if have == Some(want) {
                        records.push(record);
                    }
                }
            }
        }
        error.map_or(Ok(()), |e| Err(e.after_lines(before)))
    })?;
    if let (Some(want), true) = (split, records.is_empty()) {
        return Err(Error::Usage(format!(
            "{}: no record is in split {want:?} (splits: {})",
            path.display(),
            if seen_splits.is_empty() {
                "none".to_string()
            } else {
                seen_splits.join(", ")
            }
        )));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("corrcause-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn records_in_order_and_by_split() {
        let p = file(
            "a.jsonl",
            "{\"id\":\"1\",\"split\":\"train\"}\n{\"id\":\"2\",\"split\":\"test\"}\n",
        );
        let all = load(&p, None).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1]["id"], "2");
        let test = load(&p, Some("test")).unwrap();
        assert_eq!(test.len(), 1);
        assert_eq!(test[0]["id"], "2");
        let e = load(&p, Some("dev")).unwrap_err().to_string();
        assert!(
            e.ends_with("no record is in split \"dev\" (splits: train, test)"),
            "{e}"
        );
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let p = file("b.jsonl", "{\"id\":\"1\"}\n3\n");
        let e = load(&p, None).unwrap_err().to_string();
        assert!(
            e.ends_with("b.jsonl:2: expected a JSON object (one record per line)"),
            "{e}"
        );
    }

    #[test]
    fn csv_rows_become_records() {
        let p = file(
            "c.csv",
            "input,label,num_variables\n\"Premise: P.\nHypothesis: H.\",1,3\n",
        );
        let rows = load(&p, None).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["id"], "0");
        assert_eq!(rows[0]["premise"], "P.");
        assert_eq!(rows[0]["hypothesis"], "H.");
        assert_eq!(rows[0]["label"], 1);
        assert_eq!(rows[0]["num_variables"], 3);
        assert!(load(&p, Some("train")).is_err());
    }
}
