//! The JSON graph codec shared by every front end (`corrcause graph`, the Python `Dag.from_json`):
//! one DAG per line, either `{"n": 4, "edges": [[2, 1], [3, 0]]}` (nodes `0..n-1`) or
//! `{"nodes": ["A", "B"], "edges": [["A", "B"]]}`; output names nodes as the input did.

use super::{Dag, DagError, MAX_NODES};
use crate::error::{Error, Result, Source};
use rayon::prelude::*;
use serde_json::Value;
use std::io::BufRead;

/// Reads one graph line, naming the line and field of anything malformed.
pub fn parse_graph(text: &str, source: &Source, line: usize) -> Result<Dag> {
    let err = |field: Option<&str>, msg: String| Error::input(source, line, field, msg);
    let value: Value =
        serde_json::from_str(text).map_err(|e| err(None, format!("not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(err(
            None,
            "expected a JSON object with `edges` and either `n` or `nodes`".into(),
        ));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "n" | "nodes" | "edges"))
    {
        return Err(err(
            Some(key),
            "unknown field (a graph has `n` or `nodes`, and `edges`)".into(),
        ));
    }
    let edges = match map.get("edges") {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(err(
                Some("edges"),
                "expected a list of [from, to] pairs".into(),
            ))
        }
        None => {
            return Err(err(
                Some("edges"),
                "missing (use [] for a graph without edges)".into(),
            ))
        }
    };
    match (map.get("n"), map.get("nodes")) {
        (Some(_), Some(_)) => Err(err(None, "give either `n` or `nodes`, not both".into())),
        (None, None) => Err(err(
            None,
            "missing `n` (number of nodes) or `nodes` (list of names)".into(),
        )),
        (Some(n), None) => {
            let n = n
                .as_u64()
                .filter(|&n| n <= MAX_NODES as u64)
                .ok_or_else(|| {
                    err(
                        Some("n"),
                        format!("expected a whole number from 0 to {MAX_NODES}, got {n}"),
                    )
                })? as usize;
            let mut pairs = Vec::with_capacity(edges.len());
            for (i, e) in edges.iter().enumerate() {
                let pair = e.as_array().filter(|a| a.len() == 2);
                let ends = pair.and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)));
                match ends {
                    Some((a, b)) => pairs.push((a as usize, b as usize)),
                    None => {
                        return Err(err(
                            Some("edges"),
                            format!("item {i}: expected [from, to] with node numbers, got {e}"),
                        ))
                    }
                }
            }
            Dag::new(n, pairs).map_err(|e| err(Some("edges"), e.to_string()))
        }
        (None, Some(nodes)) => {
            let names: Vec<&str> = match nodes.as_array() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_str().ok_or_else(|| {
                            err(
                                Some("nodes"),
                                format!("item {i}: expected a name (string), got {v}"),
                            )
                        })
                    })
                    .collect::<Result<_>>()?,
                None => return Err(err(Some("nodes"), "expected a list of names".into())),
            };
            if names.len() > MAX_NODES {
                return Err(err(
                    Some("nodes"),
                    format!(
                        "a graph may have at most {MAX_NODES} nodes, got {}",
                        names.len()
                    ),
                ));
            }
            let mut pairs = Vec::with_capacity(edges.len());
            for (i, e) in edges.iter().enumerate() {
                let pair = e.as_array().filter(|a| a.len() == 2);
                match pair.and_then(|a| Some((a[0].as_str()?, a[1].as_str()?))) {
                    Some(p) => pairs.push(p),
                    None => {
                        return Err(err(
                            Some("edges"),
                            format!("item {i}: expected [from, to] with node names, got {e}"),
                        ))
                    }
                }
            }
            Dag::from_named_edges(&names, pairs).map_err(|e| {
                let field = match e {
                    DagError::DuplicateName(_) | DagError::TooManyNodes(_) => "nodes",
                    _ => "edges",
                };
                err(Some(field), e.to_string())
            })
        }
    }
}

/// How nodes are written: each node's JSON token (`3` or `"B"`), taken from the graph's names.
pub struct Labels(Vec<String>);

impl Labels {
    /// Names when the graph has them, else indices.
    pub fn of(dag: &Dag) -> Labels {
        Labels(match dag.names() {
            Some(names) => names
                .iter()
                .map(|s| Value::from(s.as_str()).to_string())
                .collect(),
            None => (0..dag.n()).map(|v| v.to_string()).collect(),
        })
    }

    /// Indices, for graphs without names (possibly beyond 64 nodes).
    pub fn indices(n: usize) -> Labels {
        Labels((0..n).map(|v| v.to_string()).collect())
    }

    /// Appends the token of node `v`.
    pub fn node(&self, out: &mut String, v: usize) {
        out.push_str(&self.0[v]);
    }

    /// Appends `[a, b]`.
    pub fn pair(&self, out: &mut String, a: usize, b: usize) {
        out.push('[');
        self.node(out, a);
        out.push(',');
        self.node(out, b);
        out.push(']');
    }

    /// Appends `[[a, b], ...]`.
    pub fn pairs(&self, out: &mut String, pairs: &[(usize, usize)]) {
        out.push('[');
        for (i, &(a, b)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.pair(out, a, b);
        }
        out.push(']');
    }

    /// Appends `[v, ...]` for the nodes of `set`, in increasing order.
    pub fn set(&self, out: &mut String, set: impl IntoIterator<Item = usize>) {
        out.push('[');
        for (i, v) in set.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.node(out, v);
        }
        out.push(']');
    }
}

/// A graph line written in the input format: `{"n": N, "edges": [...]}`.
pub fn write_graph(out: &mut String, n: usize, edges: &[(usize, usize)]) {
    out.push_str("{\"n\":");
    out.push_str(&n.to_string());
    out.push_str(",\"edges\":");
    Labels::indices(n).pairs(out, edges);
    out.push_str("}\n");
}

/// A graph line in the input format, with names when given: `{"nodes": [...], "edges": [...]}`,
/// else `{"n": N, "edges": [...]}`.
pub fn write_named_graph(
    out: &mut String,
    n: usize,
    names: Option<&[String]>,
    edges: &[(usize, usize)],
) {
    let Some(names) = names else {
        return write_graph(out, n, edges);
    };
    let labels = Labels(
        names
            .iter()
            .map(|s| Value::from(s.as_str()).to_string())
            .collect(),
    );
    out.push_str("{\"nodes\":");
    labels.set(out, 0..n);
    out.push_str(",\"edges\":");
    labels.pairs(out, edges);
    out.push_str("}\n");
}

/// Lines read per batch; each batch is processed on every core, then written in order.
const BATCH: usize = 1024;

/// Reads graph lines from `source`, applies `f` to each (in parallel, output in input order) and
/// hands each result to `emit`. Stops at the first error, naming its line; no line is skipped.
pub fn for_each_graph(
    source: &Source,
    f: impl Fn(&Dag) -> std::result::Result<String, String> + Sync,
    mut emit: impl FnMut(&str) -> Result<()>,
) -> Result<()> {
    let reader: Box<dyn BufRead> = match source {
        Source::Stdin => Box::new(std::io::stdin().lock()),
        Source::File(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).map_err(|e| Error::reading(p.display(), e))?,
        )),
    };
    let mut lines = reader.lines();
    let mut number = 0usize;
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        for line in lines.by_ref().take(BATCH) {
            number += 1;
            let text = line.map_err(|e| {
                Error::input(source, number, None, format!("cannot read line: {e}"))
            })?;
            batch.push((number, text));
        }
        if batch.is_empty() {
            return Ok(());
        }
        let results: Vec<Result<String>> = batch
            .par_iter()
            .map(|(line, text)| {
                if text.trim().is_empty() {
                    return Err(Error::input(
                        source,
                        *line,
                        None,
                        "empty line (one graph per line)",
                    ));
                }
                let dag = parse_graph(text, source, *line)?;
                f(&dag).map_err(|msg| Error::input(source, *line, None, msg))
            })
            .collect();
        for r in results {
            emit(&r?)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Dag> {
        parse_graph(text, &Source::File("in.jsonl".into()), 7)
    }

    #[test]
    fn both_forms_parse() {
        let g = parse(r#"{"n": 4, "edges": [[2, 1], [3, 0]]}"#).unwrap();
        assert_eq!(g.edges(), vec![(2, 1), (3, 0)]);
        let g = parse(r#"{"nodes": ["A","B","C"], "edges": [["A","B"]]}"#).unwrap();
        assert_eq!(g.names().unwrap(), ["A", "B", "C"]);
        assert_eq!(g.edges(), vec![(0, 1)]);
    }

    #[test]
    fn malformed_lines_name_line_and_field() {
        let cases = [
            (
                r#"{"n": 3, "edges": [[0, 1], [1, 0]]}"#,
                "in.jsonl:7: field `edges`: the edges form a directed cycle: 0 -> 1 -> 0",
            ),
            (
                r#"{"n": 3, "edges": [[0, 3]]}"#,
                "in.jsonl:7: field `edges`: edge names unknown node 3 (the graph has nodes 0..3)",
            ),
            (
                r#"{"n": 3}"#,
                "in.jsonl:7: field `edges`: missing (use [] for a graph without edges)",
            ),
            (
                r#"{"n": -1, "edges": []}"#,
                "in.jsonl:7: field `n`: expected a whole number from 0 to 64, got -1",
            ),
            (
                r#"{"n": 2, "edges": [[0]]}"#,
                "in.jsonl:7: field `edges`: item 0: expected [from, to] with node numbers, got [0]",
            ),
            (
                r#"{"n": 2, "edges": [], "m": 1}"#,
                "in.jsonl:7: field `m`: unknown field (a graph has `n` or `nodes`, and `edges`)",
            ),
            (
                r#"{"nodes": ["A", "A"], "edges": []}"#,
                "in.jsonl:7: field `nodes`: node name \"A\" is used twice",
            ),
            (
                r#"{"nodes": ["A"], "edges": [["A", "Q"]]}"#,
                "in.jsonl:7: field `edges`: edge names unknown node \"Q\" (the graph has nodes A)",
            ),
            (
                r#"[1, 2]"#,
                "in.jsonl:7: expected a JSON object with `edges` and either `n` or `nodes`",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap_err().to_string(), expected, "{text}");
        }
        assert!(parse("{")
            .unwrap_err()
            .to_string()
            .starts_with("in.jsonl:7: not valid JSON"));
    }

    #[test]
    fn labels_follow_the_input() {
        let g = parse(r#"{"nodes": ["x\"y", "B"], "edges": [["x\"y","B"]]}"#).unwrap();
        let mut s = String::new();
        Labels::of(&g).pairs(&mut s, &g.edges());
        assert_eq!(s, r#"[["x\"y","B"]]"#);
    }
}
