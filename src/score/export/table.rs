//! The report as a terminal table.

use super::{interval_note, pct, with_interval, Exporter, Report};

pub struct Table;

impl Exporter for Table {
    fn render(&self, r: &Report) -> String {
        let mut out = format!("{} items, {} premises\n\n", r.items, r.premises);
        out.push_str(&format!(
            "{:<24} {:>8} {:>8} {:>7}  {:<20} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10}\n",
            "model",
            "items",
            "unparsed",
            "missing",
            "F1 [95% CI]",
            "P",
            "R",
            "Acc",
            "BalAcc",
            "MCC",
            "incoherent"
        ));
        for m in &r.models {
            let g = |k: &str| pct(m.metrics[k].value);
            out.push_str(&format!(
                "{:<24} {:>8} {:>8} {:>7}  {:<20} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10}\n",
                m.name,
                m.items,
                m.unparsed,
                m.missing,
                with_interval(&m.metrics["f1"]),
                g("precision"),
                g("recall"),
                g("accuracy"),
                g("balanced_accuracy"),
                g("mcc"),
                format!(
                    "{}/{}",
                    m.consistency.incoherent_premises, m.consistency.premises
                )
            ));
        }
        for rf in &r.references {
            let g = |k: &str| pct(rf.metrics[k]);
            out.push_str(&format!(
                "{:<24} {:>8} {:>8} {:>7}  {:<20} {:>6} {:>6} {:>6} {:>6} {:>6}\n",
                format!("({})", rf.name),
                r.items,
                "-",
                "-",
                g("f1"),
                g("precision"),
                g("recall"),
                g("accuracy"),
                g("balanced_accuracy"),
                g("mcc")
            ));
        }
        for m in &r.models {
            if let Some(t) = &m.three_way {
                out.push_str(&format!(
                    "\n{}: three-way accuracy {}, macro-F1 {}",
                    m.name,
                    with_interval(&t["accuracy"]),
                    with_interval(&t["macro_f1"])
                ));
            }
        }
        if !r.comparisons.is_empty() {
            out.push_str("\n\nF1 differences (paired bootstrap) and McNemar's exact test:\n");
            for c in &r.comparisons {
                out.push_str(&format!(
                    "  {} - {}: {} {}  (only one right: {} / {}, p = {})\n",
                    c.a,
                    c.b,
                    with_interval(&c.f1_difference),
                    if c.significant {
                        "significant"
                    } else {
                        "not significant"
                    },
                    c.only_a_correct,
                    c.only_b_correct,
                    super::p_value(c.mcnemar_p)
                ));
            }
            let groups: Vec<String> = r
                .groups
                .iter()
                .map(|g| format!("{{{}}}", g.join(", ")))
                .collect();
            out.push_str(&format!(
                "Groups without significant differences: {}\n",
                groups.join(" > ")
            ));
        }
        for m in &r.models {
            for (title, dim) in super::breakdowns(m) {
                if dim.len() < 2 {
                    continue;
                }
                out.push_str(&format!("\n{} by {title}: ", m.name));
                let parts: Vec<String> = dim
                    .iter()
                    .map(|(k, g)| {
                        // Depth groups can hold one label only (skeleton items are all
                        // invalid), where F1 says nothing: accuracy.
                        match title {
                            "depth" => format!(
                                "{k} accuracy {} (n={})",
                                with_interval(&g.metrics["accuracy"]),
                                g.items
                            ),
                            _ => format!("{k} {} (n={})", with_interval(&g.metrics["f1"]), g.items),
                        }
                    })
                    .collect();
                out.push_str(&parts.join("; "));
            }
            if !m.consistency.violations.is_empty() {
                let v: Vec<String> = m
                    .consistency
                    .violations
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect();
                out.push_str(&format!(
                    "\n{} incoherent answer sets: {}",
                    m.name,
                    v.join(", ")
                ));
            }
            for ex in &m.unparsed_examples {
                out.push_str(&format!(
                    "\n{} unparsed, e.g. {}: {:?}",
                    m.name,
                    ex["id"],
                    ex["output"].as_str().unwrap_or("")
                ));
            }
        }
        out.push_str(&format!("\n\n{}\n", interval_note(r)));
        out
    }
}
