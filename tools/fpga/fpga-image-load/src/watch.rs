// SPDX-License-Identifier: GPL-2.0
//! Waiting for the end of a load: progress display and Ctrl-C.
//!
//! [`wait`] reads `FPGA_IMAGE_LOAD_STATUS` about every [`TICK`] to feed the display,
//! and `poll()`s the device for `POLLIN` (no load runs) in between. On a terminal the
//! display is an indicatif progress bar; otherwise (a log, a serial console) it prints
//! a line as the load enters each stage.
//!
//! Ctrl-C is caught ([`catch_sigint`]): the loop then asks on the terminal whether to
//! cancel the load. A second Ctrl-C while the question is open ends the tool as Ctrl-C
//! always does, leaving the load running.

use crate::abi::{ImageStatus, PROG_IDLE};
use crate::card::{Loader, Poll};
use crate::device::Device;
use crate::error::Error;
use crate::report;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rustix::io::Errno;
use signal_hook::consts::SIGINT;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// How often the display is refreshed, and the timeout of each `poll()`.
pub const TICK: Duration = Duration::from_millis(100);

/// Set by SIGINT once [`catch_sigint`] has run.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Catches SIGINT (Ctrl-C) from now on: [`wait`] will ask what to do. Idempotent.
///
/// While an interrupt is being handled, a second SIGINT kills the tool as usual.
pub fn catch_sigint() -> Result<(), Error> {
    static CAUGHT: Mutex<bool> = Mutex::new(false);
    let mut caught = CAUGHT.lock().unwrap_or_else(PoisonError::into_inner);
    if *caught {
        // Registering twice would let the second conditional default see the flag the
        // first registration just set, and kill the tool on the first Ctrl-C.
        return Ok(());
    }
    // The order matters: the conditional default must see the flag as it was before
    // this signal set it.
    signal_hook::flag::register_conditional_default(SIGINT, &INTERRUPTED)
        .and_then(|_| signal_hook::flag::register(SIGINT, &INTERRUPTED))
        .map_err(Error::Signal)?;
    *caught = true;
    Ok(())
}

/// The bar's layout when the image size is known.
pub const BAR_TEMPLATE: &str =
    "{prefix}: {msg:11} [{wide_bar}] {binary_bytes}/{binary_total_bytes} \
     {binary_bytes_per_sec} ETA {eta}";

/// The spinner's layout when the image size is not known (`wait`).
pub const SPINNER_TEMPLATE: &str = "{prefix}: {spinner} {msg} ({elapsed})";

/// The progress bar's message for a status: the stage, and for `wait` what is left.
pub fn bar_message(st: &ImageStatus, size_known: bool) -> String {
    let stage = report::stage_word(st.progress);
    if size_known || st.progress == PROG_IDLE {
        stage
    } else {
        format!("{stage}, {} left", HumanBytes(st.remaining_size.into()))
    }
}

/// Bytes of the image written: `size - remaining_size`.
pub fn bar_position(size: u64, st: &ImageStatus) -> u64 {
    size.saturating_sub(st.remaining_size.into())
}

/// How the progress of a load is shown.
enum Display {
    /// An indicatif bar; `size` is the image size if known.
    Bar { bar: ProgressBar, size: Option<u64> },
    /// A line per stage change, written to `out`.
    Lines {
        last: Option<u32>,
        out: Box<dyn Write>,
    },
}

impl Display {
    /// A bar on stdout if it is a terminal, else lines on stdout.
    fn new(dev: &Device, size: Option<u64>) -> Self {
        if !std::io::stdout().is_terminal() {
            return Display::Lines {
                last: None,
                out: Box::new(std::io::stdout()),
            };
        }
        let target = ProgressDrawTarget::stdout();
        let bar = match size {
            Some(size) => ProgressBar::with_draw_target(Some(size), target).with_style(
                ProgressStyle::with_template(BAR_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::with_draw_target(None, target).with_style(
                ProgressStyle::with_template(SPINNER_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_prefix(dev.name());
        Display::Bar { bar, size }
    }

    fn update(&mut self, dev: &Device, st: &ImageStatus) {
        match self {
            Display::Bar { bar, size } => {
                bar.set_message(bar_message(st, size.is_some()));
                match size {
                    Some(size) => bar.set_position(bar_position(*size, st)),
                    None => bar.tick(),
                }
            }
            Display::Lines { last, out } => {
                if *last != Some(st.progress) && st.progress != PROG_IDLE {
                    // A lost progress line must not stop the wait for the result.
                    let _ = writeln!(out, "{}", report::stage_line(dev, st));
                }
                *last = Some(st.progress);
            }
        }
    }

    /// Prints a line (above the bar).
    fn println(&mut self, line: &str) {
        match self {
            Display::Bar { bar, .. } => bar.println(line),
            Display::Lines { out, .. } => {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    /// Runs `f` with the bar out of the way.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self {
            Display::Bar { bar, .. } => bar.suspend(f),
            Display::Lines { .. } => f(),
        }
    }

    fn finish(&self) {
        if let Display::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

/// How [`wait`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// No load runs any more: the status after it.
    Idle(ImageStatus),
    /// Ctrl-C, and the user chose to leave the load running.
    LeftRunning,
}

/// What to do about a Ctrl-C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Cancel the load, and keep waiting for its end.
    Cancel,
    /// Leave the load running, and exit.
    Leave,
}

/// Asks on the terminal whether to cancel the load on `dev`. Without a terminal on
/// stdin, or on any error or end of input, the answer is [`Answer::Leave`].
///
/// `new_line` ends the line the terminal echoed `^C` on first (a bar clears its line).
fn ask_on_terminal(dev: &Device, new_line: bool) -> Answer {
    if !std::io::stdin().is_terminal() {
        return Answer::Leave;
    }
    let mut err = std::io::stderr().lock();
    let nl = if new_line { "\n" } else { "" };
    if write!(err, "{nl}{}", report::cancel_question(dev))
        .and_then(|()| err.flush())
        .is_err()
    {
        return Answer::Leave;
    }
    drop(err);
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(_) if report::is_yes(&answer) => Answer::Cancel,
        _ => Answer::Leave,
    }
}

/// Waits until no load runs on `card`, showing its progress on stdout.
///
/// `size` is the image size, when this process started the load. Ctrl-C is handled only
/// if [`catch_sigint`] ran.
pub fn wait(card: &impl Loader, size: Option<u64>) -> Result<Ended, Error> {
    let mut display = Display::new(card.device(), size);
    let ended = watch(card, &mut display, &INTERRUPTED, &mut |display| {
        let new_line = matches!(display, Display::Lines { .. });
        display.suspend(|| ask_on_terminal(card.device(), new_line))
    });
    display.finish();
    ended
}

/// The loop of [`wait`]: `interrupted` is the Ctrl-C flag, `ask` what to do about it.
fn watch<L: Loader>(
    card: &L,
    display: &mut Display,
    interrupted: &AtomicBool,
    ask: &mut dyn FnMut(&Display) -> Answer,
) -> Result<Ended, Error> {
    let dev = card.device();
    loop {
        if interrupted.load(Ordering::SeqCst) {
            let answer = ask(display);
            // Cleared only now: a second Ctrl-C while the question is open kills the tool.
            interrupted.store(false, Ordering::SeqCst);
            match answer {
                Answer::Leave => return Ok(Ended::LeftRunning),
                Answer::Cancel => match card.cancel() {
                    Ok(()) => display.println(&format!("{}: canceling the load", dev.name())),
                    // The load ended while the question was open (or the card is gone):
                    // the status tells which.
                    Err(Error::Device {
                        errno: Errno::NODEV,
                        ..
                    }) => {}
                    Err(e) => return Err(e),
                },
            }
        }
        let st = card.status()?;
        display.update(dev, &st);
        if st.progress == PROG_IDLE {
            // The kernel reports idle in the status and in poll() from one state.
            return Ok(Ended::Idle(st));
        }
        if card.poll_idle(TICK)? == Poll::Idle {
            let st = card.status()?;
            display.update(dev, &st);
            return Ok(Ended::Idle(st));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Op;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::path::PathBuf;
    use std::rc::Rc;

    /// A device whose statuses follow a script, one per `status()`.
    struct Fake {
        dev: Device,
        /// The statuses still to come; the last one repeats.
        script: RefCell<VecDeque<Result<ImageStatus, Errno>>>,
        current: Cell<ImageStatus>,
        /// Replaces the script on a successful cancel.
        after_cancel: Vec<ImageStatus>,
        cancel_errno: Option<Errno>,
        cancels: Cell<u32>,
        polls: Cell<u32>,
    }

    impl Fake {
        fn new(script: &[ImageStatus]) -> Self {
            Fake {
                dev: Device { index: 0 },
                script: RefCell::new(script.iter().copied().map(Ok).collect()),
                current: Cell::new(ImageStatus::default()),
                after_cancel: Vec::new(),
                cancel_errno: None,
                cancels: Cell::new(0),
                polls: Cell::new(0),
            }
        }

        fn err(&self, op: Op, errno: Errno) -> Error {
            Error::Device {
                node: PathBuf::from("/dev/fpga_image0"),
                op,
                errno,
            }
        }
    }

    impl Loader for Fake {
        fn device(&self) -> &Device {
            &self.dev
        }

        fn status(&self) -> Result<ImageStatus, Error> {
            if let Some(next) = self.script.borrow_mut().pop_front() {
                self.current.set(next.map_err(|e| self.err(Op::Status, e))?);
            }
            Ok(self.current.get())
        }

        fn cancel(&self) -> Result<(), Error> {
            self.cancels.set(self.cancels.get() + 1);
            if let Some(e) = self.cancel_errno {
                return Err(self.err(Op::Cancel, e));
            }
            *self.script.borrow_mut() = self.after_cancel.iter().copied().map(Ok).collect();
            Ok(())
        }

        fn poll_idle(&self, _timeout: Duration) -> Result<Poll, Error> {
            self.polls.set(self.polls.get() + 1);
            // POLLIN when the next status is idle.
            Ok(match self.script.borrow().front() {
                Some(Ok(s)) if s.progress == PROG_IDLE => Poll::Idle,
                _ => Poll::Running,
            })
        }
    }

    /// A `Write` whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Out(Rc<RefCell<Vec<u8>>>);

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Out {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.borrow()).into_owned()
        }
    }

    /// Runs the loop on `fake` with line output; the Ctrl-C flag as given, and `answer`
    /// to its question. Returns the result, the output and how often it asked.
    fn run(fake: &Fake, ctrl_c: bool, answer: Answer) -> (Result<Ended, Error>, String, u32) {
        let out = Out::default();
        let mut display = Display::Lines {
            last: None,
            out: Box::new(out.clone()),
        };
        let flag = AtomicBool::new(ctrl_c);
        let mut asked = 0;
        let r = watch(fake, &mut display, &flag, &mut |_| {
            asked += 1;
            answer
        });
        assert!(!flag.load(Ordering::SeqCst), "the Ctrl-C flag is left set");
        (r, out.text(), asked)
    }

    fn s(remaining_size: u32, progress: u32) -> ImageStatus {
        ImageStatus {
            remaining_size,
            progress,
            ..Default::default()
        }
    }

    fn failed(remaining_size: u32, err_progress: u32, err_code: u32) -> ImageStatus {
        ImageStatus {
            remaining_size,
            progress: PROG_IDLE,
            err_progress,
            err_code,
        }
    }

    #[test]
    fn a_line_per_stage() {
        let fake = Fake::new(&[
            s(16, 1),
            s(16, 2),
            s(16, 2),
            s(16, 3),
            s(8, 3),
            s(0, 4),
            s(0, 4),
            s(0, 0),
        ]);
        let (r, out, asked) = run(&fake, false, Answer::Leave);
        assert_eq!(r.expect("ends"), Ended::Idle(s(0, 0)));
        assert_eq!(
            out,
            "fpga_image0: starting\nfpga_image0: preparing\n\
             fpga_image0: writing, 16 bytes left\nfpga_image0: programming\n"
        );
        assert_eq!(asked, 0);
        assert_eq!(fake.cancels.get(), 0);
        // Ended by POLLIN, not by polling the status once more.
        assert!(fake.script.borrow().is_empty());
        assert_eq!(fake.polls.get(), 7);
    }

    #[test]
    fn the_bar_follows_the_load() {
        let fake = Fake::new(&[s(16, 1), s(16, 3), s(4, 3), s(0, 4), s(0, 0)]);
        let bar = ProgressBar::with_draw_target(Some(16), ProgressDrawTarget::hidden());
        let mut display = Display::Bar {
            bar: bar.clone(),
            size: Some(16),
        };
        let r = watch(&fake, &mut display, &AtomicBool::new(false), &mut |_| {
            Answer::Leave
        });
        assert_eq!(r.expect("ends"), Ended::Idle(s(0, 0)));
        assert_eq!(bar.position(), 16);
        assert_eq!(bar.message(), "idle");
        display.finish();
        assert!(bar.is_finished());
    }

    #[test]
    fn the_spinner_shows_what_is_left() {
        let fake = Fake::new(&[s(4096, 3), s(1024, 3)]);
        fake.script.borrow_mut().push_back(Err(Errno::NODEV));
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let mut display = Display::Bar {
            bar: bar.clone(),
            size: None,
        };
        let r = watch(&fake, &mut display, &AtomicBool::new(false), &mut |_| {
            Answer::Leave
        });
        assert!(r.is_err());
        assert_eq!(bar.message(), "writing, 1.00 KiB left");
    }

    #[test]
    fn sigint_sets_the_flag_and_does_not_kill() {
        // The only test that touches the process's SIGINT disposition.
        catch_sigint().expect("catch SIGINT");
        // A second call must not register the handlers again.
        catch_sigint().expect("catch SIGINT again");
        INTERRUPTED.store(false, Ordering::SeqCst);
        signal_hook::low_level::raise(SIGINT).expect("raise SIGINT");
        assert!(INTERRUPTED.swap(false, Ordering::SeqCst));
        signal_hook::low_level::raise(SIGINT).expect("raise SIGINT");
        assert!(INTERRUPTED.swap(false, Ordering::SeqCst));
    }

    #[test]
    fn a_failed_load_ends_with_its_status() {
        let fake = Fake::new(&[s(16, 3), failed(8, 3, 1)]);
        let (r, out, _) = run(&fake, false, Answer::Leave);
        assert_eq!(r.expect("ends"), Ended::Idle(failed(8, 3, 1)));
        assert_eq!(out, "fpga_image0: writing, 16 bytes left\n");
    }

    #[test]
    fn no_load_running() {
        let fake = Fake::new(&[s(0, 0)]);
        let (r, out, _) = run(&fake, false, Answer::Cancel);
        assert_eq!(r.expect("ends"), Ended::Idle(s(0, 0)));
        assert_eq!(out, "");
        assert_eq!(fake.polls.get(), 0);
    }

    #[test]
    fn ctrl_c_then_yes_cancels_and_waits() {
        let mut fake = Fake::new(&[s(16, 3)]);
        fake.after_cancel = vec![s(8, 3), failed(8, 3, 3)];
        let (r, out, asked) = run(&fake, true, Answer::Cancel);
        assert_eq!(asked, 1);
        assert_eq!(fake.cancels.get(), 1);
        assert_eq!(r.expect("ends"), Ended::Idle(failed(8, 3, 3)));
        assert_eq!(
            out,
            "fpga_image0: canceling the load\nfpga_image0: writing, 8 bytes left\n"
        );
    }

    #[test]
    fn ctrl_c_then_no_leaves_the_load_running() {
        let fake = Fake::new(&[s(16, 3), s(0, 0)]);
        let (r, out, asked) = run(&fake, true, Answer::Leave);
        assert_eq!(asked, 1);
        assert_eq!(r.expect("ends"), Ended::LeftRunning);
        assert_eq!(fake.cancels.get(), 0);
        assert_eq!(out, "");
    }

    #[test]
    fn cancel_after_the_end_shows_the_result() {
        let mut fake = Fake::new(&[s(0, 0)]);
        fake.cancel_errno = Some(Errno::NODEV);
        let (r, _, _) = run(&fake, true, Answer::Cancel);
        assert_eq!(fake.cancels.get(), 1);
        assert_eq!(r.expect("ends"), Ended::Idle(s(0, 0)));
    }

    #[test]
    fn other_cancel_errors_are_errors() {
        let mut fake = Fake::new(&[s(16, 3)]);
        fake.cancel_errno = Some(Errno::NOTTY);
        let (r, _, _) = run(&fake, true, Answer::Cancel);
        let e = r.expect_err("fails");
        assert!(e.to_string().contains("FPGA_IMAGE_LOAD_CANCEL"), "{e}");
    }

    #[test]
    fn a_vanished_card_is_an_error() {
        let fake = Fake::new(&[s(16, 3)]);
        fake.script.borrow_mut().push_back(Err(Errno::NODEV));
        let (r, _, _) = run(&fake, false, Answer::Leave);
        assert_eq!(
            r.expect_err("fails").to_string(),
            "/dev/fpga_image0: FPGA_IMAGE_LOAD_STATUS: No such device (ENODEV): the device is gone"
        );
    }

    #[test]
    fn templates_parse() {
        ProgressStyle::with_template(BAR_TEMPLATE).expect("bar template");
        ProgressStyle::with_template(SPINNER_TEMPLATE).expect("spinner template");
    }

    #[test]
    fn position_is_what_was_written() {
        assert_eq!(bar_position(4096, &s(4096, 1)), 0);
        assert_eq!(bar_position(4096, &s(1024, 3)), 3072);
        assert_eq!(bar_position(4096, &s(0, 4)), 4096);
        // A status that does not belong to this image does not underflow.
        assert_eq!(bar_position(16, &s(4096, 3)), 0);
    }

    #[test]
    fn messages() {
        assert_eq!(bar_message(&s(4096, 2), true), "preparing");
        assert_eq!(bar_message(&s(4096, 3), true), "writing");
        assert_eq!(bar_message(&s(2048, 3), false), "writing, 2.00 KiB left");
        assert_eq!(bar_message(&s(0, 0), false), "idle");
    }
}
