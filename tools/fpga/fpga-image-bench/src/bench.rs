// SPDX-License-Identifier: GPL-2.0
//! The measurements P1 to P7, run against the peers found on this machine.
//!
//! The samples of two peers in one case are taken alternately, in the order A B B A A
//! B..., so that a drift of the machine (a host busier at the start) weighs on both.
//! After every load the card's `received` knob must equal the image size, and once per
//! peer and size in store mode its `image` must equal the image loaded.

use crate::cli::{size_label, BenchId, Settings};
use crate::doe;
use crate::error::{Error, Problem};
use crate::floor::{self, Floor};
use crate::knobs::Setup;
use crate::mem;
use crate::peers::{self, FwUpload, LoadTimes, Ours, Peer};
use crate::report::{Row, Side, Unit};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Bytes in a MiB, as a float.
const MIB: f64 = (1u64 << 20) as f64;
/// The card block size of P3 to P7.
const BLOCK_64K: u64 = 64 << 10;
/// The most sim cards P7 loads at once.
const P7_MAX_CARDS: usize = 4;
/// The image of P5, and of the loads that empty a card's store.
const SMALL_IMAGE: [u8; 4] = [0xDE, 0xAD, 0xBE, 0xEF];

/// The checks made after each load.
#[derive(Debug, Default)]
pub struct Verifier {
    /// The (peer, size) pairs whose `image` was compared.
    compared: HashSet<(String, usize)>,
}

impl Verifier {
    /// Checks the knobs of `peer` after a load of `image`.
    fn check(&mut self, peer: &dyn Peer, image: &[u8], store: bool) -> Result<(), Problem> {
        let got = peer.knobs().received()?;
        if got != image.len() as u64 {
            return Err(Problem(format!(
                "the card received {got} bytes of the {}-byte image",
                image.len()
            )));
        }
        if store && self.compared.insert((peer.name().to_string(), image.len())) {
            peer.knobs().check_image(image)?;
        }
        Ok(())
    }
}

/// One load of `image` on `peer`, checked; `case` names it in errors.
fn load(
    v: &mut Verifier,
    peer: &dyn Peer,
    case: &str,
    image: &[u8],
    store: bool,
) -> Result<LoadTimes, Error> {
    peer.load(image)
        .and_then(|t| v.check(peer, image, store).map(|()| t))
        .map_err(|p| Error::load(peer.name(), case, p))
}

/// `n` loads of `image` on `peer` back to back: the sum of their times (each from its
/// first system call to its completion, as in P1: the checks after it are left out).
/// The knobs are checked after the last load.
fn batch(
    v: &mut Verifier,
    peer: &dyn Peer,
    case: &str,
    image: &[u8],
    n: u32,
) -> Result<f64, Error> {
    let mut total = Duration::ZERO;
    for i in 0..n {
        total += peer
            .load(image)
            .map_err(|p| Error::load(peer.name(), case, Problem(format!("load {i}: {p}"))))?
            .total;
    }
    v.check(peer, image, true)
        .map_err(|p| Error::load(peer.name(), case, p))?;
    Ok(total.as_secs_f64())
}

/// Sets `peer` up for `case`.
fn set_up(peer: &dyn Peer, case: &str, setup: Setup) -> Result<(), Error> {
    peer.knobs()
        .set_up(setup)
        .map_err(|p| Error::load(peer.name(), case, p))
}

/// `reps` samples of `a` and of `b`, taken in the order A B B A A B...
pub fn alternate<C, E>(
    ctx: &mut C,
    reps: u32,
    mut a: impl FnMut(&mut C) -> Result<f64, E>,
    mut b: impl FnMut(&mut C) -> Result<f64, E>,
) -> Result<(Vec<f64>, Vec<f64>), E> {
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        if rep % 2 == 0 {
            sa.push(a(ctx)?);
            sb.push(b(ctx)?);
        } else {
            sb.push(b(ctx)?);
            sa.push(a(ctx)?);
        }
    }
    Ok((sa, sb))
}

/// How many cards P7 loads at once, given `n` cards: 1, 2 and 4, as far as there are,
/// and all of them when fewer than 4 and not already in the list.
pub fn p7_counts(n: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = [1, 2, P7_MAX_CARDS]
        .into_iter()
        .filter(|&k| k <= n)
        .collect();
    if n < P7_MAX_CARDS && n > 0 && !counts.contains(&n) {
        counts.push(n);
    }
    counts
}

/// `image` loaded on each of `cards` at once: the seconds from the first start to the
/// last end.
fn concurrent(cards: &[Ours], case: &str, image: &[u8]) -> Result<f64, Error> {
    let barrier = Barrier::new(cards.len());
    let results: Vec<Result<(Instant, Instant), Problem>> = std::thread::scope(|s| {
        let handles: Vec<_> = cards
            .iter()
            .map(|card| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let t = card.load(image)?;
                    Ok((start, start + t.total))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Problem("the loading thread panicked".into())))
            })
            .collect()
    });
    let mut span: Option<(Instant, Instant)> = None;
    for (card, r) in cards.iter().zip(results) {
        let (start, end) = r.map_err(|p| Error::load(card.name(), case, p))?;
        span = Some(match span {
            None => (start, end),
            Some((s, e)) => (s.min(start), e.max(end)),
        });
    }
    Ok(span.map_or(0.0, |(s, e)| (e - s).as_secs_f64()))
}

/// Prints a line on stderr.
pub fn say(line: &str) {
    eprintln!("fpga-image-bench: {line}");
}

/// Converts an image size to `usize`: sizes are checked to be at most 4 GiB - 4.
fn len(size: u64) -> usize {
    usize::try_from(size).unwrap_or(usize::MAX)
}

/// A benchmark run: the peers, and the rows so far.
pub struct Bench {
    s: Settings,
    cards: Vec<Ours>,
    fw: Option<FwUpload>,
    verifier: Verifier,
    floors: BTreeMap<u64, Floor>,
    floor_file: PathBuf,
    /// The rows measured so far.
    pub rows: Vec<Row>,
}

impl Bench {
    /// Finds the peers `s` needs.
    pub fn new(s: Settings) -> Result<Self, Error> {
        let cards = peers::sim_cards()?;
        if cards.is_empty() && s.only.iter().any(|id| id.needs_sim_cards()) {
            return Err(Error::Other(Problem(format!(
                "{}: no fpga_imageN: no card of fpga_image_load_sim",
                peers::SIM_DEBUGFS
            ))));
        }
        let fw = FwUpload::find(
            Duration::from_micros(s.fw_spin_us),
            Duration::from_micros(s.fw_poll_us),
        );
        if fw.is_none() && s.only.iter().any(|id| id.needs_fw_upload()) {
            return Err(Error::Other(Problem(format!(
                "the fw_upload peer is missing: no {}/loading (is fpga_image_load_fwpeer \
                 loaded?); --only P2,P3,P7 runs without it",
                peers::FW_SYSFS
            ))));
        }
        let floor_file =
            std::env::temp_dir().join(format!("fpga-image-bench.{}", std::process::id()));
        Ok(Bench {
            s,
            cards,
            fw,
            verifier: Verifier::default(),
            floors: BTreeMap::new(),
            floor_file,
            rows: Vec::new(),
        })
    }

    /// The sim cards found, `fpga_imageN`.
    pub fn card_names(&self) -> Vec<String> {
        self.cards.iter().map(Ours::device_name).collect()
    }

    /// Whether the fw_upload peer was found.
    pub fn has_fw_upload(&self) -> bool {
        self.fw.is_some()
    }

    /// Runs the measurements of the settings, and puts the knobs back as they were.
    pub fn run(&mut self) -> Result<(), Error> {
        let mut saved = Vec::new();
        for peer in used_peers(&self.s, &self.cards, &self.fw) {
            let knobs = peer
                .knobs()
                .save()
                .map_err(|p| Error::load(peer.name(), "setup", p))?;
            saved.push((peer.name().to_string(), peer.knobs().clone(), knobs));
        }
        if !floor::is_tmpfs(&std::env::temp_dir()) {
            say("warning: the temporary directory is not tmpfs: the tmpfs floor is not one");
        }
        let result = self.warm_up().and_then(|()| self.run_all());
        let mut restored = Ok(());
        for (name, knobs, values) in saved {
            if let Err(p) = knobs.restore(&values) {
                say(&format!("warning: {name}: knobs not restored: {p}"));
                restored = Err(Error::load(&name, "restoring the knobs", p));
            }
        }
        result.and(restored)
    }

    /// One small load on each peer, untimed: the code paths are warm, and a broken peer
    /// is found before the long runs.
    fn warm_up(&mut self) -> Result<(), Error> {
        let setup = Setup {
            block: BLOCK_64K,
            store: true,
        };
        for peer in used_peers(&self.s, &self.cards, &self.fw) {
            set_up(peer, "warm-up", setup)?;
            load(&mut self.verifier, peer, "warm-up", &SMALL_IMAGE, true)?;
        }
        Ok(())
    }

    fn run_all(&mut self) -> Result<(), Error> {
        for id in self.s.only.clone() {
            say(&format!("{}: {}", id.name(), id.about()));
            match id {
                BenchId::P1 => self.p1()?,
                BenchId::P2 => self.p2()?,
                BenchId::P3 => self.p3()?,
                BenchId::P4 | BenchId::P4b => {
                    let rows = doe::run(
                        id == BenchId::P4,
                        id == BenchId::P4b,
                        self.s.reps,
                        self.s.doe_exchanges,
                    )?;
                    rows.into_iter().for_each(|row| self.push(row));
                }
                BenchId::P5 => self.p5()?,
                BenchId::P6 => self.p6()?,
                BenchId::P7 => self.p7()?,
            }
        }
        Ok(())
    }

    fn push(&mut self, row: Row) {
        say(&row.progress_line());
        self.rows.push(row);
    }

    /// The first sim card.
    fn ours(&self) -> Result<&Ours, Error> {
        self.cards
            .first()
            .ok_or_else(|| Error::Other(Problem("no sim card".into())))
    }

    /// The memcpy samples of `image`, measuring the floors (and reporting them) the first
    /// time.
    fn memcpy_floor(&mut self, image: &[u8]) -> Result<Vec<f64>, Error> {
        let size = image.len() as u64;
        if let Some(f) = self.floors.get(&size) {
            return Ok(f.memcpy.clone());
        }
        let f = floor::measure(image, self.s.reps, &self.floor_file)?;
        // Each other floor against the memcpy; rep movsb only where there is one.
        for (what, samples) in [("tmpfs write", &f.tmpfs), ("rep movsb", &f.movsb)] {
            if !samples.is_empty() {
                self.push(Row::compare(
                    "floor",
                    &size_label(size),
                    Side::new(what, Unit::Seconds, samples.clone()),
                    Side::new("memcpy", Unit::Seconds, f.memcpy.clone()),
                    None,
                ));
            }
        }
        let memcpy = f.memcpy.clone();
        self.floors.insert(size, f);
        Ok(memcpy)
    }

    /// P1: store mode, each size and block: ours / fw_upload.
    fn p1(&mut self) -> Result<(), Error> {
        for size in self.s.sizes.clone() {
            let image = floor::pattern(len(size));
            for block in self.s.blocks.clone() {
                let case = format!("{}/{}", size_label(size), size_label(block));
                let what = format!("P1 {case}");
                let (ours, fw) = pair(&self.cards, &self.fw)?;
                let setup = Setup { block, store: true };
                set_up(ours, &what, setup)?;
                set_up(fw, &what, setup)?;
                let (a, b) = alternate(
                    &mut self.verifier,
                    self.s.reps,
                    |v| load(v, ours, &what, &image, true).map(|t| t.total.as_secs_f64()),
                    |v| load(v, fw, &what, &image, true).map(|t| t.total.as_secs_f64()),
                )?;
                self.push(Row::compare(
                    "P1",
                    &case,
                    Side::new("ours", Unit::Seconds, a),
                    Side::new("fw_upload", Unit::Seconds, b),
                    Some(0.8),
                ));
            }
        }
        Ok(())
    }

    /// `reps` loads of `image` on ours in count mode with `block`: their times.
    fn ours_count_mode(
        &mut self,
        what: &str,
        image: &[u8],
        block: u64,
    ) -> Result<Vec<LoadTimes>, Error> {
        let ours = self.ours()?.clone();
        set_up(
            &ours,
            what,
            Setup {
                block,
                store: false,
            },
        )?;
        (0..self.s.reps)
            .map(|_| load(&mut self.verifier, &ours, what, image, false))
            .collect()
    }

    /// P2: count mode, each size and block: ours / memcpy.
    fn p2(&mut self) -> Result<(), Error> {
        for size in self.s.sizes.clone() {
            let image = floor::pattern(len(size));
            let memcpy = self.memcpy_floor(&image)?;
            for block in self.s.blocks.clone() {
                let case = format!("{}/{}", size_label(size), size_label(block));
                let times = self.ours_count_mode(&format!("P2 {case}"), &image, block)?;
                let a = times.iter().map(|t| t.total.as_secs_f64()).collect();
                self.push(Row::compare(
                    "P2",
                    &case,
                    Side::new("ours", Unit::Seconds, a),
                    Side::new("memcpy", Unit::Seconds, memcpy.clone()),
                    Some(1.5),
                ));
            }
        }
        Ok(())
    }

    /// P3: each size, count mode, 64K blocks: the WRITE ioctl / memcpy.
    fn p3(&mut self) -> Result<(), Error> {
        for size in self.s.sizes.clone() {
            let image = floor::pattern(len(size));
            let memcpy = self.memcpy_floor(&image)?;
            let case = size_label(size);
            let times = self.ours_count_mode(&format!("P3 {case}"), &image, BLOCK_64K)?;
            let a = times.iter().map(|t| t.copy.as_secs_f64()).collect();
            self.push(Row::compare(
                "P3",
                &case,
                Side::new("ours WRITE ioctl", Unit::Seconds, a),
                Side::new("memcpy", Unit::Seconds, memcpy),
                Some(1.2),
            ));
        }
        Ok(())
    }

    /// P5: `small_loads` 4-byte loads back to back: ours / fw_upload.
    fn p5(&mut self) -> Result<(), Error> {
        let n = self.s.small_loads;
        let case = format!("{n}x{}", size_label(SMALL_IMAGE.len() as u64));
        let what = format!("P5 {case}");
        let (ours, fw) = pair(&self.cards, &self.fw)?;
        let setup = Setup {
            block: BLOCK_64K,
            store: true,
        };
        set_up(ours, &what, setup)?;
        set_up(fw, &what, setup)?;
        let (a, b) = alternate(
            &mut self.verifier,
            self.s.reps,
            |v| batch(v, ours, &what, &SMALL_IMAGE, n),
            |v| batch(v, fw, &what, &SMALL_IMAGE, n),
        )?;
        self.push(Row::compare(
            "P5",
            &case,
            Side::new("ours", Unit::Seconds, a),
            Side::new("fw_upload", Unit::Seconds, b),
            Some(0.5),
        ));
        Ok(())
    }

    /// P6: store mode, 64K blocks, each size: time per MiB of ours and fw_upload; and for
    /// the largest size, the peak of the kernel memory a load takes.
    fn p6(&mut self) -> Result<(), Error> {
        let largest = self.s.p6_sizes.iter().copied().max().unwrap_or(0);
        for size in self.s.p6_sizes.clone() {
            let image = floor::pattern(len(size));
            let case = format!("{}/per-MiB", size_label(size));
            let what = format!("P6 {case}");
            let (ours, fw) = pair(&self.cards, &self.fw)?;
            let setup = Setup {
                block: BLOCK_64K,
                store: true,
            };
            set_up(ours, &what, setup)?;
            set_up(fw, &what, setup)?;
            let mib = size as f64 / MIB;
            let (a, b) = alternate(
                &mut self.verifier,
                self.s.reps,
                |v| load(v, ours, &what, &image, true).map(|t| t.total.as_secs_f64() / mib),
                |v| load(v, fw, &what, &image, true).map(|t| t.total.as_secs_f64() / mib),
            )?;
            self.push(Row::compare(
                "P6",
                &case,
                Side::new("ours", Unit::SecondsPerMib, a),
                Side::new("fw_upload", Unit::SecondsPerMib, b),
                None,
            ));
            if size == largest {
                let case = format!("{}/peak-mem", size_label(size));
                let what = format!("P6 {case}");
                let (ours, fw) = pair(&self.cards, &self.fw)?;
                let (a, b) = alternate(
                    &mut self.verifier,
                    self.s.reps,
                    |v| peak_memory(v, ours, &what, &image),
                    |v| peak_memory(v, fw, &what, &image),
                )?;
                self.push(Row::compare(
                    "P6",
                    &case,
                    Side::new("ours", Unit::Bytes, a),
                    Side::new("fw_upload", Unit::Bytes, b),
                    None,
                ));
            }
        }
        Ok(())
    }

    /// P7: 1, 2 and 4 sim cards loading `p7_size` at once, store mode, 64K blocks: the
    /// total throughput, and how it scales from one card.
    fn p7(&mut self) -> Result<(), Error> {
        let size = self.s.p7_size;
        let image = floor::pattern(len(size));
        let mut one: Option<Side> = None;
        for k in p7_counts(self.cards.len()) {
            let cards: Vec<Ours> = self.cards.iter().take(k).cloned().collect();
            let case = format!(
                "{k} card{} x {}",
                if k == 1 { "" } else { "s" },
                size_label(size)
            );
            let what = format!("P7 {case}");
            for card in &cards {
                set_up(
                    card,
                    &what,
                    Setup {
                        block: BLOCK_64K,
                        store: true,
                    },
                )?;
            }
            let mut samples = Vec::new();
            for _ in 0..self.s.reps {
                let secs = concurrent(&cards, &what, &image)?;
                for card in &cards {
                    self.verifier
                        .check(card, &image, true)
                        .map_err(|p| Error::load(card.name(), &what, p))?;
                }
                samples.push(k as f64 * size as f64 / MIB / secs.max(f64::MIN_POSITIVE));
            }
            let side = Side::new(&format!("ours x{k}"), Unit::MibPerSecond, samples);
            let row = match &one {
                Some(base) => Row::compare("P7", &case, side, base.clone(), None),
                None => {
                    one = Some(side.clone());
                    Row::single("P7", &case, side)
                }
            };
            self.push(row);
        }
        Ok(())
    }
}

/// The peers whose knobs a run with settings `s` changes.
fn used_peers<'p>(s: &Settings, cards: &'p [Ours], fw: &'p Option<FwUpload>) -> Vec<&'p dyn Peer> {
    let n = if s.runs(BenchId::P7) {
        cards.len().min(P7_MAX_CARDS)
    } else {
        1
    };
    let mut v: Vec<&dyn Peer> = cards.iter().take(n).map(|c| c as &dyn Peer).collect();
    if let Some(fw) = fw
        .as_ref()
        .filter(|_| s.only.iter().any(|id| id.needs_fw_upload()))
    {
        v.push(fw);
    }
    v
}

/// Ours (the first sim card) and fw_upload.
fn pair<'p>(
    cards: &'p [Ours],
    fw: &'p Option<FwUpload>,
) -> Result<(&'p Ours, &'p FwUpload), Error> {
    match (cards.first(), fw) {
        (Some(o), Some(f)) => Ok((o, f)),
        _ => Err(Error::Other(Problem("a peer is missing".into()))),
    }
}

/// A load of `image` on `peer` with `MemAvailable` sampled: the bytes it took at the
/// peak. A 4-byte load first empties the card's store of the previous image.
fn peak_memory(v: &mut Verifier, peer: &dyn Peer, case: &str, image: &[u8]) -> Result<f64, Error> {
    load(v, peer, case, &SMALL_IMAGE, true)?;
    let (r, extra) = mem::peak_extra(|| load(v, peer, case, image, true))
        .map_err(|p| Error::load(peer.name(), case, p))?;
    r?;
    Ok(extra as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_alternate() {
        let mut order = String::new();
        let (a, b) = alternate::<String, ()>(
            &mut order,
            5,
            |o| {
                o.push('a');
                Ok(1.0)
            },
            |o| {
                o.push('b');
                Ok(2.0)
            },
        )
        .expect("no error");
        assert_eq!(order, "abbaabbaab");
        assert_eq!((a.len(), b.len()), (5, 5));
        assert!(a.iter().all(|&x| x == 1.0) && b.iter().all(|&x| x == 2.0));
    }

    #[test]
    fn alternate_stops_at_the_first_error() {
        // (calls of a, calls of b): b fails on its second call, the first of rep 1.
        let mut calls = (0, 0);
        let r = alternate(
            &mut calls,
            3,
            |c| {
                c.0 += 1;
                Ok(0.0)
            },
            |c| {
                c.1 += 1;
                if c.1 == 2 {
                    Err("b failed")
                } else {
                    Ok(0.0)
                }
            },
        );
        assert_eq!(r, Err("b failed"));
        assert_eq!(calls, (1, 2));
    }

    #[test]
    fn p7_card_counts() {
        assert_eq!(p7_counts(0), Vec::<usize>::new());
        assert_eq!(p7_counts(1), vec![1]);
        assert_eq!(p7_counts(2), vec![1, 2]);
        assert_eq!(p7_counts(3), vec![1, 2, 3]);
        assert_eq!(p7_counts(4), vec![1, 2, 4]);
        assert_eq!(p7_counts(16), vec![1, 2, 4]);
    }
}
