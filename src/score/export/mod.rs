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
    if p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.3}")
    }
}

/// `value [low, high]` in percent.
pub(crate) fn with_interval(e: &super::metrics::Estimate) -> String {
    format!("{} [{}, {}]", pct(e.value), pct(e.low), pct(e.high))
}

/// The note every format carries about how intervals were made.
pub(crate) fn interval_note(r: &Report) -> String {
    format!(
        "Intervals: 95% percentile bootstrap over {} resamples of premises (seed {}); premises are resampled, not items, because the items of one premise share its graph and text. Unparsed answers count as {:?}, missing ones as {:?}.",
        r.options.bootstrap, r.options.seed, r.options.unparsed, r.options.missing
    )
}
