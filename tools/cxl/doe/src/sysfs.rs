// SPDX-License-Identifier: GPL-2.0
//! The mailboxes in sysfs, and naming one on the command line.
//!
//! Each DOE mailbox is an auxiliary device `cxl_pci.doe.N` under
//! `/sys/bus/auxiliary/devices`, a child of its PCI device, with the attributes
//! `offset` (of the DOE capability), `protocols` and `cdat`, and a `driver` link while
//! it is bound. A mailbox is named `cxl_pci.doe.N` or `<bdf>@<offset>`.
//!
//! The root of sysfs is a parameter so that the tests can build a tree in a temporary
//! directory.

use crate::discovery::{self, Protocol};
use crate::error::Error;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The driver of DOE mailboxes.
pub const DRIVER: &str = "cxl_doe.cxl_doe_drv";
/// The name of a mailbox, before its index.
pub const PREFIX: &str = "cxl_pci.doe.";

/// A PCI function's address: domain, bus, device, function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bdf {
    /// PCI domain (segment).
    pub domain: u32,
    /// Bus.
    pub bus: u8,
    /// Device, 0 to 31.
    pub dev: u8,
    /// Function, 0 to 7.
    pub func: u8,
}

/// As the kernel names the device: `0000:0d:00.0`.
impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.dev, self.func
        )
    }
}

fn hex_field(s: &str, max_len: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

impl std::str::FromStr for Bdf {
    type Err = String;

    /// `dddd:bb:dd.f`, or `bb:dd.f` in domain 0; hex, either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a PCI address like 0000:0d:00.0");
        let (rest, func) = s.rsplit_once('.').ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (domain, bus, dev) = match parts.as_slice() {
            [d, b, v] => (hex_field(d, 8), *b, *v),
            [b, v] => (Some(0), *b, *v),
            _ => return Err(bad()),
        };
        let (Some(domain), Some(bus), Some(dev), Some(func)) = (
            domain,
            hex_field(bus, 2),
            hex_field(dev, 2),
            hex_field(func, 1),
        ) else {
            return Err(bad());
        };
        if dev > 0x1f || func > 7 {
            return Err(bad());
        }
        Ok(Bdf {
            domain,
            bus: bus as u8,
            dev: dev as u8,
            func: func as u8,
        })
    }
}

/// A number as the tool takes it: `0x` and hex, or decimal.
pub fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(h, 16).ok()
        }
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// N of `cxl_pci.doe.N`: digits, no leading zero but for `0`.
pub fn mailbox_index(name: &str) -> Option<u32> {
    let n = name.strip_prefix(PREFIX)?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0'))
    {
        return None;
    }
    n.parse().ok()
}

/// A mailbox as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxSpec {
    /// `cxl_pci.doe.N`.
    Name(u32),
    /// `<bdf>@<offset>`: the DOE capability at `offset` of a PCI function.
    At {
        /// The PCI function.
        bdf: Bdf,
        /// The capability's offset in config space.
        offset: u32,
    },
}

impl fmt::Display for MailboxSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailboxSpec::Name(n) => write!(f, "{PREFIX}{n}"),
            MailboxSpec::At { bdf, offset } => write!(f, "{bdf}@{offset:#x}"),
        }
    }
}

/// Why a mailbox argument was not understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadMailbox {
    /// The argument.
    pub arg: String,
    /// What is wrong with it.
    pub why: String,
}

impl fmt::Display for BadMailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a mailbox: {}; expected cxl_pci.doe.N or <bdf>@<offset> such as \
             0000:0d:00.0@0x190",
            self.arg, self.why
        )
    }
}

impl std::error::Error for BadMailbox {}

impl std::str::FromStr for MailboxSpec {
    type Err = BadMailbox;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: String| BadMailbox {
            arg: s.to_string(),
            why,
        };
        if let Some((bdf, offset)) = s.split_once('@') {
            let bdf = bdf.parse::<Bdf>().map_err(bad)?;
            let offset = parse_number(offset)
                .ok_or_else(|| bad(format!("'{offset}' is not a number (0x190 or 400)")))?;
            if !(0x100..=0xffc).contains(&offset) {
                return Err(bad(format!(
                    "offset {offset:#x} is outside extended config space (0x100 to 0xffc)"
                )));
            }
            if offset % 4 != 0 {
                return Err(bad(format!("offset {offset:#x} is not a multiple of 4")));
            }
            return Ok(MailboxSpec::At {
                bdf,
                offset: offset as u32,
            });
        }
        if s.starts_with(PREFIX) {
            return mailbox_index(s)
                .map(MailboxSpec::Name)
                .ok_or_else(|| bad("N must be a number without leading zeros".to_string()));
        }
        Err(bad("neither form".to_string()))
    }
}

/// What sysfs says about a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxInfo {
    /// `cxl_pci.doe.N`.
    pub name: String,
    /// N.
    pub index: u32,
    /// Its directory under `/sys/bus/auxiliary/devices`.
    pub dir: PathBuf,
    /// The name of its parent, the PCI device.
    pub parent: String,
    /// The PCI device, if the parent's name is a PCI address.
    pub bdf: Option<Bdf>,
    /// The DOE capability's offset.
    pub offset: u32,
    /// The driver it is bound to, if any.
    pub driver: Option<String>,
}

impl MailboxInfo {
    /// `cxl_pci.doe.N (0000:0d:00.0, DOE at 0x190)`, for messages.
    pub fn describe(&self) -> String {
        format!("{} ({}, DOE at {:#x})", self.name, self.parent, self.offset)
    }

    /// The path of one of its attributes.
    pub fn attr(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// What an errno means when reading a mailbox attribute.
fn read_hint(err: &io::Error) -> Option<&'static str> {
    match err.raw_os_error()? {
        6 => Some("mailbox unavailable (unbound)"),
        13 | 1 => Some("readable by root only"),
        2 => Some("no such attribute; is the cxl_doe driver up to date?"),
        _ => None,
    }
}

/// What an errno means when writing `bind` or `unbind`.
fn bind_hint(err: &io::Error, bind: bool) -> Option<&'static str> {
    match (err.raw_os_error()?, bind) {
        (2, true) => Some("no such driver; is the cxl_doe module loaded?"),
        (2, false) => Some("no such driver"),
        (13 | 1, _) => Some("writable by root only"),
        (16, true) => Some("the mailbox is already bound"),
        (19, true) => Some("the driver did not take the mailbox (see dmesg)"),
        (19, false) => Some("the mailbox is not bound to this driver"),
        _ => None,
    }
}

/// The sysfs tree under `root`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sysfs {
    root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs::new("/")
    }
}

impl Sysfs {
    /// The tree whose `sys` directory is under `root` (`/` for the real one).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sysfs { root: root.into() }
    }

    /// `/dev/cxl_doe`, through which a process holds a mailbox that user space owns.
    pub fn hold_device(&self) -> PathBuf {
        self.root.join("dev/cxl_doe")
    }

    /// `/sys/bus/auxiliary/devices`.
    pub fn devices_dir(&self) -> PathBuf {
        self.root.join("sys/bus/auxiliary/devices")
    }

    /// `/sys/bus/auxiliary/drivers/<driver>`.
    pub fn driver_dir(&self, driver: &str) -> PathBuf {
        self.root.join("sys/bus/auxiliary/drivers").join(driver)
    }

    /// `/sys/bus/pci/devices/<bdf>/config`.
    pub fn pci_config(&self, bdf: &Bdf) -> PathBuf {
        self.root
            .join("sys/bus/pci/devices")
            .join(bdf.to_string())
            .join("config")
    }

    fn file_error(path: PathBuf, err: io::Error, hint: Option<&'static str>) -> Error {
        Error::File { path, err, hint }
    }

    /// What sysfs says about `cxl_pci.<index>`.
    pub fn info(&self, index: u32) -> Result<MailboxInfo, Error> {
        let name = format!("{PREFIX}{index}");
        let dir = self.devices_dir().join(&name);
        let real =
            std::fs::canonicalize(&dir).map_err(|e| Self::file_error(dir.clone(), e, None))?;
        let parent = real
            .parent()
            .and_then(Path::file_name)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bdf = parent.parse().ok();
        let path = dir.join("offset");
        let text =
            std::fs::read_to_string(&path).map_err(|e| Self::file_error(path.clone(), e, None))?;
        let offset = parse_number(text.trim())
            .and_then(|o| u32::try_from(o).ok())
            .ok_or_else(|| Error::Attribute {
                path: path.clone(),
                problem: format!("'{}' is not an offset", text.trim().escape_debug()),
            })?;
        let driver = Self::driver_in(&dir)?;
        Ok(MailboxInfo {
            name,
            index,
            dir,
            parent,
            bdf,
            offset,
            driver,
        })
    }

    /// The driver the device in `dir` is bound to, if any: where its `driver` link
    /// points.
    fn driver_in(dir: &Path) -> Result<Option<String>, Error> {
        let link = dir.join("driver");
        match std::fs::read_link(&link) {
            Ok(target) => Ok(Some(
                target
                    .file_name()
                    .map(|d| d.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::file_error(link, e, None)),
        }
    }

    /// The driver `mb` is bound to now, if any, read again from sysfs. A mailbox gone
    /// from sysfs (its PCI device was unbound from `cxl_pci`, or removed) is an error,
    /// not an unbound mailbox.
    pub fn driver_now(&self, mb: &MailboxInfo) -> Result<Option<String>, Error> {
        let offset = mb.attr("offset");
        std::fs::metadata(&offset)
            .map_err(|e| Self::file_error(offset, e, Some("the mailbox is gone")))?;
        Self::driver_in(&mb.dir)
    }

    /// Whether user space owns `mb` now, read again from sysfs: its `owner` reads `user`
    /// once an unbind of `cxl_doe` claimed the mailbox for user space, until the next
    /// bind, and `kernel` otherwise, also when no driver was ever bound.
    pub fn user_owned_now(&self, mb: &MailboxInfo) -> Result<bool, Error> {
        let path = mb.attr("owner");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let hint = if e.kind() == io::ErrorKind::NotFound {
                "the mailbox is gone, or the kernel does not say who owns it"
            } else {
                "cannot tell who owns the mailbox"
            };
            Self::file_error(path.clone(), e, Some(hint))
        })?;
        match text.trim() {
            "user" => Ok(true),
            "kernel" => Ok(false),
            other => Err(Error::Attribute {
                path,
                problem: format!("'{}' is not an owner", other.escape_debug()),
            }),
        }
    }

    /// Every mailbox, by index. No auxiliary bus is no mailbox.
    pub fn mailboxes(&self) -> Result<Vec<MailboxInfo>, Error> {
        let dir = self.devices_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::file_error(dir, e, None)),
        };
        let mut indexes = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Self::file_error(dir.clone(), e, None))?;
            if let Some(i) = entry.file_name().to_str().and_then(mailbox_index) {
                indexes.push(i);
            }
        }
        indexes.sort_unstable();
        indexes.into_iter().map(|i| self.info(i)).collect()
    }

    /// The mailbox `spec` names.
    pub fn resolve(&self, spec: &MailboxSpec) -> Result<MailboxInfo, Error> {
        match spec {
            MailboxSpec::Name(index) => {
                let dir = self.devices_dir().join(spec.to_string());
                if std::fs::symlink_metadata(&dir).is_err() {
                    return Err(Error::NoMailbox {
                        what: spec.to_string(),
                        looked: self.devices_dir(),
                    });
                }
                self.info(*index)
            }
            MailboxSpec::At { bdf, offset } => self
                .mailboxes()?
                .into_iter()
                .find(|m| m.bdf.as_ref() == Some(bdf) && m.offset == *offset)
                .ok_or_else(|| Error::NoMailbox {
                    what: format!("at offset {offset:#x} of {bdf}"),
                    looked: self.devices_dir(),
                }),
        }
    }

    /// The `protocols` attribute of a bound mailbox.
    pub fn protocols(&self, mb: &MailboxInfo) -> Result<Vec<Protocol>, Error> {
        let path = mb.attr("protocols");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let hint = read_hint(&e);
            Self::file_error(path.clone(), e, hint)
        })?;
        discovery::parse_list(&text).map_err(|err| Error::Protocols { path, err })
    }

    /// The `cdat` attribute of a bound mailbox: the table's bytes.
    pub fn cdat(&self, mb: &MailboxInfo) -> Result<Vec<u8>, Error> {
        let path = mb.attr("cdat");
        std::fs::read(&path).map_err(|e| {
            let hint = read_hint(&e);
            Self::file_error(path, e, hint)
        })
    }

    fn write_attr(path: PathBuf, value: &str, bind: bool) -> Result<(), Error> {
        let r = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut f| f.write_all(value.as_bytes()));
        r.map_err(|e| {
            let hint = bind_hint(&e, bind);
            Self::file_error(path, e, hint)
        })
    }

    /// Binds `mb` to the DOE mailbox driver.
    pub fn bind(&self, mb: &MailboxInfo) -> Result<(), Error> {
        Self::write_attr(self.driver_dir(DRIVER).join("bind"), &mb.name, true)
    }

    /// Unbinds `mb` from its driver.
    pub fn unbind(&self, mb: &MailboxInfo, driver: &str) -> Result<(), Error> {
        Self::write_attr(self.driver_dir(driver).join("unbind"), &mb.name, false)
    }
}

/// For the tests: a fake sysfs tree.
#[cfg(test)]
pub mod fake {
    use super::*;
    use crate::testdir::TestDir;
    use std::os::unix::fs::symlink;

    /// A sysfs tree in a temporary directory.
    pub struct FakeSysfs {
        /// The directory, removed when dropped.
        pub dir: TestDir,
    }

    impl FakeSysfs {
        /// An empty tree with the auxiliary bus and the DOE driver.
        pub fn new(name: &str) -> Self {
            let dir = TestDir::new(name);
            let root = dir.path();
            for d in [
                "sys/bus/auxiliary/devices",
                "sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv",
                "sys/bus/pci/devices",
            ] {
                std::fs::create_dir_all(root.join(d)).expect("mkdir");
            }
            for f in ["bind", "unbind"] {
                std::fs::write(
                    root.join("sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv")
                        .join(f),
                    "",
                )
                .expect("write");
            }
            FakeSysfs { dir }
        }

        /// The tree.
        pub fn sysfs(&self) -> Sysfs {
            Sysfs::new(self.dir.path())
        }

        /// Adds `cxl_pci.doe.<index>` of PCI device `bdf` at `offset`, bound or not, with
        /// `protocols` and `cdat` attributes (written as they would read when bound).
        pub fn add(
            &self,
            index: u32,
            bdf: &str,
            offset: u32,
            bound: bool,
            protocols: &str,
            cdat: &[u8],
        ) {
            let root = self.dir.path();
            let pci = root.join("sys/devices/pci0000:00").join(bdf);
            let name = format!("{PREFIX}{index}");
            let dev = pci.join(&name);
            std::fs::create_dir_all(&dev).expect("mkdir");
            let pci_link = root.join("sys/bus/pci/devices").join(bdf);
            if std::fs::symlink_metadata(&pci_link).is_err() {
                symlink(format!("../../../devices/pci0000:00/{bdf}"), &pci_link).expect("symlink");
            }
            std::fs::write(pci.join("config"), [0u8; 256]).expect("write");
            std::fs::write(dev.join("offset"), format!("{offset:#x}\n")).expect("write");
            std::fs::write(dev.join("protocols"), protocols).expect("write");
            std::fs::write(dev.join("cdat"), cdat).expect("write");
            symlink(
                format!("../../../devices/pci0000:00/{bdf}/{name}"),
                root.join("sys/bus/auxiliary/devices").join(&name),
            )
            .expect("symlink");
            // Unbound here stands for handed over: an unbind claimed it for user space.
            self.set_owner(index, "user");
            if bound {
                self.set_bound(index, true);
            }
        }

        /// Writes what the `owner` of a mailbox reads.
        pub fn set_owner(&self, index: u32, owner: &str) {
            let dev = self.dir.path().join("sys/bus/auxiliary/devices");
            let dev = dev.join(format!("{PREFIX}{index}"));
            std::fs::write(dev.join("owner"), format!("{owner}\n")).expect("write");
        }

        /// Binds or unbinds a mailbox, as the kernel would, and so gives it to the kernel
        /// or to user space.
        pub fn set_bound(&self, index: u32, bound: bool) {
            self.set_owner(index, if bound { "kernel" } else { "user" });
            let link = self
                .dir
                .path()
                .join("sys/bus/auxiliary/devices")
                .join(format!("{PREFIX}{index}"))
                .join("driver");
            if bound {
                symlink(
                    "../../../../bus/auxiliary/drivers/cxl_doe.cxl_doe_drv",
                    link,
                )
                .expect("symlink");
            } else {
                std::fs::remove_file(link).expect("unlink");
            }
        }

        /// What was written to the driver's `bind` or `unbind`.
        pub fn written(&self, file: &str) -> String {
            std::fs::read_to_string(
                self.dir
                    .path()
                    .join("sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv")
                    .join(file),
            )
            .expect("read")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeSysfs;
    use super::*;

    fn bdf(s: &str) -> Bdf {
        s.parse().expect("a BDF")
    }

    #[test]
    fn bdfs() {
        assert_eq!(
            bdf("0000:0d:00.0"),
            Bdf {
                domain: 0,
                bus: 0x0d,
                dev: 0,
                func: 0
            }
        );
        assert_eq!(bdf("0D:1f.7").to_string(), "0000:0d:1f.7");
        assert_eq!(bdf("10000:e1:00.3").to_string(), "10000:e1:00.3");
        for bad in [
            "",
            "0d:00",
            "0000:0d:00",
            "0000:0d:20.0",
            "0000:0d:00.8",
            "0000:0d:00.00",
            "0000:100:00.0",
            "x:0d:00.0",
            "123456789:00:00.0",
            "0000:0d:00.0.0",
            ":0d:00.0",
            "0:0:0:0.0",
        ] {
            assert!(bad.parse::<Bdf>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x190"), Some(0x190));
        assert_eq!(parse_number("0X1B0"), Some(0x1b0));
        assert_eq!(parse_number("400"), Some(400));
        assert_eq!(parse_number("0"), Some(0));
        for bad in ["", "0x", "x190", "-1", "+4", "0x19g", "1e3", " 4"] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mailbox_names() {
        assert_eq!(mailbox_index("cxl_pci.doe.0"), Some(0));
        assert_eq!(mailbox_index("cxl_pci.doe.12"), Some(12));
        for bad in [
            "cxl_pci.doe.",
            "cxl_pci.doe.01",
            "cxl_pci.doe.x",
            "cxl_pci.doe.-1",
            "doe.1",
            "cxl_mem.0",
        ] {
            assert_eq!(mailbox_index(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mailbox_specs() {
        assert_eq!("cxl_pci.doe.3".parse(), Ok(MailboxSpec::Name(3)));
        let at = MailboxSpec::At {
            bdf: bdf("0000:0d:00.0"),
            offset: 0x190,
        };
        assert_eq!("0000:0d:00.0@0x190".parse(), Ok(at));
        assert_eq!("0d:00.0@400".parse(), Ok(at));
        assert_eq!(at.to_string(), "0000:0d:00.0@0x190");
        assert_eq!(MailboxSpec::Name(7).to_string(), "cxl_pci.doe.7");
    }

    #[test]
    fn bad_mailbox_specs() {
        let why = |s: &str| s.parse::<MailboxSpec>().expect_err(s).to_string();
        assert_eq!(
            why("0000:0d:00.0@0x191"),
            "'0000:0d:00.0@0x191' is not a mailbox: offset 0x191 is not a multiple of 4; \
             expected cxl_pci.doe.N or <bdf>@<offset> such as 0000:0d:00.0@0x190"
        );
        assert!(why("0000:0d:00.0@0x40").contains("outside extended config space"));
        assert!(why("0000:0d:00.0@0x1000").contains("outside extended config space"));
        assert!(why("0000:0d:00.0@").contains("'' is not a number"));
        assert!(why("0000:0d:00.0@0xfffffffffffffffff").contains("is not a number"));
        assert!(why("nope@0x190").contains("'nope' is not a PCI address"));
        assert!(why("cxl_pci.doe.03").contains("without leading zeros"));
        assert!(why("3").contains("neither form"));
        assert!(why("").contains("neither form"));
    }

    #[test]
    fn paths() {
        let s = Sysfs::default();
        assert_eq!(s.devices_dir(), PathBuf::from("/sys/bus/auxiliary/devices"));
        assert_eq!(
            s.driver_dir(DRIVER).join("bind"),
            PathBuf::from("/sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/bind")
        );
        assert_eq!(
            s.pci_config(&bdf("0000:0d:00.0")),
            PathBuf::from("/sys/bus/pci/devices/0000:0d:00.0/config")
        );
    }

    #[test]
    fn mailboxes_of_a_fake_tree() {
        let f = FakeSysfs::new("sysfs_list");
        f.add(10, "0000:0e:00.0", 0x200, false, "", &[]);
        f.add(2, "0000:0d:00.0", 0x190, true, "0001:00\n", &[]);
        f.add(3, "0000:0d:00.0", 0x1b0, false, "", &[]);
        // Not mailboxes.
        std::fs::create_dir_all(
            f.dir
                .path()
                .join("sys/bus/auxiliary/devices/cxl_pci.mbox.0"),
        )
        .expect("mkdir");
        let list = f.sysfs().mailboxes().expect("list");
        let names: Vec<&str> = list.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["cxl_pci.doe.2", "cxl_pci.doe.3", "cxl_pci.doe.10"]);
        assert_eq!(list[0].bdf, Some(bdf("0000:0d:00.0")));
        assert_eq!(list[0].parent, "0000:0d:00.0");
        assert_eq!(list[0].offset, 0x190);
        assert_eq!(list[0].driver.as_deref(), Some(DRIVER));
        assert_eq!(list[1].driver, None);
        assert_eq!(
            list[0].describe(),
            "cxl_pci.doe.2 (0000:0d:00.0, DOE at 0x190)"
        );
    }

    #[test]
    fn no_auxiliary_bus_is_no_mailbox() {
        let dir = crate::testdir::TestDir::new("sysfs_empty");
        assert_eq!(Sysfs::new(dir.path()).mailboxes().expect("list"), vec![]);
    }

    #[test]
    fn resolves_both_spellings() {
        let f = FakeSysfs::new("sysfs_resolve");
        f.add(0, "0000:0d:00.0", 0x190, true, "", &[]);
        f.add(1, "0000:0d:00.0", 0x1b0, false, "", &[]);
        let s = f.sysfs();
        let by_name = s
            .resolve(&"cxl_pci.doe.1".parse().expect("spec"))
            .expect("resolve");
        let by_place = s
            .resolve(&"0000:0d:00.0@0x1b0".parse().expect("spec"))
            .expect("resolve");
        assert_eq!(by_name, by_place);
        assert_eq!(by_name.index, 1);
        let by_decimal = s
            .resolve(&"0d:00.0@400".parse().expect("spec"))
            .expect("resolve");
        assert_eq!(by_decimal.index, 0);
        let e = s.resolve(&MailboxSpec::Name(9)).expect_err("none");
        assert_eq!(
            e.to_string(),
            format!(
                "no DOE mailbox cxl_pci.doe.9 under {}; `doe list` shows the mailboxes",
                s.devices_dir().display()
            )
        );
        let e = s
            .resolve(&"0000:0d:00.0@0x200".parse().expect("spec"))
            .expect_err("none");
        assert!(
            e.to_string()
                .starts_with("no DOE mailbox at offset 0x200 of 0000:0d:00.0 under "),
            "{e}"
        );
    }

    #[test]
    fn bad_offset_attribute() {
        let f = FakeSysfs::new("sysfs_offset");
        f.add(0, "0000:0d:00.0", 0x190, false, "", &[]);
        let path = f.sysfs().devices_dir().join("cxl_pci.doe.0/offset");
        std::fs::write(&path, "soon\n").expect("write");
        let e = f.sysfs().info(0).expect_err("bad offset");
        assert_eq!(
            e.to_string(),
            format!("{}: 'soon' is not an offset", path.display())
        );
    }

    #[test]
    fn attributes() {
        let f = FakeSysfs::new("sysfs_attrs");
        f.add(
            0,
            "0000:0d:00.0",
            0x190,
            true,
            "0001:00\n1e98:02\n",
            &[1, 2, 3],
        );
        let s = f.sysfs();
        let mb = s.info(0).expect("info");
        assert_eq!(
            s.protocols(&mb).expect("protocols"),
            vec![Protocol::DISCOVERY, Protocol::CXL_TABLE_ACCESS]
        );
        assert_eq!(s.cdat(&mb).expect("cdat"), vec![1, 2, 3]);
        std::fs::write(mb.attr("protocols"), "0001:00\nhello\n").expect("write");
        let e = s.protocols(&mb).expect_err("bad");
        assert!(
            e.to_string()
                .ends_with("/protocols: line 2: 'hello' is not vvvv:tt in hex"),
            "{e}"
        );
        std::fs::remove_file(mb.attr("cdat")).expect("rm");
        let e = s.cdat(&mb).expect_err("gone");
        assert!(
            e.to_string().ends_with(
                "/cdat: No such file or directory (ENOENT): no such attribute; is the cxl_doe \
                 driver up to date?"
            ),
            "{e}"
        );
    }

    #[test]
    fn hints() {
        let e = io::Error::from_raw_os_error(6);
        assert_eq!(read_hint(&e), Some("mailbox unavailable (unbound)"));
        let e = io::Error::from_raw_os_error(13);
        assert_eq!(read_hint(&e), Some("readable by root only"));
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(
            bind_hint(&e, true),
            Some("no such driver; is the cxl_doe module loaded?")
        );
        let e = io::Error::from_raw_os_error(19);
        assert_eq!(
            bind_hint(&e, false),
            Some("the mailbox is not bound to this driver")
        );
    }

    #[test]
    fn driver_now_reads_sysfs_again() {
        let f = FakeSysfs::new("sysfs_driver_now");
        f.add(0, "0000:0d:00.0", 0x190, false, "", &[]);
        let s = f.sysfs();
        let mb = s.info(0).expect("info");
        assert_eq!(s.driver_now(&mb).expect("unbound"), None);
        f.set_bound(0, true);
        assert_eq!(s.driver_now(&mb).expect("bound"), Some(DRIVER.to_string()));
        assert_eq!(mb.driver, None, "what it was");
        std::fs::remove_file(s.devices_dir().join("cxl_pci.doe.0")).expect("rm");
        let e = s.driver_now(&mb).expect_err("gone");
        assert!(
            e.to_string()
                .ends_with("/offset: No such file or directory (ENOENT): the mailbox is gone"),
            "{e}"
        );
    }

    #[test]
    fn bind_and_unbind_write_the_name() {
        let f = FakeSysfs::new("sysfs_bind");
        f.add(4, "0000:0d:00.0", 0x190, false, "", &[]);
        let s = f.sysfs();
        let mb = s.info(4).expect("info");
        s.bind(&mb).expect("bind");
        assert_eq!(f.written("bind"), "cxl_pci.doe.4");
        s.unbind(&mb, DRIVER).expect("unbind");
        assert_eq!(f.written("unbind"), "cxl_pci.doe.4");
        let e = s.unbind(&mb, "other_drv").expect_err("no driver");
        assert!(
            e.to_string()
                .contains("drivers/other_drv/unbind: No such file"),
            "{e}"
        );
    }
}
