// SPDX-License-Identifier: GPL-2.0
//! The report: rows of comparisons, as JSON and as a Markdown table.
//!
//! A row compares side A (ours) with side B (a peer or a floor): `ratio` is A's median
//! over B's, `holds` whether it is at most `target`. Rows that only report have
//! `target` (and so `holds`) null; a row without a B side has `b` and `ratio` null.
//! Other tools (the DOE benchmark's P4) append their own rows to the same list.
//!
//! A side names its median after its unit: `median_s` (seconds), `median_s_per_mib`,
//! `median_mib_per_s` or `median_bytes`, and says the unit again in `unit`.

use crate::cli::Settings;
use crate::stats::Summary;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// What a side's samples measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Seconds per MiB of image.
    SecondsPerMib,
    /// MiB per second.
    MibPerSecond,
    /// Bytes.
    Bytes,
}

impl Unit {
    /// The unit as the JSON names it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::SecondsPerMib => "s/MiB",
            Unit::MibPerSecond => "MiB/s",
            Unit::Bytes => "bytes",
        }
    }

    /// The key of the median in the JSON.
    pub fn median_key(self) -> &'static str {
        match self {
            Unit::Seconds => "median_s",
            Unit::SecondsPerMib => "median_s_per_mib",
            Unit::MibPerSecond => "median_mib_per_s",
            Unit::Bytes => "median_bytes",
        }
    }

    /// A value for the Markdown table: times in ms, memory in MiB.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Seconds => format!("{} ms", significant(v * 1e3)),
            Unit::SecondsPerMib => format!("{} ms/MiB", significant(v * 1e3)),
            Unit::MibPerSecond => format!("{} MiB/s", significant(v)),
            Unit::Bytes => format!("{} MiB", significant(v / f64::from(1 << 20))),
        }
    }
}

/// `v` with about three significant digits.
pub fn significant(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        "?".to_string()
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.1 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

/// One side of a row.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    /// What was measured: `ours`, `fw_upload`, `memcpy`, `tmpfs write`, `ours x2`...
    pub what: String,
    /// The unit of the samples.
    pub unit: Unit,
    /// The samples.
    pub summary: Summary,
}

impl Side {
    /// A side of `what`, in `unit`.
    pub fn new(what: &str, unit: Unit, samples: Vec<f64>) -> Self {
        Side {
            what: what.to_string(),
            unit,
            summary: Summary::of(samples),
        }
    }

    /// The median.
    pub fn median(&self) -> f64 {
        self.summary.median
    }

    /// The Markdown cell: `ours 12.3 ms ±4.0%`.
    pub fn cell(&self) -> String {
        let spread = match self.summary.spread {
            Some(s) => format!(" ±{:.1}%", s * 100.0),
            None => String::new(),
        };
        format!("{} {}{spread}", self.what, self.unit.format(self.median()))
    }
}

impl Serialize for Side {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(5))?;
        m.serialize_entry("what", &self.what)?;
        m.serialize_entry("unit", self.unit.name())?;
        m.serialize_entry(self.unit.median_key(), &self.summary.median)?;
        m.serialize_entry("spread", &self.summary.spread)?;
        m.serialize_entry("samples", &self.summary.samples)?;
        m.end()
    }
}

/// A row of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// `P1` ... `P7`, or `floor`.
    pub id: String,
    /// The case, e.g. `64M/4K`.
    pub case: String,
    /// Ours.
    pub a: Side,
    /// What ours is compared with.
    pub b: Option<Side>,
    /// A's median / B's median.
    pub ratio: Option<f64>,
    /// The most `ratio` may be; `None` for a row that only reports.
    pub target: Option<f64>,
    /// Whether `ratio <= target`.
    pub holds: Option<bool>,
}

impl Row {
    /// A comparison of `a` with `b`; `target` is the most the ratio may be, if any.
    pub fn compare(id: &str, case: &str, a: Side, b: Side, target: Option<f64>) -> Self {
        let ratio = (b.median() > 0.0 && a.median().is_finite()).then(|| a.median() / b.median());
        Row {
            id: id.to_string(),
            case: case.to_string(),
            holds: target.zip(ratio).map(|(t, r)| r <= t),
            a,
            b: Some(b),
            ratio,
            target,
        }
    }

    /// A row that only reports `a`.
    pub fn single(id: &str, case: &str, a: Side) -> Self {
        Row {
            id: id.to_string(),
            case: case.to_string(),
            a,
            b: None,
            ratio: None,
            target: None,
            holds: None,
        }
    }

    /// The row as one line of the Markdown table.
    pub fn markdown(&self) -> String {
        let dash = || "—".to_string();
        format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            self.id,
            self.case,
            self.a.cell(),
            self.b.as_ref().map_or_else(dash, Side::cell),
            self.ratio.map_or_else(dash, |r| format!("{r:.2}")),
            self.target.map_or_else(dash, |t| format!("≤ {t}")),
            self.holds
                .map_or_else(dash, |h| if h { "yes" } else { "no" }.to_string()),
        )
    }

    /// The line printed on stderr when the row is done.
    pub fn progress_line(&self) -> String {
        let mut line = format!("{} {}: {}", self.id, self.case, self.a.cell());
        if let Some(b) = &self.b {
            line += &format!(" vs {}", b.cell());
        }
        if let Some(r) = self.ratio {
            line += &format!(", ratio {r:.2}");
        }
        if let (Some(t), Some(h)) = (self.target, self.holds) {
            line += &format!(" (target ≤ {t}: {})", if h { "holds" } else { "missed" });
        }
        line
    }
}

/// The machine the benchmark ran on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// Online CPUs, as `/proc/cpuinfo` lists them.
    pub cpus: usize,
    /// The first `model name` of `/proc/cpuinfo`.
    pub model: String,
}

impl Machine {
    /// The machine described by the text of `/proc/cpuinfo`; `fallback_cpus` when it
    /// lists no processor.
    pub fn from_cpuinfo(text: &str, fallback_cpus: usize) -> Self {
        let fields = text.lines().filter_map(|l| l.split_once(':'));
        let mut cpus = 0;
        let mut model = None;
        for (key, value) in fields {
            match key.trim() {
                "processor" => cpus += 1,
                "model name" if model.is_none() => model = Some(value.trim().to_string()),
                _ => {}
            }
        }
        Machine {
            cpus: if cpus == 0 { fallback_cpus } else { cpus },
            model: model.unwrap_or_else(|| "unknown".to_string()),
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// When the run started, RFC 3339 in UTC.
    pub date: String,
    /// `uname -r`.
    pub kernel: String,
    /// The machine.
    pub machine: Machine,
    /// What the run did.
    pub settings: Settings,
    /// The devices compared.
    pub peers: Peers,
    /// The results.
    pub rows: Vec<Row>,
    /// Why the run stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The devices a run used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Peers {
    /// The sim cards found, `fpga_imageN`; the first is "ours" in P1 to P6.
    pub sim_cards: Vec<String>,
    /// The fw_upload device, if found.
    pub fw_upload: Option<String>,
}

impl Report {
    /// The report as pretty JSON, ending in a newline.
    pub fn json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self).map(|s| s + "\n")
    }

    /// The rows as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| id | case | A | B | ratio | target | holds |\n\
             |----|------|---|---|-------|--------|-------|\n",
        );
        for row in &self.rows {
            out += &row.markdown();
            out.push('\n');
        }
        out
    }
}

/// `secs` seconds after the epoch as RFC 3339 in UTC: `2026-05-01T12:34:56Z`.
pub fn rfc3339_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;

    fn side(what: &str, unit: Unit, samples: &[f64]) -> Side {
        Side::new(what, unit, samples.to_vec())
    }

    fn report(rows: Vec<Row>) -> Report {
        Report {
            date: "2026-05-01T00:00:00Z".into(),
            kernel: "6.18.0".into(),
            machine: Machine {
                cpus: 2,
                model: "QEMU Virtual CPU".into(),
            },
            settings: Cli::default().settings().expect("defaults are valid"),
            peers: Peers {
                sim_cards: vec!["fpga_image0".into()],
                fw_upload: Some("fpga_image_load_fwpeer".into()),
            },
            rows,
            error: None,
        }
    }

    #[test]
    fn a_comparison_row() {
        let r = Row::compare(
            "P1",
            "64M/4K",
            side("ours", Unit::Seconds, &[0.2, 0.1, 0.3]),
            side("fw_upload", Unit::Seconds, &[0.4, 0.4]),
            Some(0.8),
        );
        assert_eq!(r.ratio, Some(0.5));
        assert_eq!(r.holds, Some(true));
        let missed = Row::compare(
            "P5",
            "1000x4B",
            side("ours", Unit::Seconds, &[1.0]),
            side("fw_upload", Unit::Seconds, &[1.0]),
            Some(0.5),
        );
        assert_eq!(missed.holds, Some(false));
        let report_only = Row::compare(
            "P6",
            "4M/per-MiB",
            side("ours", Unit::SecondsPerMib, &[1.0]),
            side("fw_upload", Unit::SecondsPerMib, &[2.0]),
            None,
        );
        assert_eq!((report_only.ratio, report_only.holds), (Some(0.5), None));
        let zero_b = Row::compare(
            "P6",
            "256M/peak-mem",
            side("ours", Unit::Bytes, &[1.0]),
            side("fw_upload", Unit::Bytes, &[0.0]),
            None,
        );
        assert_eq!(zero_b.ratio, None);
    }

    #[test]
    fn json_schema() {
        let rows = vec![
            Row::compare(
                "P1",
                "64M/4K",
                side("ours", Unit::Seconds, &[0.25, 0.5]),
                side("fw_upload", Unit::Seconds, &[1.0]),
                Some(0.8),
            ),
            Row::single(
                "P7",
                "1 card x 64M",
                side("ours x1", Unit::MibPerSecond, &[512.0]),
            ),
        ];
        let v: serde_json::Value =
            serde_json::from_str(&report(rows).json().expect("serializes")).expect("parses");
        assert_eq!(v["date"], "2026-05-01T00:00:00Z");
        assert_eq!(v["kernel"], "6.18.0");
        assert_eq!(
            v["machine"],
            serde_json::json!({"cpus": 2, "model": "QEMU Virtual CPU"})
        );
        assert!(v.get("error").is_none());
        assert_eq!(v["settings"]["only"][0], "P1");
        assert_eq!(v["peers"]["sim_cards"][0], "fpga_image0");
        assert_eq!(
            v["rows"][0],
            serde_json::json!({
                "id": "P1",
                "case": "64M/4K",
                "a": {"what": "ours", "unit": "s", "median_s": 0.375, "spread": 0.25 / 0.375,
                      "samples": [0.25, 0.5]},
                "b": {"what": "fw_upload", "unit": "s", "median_s": 1.0, "spread": 0.0,
                      "samples": [1.0]},
                "ratio": 0.375,
                "target": 0.8,
                "holds": true
            })
        );
        assert_eq!(
            v["rows"][1],
            serde_json::json!({
                "id": "P7",
                "case": "1 card x 64M",
                "a": {"what": "ours x1", "unit": "MiB/s", "median_mib_per_s": 512.0,
                      "spread": 0.0, "samples": [512.0]},
                "b": null,
                "ratio": null,
                "target": null,
                "holds": null
            })
        );
    }

    #[test]
    fn an_early_stop_is_in_the_json() {
        let mut r = report(Vec::new());
        r.error = Some("ours (fpga_image0): P1 64M/4K: load failed".into());
        let v: serde_json::Value =
            serde_json::from_str(&r.json().expect("serializes")).expect("parses");
        assert_eq!(v["error"], "ours (fpga_image0): P1 64M/4K: load failed");
        assert_eq!(v["rows"], serde_json::json!([]));
    }

    #[test]
    fn markdown_table() {
        let rows = vec![
            Row::compare(
                "P1",
                "64M/4K",
                side("ours", Unit::Seconds, &[0.1, 0.11, 0.12]),
                side("fw_upload", Unit::Seconds, &[0.2]),
                Some(0.8),
            ),
            Row::compare(
                "P6",
                "256M/peak-mem",
                side("ours", Unit::Bytes, &[512.0 * 1048576.0]),
                side("fw_upload", Unit::Bytes, &[256.0 * 1048576.0]),
                None,
            ),
            Row::single(
                "P7",
                "1 card x 64M",
                side("ours x1", Unit::MibPerSecond, &[1234.4]),
            ),
        ];
        assert_eq!(
            report(rows).markdown(),
            "| id | case | A | B | ratio | target | holds |\n\
             |----|------|---|---|-------|--------|-------|\n\
             | P1 | 64M/4K | ours 110 ms ±18.2% | fw_upload 200 ms ±0.0% | 0.55 | ≤ 0.8 | yes |\n\
             | P6 | 256M/peak-mem | ours 512 MiB ±0.0% | fw_upload 256 MiB ±0.0% | 2.00 | — | — |\n\
             | P7 | 1 card x 64M | ours x1 1234 MiB/s ±0.0% | — | — | — | — |\n"
        );
    }

    #[test]
    fn progress_lines() {
        let r = Row::compare(
            "P2",
            "64M/64K",
            side("ours", Unit::Seconds, &[0.03]),
            side("memcpy", Unit::Seconds, &[0.01]),
            Some(1.5),
        );
        assert_eq!(
            r.progress_line(),
            "P2 64M/64K: ours 30.0 ms ±0.0% vs memcpy 10.0 ms ±0.0%, ratio 3.00 \
             (target ≤ 1.5: missed)"
        );
    }

    #[test]
    fn values() {
        assert_eq!(Unit::Seconds.format(0.0123), "12.3 ms");
        assert_eq!(Unit::Seconds.format(1.5), "1500 ms");
        assert_eq!(Unit::Seconds.format(0.00002), "2.00e-2 ms");
        assert_eq!(Unit::SecondsPerMib.format(0.0025), "2.50 ms/MiB");
        assert_eq!(Unit::MibPerSecond.format(87.26), "87.3 MiB/s");
        assert_eq!(Unit::Bytes.format(3.0 * 1048576.0), "3.00 MiB");
        assert_eq!(significant(0.5), "0.500");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(f64::NAN), "?");
    }

    #[test]
    fn machine_from_cpuinfo() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: QEMU Virtual CPU version 2.5+\n\n\
                    processor\t: 1\nmodel name\t: other\n";
        assert_eq!(
            Machine::from_cpuinfo(text, 7),
            Machine {
                cpus: 2,
                model: "QEMU Virtual CPU version 2.5+".into()
            }
        );
        assert_eq!(
            Machine::from_cpuinfo("", 7),
            Machine {
                cpus: 7,
                model: "unknown".into()
            }
        );
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
