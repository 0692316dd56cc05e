// SPDX-License-Identifier: GPL-2.0
//! The subcommands, run: what `main` calls.

use crate::card::{Card, Loader};
use crate::cli::Cmd;
use crate::device::Device;
use crate::error::Error;
use crate::image;
use crate::report::{self, Outcome};
use crate::watch::{self, Ended};
use std::io::Write;
use std::path::Path;

/// Prints a line on stdout. A stdout that is gone (the reader of a pipe was killed by
/// the same Ctrl-C) must not turn into a panic: the exit status still tells the result.
fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Runs `cmd`. An `Err` is printed by `main` and exits 1, as does [`Outcome::Failed`].
pub fn run(cmd: &Cmd) -> Result<Outcome, Error> {
    match cmd {
        Cmd::Write {
            device,
            image,
            pad,
            no_wait,
        } => write(device, image, *pad, *no_wait),
        Cmd::Status { device, json } => status(device, *json),
        Cmd::Cancel { device } => cancel(device),
        Cmd::Wait { device } => wait(device),
    }
}

fn write(dev: &Device, path: &Path, pad: bool, no_wait: bool) -> Result<Outcome, Error> {
    let mut data = std::fs::read(path).map_err(|err| Error::ImageFile {
        path: path.to_path_buf(),
        err,
    })?;
    let padded_from = image::prepare(&mut data, pad).map_err(|problem| Error::Image {
        path: path.to_path_buf(),
        problem,
    })?;
    if let Some(len) = padded_from {
        eprintln!(
            "fpga-image-load: {}: padded from {len} to {} bytes",
            path.display(),
            data.len()
        );
    }
    let card = Card::open(dev)?;
    if !no_wait {
        watch::catch_sigint()?;
    }
    card.write(&data)?;
    let size = data.len() as u64;
    // The kernel has its copy.
    drop(data);
    if no_wait {
        say(&format!(
            "{0}: load started ({size} bytes); follow it with `fpga-image-load wait {0}`",
            dev.name()
        ));
        return Ok(Outcome::Success);
    }
    finish(&card, Some(size))
}

/// Waits for the load on `card` and prints its result.
fn finish(card: &Card, size: Option<u64>) -> Result<Outcome, Error> {
    match watch::wait(card, size)? {
        Ended::Idle(st) => {
            let (outcome, line) = report::result_line(card.device(), &st, size);
            say(&line);
            Ok(outcome)
        }
        Ended::LeftRunning => {
            say(&report::left_running_line(card.device()));
            Ok(Outcome::Success)
        }
    }
}

fn status(dev: &Device, json: bool) -> Result<Outcome, Error> {
    let st = Card::open_read_only(dev)?.status()?;
    if json {
        say(&report::status_json(dev, &st).map_err(Error::Json)?);
    } else {
        say(&report::status_line(dev, &st));
    }
    Ok(Outcome::Success)
}

fn cancel(dev: &Device) -> Result<Outcome, Error> {
    Card::open(dev)?.cancel()?;
    say(&format!(
        "{0}: cancel requested; `fpga-image-load wait {0}` shows the result",
        dev.name()
    ));
    Ok(Outcome::Success)
}

fn wait(dev: &Device) -> Result<Outcome, Error> {
    let card = Card::open_read_only(dev)?;
    watch::catch_sigint()?;
    finish(&card, None)
}
