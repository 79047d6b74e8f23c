//! Standard output as the place a new key's secret goes (`--secret-out -`).
//! A secret written nowhere must never let a rotation retire the old key, so
//! stdout is checked before the key is made (open, writable, not /dev/null:
//! Rust's runtime puts /dev/null on a closed fd 1, where every write
//! "succeeds"), written with every error checked and flushed, and — when it is
//! a pipe — checked again before any retire step: the reader must still be
//! there and have read the bytes.

use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{FileType, OFlags};

/// Why stdout cannot take a secret, if it cannot.
pub fn unfit_because() -> Option<String> {
    let out = std::io::stdout();
    let fd = out.as_fd();
    let stat = match rustix::fs::fstat(fd) {
        Ok(stat) => stat,
        Err(e) => return Some(format!("stdout is not open ({e})")),
    };
    match rustix::fs::fcntl_getfl(fd) {
        Ok(flags) if flags.intersects(OFlags::WRONLY | OFlags::RDWR) => {}
        Ok(_) => return Some("stdout is open for reading only".into()),
        Err(e) => return Some(format!("stdout cannot be checked ({e})")),
    }
    if FileType::from_raw_mode(stat.st_mode) == FileType::CharacterDevice
        && rustix::fs::stat("/dev/null").is_ok_and(|null| null.st_rdev == stat.st_rdev)
    {
        return Some(
            "stdout is closed or /dev/null (a closed stdout is reopened on /dev/null): the secret would go nowhere"
                .into(),
        );
    }
    None
}

/// Writes `lines` to stdout in one piece and flushes; any error means the
/// secret was not taken.
pub fn write_lines(lines: &[&str]) -> Result<(), String> {
    let mut text = zeroize::Zeroizing::new(String::new());
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing to stdout failed: {e}"))
}

/// Whether stdout is a pipe (or a FIFO): then "written" is not yet "taken".
fn is_pipe() -> bool {
    rustix::fs::fstat(std::io::stdout().as_fd())
        .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Fifo)
}

/// Whether what was written to stdout was taken: for a file or a terminal,
/// the successful write says so; for a pipe, the reader must still be there
/// and have read every byte (waited for up to `patience`).
pub fn taken(patience: Duration) -> Result<(), String> {
    if !is_pipe() {
        return Ok(());
    }
    let out = std::io::stdout();
    let fd = out.as_fd();
    let deadline = Instant::now() + patience;
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
        let now = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        rustix::event::poll(&mut fds, Some(&now))
            .map_err(|e| format!("stdout cannot be checked ({e})"))?;
        if fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP) {
            return Err(
                "the program reading stdout closed it: it may not have kept the secret".into(),
            );
        }
        let unread = rustix::io::ioctl_fionread(fd)
            .map_err(|e| format!("stdout cannot be checked ({e})"))?;
        if unread == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{unread} bytes written to stdout are still unread after {} s: the secret may not have been taken",
                patience.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
