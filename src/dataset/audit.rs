//! `corrcause audit`: recompute every label of a dataset from its premise text alone.
//!
//! Each row's premise is parsed back into statements, checked to be exactly those of some DAG, and
//! its MEC recovered; the hypothesis is parsed and its label recomputed over the MEC's members.
//! Rows whose label differs are reported with a witness; premises no DAG can produce are reported
//! once each. Graph items (`generate --task graph`) have their target recomputed instead: the
//! CPDAG of the premise's MEC. Text the parser does not know is an error naming the line.

use super::graph_task::Target;
use crate::causal::relations::relations_in;
use crate::causal::{Cpdag, Label3};
use crate::error::{Error, Result, Source};
use crate::graph::Dag;
use crate::text::{parse_hypothesis, parse_premise};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A row whose given label differs from the one its premise implies.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// Data row, counted from 0 in file order.
    pub row: usize,
    pub relation: &'static str,
    pub x: String,
    pub y: String,
    /// The given binary label (1 = valid).
    pub label: u8,
    /// The label the premise implies.
    pub corrected: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label3: Option<String>,
    pub corrected3: &'static str,
    pub holds: u64,
    pub mec_size: u64,
    /// Members of the MEC in which the hypothesis holds and fails (null when none does).
    pub witness: Value,
}

/// A graph item whose target differs from the CPDAG its premise implies.
#[derive(Debug, Clone, Serialize)]
pub struct GraphDisagreement {
    /// Data row, counted from 0 in file order.
    pub row: usize,
    pub id: String,
    /// The target as given.
    pub target: Target,
    /// The CPDAG of the premise's MEC.
    pub corrected: Target,
}

/// A premise that no DAG can produce.
#[derive(Debug, Clone, Serialize)]
pub struct InconsistentPremise {
    /// The first data row with this premise.
    pub row: usize,
    /// How many rows share it.
    pub rows: usize,
    pub num_variables: usize,
    pub reason: String,
}

/// What an audit found.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub rows: usize,
    pub premises: usize,
    pub disagreements: Vec<Disagreement>,
    pub inconsistent_premises: Vec<InconsistentPremise>,
}

/// A row as read: where it is, its premise and hypothesis, and its given labels.
struct Row {
    line: usize,
    premise: String,
    hypothesis: String,
    label: u8,
    label3: Option<String>,
}

/// What a premise implies, computed once for all its rows.
struct Verdict {
    names: Vec<String>,
    mec: std::result::Result<MecLabels, String>,
}

struct MecLabels {
    members: Vec<Dag>,
    /// `relations[m][pair]`: relation bits of member m for pair x<y (row by row).
    relations: Vec<Vec<u8>>,
}

fn judge(premise: &str) -> std::result::Result<Verdict, String> {
    let parsed = parse_premise(premise)?;
    let names = parsed.names.clone();
    let n = parsed.premise.n;
    let mec = parsed
        .mec()
        .map_err(|e| e.describe(&names))
        .map(|cpdag: Cpdag| {
            let members = cpdag.members();
            let relations = members
                .iter()
                .map(|d| {
                    (0..n)
                        .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
                        .map(|(x, y)| relations_in(d.parent_sets(), d.child_sets(), x, y))
                        .collect()
                })
                .collect();
            MecLabels { members, relations }
        });
    Ok(Verdict { names, mec })
}

/// Reads rows a batch at a time from a Corr2Cause CSV.
struct RowReader(super::corr2cause_csv::Corr2CauseCsv);

impl RowReader {
    fn open(path: &Path) -> Result<RowReader> {
        Ok(RowReader(super::corr2cause_csv::Corr2CauseCsv::open(path)?))
    }

    /// Up to `size` rows; empty at the end of the file.
    fn batch(&mut self, size: usize) -> Result<Vec<Row>> {
        self.0
            .by_ref()
            .take(size)
            .map(|r| {
                r.map(|r| Row {
                    line: r.line,
                    premise: r.premise,
                    hypothesis: r.hypothesis,
                    label: r.label,
                    label3: None,
                })
            })
            .collect()
    }
}

/// One corrcause JSONL line as a row (`line` as given: within a range, renumbered by the caller).
fn parse_row(source: &Source, line: usize, text: &str) -> Result<Row> {
    let err = |field: Option<&str>, msg: String| Error::input(source, line, field, msg);
    let v: Value =
        serde_json::from_str(text).map_err(|e| err(None, format!("not valid JSON: {e}")))?;
    let field = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| err(Some(name), "missing or not text".into()))
    };
    let label3 = v.get("label3").and_then(Value::as_str).map(str::to_string);
    let label = match v.get("label").and_then(Value::as_u64) {
        Some(l @ (0 | 1)) => l as u8,
        _ => return Err(err(Some("label"), "expected 0 or 1".into())),
    };
    Ok(Row {
        line,
        premise: field("premise")?,
        hypothesis: field("hypothesis")?,
        label,
        label3,
    })
}

/// A premise seen so far: what it implies, its first data row, and how many rows share it.
struct Seen {
    verdict: Arc<Verdict>,
    first_row: usize,
    rows: usize,
}

/// What an audit of a dataset found: of yes/no items, or of graph items.
pub enum Audit {
    Pairs(AuditReport),
    Graph(GraphAuditReport),
}

impl Audit {
    /// The report as a table.
    pub fn table(&self) -> String {
        match self {
            Audit::Pairs(r) => r.table(),
            Audit::Graph(r) => r.table(),
        }
    }

    /// The report as one line of JSON.
    pub fn json(&self) -> String {
        let text = match self {
            Audit::Pairs(r) => serde_json::to_string(r),
            Audit::Graph(r) => serde_json::to_string(r),
        };
        text.expect("a report serialises") + "\n"
    }
}

/// Audits the files of a dataset: graph items when it holds them (its first line says), else
/// yes/no items.
pub fn audit_source(source: &super::DatasetSource) -> Result<Audit> {
    if super::source::is_graph_dataset(source)? {
        Ok(Audit::Graph(audit_graph_files(&source.files)?))
    } else {
        Ok(Audit::Pairs(audit_files(&source.files)?))
    }
}

/// What an audit of graph items found.
#[derive(Debug, Clone, Serialize)]
pub struct GraphAuditReport {
    /// Always `"graph"`.
    pub task: &'static str,
    pub rows: usize,
    pub premises: usize,
    pub disagreements: Vec<GraphDisagreement>,
    pub inconsistent_premises: Vec<InconsistentPremise>,
}

impl GraphAuditReport {
    /// The report as a table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} graph items, {} distinct premises: {} targets differ from the CPDAG their premise implies, {} premises no DAG can produce\n",
            self.rows,
            self.premises,
            self.disagreements.len(),
            self.inconsistent_premises.len()
        );
        let edges = |t: &Target| -> String {
            let lines = t.edge_lines();
            if lines.is_empty() {
                "no edges".into()
            } else {
                lines.join(", ")
            }
        };
        if !self.disagreements.is_empty() {
            out.push_str("\nrow      id  given  ->  correct\n");
            for d in &self.disagreements {
                out.push_str(&format!(
                    "{:<8} {}  {}  ->  {}\n",
                    d.row,
                    d.id,
                    edges(&d.target),
                    edges(&d.corrected)
                ));
            }
        }
        push_inconsistent(&mut out, &self.inconsistent_premises);
        out
    }
}

/// Audits graph items (`generate --task graph`) in `paths`, read in order as one: each item's
/// target is recomputed from its premise text alone (the CPDAG of the MEC whose statements the
/// premise lists) and compared as sets of named edges.
pub fn audit_graph_files(paths: &[std::path::PathBuf]) -> Result<GraphAuditReport> {
    /// One item's finding.
    enum Found {
        Agrees,
        Differs(String, Target, Target),
        Inconsistent(usize, String),
    }
    #[derive(serde::Deserialize)]
    struct Item {
        id: String,
        premise: String,
        target: Target,
    }
    let mut report = GraphAuditReport {
        task: "graph",
        rows: 0,
        premises: 0,
        disagreements: Vec::new(),
        inconsistent_premises: Vec::new(),
    };
    let mut premises: std::collections::HashSet<String> = std::collections::HashSet::new();
    for path in paths {
        let source = Source::File(path.to_path_buf());
        let judge = |line: usize, text: &str| -> Result<(String, Found)> {
            let item: Item = serde_json::from_str(text).map_err(|e| {
                let m = format!("a graph item needs id, premise and target: {e}");
                Error::input(&source, line, None, m)
            })?;
            let parsed = parse_premise(&item.premise)
                .map_err(|e| Error::input(&source, line, Some("premise"), e))?;
            let found = match parsed.mec() {
                Err(e) => Found::Inconsistent(parsed.names.len(), e.describe(&parsed.names)),
                Ok(cpdag) => {
                    let corrected = Target::of(&cpdag, &parsed.names);
                    let given = Target::of_named(item.target);
                    if given == corrected {
                        Found::Agrees
                    } else {
                        Found::Differs(item.id, given, corrected)
                    }
                }
            };
            Ok((item.premise, found))
        };
        super::lines::for_each_line(path, &source, judge, |_, (premise, found)| {
            let row = report.rows;
            report.rows += 1;
            let new = premises.insert(premise);
            match found {
                Found::Agrees => {}
                Found::Differs(id, target, corrected) => {
                    report.disagreements.push(GraphDisagreement {
                        row,
                        id,
                        target,
                        corrected,
                    })
                }
                Found::Inconsistent(num_variables, reason) if new => {
                    report.inconsistent_premises.push(InconsistentPremise {
                        row,
                        rows: 1,
                        num_variables,
                        reason,
                    })
                }
                Found::Inconsistent(..) => {}
            }
            Ok(())
        })?;
    }
    report.premises = premises.len();
    Ok(report)
}

/// Audits a Corr2Cause CSV (columns `input`, `label`) or a corrcause JSONL file, reading it a
/// batch of rows at a time: memory holds the distinct premises and the findings, not the file.
pub fn audit(path: &Path) -> Result<AuditReport> {
    audit_files(&[path.to_path_buf()])
}

/// [`audit`] of a dataset in several files (a split in parts), read in order as one: rows are
/// counted from 0 over them all.
pub fn audit_files(paths: &[std::path::PathBuf]) -> Result<AuditReport> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut report = AuditReport {
        rows: 0,
        premises: 0,
        disagreements: Vec::new(),
        inconsistent_premises: Vec::new(),
    };
    let csv = |path: &std::path::PathBuf| {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    };
    // Each CSV on its own; each run of JSONL files as one stream of ranges.
    let mut rest = paths;
    while let Some(first) = rest.first() {
        if csv(first) {
            audit_rows(first, &mut seen, &mut report)?;
            rest = &rest[1..];
        } else {
            let run = rest.iter().position(csv).unwrap_or(rest.len());
            audit_jsonl(&rest[..run], &mut seen, &mut report)?;
            rest = &rest[run..];
        }
    }
    report.premises = seen.len();
    for s in seen.values() {
        if let Err(reason) = &s.verdict.mec {
            report.inconsistent_premises.push(InconsistentPremise {
                row: s.first_row,
                rows: s.rows,
                num_variables: s.verdict.names.len(),
                reason: reason.clone(),
            });
        }
    }
    report.inconsistent_premises.sort_by_key(|p| p.row);
    Ok(report)
}

/// Audits the rows of JSONL files into `report`, with the premises `seen` so far: each range
/// of the files, read as one stream ([`super::lines::for_each_range_of_files`]), is parsed, its
/// premises judged and its rows checked by one task; the premises are then counted and the
/// findings numbered in file order. A premise met in several ranges is judged in each.
fn audit_jsonl(
    paths: &[std::path::PathBuf],
    seen: &mut HashMap<String, Seen>,
    report: &mut AuditReport,
) -> Result<()> {
    /// What one range holds, as far as its first error (rows numbered within it).
    struct Part {
        rows: usize,
        /// Its premises in order of first row: text, first row, rows, verdict.
        premises: Vec<(String, usize, usize, Arc<Verdict>)>,
        disagreements: Vec<Disagreement>,
        error: Option<Error>,
    }
    let read = |f: usize, lines: &[(usize, &str)]| -> Part {
        let source = Source::File(paths[f].clone());
        let mut part = Part {
            rows: 0,
            premises: Vec::new(),
            disagreements: Vec::new(),
            error: None,
        };
        for &(line, text) in lines {
            let found = parse_row(&source, line, text).and_then(|row| {
                let k = match part.premises.iter().rposition(|p| p.0 == row.premise) {
                    Some(k) => {
                        part.premises[k].2 += 1;
                        k
                    }
                    None => {
                        let verdict = judge(&row.premise)
                            .map_err(|e| Error::input(&source, line, Some("premise"), e))?;
                        part.premises
                            .push((row.premise.clone(), part.rows, 1, Arc::new(verdict)));
                        part.premises.len() - 1
                    }
                };
                check_row(part.rows, &row, &part.premises[k].3, &source)
            });
            match found {
                Ok(d) => part.disagreements.extend(d),
                Err(e) => {
                    part.error = Some(e);
                    break;
                }
            }
            part.rows += 1;
        }
        part
    };
    super::lines::for_each_range_of_files(paths, read, |_, before, part| {
        let start = report.rows;
        for (premise, first, rows, verdict) in part.premises {
            match seen.get_mut(premise.as_str()) {
                Some(s) => s.rows += rows,
                None => {
                    let first_row = start + first;
                    seen.insert(
                        premise,
                        Seen {
                            verdict,
                            first_row,
                            rows,
                        },
                    );
                }
            }
        }
        for mut d in part.disagreements {
            d.row += start;
            report.disagreements.push(d);
        }
        report.rows += part.rows;
        part.error.map_or(Ok(()), |e| Err(e.after_lines(before)))
    })
}

/// Audits the rows of one Corr2Cause CSV into `report`, with the premises `seen` so far.
fn audit_rows(
    path: &Path,
    seen: &mut HashMap<String, Seen>,
    report: &mut AuditReport,
) -> Result<()> {
    let source = Source::File(path.to_path_buf());
    let mut reader = RowReader::open(path)?;
    loop {
        let rows = reader.batch(4096)?;
        if rows.is_empty() {
            break;
        }
        let start = report.rows;
        // Judge the premises this batch meets for the first time, on every core.
        let mut new: Vec<(&str, usize)> = Vec::new();
        for (k, r) in rows.iter().enumerate() {
            match seen.get_mut(r.premise.as_str()) {
                Some(s) => s.rows += 1,
                None if !new.iter().any(|&(p, _)| p == r.premise) => {
                    new.push((r.premise.as_str(), k))
                }
                None => {}
            }
        }
        let judged: Vec<Result<Verdict>> = new
            .par_iter()
            .map(|&(premise, k)| {
                judge(premise).map_err(|e| Error::input(&source, rows[k].line, Some("premise"), e))
            })
            .collect();
        for ((premise, k), verdict) in new.iter().zip(judged) {
            let rows_here = rows.iter().filter(|r| r.premise == *premise).count();
            seen.insert(
                premise.to_string(),
                Seen {
                    verdict: Arc::new(verdict?),
                    first_row: start + k,
                    rows: rows_here,
                },
            );
        }
        let found: Vec<Result<Option<Disagreement>>> = rows
            .par_iter()
            .enumerate()
            .map(|(k, r)| check_row(start + k, r, &seen[r.premise.as_str()].verdict, &source))
            .collect();
        for d in found {
            report.disagreements.extend(d?);
        }
        report.rows += rows.len();
    }
    Ok(())
}

/// The disagreement of one row with its premise, if any.
fn check_row(
    row: usize,
    r: &Row,
    verdict: &Verdict,
    source: &Source,
) -> Result<Option<Disagreement>> {
    let Ok(mec) = &verdict.mec else {
        return Ok(None);
    };
    let h = parse_hypothesis(&r.hypothesis, &verdict.names)
        .map_err(|e| Error::input(source, r.line, Some("hypothesis"), e))?;
    let n = verdict.names.len();
    let pair = crate::graph::enumerate::pair_bit(n, h.x, h.y);
    let bit = h.relation.index();
    let holds_in = mec
        .relations
        .iter()
        .position(|rel| rel[pair] >> bit & 1 == 1);
    let fails_in = mec
        .relations
        .iter()
        .position(|rel| rel[pair] >> bit & 1 == 0);
    let holds = mec
        .relations
        .iter()
        .filter(|rel| rel[pair] >> bit & 1 == 1)
        .count() as u64;
    let size = mec.members.len() as u64;
    let corrected3 = Label3::from_counts(holds, size);
    let differs = corrected3.binary() != r.label
        || r.label3
            .as_deref()
            .is_some_and(|l| l != corrected3.as_str());
    if !differs {
        return Ok(None);
    }
    let names = &verdict.names;
    let edges = |m: Option<usize>| -> Value {
        m.map_or(Value::Null, |m| {
            mec.members[m]
                .edges()
                .into_iter()
                .map(|(a, b)| json!([names[a], names[b]]))
                .collect()
        })
    };
    Ok(Some(Disagreement {
        row,
        relation: h.relation.as_str(),
        x: names[h.x].clone(),
        y: names[h.y].clone(),
        label: r.label,
        corrected: corrected3.binary(),
        label3: r.label3.clone(),
        corrected3: corrected3.as_str(),
        holds,
        mec_size: size,
        witness: json!({"holds_in": edges(holds_in), "fails_in": edges(fails_in)}),
    }))
}

/// The table's lines for premises no DAG can produce (nothing when there are none).
fn push_inconsistent(out: &mut String, premises: &[InconsistentPremise]) {
    if premises.is_empty() {
        return;
    }
    out.push_str("\nfirst row  rows  N  why no DAG has this premise\n");
    for p in premises {
        out.push_str(&format!(
            "{:<10} {:<5} {:<2} {}\n",
            p.row, p.rows, p.num_variables, p.reason
        ));
    }
}

impl AuditReport {
    /// A readable report: a summary, then one line per finding.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} rows, {} distinct premises: {} labels disagree with their premise, {} premises no DAG can produce\n",
            self.rows,
            self.premises,
            self.disagreements.len(),
            self.inconsistent_premises.len()
        );
        if !self.disagreements.is_empty() {
            out.push_str(
                "\nrow      relation              x   y   given  correct  holds/members  witness\n",
            );
            for d in &self.disagreements {
                out.push_str(&format!(
                    "{:<8} {:<21} {:<3} {:<3} {:<6} {:<8} {:>5}/{:<7}  {}\n",
                    d.row,
                    d.relation,
                    d.x,
                    d.y,
                    d.label3.clone().unwrap_or_else(|| d.label.to_string()),
                    if d.label3.is_some() {
                        d.corrected3.to_string()
                    } else {
                        d.corrected.to_string()
                    },
                    d.holds,
                    d.mec_size,
                    d.witness
                ));
            }
        }
        push_inconsistent(&mut out, &self.inconsistent_premises);
        out
    }
}
