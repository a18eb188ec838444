//! The graph task's report in the four formats of `corrcause score --format`: a terminal table,
//! JSON, Markdown and a self-contained HTML page with its own charts.

use super::{GraphGroup, GraphReport, GRAPH_METRICS};
use crate::score::export::Format;
use crate::score::metrics::Estimate;
use std::collections::BTreeMap;

/// Renders `r` in `format`.
pub fn render(r: &GraphReport, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(r).expect("a report serialises") + "\n",
        Format::Table => text(r, false),
        Format::Markdown => text(r, true),
        Format::Html => html(r),
    }
}

/// A metric's value as shown: SHD as a mean with two decimals, the others in percent.
fn shown(metric: &str, x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if metric == "shd" {
        format!("{x:.2}")
    } else {
        format!("{:.1}", 100.0 * x)
    }
}

fn with_interval(metric: &str, e: &Estimate) -> String {
    if e.low.is_nan() {
        return shown(metric, e.value);
    }
    format!(
        "{} [{}, {}]",
        shown(metric, e.value),
        shown(metric, e.low),
        shown(metric, e.high)
    )
}

const TITLES: [&str; 9] = [
    "SHD (mean) [95% CI]",
    "skel. P",
    "skel. R",
    "skeleton F1 [95% CI]",
    "arrow. P",
    "arrow. R",
    "arrowhead F1 [95% CI]",
    "exact %",
    "member %",
];

/// Leaderboard header and rows.
fn leaderboard(r: &GraphReport) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = ["model", "items", "unparsed", "missing"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(TITLES.iter().map(|s| s.to_string()));
    let rows = r
        .models
        .iter()
        .map(|m| {
            let mut cells = vec![
                m.name.clone(),
                m.items.to_string(),
                m.unparsed.to_string(),
                m.missing.to_string(),
            ];
            for k in GRAPH_METRICS {
                let e = &m.metrics[k];
                cells.push(
                    if TITLES[GRAPH_METRICS.iter().position(|x| *x == k).unwrap()].contains("CI") {
                        with_interval(k, e)
                    } else {
                        shown(k, e.value)
                    },
                );
            }
            cells
        })
        .collect();
    (header, rows)
}

fn comparisons(r: &GraphReport) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "a",
        "b",
        "SHD(a) - SHD(b) [95% CI]",
        "a closer",
        "b closer",
        "only a exact",
        "only b exact",
        "McNemar p (exact)",
        "significant",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows = r
        .comparisons
        .iter()
        .map(|c| {
            vec![
                c.a.clone(),
                c.b.clone(),
                with_interval("shd", &c.shd_difference),
                c.a_closer.to_string(),
                c.b_closer.to_string(),
                c.only_a_exact.to_string(),
                c.only_b_exact.to_string(),
                crate::score::export::p_value(c.mcnemar_p),
                if c.significant { "yes" } else { "no" }.into(),
            ]
        })
        .collect();
    (header, rows)
}

/// A model's breakdowns with their titles.
fn breakdowns(m: &super::GraphModelReport) -> Vec<(String, &BTreeMap<String, GraphGroup>)> {
    let mut out = vec![
        ("N".to_string(), &m.by_n),
        ("split".to_string(), &m.by_split),
        ("MEC size".to_string(), &m.by_mec_size),
    ];
    out.extend(
        m.by_variant
            .iter()
            .map(|(k, g)| (k.trim_start_matches("by_").to_string(), g)),
    );
    out.retain(|(_, g)| !g.is_empty());
    out
}

fn breakdown_rows(
    title: &str,
    groups: &BTreeMap<String, GraphGroup>,
) -> (Vec<String>, Vec<Vec<String>>) {
    let header = vec![
        title.to_string(),
        "items".into(),
        "SHD (mean) [95% CI]".into(),
        "skeleton F1".into(),
        "arrowhead F1".into(),
        "exact %".into(),
        "member %".into(),
    ];
    let mut keys: Vec<&String> = groups.keys().collect();
    // Numbers in numeric order (N = 10 after 9; MEC buckets by their first number).
    keys.sort_by_key(|k| {
        let lead: String = k.chars().take_while(|c| c.is_ascii_digit()).collect();
        (lead.parse::<u64>().unwrap_or(u64::MAX), (*k).clone())
    });
    let rows = keys
        .into_iter()
        .map(|k| {
            let g = &groups[k];
            vec![
                k.clone(),
                g.items.to_string(),
                with_interval("shd", &g.metrics["shd"]),
                shown("skeleton_f1", g.metrics["skeleton_f1"].value),
                shown("arrowhead_f1", g.metrics["arrowhead_f1"].value),
                shown("exact", g.metrics["exact"].value),
                shown("member", g.metrics["member"].value),
            ]
        })
        .collect();
    (header, rows)
}

fn note(r: &GraphReport) -> String {
    format!(
        "SHD: pairs whose mark (none, x -> y, y -> x, x -- y) differs from the target CPDAG's, mean per item (lower is better). Skeleton and arrowhead precision/recall/F1 pooled over items; exact: share with SHD 0; member: among fully directed answers, the share in the MEC. Intervals: 95% percentile bootstrap over {} resamples of premises (seed {}). Unparsed answers count as {:?}, missing ones as {:?}.",
        r.options.bootstrap, r.options.seed, r.options.unparsed, r.options.missing
    )
}

/// A table as aligned text or Markdown.
fn push_table(out: &mut String, header: &[String], rows: &[Vec<String>], markdown: bool) {
    if markdown {
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for row in rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out.push('\n');
        return;
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line(header));
    for row in rows {
        out.push_str(&line(row));
    }
    out.push('\n');
}

fn text(r: &GraphReport, markdown: bool) -> String {
    let mut out = String::new();
    let heading = |out: &mut String, level: usize, title: &str| {
        if markdown {
            out.push_str(&format!("{} {title}\n\n", "#".repeat(level)));
        } else if level <= 2 {
            out.push_str(&format!("{title}\n\n"));
        } else {
            out.push_str(&format!("{title}:\n"));
        }
    };
    heading(&mut out, 1, "corrcause graph-task report");
    out.push_str(&format!(
        "{} graph items, {} premises. Leaderboard by SHD.\n\n",
        r.items, r.premises
    ));
    let (h, rows) = leaderboard(r);
    push_table(&mut out, &h, &rows, markdown);
    if !r.comparisons.is_empty() {
        heading(&mut out, 2, "Paired comparisons");
        let (h, rows) = comparisons(r);
        push_table(&mut out, &h, &rows, markdown);
    }
    for m in &r.models {
        heading(&mut out, 2, &m.name);
        for (title, groups) in breakdowns(m) {
            heading(&mut out, 3, &format!("by {title}"));
            let (h, rows) = breakdown_rows(&title, groups);
            push_table(&mut out, &h, &rows, markdown);
        }
        if !m.unparsed_examples.is_empty() {
            heading(
                &mut out,
                3,
                &format!("unparsed ({}), for example", m.unparsed),
            );
            for e in &m.unparsed_examples {
                let output: String = e["output"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(120)
                    .collect();
                out.push_str(&format!(
                    "- {}: {:?} ({})\n",
                    e["id"].as_str().unwrap_or(""),
                    output,
                    e["why"].as_str().unwrap_or("")
                ));
            }
            out.push('\n');
        }
    }
    out.push_str(&note(r));
    out.push('\n');
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    out.push_str("<table><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            out.push_str(&format!("<td>{}</td>", esc(c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>\n");
}

/// A horizontal bar chart with interval whiskers: one bar per (label, estimate); `max` is the
/// axis end (1 for shares, the largest value for SHD).
fn chart(out: &mut String, title: &str, metric: &str, bars: &[(String, Estimate)]) {
    let max = bars
        .iter()
        .map(|(_, e)| {
            if e.high.is_nan() {
                e.value
            } else {
                e.high.max(e.value)
            }
        })
        .filter(|x| !x.is_nan())
        .fold(if metric == "shd" { 0.0 } else { 1.0 }, f64::max)
        .max(1e-9);
    let (label_w, bar_w, row_h) = (220.0, 360.0, 22.0);
    let height = row_h * bars.len() as f64 + 30.0;
    out.push_str(&format!(
        "<figure><figcaption>{}</figcaption><svg width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        label_w + bar_w + 80.0,
        esc(title)
    ));
    for (i, (label, e)) in bars.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let x = |v: f64| label_w + bar_w * (v / max).clamp(0.0, 1.0);
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(label)
        ));
        if !e.value.is_nan() {
            out.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"#4a78b5\"/>",
                y + 3.0,
                x(e.value) - label_w,
                row_h - 8.0
            ));
            if !e.low.is_nan() {
                out.push_str(&format!(
                    "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\"/>",
                    x(e.low),
                    x(e.high),
                    y + row_h / 2.0,
                    y + row_h / 2.0
                ));
            }
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
                x(if e.high.is_nan() { e.value } else { e.high }) + 4.0,
                y + 14.0,
                esc(&shown(metric, e.value))
            ));
        }
    }
    out.push_str("</svg></figure>\n");
}

fn html(r: &GraphReport) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>corrcause graph-task report</title><style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}figcaption{font-weight:bold}</style></head><body>\n",
    );
    out.push_str(&format!(
        "<h1>corrcause graph-task report</h1><p>{} graph items, {} premises. Leaderboard by SHD (lower is better).</p>\n",
        r.items, r.premises
    ));
    let (h, rows) = leaderboard(r);
    html_table(&mut out, &h, &rows);
    out.push_str("<h2>Metrics</h2>\n");
    for (k, title) in GRAPH_METRICS.iter().zip([
        "SHD, mean per item",
        "skeleton precision",
        "skeleton recall",
        "skeleton F1",
        "arrowhead precision",
        "arrowhead recall",
        "arrowhead F1",
        "exact (SHD 0)",
        "member of the MEC (fully directed answers)",
    ]) {
        let bars: Vec<(String, Estimate)> = r
            .models
            .iter()
            .map(|m| (m.name.clone(), m.metrics[k]))
            .collect();
        chart(&mut out, title, k, &bars);
    }
    if !r.comparisons.is_empty() {
        out.push_str("<h2>Paired comparisons</h2>\n");
        let (h, rows) = comparisons(r);
        html_table(&mut out, &h, &rows);
    }
    for m in &r.models {
        out.push_str(&format!("<h2>{}</h2>\n", esc(&m.name)));
        for (title, groups) in breakdowns(m) {
            out.push_str(&format!("<h3>by {}</h3>\n", esc(&title)));
            let (h, rows) = breakdown_rows(&title, groups);
            let bars: Vec<(String, Estimate)> = rows
                .iter()
                .map(|row| {
                    (
                        format!("{title} = {}", row[0]),
                        groups[&row[0]].metrics["shd"],
                    )
                })
                .collect();
            chart(&mut out, &format!("SHD by {title}"), "shd", &bars);
            html_table(&mut out, &h, &rows);
        }
        if !m.unparsed_examples.is_empty() {
            out.push_str(&format!(
                "<h3>unparsed ({}), for example</h3><ul>",
                m.unparsed
            ));
            for e in &m.unparsed_examples {
                out.push_str(&format!(
                    "<li>{}: <code>{}</code> ({})</li>",
                    esc(e["id"].as_str().unwrap_or("")),
                    esc(e["output"].as_str().unwrap_or("")),
                    esc(e["why"].as_str().unwrap_or(""))
                ));
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str(&format!("<p>{}</p>\n</body></html>\n", esc(&note(r))));
    out
}
