// SPDX-License-Identifier: GPL-2.0
//! The command line, sizes such as `64M`, and the settings a run uses.
//!
//! Every option is optional: a value given on the command line wins, then the tiny
//! value of `--smoke`, then the default. [`Cli::settings`] resolves and checks them.
//! A list takes commas or separate words (`--sizes 64M,256M` or `--sizes 64M 256M`),
//! since the guest's `rflbench=` turns commas into spaces.

use clap::{Parser, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;

/// Compare the FPGA Image Load class (/dev/fpga_imageN of fpga_image_load_sim) with
/// upstream fw_upload (fpga_image_load_fwpeer), and the cxl_doe guard of a DOE mailbox
/// with pci_doe() alone (cxl_doe_bench), in the same boot.
///
/// Prints the results as JSON (to --json, else stdout) and as a Markdown table
/// (--markdown). Exits 1 if a load fails; a missed target is only reported.
#[derive(Parser, Debug, Default)]
#[command(name = "fpga-image-bench", version)]
pub struct Cli {
    /// Repetitions of each measurement [default: 5]
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,
    /// Image sizes of P1, P2 and P3 [default: 64M,256M]
    #[arg(long, value_name = "SIZE,...", value_delimiter = ',', num_args = 1.., value_parser = parse_size)]
    pub sizes: Option<Vec<u64>>,
    /// Card block sizes of P1 and P2 [default: 4K,64K,1M]
    #[arg(long, value_name = "SIZE,...", value_delimiter = ',', num_args = 1.., value_parser = parse_size)]
    pub blocks: Option<Vec<u64>>,
    /// Back-to-back 4-byte loads of P5 [default: 1000]
    #[arg(long, value_name = "N")]
    pub small_loads: Option<u32>,
    /// Image sizes of P6 [default: 4M,16M,64M,256M]
    #[arg(long, value_name = "SIZE,...", value_delimiter = ',', num_args = 1.., value_parser = parse_size)]
    pub p6_sizes: Option<Vec<u64>>,
    /// DOE exchanges in each batch of P4 and P4b [default: 1000]
    #[arg(long, value_name = "N")]
    pub doe_exchanges: Option<u32>,
    /// Image size each card loads in P7 [default: 64M]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub p7_size: Option<u64>,
    /// Run only these measurements [default: all]
    #[arg(long, value_name = "ID,...", value_delimiter = ',', num_args = 1.., ignore_case = true)]
    pub only: Option<Vec<BenchId>>,
    /// Write the JSON report here instead of stdout
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the Markdown table here
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Tiny sizes and one repetition, for a CI run that only checks the loads complete
    #[arg(long)]
    pub smoke: bool,
    /// fw_upload: read `status` back to back (yielding the CPU) for this long after
    /// `loading` is 0, before sleeping between reads [default: 1000]
    #[arg(long, value_name = "US")]
    pub fw_spin_us: Option<u64>,
    /// fw_upload: then sleep this long between reads of `status` [default: 1000]
    #[arg(long, value_name = "US")]
    pub fw_poll_us: Option<u64>,
}

/// A measurement of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize)]
pub enum BenchId {
    /// Load time, store mode: ours / fw_upload.
    P1,
    /// Load time, count mode: ours / memcpy.
    P2,
    /// Time until the WRITE ioctl returns / memcpy.
    P3,
    /// DOE exchanges in the kernel: through the cxl_doe guard / pci_doe() alone.
    P4,
    /// DOE exchanges: the doe tool's register path / the kernel's pci_doe().
    P4b,
    /// Many 4-byte loads: ours / fw_upload.
    P5,
    /// Time per MiB and peak kernel memory: ours and fw_upload.
    P6,
    /// Throughput of 1, 2 and 4 cards loading at once.
    P7,
}

impl BenchId {
    /// Every measurement, in the order they run.
    pub const ALL: [BenchId; 8] = [
        BenchId::P1,
        BenchId::P2,
        BenchId::P3,
        BenchId::P4,
        BenchId::P4b,
        BenchId::P5,
        BenchId::P6,
        BenchId::P7,
    ];

    /// `P1` ... `P7`.
    pub fn name(self) -> &'static str {
        match self {
            BenchId::P1 => "P1",
            BenchId::P2 => "P2",
            BenchId::P3 => "P3",
            BenchId::P4 => "P4",
            BenchId::P4b => "P4b",
            BenchId::P5 => "P5",
            BenchId::P6 => "P6",
            BenchId::P7 => "P7",
        }
    }

    /// What the measurement compares, for the progress lines.
    pub fn about(self) -> &'static str {
        match self {
            BenchId::P1 => "load time, store mode: ours / fw_upload",
            BenchId::P2 => "load time, count mode: ours / memcpy",
            BenchId::P3 => "FPGA_IMAGE_LOAD_WRITE ioctl / memcpy",
            BenchId::P4 => "DOE discovery in the kernel: through the cxl_doe guard / pci_doe()",
            BenchId::P4b => "DOE discovery: doe tool registers / kernel pci_doe()",
            BenchId::P5 => "4-byte loads back to back: ours / fw_upload",
            BenchId::P6 => "time per MiB and peak kernel memory: ours and fw_upload",
            BenchId::P7 => "sim cards loading at once: total throughput",
        }
    }

    /// Whether the measurement needs the simulated cards of our class.
    pub fn needs_sim_cards(self) -> bool {
        !self.is_doe()
    }

    /// Whether the measurement is one of the DOE mailbox's (`cxl_doe_bench`).
    pub fn is_doe(self) -> bool {
        matches!(self, BenchId::P4 | BenchId::P4b)
    }

    /// Whether the measurement needs the fw_upload peer.
    pub fn needs_fw_upload(self) -> bool {
        matches!(self, BenchId::P1 | BenchId::P5 | BenchId::P6)
    }
}

/// The most exchanges `cxl_doe_bench` runs in one batch.
pub const DOE_MAX_EXCHANGES: u32 = 100_000;

/// The largest image `struct fpga_image_write` can describe.
pub const MAX_IMAGE: u64 = fpga_image_load::image::MAX_SIZE;

/// What a run does, resolved from the command line; part of the JSON report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Repetitions of each measurement.
    pub reps: u32,
    /// Image sizes of P1, P2 and P3, in bytes.
    pub sizes: Vec<u64>,
    /// Card block sizes of P1 and P2, in bytes.
    pub blocks: Vec<u64>,
    /// Loads of P5.
    pub small_loads: u32,
    /// Image sizes of P6, in bytes.
    pub p6_sizes: Vec<u64>,
    /// Image size of P7, in bytes.
    pub p7_size: u64,
    /// DOE exchanges in each batch of P4 and P4b.
    pub doe_exchanges: u32,
    /// The measurements to run, in order.
    pub only: Vec<BenchId>,
    /// `--smoke`.
    pub smoke: bool,
    /// fw_upload: how long `status` is read back to back, in microseconds.
    pub fw_spin_us: u64,
    /// fw_upload: the sleep between reads of `status` after that, in microseconds.
    pub fw_poll_us: u64,
}

impl Cli {
    /// The settings of this run, or why the command line cannot be run.
    pub fn settings(&self) -> Result<Settings, String> {
        let smoke = self.smoke;
        let pick = |given: &Option<Vec<u64>>, tiny: &[u64], default: &[u64]| {
            given
                .clone()
                .unwrap_or_else(|| if smoke { tiny } else { default }.to_vec())
        };
        let k = 1 << 10;
        let m = 1 << 20;
        let mut only = self.only.clone().unwrap_or_else(|| BenchId::ALL.to_vec());
        only.sort();
        only.dedup();
        let s = Settings {
            reps: self.reps.unwrap_or(if smoke { 1 } else { 5 }),
            sizes: pick(&self.sizes, &[64 * k], &[64 * m, 256 * m]),
            blocks: pick(&self.blocks, &[4 * k], &[4 * k, 64 * k, m]),
            small_loads: self.small_loads.unwrap_or(if smoke { 10 } else { 1000 }),
            p6_sizes: pick(
                &self.p6_sizes,
                &[64 * k, 256 * k],
                &[4 * m, 16 * m, 64 * m, 256 * m],
            ),
            p7_size: self.p7_size.unwrap_or(if smoke { 256 * k } else { 64 * m }),
            doe_exchanges: self.doe_exchanges.unwrap_or(if smoke { 10 } else { 1000 }),
            only,
            smoke,
            fw_spin_us: self.fw_spin_us.unwrap_or(1000),
            fw_poll_us: self.fw_poll_us.unwrap_or(1000),
        };
        s.check()?;
        Ok(s)
    }
}

impl Settings {
    /// Whether `id` runs.
    pub fn runs(&self, id: BenchId) -> bool {
        self.only.contains(&id)
    }

    fn check(&self) -> Result<(), String> {
        if self.reps == 0 {
            return Err("--reps must be at least 1".into());
        }
        if self.small_loads == 0 {
            return Err("--small-loads must be at least 1".into());
        }
        if !(1..=DOE_MAX_EXCHANGES).contains(&self.doe_exchanges) {
            return Err(format!(
                "--doe-exchanges must be 1 to {DOE_MAX_EXCHANGES} (what cxl_doe_bench takes)"
            ));
        }
        let images = [("--sizes", &self.sizes), ("--p6-sizes", &self.p6_sizes)];
        for (opt, sizes) in images {
            for &s in sizes.iter() {
                check_image(opt, s)?;
            }
        }
        check_image("--p7-size", self.p7_size)?;
        for &b in &self.blocks {
            if !(4..=u64::from(u32::MAX)).contains(&b) {
                return Err(format!(
                    "--blocks: {} is not a card block size (4 bytes to 4G - 1)",
                    size_label(b)
                ));
            }
        }
        Ok(())
    }
}

fn check_image(opt: &str, size: u64) -> Result<(), String> {
    if size % 4 != 0 || size > MAX_IMAGE {
        return Err(format!(
            "{opt}: {} is not an image size (a multiple of 4, at most {MAX_IMAGE} bytes)",
            size_label(size)
        ));
    }
    Ok(())
}

/// Parses a size: bytes (`4096`, `0x1000`) or a number with a binary suffix `K`, `M` or
/// `G` (also `KiB`, `MiB`, `GiB`; any case): `64M` is 64 MiB. Zero is refused.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("'{s}' is not a size: expected e.g. 4096, 0x1000, 4K, 64M or 1G");
    let n = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).map_err(|_| bad())?
    } else {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let (num, suffix) = t.split_at(digits);
        let shift = match suffix.to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kib" => 10,
            "m" | "mib" => 20,
            "g" | "gib" => 30,
            _ => return Err(bad()),
        };
        let num: u64 = num.parse().map_err(|_| bad())?;
        num.checked_mul(1 << shift).ok_or_else(bad)?
    };
    if n == 0 {
        return Err(format!("'{s}': a size must not be zero"));
    }
    Ok(n)
}

/// A size as the report names it: `64M`, `4K`, `1G`, else bytes with `B` (`4B`).
pub fn size_label(bytes: u64) -> String {
    const UNITS: [(u32, &str); 3] = [(30, "G"), (20, "M"), (10, "K")];
    for (shift, unit) in UNITS {
        if bytes != 0 && bytes % (1 << shift) == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn cli(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("fpga-image-bench").chain(args.iter().copied()))
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0x1000"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size(" 256m "), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("4B"), Ok(4));
        for bad in [
            "",
            "0",
            "0K",
            "K",
            "4KB",
            "4 K",
            "-4",
            "1.5M",
            "0x",
            "99999999999G",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn labels() {
        assert_eq!(size_label(64 << 20), "64M");
        assert_eq!(size_label(4096), "4K");
        assert_eq!(size_label(1 << 20), "1M");
        assert_eq!(size_label(1 << 30), "1G");
        assert_eq!(size_label(3 << 19), "1536K");
        assert_eq!(size_label(4), "4B");
        assert_eq!(size_label(0), "0B");
        for s in ["64M", "4K", "256K", "4B", "1G"] {
            assert_eq!(parse_size(s).map(size_label).as_deref(), Ok(s));
        }
    }

    #[test]
    fn defaults() {
        let s = cli(&[]).expect("parses").settings().expect("valid");
        assert_eq!(s.reps, 5);
        assert_eq!(s.sizes, vec![64 << 20, 256 << 20]);
        assert_eq!(s.blocks, vec![4 << 10, 64 << 10, 1 << 20]);
        assert_eq!(s.small_loads, 1000);
        assert_eq!(s.p6_sizes, vec![4 << 20, 16 << 20, 64 << 20, 256 << 20]);
        assert_eq!(s.p7_size, 64 << 20);
        assert_eq!(s.doe_exchanges, 1000);
        assert_eq!(s.only, BenchId::ALL.to_vec());
        assert_eq!((s.fw_spin_us, s.fw_poll_us), (1000, 1000));
        assert!(!s.smoke);
    }

    #[test]
    fn smoke_is_tiny_but_explicit_options_win() {
        let s = cli(&["--smoke", "--reps", "2"])
            .expect("parses")
            .settings()
            .expect("valid");
        assert_eq!(s.reps, 2);
        assert_eq!(s.sizes, vec![64 << 10]);
        assert_eq!(s.blocks, vec![4 << 10]);
        assert_eq!(s.small_loads, 10);
        assert_eq!(s.p6_sizes, vec![64 << 10, 256 << 10]);
        assert_eq!(s.p7_size, 256 << 10);
        assert_eq!(s.doe_exchanges, 10);
        assert!(s.smoke);
    }

    #[test]
    fn lists_and_only() {
        let s = cli(&[
            "--sizes",
            "4M,8M",
            "--blocks=4K",
            "--only",
            "p7,P1,p1",
            "--p7-size",
            "1M",
        ])
        .expect("parses")
        .settings()
        .expect("valid");
        assert_eq!(s.sizes, vec![4 << 20, 8 << 20]);
        assert_eq!(s.blocks, vec![4096]);
        assert_eq!(s.only, vec![BenchId::P1, BenchId::P7]);
        assert!(s.runs(BenchId::P7) && !s.runs(BenchId::P2));
        assert_eq!(s.p7_size, 1 << 20);
        assert!(cli(&["--only", "P8"]).is_err());
        let s = cli(&["--only", "p4b,P4", "--doe-exchanges", "7"])
            .expect("parses")
            .settings()
            .expect("valid");
        assert_eq!(s.only, vec![BenchId::P4, BenchId::P4b]);
        assert_eq!(s.doe_exchanges, 7);
        assert!(s.only.iter().all(|id| id.is_doe() && !id.needs_sim_cards()));
        for bad in ["0", "100001"] {
            let c = cli(&["--doe-exchanges", bad]).expect("parses");
            assert!(c.settings().is_err(), "{bad}");
        }
        let s = cli(&[
            "--sizes",
            "4M",
            "8M",
            "--p6-sizes",
            "4M",
            "--only",
            "P6",
            "p1",
        ])
        .expect("parses")
        .settings()
        .expect("valid");
        assert_eq!(s.sizes, vec![4 << 20, 8 << 20]);
        assert_eq!(s.p6_sizes, vec![4 << 20]);
        assert_eq!(s.only, vec![BenchId::P1, BenchId::P6]);
        assert!(cli(&["--reps", "1", "2"]).is_err());
        assert!(cli(&["--sizes", "64X"]).is_err());
    }

    #[test]
    fn bad_settings() {
        for args in [
            &["--reps", "0"][..],
            &["--small-loads", "0"],
            &["--sizes", "6"],
            &["--p6-sizes", "8G"],
            &["--p7-size", "0x3"],
            &["--blocks", "2"],
            &["--blocks", "4G"],
        ] {
            let c = cli(args).expect("parses");
            assert!(c.settings().is_err(), "{args:?} accepted");
        }
        let e = cli(&["--sizes", "6"])
            .expect("parses")
            .settings()
            .expect_err("refused");
        assert_eq!(
            e,
            "--sizes: 6B is not an image size (a multiple of 4, at most 4294967292 bytes)"
        );
    }

    #[test]
    fn fw_upload_is_needed_by_p1_p5_p6() {
        let needs: Vec<_> = BenchId::ALL
            .iter()
            .filter(|b| b.needs_fw_upload())
            .map(|b| b.name())
            .collect();
        assert_eq!(needs, ["P1", "P5", "P6"]);
    }
}
