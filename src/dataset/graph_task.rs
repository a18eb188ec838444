//! The graph task (`generate --task graph`): one item per premise that asks for the graph the
//! premise determines, its CPDAG: `A -> B` where every member of the Markov equivalence class has
//! the edge, `A -- B` where members disagree on its direction, nothing for non-adjacent pairs.
//!
//! A record holds `id`, `task`, `premise_id`, `premise`, `question`, `input`, `variables` (in the
//! premise's order), `target` (`{"directed": [[a, b], ...], "undirected": [[c, d], ...]}` in
//! names, each list sorted), `graph` (one member's edges), `num_variables`, `mec_size`, `split`
//! and the variant fields `names` and `premise_form`.

use super::record::{json_escaped, push_json_str};
use crate::causal::Cpdag;
use crate::text::join_names;
use num_traits::ToPrimitive;

/// The question of a graph item on variables `names`: what to give and in which format.
pub fn question(names: &[String]) -> String {
    format!(
        "Which causal graph over {} does the premise determine? List every edge it determines, one per line: \"X -> Y\" when X directly causes Y in every causal graph consistent with the premise, \"X -- Y\" when X and Y are directly connected but the premise leaves the direction open, and nothing for two variables that are not directly connected. If no two variables are directly connected, answer \"no edges\".",
        join_names(names.iter().map(String::as_str))
    )
}

/// The text put to a model without a prompt template: the premise, then the question.
pub fn input(premise: &str, question: &str) -> String {
    format!("Premise: {premise}\nQuestion: {question}")
}

/// A CPDAG in names: compelled edges `(from, to)` and reversible ones, each pair of an undirected
/// edge and each list sorted by name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub directed: Vec<[String; 2]>,
    pub undirected: Vec<[String; 2]>,
}

impl Target {
    /// The CPDAG `cpdag` with node `k` named `names[k]`.
    pub fn of(cpdag: &Cpdag, names: &[String]) -> Target {
        let named = |(a, b): (usize, usize)| [names[a].clone(), names[b].clone()];
        Target::of_named(Target {
            directed: cpdag.directed_edges().into_iter().map(named).collect(),
            undirected: cpdag.undirected_edges().into_iter().map(named).collect(),
        })
    }

    /// The edges as an answer writes them: `X -> Y` for each compelled edge, then `X -- Y` for
    /// each reversible one.
    pub fn edge_lines(&self) -> Vec<String> {
        let directed = self.directed.iter().map(|[a, b]| format!("{a} -> {b}"));
        let undirected = self.undirected.iter().map(|[a, b]| format!("{a} -- {b}"));
        directed.chain(undirected).collect()
    }

    /// `target` in the same order as [`Target::of`] writes (each undirected pair and each list
    /// sorted by name), so that two targets of one CPDAG compare equal.
    pub fn of_named(target: Target) -> Target {
        let Target {
            mut directed,
            undirected,
        } = target;
        let mut undirected: Vec<[String; 2]> = undirected
            .into_iter()
            .map(|[a, b]| if a <= b { [a, b] } else { [b, a] })
            .collect();
        directed.sort();
        undirected.sort();
        Target {
            directed,
            undirected,
        }
    }
}

/// Everything a graph record is written from.
pub struct GraphRecord<'a> {
    pub premise_id: &'a str,
    pub split: Option<&'a str>,
    pub names: &'a [String],
    /// The premise text, already JSON-escaped (no quotes).
    pub premise_escaped: &'a str,
    /// The member's edges as JSON (`[["A","B"],...]`).
    pub graph_json: &'a str,
    pub cpdag: &'a Cpdag,
    /// The naming and premise form, for the variant fields.
    pub naming: &'a str,
    pub premise_form: &'a str,
}

/// The id of the graph item of premise `premise_id`.
pub fn item_id(premise_id: &str) -> String {
    format!("{premise_id}-graph")
}

/// Appends the JSON line of one graph item.
pub fn write_jsonl(out: &mut String, r: &GraphRecord) {
    let question = question(r.names);
    let q = json_escaped(&question);
    out.push_str("{\"id\":");
    push_json_str(out, &item_id(r.premise_id));
    out.push_str(",\"task\":\"graph\",\"premise_id\":");
    push_json_str(out, r.premise_id);
    out.push_str(",\"premise\":\"");
    out.push_str(r.premise_escaped);
    out.push_str("\",\"question\":\"");
    out.push_str(&q);
    out.push_str("\",\"input\":\"Premise: ");
    out.push_str(r.premise_escaped);
    out.push_str("\\nQuestion: ");
    out.push_str(&q);
    out.push_str("\",\"variables\":");
    push_list(out, r.names.iter().map(String::as_str));
    let target = Target::of(r.cpdag, r.names);
    out.push_str(",\"target\":{\"directed\":");
    push_pairs(out, &target.directed);
    out.push_str(",\"undirected\":");
    push_pairs(out, &target.undirected);
    out.push_str("},\"graph\":");
    out.push_str(r.graph_json);
    let size = r.cpdag.mec_size().to_u64().unwrap_or(u64::MAX);
    out.push_str(&format!(
        ",\"num_variables\":{},\"mec_size\":{size},\"split\":",
        r.names.len()
    ));
    match r.split {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    }
    out.push_str(",\"names\":");
    push_json_str(out, r.naming);
    out.push_str(",\"premise_form\":");
    push_json_str(out, r.premise_form);
    out.push_str("}\n");
}

fn push_list<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, s);
    }
    out.push(']');
}

fn push_pairs(out: &mut String, pairs: &[[String; 2]]) {
    out.push('[');
    for (i, [a, b]) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_list(out, [a.as_str(), b.as_str()]);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Dag;

    #[test]
    fn records_are_json_with_the_issue_fields() {
        // A -> C <- B, C -> D: everything compelled; names reversed to check sorting by name.
        let dag = Dag::new(4, [(0, 2), (1, 2), (2, 3)]).unwrap();
        let names: Vec<String> = ["Z", "Y", "X", "W"].iter().map(|s| s.to_string()).collect();
        let cpdag = Cpdag::of(&dag);
        let mut line = String::new();
        write_jsonl(
            &mut line,
            &GraphRecord {
                premise_id: "n4-p00001",
                split: Some("test"),
                names: &names,
                premise_escaped: "P \\\"q\\\".",
                graph_json: "[[\"Z\",\"X\"],[\"Y\",\"X\"],[\"X\",\"W\"]]",
                cpdag: &cpdag,
                naming: "reversed",
                premise_form: "all",
            },
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["id"], "n4-p00001-graph");
        assert_eq!(v["task"], "graph");
        assert_eq!(v["premise"], "P \"q\".");
        assert_eq!(v["variables"], serde_json::json!(["Z", "Y", "X", "W"]));
        assert_eq!(
            v["target"],
            serde_json::json!({"directed": [["X", "W"], ["Y", "X"], ["Z", "X"]], "undirected": []})
        );
        assert_eq!(v["mec_size"], 1);
        assert_eq!(v["num_variables"], 4);
        assert_eq!(v["split"], "test");
        let q = v["question"].as_str().unwrap();
        assert!(q.contains("\"X -> Y\"") && q.contains("\"X -- Y\"") && q.contains("no edges"));
        assert_eq!(v["input"], format!("Premise: P \"q\".\nQuestion: {q}"));
        // A chain is undirected throughout; undirected pairs are in name order.
        let chain = Cpdag::of(&Dag::new(3, [(0, 1), (1, 2)]).unwrap());
        let t = Target::of(&chain, &names[..3]);
        assert!(t.directed.is_empty());
        assert_eq!(
            t.undirected,
            vec![["X".to_string(), "Y".to_string()], ["Y".into(), "Z".into()]]
        );
    }
}
