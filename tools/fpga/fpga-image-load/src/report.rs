// SPDX-License-Identifier: GPL-2.0
//! What the tool prints about a load: status lines, JSON, stage changes and results.
//!
//! Pure functions of an [`ImageStatus`]; the words are those of the name tables in
//! [`crate::abi`], which are also the words of the sysfs attributes.

use crate::abi::{self, ImageStatus};
use crate::device::Device;
use serde::Serialize;

/// The word for a progress code; `unknown(N)` for a code this tool does not know.
pub fn stage_word(code: u32) -> String {
    abi::progress_name(code).map_or_else(|| format!("unknown({code})"), str::to_string)
}

/// The word for an error code; `unknown(N)` for a code this tool does not know.
pub fn error_word(code: u32) -> String {
    abi::error_name(code).map_or_else(|| format!("unknown({code})"), str::to_string)
}

/// The last load's failure: the stage it failed at, and the error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The stage, `err_progress` in words.
    pub stage: String,
    /// The error, `err_code` in words.
    pub code: String,
}

/// The failure of the last load, or `None` if it succeeded (or none ran).
pub fn last_failure(st: &ImageStatus) -> Option<Failure> {
    (st.err_code != abi::ERR_NONE).then(|| Failure {
        stage: stage_word(st.err_progress),
        code: error_word(st.err_code),
    })
}

/// `fpga-image-load status`: one line with the progress, the remaining size and the
/// last error, `<stage>:<error>` or `none`.
pub fn status_line(dev: &Device, st: &ImageStatus) -> String {
    let error = match last_failure(st) {
        Some(f) => format!("{}:{}", f.stage, f.code),
        None => "none".to_string(),
    };
    format!(
        "{}: progress {}, remaining_size {}, error {error}",
        dev.name(),
        stage_word(st.progress),
        st.remaining_size
    )
}

/// `fpga-image-load status --json`: the object serialized by [`status_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusJson {
    /// `fpga_imageN`.
    pub device: String,
    /// The stage of the running load, `idle` if none.
    pub progress: String,
    /// Bytes not yet written to the card.
    pub remaining_size: u32,
    /// The failure of the last load, `null` if it succeeded.
    pub error: Option<Failure>,
}

/// The JSON status object of `dev`.
pub fn status_object(dev: &Device, st: &ImageStatus) -> StatusJson {
    StatusJson {
        device: dev.name(),
        progress: stage_word(st.progress),
        remaining_size: st.remaining_size,
        error: last_failure(st),
    }
}

/// `fpga-image-load status --json`: one line of JSON.
pub fn status_json(dev: &Device, st: &ImageStatus) -> Result<String, serde_json::Error> {
    serde_json::to_string(&status_object(dev, st))
}

/// How a load ended, and so the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done: exit 0.
    Success,
    /// The load failed: exit 1.
    Failed,
}

/// The result of a load that has ended: `fpga_imageN: load complete (SIZE bytes)` or
/// `fpga_imageN: load failed while <stage>: <error>`.
///
/// `size` is the image size when this process started the load, `None` when it only
/// waited for it.
pub fn result_line(dev: &Device, st: &ImageStatus, size: Option<u64>) -> (Outcome, String) {
    match (last_failure(st), size) {
        (Some(f), _) => (
            Outcome::Failed,
            format!("{}: load failed while {}: {}", dev.name(), f.stage, f.code),
        ),
        (None, Some(size)) => (
            Outcome::Success,
            format!("{}: load complete ({size} bytes)", dev.name()),
        ),
        (None, None) => (Outcome::Success, format!("{}: load complete", dev.name())),
    }
}

/// The line printed, when no progress bar is drawn, as a load enters a stage.
pub fn stage_line(dev: &Device, st: &ImageStatus) -> String {
    if st.progress == abi::PROG_WRITING {
        format!("{}: writing, {} bytes left", dev.name(), st.remaining_size)
    } else {
        format!("{}: {}", dev.name(), stage_word(st.progress))
    }
}

/// What is printed when the tool leaves a load running.
pub fn left_running_line(dev: &Device) -> String {
    format!(
        "{0}: the load keeps running; check it with `fpga-image-load status {0}`",
        dev.name()
    )
}

/// The question asked on Ctrl-C.
pub fn cancel_question(dev: &Device) -> String {
    format!("Cancel the load on {}? [y/N] ", dev.name())
}

/// Whether an answer to [`cancel_question`] is yes; anything but `y`/`yes` is no.
pub fn is_yes(answer: &str) -> bool {
    let a = answer.trim();
    a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: Device = Device { index: 0 };

    fn st(remaining_size: u32, progress: u32, err_progress: u32, err_code: u32) -> ImageStatus {
        ImageStatus {
            remaining_size,
            progress,
            err_progress,
            err_code,
        }
    }

    #[test]
    fn status_line_without_error() {
        assert_eq!(
            status_line(&DEV, &st(123, 3, 0, 0)),
            "fpga_image0: progress writing, remaining_size 123, error none"
        );
        assert_eq!(
            status_line(&DEV, &st(0, 0, 0, 0)),
            "fpga_image0: progress idle, remaining_size 0, error none"
        );
    }

    #[test]
    fn status_line_with_error() {
        assert_eq!(
            status_line(&DEV, &st(4096, 0, 3, 1)),
            "fpga_image0: progress idle, remaining_size 4096, error writing:hw-error"
        );
        assert_eq!(
            status_line(&DEV, &st(0, 9, 7, 42)),
            "fpga_image0: progress unknown(9), remaining_size 0, error unknown(7):unknown(42)"
        );
    }

    #[test]
    fn json_without_error() {
        let j = status_json(&DEV, &st(123, 3, 0, 0)).expect("serializes");
        assert_eq!(
            j,
            r#"{"device":"fpga_image0","progress":"writing","remaining_size":123,"error":null}"#
        );
    }

    #[test]
    fn json_with_error() {
        let j = status_json(&Device { index: 7 }, &st(5, 0, 3, 1)).expect("serializes");
        assert_eq!(
            j,
            r#"{"device":"fpga_image7","progress":"idle","remaining_size":5,"error":{"stage":"writing","code":"hw-error"}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&j).expect("parses");
        assert_eq!(v["error"]["code"], "hw-error");
        assert_eq!(v["remaining_size"], 5);
    }

    #[test]
    fn results() {
        assert_eq!(
            result_line(&DEV, &st(0, 0, 0, 0), Some(4096)),
            (
                Outcome::Success,
                "fpga_image0: load complete (4096 bytes)".to_string()
            )
        );
        assert_eq!(
            result_line(&DEV, &st(0, 0, 0, 0), None),
            (Outcome::Success, "fpga_image0: load complete".to_string())
        );
        assert_eq!(
            result_line(&DEV, &st(1024, 0, 3, 3), Some(4096)),
            (
                Outcome::Failed,
                "fpga_image0: load failed while writing: canceled".to_string()
            )
        );
        assert_eq!(
            result_line(&DEV, &st(0, 0, 4, 2), None).1,
            "fpga_image0: load failed while programming: timeout"
        );
    }

    #[test]
    fn stage_lines() {
        assert_eq!(stage_line(&DEV, &st(8, 1, 0, 0)), "fpga_image0: starting");
        assert_eq!(stage_line(&DEV, &st(8, 2, 0, 0)), "fpga_image0: preparing");
        assert_eq!(
            stage_line(&DEV, &st(8, 3, 0, 0)),
            "fpga_image0: writing, 8 bytes left"
        );
        assert_eq!(
            stage_line(&DEV, &st(0, 4, 0, 0)),
            "fpga_image0: programming"
        );
    }

    #[test]
    fn interrupt_texts() {
        assert_eq!(
            cancel_question(&Device { index: 3 }),
            "Cancel the load on fpga_image3? [y/N] "
        );
        assert_eq!(
            left_running_line(&Device { index: 3 }),
            "fpga_image3: the load keeps running; check it with `fpga-image-load status fpga_image3`"
        );
        for yes in ["y", "Y", "yes", "YES\n", " y \n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "N", "yy", "sure", "ye"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}
