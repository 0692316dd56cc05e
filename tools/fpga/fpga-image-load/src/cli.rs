// SPDX-License-Identifier: GPL-2.0
//! The command line: `write`, `status`, `cancel` and `wait`.

use crate::device::Device;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Load images into FPGA cards through /dev/fpga_imageN.
///
/// A load runs in the kernel: it goes on when this tool exits, and can take as long as
/// 40 minutes. DEVICE is /dev/fpga_imageN, fpga_imageN or N.
#[derive(Parser, Debug)]
#[command(name = "fpga-image-load", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// The subcommands.
#[derive(Subcommand, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// Start loading an image, and wait for the end of the load.
    ///
    /// Shows a progress bar on a terminal, else a line per stage. Ctrl-C asks whether to
    /// cancel the load; if not, the load keeps running and the tool exits. Exits 0 when
    /// the load completed, 1 when it failed.
    Write {
        /// /dev/fpga_imageN, fpga_imageN or N.
        device: Device,
        /// The image file. Its size must be a multiple of 4 (see --pad).
        image: PathBuf,
        /// Pad the image with zero bytes to a multiple of 4.
        #[arg(long)]
        pad: bool,
        /// Return as soon as the load has started.
        #[arg(long)]
        no_wait: bool,
    },
    /// Show the state of a device's load and the last load's error.
    Status {
        /// /dev/fpga_imageN, fpga_imageN or N.
        device: Device,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Cancel the running load.
    Cancel {
        /// /dev/fpga_imageN, fpga_imageN or N.
        device: Device,
    },
    /// Wait for the end of the running load and print its result.
    ///
    /// Exits 0 when the load completed (or none ran), 1 when it failed.
    Wait {
        /// /dev/fpga_imageN, fpga_imageN or N.
        device: Device,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cmd, clap::Error> {
        Cli::try_parse_from(std::iter::once("fpga-image-load").chain(args.iter().copied()))
            .map(|c| c.cmd)
    }

    fn dev(index: u32) -> Device {
        Device { index }
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn write() {
        assert_eq!(
            parse(&["write", "/dev/fpga_image1", "img.bin"]).expect("parses"),
            Cmd::Write {
                device: dev(1),
                image: PathBuf::from("img.bin"),
                pad: false,
                no_wait: false,
            }
        );
        assert_eq!(
            parse(&["write", "--pad", "--no-wait", "2", "/tmp/a"]).expect("parses"),
            Cmd::Write {
                device: dev(2),
                image: PathBuf::from("/tmp/a"),
                pad: true,
                no_wait: true,
            }
        );
        assert_eq!(
            parse(&["write", "fpga_image0", "a", "--no-wait"]).expect("parses"),
            Cmd::Write {
                device: dev(0),
                image: PathBuf::from("a"),
                pad: false,
                no_wait: true,
            }
        );
    }

    #[test]
    fn write_needs_an_image() {
        let e = parse(&["write", "0"]).expect_err("no image");
        assert_eq!(e.kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn status() {
        assert_eq!(
            parse(&["status", "fpga_image2"]).expect("parses"),
            Cmd::Status {
                device: dev(2),
                json: false
            }
        );
        assert_eq!(
            parse(&["status", "--json", "/dev/fpga_image10"]).expect("parses"),
            Cmd::Status {
                device: dev(10),
                json: true
            }
        );
    }

    #[test]
    fn cancel_and_wait() {
        assert_eq!(
            parse(&["cancel", "3"]).expect("parses"),
            Cmd::Cancel { device: dev(3) }
        );
        assert_eq!(
            parse(&["wait", "/dev/fpga_image4"]).expect("parses"),
            Cmd::Wait { device: dev(4) }
        );
    }

    #[test]
    fn device_spellings() {
        for s in ["/dev/fpga_image5", "fpga_image5", "5"] {
            for args in [
                vec!["status", s],
                vec!["cancel", s],
                vec!["wait", s],
                vec!["write", s, "x"],
            ] {
                let cmd = parse(&args).expect("parses");
                let d = match cmd {
                    Cmd::Write { device, .. }
                    | Cmd::Status { device, .. }
                    | Cmd::Cancel { device }
                    | Cmd::Wait { device } => device,
                };
                assert_eq!(d, dev(5), "{args:?}");
            }
        }
    }

    #[test]
    fn bad_devices_are_rejected() {
        for bad in ["sda", "/dev/sda", "fpga_image", "-1", "07", "fpga_imagex"] {
            for args in [
                vec!["status", "--", bad],
                vec!["cancel", "--", bad],
                vec!["wait", "--", bad],
                vec!["write", "--", bad, "x"],
            ] {
                let e = parse(&args).expect_err("bad device accepted");
                assert_eq!(e.kind(), ErrorKind::ValueValidation, "{args:?}");
                assert!(
                    e.to_string().contains("expected /dev/fpga_imageN"),
                    "{args:?}: {e}"
                );
            }
        }
    }

    #[test]
    fn flags_belong_to_their_subcommand() {
        assert!(parse(&["status", "0", "--pad"]).is_err());
        assert!(parse(&["cancel", "0", "--json"]).is_err());
        assert!(parse(&["wait", "0", "--no-wait"]).is_err());
        assert!(parse(&["write", "0", "x", "--json"]).is_err());
        assert!(parse(&["frobnicate", "0"]).is_err());
        assert!(parse(&[]).is_err());
    }
}
