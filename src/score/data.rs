//! Reading what is scored: a dataset (corrcause JSONL, a dataset directory, or a Corr2Cause CSV)
//! and prediction files (corrcause's JSON lines, or harness logs through [`super::harness`]).
//! Every malformed line is an error naming the file and line.

use super::answer::{self, Answer};
use super::harness::{self, LogKind};
use crate::causal::Relation;
use crate::dataset::lines::{for_each_line_batch, Text};
use crate::dataset::source::{DatasetSource, Form};
use crate::error::{Error, Result, Source};
use crate::text::{parse_hypothesis, parse_premise};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What the scorer knows of one item.
#[derive(Clone, Debug)]
pub struct Item {
    pub premise: u32,
    pub label: u8,
    /// 0 entailment, 1 neutral, 2 contradiction.
    pub label3: Option<u8>,
    pub relation: Option<Relation>,
    pub n: Option<u16>,
    pub mec_size: Option<u64>,
    /// Index into [`Dataset::splits`].
    pub split: Option<u8>,
    /// The rung that decides the label, as an index into [`crate::causal::Depth::NAMES`].
    pub depth: Option<u8>,
    /// For each of [`VARIANT_FIELDS`]: 0 when absent, else 1 + an index into
    /// [`Dataset::variant_values`].
    pub variants: [u8; 5],
    /// The pair, as indices into the premise's names (`None` when unknown).
    pub pair: Option<(u16, u16)>,
}

/// A premise: its names and the pairs it states independent (for the consistency checks).
#[derive(Clone, Debug, Default)]
pub struct PremiseFacts {
    /// Pairs `x < y` stated independent given the empty set.
    pub marginally_independent: Vec<(u16, u16)>,
    /// Pairs `x < y` stated independent given some set.
    pub separable: Vec<(u16, u16)>,
}

pub use crate::dataset::record::VARIANT_FIELDS;

/// Reads one JSON line as `T`; a line that is not JSON, or has a field of the wrong type, is an
/// error naming its file and line.
pub(crate) fn parse_line<'a, T: serde::Deserialize<'a>>(
    text: &'a str,
    source: &Source,
    line: usize,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        Error::input(
            source,
            line,
            None,
            format!("not valid JSON or a field of the wrong type: {e}"),
        )
    })
}

/// A fast hash for item ids (FxHash's multiply-rotate; ids are not adversarial).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn finish(&self) -> u64 {
        // Avalanche, so that the low bits (the bucket index) depend on every byte.
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }
}

/// Item ids to item indices.
pub type IdMap = HashMap<String, u32, std::hash::BuildHasherDefault<IdHasher>>;

/// A dataset as the scorer sees it.
pub struct Dataset {
    pub items: Vec<Item>,
    /// The id of each item, by index.
    pub ids: Vec<Box<str>>,
    /// Ids to indices, built on first need (predictions usually come in dataset order).
    pub index: std::sync::OnceLock<IdMap>,
    pub premises: Vec<PremiseFacts>,
    /// Split names, indexed by [`Item::split`].
    pub splits: Vec<String>,
    /// Values of the variant fields, indexed by [`Item::variants`] minus one.
    pub variant_values: Vec<String>,
    pub has_label3: bool,
}

fn label3_code(s: &str) -> Option<u8> {
    match s {
        "entailment" => Some(0),
        "neutral" => Some(1),
        "contradiction" => Some(2),
        _ => None,
    }
}

/// The facts of a premise text and the pair a hypothesis is about, when both can be read.
fn facts(premise: &str) -> Option<(PremiseFacts, Vec<String>)> {
    let parsed = parse_premise(premise).ok()?;
    let mut f = PremiseFacts::default();
    for s in parsed.statements() {
        let pair = (s.x as u16, s.y as u16);
        if s.given.is_empty() {
            f.marginally_independent.push(pair);
        }
        f.separable.push(pair);
    }
    f.separable.sort_unstable();
    f.separable.dedup();
    Some((f, parsed.names))
}

/// Reads a dataset: a corrcause JSONL file or dataset folder (its `test` split when it has
/// splits), or a Corr2Cause CSV (ids are row numbers from 0, in file order).
pub fn read_dataset(path: &Path) -> Result<Dataset> {
    read_dataset_from(&DatasetSource::resolve(path, None)?)
}

/// Reads the files of a resolved dataset source.
pub fn read_dataset_from(dataset: &DatasetSource) -> Result<Dataset> {
    let mut ds = Dataset {
        items: Vec::new(),
        ids: Vec::new(),
        index: std::sync::OnceLock::new(),
        premises: Vec::new(),
        splits: Vec::new(),
        variant_values: Vec::new(),
        has_label3: true,
    };
    // Where each item was read, for the message about a duplicate id.
    let mut origin: Vec<(u16, u32)> = Vec::new();
    let mut files_read: Vec<PathBuf> = Vec::new();
    let mut premise_index = IdMap::default();
    let mut names_of: Vec<Option<Vec<String>>> = Vec::new();
    let mut intern = |key: &str,
                      text: Option<&str>,
                      ds: &mut Dataset,
                      names_of: &mut Vec<Option<Vec<String>>>|
     -> u32 {
        if let Some(&i) = premise_index.get(key) {
            return i;
        }
        let i = ds.premises.len() as u32;
        let (f, names) = match text.and_then(facts) {
            Some((f, names)) => (f, Some(names)),
            None => (PremiseFacts::default(), None),
        };
        ds.premises.push(f);
        names_of.push(names);
        premise_index.insert(key.to_string(), i);
        i
    };
    if dataset.form == Form::Csv {
        ds.has_label3 = false;
        let rows = dataset
            .files
            .iter()
            .map(|f| crate::dataset::corr2cause_csv::Corr2CauseCsv::open(f))
            .collect::<Result<Vec<_>>>()?;
        for (row, record) in rows.into_iter().flatten().enumerate() {
            let record = record?;
            let (premise, hypothesis, label, n) = (
                record.premise.as_str(),
                record.hypothesis.as_str(),
                record.label,
                record.num_variables,
            );
            let p = intern(premise, Some(premise), &mut ds, &mut names_of);
            let (relation, pair) = match &names_of[p as usize] {
                Some(names) => match parse_hypothesis(hypothesis, names) {
                    Ok(h) => (Some(h.relation), Some((h.x as u16, h.y as u16))),
                    Err(_) => (None, None),
                },
                None => (None, None),
            };
            ds.ids.push(row.to_string().into_boxed_str());
            ds.items.push(Item {
                premise: p,
                label,
                label3: None,
                relation,
                n,
                mec_size: None,
                split: None,
                depth: None,
                variants: [0; 5],
                pair,
            });
        }
        return Ok(ds);
    }
    /// The fields the scorer reads from a dataset line; text is borrowed where it can be.
    #[derive(serde::Deserialize)]
    struct Row<'a> {
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow, default)]
        premise_id: Option<Text<'a>>,
        #[serde(borrow, default)]
        premise: Option<Text<'a>>,
        label: Option<serde_json::Number>,
        #[serde(borrow, default)]
        label3: Option<Text<'a>>,
        #[serde(borrow, default)]
        relation: Option<Text<'a>>,
        #[serde(default)]
        num_variables: Option<u64>,
        #[serde(default)]
        mec_size: Option<u64>,
        #[serde(borrow, default)]
        split: Option<Text<'a>>,
        #[serde(borrow, default)]
        x: Option<Text<'a>>,
        #[serde(borrow, default)]
        y: Option<Text<'a>>,
        #[serde(borrow, default)]
        names: Option<Text<'a>>,
        #[serde(borrow, default)]
        style: Option<Text<'a>>,
        #[serde(borrow, default)]
        premise_form: Option<Text<'a>>,
        #[serde(borrow, default)]
        order: Option<Text<'a>>,
        #[serde(borrow, default)]
        variant: Option<Text<'a>>,
        #[serde(borrow, default)]
        depth: Option<Text<'a>>,
    }
    /// The variant fields of a row, in the order of [`VARIANT_FIELDS`].
    fn variant_fields<'b>(v: &'b Row) -> [Option<&'b str>; 5] {
        [&v.names, &v.style, &v.premise_form, &v.order, &v.variant].map(|x| x.as_deref())
    }
    for file in &dataset.files {
        let source = Source::File(file.clone());
        files_read.push(file.clone());
        let file_index = (files_read.len() - 1) as u16;
        for_each_line_batch(file, &source, |batch| {
            // Everything per row that needs no shared state is done on every core: parsing, the
            // codes of splits and variant values already known, and the depth.
            struct Parsed<'a> {
                row: Row<'a>,
                id: Box<str>,
                label: u8,
                label3: Option<u8>,
                relation: Option<Relation>,
                /// `None` when the split name is new (interned in file order below).
                split: Option<Option<u8>>,
                /// `None` when a variant value is new.
                variants: Option<[u8; 5]>,
                depth: Result<Option<u8>, ()>,
            }
            impl Parsed<'_> {
                fn key(&self) -> &str {
                    let v = &self.row;
                    v.premise_id
                        .as_deref()
                        .or(v.premise.as_deref())
                        .unwrap_or(&self.id)
                }
            }
            let (splits, values) = (&ds.splits, &ds.variant_values);
            let mut rows: Vec<Result<Parsed>> = batch
                .par_iter()
                .map(|&(line, text)| {
                    let err = |field: &str, msg: &str| {
                        Error::input(&source, line, Some(field), msg.to_string())
                    };
                    let row: Row = parse_line(text, &source, line)?;
                    let id: Box<str> = row
                        .id
                        .as_deref()
                        .ok_or_else(|| err("id", "missing"))?
                        .into();
                    let label = match row.label.as_ref().and_then(|n| n.as_u64()) {
                        Some(l @ (0 | 1)) => l as u8,
                        _ => return Err(err("label", "expected 0 or 1")),
                    };
                    let label3 = row.label3.as_deref().and_then(label3_code);
                    let relation = row.relation.as_deref().and_then(|r| r.parse().ok());
                    let split = known_split(splits, row.split.as_deref());
                    let variants = known_variants(values, variant_fields(&row));
                    let depth = match row.depth.as_deref() {
                        None => Ok(None),
                        Some(d) => crate::causal::Depth::NAMES
                            .iter()
                            .position(|n| *n == d)
                            .map(|k| Some(k as u8))
                            .ok_or(()),
                    };
                    Ok(Parsed {
                        row,
                        id,
                        label,
                        label3,
                        relation,
                        split,
                        variants,
                        depth,
                    })
                })
                .collect();
            // Whether each row's premise key is the one of the row before (items of a premise are
            // consecutive), so the serial pass below looks up only the first of each run.
            let same_as_before: Vec<bool> = (0..rows.len())
                .into_par_iter()
                .map(|i| match (i.checked_sub(1).map(|j| &rows[j]), &rows[i]) {
                    (Some(Ok(a)), Ok(b)) => a.key() == b.key(),
                    _ => false,
                })
                .collect();
            // In file order: premise indices, new split and variant values, the errors that
            // depend on them, and the items (their pairs filled in below).
            let first_item = ds.items.len();
            // New premises: their index and the row that first names them.
            let mut fresh: Vec<(u32, usize)> = Vec::new();
            let mut p = 0u32;
            let parsed_ok = rows.iter().position(Result::is_err).unwrap_or(rows.len());
            for (k, (&(line, _), parsed)) in batch.iter().zip(&mut rows[..parsed_ok]).enumerate() {
                let Ok(parsed) = parsed else {
                    unreachable!("rows before {parsed_ok} parsed")
                };
                let err = |field: &str, msg: &str| {
                    Error::input(&source, line, Some(field), msg.to_string())
                };
                if parsed.label3.is_none() {
                    ds.has_label3 = false;
                }
                if !same_as_before[k] {
                    let key = parsed.key();
                    p = match premise_index.get(key) {
                        Some(&i) => i,
                        None => {
                            let i = ds.premises.len() as u32;
                            ds.premises.push(PremiseFacts::default());
                            names_of.push(None);
                            premise_index.insert(key.to_string(), i);
                            fresh.push((i, k));
                            i
                        }
                    };
                }
                let v = &parsed.row;
                let split = match parsed.split {
                    Some(split) => split,
                    None => intern_split(&mut ds.splits, v.split.as_deref())
                        .map_err(|m| err("split", m))?,
                };
                let variants = match parsed.variants {
                    Some(variants) => variants,
                    None => intern_variants(&mut ds.variant_values, variant_fields(v))
                        .map_err(|(field, m)| err(field, m))?,
                };
                let depth = parsed.depth.map_err(|()| {
                    err(
                        "depth",
                        "not one of skeleton, colliders, propagation, equivalence, ambiguous",
                    )
                })?;
                ds.ids.push(std::mem::take(&mut parsed.id));
                origin.push((file_index, line as u32));
                ds.items.push(Item {
                    premise: p,
                    label: parsed.label,
                    label3: parsed.label3,
                    relation: parsed.relation,
                    n: v.num_variables.map(|n| n as u16),
                    mec_size: v.mec_size,
                    split,
                    depth,
                    variants,
                    pair: None,
                });
            }
            if let Some(Err(e)) = (parsed_ok < rows.len()).then(|| rows.swap_remove(parsed_ok)) {
                return Err(e);
            }
            // The facts of the premises first seen in this batch, and every item's pair.
            let facts: Vec<_> = fresh
                .par_iter()
                .map(|&(_, k)| match &rows[k] {
                    Ok(parsed) => parsed.row.premise.as_deref().and_then(facts),
                    Err(_) => None,
                })
                .collect();
            for (&(i, _), f) in fresh.iter().zip(facts) {
                if let Some((f, names)) = f {
                    ds.premises[i as usize] = f;
                    names_of[i as usize] = Some(names);
                }
            }
            let names_of = &names_of;
            ds.items[first_item..]
                .par_iter_mut()
                .zip(&rows)
                .for_each(|(item, parsed)| {
                    let (Some(names), Ok(parsed)) = (&names_of[item.premise as usize], parsed)
                    else {
                        return;
                    };
                    let v = &parsed.row;
                    let at = |k: &Option<Text>| {
                        k.as_deref().and_then(|s| names.iter().position(|n| n == s))
                    };
                    item.pair = (|| {
                        let (x, y) = (at(&v.x)?, at(&v.y)?);
                        Some((x.min(y) as u16, x.max(y) as u16))
                    })();
                });
            Ok(())
        })?;
    }
    if ds.items.is_empty() {
        ds.has_label3 = false;
    }
    // Duplicate ids, found by sorting hashes (cheaper than a map of a million strings).
    let mut hashed: Vec<(u64, u32)> = ds
        .ids
        .par_iter()
        .enumerate()
        .map(|(i, id)| (hash_id(id), i as u32))
        .collect();
    hashed.par_sort_unstable();
    for w in hashed.windows(2) {
        if w[0].0 == w[1].0 && ds.ids[w[0].1 as usize] == ds.ids[w[1].1 as usize] {
            let later = w[0].1.max(w[1].1) as usize;
            let (file, line) = origin[later];
            return Err(Error::input(
                &Source::File(files_read[file as usize].clone()),
                line as usize,
                Some("id"),
                format!("{:?} appears twice in the dataset", ds.ids[later]),
            ));
        }
    }
    Ok(ds)
}

/// The code of a split name already in `splits` (`Some(None)` when no split is named), or
/// `None` when the name is new; read on every core, while [`intern_split`] adds in file order.
fn known_split(splits: &[String], name: Option<&str>) -> Option<Option<u8>> {
    match name {
        None => Some(None),
        Some(name) => splits.iter().position(|s| s == name).map(|k| Some(k as u8)),
    }
}

/// The codes of a record's variant fields when every value is already in `values` (see
/// [`intern_variants`]), else `None`.
fn known_variants(values: &[String], fields: [Option<&str>; 5]) -> Option<[u8; 5]> {
    let mut variants = [0u8; 5];
    for (code, value) in variants.iter_mut().zip(fields) {
        if let Some(value) = value {
            *code = values.iter().position(|s| s == value)? as u8 + 1;
        }
    }
    Some(variants)
}

/// The index of a split name in `splits` (added when new), at most 255 names.
pub(crate) fn intern_split(
    splits: &mut Vec<String>,
    name: Option<&str>,
) -> Result<Option<u8>, &'static str> {
    let Some(name) = name else { return Ok(None) };
    Ok(Some(match splits.iter().position(|s| s == name) {
        Some(k) => k as u8,
        None if splits.len() < 255 => {
            splits.push(name.to_string());
            (splits.len() - 1) as u8
        }
        None => return Err("more than 255 distinct splits"),
    }))
}

/// The codes of a record's variant fields (see [`Item::variants`]), values added to `values`
/// when new; an error names the field when there are more than 254 distinct values.
pub(crate) fn intern_variants(
    values: &mut Vec<String>,
    fields: [Option<&str>; 5],
) -> Result<[u8; 5], (&'static str, &'static str)> {
    let mut variants = [0u8; 5];
    for (k, value) in fields.into_iter().enumerate() {
        if let Some(value) = value {
            let at = match values.iter().position(|s| s == value) {
                Some(i) => i,
                None if values.len() < 254 => {
                    values.push(value.to_string());
                    values.len() - 1
                }
                None => return Err((VARIANT_FIELDS[k], "more than 254 distinct variant values")),
            };
            variants[k] = at as u8 + 1;
        }
    }
    Ok(variants)
}

fn hash_id(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<IdHasher>::default().hash_one(id)
}

impl Dataset {
    /// The index of the item with this id: the `hint` first (the item after the last one looked
    /// up), then a map built on first need.
    pub fn find(&self, id: &str, hint: usize) -> Option<u32> {
        if self.ids.get(hint).is_some_and(|h| &**h == id) {
            return Some(hint as u32);
        }
        let index = self.index.get_or_init(|| {
            let mut m = IdMap::with_capacity_and_hasher(self.ids.len(), Default::default());
            for (i, id) in self.ids.iter().enumerate() {
                m.insert(id.to_string(), i as u32);
            }
            m
        });
        index.get(id).copied()
    }
}

/// What to do with two predictions for one id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duplicates {
    Error,
    Last,
}

/// One model's answers, by item, with the raw outputs of unparsed ones kept as examples.
pub struct Predictions {
    pub name: String,
    /// `None` for items with no prediction.
    pub answers: Vec<Option<Answer>>,
    /// How each raw output was read: (id, output, reading), kept only when asked for.
    pub readings: Vec<(String, String, answer::Reading)>,
    /// Up to five unparsed outputs, for the report.
    pub unparsed_examples: Vec<(String, String)>,
}

/// Reads a prediction file: JSON lines with `id` and `output` (raw text) or `prediction` (which
/// wins when both are given), a batch at a time; or a harness log ([`harness`]: lm-eval samples,
/// inspect `.eval` or `.json`), recognised by its content.
pub fn read_predictions(
    path: &Path,
    name: String,
    ds: &Dataset,
    duplicates: Duplicates,
    keep_readings: bool,
) -> Result<Predictions> {
    /// An id given as text or as a number (row numbers of a CSV dataset).
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Id<'a> {
        Text(#[serde(borrow)] Text<'a>),
        Number(u64),
    }
    #[derive(serde::Deserialize)]
    struct Line<'a> {
        #[serde(borrow)]
        id: Option<Id<'a>>,
        #[serde(borrow, default)]
        output: Option<Text<'a>>,
        #[serde(default)]
        prediction: Option<Value>,
    }
    let kind = harness::detect(path)?;
    if kind != LogKind::Predictions {
        return from_harness_log(path, kind, name, ds, duplicates, keep_readings);
    }
    let source = Source::File(path.to_path_buf());
    let mut collected = Collected::new(ds, keep_readings);
    for_each_line_batch(path, &source, |batch| {
        let parsed: Vec<Result<Parsed>> = batch
            .par_iter()
            .map(|&(line, text)| {
                let v: Line = parse_line(text, &source, line)?;
                let number;
                let id: &str = match &v.id {
                    Some(Id::Text(s)) => s,
                    Some(Id::Number(n)) => {
                        number = n.to_string();
                        &number
                    }
                    None => return Err(Error::input(&source, line, Some("id"), "missing (every prediction names the item it answers)")),
                };
                let item = find_item(ds, id, line - 1, &source, line)?;
                // A decided `prediction` (e.g. from answer log-probabilities) wins over the raw text.
                if let Some(p) = &v.prediction {
                    return match answer::from_prediction(p) {
                        Some(a) => Ok((item, a, None, None)),
                        None => Err(Error::input(&source, line, Some("prediction"), format!("{p} is not 0/1, true/false, yes/no, valid/invalid or entailment/neutral/contradiction"))),
                    };
                }
                match v.output.as_deref() {
                    Some(output) => Ok(read_output(item, id, output, keep_readings)),
                    None => Err(Error::input(&source, line, None, "needs `output` (raw text) or `prediction`")),
                }
            })
            .collect();
        for (&(line, _), p) in batch.iter().zip(parsed) {
            collected.add(p?, &source, line, duplicates)?;
        }
        Ok(())
    })?;
    Ok(collected.finish(name))
}

/// (item, answer, the raw output and its reading when kept, the id when kept)
type Parsed = (
    u32,
    Answer,
    Option<(String, answer::Reading)>,
    Option<String>,
);

/// The index of the item `id`, or an error naming the line that asks for an unknown one.
fn find_item(ds: &Dataset, id: &str, hint: usize, source: &Source, line: usize) -> Result<u32> {
    ds.find(id, hint).ok_or_else(|| {
        Error::input(
            source,
            line,
            Some("id"),
            format!("{id:?} is not an item of the dataset"),
        )
    })
}

/// An answer handed over in memory (the Python `score(predictions={id: ...})`): raw text to
/// read, or a decided value as in a prediction file's `prediction` field.
#[derive(Clone, Debug)]
pub enum Given {
    Output(String),
    Prediction(Value),
}

/// One model's answers given in memory, by item id; errors name the id.
pub fn predictions_from_answers(
    name: String,
    ds: &Dataset,
    given: Vec<(String, Given)>,
    keep_readings: bool,
) -> Result<Predictions> {
    let mut answers: Vec<Option<Answer>> = vec![None; ds.items.len()];
    let mut readings = Vec::new();
    let mut unparsed_examples = Vec::new();
    for (hint, (id, g)) in given.into_iter().enumerate() {
        let item = ds.find(&id, hint).ok_or_else(|| {
            Error::Usage(format!("prediction for {id:?}: not an item of the dataset"))
        })?;
        let answer = match g {
            Given::Prediction(p) => answer::from_prediction(&p).ok_or_else(|| {
                Error::Usage(format!("prediction for {id:?}: {p} is not 0/1, true/false, yes/no, valid/invalid or entailment/neutral/contradiction"))
            })?,
            Given::Output(output) => {
                let reading = answer::read(&output);
                let answer = reading.answer;
                if answer == Answer::Unparsed && unparsed_examples.len() < 5 {
                    unparsed_examples.push((id.clone(), output.clone()));
                }
                if keep_readings {
                    readings.push((id, output, reading));
                }
                answer
            }
        };
        answers[item as usize] = Some(answer);
    }
    Ok(Predictions {
        name,
        answers,
        readings,
        unparsed_examples,
    })
}

/// Reads a raw output; keeps it (and the id) when asked to, or when it cannot be read.
fn read_output(item: u32, id: &str, output: &str, keep_readings: bool) -> Parsed {
    let reading = answer::read(output);
    let answer = reading.answer;
    let keep = keep_readings || answer == Answer::Unparsed;
    (
        item,
        answer,
        keep.then(|| (output.to_string(), reading)),
        keep.then(|| id.to_string()),
    )
}

/// Answers gathered in file order, refusing or replacing a second answer to an item.
struct Collected<'a> {
    ds: &'a Dataset,
    keep_readings: bool,
    answers: Vec<Option<Answer>>,
    seen_line: Vec<u32>,
    readings: Vec<(String, String, answer::Reading)>,
    unparsed_examples: Vec<(String, String)>,
}

impl<'a> Collected<'a> {
    fn new(ds: &'a Dataset, keep_readings: bool) -> Self {
        Collected {
            ds,
            keep_readings,
            answers: vec![None; ds.items.len()],
            seen_line: vec![0; ds.items.len()],
            readings: Vec::new(),
            unparsed_examples: Vec::new(),
        }
    }

    fn add(
        &mut self,
        (item, answer, raw, id): Parsed,
        source: &Source,
        line: usize,
        duplicates: Duplicates,
    ) -> Result<()> {
        let i = item as usize;
        if self.seen_line[i] != 0 && duplicates == Duplicates::Error {
            return Err(Error::input(
                source,
                line,
                Some("id"),
                format!("{:?} was already answered on line {} (use --duplicates last to keep the last answer)", &*self.ds.ids[i], self.seen_line[i]),
            ));
        }
        self.seen_line[i] = line as u32;
        self.answers[i] = Some(answer);
        if let (Some((output, reading)), Some(id)) = (raw, id) {
            if answer == Answer::Unparsed && self.unparsed_examples.len() < 5 {
                self.unparsed_examples.push((id.clone(), output.clone()));
            }
            if self.keep_readings {
                self.readings.push((id, output, reading));
            }
        }
        Ok(())
    }

    fn finish(self, name: String) -> Predictions {
        Predictions {
            name,
            answers: self.answers,
            readings: self.readings,
            unparsed_examples: self.unparsed_examples,
        }
    }
}

/// Predictions from a harness log ([`harness`]): each answer matched to its item by id and read
/// by corrcause's answer reader; a label that differs from the dataset's means the log was made
/// from another dataset.
fn from_harness_log(
    path: &Path,
    kind: LogKind,
    name: String,
    ds: &Dataset,
    duplicates: Duplicates,
    keep_readings: bool,
) -> Result<Predictions> {
    let mut collected = Collected::new(ds, keep_readings);
    for (k, a) in harness::read(path, kind)?.into_iter().enumerate() {
        let item = ds.find(&a.id, k).ok_or_else(|| {
            Error::input(
                &a.source,
                a.line,
                Some("id"),
                format!(
                    "{:?} is not an item of the dataset (is the log from another dataset?)",
                    a.id
                ),
            )
        })?;
        let label = ds.items[item as usize].label;
        if a.label.is_some_and(|l| l != label) {
            return Err(Error::input(
                &a.source,
                a.line,
                Some("label"),
                format!(
                    "item {:?} has label {} in the log but {label} in the dataset: the log was made from another dataset",
                    a.id,
                    a.label.unwrap_or_default()
                ),
            ));
        }
        let parsed = read_output(item, &a.id, &a.output, keep_readings);
        collected.add(parsed, &a.source, a.line, duplicates)?;
    }
    Ok(collected.finish(name))
}
