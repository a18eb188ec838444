//! Where a command's dataset comes from, in one of three forms: a folder `corrcause generate` (or
//! `merge`) wrote, a corrcause JSONL file, or a Corr2Cause CSV. [`DatasetSource::resolve`] turns
//! what the user gave (and `--split`) into the files to read, so that `run`, `export`, `score`
//! and `audit` all take the same forms and say the same things about them.

use crate::error::{Error, Result, Source};
use std::path::{Path, PathBuf};

/// The split a folder with splits gives when none is asked for.
pub const DEFAULT_SPLIT: &str = "test";

/// `--split` value that takes every split of a folder, in its manifest's order.
pub const ALL_SPLITS: &str = "all";

/// The form of a dataset's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// corrcause JSON lines (`id`, `premise`, `hypothesis`, `label`, ...).
    Jsonl,
    /// Corr2Cause's CSV (`input`, `label`, ...); items are named by row number from 0.
    Csv,
}

/// A dataset resolved into the files commands read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetSource {
    /// The path the user gave.
    pub given: PathBuf,
    pub form: Form,
    /// The files, in order (one for a file; the chosen split's, or all listed, for a folder).
    pub files: Vec<PathBuf>,
    /// The split taken from a folder that has splits.
    pub split: Option<String>,
}

impl DatasetSource {
    /// Resolves `path`: a folder means the files its manifest lists, and when it has splits
    /// `split` picks one ([`DEFAULT_SPLIT`] unless told; [`ALL_SPLITS`] for every one); a file
    /// is read as a Corr2Cause CSV when it ends in `.csv`, else as corrcause JSONL.
    pub fn resolve(path: &Path, split: Option<&str>) -> Result<DatasetSource> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::io_at("reading dataset", path.display(), e))?;
        if !meta.is_dir() {
            if let Some(s) = split {
                return Err(Error::Usage(format!(
                    "--split {s}: {} is a file, and --split picks a split of a dataset folder",
                    path.display()
                )));
            }
            let csv = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            return Ok(DatasetSource {
                given: path.to_path_buf(),
                form: if csv { Form::Csv } else { Form::Jsonl },
                files: vec![path.to_path_buf()],
                split: None,
            });
        }
        let manifest_path = path.join("manifest.json");
        if !manifest_path.exists() {
            return Err(Error::Usage(format!(
                "{} is a folder without a manifest.json: give a dataset folder that `corrcause generate` wrote, a JSONL dataset file, or a Corr2Cause CSV",
                path.display()
            )));
        }
        let manifest = super::manifest::read(path)?;
        let source = Source::File(manifest_path.clone());
        if manifest["kind"] == "predictions" {
            return Err(Error::Usage(format!(
                "{} holds a model's predictions (what `corrcause run` writes), not a dataset",
                path.display()
            )));
        }
        let Some(entries) = manifest["files"].as_array() else {
            return Err(Error::input(
                &source,
                1,
                Some("files"),
                "missing or not a list: a dataset manifest lists its files",
            ));
        };
        let mut names = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let name = entry["path"].as_str().ok_or_else(|| {
                Error::input(
                    &source,
                    1,
                    Some(&format!("files[{i}].path")),
                    "not a string",
                )
            })?;
            // A listed file is a name inside the folder, never a way out of it.
            if name.is_empty() || name.contains(['/', '\\']) || name == ".." || name == "." {
                return Err(Error::input(
                    &source,
                    1,
                    Some(&format!("files[{i}].path")),
                    format!("{name:?} is not a file name in the folder"),
                ));
            }
            names.push(name);
        }
        let of_form = |ext: &str| -> Vec<&str> {
            names.iter().copied().filter(|n| n.ends_with(ext)).collect()
        };
        let (form, files) = match (of_form(".jsonl"), of_form(".csv")) {
            (j, _) if !j.is_empty() => (Form::Jsonl, j),
            (_, c) if !c.is_empty() => (Form::Csv, c),
            _ => {
                return Err(Error::Usage(format!(
                    "{} lists no dataset files (JSONL or CSV) in its manifest",
                    path.display()
                )))
            }
        };
        // Each split's files (one, or its parts in order), splits in the manifest's order.
        let mut splits: Vec<(&str, Vec<&str>)> = Vec::new();
        for &name in &files {
            let split = super::parts::split_of(name);
            match splits.iter_mut().find(|(s, _)| *s == split) {
                Some((_, names)) => names.push(name),
                None => splits.push((split, vec![name])),
            }
        }
        let has_splits = !(splits.len() == 1 && splits[0].0 == "items");
        let at = |names: &[&str]| names.iter().map(|n| path.join(n)).collect::<Vec<_>>();
        if !has_splits {
            if let Some(s) = split.filter(|s| *s != ALL_SPLITS) {
                return Err(Error::Usage(format!(
                    "--split {s}: {} has no splits (it holds {}); leave --split out",
                    path.display(),
                    files.join(", ")
                )));
            }
            return Ok(DatasetSource {
                given: path.to_path_buf(),
                form,
                files: at(&files),
                split: None,
            });
        }
        let wanted = split.unwrap_or(DEFAULT_SPLIT);
        if wanted == ALL_SPLITS {
            return Ok(DatasetSource {
                given: path.to_path_buf(),
                form,
                files: at(&files),
                split: Some(ALL_SPLITS.into()),
            });
        }
        let Some((_, names)) = splits.iter().find(|(s, _)| *s == wanted) else {
            let names: Vec<&str> = splits.iter().map(|(s, _)| *s).collect();
            return Err(Error::Usage(format!(
                "{} has no split {wanted:?}; it has {} (give --split NAME, or --split all)",
                path.display(),
                names.join(", ")
            )));
        };
        Ok(DatasetSource {
            given: path.to_path_buf(),
            form,
            files: at(names),
            split: Some(wanted.to_string()),
        })
    }

    /// The items as corrcause JSONL files, which the model runners read: the files themselves,
    /// or for a Corr2Cause CSV one JSONL file written (atomically) into `scratch`, with the
    /// scorer's ids (row numbers from 0), premise, hypothesis, label and num_variables.
    pub fn jsonl_files(&self, scratch: &Path) -> Result<Vec<PathBuf>> {
        if self.form == Form::Jsonl {
            return Ok(self.files.clone());
        }
        use std::io::Write;
        std::fs::create_dir_all(scratch)
            .map_err(|e| Error::io_at("creating folder", scratch.display(), e))?;
        let mut out = Vec::new();
        let mut row = 0usize;
        for csv in &self.files {
            let stem = csv
                .file_stem()
                .map_or_else(|| "items".into(), |s| s.to_string_lossy().into_owned());
            let target = scratch.join(format!("{stem}.jsonl"));
            let mut file = crate::output::AtomicFile::create(&target)?;
            for record in super::corr2cause_csv::Corr2CauseCsv::open(csv)? {
                let r = record?;
                let line = serde_json::json!({
                    "id": row.to_string(),
                    "premise": r.premise,
                    "hypothesis": r.hypothesis,
                    "label": r.label,
                    "num_variables": r.num_variables,
                });
                writeln!(file, "{line}").map_err(|e| Error::writing(target.display(), e))?;
                row += 1;
            }
            file.commit()?;
            out.push(target);
        }
        Ok(out)
    }
}

/// Whether a resolved dataset holds graph items: the first record of its first file says
/// `"task": "graph"`.
pub fn is_graph_dataset(dataset: &DatasetSource) -> Result<bool> {
    if dataset.form == Form::Csv {
        return Ok(false);
    }
    let Some(file) = dataset.files.first().cloned() else {
        return Ok(false);
    };
    use std::io::BufRead;
    let mut first = String::new();
    std::io::BufReader::new(
        std::fs::File::open(&file).map_err(|e| Error::reading(file.display(), e))?,
    )
    .read_line(&mut first)
    .map_err(|e| Error::reading(file.display(), e))?;
    #[derive(serde::Deserialize)]
    struct Task<'a> {
        #[serde(borrow, default)]
        task: Option<std::borrow::Cow<'a, str>>,
    }
    Ok(serde_json::from_str::<Task>(&first)
        .ok()
        .and_then(|t| t.task)
        .is_some_and(|t| t == "graph"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(tag: &str, files: &[&str]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("corrcause-source-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let entries: Vec<serde_json::Value> = files
            .iter()
            .map(|f| {
                std::fs::write(dir.join(f), "").unwrap();
                serde_json::json!({"path": f, "sha256": "", "bytes": 0, "items": 0})
            })
            .collect();
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::json!({"files": entries}).to_string(),
        )
        .unwrap();
        dir
    }

    #[test]
    fn folders_give_their_split_test_by_default() {
        let dir = folder(
            "splits",
            &["train.jsonl", "dev.jsonl", "test.jsonl", "train.csv"],
        );
        let s = DatasetSource::resolve(&dir, None).unwrap();
        assert_eq!(s.files, vec![dir.join("test.jsonl")]);
        assert_eq!((s.form, s.split.as_deref()), (Form::Jsonl, Some("test")));
        let s = DatasetSource::resolve(&dir, Some("dev")).unwrap();
        assert_eq!(s.files, vec![dir.join("dev.jsonl")]);
        let s = DatasetSource::resolve(&dir, Some("all")).unwrap();
        assert_eq!(s.files.len(), 3);
        let e = DatasetSource::resolve(&dir, Some("valid"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no split \"valid\"; it has train, dev, test"),
            "{e}"
        );
        // A file is itself; --split on it is a mistake said as one.
        let f = DatasetSource::resolve(&dir.join("train.csv"), None).unwrap();
        assert_eq!(f.form, Form::Csv);
        let e = DatasetSource::resolve(&dir.join("dev.jsonl"), Some("dev")).unwrap_err();
        assert!(e.to_string().contains("is a file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_split_in_several_files_gives_them_all_in_order() {
        let dir = folder(
            "parts",
            &[
                "train-00000-of-00002.jsonl",
                "train-00001-of-00002.jsonl",
                "test.jsonl",
                "train-00000-of-00002.csv",
                "train-00001-of-00002.csv",
                "test.csv",
            ],
        );
        let s = DatasetSource::resolve(&dir, Some("train")).unwrap();
        assert_eq!(
            s.files,
            vec![
                dir.join("train-00000-of-00002.jsonl"),
                dir.join("train-00001-of-00002.jsonl")
            ]
        );
        let s = DatasetSource::resolve(&dir, None).unwrap();
        assert_eq!(s.files, vec![dir.join("test.jsonl")]);
        assert_eq!(
            DatasetSource::resolve(&dir, Some("all"))
                .unwrap()
                .files
                .len(),
            3
        );
        let e = DatasetSource::resolve(&dir, Some("dev"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("it has train, test"), "{e}");
        // Parts of a dataset without splits are still one dataset.
        let dir = folder(
            "items-parts",
            &["items-00000-of-00002.jsonl", "items-00001-of-00002.jsonl"],
        );
        let s = DatasetSource::resolve(&dir, None).unwrap();
        assert_eq!((s.files.len(), s.split), (2, None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn folders_without_splits_give_their_items_and_bad_folders_are_named() {
        let dir = folder("items", &["items.csv"]);
        let s = DatasetSource::resolve(&dir, None).unwrap();
        assert_eq!(
            (s.form, s.files.clone()),
            (Form::Csv, vec![dir.join("items.csv")])
        );
        let e = DatasetSource::resolve(&dir, Some("test"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no splits"), "{e}");
        std::fs::remove_file(dir.join("manifest.json")).unwrap();
        let e = DatasetSource::resolve(&dir, None).unwrap_err().to_string();
        assert!(e.contains("without a manifest.json"), "{e}");
        let e = DatasetSource::resolve(&dir.join("nope.jsonl"), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("reading dataset ") && e.contains("nope.jsonl"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
