// SPDX-License-Identifier: GPL-2.0
//! `fpga-image-bench`: the FPGA Image Load class against upstream fw_upload, and the
//! guard of a CXL DOE mailbox against the PCI core alone, in the guest.
//!
//! # Method
//!
//! Both peers are simulated cards with the same knobs and the same work per block:
//! ours, a card of `fpga_image_load_sim` (`/dev/fpga_imageN`), and upstream's
//! fw_upload, `fpga_image_load_fwpeer` (`/sys/class/firmware/fpga_image_load_fwpeer/`).
//! With `block_delay_us` and `program_ms` at 0 a load costs only what the framework
//! adds: copying the image in, handing it to the card block by block, and telling user
//! space it is over. Each peer is driven as its own tools drive it ([`peers`]), and a
//! load is timed from its first system call to the moment user space has seen it
//! complete with success.
//!
//! Absolute times in a QEMU guest say little, so every result is a ratio of two
//! medians measured in the same boot, in the same process, on the same images: ours
//! over fw_upload (P1, P5, P6), or ours over a user-space floor (P2, P3: a `memcpy` of
//! the image into a pre-faulted buffer; a `write()` of it to tmpfs is reported too).
//! The samples of the two sides alternate (A B B A ...) so that a drift of the host
//! weighs on both. Each case is repeated `--reps` times; the report gives the median,
//! the spread `(max - min) / median` and every raw sample, and whether the ratio meets
//! its target. A missed target is reported, never an error: the tool exits 1 only when
//! a load fails or does not check out (wrong status, a short count in `received`, an
//! `image` that differs), naming the peer and the case; 2 on a bad command line.
//!
//! The measurements: P1 load time in store mode, ours / fw_upload, per size and block
//! size; P2 the same in count mode, ours / memcpy; P3 the `FPGA_IMAGE_LOAD_WRITE` ioctl
//! alone (count mode, 64K blocks) / memcpy; P5 many 4-byte loads back to back, the sum
//! of their load times, ours / fw_upload; P6 time per MiB (store mode, 64K blocks) and
//! the peak kernel memory of a load of the largest size (`MemAvailable` sampled every
//! millisecond; a 4-byte load first empties the card's store), ours and fw_upload; P7
//! the throughput of 1, 2 and 4 sim cards loading at once, first start to last end.
//! Only `block_size`, `block_delay_us`, `program_ms` and `store` are changed, and they
//! are put back as they were at the end.
//!
//! P4 and P4b time DOE discovery exchanges on the first bound `cxl_pci.doe.N` ([`doe`]):
//! in the kernel (`cxl_doe_bench`), through the `cxl_doe` guard / `pci_doe()` alone; and
//! the `doe` tool's register path on the unbound mailbox / the kernel's `pci_doe()`.

mod bench;
mod cli;
mod doe;
mod error;
mod floor;
mod knobs;
mod mem;
mod peers;
mod report;
mod stats;

use bench::{say, Bench};
use clap::Parser;
use cli::Cli;
use error::{Error, Problem};
use report::{Machine, Peers, Report};
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// `uname -r`.
fn kernel_release() -> String {
    rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned()
}

/// The machine, from `/proc/cpuinfo`.
fn machine() -> Machine {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    Machine::from_cpuinfo(&text, cpus)
}

/// Writes `text` to `path`, or to stdout without a path.
fn write_out(path: Option<&Path>, text: &str) -> Result<(), Error> {
    use std::io::Write;
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| Problem::io(p, "write", &e).into()),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| Problem::io(Path::new("stdout"), "write", &e).into()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            say(&e);
            return ExitCode::from(2);
        }
    };
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut report = Report {
        date: report::rfc3339_utc(secs),
        kernel: kernel_release(),
        machine: machine(),
        settings: settings.clone(),
        peers: Peers::default(),
        rows: Vec::new(),
        error: None,
    };
    let result = Bench::new(settings).and_then(|mut bench| {
        report.peers = Peers {
            sim_cards: bench.card_names(),
            fw_upload: bench.has_fw_upload().then(|| peers::FW_NAME.to_string()),
        };
        let r = bench.run();
        report.rows = std::mem::take(&mut bench.rows);
        r
    });
    if let Err(e) = &result {
        report.error = Some(e.to_string());
    }
    let written = report
        .json()
        .map_err(|e| Error::Other(Problem(format!("cannot write the JSON report: {e}"))))
        .and_then(|json| write_out(cli.json.as_deref(), &json))
        .and_then(|()| match &cli.markdown {
            Some(p) => write_out(Some(p), &report.markdown()),
            None => Ok(()),
        });
    let mut code = ExitCode::SUCCESS;
    for e in [result.err(), written.err()].into_iter().flatten() {
        say(&e.to_string());
        code = ExitCode::FAILURE;
    }
    code
}
