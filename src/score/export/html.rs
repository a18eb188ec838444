//! The report as one self-contained HTML page: leaderboard, confusion matrices, and charts of F1
//! with its interval by N and by relation, drawn as inline SVG (no network needed).

use super::super::{Group, ModelReport};
use super::{interval_note, pct, with_interval, Exporter, Report};
use std::collections::BTreeMap;

pub struct Html;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

/// F1 with its interval for every model, one column per group key.
fn chart(
    title: &str,
    models: &[ModelReport],
    dim: impl Fn(&ModelReport) -> &BTreeMap<String, Group>,
) -> String {
    let mut keys: Vec<String> = models.iter().flat_map(|m| dim(m).keys().cloned()).collect();
    keys.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).expect("numbers"),
        _ => a.cmp(b),
    });
    keys.dedup();
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
            esc(key)
        ));
        for (m, model) in models.iter().enumerate() {
            let Some(g) = dim(model).get(key) else {
                continue;
            };
            let e = &g.metrics["f1"];
            let x = cx + (m as f64 - (models.len() as f64 - 1.0) / 2.0) * 12.0;
            let c = COLOURS[m % COLOURS.len()];
            svg.push_str(&format!(
                "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"{c}\" stroke-width=\"2\"/><circle cx=\"{x}\" cy=\"{}\" r=\"4\" fill=\"{c}\"><title>{}: {} {}</title></circle>",
                y(e.low),
                y(e.high),
                y(e.value),
                esc(&model.name),
                esc(key),
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
        body.push_str("<h2>Leaderboard</h2><table><tr><th>model</th><th>items</th><th>unparsed</th><th>missing</th><th>F1 [95% CI]</th><th>precision</th><th>recall</th><th>accuracy</th><th>balanced acc.</th><th>MCC</th><th>incoherent premises</th></tr>");
        for (i, m) in r.models.iter().enumerate() {
            body.push_str(&format!(
                "<tr><td><span class=\"key\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td></tr>",
                COLOURS[i % COLOURS.len()],
                esc(&m.name),
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
            body.push_str(&format!(
                "<tr class=\"ref\"><td>{} (analytic)</td><td>{}</td><td>-</td><td>-</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>-</td></tr>",
                esc(rf.name), r.items, g("f1"), g("precision"), g("recall"), g("accuracy"), g("balanced_accuracy"), g("mcc")
            ));
        }
        body.push_str("</table>");
        if !r.comparisons.is_empty() {
            body.push_str("<h2>Comparisons</h2><table><tr><th>a</th><th>b</th><th>F1(a) - F1(b) [95% CI]</th><th>only a right</th><th>only b right</th><th>McNemar p</th><th>significant</th></tr>");
            for c in &r.comparisons {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&c.a), esc(&c.b), with_interval(&c.f1_difference), c.only_a_correct, c.only_b_correct, super::p_value(c.mcnemar_p),
                    if c.significant { "yes" } else { "no" }
                ));
            }
            body.push_str("</table>");
        }
        body.push_str("<h2>F1 by number of variables and by relation</h2>");
        body.push_str(&chart("F1 by N", &r.models, |m| &m.by_n));
        body.push_str(&chart("F1 by relation", &r.models, |m| &m.by_relation));
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
