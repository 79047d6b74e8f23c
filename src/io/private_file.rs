//! The ownership and mode rules for the files iamkeys trusts — the config,
//! the journal, a saved rotation, the credential cache — in one place, as ssh
//! has them: a regular file (never a symbolic link, FIFO, device or
//! directory), owned by the user iamkeys runs as, and writable by nobody else.
//! Opening never blocks (`O_NONBLOCK`: a FIFO put where a file should be is
//! refused, not waited on) and never follows a link (`O_NOFOLLOW`).
//!
//! Also: unique names for the temporary files of an atomic replace, so two
//! saves at once never share one.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What a file is for, in the refusal's words ("config", "journal", …).
pub type Role<'a> = &'a str;

/// The user id this process runs as, read from the owner of its own /proc
/// entry (no `unsafe` call to geteuid).
pub fn current_uid() -> Result<u32, String> {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| format!("cannot tell who this process runs as: {e}"))
}

/// Why `meta` is not a file iamkeys may trust, if it is not: not a regular
/// file, owned by another user, or writable by group or others.
pub fn untrusted_because(meta: &Metadata, uid: u32) -> Option<String> {
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Some("it is a symbolic link, and iamkeys never follows one there".into());
    }
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() {
                "a FIFO"
            } else if kind.is_socket() {
                "a socket"
            } else if kind.is_char_device() || kind.is_block_device() {
                "a device"
            } else {
                "not a regular file"
            }
        };
        return Some(format!("it is {what}, not a regular file"));
    }
    if meta.uid() != uid {
        return Some(format!(
            "it belongs to user id {}, not to you (user id {uid})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Some(format!(
            "it is writable by {} (mode {:o}): run chmod go-w on it",
            if meta.mode() & 0o002 != 0 {
                "everyone"
            } else {
                "its group"
            },
            meta.mode() & 0o777
        ));
    }
    None
}

/// The refusal for `path`, in one wording: "journal /p: it is a FIFO, …".
pub fn refusal(role: Role<'_>, path: &Path, why: &str) -> String {
    format!(
        "{role} {}: {why}; iamkeys refuses to use it",
        crate::core::sanitize::server_text(&path.display().to_string())
    )
}

/// Opens `path` for reading if it is a file iamkeys may trust. `Ok(None)`
/// when it does not exist.
pub fn open_for_reading(role: Role<'_>, path: &Path) -> Result<Option<File>, String> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(open_error(role, path, &e)),
    };
    check_open(role, path, &file)?;
    Ok(Some(file))
}

/// Opens (creating with mode 0600) `path` for appending if it is, or
/// becomes, a file iamkeys may trust.
pub fn open_for_append(role: Role<'_>, path: &Path) -> Result<File, String> {
    let file = OpenOptions::new()
        .append(true)
        .read(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| open_error(role, path, &e))?;
    check_open(role, path, &file)?;
    Ok(file)
}

/// Checks a file just opened (by its descriptor: no race with a rename).
fn check_open(role: Role<'_>, path: &Path, file: &File) -> Result<(), String> {
    let meta = file
        .metadata()
        .map_err(|e| refusal(role, path, &e.to_string()))?;
    let uid = current_uid()?;
    match untrusted_because(&meta, uid) {
        Some(why) => Err(refusal(role, path, &why)),
        None => Ok(()),
    }
}

/// Checks `path` without opening it (`Ok(false)` when it does not exist).
pub fn check_path(role: Role<'_>, path: &Path) -> Result<bool, String> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => match untrusted_because(&meta, current_uid()?) {
            Some(why) => Err(refusal(role, path, &why)),
            None => Ok(true),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(refusal(role, path, &e.to_string())),
    }
}

fn open_error(role: Role<'_>, path: &Path, e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) => refusal(
            role,
            path,
            "it is a symbolic link, and iamkeys never follows one there",
        ),
        Some(libc::EISDIR) => refusal(role, path, "it is a directory, not a regular file"),
        Some(libc::ENXIO) => refusal(
            role,
            path,
            "it is a FIFO with no writer, not a regular file",
        ),
        _ => refusal(role, path, &e.to_string()),
    }
}

/// A temporary name beside `path` that no other save (of this process or
/// another) uses at the same time: pid, a counter and the clock's nanoseconds.
pub fn temp_name_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    dir.join(format!(
        ".{name}.iamkeys-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Replaces `path` (a file in an existing directory) with `body`, atomically:
/// a new file beside it under a unique name (mode 0600, never through a
/// link), synced, then renamed over it, so a crash leaves the old content or
/// the new, and two saves at once never write one temporary file.
pub fn replace_atomically(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let temp = temp_name_beside(path);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temp)
        .and_then(|mut file| file.write_all(body).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn links_fifos_directories_and_writable_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        std::fs::write(&good, "x").unwrap();
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(open_for_reading("config", &good).unwrap().is_some());
        assert!(
            open_for_reading("config", &dir.path().join("missing"))
                .unwrap()
                .is_none()
        );

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        let err = open_for_reading("journal", &link).unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(open_for_append("journal", &link).is_err());

        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Neither open blocks on a FIFO with no writer.
        let err = open_for_reading("rotation state", &fifo).unwrap_err();
        assert!(err.contains("FIFO"), "{err}");
        let err = open_for_append("journal", &fifo).unwrap_err();
        assert!(err.contains("FIFO"), "{err}");

        let err = open_for_append("journal", dir.path()).unwrap_err();
        assert!(err.contains("directory"), "{err}");

        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = open_for_reading("config", &good).unwrap_err();
        assert!(err.contains("writable by everyone"), "{err}");
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o620)).unwrap();
        let err = check_path("config", &good).unwrap_err();
        assert!(err.contains("writable by its group"), "{err}");
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(check_path("config", &good).unwrap());
    }

    #[test]
    fn temporary_names_are_unique() {
        let path = Path::new("/tmp/x/state.json");
        let a = temp_name_beside(path);
        let b = temp_name_beside(path);
        assert_ne!(a, b);
        assert_eq!(a.parent(), path.parent());
    }
}
