//! The terminal while the wizard runs: raw mode, alternate screen, optional mouse capture, and
//! the restore that always follows: on return, error, drop, and panic of the wizard's thread (a
//! hook installed before the terminal is touched). In raw mode Ctrl-C arrives as a key: quit.

use std::io::{self, Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is in the wizard's mode, so a restore (from the panic hook too) only
/// ever writes escape codes when there is something to undo.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: Once = Once::new();

thread_local! {
    /// Set on the thread that entered the session, where the wizard's loop runs. A panic in a
    /// step's background task (another thread) is reported by the wizard as a finding and must
    /// not tear the screen down under it.
    static UI_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub struct TerminalSession {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalSession {
    pub fn enter(mouse: bool) -> io::Result<TerminalSession> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        UI_THREAD.with(|flag| flag.set(true));
        let setup = || -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
            let mut out = stdout();
            execute!(out, EnterAlternateScreen, Hide)?;
            if mouse {
                execute!(out, EnableMouseCapture)?;
            }
            Terminal::new(CrosstermBackend::new(stdout()))
        };
        match setup() {
            Ok(terminal) => Ok(TerminalSession { terminal }),
            Err(error) => {
                let _ = restore();
                Err(error)
            }
        }
    }

    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }

    /// Restores the terminal and reports a failure to do so.
    pub fn leave(self) -> io::Result<()> {
        restore()
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// Raw mode off first (it has the wider effects), then the normal screen, mouse and cursor back.
pub fn restore() -> io::Result<()> {
    UI_THREAD.with(|flag| flag.set(false));
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = disable_raw_mode();
    let screen = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show);
    raw.and(screen)
}

fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Restored before the message is printed, so the message lands on the normal screen.
            if UI_THREAD.with(std::cell::Cell::get) {
                let _ = restore();
            } else if ACTIVE.load(Ordering::SeqCst) {
                // A background task: the wizard shows its message as a finding, and printing it
                // now would scribble over the screen.
                return;
            }
            previous(info);
        }));
    });
}
