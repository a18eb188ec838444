//! The report as one JSON object.

use super::{Exporter, Report};

pub struct Json;

impl Exporter for Json {
    fn render(&self, report: &Report) -> String {
        serde_json::to_string_pretty(report).expect("a report serialises") + "\n"
    }
}
