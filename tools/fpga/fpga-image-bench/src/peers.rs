// SPDX-License-Identifier: GPL-2.0
//! The two peers, each loading an image the way its user-space tools do.
//!
//! - [`Ours`]: a card of `fpga_image_load_sim`, `/dev/fpga_imageN`, driven with the
//!   `fpga-image-load` crate: `open()`, `FPGA_IMAGE_LOAD_WRITE` (returns once the kernel
//!   has copied the image), `poll()` until `POLLIN` (no load runs), then
//!   `FPGA_IMAGE_LOAD_STATUS`, which must say idle, no error and 0 bytes remaining.
//! - [`FwUpload`]: upstream fw_upload, `/sys/class/firmware/fpga_image_load_fwpeer/`,
//!   driven as `cxl update-firmware` and OPAE do: `1` to `loading`, the image to `data`
//!   (`write()` of the rest of the buffer until all is taken: sysfs takes a page per
//!   call), `0` to `loading`, then `status` read until it says `idle`, and `error`,
//!   which must be empty. fw_upload calls no `sysfs_notify()` on `status`, so it cannot
//!   be polled: it is read back to back (yielding the CPU) for `--fw-spin-us`, then
//!   every `--fw-poll-us`, which gives fw_upload the fastest completion notice user
//!   space can get without burning a CPU for a whole long load.
//!
//! A load is timed from its first system call to the moment user space has seen it
//! complete; the checks of the result that need more reads (`remaining_size` of
//! fw_upload, the knobs) come after.

use crate::error::Problem;
use crate::knobs::{open_file, pread_attr, pwrite_attr, read_attr, Knobs};
use fpga_image_load::abi::{ImageStatus, PROG_IDLE};
use fpga_image_load::card::{Card, Loader, Poll};
use fpga_image_load::device::Device;
use fpga_image_load::report::{last_failure, stage_word};
use rustix::fs::OFlags;
use rustix::io::Errno;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The debugfs directory of the sim cards' knobs, one `fpga_imageN` per card.
pub const SIM_DEBUGFS: &str = "/sys/kernel/debug/fpga_image_load_sim";
/// The name of the fw_upload peer.
pub const FW_NAME: &str = "fpga_image_load_fwpeer";
/// The fw_upload peer's firmware class directory.
pub const FW_SYSFS: &str = "/sys/class/firmware/fpga_image_load_fwpeer";
/// The fw_upload peer's knobs.
pub const FW_DEBUGFS: &str = "/sys/kernel/debug/fpga_image_load_fwpeer";
/// The longest a load may take before the benchmark calls it failed.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// The times of one load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadTimes {
    /// From the first system call to the completion seen by user space.
    pub total: Duration,
    /// The copy of the image into the kernel: the `FPGA_IMAGE_LOAD_WRITE` ioctl, or the
    /// `write()`s to `data`.
    pub copy: Duration,
}

/// A device that loads images.
pub trait Peer: Sync {
    /// The peer in messages: `ours (fpga_image0)`, `fw_upload (fpga_image_load_fwpeer)`.
    fn name(&self) -> &str;
    /// Its knobs.
    fn knobs(&self) -> &Knobs;
    /// Loads `image` and waits for the end of the load; an error if it did not succeed.
    fn load(&self, image: &[u8]) -> Result<LoadTimes, Problem>;
}

/// A card of the FPGA Image Load class.
#[derive(Clone, Debug)]
pub struct Ours {
    dev: Device,
    name: String,
    knobs: Knobs,
}

impl Ours {
    /// The sim card `fpga_image<index>`.
    pub fn sim(index: u32) -> Self {
        let dev = Device { index };
        Ours {
            name: format!("ours ({})", dev.name()),
            knobs: Knobs {
                dir: Path::new(SIM_DEBUGFS).join(dev.name()),
            },
            dev,
        }
    }

    /// `fpga_imageN`.
    pub fn device_name(&self) -> String {
        self.dev.name()
    }
}

/// Whether a status read after `poll()` said `POLLIN` is that of a successful load.
pub fn check_status(st: &ImageStatus) -> Result<(), Problem> {
    if st.progress != PROG_IDLE {
        return Err(Problem(format!(
            "poll() said the load ended, but FPGA_IMAGE_LOAD_STATUS says {}",
            stage_word(st.progress)
        )));
    }
    if let Some(f) = last_failure(st) {
        return Err(Problem(format!(
            "load failed while {}: {}",
            f.stage, f.code
        )));
    }
    if st.remaining_size != 0 {
        return Err(Problem(format!(
            "load ended with {} bytes of the image not written",
            st.remaining_size
        )));
    }
    Ok(())
}

impl Peer for Ours {
    fn name(&self) -> &str {
        &self.name
    }

    fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    fn load(&self, image: &[u8]) -> Result<LoadTimes, Problem> {
        let t0 = Instant::now();
        let card = Card::open(&self.dev)?;
        let c0 = Instant::now();
        card.write(image)?;
        let copy = c0.elapsed();
        while card.poll_idle(Duration::from_secs(1))? == Poll::Running {
            if t0.elapsed() > LOAD_TIMEOUT {
                return Err(Problem(format!(
                    "load still running after {} s",
                    LOAD_TIMEOUT.as_secs()
                )));
            }
        }
        let st = card.status()?;
        let total = t0.elapsed();
        check_status(&st)?;
        Ok(LoadTimes { total, copy })
    }
}

/// The names of the sim cards' debugfs directories that are cards, as class indices,
/// in order.
pub fn card_indices(names: impl IntoIterator<Item = String>) -> Vec<u32> {
    let mut v: Vec<u32> = names
        .into_iter()
        .filter(|n| n.starts_with("fpga_image"))
        .filter_map(|n| n.parse::<Device>().ok())
        .map(|d| d.index)
        .collect();
    v.sort_unstable();
    v
}

/// The sim cards, from the directories in [`SIM_DEBUGFS`].
pub fn sim_cards() -> Result<Vec<Ours>, Problem> {
    let root = Path::new(SIM_DEBUGFS);
    let entries = std::fs::read_dir(root).map_err(|e| {
        Problem(format!(
            "{}: {} (is debugfs mounted and fpga_image_load_sim loaded?)",
            root.display(),
            errno_words::describe_io(&e)
        ))
    })?;
    let names = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok());
    Ok(card_indices(names).into_iter().map(Ours::sim).collect())
}

/// The fw_upload peer.
#[derive(Clone, Debug)]
pub struct FwUpload {
    dir: PathBuf,
    name: String,
    knobs: Knobs,
    spin: Duration,
    poll: Duration,
}

impl FwUpload {
    /// The peer, if its firmware class directory exists; `spin` and `poll` as in the
    /// module documentation.
    pub fn find(spin: Duration, poll: Duration) -> Option<Self> {
        let dir = PathBuf::from(FW_SYSFS);
        dir.join("loading")
            .exists()
            .then(|| FwUpload::at(dir, PathBuf::from(FW_DEBUGFS), spin, poll))
    }

    /// A fw_upload device whose attributes are in `dir` and knobs in `knobs`.
    pub fn at(dir: PathBuf, knobs: PathBuf, spin: Duration, poll: Duration) -> Self {
        FwUpload {
            dir,
            name: format!("fw_upload ({FW_NAME})"),
            knobs: Knobs { dir: knobs },
            spin,
            poll,
        }
    }

    /// Writes all of `image` to `data`, a page or so per `write()`.
    fn write_data(&self, image: &[u8]) -> Result<(), Problem> {
        let path = self.dir.join("data");
        let data = open_file(&path, OFlags::WRONLY)?;
        let mut off = 0;
        while off < image.len() {
            match rustix::io::write(&data, &image[off..]) {
                Ok(0) => {
                    return Err(Problem(format!(
                        "{}: write took no byte at offset {off}",
                        path.display()
                    )))
                }
                Ok(n) => off += n,
                Err(Errno::INTR) => {}
                Err(e) => return Err(Problem::errno(&path, &format!("write at offset {off}"), e)),
            }
        }
        Ok(())
    }

    /// Reads `status` until it says `idle`.
    fn wait_idle(&self, t0: Instant) -> Result<(), Problem> {
        let path = self.dir.join("status");
        let status = open_file(&path, OFlags::RDONLY)?;
        let w0 = Instant::now();
        let mut buf = [0u8; 64];
        loop {
            if pread_attr(&status, &path, &mut buf)?.trim() == "idle" {
                return Ok(());
            }
            if t0.elapsed() > LOAD_TIMEOUT {
                return Err(Problem(format!(
                    "load still running after {} s",
                    LOAD_TIMEOUT.as_secs()
                )));
            }
            if w0.elapsed() < self.spin {
                std::thread::yield_now();
            } else {
                std::thread::sleep(self.poll);
            }
        }
    }

    /// The load as the fw_upload documentation describes it; see [`Peer::load`].
    fn try_load(&self, image: &[u8], t0: Instant) -> Result<LoadTimes, Problem> {
        let loading_path = self.dir.join("loading");
        let loading = open_file(&loading_path, OFlags::WRONLY)?;
        pwrite_attr(&loading, &loading_path, "1")?;
        let c0 = Instant::now();
        if let Err(e) = self.write_data(image) {
            // Drop the partial image, as the tools do; the write error is what matters.
            let _ = pwrite_attr(&loading, &loading_path, "-1");
            return Err(e);
        }
        let copy = c0.elapsed();
        pwrite_attr(&loading, &loading_path, "0")?;
        drop(loading);
        self.wait_idle(t0)?;
        let error = read_attr(&self.dir.join("error"))?;
        let total = t0.elapsed();
        if !error.is_empty() {
            return Err(Problem(format!("load failed: error is {error}")));
        }
        let remaining_path = self.dir.join("remaining_size");
        let remaining = read_attr(&remaining_path)?;
        if remaining != "0" {
            return Err(Problem(format!(
                "load ended with remaining_size {remaining}, not 0"
            )));
        }
        Ok(LoadTimes { total, copy })
    }
}

impl Peer for FwUpload {
    fn name(&self) -> &str {
        &self.name
    }

    fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    fn load(&self, image: &[u8]) -> Result<LoadTimes, Problem> {
        self.try_load(image, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(remaining_size: u32, progress: u32, err_progress: u32, err_code: u32) -> ImageStatus {
        ImageStatus {
            remaining_size,
            progress,
            err_progress,
            err_code,
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(check_status(&st(0, 0, 0, 0)), Ok(()));
        assert_eq!(
            check_status(&st(8, 0, 3, 1)),
            Err(Problem("load failed while writing: hw-error".into()))
        );
        assert_eq!(
            check_status(&st(0, 4, 0, 0)),
            Err(Problem(
                "poll() said the load ended, but FPGA_IMAGE_LOAD_STATUS says programming".into()
            ))
        );
        assert_eq!(
            check_status(&st(4, 0, 0, 0)),
            Err(Problem(
                "load ended with 4 bytes of the image not written".into()
            ))
        );
    }

    #[test]
    fn cards_from_directory_names() {
        let names = [
            "fpga_image10",
            "fpga_image2",
            "other",
            "fpga_image",
            "fpga_image02",
            "7",
        ];
        assert_eq!(
            card_indices(names.iter().map(|s| s.to_string())),
            vec![2, 10]
        );
    }

    #[test]
    fn ours_paths_and_names() {
        let o = Ours::sim(3);
        assert_eq!(o.name(), "ours (fpga_image3)");
        assert_eq!(
            o.knobs().dir,
            PathBuf::from("/sys/kernel/debug/fpga_image_load_sim/fpga_image3")
        );
        assert_eq!(o.device_name(), "fpga_image3");
    }

    /// A directory of regular files standing for the fw_upload attributes: the writes
    /// land in them, and the reads see what the test put there.
    fn fake_fw_upload(
        name: &str,
        status: &str,
        error: &str,
        remaining: &str,
    ) -> (PathBuf, FwUpload) {
        let dir =
            std::env::temp_dir().join(format!("fpga-image-bench-fw-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (file, text) in [
            ("loading", ""),
            ("data", ""),
            ("status", status),
            ("error", error),
            ("remaining_size", remaining),
        ] {
            std::fs::write(dir.join(file), text).expect("attribute");
        }
        let fw = FwUpload::at(
            dir.clone(),
            dir.join("knobs"),
            Duration::from_micros(100),
            Duration::from_micros(100),
        );
        (dir, fw)
    }

    #[test]
    fn fw_upload_load_sequence() {
        let (dir, fw) = fake_fw_upload("ok", "idle\n", "", "0\n");
        let image: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let t = fw.load(&image).expect("loads");
        assert!(t.copy <= t.total);
        assert_eq!(std::fs::read(dir.join("data")).expect("data"), image);
        // "1" then "0", both at offset 0 of the same open file.
        assert_eq!(
            std::fs::read_to_string(dir.join("loading")).expect("loading"),
            "0"
        );
        std::fs::remove_dir_all(&dir).expect("rm");
    }

    #[test]
    fn fw_upload_failures() {
        let (dir, fw) = fake_fw_upload("err", "idle\n", "transferring:hw-error\n", "8\n");
        assert_eq!(
            fw.load(&[0; 8]),
            Err(Problem(
                "load failed: error is transferring:hw-error".into()
            ))
        );
        std::fs::write(dir.join("error"), "").expect("error");
        assert_eq!(
            fw.load(&[0; 8]),
            Err(Problem("load ended with remaining_size 8, not 0".into()))
        );
        std::fs::remove_dir_all(&dir).expect("rm");
        let e = fw.load(&[0; 8]).expect_err("no device");
        assert!(
            e.0.ends_with("/loading: open: No such file or directory (ENOENT)"),
            "{e}"
        );
    }

    #[test]
    fn ours_on_a_missing_card_names_it() {
        let e = Ours::sim(u32::MAX).load(&[0; 4]).expect_err("no such card");
        assert!(e.0.starts_with("/dev/fpga_image4294967295: open: "), "{e}");
    }
}
