//! Reading what the graph task scores: graph items (their variables and target CPDAG) and
//! prediction files, every malformed line an error naming the file, line and field.

use crate::dataset::lines::{for_each_line, Text};
pub use crate::dataset::source::is_graph_dataset;
use crate::dataset::source::DatasetSource;
use crate::error::{Error, Result, Source};
use crate::score::data::{intern_split, intern_variants, parse_line, IdMap};
use crate::text::graph_answer::{self, GraphAnswer, GraphReading};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The mark of a pair `x < y`: none, `x -> y`, `y -> x` or `x -- y`.
pub const NONE: u8 = 0;
pub const FORWARD: u8 = 1;
pub const BACKWARD: u8 = 2;
pub const UNDIRECTED: u8 = 3;

/// Index of the pair `x < y` among the pairs of `n` variables, row by row.
#[inline]
pub fn pair_index(n: usize, x: usize, y: usize) -> usize {
    x * (2 * n - x - 1) / 2 + (y - x - 1)
}

/// The marks of every pair `x < y` (row by row) of a graph over `n` variables.
pub fn marks(n: usize, g: &GraphAnswer) -> Vec<u8> {
    let mut m = vec![NONE; n * (n - 1) / 2];
    for &(a, b) in &g.directed {
        let (a, b) = (a as usize, b as usize);
        m[pair_index(n, a.min(b), a.max(b))] = if a < b { FORWARD } else { BACKWARD };
    }
    for &(a, b) in &g.undirected {
        let (a, b) = (a as usize, b as usize);
        m[pair_index(n, a.min(b), a.max(b))] = UNDIRECTED;
    }
    m
}

/// What the scorer knows of one graph item.
#[derive(Clone, Debug)]
pub struct GraphItem {
    pub premise: u32,
    /// The variables, in the premise's order (shared by the items of a premise).
    pub variables: Arc<[String]>,
    /// The target's mark of every pair (see [`marks`]).
    pub target: Vec<u8>,
    pub mec_size: Option<u64>,
    /// Index into [`GraphDataset::splits`].
    pub split: Option<u8>,
    /// For each of [`VARIANT_FIELDS`]: 0 when absent, else 1 + an index into
    /// [`GraphDataset::variant_values`].
    pub variants: [u8; 5],
}

impl GraphItem {
    /// Number of variables.
    pub fn n(&self) -> usize {
        self.variables.len()
    }
}

/// A graph-task dataset as the scorer sees it.
pub struct GraphDataset {
    pub items: Vec<GraphItem>,
    pub ids: Vec<Box<str>>,
    pub index: IdMap,
    pub premises: usize,
    pub splits: Vec<String>,
    pub variant_values: Vec<String>,
}

/// Reads a graph-task dataset (a JSONL file or a dataset directory).
pub fn read_graph_dataset(dataset: &DatasetSource) -> Result<GraphDataset> {
    #[derive(serde::Deserialize)]
    struct Row<'a> {
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow, default)]
        task: Option<Text<'a>>,
        #[serde(borrow, default)]
        premise_id: Option<Text<'a>>,
        #[serde(default)]
        variables: Option<Vec<String>>,
        #[serde(borrow, default)]
        target: Option<TargetRow<'a>>,
        #[serde(default)]
        mec_size: Option<u64>,
        #[serde(borrow, default)]
        split: Option<Text<'a>>,
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
    }
    /// A target as written: named pairs.
    #[derive(serde::Deserialize)]
    struct TargetRow<'a> {
        #[serde(borrow)]
        directed: Vec<[Text<'a>; 2]>,
        #[serde(borrow)]
        undirected: Vec<[Text<'a>; 2]>,
    }
    let mut ds = GraphDataset {
        items: Vec::new(),
        ids: Vec::new(),
        index: IdMap::default(),
        premises: 0,
        splits: Vec::new(),
        variant_values: Vec::new(),
    };
    let mut premise_index: HashMap<String, u32> = HashMap::new();
    let mut shared_names: HashMap<Vec<String>, Arc<[String]>> = HashMap::new();
    for file in &dataset.files {
        let source = Source::File(file.clone());
        // A row read on every core: what the serial pass below needs, owned.
        struct Owned {
            id: Option<Box<str>>,
            premise_id: Option<String>,
            split: Option<String>,
            variants: [Option<String>; 5],
            mec_size: Option<u64>,
            variables: Vec<String>,
            target: Vec<u8>,
        }
        let parse = |line: usize, text: &str| -> Result<Owned> {
            let err = |field: &str, msg: String| Error::input(&source, line, Some(field), msg);
            let mut row: Row = parse_line(text, &source, line)?;
            if row.task.as_deref() != Some("graph") {
                return Err(err(
                    "task",
                    "expected \"graph\": a dataset holds one task (generate --task graph)".into(),
                ));
            }
            let variables = row
                .variables
                .take()
                .ok_or_else(|| err("variables", "missing".into()))?;
            if variables.len() < 2 {
                return Err(err(
                    "variables",
                    "a graph item needs at least 2 variables".into(),
                ));
            }
            let target = row
                .target
                .as_ref()
                .ok_or_else(|| err("target", "missing".into()))?;
            fn pairs<'b>(l: &'b [[Text<'_>; 2]]) -> impl Iterator<Item = (&'b str, &'b str)> {
                l.iter().map(|[x, y]| (&**x, &**y))
            }
            let g = graph_answer::from_pairs(
                pairs(&target.directed),
                pairs(&target.undirected),
                &variables,
            )
            .map_err(|e| err("target", e))?;
            let owned = |t: &Option<Text>| t.as_deref().map(str::to_string);
            Ok(Owned {
                id: row.id.as_deref().map(Box::from),
                premise_id: owned(&row.premise_id),
                split: owned(&row.split),
                variants: [
                    &row.names,
                    &row.style,
                    &row.premise_form,
                    &row.order,
                    &row.variant,
                ]
                .map(owned),
                mec_size: row.mec_size,
                target: marks(variables.len(), &g),
                variables,
            })
        };
        for_each_line(file, &source, parse, |line, row| {
            let err =
                |field: &str, msg: &str| Error::input(&source, line, Some(field), msg.to_string());
            let id = row.id.ok_or_else(|| err("id", "missing"))?;
            let key = row.premise_id.as_deref().unwrap_or(&id).to_string();
            let next = premise_index.len() as u32;
            let premise = *premise_index.entry(key).or_insert(next);
            let variables = shared_names
                .entry(row.variables)
                .or_insert_with_key(|v| v.clone().into())
                .clone();
            let split =
                intern_split(&mut ds.splits, row.split.as_deref()).map_err(|m| err("split", m))?;
            let variants = intern_variants(
                &mut ds.variant_values,
                row.variants.each_ref().map(|x| x.as_deref()),
            )
            .map_err(|(field, m)| err(field, m))?;
            let index = ds.ids.len() as u32;
            if ds.index.insert(id.to_string(), index).is_some() {
                return Err(err("id", &format!("{id:?} appears twice in the dataset")));
            }
            ds.ids.push(id);
            ds.items.push(GraphItem {
                premise,
                variables,
                target: row.target,
                mec_size: row.mec_size,
                split,
                variants,
            });
            Ok(())
        })?;
    }
    ds.premises = premise_index.len();
    Ok(ds)
}

/// One model's graph answers, by item.
pub struct GraphPredictions {
    pub name: String,
    /// Per item: `None` when missing, `Some(Err(why))` when unparsed, else the marks.
    pub answers: Vec<Option<Result<Vec<u8>, ()>>>,
    /// How each answer was read: (id, output, reading), kept only when asked for.
    pub readings: Vec<(String, String, GraphReading)>,
    pub unparsed: u64,
    /// Up to five unparsed outputs with the reason, for the report.
    pub unparsed_examples: Vec<(String, String, String)>,
}

impl GraphPredictions {
    /// No answers yet, for the items of `ds`.
    fn new(name: String, ds: &GraphDataset) -> GraphPredictions {
        GraphPredictions {
            name,
            answers: vec![None; ds.items.len()],
            readings: Vec::new(),
            unparsed: 0,
            unparsed_examples: Vec::new(),
        }
    }

    /// Takes the answer to item `i` (`raw` as given, read as `reading`); a later answer to an
    /// item replaces an earlier one.
    fn add(&mut self, ds: &GraphDataset, i: usize, raw: String, reading: GraphReading, keep: bool) {
        let answer = match &reading.answer {
            Ok(g) => Ok(marks(ds.items[i].n(), g)),
            Err(why) => {
                self.unparsed += 1;
                if self.unparsed_examples.len() < 5 {
                    self.unparsed_examples
                        .push((ds.ids[i].to_string(), raw.clone(), why.clone()));
                }
                Err(())
            }
        };
        if let Some(Err(())) = self.answers[i] {
            self.unparsed -= 1; // a repeated answer replaces an unparsed one
        }
        self.answers[i] = Some(answer);
        if keep {
            self.readings.push((ds.ids[i].to_string(), raw, reading));
        }
    }
}

/// One model's graph answers given in memory (the Python `score(predictions={id: ...})`), by
/// item id: raw text, or a graph as JSON (`{"directed": [...], "undirected": [...]}` or an edge
/// list) as in a prediction file's `prediction`; errors name the id.
pub fn graph_predictions_from_answers(
    name: String,
    ds: &GraphDataset,
    given: Vec<(String, crate::score::data::Given)>,
    keep_readings: bool,
) -> Result<GraphPredictions> {
    use crate::score::data::Given;
    let mut out = GraphPredictions::new(name, ds);
    for (id, g) in given {
        let Some(&item) = ds.index.get(&id) else {
            return Err(Error::Usage(format!(
                "prediction for {id:?}: not an item of the dataset"
            )));
        };
        let variables = &ds.items[item as usize].variables;
        let (raw, reading) = match &g {
            Given::Prediction(p) => (p.to_string(), graph_answer::read_value(p, variables)),
            Given::Output(o) => (o.clone(), graph_answer::read(o, variables)),
        };
        out.add(ds, item as usize, raw, reading, keep_readings);
    }
    Ok(out)
}

/// Reads a prediction file for graph items: JSON lines with `id` and `output` (raw text) or
/// `prediction` (a graph as JSON, which wins).
pub fn read_graph_predictions(
    path: &Path,
    name: String,
    ds: &GraphDataset,
    last_wins: bool,
    keep_readings: bool,
) -> Result<GraphPredictions> {
    #[derive(serde::Deserialize)]
    struct Line<'a> {
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow, default)]
        output: Option<Text<'a>>,
        #[serde(default)]
        prediction: Option<Value>,
    }
    let source = Source::File(path.to_path_buf());
    let mut out = GraphPredictions::new(name, ds);
    let mut seen_line = vec![0u32; ds.items.len()];
    let parse = |line: usize, text: &str| -> Result<(u32, String, GraphReading)> {
        let v: Line = parse_line(text, &source, line)?;
        let id = v.id.as_deref().ok_or_else(|| {
            Error::input(
                &source,
                line,
                Some("id"),
                "missing (every prediction names the item it answers)",
            )
        })?;
        let item = *ds.index.get(id).ok_or_else(|| {
            Error::input(
                &source,
                line,
                Some("id"),
                format!("{id:?} is not an item of the dataset"),
            )
        })?;
        let variables = &ds.items[item as usize].variables;
        let (raw, reading) = match (&v.prediction, v.output.as_deref()) {
            (Some(p), _) => (p.to_string(), graph_answer::read_value(p, variables)),
            (None, Some(o)) => (o.to_string(), graph_answer::read(o, variables)),
            (None, None) => {
                return Err(Error::input(
                    &source,
                    line,
                    None,
                    "needs `output` (raw text) or `prediction`",
                ))
            }
        };
        Ok((item, raw, reading))
    };
    for_each_line(path, &source, parse, |line, (item, raw, reading)| {
        let i = item as usize;
        if seen_line[i] != 0 && !last_wins {
            return Err(Error::input(
                &source,
                line,
                Some("id"),
                format!("{:?} was already answered on line {} (use --duplicates last to keep the last answer)", ds.ids[i], seen_line[i]),
            ));
        }
        seen_line[i] = line as u32;
        out.add(ds, i, raw, reading, keep_readings);
        Ok(())
    })?;
    Ok(out)
}
