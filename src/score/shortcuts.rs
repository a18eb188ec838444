//! `corrcause audit --shortcuts`: how far shallow readers (see [`crate::dataset::readers`]) get on a
//! dataset. Each is fitted on the train split (or, when the dataset has no train and test split,
//! by 5-fold cross-validation over premises) and scored on the test split with the scorer's premise
//! bootstrap: accuracy and MCC with 95% intervals, overall and per relation, and the best reader.
//! Surface features are read from the premise text, so a Corr2Cause CSV is audited the same way.

use super::metrics::{estimates, Confusion, Estimate, Resamples};
use crate::causal::Relation;
use crate::dataset::lines::{for_each_range_of_files, Text};
use crate::dataset::readers::{claimed_cause_is_x, Fitted, ReaderItem, READERS};
use crate::dataset::source::{DatasetSource, Form, ALL_SPLITS};
use crate::error::{Error, Result, Source};
use crate::text::{parse_hypothesis, parse_premise, Surface};
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Folds of the cross-validation used when a dataset has no train and test split.
pub const FOLDS: usize = 5;

/// Options of the shortcut audit.
#[derive(Clone, Copy, Debug)]
pub struct ShortcutOptions {
    /// Bootstrap resamples of the test premises.
    pub bootstrap: usize,
    /// Seed of the resamples and of the folds.
    pub seed: u64,
}

impl Default for ShortcutOptions {
    fn default() -> Self {
        ShortcutOptions {
            bootstrap: 1000,
            seed: 0,
        }
    }
}

/// A reader's score on one relation.
#[derive(Clone, Debug, Serialize)]
pub struct RelationScore {
    pub items: u64,
    pub accuracy: Estimate,
    pub mcc: Estimate,
}

/// One reader's scores on the test items.
#[derive(Clone, Debug, Serialize)]
pub struct ReaderScore {
    pub name: &'static str,
    pub accuracy: Estimate,
    pub mcc: Estimate,
    pub by_relation: BTreeMap<&'static str, RelationScore>,
}

/// The most accurate reader.
#[derive(Clone, Debug, Serialize)]
pub struct Best {
    pub name: &'static str,
    pub accuracy: Estimate,
}

/// Valid and invalid test items of a relation.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LabelCounts {
    pub valid: u64,
    pub invalid: u64,
}

/// What the shortcut audit found.
#[derive(Clone, Debug, Serialize)]
pub struct ShortcutReport {
    pub readers: Vec<ReaderScore>,
    pub best: Best,
    /// `train/test` or `5-fold cross-validation over premises`.
    pub protocol: String,
    pub train_items: u64,
    pub test_items: u64,
    pub test_premises: u64,
    pub test_labels: BTreeMap<&'static str, LabelCounts>,
    pub bootstrap: usize,
}

/// Items read from a dataset: reader views, premise and split of each.
struct Items {
    items: Vec<ReaderItem>,
    premise: Vec<u32>,
    split: Vec<Option<u8>>,
    splits: Vec<String>,
    premises: usize,
}

/// A row before its premise is parsed.
struct Raw {
    file: usize,
    line: usize,
    premise: u32,
    hypothesis: String,
    label: u8,
    split: Option<u8>,
}

fn read_items(path: &Path) -> Result<Items> {
    let mut texts: Vec<String> = Vec::new();
    let mut first_row: Vec<(usize, usize)> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut intern = |text: &str, file: usize, line: usize| -> u32 {
        if let Some(&i) = index.get(text) {
            return i;
        }
        let i = texts.len() as u32;
        texts.push(text.to_string());
        first_row.push((file, line));
        index.insert(text.to_string(), i);
        i
    };
    let mut raws: Vec<Raw> = Vec::new();
    let mut splits: Vec<String> = Vec::new();
    // A folder gives every split: the readers are fitted on train and scored on test.
    let source = DatasetSource::resolve(path, path.is_dir().then_some(ALL_SPLITS))?;
    let files: Vec<PathBuf> = source.files.clone();
    if source.form == Form::Csv {
        for (f, file) in files.iter().enumerate() {
            for row in crate::dataset::corr2cause_csv::Corr2CauseCsv::open(file)? {
                let row = row?;
                let premise = intern(&row.premise, f, row.line);
                raws.push(Raw {
                    file: f,
                    line: row.line,
                    premise,
                    hypothesis: row.hypothesis,
                    label: row.label,
                    split: None,
                });
            }
        }
    } else {
        #[derive(Deserialize)]
        struct Row<'a> {
            #[serde(borrow)]
            premise: Cow<'a, str>,
            hypothesis: String,
            label: u8,
            #[serde(borrow, default)]
            split: Option<Text<'a>>,
        }
        // Every file's ranges as one stream: a range's rows on every core, each premise text
        // copied only where it changes (the items of a premise are consecutive); then interned
        // in file order.
        type Rows = Vec<(Option<String>, (String, u8, Option<String>))>;
        let read = |f: usize, lines: &[(usize, &str)]| -> (Rows, Option<Error>) {
            let source = Source::File(files[f].clone());
            let mut rows = Vec::with_capacity(lines.len());
            let mut last: Option<String> = None;
            for &(line, text) in lines {
                let row: Row = match serde_json::from_str(text) {
                    Ok(row) => row,
                    Err(e) => {
                        let m = format!("needs premise, hypothesis and label (0 or 1): {e}");
                        return (rows, Some(Error::input(&source, line, None, m)));
                    }
                };
                if row.label > 1 {
                    let e = Error::input(&source, line, Some("label"), "expected 0 or 1");
                    return (rows, Some(e));
                }
                let premise = (last.as_deref() != Some(&*row.premise)).then(|| {
                    last = Some(row.premise.to_string());
                    row.premise.to_string()
                });
                let split = row.split.as_deref().map(str::to_string);
                rows.push((premise, (row.hypothesis, row.label, split)));
            }
            (rows, None)
        };
        let mut premise = 0;
        for_each_range_of_files(&files, read, |f, before, (rows, error)| {
            for (k, (text, (hypothesis, label, split))) in rows.into_iter().enumerate() {
                let line = before + k + 1;
                let split = split.map(|s| {
                    splits.iter().position(|x| *x == s).unwrap_or_else(|| {
                        splits.push(s);
                        splits.len() - 1
                    }) as u8
                });
                if let Some(text) = text {
                    premise = intern(&text, f, line);
                }
                raws.push(Raw {
                    file: f,
                    line,
                    premise,
                    hypothesis,
                    label,
                    split,
                });
            }
            error.map_or(Ok(()), |e| Err(e.after_lines(before)))
        })?;
    }
    let source = |file: usize| Source::File(files[file].clone());
    let parsed: Vec<(Vec<String>, Surface)> = texts
        .par_iter()
        .zip(&first_row)
        .map(|(text, &(file, line))| {
            let p = parse_premise(text)
                .map_err(|e| Error::input(&source(file), line, Some("premise"), e))?;
            Ok((p.names, Surface::of(&p.premise)))
        })
        .collect::<Result<_>>()?;
    let items: Vec<ReaderItem> = raws
        .par_iter()
        .map(|r| {
            let (names, surface) = &parsed[r.premise as usize];
            let h = parse_hypothesis(&r.hypothesis, names)
                .map_err(|e| Error::input(&source(r.file), r.line, Some("hypothesis"), e))?;
            let cause_first = claimed_cause_is_x(h.relation).map(|x_causes| {
                let (cause, effect) = if x_causes { (h.x, h.y) } else { (h.y, h.x) };
                names[cause] < names[effect]
            });
            Ok(ReaderItem {
                relation: h.relation,
                surface: surface.pair(h.x, h.y),
                cause_first,
                label: r.label,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Items {
        items,
        premise: raws.iter().map(|r| r.premise).collect(),
        split: raws.iter().map(|r| r.split).collect(),
        splits,
        premises: texts.len(),
    })
}

/// Audits `path` (a dataset directory, a corrcause JSONL file or a Corr2Cause CSV) for shortcuts.
pub fn audit_shortcuts(path: &Path, o: &ShortcutOptions) -> Result<ShortcutReport> {
    let data = read_items(path)?;
    shortcut_report(
        &data.items,
        &data.premise,
        &data.split,
        &data.splits,
        data.premises,
        o,
    )
    .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// Fits and scores the readers on items with their premises and splits (see the module docs).
pub fn shortcut_report(
    items: &[ReaderItem],
    premise: &[u32],
    split: &[Option<u8>],
    splits: &[String],
    premises: usize,
    o: &ShortcutOptions,
) -> std::result::Result<ShortcutReport, String> {
    if items.is_empty() {
        return Err("no items to audit".into());
    }
    let find = |name: &str| splits.iter().position(|s| s == name).map(|k| k as u8);
    // Per test item: its index and every reader's answer.
    let answers: Vec<(usize, [u8; READERS.len()])>;
    let protocol;
    let train_items;
    if let (Some(train), Some(test)) = (find("train"), find("test")) {
        protocol = "train/test".to_string();
        let fitted = Fitted::fit(
            items
                .iter()
                .zip(split)
                .filter(|(_, s)| **s == Some(train))
                .map(|(i, _)| i),
        );
        train_items = split.iter().filter(|s| **s == Some(train)).count() as u64;
        answers = (0..items.len())
            .into_par_iter()
            .filter(|&k| split[k] == Some(test))
            .map(|k| (k, std::array::from_fn(|r| fitted.predict(r, &items[k]))))
            .collect();
    } else {
        protocol = format!("{FOLDS}-fold cross-validation over premises");
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(o.seed);
        let order = crate::graph::sample::permutation(&mut rng, premises);
        let mut fold = vec![0usize; premises];
        for (position, &p) in order.iter().enumerate() {
            fold[p] = position % FOLDS;
        }
        let fold_of = |k: usize| fold[premise[k] as usize];
        let fitted: Vec<Fitted> = (0..FOLDS)
            .into_par_iter()
            .map(|f| {
                Fitted::fit(
                    (0..items.len())
                        .filter(|&k| fold_of(k) != f)
                        .map(|k| &items[k]),
                )
            })
            .collect();
        train_items = (items.len() as u64) * (FOLDS as u64 - 1) / FOLDS as u64;
        answers = (0..items.len())
            .into_par_iter()
            .map(|k| {
                let m = &fitted[fold_of(k)];
                (k, std::array::from_fn(|r| m.predict(r, &items[k])))
            })
            .collect();
    }
    if answers.is_empty() {
        return Err("the test split has no items".into());
    }
    // Test premises, densely numbered.
    let mut dense: HashMap<u32, usize> = HashMap::new();
    for &(k, _) in &answers {
        let next = dense.len();
        dense.entry(premise[k]).or_insert(next);
    }
    let test_premises = dense.len();
    let resamples = Resamples::new(test_premises, o.bootstrap, o.seed);
    let mut test_labels: BTreeMap<&'static str, LabelCounts> = BTreeMap::new();
    for &(k, _) in &answers {
        let c = test_labels.entry(items[k].relation.as_str()).or_default();
        if items[k].label == 1 {
            c.valid += 1;
        } else {
            c.invalid += 1;
        }
    }
    let relations: Vec<Relation> = Relation::ALL
        .into_iter()
        .filter(|r| test_labels.contains_key(r.as_str()))
        .collect();
    let readers: Vec<ReaderScore> = (0..READERS.len())
        .into_par_iter()
        .map(|r| {
            // Per premise: all items, then each relation.
            let mut per = vec![vec![Confusion::default(); test_premises]; 1 + 6];
            for &(k, ref a) in &answers {
                let p = dense[&premise[k]];
                let it = &items[k];
                per[0][p].add(it.label, a[r]);
                per[1 + it.relation.index()][p].add(it.label, a[r]);
            }
            let score = |per: &[Confusion]| {
                let mut full = Confusion::default();
                per.iter().for_each(|c| full.merge(c));
                let e = estimates(&full, &resamples.confusions(per));
                (full.total(), e[3], e[5])
            };
            let (_, accuracy, mcc) = score(&per[0]);
            let by_relation = relations
                .iter()
                .map(|rel| {
                    let (items, accuracy, mcc) = score(&per[1 + rel.index()]);
                    (
                        rel.as_str(),
                        RelationScore {
                            items,
                            accuracy,
                            mcc,
                        },
                    )
                })
                .collect();
            ReaderScore {
                name: READERS[r],
                accuracy,
                mcc,
                by_relation,
            }
        })
        .collect();
    let best = readers
        .iter()
        .max_by(|a, b| a.accuracy.value.total_cmp(&b.accuracy.value))
        .map(|r| Best {
            name: r.name,
            accuracy: r.accuracy,
        })
        .expect("readers exist");
    Ok(ShortcutReport {
        readers,
        best,
        protocol,
        train_items,
        test_items: answers.len() as u64,
        test_premises: test_premises as u64,
        test_labels,
        bootstrap: o.bootstrap,
    })
}

impl ShortcutReport {
    /// A readable table: one row per reader, accuracy per relation, and the best reader.
    pub fn table(&self) -> String {
        let pct = |e: &Estimate| format!("{:.1}", 100.0 * e.value);
        let interval = |e: &Estimate| {
            format!(
                "{:.1} [{:.1}, {:.1}]",
                100.0 * e.value,
                100.0 * e.low,
                100.0 * e.high
            )
        };
        let mut out = format!(
            "shortcut audit ({}): {} training items, {} test items from {} premises, {} bootstrap resamples of premises\n",
            self.protocol, self.train_items, self.test_items, self.test_premises, self.bootstrap
        );
        out.push_str("test labels (valid/invalid):");
        for (rel, c) in &self.test_labels {
            out.push_str(&format!(" {rel} {}/{}", c.valid, c.invalid));
        }
        out.push_str("\n\naccuracy % per relation\n");
        out.push_str(&format!(
            "{:<16} {:<20} {:<22}",
            "reader", "accuracy %", "MCC"
        ));
        let relations: Vec<&str> = self.test_labels.keys().copied().collect();
        for rel in &relations {
            out.push_str(&format!(" {:>rw$}", rel, rw = rel.len().max(5)));
        }
        out.push('\n');
        for r in &self.readers {
            out.push_str(&format!(
                "{:<16} {:<20} {:<22}",
                r.name,
                interval(&r.accuracy),
                format!("{:.3} [{:.3}, {:.3}]", r.mcc.value, r.mcc.low, r.mcc.high)
            ));
            for rel in &relations {
                let cell = r
                    .by_relation
                    .get(rel)
                    .map_or("-".into(), |s| pct(&s.accuracy));
                out.push_str(&format!(" {:>rw$}", cell, rw = rel.len().max(5)));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "\nbest reader: {}, {}% accurate\n",
            self.best.name,
            interval(&self.best.accuracy)
        ));
        out
    }
}
