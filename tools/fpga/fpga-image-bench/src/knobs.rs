// SPDX-License-Identifier: GPL-2.0
//! Small sysfs and debugfs files, and the debugfs knobs of a simulated card.
//!
//! Both peers have the same knobs in their debugfs directory: `block_size`,
//! `block_delay_us`, `program_ms`, `store` (1 keeps the bytes, 0 only counts them),
//! `received` (bytes of the last completed load) and `image` (the bytes kept).

use crate::error::Problem;
use rustix::fs::{open, Mode, OFlags};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// Opens `path` with `flags` (and `O_CLOEXEC`).
pub fn open_file(path: &Path, flags: OFlags) -> Result<OwnedFd, Problem> {
    open(path, flags | OFlags::CLOEXEC, Mode::empty()).map_err(|e| Problem::errno(path, "open", e))
}

/// Writes `text` to the attribute at `path` with one `write()`, as `echo text > path`
/// does (`O_TRUNC` too, which attributes ignore and regular files need). Not `pwrite()`:
/// debugfs knobs are not seekable (`ESPIPE`).
pub fn write_attr(path: &Path, text: &str) -> Result<(), Problem> {
    let fd = open_file(path, OFlags::WRONLY | OFlags::TRUNC)?;
    checked_write(rustix::io::write(&fd, text.as_bytes()), path, text)
}

/// Writes `text` to the open sysfs attribute `fd` at offset 0, with one `pwrite()`.
pub fn pwrite_attr(fd: &OwnedFd, path: &Path, text: &str) -> Result<(), Problem> {
    checked_write(rustix::io::pwrite(fd, text.as_bytes(), 0), path, text)
}

/// The result of a write of all of `text` to `path`.
fn checked_write(r: rustix::io::Result<usize>, path: &Path, text: &str) -> Result<(), Problem> {
    match r {
        Ok(n) if n == text.len() => Ok(()),
        Ok(n) => Err(Problem(format!(
            "{}: write of {text:?} took {n} bytes",
            path.display()
        ))),
        Err(e) => Err(Problem::errno(path, &format!("write {text:?}"), e)),
    }
}

/// Reads the open attribute `fd` from offset 0 into `buf` with one `pread()`: its text.
pub fn pread_attr<'b>(fd: &OwnedFd, path: &Path, buf: &'b mut [u8]) -> Result<&'b str, Problem> {
    let n = rustix::io::pread(fd, &mut *buf, 0).map_err(|e| Problem::errno(path, "read", e))?;
    std::str::from_utf8(&buf[..n]).map_err(|_| Problem(format!("{}: not text", path.display())))
}

/// The text of the attribute at `path`, without surrounding white space.
pub fn read_attr(path: &Path) -> Result<String, Problem> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| Problem::io(path, "read", &e))
}

/// How a card is set up for a load: no delay, no programming time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// The most bytes the card takes per block.
    pub block: u64,
    /// Keep the bytes (store mode), or only count them (count mode).
    pub store: bool,
}

/// The knobs that [`Knobs::set_up`] changes, in the order it writes them.
pub const KNOBS: [&str; 4] = ["block_size", "block_delay_us", "program_ms", "store"];

impl Setup {
    /// The values of [`KNOBS`] for this setup.
    pub fn values(&self) -> [String; 4] {
        [
            format!("{:#x}", self.block),
            "0".to_string(),
            "0".to_string(),
            if self.store { "1" } else { "0" }.to_string(),
        ]
    }
}

/// The debugfs directory of a card's knobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// E.g. `/sys/kernel/debug/fpga_image_load_sim/fpga_image0`.
    pub dir: PathBuf,
}

impl Knobs {
    /// Sets the card up for the next loads.
    pub fn set_up(&self, setup: Setup) -> Result<(), Problem> {
        for (name, value) in KNOBS.iter().zip(setup.values()) {
            write_attr(&self.dir.join(name), &value)?;
        }
        Ok(())
    }

    /// The current values of [`KNOBS`], to put back with [`Knobs::restore`].
    pub fn save(&self) -> Result<Vec<(&'static str, String)>, Problem> {
        KNOBS
            .iter()
            .map(|&name| Ok((name, read_attr(&self.dir.join(name))?)))
            .collect()
    }

    /// Puts back values saved by [`Knobs::save`].
    pub fn restore(&self, saved: &[(&'static str, String)]) -> Result<(), Problem> {
        for (name, value) in saved {
            write_attr(&self.dir.join(name), value)?;
        }
        Ok(())
    }

    /// `received`: bytes received by the last completed load.
    pub fn received(&self) -> Result<u64, Problem> {
        let path = self.dir.join("received");
        let text = read_attr(&path)?;
        text.parse()
            .map_err(|_| Problem(format!("{}: {text:?} is not a number", path.display())))
    }

    /// Compares `image` (the debugfs file) with `expected`, reading it in pieces.
    pub fn check_image(&self, expected: &[u8]) -> Result<(), Problem> {
        let path = self.dir.join("image");
        let file = std::fs::File::open(&path).map_err(|e| Problem::io(&path, "open", &e))?;
        compare_stream(file, expected).map_err(|m| match m {
            Mismatch::Io(e) => Problem::io(&path, "read", &e),
            m => Problem(format!("{}: {m}", path.display())),
        })
    }
}

/// How a stream differs from the expected bytes.
#[derive(Debug)]
pub enum Mismatch {
    /// The bytes differ from this offset on.
    At(u64),
    /// The stream is shorter, this long.
    Short(u64),
    /// The stream goes on past the expected bytes.
    Long,
    /// The stream could not be read.
    Io(std::io::Error),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::At(off) => write!(f, "differs from the image loaded at byte {off}"),
            Mismatch::Short(len) => write!(f, "has only {len} bytes of the image loaded"),
            Mismatch::Long => f.write_str("is longer than the image loaded"),
            Mismatch::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads `r` to its end in 1 MiB pieces and compares it with `expected`.
pub fn compare_stream(mut r: impl Read, expected: &[u8]) -> Result<(), Mismatch> {
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0usize;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Mismatch::Io(e)),
        };
        let want = expected.get(off..).unwrap_or_default();
        if n > want.len() {
            return Err(Mismatch::Long);
        }
        if let Some(i) = (0..n).find(|&i| buf[i] != want[i]) {
            return Err(Mismatch::At((off + i) as u64));
        }
        off += n;
    }
    if off < expected.len() {
        return Err(Mismatch::Short(off as u64));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_values() {
        let s = Setup {
            block: 0x1000,
            store: true,
        };
        assert_eq!(s.values(), ["0x1000", "0", "0", "1"]);
        let s = Setup {
            block: 1 << 20,
            store: false,
        };
        assert_eq!(s.values(), ["0x100000", "0", "0", "0"]);
    }

    #[test]
    fn streams_compared() {
        let img: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        assert!(compare_stream(&img[..], &img).is_ok());
        assert!(matches!(
            compare_stream(&img[..10], &img),
            Err(Mismatch::Short(10))
        ));
        let mut longer = img.clone();
        longer.push(0);
        assert!(matches!(
            compare_stream(&longer[..], &img),
            Err(Mismatch::Long)
        ));
        let mut bad = img.clone();
        bad[2_500_000] ^= 1;
        assert!(matches!(
            compare_stream(&bad[..], &img),
            Err(Mismatch::At(2_500_000))
        ));
        assert_eq!(
            Mismatch::At(7).to_string(),
            "differs from the image loaded at byte 7"
        );
    }

    #[test]
    fn knobs_in_a_directory() {
        let dir =
            std::env::temp_dir().join(format!("fpga-image-bench-knobs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for name in KNOBS {
            std::fs::write(dir.join(name), "7\n").expect("knob");
        }
        std::fs::write(dir.join("received"), "65536\n").expect("received");
        std::fs::write(dir.join("image"), [1u8, 2, 3, 4]).expect("image");
        let knobs = Knobs { dir: dir.clone() };
        let saved = knobs.save().expect("save");
        knobs
            .set_up(Setup {
                block: 4096,
                store: false,
            })
            .expect("set up");
        assert_eq!(read_attr(&dir.join("block_size")).as_deref(), Ok("0x1000"));
        assert_eq!(read_attr(&dir.join("store")).as_deref(), Ok("0"));
        knobs.restore(&saved).expect("restore");
        assert_eq!(read_attr(&dir.join("block_size")).as_deref(), Ok("7"));
        assert_eq!(knobs.received(), Ok(65536));
        assert!(knobs.check_image(&[1, 2, 3, 4]).is_ok());
        let e = knobs.check_image(&[1, 2, 3, 5]).expect_err("differs");
        assert!(
            e.0.ends_with("/image: differs from the image loaded at byte 3"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).expect("rm");
    }
}
