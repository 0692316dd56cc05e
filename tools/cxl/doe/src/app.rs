// SPDX-License-Identifier: GPL-2.0
//! The subcommands, run: what `main` calls.
//!
//! [`App`] holds the sysfs tree and a [`System`] (the effective user, its capabilities,
//! config space and the clock), both replaceable so that the tests run every subcommand
//! against a fake sysfs tree and a simulated mailbox.

use crate::cdat::{self, Cdat, MAX_TABLE};
use crate::cli::{Cmd, Force};
use crate::discovery::{self, Protocol, ProtocolJson};
use crate::error::Error;
use crate::framing::{self, DataObject, HEADER_DWS, MAX_OBJECT_DWS};
use crate::mailbox::{Clock, ConfigSpace, Mailbox, Ownership, SysfsConfig, SystemClock, Transport};
use crate::sysfs::{MailboxInfo, MailboxSpec, Sysfs, DRIVER};
use serde::Serialize;
use std::io::{self, Read, Write};
use std::path::Path;

/// What the tool needs of the system besides sysfs attributes.
pub trait System {
    /// The effective user ID.
    fn euid(&self) -> u32;
    /// CAP_SYS_ADMIN is in the effective set: config space beyond its first 64 bytes,
    /// and writes to it, are allowed.
    fn sys_admin(&self) -> io::Result<bool>;
    /// Opens the config space file of a PCI device for reading and writing.
    fn open_config(&self, path: &Path) -> io::Result<Box<dyn ConfigSpace>>;
    /// A clock for the waits of an exchange.
    fn clock(&self) -> Box<dyn Clock>;
    /// Holds the mailbox `cxl_pci.doe.<index>` for this process until the returned value is
    /// dropped, through `device` (`/dev/cxl_doe`) and its `CXL_DOE_HOLD`. While it is held,
    /// the kernel does not take it back.
    fn hold(&self, device: &Path, index: u32) -> io::Result<Box<dyn std::any::Any>>;
}

/// How long the tool waits for another process that holds a mailbox.
const HOLD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// `CXL_DOE_HOLD`, `include/uapi/linux/cxl_doe.h`.
const CXL_DOE_HOLD: rustix::ioctl::Opcode = rustix::ioctl::opcode::write::<u32>(0xce, 0x40);

/// How `doe hold` passes its hold to its command: `<fd>:<N>`, the open `/dev/cxl_doe` that
/// holds `cxl_pci.doe.<N>`.
pub const HOLD_ENV: &str = "DOE_HOLD";

/// Whether this process inherited a hold of `cxl_pci.doe.<index>` from `doe hold`: `HOLD_ENV`
/// names it, and its fd is open on `device`.
fn inherited_hold(device: &Path, index: u32) -> io::Result<bool> {
    let Some(v) = std::env::var_os(HOLD_ENV) else {
        return Ok(false);
    };
    let Some((fd, n)) = v.to_str().and_then(|v| v.split_once(':')) else {
        return Ok(false);
    };
    let (Ok(fd), Ok(n)) = (fd.parse::<i32>(), n.parse::<u32>()) else {
        return Ok(false);
    };
    if n != index || fd < 0 {
        return Ok(false);
    }
    // SAFETY: The borrow is used for one fstat() right here, with no thread of this
    // process closing descriptors meanwhile, and the fd is not taken over: whatever it is,
    // an open file or none (then fstat() fails with EBADF), it is left as it is.
    let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
    let (Ok(have), want) = (rustix::fs::fstat(fd), rustix::fs::stat(device)?) else {
        return Ok(false);
    };
    Ok(have.st_rdev == want.st_rdev && have.st_mode & 0o170000 == 0o020000)
}

/// The real system.
#[derive(Debug, Default)]
pub struct RealSystem;

impl System for RealSystem {
    fn euid(&self) -> u32 {
        rustix::process::geteuid().as_raw()
    }

    fn sys_admin(&self) -> io::Result<bool> {
        use rustix::thread::{capabilities, CapabilitySet};
        let caps = capabilities(None)?;
        Ok(caps.effective.contains(CapabilitySet::SYS_ADMIN))
    }

    fn open_config(&self, path: &Path) -> io::Result<Box<dyn ConfigSpace>> {
        Ok(Box::new(SysfsConfig::open(path)?))
    }

    fn clock(&self) -> Box<dyn Clock> {
        Box::new(SystemClock::new())
    }

    fn hold(&self, device: &Path, index: u32) -> io::Result<Box<dyn std::any::Any>> {
        use rustix::fs::{open, Mode, OFlags};
        use rustix::io::Errno;
        use rustix::ioctl::{ioctl, Setter};
        if inherited_hold(device, index)? {
            return Ok(Box::new(()));
        }
        let fd = open(device, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
        let start = std::time::Instant::now();
        loop {
            // SAFETY: CXL_DOE_HOLD takes a pointer to a u32.
            let arg = unsafe { Setter::<CXL_DOE_HOLD, u32>::new(index) };
            // SAFETY: The opcode and its argument match the kernel's definition.
            match unsafe { ioctl(&fd, arg) } {
                Ok(()) => return Ok(Box::new(fd)),
                // Another process holds it: wait for it, as a bind does.
                Err(Errno::AGAIN) if start.elapsed() < HOLD_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// A mailbox driven through its registers.
pub type Registers = Mailbox<Box<dyn ConfigSpace>, Box<dyn Clock>>;

/// The ownership check of a mailbox driven through its registers: it must still be
/// unbound and user space's, as it was when the tool looked, right before each exchange
/// writes to it.
#[derive(Debug)]
struct StillUnbound {
    sysfs: Sysfs,
    mb: MailboxInfo,
}

impl Ownership for StillUnbound {
    fn check(&mut self) -> Result<(), String> {
        let cannot_tell = |e| format!("cannot tell whether the kernel owns the mailbox now: {e}");
        match self.sysfs.driver_now(&self.mb) {
            Ok(None) => {}
            Ok(Some(driver)) => {
                return Err(format!(
                    "the mailbox is bound to {driver} now: the kernel owns it"
                ))
            }
            Err(e) => return Err(cannot_tell(e)),
        }
        match self.sysfs.user_owned_now(&self.mb) {
            Ok(true) => Ok(()),
            Ok(false) => Err("the kernel owns the mailbox now (owner: kernel)".to_string()),
            Err(e) => Err(cannot_tell(e)),
        }
    }
}

/// Config space used under a hold, which it keeps until it is dropped.
struct Held {
    cfg: Box<dyn ConfigSpace>,
    _hold: Box<dyn std::any::Any>,
}

impl ConfigSpace for Held {
    fn read32(&mut self, off: u32) -> io::Result<u32> {
        self.cfg.read32(off)
    }
    fn write32(&mut self, off: u32, v: u32) -> io::Result<()> {
        self.cfg.write32(off, v)
    }
}

/// One mailbox in `doe list --json`.
#[derive(Debug, Serialize)]
struct ListEntry {
    name: String,
    index: u32,
    device: String,
    offset: u32,
    bound: bool,
    driver: Option<String>,
    protocols: Option<Vec<ProtocolJson>>,
    protocols_error: Option<String>,
}

/// `doe discover --json`.
#[derive(Debug, Serialize)]
struct DiscoverJson {
    mailbox: String,
    protocols: Vec<ProtocolJson>,
}

/// What `list` says about protocols it cannot show.
const UNAVAILABLE_UNBOUND: &str = "unavailable (unbound)";

/// The tool, on a sysfs tree and a system.
#[derive(Debug)]
pub struct App<S> {
    /// The sysfs tree.
    pub sysfs: Sysfs,
    /// The rest of the system.
    pub system: S,
}

fn put(out: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    out.write_all(bytes).map_err(Error::Output)
}

fn json<T: Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Error> {
    let mut s = serde_json::to_string(value).map_err(Error::Json)?;
    s.push('\n');
    put(out, s.as_bytes())
}

impl<S: System> App<S> {
    /// Runs `cmd`, writing its output to `out`. An `Err` is printed by `main`.
    pub fn run(&self, cmd: &Cmd, out: &mut dyn Write) -> Result<(), Error> {
        match cmd {
            Cmd::List { json } => self.list(*json, out),
            Cmd::Bind { mailbox } => self.bind(mailbox, out),
            Cmd::Unbind { mailbox } => self.unbind(mailbox, out),
            Cmd::Discover {
                mailbox,
                json,
                force,
            } => self.discover(mailbox, *json, *force, out),
            Cmd::Cdat {
                mailbox,
                raw,
                json,
                force,
            } => self.cdat(mailbox, *raw, *json, *force, out),
            Cmd::Exchange {
                mailbox,
                vendor,
                kind,
                request,
                force,
            } => self.exchange(mailbox, *vendor, *kind, request, *force, out),
            Cmd::Hold { mailbox, command } => self.hold(mailbox, command),
        }
    }

    /// The registers of `spec`, an unbound mailbox that user space owns, for `what`
    /// (words for messages), with every check `discover`, `cdat` and `exchange` make:
    /// for other programs that drive a mailbox as this tool does, such as a benchmark.
    pub fn open_registers(
        &self,
        spec: &MailboxSpec,
        what: &str,
        force: Force,
    ) -> Result<Registers, Error> {
        let mb = self.sysfs.resolve(spec)?;
        self.registers(&mb, what, force)
    }

    fn list(&self, as_json: bool, out: &mut dyn Write) -> Result<(), Error> {
        let mut entries = Vec::new();
        for mb in self.sysfs.mailboxes()? {
            let (protocols, protocols_error) = match &mb.driver {
                Some(_) => match self.sysfs.protocols(&mb) {
                    Ok(list) => (Some(list), None),
                    Err(e) => (None, Some(format!("unavailable: {e}"))),
                },
                None => (None, Some(UNAVAILABLE_UNBOUND.to_string())),
            };
            entries.push((mb, protocols, protocols_error));
        }
        if as_json {
            let list: Vec<ListEntry> = entries
                .into_iter()
                .map(|(mb, protocols, protocols_error)| ListEntry {
                    name: mb.name,
                    index: mb.index,
                    device: mb.parent,
                    offset: mb.offset,
                    bound: mb.driver.is_some(),
                    driver: mb.driver,
                    protocols: protocols.map(|l| l.into_iter().map(ProtocolJson::from).collect()),
                    protocols_error,
                })
                .collect();
            return json(out, &list);
        }
        if entries.is_empty() {
            let s = format!(
                "no DOE mailboxes: nothing under {} is cxl_pci.doe.N\n",
                self.sysfs.devices_dir().display()
            );
            return put(out, s.as_bytes());
        }
        let mut s = String::new();
        for (mb, protocols, protocols_error) in entries {
            let state = match &mb.driver {
                Some(d) => format!("bound to {d}"),
                None => "unbound".to_string(),
            };
            s += &format!(
                "{}: {} offset {:#x}, {state}\n",
                mb.name, mb.parent, mb.offset
            );
            if let Some(list) = protocols {
                for p in list {
                    s += &format!("  {}\n", p.line());
                }
            }
            if let Some(e) = protocols_error {
                s += &format!("  protocols {e}\n");
            }
        }
        put(out, s.as_bytes())
    }

    fn need_root(&self, what: String, why: Option<&'static str>) -> Result<(), Error> {
        match self.system.euid() {
            0 => Ok(()),
            euid => Err(Error::NotRoot { what, euid, why }),
        }
    }

    fn bind(&self, spec: &MailboxSpec, out: &mut dyn Write) -> Result<(), Error> {
        let mb = self.sysfs.resolve(spec)?;
        if let Some(driver) = mb.driver {
            return Err(Error::AlreadyBound {
                name: mb.name,
                driver,
            });
        }
        self.need_root(format!("binding {}", mb.name), None)?;
        self.sysfs.bind(&mb)?;
        put(out, format!("{}: bound to {DRIVER}\n", mb.name).as_bytes())
    }

    fn unbind(&self, spec: &MailboxSpec, out: &mut dyn Write) -> Result<(), Error> {
        let mb = self.sysfs.resolve(spec)?;
        let Some(driver) = mb.driver.clone() else {
            return Err(Error::NotBound { name: mb.name });
        };
        self.need_root(format!("unbinding {}", mb.name), None)?;
        self.sysfs.unbind(&mb, &driver)?;
        put(
            out,
            format!(
                "{0}: unbound from {driver}; its registers are free for doe discover, cdat \
                 and exchange until `doe bind {0}`\n",
                mb.name
            )
            .as_bytes(),
        )
    }

    /// The checks before this process may drive the registers of `mb`, for `what`: unbound,
    /// user space's, and CAP_SYS_ADMIN.
    fn may_drive(&self, mb: &MailboxInfo, what: &str) -> Result<(), Error> {
        if let Some(driver) = &mb.driver {
            return Err(Error::Bound {
                name: mb.name.clone(),
                driver: driver.clone(),
            });
        }
        if !self.sysfs.user_owned_now(mb)? {
            return Err(Error::KernelOwned {
                name: mb.name.clone(),
            });
        }
        if !self.system.sys_admin().map_err(Error::Capabilities)? {
            return Err(Error::NoSysAdmin {
                what: format!("{what} through the registers of {}", mb.name),
                euid: self.system.euid(),
            });
        }
        Ok(())
    }

    /// Holds `mb` for this process, through `/dev/cxl_doe`.
    fn take_hold(&self, mb: &MailboxInfo) -> Result<Box<dyn std::any::Any>, Error> {
        self.system
            .hold(&self.sysfs.hold_device(), mb.index)
            .map_err(|err| match rustix::io::Errno::from_io_error(&err) {
                // The kernel's, or a bind taking it back: said as for an unbound mailbox
                // that was never handed over, so Error::Hold never carries EBUSY.
                Some(rustix::io::Errno::BUSY) => Error::KernelOwned {
                    name: mb.name.clone(),
                },
                _ => Error::Hold {
                    name: mb.name.clone(),
                    err,
                },
            })
    }

    /// The registers of an unbound mailbox that user space owns, for `what`: with
    /// CAP_SYS_ADMIN only, held for this process, and checked to be still unbound and user
    /// space's before each exchange writes to them.
    fn registers(&self, mb: &MailboxInfo, what: &str, force: Force) -> Result<Registers, Error> {
        self.may_drive(mb, what)?;
        let bdf = mb.bdf.ok_or_else(|| Error::NoPciDevice {
            name: mb.name.clone(),
            parent: mb.parent.clone(),
        })?;
        let path = self.sysfs.pci_config(&bdf);
        let cfg = self.system.open_config(&path).map_err(|err| Error::File {
            path,
            err,
            hint: None,
        })?;
        // Reads only: the capability is checked before the mailbox is held.
        let regs =
            Mailbox::new(cfg, mb.offset, self.system.clock()).map_err(|err| Error::Mailbox {
                mailbox: mb.describe(),
                err,
            })?;
        // Held for as long as the registers are used: from here to the last write, the abort
        // of a failed exchange included, nothing in the kernel takes the mailbox back.
        let hold = self.take_hold(mb)?;
        let regs =
            regs.map_config(|cfg| -> Box<dyn ConfigSpace> { Box::new(Held { cfg, _hold: hold }) });
        Ok(regs
            .with_force(force.force)
            .with_owner(Box::new(StillUnbound {
                sysfs: self.sysfs.clone(),
                mb: mb.clone(),
            })))
    }

    fn discover(
        &self,
        spec: &MailboxSpec,
        as_json: bool,
        force: Force,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let mb = self.sysfs.resolve(spec)?;
        let list: Vec<Protocol> = if mb.driver.is_some() {
            self.sysfs.protocols(&mb)?
        } else {
            let mut regs = self.registers(&mb, "discovery", force)?;
            discovery::discover(&mut regs).map_err(|err| Error::Discovery {
                mailbox: mb.describe(),
                err,
            })?
        };
        if as_json {
            return json(
                out,
                &DiscoverJson {
                    mailbox: mb.name,
                    protocols: list.into_iter().map(ProtocolJson::from).collect(),
                },
            );
        }
        put(out, discovery::text(&list).as_bytes())
    }

    fn cdat(
        &self,
        spec: &MailboxSpec,
        raw: bool,
        as_json: bool,
        force: Force,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let mb = self.sysfs.resolve(spec)?;
        let bytes = if mb.driver.is_some() {
            self.sysfs.cdat(&mb)?
        } else {
            let mut regs = self.registers(&mb, "reading the CDAT", force)?;
            cdat::read_table(&mut regs, MAX_TABLE).map_err(|err| Error::Cdat {
                mailbox: mb.describe(),
                err,
            })?
        };
        let table = Cdat::parse(&bytes, MAX_TABLE).map_err(|err| Error::Cdat {
            mailbox: mb.describe(),
            err,
        })?;
        if raw {
            put(out, &bytes)
        } else if as_json {
            json(out, &table)
        } else {
            put(out, table.text().as_bytes())
        }
    }

    fn exchange(
        &self,
        spec: &MailboxSpec,
        vendor: u16,
        kind: u8,
        request: &Path,
        force: Force,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let mb = self.sysfs.resolve(spec)?;
        if let Some(driver) = &mb.driver {
            return Err(Error::Bound {
                name: mb.name,
                driver: driver.clone(),
            });
        }
        let payload = read_request(request)?;
        let mut regs = self.registers(&mb, "an exchange", force)?;
        let req = DataObject::new(vendor, kind, payload);
        let rsp = regs.exchange(&req).map_err(|err| Error::Mailbox {
            mailbox: mb.describe(),
            err,
        })?;
        if (rsp.vendor, rsp.kind) != (vendor, kind) {
            eprintln!(
                "doe: {}: note: the response is of protocol {}, not {}",
                mb.name,
                rsp.protocol(),
                req.protocol()
            );
        }
        put(out, &framing::bytes_from_dws(&rsp.payload))
    }
}

impl<S: System> App<S> {
    /// `doe hold MAILBOX -- COMMAND`: runs COMMAND while this process holds the mailbox.
    fn hold(&self, spec: &MailboxSpec, command: &[std::ffi::OsString]) -> Result<(), Error> {
        let mb = self.sysfs.resolve(spec)?;
        self.may_drive(&mb, "holding it")?;
        let hold = self.take_hold(&mb)?;
        let shown = command
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let (program, args) = command.split_first().ok_or_else(|| Error::Command {
            command: shown.clone(),
            how: "no command".to_string(),
            code: None,
        })?;
        let mut cmd = std::process::Command::new(program);
        cmd.args(args);
        // The command shares the hold, which belongs to the open file: a `doe` it runs on
        // the same mailbox uses it instead of waiting for it.
        if let Some(fd) = hold.downcast_ref::<rustix::fd::OwnedFd>() {
            use std::os::fd::AsRawFd;
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty()).map_err(|e| Error::Hold {
                name: mb.name.clone(),
                err: e.into(),
            })?;
            cmd.env(HOLD_ENV, format!("{}:{}", fd.as_raw_fd(), mb.index));
        }
        let status = cmd.status();
        drop(hold);
        match status {
            Ok(st) if st.success() => Ok(()),
            Ok(st) => Err(Error::Command {
                command: shown,
                how: st.to_string(),
                code: st.code(),
            }),
            Err(err) => Err(Error::Command {
                command: shown,
                how: errno_words::describe_io(&err),
                code: None,
            }),
        }
    }
}

/// The request payload of `doe exchange`: whole DWs, at most what a data object holds.
fn read_request(path: &Path) -> Result<Vec<u32>, Error> {
    let limit = (MAX_OBJECT_DWS - HEADER_DWS) * 4;
    let mut bytes = Vec::new();
    let r = if path == Path::new("-") {
        io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut bytes))
    };
    r.map_err(|err| Error::File {
        path: path.to_path_buf(),
        err,
        hint: None,
    })?;
    if bytes.len() > limit {
        return Err(Error::Request {
            path: path.to_path_buf(),
            problem: format!("more than {limit} bytes, the largest payload of a data object"),
        });
    }
    framing::dws_from_bytes(&bytes).ok_or_else(|| Error::Request {
        path: path.to_path_buf(),
        problem: format!(
            "{} bytes is not a whole number of DWs (a multiple of 4); refusing to pad it",
            bytes.len()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{sample_cdat, table_of, FakeClock, Misbehaviour, SimDoe};
    use crate::sysfs::fake::FakeSysfs;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// A system whose config space, for any device, is a simulated mailbox made by
    /// `make` (at offset 0x190).
    struct TestSystem {
        euid: u32,
        sys_admin: bool,
        make: fn() -> SimDoe,
        opened: RefCell<Vec<std::path::PathBuf>>,
        /// Runs when config space is opened: what happens behind the tool's back.
        on_open: Option<Box<dyn Fn()>>,
        /// Register writes, on every config space opened.
        writes: Rc<Cell<u32>>,
        /// Holds alive, and the errno `hold` fails with, if any.
        held: Rc<Cell<u32>>,
        hold_error: Option<rustix::io::Errno>,
        /// Register writes made while no hold was alive.
        unheld_writes: Rc<Cell<u32>>,
    }

    /// A hold of [`TestSystem`]: counted while alive.
    struct TestHold(Rc<Cell<u32>>);

    impl Drop for TestHold {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }

    /// A simulated mailbox whose writes are counted.
    struct Counted {
        sim: SimDoe,
        writes: Rc<Cell<u32>>,
        held: Rc<Cell<u32>>,
        unheld_writes: Rc<Cell<u32>>,
    }

    impl ConfigSpace for Counted {
        fn read32(&mut self, off: u32) -> io::Result<u32> {
            self.sim.read32(off)
        }
        fn write32(&mut self, off: u32, v: u32) -> io::Result<()> {
            self.writes.set(self.writes.get() + 1);
            if self.held.get() == 0 {
                self.unheld_writes.set(self.unheld_writes.get() + 1);
            }
            self.sim.write32(off, v)
        }
    }

    impl System for TestSystem {
        fn euid(&self) -> u32 {
            self.euid
        }
        fn sys_admin(&self) -> io::Result<bool> {
            Ok(self.sys_admin)
        }
        fn open_config(&self, path: &Path) -> io::Result<Box<dyn ConfigSpace>> {
            self.opened.borrow_mut().push(path.to_path_buf());
            if let Some(f) = &self.on_open {
                f();
            }
            Ok(Box::new(Counted {
                sim: (self.make)(),
                writes: Rc::clone(&self.writes),
                held: Rc::clone(&self.held),
                unheld_writes: Rc::clone(&self.unheld_writes),
            }))
        }
        fn clock(&self) -> Box<dyn Clock> {
            Box::new(FakeClock::default())
        }
        fn hold(&self, _device: &Path, _index: u32) -> io::Result<Box<dyn std::any::Any>> {
            if let Some(e) = self.hold_error {
                return Err(e.into());
            }
            self.held.set(self.held.get() + 1);
            Ok(Box::new(TestHold(Rc::clone(&self.held))))
        }
    }

    fn good_sim() -> SimDoe {
        let mut sim = SimDoe::new();
        sim.cdat = sample_cdat();
        sim
    }

    const PROTOCOLS: &str = "0001:00\n1e98:02\n";

    /// A tree with mailbox 0 bound and 1 unbound, at 0x190 and 0x1b0 of 0000:0d:00.0,
    /// and mailbox 2 unbound at 0x190 of 0000:0e:00.0 (where the simulator sits).
    fn tree(name: &str) -> FakeSysfs {
        let f = FakeSysfs::new(name);
        let table = table_of(&sample_cdat()[1..]);
        f.add(0, "0000:0d:00.0", 0x190, true, PROTOCOLS, &table);
        f.add(1, "0000:0d:00.0", 0x1b0, false, PROTOCOLS, &table);
        f.add(2, "0000:0e:00.0", 0x190, false, PROTOCOLS, &table);
        f
    }

    /// The tool run by `euid`, with CAP_SYS_ADMIN if root (as usual).
    fn app(f: &FakeSysfs, euid: u32, make: fn() -> SimDoe) -> App<TestSystem> {
        App {
            sysfs: f.sysfs(),
            system: TestSystem {
                euid,
                sys_admin: euid == 0,
                make,
                opened: RefCell::new(Vec::new()),
                on_open: None,
                writes: Rc::new(Cell::new(0)),
                held: Rc::new(Cell::new(0)),
                hold_error: None,
                unheld_writes: Rc::new(Cell::new(0)),
            },
        }
    }

    fn run(app: &App<TestSystem>, args: &[&str]) -> Result<Vec<u8>, Error> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(std::iter::once("doe").chain(args.iter().copied()))
                .expect("parses");
        let mut out = Vec::new();
        app.run(&cli.cmd, &mut out).map(|()| out)
    }

    fn text(app: &App<TestSystem>, args: &[&str]) -> String {
        String::from_utf8(run(app, args).expect("runs")).expect("UTF-8")
    }

    #[test]
    fn list_shows_bound_and_unbound() {
        let f = tree("app_list");
        let a = app(&f, 1000, good_sim);
        assert_eq!(
            text(&a, &["list"]),
            "cxl_pci.doe.0: 0000:0d:00.0 offset 0x190, bound to cxl_doe.cxl_doe_drv\n  \
             0001:00 discovery\n  \
             1e98:02 CXL table access (CDAT)\n\
             cxl_pci.doe.1: 0000:0d:00.0 offset 0x1b0, unbound\n  \
             protocols unavailable (unbound)\n\
             cxl_pci.doe.2: 0000:0e:00.0 offset 0x190, unbound\n  \
             protocols unavailable (unbound)\n"
        );
        assert!(
            a.system.opened.borrow().is_empty(),
            "list touches no register"
        );
    }

    #[test]
    fn list_json() {
        let f = tree("app_list_json");
        let a = app(&f, 1000, good_sim);
        let v: serde_json::Value =
            serde_json::from_str(&text(&a, &["list", "--json"])).expect("JSON");
        assert_eq!(v.as_array().map(Vec::len), Some(3));
        assert_eq!(v[0]["name"], "cxl_pci.doe.0");
        assert_eq!(v[0]["device"], "0000:0d:00.0");
        assert_eq!(v[0]["offset"], 0x190);
        assert_eq!(v[0]["bound"], true);
        assert_eq!(v[0]["driver"], "cxl_doe.cxl_doe_drv");
        assert_eq!(v[0]["protocols"][1]["id"], "1e98:02");
        assert_eq!(v[0]["protocols_error"], serde_json::Value::Null);
        assert_eq!(v[1]["bound"], false);
        assert_eq!(v[1]["driver"], serde_json::Value::Null);
        assert_eq!(v[1]["protocols"], serde_json::Value::Null);
        assert_eq!(v[1]["protocols_error"], "unavailable (unbound)");
    }

    #[test]
    fn list_of_nothing() {
        let f = FakeSysfs::new("app_list_empty");
        let a = app(&f, 0, good_sim);
        assert!(text(&a, &["list"]).starts_with("no DOE mailboxes: nothing under "));
        assert_eq!(text(&a, &["list", "--json"]), "[]\n");
    }

    #[test]
    fn list_survives_a_mailbox_going_away() {
        let f = tree("app_list_enxio");
        // A bound mailbox whose protocols cannot be read.
        std::fs::remove_file(f.sysfs().devices_dir().join("cxl_pci.doe.0/protocols")).expect("rm");
        let a = app(&f, 0, good_sim);
        let out = text(&a, &["list"]);
        assert!(
            out.contains("  protocols unavailable: ") && out.contains("No such file"),
            "{out}"
        );
    }

    #[test]
    fn discover_gives_the_same_lines_on_both_paths() {
        let f = tree("app_discover");
        let a = app(&f, 0, good_sim);
        let bound = text(&a, &["discover", "cxl_pci.doe.0"]);
        let unbound = text(&a, &["discover", "0000:0e:00.0@0x190"]);
        assert_eq!(
            bound,
            "0001:00 discovery\n1e98:02 CXL table access (CDAT)\n"
        );
        assert_eq!(bound, unbound);
        assert_eq!(
            *a.system.opened.borrow(),
            vec![f.sysfs().pci_config(&"0000:0e:00.0".parse().expect("BDF"))]
        );
        let json = text(&a, &["discover", "--json", "cxl_pci.doe.2"]);
        assert_eq!(
            json,
            "{\"mailbox\":\"cxl_pci.doe.2\",\"protocols\":[\
             {\"id\":\"0001:00\",\"vendor\":1,\"type\":0,\"name\":\"discovery\"},\
             {\"id\":\"1e98:02\",\"vendor\":7832,\"type\":2,\"name\":\"CXL table access (CDAT)\"}]}\n"
        );
    }

    #[test]
    fn open_registers_checks_as_the_subcommands_do() {
        let f = tree("app_open_registers");
        let a = app(&f, 0, good_sim);
        let spec = |n| MailboxSpec::Name(n);
        let mut regs = a
            .open_registers(&spec(2), "a test", Force::default())
            .expect("unbound and user space's");
        let req = discovery::request(0, regs.capability_version());
        let rsp = regs.exchange(&req).expect("exchanges");
        assert_eq!(rsp.payload.len(), 1);
        assert!(matches!(
            a.open_registers(&spec(0), "a test", Force::default()),
            Err(Error::Bound { .. })
        ));
        let user = app(&f, 1000, good_sim);
        assert!(matches!(
            user.open_registers(&spec(2), "a test", Force::default()),
            Err(Error::NoSysAdmin { .. })
        ));
    }

    #[test]
    fn cdat_gives_the_same_bytes_on_both_paths() {
        let f = tree("app_cdat");
        let a = app(&f, 0, good_sim);
        let bound = run(&a, &["cdat", "--raw", "cxl_pci.doe.0"]).expect("bound");
        let unbound = run(&a, &["cdat", "--raw", "cxl_pci.doe.2"]).expect("unbound");
        assert_eq!(bound, table_of(&sample_cdat()[1..]));
        assert_eq!(bound, unbound);
        let t = text(&a, &["cdat", "cxl_pci.doe.2"]);
        assert!(
            t.starts_with("CDAT: length 120 bytes, revision 1, checksum "),
            "{t}"
        );
        assert!(
            t.contains("] SSLBIS: data type 3 (access bandwidth)"),
            "{t}"
        );
        assert_eq!(t, text(&a, &["cdat", "cxl_pci.doe.0"]));
        let j = text(&a, &["cdat", "--json", "cxl_pci.doe.2"]);
        assert_eq!(j, text(&a, &["cdat", "--json", "cxl_pci.doe.0"]));
        let v: serde_json::Value = serde_json::from_str(&j).expect("JSON");
        assert_eq!(v["structures"][2]["name"], "DSEMTS");
    }

    #[test]
    fn bad_cdat_attribute_is_an_error() {
        let f = tree("app_cdat_bad");
        let mut table = table_of(&sample_cdat()[1..]);
        table[7] ^= 1;
        std::fs::write(f.sysfs().devices_dir().join("cxl_pci.doe.0/cdat"), &table).expect("w");
        let a = app(&f, 0, good_sim);
        for args in [
            &["cdat", "cxl_pci.doe.0"][..],
            &["cdat", "--raw", "cxl_pci.doe.0"],
            &["cdat", "--json", "cxl_pci.doe.0"],
        ] {
            let e = run(&a, args).expect_err("bad checksum");
            assert!(
                e.to_string().starts_with(
                    "cxl_pci.doe.0 (0000:0d:00.0, DOE at 0x190): CDAT checksum is bad"
                ),
                "{e}"
            );
        }
        std::fs::write(f.sysfs().devices_dir().join("cxl_pci.doe.0/cdat"), b"").expect("w");
        let e = run(&a, &["cdat", "cxl_pci.doe.0"]).expect_err("empty");
        assert!(e
            .to_string()
            .ends_with("CDAT of 0 bytes is shorter than its 16-byte header"));
    }

    #[test]
    fn register_access_needs_an_unbound_mailbox() {
        let f = tree("app_bound");
        let a = app(&f, 0, good_sim);
        let e = exchange(&a, "cxl_pci.doe.0", "1", "0", "/dev/null").expect_err("bound");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.0 is bound to cxl_doe.cxl_doe_drv; release it first with: \
             doe unbind cxl_pci.doe.0"
        );
        assert!(a.system.opened.borrow().is_empty());
    }

    #[test]
    fn register_access_needs_a_mailbox_handed_to_user_space() {
        let f = tree("app_never_handed_over");
        // Unbound, but no unbind claimed it: e.g. cxl_doe never bound it.
        f.set_owner(2, "kernel");
        let a = app(&f, 0, good_sim);
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("the kernel's");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.2 is not bound, but no unbind handed its mailbox to user space: the \
             kernel still owns it (owner: kernel); hand it over with: doe bind cxl_pci.doe.2 \
             && doe unbind cxl_pci.doe.2"
        );
        assert!(a.system.opened.borrow().is_empty());
        // An owner the tool does not know is not user space's either.
        f.set_owner(2, "nobody");
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("unknown owner");
        assert!(e.to_string().contains("'nobody' is not an owner"), "{e}");
        assert!(a.system.opened.borrow().is_empty());
    }

    #[test]
    fn register_access_needs_cap_sys_admin() {
        let f = tree("app_root");
        let a = app(&f, 1000, good_sim);
        for (args, what) in [
            (&["discover", "cxl_pci.doe.2"][..], "discovery"),
            (&["cdat", "cxl_pci.doe.2"], "reading the CDAT"),
            (
                &[
                    "exchange",
                    "cxl_pci.doe.2",
                    "--vendor",
                    "1",
                    "--type",
                    "0",
                    "/dev/null",
                ],
                "an exchange",
            ),
        ] {
            let e = run(&a, args).expect_err("not root");
            assert_eq!(
                e.to_string(),
                format!(
                    "{what} through the registers of cxl_pci.doe.2 needs CAP_SYS_ADMIN, which \
                     this process (effective uid 1000) lacks: config space beyond its first \
                     64 bytes, and writing it, are root's only"
                )
            );
        }
        assert!(a.system.opened.borrow().is_empty());
        // The bound path reads attributes, root or not.
        assert_eq!(
            text(&a, &["discover", "cxl_pci.doe.0"]),
            "0001:00 discovery\n1e98:02 CXL table access (CDAT)\n"
        );
    }

    #[test]
    fn register_access_goes_by_cap_sys_admin_not_uid() {
        let f = tree("app_caps");
        // Root without CAP_SYS_ADMIN (dropped, or in a user namespace): refused.
        let mut a = app(&f, 0, good_sim);
        a.system.sys_admin = false;
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("no CAP_SYS_ADMIN");
        assert!(
            e.to_string()
                .contains("needs CAP_SYS_ADMIN, which this process (effective uid 0) lacks"),
            "{e}"
        );
        assert!(a.system.opened.borrow().is_empty());
        // Another user with CAP_SYS_ADMIN (a file capability, say): allowed.
        let mut a = app(&f, 1000, good_sim);
        a.system.sys_admin = true;
        assert_eq!(
            text(&a, &["discover", "cxl_pci.doe.2"]),
            "0001:00 discovery\n1e98:02 CXL table access (CDAT)\n"
        );
    }

    #[test]
    fn bind_and_unbind() {
        let f = tree("app_bind");
        let a = app(&f, 0, good_sim);
        assert_eq!(
            text(&a, &["unbind", "cxl_pci.doe.0"]),
            "cxl_pci.doe.0: unbound from cxl_doe.cxl_doe_drv; its registers are free for doe \
             discover, cdat and exchange until `doe bind cxl_pci.doe.0`\n"
        );
        assert_eq!(f.written("unbind"), "cxl_pci.doe.0");
        assert_eq!(
            text(&a, &["bind", "0000:0d:00.0@0x1b0"]),
            "cxl_pci.doe.1: bound to cxl_doe.cxl_doe_drv\n"
        );
        assert_eq!(f.written("bind"), "cxl_pci.doe.1");
    }

    #[test]
    fn bind_and_unbind_check_the_state() {
        let f = tree("app_bind_state");
        let a = app(&f, 0, good_sim);
        let e = run(&a, &["bind", "cxl_pci.doe.0"]).expect_err("bound");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.0 is already bound to cxl_doe.cxl_doe_drv"
        );
        let e = run(&a, &["unbind", "cxl_pci.doe.1"]).expect_err("unbound");
        assert_eq!(e.to_string(), "cxl_pci.doe.1 is not bound to a driver");
        let e = run(&a, &["unbind", "cxl_pci.doe.7"]).expect_err("none");
        assert!(
            e.to_string()
                .starts_with("no DOE mailbox cxl_pci.doe.7 under "),
            "{e}"
        );
        assert_eq!(f.written("bind"), "");
        assert_eq!(f.written("unbind"), "");
        let a = app(&f, 1000, good_sim);
        let e = run(&a, &["unbind", "cxl_pci.doe.0"]).expect_err("not root");
        assert_eq!(
            e.to_string(),
            "unbinding cxl_pci.doe.0 needs root (effective uid 1000)"
        );
        let e = run(&a, &["bind", "cxl_pci.doe.1"]).expect_err("not root");
        assert_eq!(
            e.to_string(),
            "binding cxl_pci.doe.1 needs root (effective uid 1000)"
        );
        assert_eq!(f.written("unbind"), "");
    }

    #[test]
    fn after_unbind_the_registers_are_used() {
        let f = tree("app_flow");
        let a = app(&f, 0, good_sim);
        run(&a, &["unbind", "cxl_pci.doe.0"]).expect("unbind");
        f.set_bound(0, false); // what the kernel does
        run(&a, &["discover", "cxl_pci.doe.0"]).expect("discover");
        assert_eq!(a.system.opened.borrow().len(), 1);
    }

    /// `doe exchange MAILBOX --vendor VENDOR --type KIND REQUEST`.
    fn exchange(
        app: &App<TestSystem>,
        mailbox: &str,
        vendor: &str,
        kind: &str,
        request: &str,
    ) -> Result<Vec<u8>, Error> {
        run(
            app,
            &[
                "exchange", mailbox, "--vendor", vendor, "--type", kind, request,
            ],
        )
    }

    fn request_file(f: &FakeSysfs, name: &str, bytes: &[u8]) -> String {
        let p = f.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn exchange_writes_the_response_payload() {
        let f = tree("app_exchange");
        let a = app(&f, 0, good_sim);
        let req = request_file(&f, "req.bin", &[0, 0, 0, 0]);
        let out = exchange(&a, "cxl_pci.doe.2", "0x0001", "0", &req).expect("exchange");
        assert_eq!(out, vec![0x01, 0x00, 0x00, 0x01]);
        // The CDAT header, by table access.
        let req = request_file(&f, "cdat.bin", &[0, 0, 0, 0]);
        let out = exchange(&a, "cxl_pci.doe.2", "0x1e98", "2", &req).expect("exchange");
        assert_eq!(&out[..4], &[0, 0, 1, 0], "next handle 1");
        assert_eq!(&out[4..], &sample_cdat()[0][..]);
    }

    #[test]
    fn exchange_refuses_partial_dws() {
        let f = tree("app_exchange_bad");
        let a = app(&f, 0, good_sim);
        let req = request_file(&f, "odd.bin", &[1, 2, 3, 4, 5]);
        let e = exchange(&a, "cxl_pci.doe.2", "1", "0", &req).expect_err("odd");
        assert_eq!(
            e.to_string(),
            format!(
                "{req}: 5 bytes is not a whole number of DWs (a multiple of 4); refusing to pad it"
            )
        );
        assert!(a.system.opened.borrow().is_empty());
        let e = exchange(&a, "cxl_pci.doe.2", "1", "0", "/nonexistent/r").expect_err("missing");
        assert_eq!(
            e.to_string(),
            "/nonexistent/r: No such file or directory (ENOENT)"
        );
    }

    #[test]
    fn exchange_failures_name_the_mailbox() {
        let f = tree("app_exchange_fail");
        let a = app(&f, 0, || {
            let mut sim = SimDoe::new();
            sim.misbehave = Misbehaviour::NeverReady;
            sim
        });
        let req = request_file(&f, "r.bin", &[0; 4]);
        let e = exchange(&a, "cxl_pci.doe.2", "1", "0", &req).expect_err("timeout");
        assert!(
            e.to_string()
                .starts_with("cxl_pci.doe.2 (0000:0e:00.0, DOE at 0x190): no response within 1 s"),
            "{e}"
        );
    }

    #[test]
    fn wrong_capability_offset() {
        let f = tree("app_not_doe");
        let a = app(&f, 0, good_sim);
        // The simulator's capability is at 0x190; mailbox 1 says 0x1b0.
        let e = run(&a, &["discover", "cxl_pci.doe.1"]).expect_err("not DOE");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.1 (0000:0d:00.0, DOE at 0x1b0): no DOE capability at config space \
             offset 0x1b0: extended capability ID 0x0000, expected 0x002e"
        );
    }

    #[test]
    fn misbehaving_mailboxes_are_errors() {
        let f = tree("app_misbehave");
        let a = app(&f, 0, || {
            let mut sim = good_sim();
            sim.cdat[2][2] = 200;
            sim
        });
        let e = run(&a, &["cdat", "cxl_pci.doe.2"]).expect_err("lie");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.2 (0000:0e:00.0, DOE at 0x190): CDAT entry 2 says it is 200 bytes but \
             only 24 came"
        );
        let a = app(&f, 0, || {
            let mut sim = good_sim();
            sim.misbehave = Misbehaviour::StayBusy;
            sim
        });
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("busy");
        assert!(
            e.to_string()
                .contains("discovery: the mailbox stayed busy for 1 s"),
            "{e}"
        );
    }

    #[test]
    fn mailbox_bound_behind_the_tools_back_is_not_written() {
        let f = tree("app_bound_late");
        let mut a = app(&f, 0, good_sim);
        // The kernel binds the mailbox after the tool saw it unbound.
        let link = f.sysfs().devices_dir().join("cxl_pci.doe.2/driver");
        a.system.on_open = Some(Box::new(move || {
            std::os::unix::fs::symlink(
                "../../../../bus/auxiliary/drivers/cxl_doe.cxl_doe_drv",
                &link,
            )
            .expect("symlink");
        }));
        let req = request_file(&f, "r.bin", &[0; 4]);
        let e = exchange(&a, "cxl_pci.doe.2", "1", "0", &req).expect_err("bound by now");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.2 (0000:0e:00.0, DOE at 0x190): the mailbox is bound to \
             cxl_doe.cxl_doe_drv now: the kernel owns it, so nothing was written to it"
        );
        assert_eq!(a.system.writes.get(), 0);
    }

    #[test]
    fn mailbox_taken_back_behind_the_tools_back_is_not_written() {
        let f = tree("app_owner_late");
        let mut a = app(&f, 0, good_sim);
        // Still unbound, but the mailbox went back to the kernel after the tool looked.
        let owner = f.sysfs().devices_dir().join("cxl_pci.doe.2/owner");
        a.system.on_open = Some(Box::new(move || {
            std::fs::write(&owner, "kernel\n").expect("write");
        }));
        let req = request_file(&f, "r.bin", &[0; 4]);
        let e = exchange(&a, "cxl_pci.doe.2", "1", "0", &req).expect_err("the kernel's by now");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.2 (0000:0e:00.0, DOE at 0x190): the kernel owns the mailbox now \
             (owner: kernel), so nothing was written to it"
        );
        assert_eq!(a.system.writes.get(), 0);
    }

    #[test]
    fn every_register_write_is_made_under_a_hold() {
        let f = tree("app_held");
        let a = app(&f, 0, good_sim);
        text(&a, &["discover", "cxl_pci.doe.2"]);
        text(&a, &["cdat", "cxl_pci.doe.2"]);
        assert!(a.system.writes.get() > 0);
        // A failed exchange's abort, too.
        let a2 = app(&f, 0, || {
            let mut sim = SimDoe::new();
            sim.misbehave = Misbehaviour::NeverReady;
            sim
        });
        let req = request_file(&f, "r.bin", &[0; 4]);
        exchange(&a2, "cxl_pci.doe.2", "1", "0", &req).expect_err("timeout");
        assert!(a2.system.writes.get() > 0);
        assert_eq!(
            a.system.unheld_writes.get() + a2.system.unheld_writes.get(),
            0
        );
        // Let go once the registers are dropped.
        assert_eq!(a.system.held.get() + a2.system.held.get(), 0);
    }

    #[test]
    fn hold_runs_the_command_while_holding() {
        let f = tree("app_hold_cmd");
        let a = app(&f, 0, good_sim);
        let ok = f.dir.path().join("held");
        let touch = format!("touch {}", ok.display());
        run(&a, &["hold", "cxl_pci.doe.2", "--", "sh", "-c", &touch]).expect("runs");
        assert!(ok.exists());
        assert_eq!(a.system.held.get(), 0);
        let e = run(&a, &["hold", "cxl_pci.doe.2", "--", "sh", "-c", "exit 3"]).expect_err("3");
        assert!(matches!(e, Error::Command { code: Some(3), .. }), "{e:?}");
        // Only an unbound mailbox that user space owns.
        let e = run(&a, &["hold", "cxl_pci.doe.0", "--", "true"]).expect_err("bound");
        assert!(matches!(e, Error::Bound { .. }), "{e:?}");
        assert_eq!(a.system.writes.get(), 0);
    }

    #[test]
    fn a_mailbox_that_cannot_be_held_is_not_written() {
        let f = tree("app_hold_refused");
        let mut a = app(&f, 0, good_sim);
        a.system.hold_error = Some(rustix::io::Errno::BUSY);
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("the kernel's");
        assert!(e.to_string().contains("the kernel still owns it"), "{e}");
        a.system.hold_error = Some(rustix::io::Errno::AGAIN);
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("held");
        assert_eq!(
            e.to_string(),
            "cannot hold cxl_pci.doe.2 for this process through /dev/cxl_doe: Resource \
             temporarily unavailable (EAGAIN): another process holds the mailbox, and kept it \
             for 10 s"
        );
        // Its capability was read; nothing was written.
        assert_eq!(a.system.opened.borrow().len(), 2);
        assert_eq!(a.system.writes.get(), 0);
    }

    #[test]
    fn busy_mailbox_is_aborted_only_with_force() {
        let f = tree("app_force");
        let a = app(&f, 0, || {
            let mut sim = good_sim();
            sim.error = true;
            sim
        });
        let e = run(&a, &["discover", "cxl_pci.doe.2"]).expect_err("in use");
        let msg = e.to_string();
        assert!(
            msg.starts_with("cxl_pci.doe.2 (0000:0e:00.0, DOE at 0x190): discovery: "),
            "{msg}"
        );
        assert!(msg.contains("--force"), "{msg}");
        assert_eq!(a.system.writes.get(), 0);
        assert_eq!(
            text(&a, &["discover", "--force", "cxl_pci.doe.2"]),
            "0001:00 discovery\n1e98:02 CXL table access (CDAT)\n"
        );
        let raw = run(&a, &["cdat", "--raw", "--force", "cxl_pci.doe.2"]).expect("cdat");
        assert_eq!(raw, table_of(&sample_cdat()[1..]));
        let req = request_file(&f, "r.bin", &[0; 4]);
        let args = [
            "exchange",
            "cxl_pci.doe.2",
            "--vendor",
            "1",
            "--type",
            "0",
            &req,
        ];
        assert!(run(&a, &args)
            .expect_err("in use")
            .to_string()
            .contains("--force"));
        let mut forced = args.to_vec();
        forced.insert(2, "--force");
        assert_eq!(run(&a, &forced).expect("forced"), vec![1, 0, 0, 1]);
    }

    #[test]
    fn device_gone_is_said_so() {
        let f = tree("app_gone");
        let a = app(&f, 0, || {
            let mut sim = good_sim();
            sim.gone = true;
            sim
        });
        let e = run(&a, &["cdat", "cxl_pci.doe.2"]).expect_err("gone");
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.2 (0000:0e:00.0, DOE at 0x190): reading extended capability header \
             at config space offset 0x190: No such device (ENODEV): device gone (all-ones \
             read)"
        );
        assert_eq!(a.system.writes.get(), 0);
    }
}
