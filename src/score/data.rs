//! Reading what is scored: a dataset (corrcause JSONL, a dataset directory, or a Corr2Cause CSV)
//! and prediction files (corrcause's JSON lines, or harness logs through [`super::harness`]).
//! Every malformed line is an error naming the file and line.

use super::answer::{self, Answer};
use super::harness::{self, LogKind};
use crate::causal::Relation;
use crate::dataset::lines::{for_each_range, for_each_range_of_files, Text};
use crate::dataset::source::{DatasetSource, Form};
use crate::error::{Error, Result, Source};
use crate::text::{parse_hypothesis, parse_premise};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Sorted ids a task looks through for repeats.
const BLOCK: usize = 1 << 14;

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
    /// Finds items by id; built by the reader (or on first need).
    pub index: IdIndex,
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

/// A premise's variable names in two allocations, not one per name: a dataset has thousands of
/// premises, and their names are kept while it is read and freed on one thread after.
struct Names {
    /// The names one after another.
    text: Box<str>,
    /// Where each name ends in `text`.
    ends: Box<[u32]>,
}

impl Names {
    /// The place of `name` among the names.
    fn position(&self, name: &str) -> Option<usize> {
        let mut start = 0;
        self.ends.iter().position(|&end| {
            let found = &self.text[start..end as usize] == name;
            start = end as usize;
            found
        })
    }
}

impl From<Vec<String>> for Names {
    fn from(names: Vec<String>) -> Names {
        let ends = names
            .iter()
            .scan(0u32, |end, n| {
                *end += n.len() as u32;
                Some(*end)
            })
            .collect();
        Names {
            text: names.concat().into_boxed_str(),
            ends,
        }
    }
}

/// Reads Corr2Cause CSV files into the empty `ds`: ids are row numbers from 0 over the files in
/// order, with no three-way labels.
fn read_corr2cause_csv(files: &[std::path::PathBuf], mut ds: Dataset) -> Result<Dataset> {
    let mut premise_index = IdMap::default();
    // Each premise's variable names, when its text can be read.
    let mut names_of: Vec<Option<Vec<String>>> = Vec::new();
    ds.has_label3 = false;
    let rows = files
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
        // A new premise gets the next number, and the facts and names of its text.
        let p = match premise_index.get(premise) {
            Some(&i) => i,
            None => {
                let i = ds.premises.len() as u32;
                let (f, names) = facts(premise).unzip();
                ds.premises.push(f.unwrap_or_default());
                names_of.push(names);
                premise_index.insert(premise.to_string(), i);
                i
            }
        };
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
    ds.index = IdIndex::of(&ds.ids);
    Ok(ds)
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
        index: IdIndex::default(),
        premises: Vec::new(),
        splits: Vec::new(),
        variant_values: Vec::new(),
        has_label3: true,
    };
    if dataset.form == Form::Csv {
        return read_corr2cause_csv(&dataset.files, ds);
    }
    // Where each item was read, for the message about a duplicate id.
    let mut origin: Vec<(u16, u32)> = Vec::new();
    let mut premise_index = IdMap::default();
    // The names of each premise, for pairs given on rows without the premise's text.
    let mut names_of: Vec<Option<Names>> = Vec::new();
    let sources: Vec<Source> = dataset.files.iter().cloned().map(Source::File).collect();
    // Every range of every file is read on every core as far as its first error ([`Part`]);
    // each is then taken in order for what needs all before it: premise, split and variant
    // codes.
    let take = |file: usize, before: usize, part: Part| -> Result<()> {
        let (source, file_index) = (&sources[file], file as u16);
        // A row's line in the file (the row an error stops at has no item, its line is kept).
        let at = |row: u32| {
            let within = match part.lines.get(row as usize) {
                Some(&line) => line,
                None => part.error.as_ref().map_or(0, |e| e.1),
            };
            before + within as usize
        };
        // The first error by row: a new split or variant value past the limits (found in
        // file order), else the range's own. Rows after it are not taken.
        let mut stop: Option<(u32, Error)> = None;
        let mut first_error = |row: u32, e: Error| {
            if stop.as_ref().is_none_or(|(r, _)| row < *r) {
                stop = Some((row, e));
            }
        };
        let mut split_code = Vec::with_capacity(part.splits.len());
        for (name, row) in &part.splits {
            match intern_split(&mut ds.splits, Some(name)) {
                Ok(code) => split_code.push(code),
                Err(m) => {
                    first_error(*row, Error::input(source, at(*row), Some("split"), m));
                    break;
                }
            }
        }
        let mut value_code = Vec::with_capacity(part.values.len());
        for (value, row, field) in &part.values {
            let mut fields = [None; 5];
            fields[*field as usize] = Some(value.as_str());
            match intern_variants(&mut ds.variant_values, fields) {
                Ok(codes) => value_code.push(codes[*field as usize]),
                Err((field, m)) => {
                    first_error(*row, Error::input(source, at(*row), Some(field), m));
                    break;
                }
            }
        }
        if let Some((row, _, e)) = part.error {
            first_error(row, e.after_lines(before));
        }
        let taken = stop.as_ref().map_or(part.items.len(), |(r, _)| *r as usize);
        // The premise of each run, new ones with the facts of their first row.
        let mut run_premise = Vec::with_capacity(part.runs.len());
        for run in part.runs {
            if run.first_row as usize >= taken {
                break;
            }
            let key = run
                .key
                .as_deref()
                .unwrap_or(&part.ids[run.first_row as usize]);
            run_premise.push(match premise_index.get(key) {
                Some(&i) => i,
                None => {
                    let i = ds.premises.len() as u32;
                    ds.premises.push(run.facts.unwrap_or_default());
                    names_of.push(run.names);
                    premise_index.insert(key.to_string(), i);
                    i
                }
            });
        }
        ds.has_label3 &= part.label3_rows >= taken;
        let first_item = ds.items.len();
        ds.items.extend(part.items[..taken].iter().map(|item| {
            Item {
                premise: run_premise[item.premise as usize],
                split: item
                    .split
                    .map(|s| split_code[s as usize].unwrap_or_default()),
                variants: item.variants.map(|v| {
                    if v == 0 {
                        0
                    } else {
                        value_code[v as usize - 1]
                    }
                }),
                ..item.clone()
            }
        }));
        // Pairs of runs whose first row gave no premise text: by the premise's names.
        for (row, x, y) in part.unnamed_pairs {
            if row as usize >= taken {
                break;
            }
            let item = &mut ds.items[first_item + row as usize];
            if let Some(names) = &names_of[item.premise as usize] {
                if let (Some(x), Some(y)) = (names.position(&x), names.position(&y)) {
                    item.pair = Some((x.min(y) as u16, x.max(y) as u16));
                }
            }
        }
        ds.ids.extend(part.ids.into_iter().take(taken));
        origin.extend(
            part.lines[..taken]
                .iter()
                .map(|&l| (file_index, (before + l as usize) as u32)),
        );
        match stop {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    };
    for_each_range_of_files(
        &dataset.files,
        |f, lines| read_part(lines, &sources[f]),
        take,
    )?;
    if ds.items.is_empty() {
        ds.has_label3 = false;
    }
    // Duplicate ids, found by sorting hashes (cheaper than a map of a million strings).
    ds.index = IdIndex::of(&ds.ids);
    // The first repeat in hash order, looked for in blocks on every core (each block's windows
    // reach into the next block).
    let sorted = ds.index.sorted(&ds.ids);
    let same =
        |w: &[(u64, u32)]| w[0].0 == w[1].0 && ds.ids[w[0].1 as usize] == ds.ids[w[1].1 as usize];
    let repeated = sorted
        .par_chunks(BLOCK)
        .enumerate()
        .filter_map(|(b, block)| {
            let end = (b * BLOCK + block.len() + 1).min(sorted.len());
            let at = sorted[b * BLOCK..end].windows(2).position(same)?;
            Some(b * BLOCK + at)
        })
        .min();
    if let Some(at) = repeated {
        let w = &sorted[at..at + 2];
        let later = w[0].1.max(w[1].1) as usize;
        let (file, line) = origin[later];
        return Err(Error::input(
            &sources[file as usize],
            line as usize,
            Some("id"),
            format!("{:?} appears twice in the dataset", ds.ids[later]),
        ));
    }
    Ok(ds)
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

/// What one range of a dataset file holds, read as far as its first error without the rest of
/// the file: its items with codes of its own, to be renumbered in file order.
struct Part {
    /// The items, with `premise` an index into `runs`, `split` into `splits` and each variant
    /// code 1 + an index into `values`.
    items: Vec<Item>,
    ids: Vec<Box<str>>,
    /// The line of each item within the range.
    lines: Vec<u32>,
    /// Consecutive items of one premise.
    runs: Vec<Run>,
    /// Split names in order of first appearance, each with the row it first appears on.
    splits: Vec<(String, u32)>,
    /// Variant values in order of first appearance, with the row and field they first appear in.
    values: Vec<(String, u32, u8)>,
    /// How many rows from the first have a `label3`.
    label3_rows: usize,
    /// The first error, with the row it stops at and that row's line (within the range).
    error: Option<(u32, u32, Error)>,
    /// `(row, x, y)` of rows in runs whose first row gives no premise text: their pair is found
    /// by the names of the premise's first row in the file.
    unnamed_pairs: Vec<(u32, String, String)>,
}

/// A run of consecutive items of one premise in a [`Part`].
struct Run {
    /// The premise's key (`premise_id`, else the premise text); `None` keys it by the item id.
    key: Option<String>,
    first_row: u32,
    /// The facts of the premise text on its first row, when they can be read.
    facts: Option<PremiseFacts>,
    /// The variable names of that premise text.
    names: Option<Names>,
}

/// Reads the dataset lines of one range into a [`Part`], stopping at the first error.
fn read_part(lines: &[(usize, &str)], source: &Source) -> Part {
    let mut part = Part {
        items: Vec::with_capacity(lines.len()),
        ids: Vec::with_capacity(lines.len()),
        lines: Vec::with_capacity(lines.len()),
        runs: Vec::new(),
        splits: Vec::new(),
        values: Vec::new(),
        label3_rows: 0,
        error: None,
        unnamed_pairs: Vec::new(),
    };
    let mut all_label3 = true;
    for &(line, text) in lines {
        let row = part.items.len() as u32;
        let err = |field: &str, msg: &str| Error::input(source, line, Some(field), msg.to_string());
        let read = (|| -> Result<Item> {
            let v: Row = parse_line(text, source, line)?;
            let id = v.id.as_deref().ok_or_else(|| err("id", "missing"))?;
            let label = match v.label.as_ref().and_then(|n| n.as_u64()) {
                Some(l @ (0 | 1)) => l as u8,
                _ => return Err(err("label", "expected 0 or 1")),
            };
            let label3 = v.label3.as_deref().and_then(label3_code);
            let split = match v.split.as_deref() {
                None => None,
                Some(name) => Some(match part.splits.iter().position(|(s, _)| s == name) {
                    Some(k) => k as u8,
                    None if part.splits.len() < 255 => {
                        part.splits.push((name.to_string(), row));
                        (part.splits.len() - 1) as u8
                    }
                    None => return Err(err("split", "more than 255 distinct splits")),
                }),
            };
            let mut variants = [0u8; 5];
            for (k, value) in variant_fields(&v).into_iter().enumerate() {
                let Some(value) = value else { continue };
                variants[k] = 1 + match part.values.iter().position(|(s, ..)| s == value) {
                    Some(i) => i as u8,
                    None if part.values.len() < 254 => {
                        part.values.push((value.to_string(), row, k as u8));
                        (part.values.len() - 1) as u8
                    }
                    None => {
                        return Err(err(
                            VARIANT_FIELDS[k],
                            "more than 254 distinct variant values",
                        ))
                    }
                };
            }
            let depth = match v.depth.as_deref() {
                None => None,
                Some(d) => Some(
                    crate::causal::Depth::NAMES
                        .iter()
                        .position(|n| *n == d)
                        .ok_or_else(|| {
                            err(
                                "depth",
                                "not one of skeleton, colliders, propagation, equivalence, ambiguous",
                            )
                        })? as u8,
                ),
            };
            // A new run when the premise's key changes.
            let key = v.premise_id.as_deref().or(v.premise.as_deref());
            let same = part.runs.last().is_some_and(|r| match (&r.key, key) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            });
            if !same {
                let read = v.premise.as_deref().and_then(facts);
                let (facts, premise_names) =
                    read.map_or((None, None), |(f, n)| (Some(f), Some(Names::from(n))));
                part.runs.push(Run {
                    key: key.map(str::to_string),
                    first_row: row,
                    facts,
                    names: premise_names,
                });
            }
            let names = part.runs.last().and_then(|r| r.names.as_ref());
            if let (None, Some(x), Some(y)) = (names, v.x.as_deref(), v.y.as_deref()) {
                part.unnamed_pairs.push((row, x.to_string(), y.to_string()));
            }
            let pair = names.and_then(|names| {
                let at = |k: &Option<Text>| k.as_deref().and_then(|s| names.position(s));
                let (x, y) = (at(&v.x)?, at(&v.y)?);
                Some((x.min(y) as u16, x.max(y) as u16))
            });
            if label3.is_none() {
                all_label3 = false;
            }
            if all_label3 {
                part.label3_rows += 1;
            }
            part.ids.push(id.into());
            Ok(Item {
                premise: (part.runs.len() - 1) as u32,
                label,
                label3,
                relation: v.relation.as_deref().and_then(|r| r.parse().ok()),
                n: v.num_variables.map(|n| n as u16),
                mec_size: v.mec_size,
                split,
                depth,
                variants,
                pair,
            })
        })();
        match read {
            Ok(item) => {
                part.items.push(item);
                part.lines.push(line as u32);
            }
            Err(e) => {
                part.error = Some((row, line as u32, e));
                break;
            }
        }
    }
    part
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

/// Item ids to indices: `(hash of the id, index)` for every id, sorted by hash. Sorting is done
/// on every core, where a map of a million strings would be built on one.
#[derive(Default)]
pub struct IdIndex(std::sync::OnceLock<Vec<(u64, u32)>>);

impl IdIndex {
    /// The index of `ids`.
    fn of(ids: &[Box<str>]) -> IdIndex {
        let index = IdIndex::default();
        index.sorted(ids);
        index
    }

    /// The sorted hashes of `ids`, computed on first need.
    fn sorted(&self, ids: &[Box<str>]) -> &[(u64, u32)] {
        self.0.get_or_init(|| {
            let mut hashed: Vec<(u64, u32)> = ids
                .par_iter()
                .enumerate()
                .map(|(i, id)| (hash_id(id), i as u32))
                .collect();
            hashed.par_sort_unstable();
            hashed
        })
    }
}

impl Dataset {
    /// The index of the item with this id: the `hint` first (the item after the last one looked
    /// up), then by the id's hash.
    pub fn find(&self, id: &str, hint: usize) -> Option<u32> {
        if self.ids.get(hint).is_some_and(|h| &**h == id) {
            return Some(hint as u32);
        }
        let hash = hash_id(id);
        let sorted = self.index.sorted(&self.ids);
        let from = sorted.partition_point(|&(h, _)| h < hash);
        sorted[from..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, i)| i)
            .find(|&i| &*self.ids[i as usize] == id)
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
    // The id index is built before the read (on every core), not inside it.
    ds.index.sorted(&ds.ids);
    // Each range read on every core as far as its first error; lines then taken in order.
    let read = |lines: &[(usize, &str)]| {
        let mut parsed: Vec<Parsed> = Vec::with_capacity(lines.len());
        let mut hint = None;
        for &(line, text) in lines {
            let read = (|| -> Result<Parsed> {
                let v: Line = parse_line(text, &source, line)?;
                let number;
                let id: &str = match &v.id {
                    Some(Id::Text(s)) => s,
                    Some(Id::Number(n)) => {
                        number = n.to_string();
                        &number
                    }
                    None => {
                        return Err(Error::input(
                            &source,
                            line,
                            Some("id"),
                            "missing (every prediction names the item it answers)",
                        ))
                    }
                };
                // Predictions usually come in dataset order: the item after the last one first.
                let item = find_item(ds, id, hint.unwrap_or(usize::MAX), &source, line)?;
                hint = Some(item as usize + 1);
                // A decided `prediction` (e.g. from answer log-probabilities) wins over the raw text.
                if let Some(p) = &v.prediction {
                    return match answer::from_prediction(p) {
                        Some(a) => Ok((item, a, None, None)),
                        None => Err(Error::input(&source, line, Some("prediction"), format!("{p} is not 0/1, true/false, yes/no, valid/invalid or entailment/neutral/contradiction"))),
                    };
                }
                match v.output.as_deref() {
                    Some(output) => Ok(read_output(item, id, output, keep_readings)),
                    None => Err(Error::input(
                        &source,
                        line,
                        None,
                        "needs `output` (raw text) or `prediction`",
                    )),
                }
            })();
            match read {
                Ok(p) => parsed.push(p),
                Err(e) => return (parsed, Some(e)),
            }
        }
        (parsed, None)
    };
    for_each_range(
        path,
        &source,
        read,
        |before, (parsed, error): (Vec<Parsed>, Option<Error>)| {
            for (k, p) in parsed.into_iter().enumerate() {
                collected.add(p, &source, before + k + 1, duplicates)?;
            }
            match error {
                Some(e) => Err(e.after_lines(before)),
                None => Ok(()),
            }
        },
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A dataset file of `rows` items, 9 to a premise, each line about 2 KB (so a few thousand
    /// rows span several of the reader's 1 MiB ranges); `edit` may change row `k`'s record.
    fn dataset(name: &str, rows: usize, edit: impl Fn(usize, &mut Value)) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("corrcause-score-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        for k in 0..rows {
            let p = k / 9;
            let mut v = serde_json::json!({
                "id": format!("i{k}"),
                "premise_id": format!("p{p}"),
                "premise": format!("premise {p} {}", "x".repeat(2000)),
                "label": k % 2,
                "split": "test",
                "style": "plain",
                "depth": "skeleton",
            });
            edit(k, &mut v);
            text.push_str(&v.to_string());
            text.push('\n');
        }
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The error reading `path`, as `line: message`.
    fn error(path: &Path) -> String {
        let Err(e) = read_dataset(path) else {
            panic!("{} read without an error", path.display())
        };
        let text = e.to_string();
        let rest = text.strip_prefix(&format!("{}:", path.display())).unwrap();
        rest.to_string()
    }

    /// Premises whose items cross range boundaries are one premise; ids, labels, splits and
    /// variant codes are those of the file, in order, on 1 and 3 threads alike.
    #[test]
    fn items_across_ranges_are_read_in_order() {
        let path = dataset("ok.jsonl", 2000, |k, v| {
            if k % 500 == 3 {
                v["split"] = serde_json::json!(format!("s{}", k / 500));
            }
        });
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let ds = pool.install(|| read_dataset(&path)).unwrap();
            assert_eq!(ds.items.len(), 2000);
            assert_eq!(ds.premises.len(), 2000usize.div_ceil(9));
            assert_eq!(ds.splits, ["test", "s0", "s1", "s2", "s3"]);
            assert_eq!(ds.variant_values, ["plain"]);
            for (k, item) in ds.items.iter().enumerate() {
                assert_eq!(&*ds.ids[k], format!("i{k}"));
                assert_eq!(item.premise as usize, k / 9);
                assert_eq!(item.label as usize, k % 2);
                let split = if k % 500 == 3 { 1 + k / 500 } else { 0 };
                assert_eq!(item.split, Some(split as u8));
                assert_eq!(item.variants, [0, 1, 0, 0, 0]);
                assert_eq!(item.depth, Some(0));
                assert_eq!(ds.find(&format!("i{k}"), 0), Some(k as u32));
            }
        }
    }

    /// The first error in the file is the one reported, whichever range finds it and whether it
    /// depends on earlier ranges (the 256th split name) or not (a malformed line).
    #[test]
    fn the_first_error_in_the_file_is_reported() {
        // Split names s0, s1, ... one per row from row 100: the 256th name (with "test") is
        // on row 354, line 355, in the third of the file's ranges.
        let many = |k: usize, v: &mut Value| {
            if k >= 100 {
                v["split"] = serde_json::json!(format!("s{k}"));
            }
        };
        let path = dataset("splits.jsonl", 1500, many);
        assert_eq!(
            error(&path),
            "355: field `split`: more than 255 distinct splits"
        );
        // A malformed line after it in the same range, or in a later one, does not come first;
        // one before it does.
        for (bad, want) in [(360, 355), (1200, 355), (300, 301)] {
            let path = dataset(&format!("splits-{bad}.jsonl"), 1500, |k, v| {
                many(k, v);
                if k == bad {
                    v["label"] = serde_json::json!(7);
                }
            });
            assert!(error(&path).starts_with(&format!("{want}: ")), "{bad}");
        }
        // Variant values: "plain" and new ones in the style field from row 900 (range 3): the
        // 255th value is on row 1153, line 1154.
        let path = dataset("values.jsonl", 1500, |k, v| {
            if k >= 900 {
                v["style"] = serde_json::json!(format!("v{k}"));
            }
        });
        assert_eq!(
            error(&path),
            "1154: field `style`: more than 254 distinct variant values"
        );
        // A row's own errors: a depth that is no rung, and an id given twice (named at the
        // later line).
        let path = dataset("depth.jsonl", 1500, |k, v| {
            if k == 1000 {
                v["depth"] = serde_json::json!("deep");
            }
        });
        assert!(error(&path).starts_with("1001: field `depth`: not one of"));
        let path = dataset("twice.jsonl", 1500, |k, v| {
            if k == 1400 {
                v["id"] = serde_json::json!("i20");
            }
        });
        assert_eq!(
            error(&path),
            "1401: field `id`: \"i20\" appears twice in the dataset"
        );
        // A row that brings the 256th split name (or the 255th variant value) and is itself
        // malformed: the limit is named at that row.
        for (name, at, limit) in [("split", 354, 355), ("style", 1153, 1154)] {
            let path = dataset(&format!("both-{name}.jsonl"), 1500, |k, v| {
                if name == "split" {
                    many(k, v);
                } else if k >= 900 {
                    v["style"] = serde_json::json!(format!("v{k}"));
                }
                if k == at {
                    v["depth"] = serde_json::json!("deep");
                }
            });
            let e = error(&path);
            assert!(
                e.starts_with(&format!("{limit}: field `{name}`: more than")),
                "{e}"
            );
        }
    }

    /// Rows that give the premise text only on a premise's first row (later rows name it by
    /// `premise_id`) have their pair found by that row's names, in any range.
    #[test]
    fn pairs_are_found_by_the_premise_s_first_row() {
        use crate::text::{Premise, PremiseForm};
        let dag = crate::graph::Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let names: Vec<String> = ["A", "B", "C"].map(String::from).to_vec();
        let text = Premise::of(&dag, PremiseForm::All).render(&names);
        assert!(facts(&text).is_some(), "a premise the scorer reads");
        let path = dataset("named.jsonl", 2000, |k, v| {
            let object = v.as_object_mut().unwrap();
            if k % 9 == 0 {
                object.insert("premise".into(), serde_json::json!(text));
            } else {
                object.remove("premise");
            }
            object.insert("x".into(), serde_json::json!("C"));
            object.insert("y".into(), serde_json::json!("A"));
            object.insert("pad".into(), serde_json::json!("p".repeat(2000)));
        });
        let ds = read_dataset(&path).unwrap();
        assert_eq!(ds.items.len(), 2000);
        assert!(ds.items.iter().all(|i| i.pair == Some((0, 2))));
    }
}
