//! Manifests, and merging the shards they describe.
//!
//! A manifest (`manifest.json`) says what a folder holds: the configuration that produced it,
//! which shard it is (`{"index", "count"}`, or null for the whole), counts, and every file with
//! its SHA-256, size and item count. Datasets (`corrcause generate`) and predictions
//! (`corrcause run`) both have one, so [`merge`] joins shards of either: it checks that the shards
//! share one configuration, that none is missing or repeated and that every file still has the
//! hash its manifest gives, then concatenates each file's pieces in shard order (every file on
//! its own thread) and writes one manifest. Shards are contiguous ranges of premises in order, and
//! a split in several files ([`super::parts`]) is cut alike in every shard, each shard writing its
//! pieces of the files holding its premises; so the result is byte for byte the unsharded output.

use crate::error::{Error, Result};
use crate::output::AtomicFile;
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Manifest fields that add up over shards; all others (but `shard` and `files`) must agree.
const ADDITIVE: [&str; 4] = ["premises", "items", "unanswered", "counts"];

/// The SHA-256 (hex) and size of a file.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::reading(path.display(), e))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((format!("{:x}", hash.finalize()), bytes))
}

/// The manifest entry of a file in `dir`: path, SHA-256, bytes and items (lines).
pub fn file_entry(dir: &Path, name: &str, items: usize) -> Result<Value> {
    let (sha256, bytes) = hash_file(&dir.join(name))?;
    Ok(entry(name, &sha256, bytes, items))
}

/// The manifest entry of a file whose SHA-256 and size are known (hashed as it was written).
pub fn entry(name: &str, sha256: &str, bytes: u64, items: usize) -> Value {
    json!({"path": name, "sha256": sha256, "bytes": bytes, "items": items})
}

/// Writes `manifest` to `dir/manifest.json` (pretty, atomically).
pub fn write(dir: &Path, manifest: &Value) -> Result<PathBuf> {
    let path = dir.join("manifest.json");
    let mut f = AtomicFile::create(&path)?;
    let text = pretty(manifest) + "\n";
    f.write_all(text.as_bytes())
        .map_err(|e| Error::writing(path.display(), e))?;
    f.commit()?;
    Ok(path)
}

/// Members a task writes of an array or object: one of more members than this is written on
/// every core, a run of members a task.
const PRETTY_RUN: usize = 64;

/// `value` as [`serde_json::to_string_pretty`] writes it (two spaces a level), but for arrays of
/// numbers, booleans and nulls, written on one line (`[5, true, 0]`: a row of the `--balance hard`
/// record of cells reads as a row); the members of large arrays and objects are written on every
/// core.
fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write_pretty(value, 0, &mut out);
    out
}

/// A number, boolean or null.
fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(_) | Value::Number(_))
}

/// Appends `value` compact, as [`serde_json::to_string`] writes it; integers, booleans and null
/// without a buffer of their own (a record of cells holds hundreds of thousands).
fn push_compact(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_u64() || n.is_i64() => {
            write!(out, "{n}").expect("a String takes any text");
        }
        _ => out.push_str(&serde_json::to_string(value).expect("JSON serialises")),
    }
}

/// Appends `value` pretty at `depth` (2 spaces a level) to `out`.
fn write_pretty(value: &Value, depth: usize, out: &mut String) {
    let members: Vec<(Option<&String>, &Value)> = match value {
        Value::Array(a) if !a.is_empty() && a.iter().all(is_scalar) => {
            out.push('[');
            for (k, v) in a.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                push_compact(v, out);
            }
            out.push(']');
            return;
        }
        Value::Array(a) if !a.is_empty() => a.iter().map(|v| (None, v)).collect(),
        Value::Object(m) if !m.is_empty() => m.iter().map(|(k, v)| (Some(k), v)).collect(),
        _ => {
            push_compact(value, out);
            return;
        }
    };
    let indent = "  ".repeat(depth + 1);
    // Between members: each is on a line of its own.
    let between = format!(",\n{indent}");
    // Members one after another.
    let run = |members: &[(Option<&String>, &Value)], out: &mut String| {
        for (k, (key, v)) in members.iter().enumerate() {
            if k > 0 {
                out.push_str(&between);
            }
            if let Some(key) = key {
                out.push_str(&serde_json::to_string(key).expect("JSON serialises"));
                out.push_str(": ");
            }
            write_pretty(v, depth + 1, out);
        }
    };
    let (open, close) = if value.is_array() {
        ('[', ']')
    } else {
        ('{', '}')
    };
    out.push(open);
    out.push('\n');
    out.push_str(&indent);
    if members.len() > PRETTY_RUN {
        let runs: Vec<String> = members
            .par_chunks(PRETTY_RUN)
            .map(|chunk| {
                let mut text = String::new();
                run(chunk, &mut text);
                text
            })
            .collect();
        out.push_str(&runs.join(&between));
    } else {
        run(&members, out);
    }
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
    out.push(close);
}

/// Reads `dir/manifest.json`.
pub fn read(dir: &Path) -> Result<Value> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::reading(path.display(), e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::input(
            &crate::error::Source::File(path.clone()),
            e.line(),
            None,
            format!("not a manifest: {e}"),
        )
    })
}

/// A writer that hashes what it passes on.
struct HashingWriter {
    inner: AtomicFile,
    hash: Sha256,
    bytes: u64,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Dataset files in the order `generate` lists them: split by split (as the configuration
/// orders them), JSONL before CSV, parts in order.
fn ordered(manifest: &Value, mut names: Vec<String>) -> Vec<String> {
    let splits: Vec<&str> = manifest["config"]["splits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let stem = |n: &str| super::parts::split_of(n).to_string();
    let mut seen: Vec<String> = Vec::new();
    for n in &names {
        let s = stem(n);
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    let key = |n: &String| {
        let p = super::parts::parse(n);
        let split = stem(n);
        let rank = splits
            .iter()
            .position(|s| *s == split)
            .unwrap_or_else(|| splits.len() + seen.iter().position(|f| *f == split).unwrap_or(0));
        let ext = p.as_ref().map_or(2, |p| match p.ext {
            "jsonl" => 0,
            "csv" => 1,
            _ => 2,
        });
        (rank, ext, p.map_or(0, |p| p.part.0))
    };
    names.sort_by_key(key);
    names
}

/// Adds `b` into `a`: numbers add, objects add key by key.
fn add(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            *x = (x.as_u64().unwrap_or(0) + y.as_u64().unwrap_or(0)).into();
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in y {
                match x.get_mut(k) {
                    Some(slot) => add(slot, v),
                    None => {
                        x.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => {}
    }
}

/// What a merge wrote.
#[derive(Clone, Debug)]
pub struct Merged {
    pub shards: usize,
    pub files: Vec<PathBuf>,
}

/// Merges the shards in `dirs` (each with a manifest) into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Merged> {
    let fail = |m: String| Error::Usage(format!("merge: {m}"));
    if dirs.is_empty() {
        return Err(fail("no shard folders given".into()));
    }
    let mut shards: Vec<(usize, &PathBuf, Value)> = Vec::new();
    let mut count = None;
    for dir in dirs {
        let m = read(dir)?;
        let shard = m.get("shard").filter(|s| !s.is_null()).ok_or_else(|| {
            fail(format!(
                "{} is not a shard (its manifest has no shard); nothing to merge",
                dir.display()
            ))
        })?;
        let (Some(index), Some(n)) = (
            shard.get("index").and_then(Value::as_u64),
            shard.get("count").and_then(Value::as_u64),
        ) else {
            return Err(fail(format!(
                "{}: the manifest's shard is not {{index, count}}",
                dir.display()
            )));
        };
        if *count.get_or_insert(n) != n {
            return Err(fail(format!(
                "{} is shard {index} of {n}, but {} is one of {}",
                dir.display(),
                shards[0].1.display(),
                count.unwrap()
            )));
        }
        if let Some((_, other, _)) = shards.iter().find(|(k, _, _)| *k == index as usize) {
            return Err(fail(format!(
                "shard {index} of {n} is given twice: {} and {}",
                other.display(),
                dir.display()
            )));
        }
        shards.push((index as usize, dir, m));
    }
    let n = count.expect("at least one shard") as usize;
    let missing: Vec<String> = (0..n)
        .filter(|k| !shards.iter().any(|(i, _, _)| i == k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "shards {} of {n} are missing",
            missing.join(", ")
        )));
    }
    shards.sort_by_key(|(k, _, _)| *k);
    // One configuration: everything but the shard, the files and the additive counts agrees.
    let identity = |m: &Value| -> Map<String, Value> {
        let mut m = m.as_object().cloned().unwrap_or_default();
        for k in ADDITIVE.iter().chain(&["shard", "files"]) {
            m.remove(*k);
        }
        m
    };
    let first = identity(&shards[0].2);
    for (_, dir, m) in &shards[1..] {
        let this = identity(m);
        if this != first {
            let differs: Vec<&String> = first
                .keys()
                .chain(this.keys())
                .filter(|k| first.get(*k) != this.get(*k))
                .collect();
            return Err(fail(format!(
                "{} and {} come from different runs: their manifests differ in {:?}",
                shards[0].1.display(),
                dir.display(),
                differs
            )));
        }
    }
    // Every file still has its manifest's hash; the shards list the same files, or parts of
    // large splits, each in the shards that hold some of its premises.
    let names = |m: &Value| -> Vec<String> {
        m["files"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|e| e["path"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let first_names = names(&shards[0].2);
    let mut file_names = first_names.clone();
    for (_, dir, m) in &shards[1..] {
        for name in names(m) {
            if !file_names.contains(&name) {
                file_names.push(name);
            }
        }
        let parted = |n: &String| super::parts::parse(n).is_some_and(|p| p.part.1 > 1);
        let theirs = names(m);
        if let Some(odd) = file_names
            .iter()
            .find(|n| !parted(n) && !theirs.contains(n))
            .or_else(|| {
                theirs
                    .iter()
                    .find(|n| !parted(n) && !first_names.contains(n))
            })
        {
            return Err(fail(format!(
                "{} and {} list different files ({odd} is in one only)",
                dir.display(),
                shards[0].1.display()
            )));
        }
    }
    if file_names != first_names {
        file_names = ordered(&shards[0].2, file_names);
    }
    let listed: Vec<(&PathBuf, String, Value)> = shards
        .iter()
        .flat_map(|(_, dir, m)| {
            m["files"].as_array().into_iter().flatten().map(move |e| {
                (
                    *dir,
                    e["path"].as_str().unwrap_or_default().to_string(),
                    e.clone(),
                )
            })
        })
        .collect();
    listed.par_iter().try_for_each(|(dir, name, entry)| {
        let (sha256, bytes) = hash_file(&dir.join(name))?;
        if Some(sha256.as_str()) != entry["sha256"].as_str()
            || Some(bytes) != entry["bytes"].as_u64()
        {
            return Err(fail(format!(
                "{}: its SHA-256 or size is not the one in its manifest (the file changed or is incomplete)",
                dir.join(name).display()
            )));
        }
        Ok(())
    })?;
    // Concatenate each file's pieces in shard order (files side by side), then one manifest.
    std::fs::create_dir_all(out).map_err(|e| Error::io_at("creating folder", out.display(), e))?;
    let mut merged = shards[0].2.clone();
    for (_, _, m) in &shards[1..] {
        for k in ADDITIVE {
            if let (Some(slot), Some(v)) = (merged.get_mut(k), m.get(k)) {
                add(slot, v);
            }
        }
    }
    merged["shard"] = Value::Null;
    let joined: Vec<(Value, crate::output::Finished)> = file_names
        .par_iter()
        .map(|name| {
            let target = out.join(name);
            let mut file = HashingWriter {
                inner: AtomicFile::create(&target)?,
                hash: Sha256::new(),
                bytes: 0,
            };
            let mut items = 0u64;
            for (dir, listed_name, entry) in &listed {
                if listed_name != name {
                    continue;
                }
                let path = dir.join(name);
                let mut input =
                    std::fs::File::open(&path).map_err(|e| Error::reading(path.display(), e))?;
                std::io::copy(&mut input, &mut file)
                    .map_err(|e| Error::writing(target.display(), e))?;
                items += entry["items"].as_u64().unwrap_or(0);
            }
            let entry = json!({"path": name, "sha256": format!("{:x}", file.hash.finalize()), "bytes": file.bytes, "items": items});
            Ok((entry, file.inner.finish()?))
        })
        .collect::<Result<_>>()?;
    let mut entries = Vec::new();
    let mut files = Vec::new();
    for ((entry, finished), name) in joined.into_iter().zip(&file_names) {
        finished.commit()?;
        entries.push(entry);
        files.push(out.join(name));
    }
    merged["files"] = Value::Array(entries);
    files.push(write(out, &merged)?);
    // A whole dataset again: its card, as `generate` writes it unsharded.
    let is_dataset = merged.pointer("/counts/by_relation").is_some()
        && files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "jsonl"));
    if is_dataset {
        files.push(super::card::write(out, &merged)?);
    }
    Ok(Merged { shards: n, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON values of every kind: escapes and non-ASCII in strings and keys, empty and nested
    /// containers, and arrays and objects past the size written member by member.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e9f64..1e9).prop_map(|x| json!(x)),
            "[a-z\"\\\\\n\té→ ]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 400, 80, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..80).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z\"é]{0,4}", inner, 0..80)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// serde_json's pretty text with every array of numbers, booleans and nulls put on one
    /// line: the layout the manifest's writer promises, from serde_json's own writer. (The
    /// values' strings hold no digits or brackets, so no string can look like such an array.)
    fn reference(v: &Value) -> String {
        let text = serde_json::to_string_pretty(v).unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        let scalar = |s: &str| {
            let s = s.trim().trim_end_matches(',');
            ["true", "false", "null"].contains(&s)
                || s.parse::<f64>().is_ok()
                    && s.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        };
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            // An array opened at the end of this line, its members each on a line of their own.
            let members = lines[i + 1..].iter().take_while(|l| scalar(l)).count();
            let close = lines.get(i + 1 + members).map(|l| l.trim());
            if line.ends_with('[') && members > 0 && matches!(close, Some("]") | Some("],")) {
                let row: Vec<&str> = lines[i + 1..=i + members]
                    .iter()
                    .map(|l| l.trim().trim_end_matches(','))
                    .collect();
                out.push(format!("{line}{}{}", row.join(", "), close.unwrap()));
                i += members + 2;
            } else {
                out.push(line.to_string());
                i += 1;
            }
        }
        out.join("\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The manifest's writer gives that layout byte for byte, and reads back as the value.
        #[test]
        fn pretty_is_serde_json_pretty_with_rows_of_scalars_on_one_line(v in value()) {
            let text = pretty(&v);
            prop_assert_eq!(&text, &reference(&v));
            // (Read back beside serde_json's own text: its reader rounds some floats.)
            let read = |t: &str| serde_json::from_str::<Value>(t).unwrap();
            prop_assert_eq!(read(&text), read(&serde_json::to_string(&v).unwrap()));
        }
    }

    /// Large members inside small ones, as in a manifest with a `--balance hard` record.
    #[test]
    fn a_large_record_inside_a_manifest_is_written_in_that_layout() {
        let rows: Vec<Value> = (0..300).map(|k| json!([k, true, null, 2.5])).collect();
        let cells: Vec<Value> = (0..300)
            .map(|k| json!({"cell": {"n": k, "x": [k, "é\"", null]}, "kept": {"valid": k}}))
            .collect();
        let keyed: Map<String, Value> = (0..100)
            .map(|k| (format!("k{k}"), json!([k, {}])))
            .collect();
        let v = json!({"files": [], "hard_balance": {"cells": {"child": cells}, "rows": rows, "keyed": keyed}, "items": 3});
        let text = pretty(&v);
        assert_eq!(text, reference(&v));
        assert!(
            text.contains("\n      [299, true, null, 2.5]\n    ]"),
            "{text}"
        );
    }
}
