//! Reading Corr2Cause's CSV files: an `input` column ("Premise: ...\nHypothesis: ..."), a `label`
//! column (0 or 1), and optionally `num_variables`. Every malformed row is an error naming the
//! file, line and field.

use crate::error::{Error, Result, Source};
use std::path::Path;

/// One data row.
pub struct CsvRow {
    /// The physical line where the row starts (from 1, the header being line 1).
    pub line: usize,
    pub premise: String,
    pub hypothesis: String,
    pub label: u8,
    pub num_variables: Option<u16>,
}

/// A Corr2Cause CSV being read, row by row.
pub struct Corr2CauseCsv {
    reader: csv::Reader<std::fs::File>,
    source: Source,
    input: usize,
    label: usize,
    num_variables: Option<usize>,
}

impl Corr2CauseCsv {
    /// Opens `path` and finds its columns.
    pub fn open(path: &Path) -> Result<Corr2CauseCsv> {
        let source = Source::File(path.to_path_buf());
        let mut reader =
            csv::Reader::from_path(path).map_err(|e| Error::reading(path.display(), e.into()))?;
        let headers = reader
            .headers()
            .map_err(|e| Error::input(&source, 1, None, e.to_string()))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let required = |name: &str| {
            col(name).ok_or_else(|| {
                Error::input(
                    &source,
                    1,
                    None,
                    format!("no `{name}` column (a Corr2Cause CSV has input,label,...)"),
                )
            })
        };
        let (input, label) = (required("input")?, required("label")?);
        let num_variables = col("num_variables");
        Ok(Corr2CauseCsv {
            reader,
            source,
            input,
            label,
            num_variables,
        })
    }
}

impl Iterator for Corr2CauseCsv {
    type Item = Result<CsvRow>;

    fn next(&mut self) -> Option<Result<CsvRow>> {
        let source = &self.source;
        let record = match self.reader.records().next()? {
            Ok(r) => r,
            Err(e) => {
                return Some(Err(Error::input(
                    source,
                    e.position().map_or(0, |p| p.line() as usize),
                    None,
                    e.to_string(),
                )))
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let Some((premise, hypothesis)) = record[self.input]
            .strip_prefix("Premise: ")
            .and_then(|t| t.split_once("\nHypothesis: "))
        else {
            return Some(Err(Error::input(
                source,
                line,
                Some("input"),
                "expected \"Premise: ...\\nHypothesis: ...\"",
            )));
        };
        let label = match &record[self.label] {
            "0" => 0,
            "1" => 1,
            other => {
                return Some(Err(Error::input(
                    source,
                    line,
                    Some("label"),
                    format!("expected 0 or 1, got {other:?}"),
                )))
            }
        };
        Some(Ok(CsvRow {
            line,
            premise: premise.to_string(),
            hypothesis: hypothesis.to_string(),
            label,
            num_variables: self.num_variables.and_then(|c| record[c].parse().ok()),
        }))
    }
}
