//! Report formats, one module each behind the [`Exporter`] trait.

mod html;
mod json;
mod markdown;
mod table;

use super::Report;

/// Renders a report in one format.
pub trait Exporter {
    fn render(&self, report: &Report) -> String;
}

/// The report formats of `corrcause score --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Html,
}

/// The exporter of a format.
pub fn exporter(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::Table),
        Format::Json => Box::new(json::Json),
        Format::Markdown => Box::new(markdown::Markdown),
        Format::Html => Box::new(html::Html),
    }
}

/// A fraction as a percentage with one decimal.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// A p-value with three significant figures, in scientific notation when small.
pub(crate) fn p_value(p: f64) -> String {
    if p < 1e-300 {
        "< 1e-300".into()
    } else if p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.3}")
    }
}

/// `value [low, high]` in percent.
pub(crate) fn with_interval(e: &super::metrics::Estimate) -> String {
    format!("{} [{}, {}]", pct(e.value), pct(e.low), pct(e.high))
}

/// Column titles of the leaderboard.
pub(crate) const LEADERBOARD_HEADER: [&str; 11] = [
    "model",
    "items",
    "unparsed",
    "missing",
    "F1 [95% CI]",
    "precision",
    "recall",
    "accuracy",
    "balanced acc.",
    "MCC",
    "incoherent premises",
];

/// Leaderboard cells, models (with intervals) first, then the analytic reference rows
/// (`true` marks a reference).
pub(crate) fn leaderboard_rows(r: &Report) -> Vec<(bool, Vec<String>)> {
    let mut rows: Vec<(bool, Vec<String>)> = r
        .models
        .iter()
        .map(|m| {
            let mut cells = vec![
                m.name.clone(),
                m.items.to_string(),
                m.unparsed.to_string(),
                m.missing.to_string(),
            ];
            cells.extend(
                super::metrics::METRICS
                    .iter()
                    .map(|k| with_interval(&m.metrics[k])),
            );
            cells.push(format!(
                "{}/{}",
                m.consistency.incoherent_premises, m.consistency.premises
            ));
            (false, cells)
        })
        .collect();
    for rf in &r.references {
        let mut cells = vec![
            format!("{} (analytic)", rf.name),
            r.items.to_string(),
            "-".into(),
            "-".into(),
        ];
        cells.extend(super::metrics::METRICS.iter().map(|k| pct(rf.metrics[k])));
        cells.push("-".into());
        rows.push((true, cells));
    }
    rows
}

/// Column titles of the pairwise comparisons.
pub(crate) const COMPARISON_HEADER: [&str; 7] = [
    "a",
    "b",
    "F1(a) - F1(b) [95% CI]",
    "only a right",
    "only b right",
    "McNemar p",
    "significant",
];

/// Cells of the pairwise comparisons.
pub(crate) fn comparison_rows(r: &Report) -> Vec<Vec<String>> {
    r.comparisons
        .iter()
        .map(|c| {
            vec![
                c.a.clone(),
                c.b.clone(),
                with_interval(&c.f1_difference),
                c.only_a_correct.to_string(),
                c.only_b_correct.to_string(),
                p_value(c.mcnemar_p),
                if c.significant { "yes" } else { "no" }.into(),
            ]
        })
        .collect()
}

/// A model's breakdowns: the fixed ones, then one per variant field, with their titles.
pub(crate) fn breakdowns(
    m: &super::ModelReport,
) -> Vec<(
    &str,
    &std::collections::BTreeMap<super::GroupKey, super::Group>,
)> {
    let mut out = vec![
        ("relation", &m.by_relation),
        ("N", &m.by_n),
        ("split", &m.by_split),
        ("MEC size", &m.by_mec_size),
        ("depth", &m.by_depth),
    ];
    out.extend(
        m.by_variant
            .iter()
            .map(|(k, g)| (k.trim_start_matches("by_"), g)),
    );
    out
}

/// The note every format carries about how intervals were made.
pub(crate) fn interval_note(r: &Report) -> String {
    format!(
        "Intervals: 95% percentile bootstrap over {} resamples of premises (seed {}); premises are resampled, not items, because the items of one premise share its graph and text. Unparsed answers count as {:?}, missing ones as {:?}.",
        r.options.bootstrap, r.options.seed, r.options.unparsed, r.options.missing
    )
}
