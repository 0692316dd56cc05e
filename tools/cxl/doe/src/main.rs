// SPDX-License-Identifier: GPL-2.0
//! `doe`: list, bind, unbind and talk to the DOE mailboxes of CXL memory devices.
//!
//! Exit status: 0 on success, 1 on an error, 2 on a bad command line; `hold` exits with its
//! command's status.

use clap::Parser;
use doe::app::{App, RealSystem};
use doe::cli::Cli;
use doe::error::Error;
use doe::sysfs::Sysfs;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let app = App {
        sysfs: Sysfs::new(cli.sysfs_root),
        system: RealSystem,
    };
    let mut out = std::io::stdout().lock();
    let r = app
        .run(&cli.cmd, &mut out)
        .and_then(|()| out.flush().map_err(Error::Output));
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("doe: {e}");
            match e {
                // `hold` exits with its command's status.
                Error::Command {
                    code: Some(code), ..
                } => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
