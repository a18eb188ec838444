//! The report as Markdown tables.

use super::{
    breakdowns, comparison_rows, interval_note, leaderboard_rows, with_interval, Exporter, Report,
    COMPARISON_HEADER, LEADERBOARD_HEADER,
};

pub struct Markdown;

fn table(out: &mut String, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    out.push_str(&format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    ));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
}

impl Exporter for Markdown {
    fn render(&self, r: &Report) -> String {
        let mut out = format!(
            "# corrcause score\n\n{} items, {} premises.\n\n",
            r.items, r.premises
        );
        let rows = leaderboard_rows(r)
            .into_iter()
            .map(|(reference, mut cells)| {
                if reference {
                    cells[0] = format!("*{}*", cells[0]);
                }
                cells
            });
        table(&mut out, &LEADERBOARD_HEADER, rows);
        if !r.comparisons.is_empty() {
            out.push('\n');
            table(&mut out, &COMPARISON_HEADER, comparison_rows(r));
        }
        for m in &r.models {
            for (title, dim) in breakdowns(m) {
                if dim.is_empty() {
                    continue;
                }
                out.push_str(&format!("\n**{}** by {title}\n\n", m.name));
                let rows = dim.iter().map(|(k, g)| {
                    vec![
                        k.to_string(),
                        g.items.to_string(),
                        with_interval(&g.metrics["f1"]),
                        with_interval(&g.metrics["accuracy"]),
                    ]
                });
                table(&mut out, &[title, "items", "F1 [95% CI]", "accuracy"], rows);
            }
        }
        out.push_str(&format!("\n{}\n", interval_note(r)));
        out
    }
}
