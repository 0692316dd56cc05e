// SPDX-License-Identifier: GPL-2.0
//! The floor: what moving the image costs in user space, and the test images.
//!
//! - memcpy: the image copied into a second buffer whose pages were touched beforehand,
//!   so that no page fault is timed: the least a copy into the kernel can cost;
//! - tmpfs write: `open()`, one `write()` of the image into a new file on tmpfs
//!   (`/tmp`), which allocates and fills page-cache pages as a kernel copy does. The file
//!   is removed after each sample, untimed;
//! - rep movsb (x86-64): the memcpy again, with the instruction the kernel's
//!   `copy_from_user()` uses on CPUs with ERMS or FSRM (as QEMU's `-cpu max`). Under an
//!   emulator its cost can differ from the library's vector memcpy by a large factor,
//!   which then no kernel copy can make up: this row says by how much.

use crate::error::Problem;
use rustix::fs::{open, unlink, Mode, OFlags};
use rustix::io::Errno;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// `statfs()`'s `f_type` of tmpfs.
pub const TMPFS_MAGIC: i128 = 0x0102_1994;

/// A test image of `size` bytes: a pseudo-random sequence (xorshift64) seeded by the
/// size, so that a card keeping the wrong bytes, or a shifted image, is seen.
pub fn pattern(size: usize) -> Vec<u8> {
    let mut image = vec![0u8; size];
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ size as u64;
    for chunk in image.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    image
}

/// A buffer of `size` bytes whose pages are all touched, for [`memcpy`].
pub fn faulted_buffer(size: usize) -> Vec<u8> {
    let mut buf = vec![0u8; size];
    // vec![0; n] maps untouched zero pages: write every byte so they are all present.
    buf.fill(0xA5);
    black_box(&mut buf);
    buf
}

/// The time to copy `src` into `dst` (as long as `src`).
pub fn memcpy(src: &[u8], dst: &mut [u8]) -> Duration {
    let t0 = Instant::now();
    dst.copy_from_slice(black_box(src));
    black_box(&mut *dst);
    t0.elapsed()
}

/// The time to copy `src` into `dst` (as long as `src`) with one `rep movsb`, as the
/// kernel copies from user space on x86-64 CPUs with ERMS or FSRM; `None` elsewhere.
pub fn rep_movsb(src: &[u8], dst: &mut [u8]) -> Option<Duration> {
    #[cfg(target_arch = "x86_64")]
    {
        let n = src.len().min(dst.len());
        let t0 = Instant::now();
        // SAFETY: `rep movsb` copies `rcx` bytes from `rsi` to `rdi`, both within the
        // slices (`n` is at most either length), which do not overlap (`dst` is a unique
        // borrow); the direction flag is clear, as the ABI guarantees between calls.
        unsafe {
            core::arch::asm!(
                "rep movsb",
                inout("rcx") n => _,
                inout("rsi") src.as_ptr() => _,
                inout("rdi") dst.as_mut_ptr() => _,
                options(nostack, preserves_flags)
            );
        }
        black_box(&mut *dst);
        Some(t0.elapsed())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (src, dst);
        None
    }
}

/// The time to create `path` and write `image` into it with one `write()` (more only if
/// the kernel takes less); the file is removed afterwards.
pub fn tmpfs_write(path: &Path, image: &[u8]) -> Result<Duration, Problem> {
    let t0 = Instant::now();
    let fd = open(
        path,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| Problem::errno(path, "open", e))?;
    let mut off = 0;
    while off < image.len() {
        match rustix::io::write(&fd, &image[off..]) {
            Ok(0) => return Err(Problem(format!("{}: write took no byte", path.display()))),
            Ok(n) => off += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(Problem::errno(path, "write", e)),
        }
    }
    let t = t0.elapsed();
    drop(fd);
    unlink(path).map_err(|e| Problem::errno(path, "unlink", e))?;
    Ok(t)
}

/// Whether `dir` is on tmpfs.
pub fn is_tmpfs(dir: &Path) -> bool {
    rustix::fs::statfs(dir).is_ok_and(|st| i128::from(st.f_type) == TMPFS_MAGIC)
}

/// The floor samples of one image size, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Floor {
    /// [`memcpy`] samples.
    pub memcpy: Vec<f64>,
    /// [`tmpfs_write`] samples.
    pub tmpfs: Vec<f64>,
    /// [`rep_movsb`] samples (none where there is no such instruction).
    pub movsb: Vec<f64>,
}

/// `reps` samples of each floor for `image`, the tmpfs file being `file`.
pub fn measure(image: &[u8], reps: u32, file: &Path) -> Result<Floor, Problem> {
    let mut dst = faulted_buffer(image.len());
    let mut floor = Floor {
        memcpy: Vec::new(),
        tmpfs: Vec::new(),
        movsb: Vec::new(),
    };
    for rep in 0..reps {
        floor.memcpy.push(memcpy(image, &mut dst).as_secs_f64());
        // (The rep movsb below overwrites the copy: check this one once.)
        if rep == 0 && dst != image {
            return Err(Problem(
                "memcpy floor: the copy differs from the image".into(),
            ));
        }
        floor.tmpfs.push(tmpfs_write(file, image)?.as_secs_f64());
        dst.fill(0xA5);
        if let Some(t) = rep_movsb(image, &mut dst) {
            floor.movsb.push(t.as_secs_f64());
        }
    }
    if dst != image {
        return Err(Problem(
            "floor: the last copy differs from the image".into(),
        ));
    }
    Ok(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_deterministic_and_differ_by_size() {
        let a = pattern(64);
        assert_eq!(a, pattern(64));
        assert_eq!(pattern(13).len(), 13);
        assert_ne!(pattern(68)[..64], a[..]);
        // Not a constant fill: every 8-byte word differs from the next.
        assert!(a.chunks(8).zip(a.chunks(8).skip(1)).all(|(x, y)| x != y));
    }

    #[test]
    fn floors_are_measured() {
        let image = pattern(1 << 16);
        let file =
            std::env::temp_dir().join(format!("fpga-image-bench-floor-{}", std::process::id()));
        let f = measure(&image, 3, &file).expect("floor");
        assert_eq!((f.memcpy.len(), f.tmpfs.len()), (3, 3));
        assert_eq!(
            f.movsb.len(),
            if cfg!(target_arch = "x86_64") { 3 } else { 0 }
        );
        assert!(f.memcpy.iter().chain(&f.tmpfs).all(|&s| s >= 0.0));
        assert!(!file.exists());
    }

    #[test]
    fn rep_movsb_copies_every_byte() {
        let image = pattern(4099);
        let mut dst = vec![0u8; 4099];
        if rep_movsb(&image, &mut dst).is_some() {
            assert_eq!(dst, image);
        }
        let mut short = vec![0u8; 7];
        if rep_movsb(&image, &mut short).is_some() {
            assert_eq!(short[..], image[..7]);
        }
    }

    #[test]
    fn a_missing_directory_names_the_file() {
        let e = tmpfs_write(Path::new("/nonexistent/x"), &[0; 4]).expect_err("fails");
        assert_eq!(
            e.0,
            "/nonexistent/x: open: No such file or directory (ENOENT)"
        );
    }
}
