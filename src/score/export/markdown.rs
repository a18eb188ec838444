//! The report as Markdown tables.

use super::{interval_note, pct, with_interval, Exporter, Report};

pub struct Markdown;

impl Exporter for Markdown {
    fn render(&self, r: &Report) -> String {
        let mut out = format!(
            "# corrcause score\n\n{} items, {} premises.\n\n",
            r.items, r.premises
        );
        out.push_str("| model | items | unparsed | missing | F1 [95% CI] | precision | recall | accuracy | balanced acc. | MCC | incoherent premises |\n");
        out.push_str("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for m in &r.models {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} |\n",
                m.name,
                m.items,
                m.unparsed,
                m.missing,
                with_interval(&m.metrics["f1"]),
                with_interval(&m.metrics["precision"]),
                with_interval(&m.metrics["recall"]),
                with_interval(&m.metrics["accuracy"]),
                with_interval(&m.metrics["balanced_accuracy"]),
                with_interval(&m.metrics["mcc"]),
                m.consistency.incoherent_premises,
                m.consistency.premises
            ));
        }
        for rf in &r.references {
            let g = |k: &str| pct(rf.metrics[k]);
            out.push_str(&format!(
                "| *{}* (analytic) | {} | - | - | {} | {} | {} | {} | {} | {} | - |\n",
                rf.name,
                r.items,
                g("f1"),
                g("precision"),
                g("recall"),
                g("accuracy"),
                g("balanced_accuracy"),
                g("mcc")
            ));
        }
        if !r.comparisons.is_empty() {
            out.push_str("\n| a | b | F1(a) - F1(b) [95% CI] | only a right | only b right | McNemar p | significant |\n|---|---|---|---:|---:|---:|---|\n");
            for c in &r.comparisons {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    c.a,
                    c.b,
                    with_interval(&c.f1_difference),
                    c.only_a_correct,
                    c.only_b_correct,
                    super::p_value(c.mcnemar_p),
                    if c.significant { "yes" } else { "no" }
                ));
            }
        }
        for m in &r.models {
            let fixed = [
                ("relation", &m.by_relation),
                ("N", &m.by_n),
                ("split", &m.by_split),
                ("MEC size", &m.by_mec_size),
            ];
            let variants = m
                .by_variant
                .iter()
                .map(|(k, g)| (k.trim_start_matches("by_"), g));
            for (title, dim) in fixed.into_iter().chain(variants) {
                if dim.is_empty() {
                    continue;
                }
                out.push_str(&format!("\n**{}** by {title}\n\n| {title} | items | F1 [95% CI] | accuracy |\n|---|---:|---|---|\n", m.name));
                for (k, g) in dim {
                    out.push_str(&format!(
                        "| {k} | {} | {} | {} |\n",
                        g.items,
                        with_interval(&g.metrics["f1"]),
                        with_interval(&g.metrics["accuracy"])
                    ));
                }
            }
        }
        out.push_str(&format!("\n{}\n", interval_note(r)));
        out
    }
}
