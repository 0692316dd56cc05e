// SPDX-License-Identifier: GPL-2.0
//! P4 and P4b: what the guard of a CXL DOE mailbox costs.
//!
//! Both time DOE discovery exchanges (index 0, one DW back) on one mailbox,
//! `cxl_pci.doe.N`, bound to `cxl_doe` at the start:
//!
//! - P4, in the kernel: the `cxl_doe_bench` module runs exchanges through the guard
//!   (`cxl_doe_get_mb()`, `pci_doe()`, `cxl_doe_put_mb()` for each) and `pci_doe()` alone
//!   on the same mailbox, as the CXL core calls it, interleaved one by one, and gives the
//!   nanoseconds each way took in all;
//! - P4b, from user space: the mailbox is unbound (handed to user space) and the `doe`
//!   tool's own register path ([`doe::app::App::open_registers`]: config space through
//!   sysfs, the ownership rechecked before each exchange) runs a batch, against the
//!   direct exchanges of a kernel run after binding it back. Binding and unbinding are not
//!   timed.
//!
//! The mailbox is bound again at the end, whatever happened.

use crate::bench::{alternate, say};
use crate::error::{Error, Problem};
use crate::knobs::{read_attr, write_attr};
use crate::report::{Row, Side, Unit};
use doe::app::{App, RealSystem};
use doe::cli::{Cmd, Force};
use doe::discovery;
use doe::mailbox::Transport;
use doe::sysfs::{MailboxSpec, Sysfs};
use std::path::PathBuf;
use std::time::Instant;

/// The debugfs directory of the `cxl_doe_bench` module.
pub const BENCH_DEBUGFS: &str = "/sys/kernel/debug/cxl_doe_bench";

/// What the error messages call the kernel side.
const KERNEL_PEER: &str = "cxl_doe_bench";

/// The kernel's runs: `cxl_doe_bench`'s debugfs files.
#[derive(Debug, Clone)]
pub struct KernelBench {
    dir: PathBuf,
}

/// What a kernel run took, in seconds, each way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelRun {
    /// The exchanges through the guard of `cxl_doe`.
    pub guarded: f64,
    /// The exchanges of `pci_doe()` alone.
    pub direct: f64,
}

/// Parses what `result` reads, `<exchanges> <guarded ns> <direct ns>`, checking that the
/// run had `exchanges` exchanges each way.
pub fn parse_result(text: &str, exchanges: u32) -> Result<KernelRun, Problem> {
    let bad = || Problem(format!("unexpected result {:?}", text.trim()));
    let words: Vec<&str> = text.split_whitespace().collect();
    let [n, guarded, direct] = words[..] else {
        return Err(bad());
    };
    let n: u32 = n.parse().map_err(|_| bad())?;
    let ns = |w: &str| {
        w.parse::<u64>()
            .map(|ns| ns as f64 / 1e9)
            .map_err(|_| bad())
    };
    if n != exchanges {
        return Err(Problem(format!(
            "the last run had {n} exchanges, not the {exchanges} asked for"
        )));
    }
    Ok(KernelRun {
        guarded: ns(guarded)?,
        direct: ns(direct)?,
    })
}

impl KernelBench {
    /// The module's directory, if it is there.
    pub fn find() -> Option<Self> {
        let dir = PathBuf::from(BENCH_DEBUGFS);
        dir.join("mailbox").exists().then_some(KernelBench { dir })
    }

    /// Points the module at `mailbox`.
    fn select(&self, mailbox: &str) -> Result<(), Problem> {
        write_attr(&self.dir.join("mailbox"), mailbox)
    }

    /// Runs `exchanges` exchanges each way, interleaved: what each way took.
    fn run(&self, exchanges: u32) -> Result<KernelRun, Problem> {
        write_attr(&self.dir.join("run"), &exchanges.to_string())?;
        parse_result(&read_attr(&self.dir.join("result"))?, exchanges)
    }
}

/// The mailbox both measurements use, and the `doe` tool's view of sysfs.
struct Mailbox {
    app: App<RealSystem>,
    spec: MailboxSpec,
    name: String,
}

impl Mailbox {
    /// The first mailbox bound to a driver.
    fn find() -> Result<Self, Problem> {
        let app = App {
            sysfs: Sysfs::new("/"),
            system: RealSystem,
        };
        let mbs = app
            .sysfs
            .mailboxes()
            .map_err(|e| Problem(format!("listing the DOE mailboxes: {e}")))?;
        let mb = mbs
            .into_iter()
            .find(|mb| mb.driver.is_some())
            .ok_or_else(|| Problem("no cxl_pci.doe.N is bound to cxl_doe".into()))?;
        Ok(Mailbox {
            app,
            spec: MailboxSpec::Name(mb.index),
            name: mb.name,
        })
    }

    /// Whether the mailbox is bound now.
    fn bound(&self) -> Result<bool, Problem> {
        let mb = self
            .app
            .sysfs
            .resolve(&self.spec)
            .map_err(|e| Problem(e.to_string()))?;
        Ok(mb.driver.is_some())
    }

    /// Binds the mailbox to `cxl_doe` (`true`) or hands it to user space, unless it is
    /// already so.
    fn set_bound(&self, bound: bool) -> Result<(), Problem> {
        if self.bound()? == bound {
            return Ok(());
        }
        let mailbox = self.spec;
        let cmd = if bound {
            Cmd::Bind { mailbox }
        } else {
            Cmd::Unbind { mailbox }
        };
        self.app
            .run(&cmd, &mut std::io::sink())
            .map_err(|e| Problem(e.to_string()))
    }

    /// `exchanges` discovery exchanges through the `doe` tool's register path: the
    /// seconds they took, opening the registers included (once per batch).
    fn user_batch(&self, exchanges: u32) -> Result<f64, Problem> {
        self.set_bound(false)?;
        let start = Instant::now();
        let mut regs = self
            .app
            .open_registers(&self.spec, "the benchmark", Force::default())
            .map_err(|e| Problem(e.to_string()))?;
        let req = discovery::request(0, regs.capability_version());
        for _ in 0..exchanges {
            let rsp = regs
                .exchange(&req)
                .map_err(|e| Problem(format!("{}: {e}", self.name)))?;
            if rsp.payload.len() != 1 {
                return Err(Problem(format!(
                    "{}: a discovery response of {} DWs, not 1",
                    self.name,
                    rsp.payload.len()
                )));
            }
        }
        Ok(start.elapsed().as_secs_f64())
    }

    /// A kernel run of `exchanges` exchanges each way, with the mailbox bound.
    fn kernel_run(&self, k: &KernelBench, exchanges: u32) -> Result<KernelRun, Problem> {
        self.set_bound(true)?;
        k.run(exchanges)
    }
}

/// Wraps a problem of the DOE measurements as an error of `case`.
fn doe_error(peer: &str, case: &str) -> impl Fn(Problem) -> Error {
    let (peer, case) = (peer.to_string(), case.to_string());
    move |p| Error::load(&peer, &case, p)
}

/// P4 and P4b, as `p4` and `p4b` say, `reps` times `exchanges` exchanges.
pub fn run(p4: bool, p4b: bool, reps: u32, exchanges: u32) -> Result<Vec<Row>, Error> {
    let k = KernelBench::find().ok_or_else(|| {
        Error::Other(Problem(format!(
            "{BENCH_DEBUGFS}: no such directory (is cxl_doe_bench built in or loaded?)"
        )))
    })?;
    let mb = Mailbox::find().map_err(Error::Other)?;
    say(&format!("DOE mailbox: {}", mb.name));
    k.select(&mb.name)
        .map_err(doe_error(KERNEL_PEER, "setup"))?;
    let case = format!("{exchanges}x discovery");
    let mut rows = Vec::new();
    let result = (|| {
        if p4 {
            let what = format!("P4 {case}");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..reps {
                let r = mb
                    .kernel_run(&k, exchanges)
                    .map_err(doe_error(KERNEL_PEER, &what))?;
                a.push(r.guarded);
                b.push(r.direct);
            }
            rows.push(Row::compare(
                "P4",
                &case,
                Side::new("guarded (cxl_doe_get_mb)", Unit::Seconds, a),
                Side::new("pci_doe()", Unit::Seconds, b),
                Some(1.02),
            ));
        }
        if p4b {
            let what = format!("P4b {case}");
            let (a, b) = alternate(
                &mut (),
                reps,
                |_| mb.user_batch(exchanges),
                |_| mb.kernel_run(&k, exchanges).map(|r| r.direct),
            )
            .map_err(doe_error("doe tool", &what))?;
            rows.push(Row::compare(
                "P4b",
                &case,
                Side::new("doe tool registers", Unit::Seconds, a),
                Side::new("kernel pci_doe()", Unit::Seconds, b),
                None,
            ));
        }
        Ok(())
    })();
    let rebound = mb
        .set_bound(true)
        .map_err(doe_error("doe tool", "binding back"));
    result.and(rebound).map(|()| rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_parsed() {
        assert_eq!(
            parse_result("1000 2000000000 1500000000\n", 1000),
            Ok(KernelRun {
                guarded: 2.0,
                direct: 1.5
            })
        );
        assert!(parse_result("999 2000 3000\n", 1000)
            .unwrap_err()
            .0
            .contains("999 exchanges"));
        for bad in ["", "1000", "1000 x 5", "1000 1", "1000 1 2 3", "-1 5 5"] {
            assert!(parse_result(bad, 1000).is_err(), "{bad:?}");
        }
    }
}
