//! The report as one self-contained HTML page: leaderboard, confusion matrices, and charts of F1
//! with its interval by N and by relation, drawn as inline SVG (no network needed).

use super::super::{Group, GroupKey, ModelReport};
use super::{
    comparison_rows, interval_note, leaderboard_rows, pct, with_interval, Exporter, Report,
    COMPARISON_HEADER, LEADERBOARD_HEADER,
};
use std::collections::{BTreeMap, BTreeSet};

pub struct Html;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Appends a table; cells are HTML already, reference rows are marked `ref`.
fn table(out: &mut String, header: &[&str], rows: impl IntoIterator<Item = (bool, Vec<String>)>) {
    out.push_str("<table><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr>");
    for (reference, cells) in rows {
        out.push_str(if reference {
            "<tr class=\"ref\">"
        } else {
            "<tr>"
        });
        for c in cells {
            out.push_str(&format!("<td>{c}</td>"));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

/// `metric` (F1, accuracy) with its interval for every model, one column per group key.
fn chart(
    title: &str,
    metric: &str,
    models: &[ModelReport],
    dim: impl Fn(&ModelReport) -> &BTreeMap<GroupKey, Group>,
) -> String {
    // The axis: every model's groups, in the one group order.
    let keys: Vec<&GroupKey> = models
        .iter()
        .flat_map(|m| dim(m).keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if keys.is_empty() {
        return String::new();
    }
    let (w, h, left, bottom, top) = (120.0 * keys.len() as f64 + 80.0, 260.0, 50.0, 40.0, 30.0);
    let plot_h = h - bottom - top;
    let y = |v: f64| top + plot_h * (1.0 - v);
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">", esc(title));
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        esc(title)
    ));
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y0}\" y2=\"{y0}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            w - 10.0,
            left - 6.0,
            y(t) + 4.0,
            pct(t),
            y0 = y(t)
        ));
    }
    let slot = (w - left - 10.0) / keys.len() as f64;
    for (k, key) in keys.iter().enumerate() {
        let cx = left + slot * (k as f64 + 0.5);
        svg.push_str(&format!(
            "<text x=\"{cx}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            h - bottom + 16.0,
            esc(&key.0)
        ));
        for (m, model) in models.iter().enumerate() {
            let Some(g) = dim(model).get(key) else {
                continue;
            };
            let e = &g.metrics[metric];
            let x = cx + (m as f64 - (models.len() as f64 - 1.0) / 2.0) * 12.0;
            let c = COLOURS[m % COLOURS.len()];
            svg.push_str(&format!(
                "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"{c}\" stroke-width=\"2\"/><circle cx=\"{x}\" cy=\"{}\" r=\"4\" fill=\"{c}\"><title>{}: {} {}</title></circle>",
                y(e.low),
                y(e.high),
                y(e.value),
                esc(&model.name),
                esc(&key.0),
                with_interval(e)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

impl Exporter for Html {
    fn render(&self, r: &Report) -> String {
        let mut body = format!(
            "<h1>corrcause score</h1><p>{} items, {} premises.</p>",
            r.items, r.premises
        );
        body.push_str("<h2>Leaderboard</h2>");
        let rows =
            leaderboard_rows(r)
                .into_iter()
                .enumerate()
                .map(|(i, (reference, mut cells))| {
                    if !reference {
                        cells[0] = format!(
                            "<span class=\"key\" style=\"background:{}\"></span>{}",
                            COLOURS[i % COLOURS.len()],
                            esc(&cells[0])
                        );
                    }
                    (reference, cells)
                });
        table(&mut body, &LEADERBOARD_HEADER, rows);
        if !r.comparisons.is_empty() {
            body.push_str("<h2>Comparisons</h2>");
            let rows = comparison_rows(r)
                .into_iter()
                .map(|cells| (false, cells.iter().map(|c| esc(c)).collect()));
            table(&mut body, &COMPARISON_HEADER, rows);
        }
        body.push_str("<h2>F1 by number of variables and by relation</h2>");
        body.push_str(&chart("F1 by N", "f1", &r.models, |m| &m.by_n));
        body.push_str(&chart("F1 by relation", "f1", &r.models, |m| {
            &m.by_relation
        }));
        // Skeleton items are all invalid, so F1 says nothing there: accuracy.
        let by_depth = chart("Accuracy by depth", "accuracy", &r.models, |m| &m.by_depth);
        if !by_depth.is_empty() {
            body.push_str(
                "<h2>Accuracy by depth (the rung of inference that decides the label)</h2>",
            );
            body.push_str(&by_depth);
        }
        body.push_str("<h2>Confusion matrices</h2><div class=\"cms\">");
        for m in &r.models {
            let c = &m.confusion;
            body.push_str(&format!(
                "<table class=\"cm\"><caption>{}</caption><tr><th></th><th>predicted valid</th><th>predicted invalid</th></tr><tr><th>valid</th><td>{}</td><td>{}</td></tr><tr><th>invalid</th><td>{}</td><td>{}</td></tr></table>",
                esc(&m.name), c.tp, c.fn_, c.fp, c.tn
            ));
        }
        body.push_str("</div>");
        body.push_str(&format!("<p class=\"note\">{}</p>", esc(&interval_note(r))));
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>corrcause score</title><style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}tr.ref{{color:#777;font-style:italic}}.key{{display:inline-block;width:10px;height:10px;margin-right:6px}}.cms{{display:flex;gap:2em;flex-wrap:wrap}}.note{{color:#555;max-width:60em}}</style></head><body>{body}</body></html>\n"
        )
    }
}
