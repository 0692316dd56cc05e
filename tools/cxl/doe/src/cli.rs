// SPDX-License-Identifier: GPL-2.0
//! The command line: `list`, `bind`, `unbind`, `discover`, `cdat`, `exchange` and `hold`.

use crate::sysfs::{parse_number, MailboxSpec};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// List, bind, unbind and talk to the PCIe DOE mailboxes of CXL memory devices.
///
/// Each DOE mailbox is an auxiliary device cxl_pci.doe.N, bound to the cxl_doe driver
/// by default. MAILBOX is cxl_pci.doe.N, or <bdf>@<offset> such as 0000:0d:00.0@0x190
/// (the PCI device and the offset of its DOE capability). discover and cdat read the
/// driver's attributes while the mailbox is bound, and drive its registers through
/// config space while it is unbound (with CAP_SYS_ADMIN: root); exchange needs an
/// unbound mailbox. A mailbox found busy is left alone unless --force is given.
#[derive(Parser, Debug)]
#[command(name = "doe", version)]
pub struct Cli {
    /// Where sysfs is mounted, `sys` excluded (for tests).
    #[arg(long, hide = true, default_value = "/")]
    pub sysfs_root: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// A 16-bit number: `0x1e98` or decimal.
pub fn parse_u16(s: &str) -> Result<u16, String> {
    parse_number(s)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("'{s}' is not a number from 0 to 0xffff (0x1e98 or decimal)"))
}

/// An 8-bit number: `0x02` or decimal.
pub fn parse_u8(s: &str) -> Result<u8, String> {
    parse_number(s)
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| format!("'{s}' is not a number from 0 to 0xff (0x02 or decimal)"))
}

/// The subcommands.
#[derive(Subcommand, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// List the mailboxes: PCI device, capability offset, driver and protocols.
    ///
    /// The protocols of a bound mailbox come from its driver; those of an unbound one
    /// are not read (see `doe discover`).
    List {
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Give a mailbox back to the cxl_doe driver.
    Bind {
        /// cxl_pci.doe.N or <bdf>@<offset>.
        mailbox: MailboxSpec,
    },
    /// Take a mailbox from its driver, so that its registers are free for this tool.
    Unbind {
        /// cxl_pci.doe.N or <bdf>@<offset>.
        mailbox: MailboxSpec,
    },
    /// List the protocols of a mailbox, a vvvv:tt line each.
    Discover {
        /// cxl_pci.doe.N or <bdf>@<offset>.
        mailbox: MailboxSpec,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        force: Force,
    },
    /// Read and decode the CDAT of a device through one of its mailboxes.
    Cdat {
        /// cxl_pci.doe.N or <bdf>@<offset>.
        mailbox: MailboxSpec,
        /// Write the table's bytes to stdout.
        #[arg(long, conflicts_with = "json")]
        raw: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        force: Force,
    },
    /// Send a data object to an unbound mailbox and write the response payload to stdout.
    ///
    /// REQUEST is a file holding the request payload (little-endian DWs, without the
    /// 2-DW header), `-` for stdin.
    Exchange {
        /// cxl_pci.doe.N or <bdf>@<offset>.
        mailbox: MailboxSpec,
        /// Vendor ID of the protocol, e.g. 0x1e98.
        #[arg(long, value_parser = parse_u16)]
        vendor: u16,
        /// Data object type of the protocol, e.g. 0x02.
        #[arg(long = "type", value_name = "TYPE", value_parser = parse_u8)]
        kind: u8,
        /// The request payload.
        request: PathBuf,
        #[command(flatten)]
        force: Force,
    },
    /// Run a command while holding an unbound mailbox, so that no bind takes it back.
    ///
    /// Holds the mailbox through /dev/cxl_doe for as long as COMMAND runs, as discover,
    /// cdat and exchange do for their own exchanges: a bind meanwhile waits for up to
    /// 10 s, and then fails with EBUSY. The hold is an open file that COMMAND and its
    /// children inherit: a doe they run on the mailbox shares it, and a child left
    /// running keeps the mailbox held after COMMAND exits. Exits with COMMAND's status.
    Hold {
        /// cxl_pci.doe.N or <bdf>@<offset>.
        mailbox: MailboxSpec,
        /// The command and its arguments.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
}

/// `--force`, of the subcommands that drive the registers of an unbound mailbox.
#[derive(clap::Args, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Force {
    /// Abort what a busy mailbox is doing.
    ///
    /// A mailbox that shows Busy, Data Object Ready or Error is in the middle of an
    /// exchange, perhaps the kernel's or firmware's, or has one left over. Without
    /// --force the tool waits 1 s for it to finish and then gives up, touching nothing;
    /// with --force it aborts the mailbox (DOE Abort) and goes on. (No effect on a
    /// bound mailbox, whose attributes are read.)
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sysfs::Bdf;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cmd, clap::Error> {
        Cli::try_parse_from(std::iter::once("doe").chain(args.iter().copied())).map(|c| c.cmd)
    }

    fn at(offset: u32) -> MailboxSpec {
        MailboxSpec::At {
            bdf: Bdf {
                domain: 0,
                bus: 0x0d,
                dev: 0,
                func: 0,
            },
            offset,
        }
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn list() {
        assert_eq!(parse(&["list"]).expect("parses"), Cmd::List { json: false });
        assert_eq!(
            parse(&["list", "--json"]).expect("parses"),
            Cmd::List { json: true }
        );
    }

    #[test]
    fn bind_and_unbind() {
        assert_eq!(
            parse(&["bind", "cxl_pci.doe.3"]).expect("parses"),
            Cmd::Bind {
                mailbox: MailboxSpec::Name(3)
            }
        );
        assert_eq!(
            parse(&["unbind", "0000:0d:00.0@0x190"]).expect("parses"),
            Cmd::Unbind { mailbox: at(0x190) }
        );
    }

    #[test]
    fn discover_and_cdat() {
        assert_eq!(
            parse(&["discover", "cxl_pci.doe.0", "--json"]).expect("parses"),
            Cmd::Discover {
                mailbox: MailboxSpec::Name(0),
                json: true,
                force: Force::default(),
            }
        );
        assert_eq!(
            parse(&["cdat", "--raw", "0d:00.0@400"]).expect("parses"),
            Cmd::Cdat {
                mailbox: at(400),
                raw: true,
                json: false,
                force: Force::default(),
            }
        );
        assert_eq!(
            parse(&["cdat", "cxl_pci.doe.1"]).expect("parses"),
            Cmd::Cdat {
                mailbox: MailboxSpec::Name(1),
                raw: false,
                json: false,
                force: Force::default(),
            }
        );
        let e = parse(&["cdat", "cxl_pci.doe.1", "--raw", "--json"]).expect_err("both");
        assert_eq!(e.kind(), ErrorKind::ArgumentConflict);
    }

    #[test]
    fn exchange() {
        assert_eq!(
            parse(&[
                "exchange",
                "cxl_pci.doe.2",
                "--vendor",
                "0x1e98",
                "--type",
                "2",
                "req.bin"
            ])
            .expect("parses"),
            Cmd::Exchange {
                mailbox: MailboxSpec::Name(2),
                vendor: 0x1e98,
                kind: 2,
                request: PathBuf::from("req.bin"),
                force: Force::default(),
            }
        );
        for (args, kind) in [
            (
                &["exchange", "cxl_pci.doe.2", "--type", "2", "r"][..],
                ErrorKind::MissingRequiredArgument,
            ),
            (
                &["exchange", "cxl_pci.doe.2", "--vendor", "1", "r"],
                ErrorKind::MissingRequiredArgument,
            ),
            (
                &["exchange", "cxl_pci.doe.2", "--vendor", "1", "--type", "0"],
                ErrorKind::MissingRequiredArgument,
            ),
            (
                &[
                    "exchange",
                    "cxl_pci.doe.2",
                    "--vendor",
                    "0x10000",
                    "--type",
                    "0",
                    "r",
                ],
                ErrorKind::ValueValidation,
            ),
            (
                &[
                    "exchange",
                    "cxl_pci.doe.2",
                    "--vendor",
                    "1",
                    "--type",
                    "256",
                    "r",
                ],
                ErrorKind::ValueValidation,
            ),
            (
                &[
                    "exchange",
                    "cxl_pci.doe.2",
                    "--vendor",
                    "-1",
                    "--type",
                    "0",
                    "r",
                ],
                ErrorKind::UnknownArgument,
            ),
        ] {
            let e = parse(args).expect_err("bad exchange");
            assert_eq!(e.kind(), kind, "{args:?}");
        }
        let e = parse(&[
            "exchange",
            "cxl_pci.doe.2",
            "--vendor",
            "0x10000",
            "--type",
            "0",
            "r",
        ])
        .expect_err("too large");
        assert!(
            e.to_string()
                .contains("'0x10000' is not a number from 0 to 0xffff"),
            "{e}"
        );
    }

    #[test]
    fn force_belongs_to_the_register_subcommands() {
        let forced = Force { force: true };
        assert_eq!(
            parse(&["discover", "--force", "cxl_pci.doe.0"]).expect("parses"),
            Cmd::Discover {
                mailbox: MailboxSpec::Name(0),
                json: false,
                force: forced,
            }
        );
        assert_eq!(
            parse(&["cdat", "cxl_pci.doe.0", "--force", "--raw"]).expect("parses"),
            Cmd::Cdat {
                mailbox: MailboxSpec::Name(0),
                raw: true,
                json: false,
                force: forced,
            }
        );
        assert_eq!(
            parse(&[
                "exchange",
                "--force",
                "cxl_pci.doe.2",
                "--vendor",
                "1",
                "--type",
                "0",
                "r"
            ])
            .expect("parses"),
            Cmd::Exchange {
                mailbox: MailboxSpec::Name(2),
                vendor: 1,
                kind: 0,
                request: PathBuf::from("r"),
                force: forced,
            }
        );
        for args in [
            &["list", "--force"][..],
            &["bind", "--force", "cxl_pci.doe.0"],
            &["unbind", "--force", "cxl_pci.doe.0"],
            &["--force", "discover", "cxl_pci.doe.0"],
        ] {
            let e = parse(args).expect_err("no --force there");
            assert_eq!(e.kind(), ErrorKind::UnknownArgument, "{args:?}");
        }
    }

    #[test]
    fn bad_mailboxes_are_rejected() {
        for bad in [
            "cxl_pci.doe.x",
            "doe3",
            "0000:0d:00.0@0x191",
            "0000:0d:00.0",
        ] {
            for args in [
                vec!["bind", bad],
                vec!["unbind", bad],
                vec!["discover", bad],
                vec!["cdat", bad],
                vec!["exchange", bad, "--vendor", "1", "--type", "0", "r"],
            ] {
                let e = parse(&args).expect_err("bad mailbox accepted");
                assert_eq!(e.kind(), ErrorKind::ValueValidation, "{args:?}");
                assert!(
                    e.to_string()
                        .contains("expected cxl_pci.doe.N or <bdf>@<offset>"),
                    "{args:?}: {e}"
                );
            }
        }
    }

    #[test]
    fn flags_belong_to_their_subcommand() {
        assert!(parse(&["bind", "cxl_pci.doe.0", "--json"]).is_err());
        assert!(parse(&["discover", "cxl_pci.doe.0", "--raw"]).is_err());
        assert!(parse(&["list", "cxl_pci.doe.0"]).is_err());
        assert!(parse(&["frobnicate"]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn sysfs_root_is_hidden_but_works() {
        let cli = Cli::try_parse_from(["doe", "--sysfs-root", "/tmp/x", "list"]).expect("parses");
        assert_eq!(cli.sysfs_root, PathBuf::from("/tmp/x"));
        let cli = Cli::try_parse_from(["doe", "list"]).expect("parses");
        assert_eq!(cli.sysfs_root, PathBuf::from("/"));
        let help = Cli::command().render_long_help().to_string();
        assert!(!help.contains("sysfs-root"), "{help}");
    }
}
