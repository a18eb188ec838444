//! One dataset item (a premise, a hypothesis about one pair, its label and why), written as a JSON
//! line or a Corr2Cause CSV row.
//!
//! Records are written by hand rather than through a serializer: a premise is escaped once and
//! copied into each of its items (a Corr2Cause premise at 6 variables runs to kilobytes, and each
//! is shared by 90 items).

use crate::causal::{Depth, Label3, Relation};

/// Record fields that name a variant of the data (naming, wording, premise form, ...); the
/// scorer breaks its metrics down by each one a dataset carries.
pub const VARIANT_FIELDS: [&str; 5] = ["names", "style", "premise_form", "order", "variant"];

/// Appends `s` as a JSON string literal.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The content of a JSON string literal for `s`, without the quotes.
pub fn json_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(&mut out, s);
    out[1..out.len() - 1].to_string()
}

/// What a premise contributes to each of its items.
pub struct PremiseFields<'a> {
    pub premise_id: &'a str,
    pub split: Option<&'a str>,
    pub n: usize,
    pub mec_id: usize,
    /// The premise text, already JSON-escaped (no quotes).
    pub premise_escaped: &'a str,
    pub mec_size: u64,
    /// The representative's edges as JSON (`[["A","B"],...]`).
    pub graph_json: &'a str,
    /// The variant fields, as JSON members: `"names":"shuffled","style":...,"premise_form":...`.
    pub variant_json: &'a str,
}

/// What is particular to one item.
pub struct ItemFields<'a> {
    pub id: &'a str,
    pub x: &'a str,
    pub y: &'a str,
    pub relation: Relation,
    pub template: &'a str,
    pub hypothesis: &'a str,
    pub label3: Label3,
    pub holds: u64,
    /// The rung of inference that decides the label (`None` for labels as released, which are
    /// not the intended ones).
    pub depth: Option<Depth>,
    /// The explanation as a JSON object.
    pub explanation_json: &'a str,
}

/// Appends one JSON line.
pub fn write_jsonl(out: &mut String, p: &PremiseFields, item: &ItemFields) {
    out.push_str("{\"id\":");
    push_json_str(out, item.id);
    out.push_str(",\"premise_id\":");
    push_json_str(out, p.premise_id);
    out.push_str(",\"split\":");
    match p.split {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    }
    out.push_str(&format!(
        ",\"num_variables\":{},\"mec_id\":{},\"x\":",
        p.n, p.mec_id
    ));
    push_json_str(out, item.x);
    out.push_str(",\"y\":");
    push_json_str(out, item.y);
    out.push_str(",\"relation\":\"");
    out.push_str(item.relation.as_str());
    out.push_str("\",\"template\":");
    push_json_str(out, item.template);
    out.push(',');
    out.push_str(p.variant_json);
    out.push_str(",\"premise\":\"");
    out.push_str(p.premise_escaped);
    out.push_str("\",\"hypothesis\":");
    push_json_str(out, item.hypothesis);
    out.push_str(",\"input\":\"Premise: ");
    out.push_str(p.premise_escaped);
    out.push_str("\\nHypothesis: ");
    let hyp = json_escaped(item.hypothesis);
    out.push_str(&hyp);
    out.push_str(&format!(
        "\",\"label\":{},\"label3\":\"{}\",\"mec_size\":{},\"holds\":{}",
        item.label3.binary(),
        item.label3,
        p.mec_size,
        item.holds
    ));
    match item.depth {
        Some(d) => {
            out.push_str(&format!(",\"depth\":\"{d}\",\"meek\":["));
            for (i, rule) in d.meek().into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format!("\"{rule}\""));
            }
            out.push(']');
        }
        None => out.push_str(",\"depth\":null,\"meek\":null"),
    }
    out.push_str(",\"graph\":");
    out.push_str(p.graph_json);
    out.push_str(",\"explanation\":");
    out.push_str(item.explanation_json);
    out.push_str("}\n");
}

/// The header of Corr2Cause's CSV files.
pub const CSV_HEADER: &str = "input,label,num_variables,template\n";

/// Appends one row in Corr2Cause's CSV columns `input,label,num_variables,template`.
pub fn write_csv(out: &mut String, premise: &str, n: usize, item: &ItemFields) {
    let input = crate::text::nli_input(premise, item.hypothesis);
    push_csv_field(out, &input);
    out.push_str(&format!(",{},{},", item.label3.binary(), n));
    push_csv_field(out, item.template);
    out.push('\n');
}

/// Appends a CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn push_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping_matches_serde() {
        for s in [
            "plain",
            "quote \" and \\ back",
            "line\nbreak\ttab",
            "\u{1}ctl",
            "ünï",
        ] {
            let mut out = String::new();
            push_json_str(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        }
    }

    #[test]
    fn records_are_valid_json_and_csv() {
        let premise = "Suppose \"quoted\", A.";
        let escaped = json_escaped(premise);
        let p = PremiseFields {
            premise_id: "n2-p00001",
            split: Some("test"),
            n: 2,
            mec_id: 1,
            premise_escaped: &escaped,
            mec_size: 2,
            graph_json: "[[\"A\",\"B\"]]",
            variant_json: "\"names\":\"letters\",\"style\":\"original\",\"premise_form\":\"all\"",
        };
        let item = ItemFields {
            id: "n2-p00001-A-B-parent",
            x: "A",
            y: "B",
            relation: Relation::Parent,
            template: "parent",
            hypothesis: "A directly causes B.",
            label3: Label3::Neutral,
            holds: 1,
            depth: Some(Depth::Propagation(
                crate::causal::equivalence::MEEK_R1 | crate::causal::equivalence::MEEK_R3,
            )),
            explanation_json: "{\"kind\":\"undetermined\"}",
        };
        let mut line = String::new();
        write_jsonl(&mut line, &p, &item);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v["input"],
            format!("Premise: {premise}\nHypothesis: A directly causes B.")
        );
        assert_eq!(v["label"], 0);
        assert_eq!(v["label3"], "neutral");
        assert_eq!(v["depth"], "propagation");
        assert_eq!(v["meek"], serde_json::json!(["R1", "R3"]));
        assert_eq!(v["split"], "test");
        assert_eq!(v["names"], "letters");
        let mut row = String::from(CSV_HEADER);
        write_csv(&mut row, premise, 2, &item);
        let mut r = csv::Reader::from_reader(row.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(
            &rec[0],
            format!("Premise: {premise}\nHypothesis: A directly causes B.")
        );
        assert_eq!((&rec[1], &rec[2], &rec[3]), ("0", "2", "parent"));
    }
}
