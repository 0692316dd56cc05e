// SPDX-License-Identifier: GPL-2.0
//! `fpga-image-load`: drive an FPGA image load device from user space.
//!
//! Exit status: 0 on success, 1 on an error or a failed load, 2 on a bad command line.

use clap::Parser;
use fpga_image_load::{app, cli::Cli, report::Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(&cli.cmd) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("fpga-image-load: {e}");
            ExitCode::FAILURE
        }
    }
}
