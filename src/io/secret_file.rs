//! Saving a new key's secret the way the IAM console does: a CSV file with an
//! `Access key ID,Secret access key` header, readable only by its owner.
//!
//! The file is only ever created new (`O_CREAT|O_EXCL|O_NOFOLLOW`), so a
//! symlink or a file put there by someone else is never written through. An
//! existing regular file of this user is replaced, after the user said yes, by
//! writing a new file beside it and renaming it over: the old inode (which
//! another hard link may share) is never truncated.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::core::model::Secret;

/// Why the secret's CSV file was not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveError {
    /// The file exists; it is never overwritten without asking.
    Exists,
    Failed(String),
}

/// `~` and `~/…` mean the home directory; a relative path is taken from the
/// working directory. The result is absolute (its parent is not resolved, so
/// a symlinked directory the user named is kept).
pub fn resolve(path: &str) -> Result<PathBuf, SaveError> {
    let home = || {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .ok_or_else(|| SaveError::Failed("HOME is not set, so ~ means nothing".into()))
    };
    let path = if path == "~" {
        home()?
    } else if let Some(rest) = path.strip_prefix("~/") {
        home()?.join(rest)
    } else {
        PathBuf::from(path)
    };
    std::path::absolute(&path).map_err(|e| SaveError::Failed(e.to_string()))
}

/// Writes the CSV at `path` with mode 0600 and returns where it went. An
/// existing file is left alone unless `overwrite` is set (the user said yes
/// to replacing it), and even then only a regular file owned by this user.
pub fn write_secret_csv(
    path: &str,
    key_id: &str,
    secret: &Secret,
    overwrite: bool,
) -> Result<PathBuf, SaveError> {
    let path = resolve(path)?;
    let body = zeroize::Zeroizing::new(format!(
        "Access key ID,Secret access key\n{key_id},{}\n",
        secret.expose()
    ));
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            create_new(&path, body.as_bytes())?;
            return Ok(path);
        }
        Err(e) => return Err(SaveError::Failed(e.to_string())),
        Ok(meta) => {
            if meta.file_type().is_symlink() {
                return Err(SaveError::Failed(
                    "it is a symbolic link: iamkeys never writes a secret through one".into(),
                ));
            }
            if !meta.file_type().is_file() {
                return Err(SaveError::Failed("it is not a regular file".into()));
            }
            if !overwrite {
                return Err(SaveError::Exists);
            }
            if meta.uid() != current_uid()? {
                return Err(SaveError::Failed(
                    "it belongs to another user: choose another name".into(),
                ));
            }
        }
    }
    let temp = crate::io::private_file::temp_name_beside(&path);
    // A leftover of an earlier run is not the file the user was asked about.
    create_new(&temp, body.as_bytes()).map_err(|e| match e {
        SaveError::Exists => SaveError::Failed(format!(
            "{} is in the way: remove it and save again",
            temp.display()
        )),
        other => other,
    })?;
    std::fs::rename(&temp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        SaveError::Failed(e.to_string())
    })?;
    Ok(path)
}

/// Creates `path` as a new file (never through a link), mode 0600, with `body`.
fn create_new(path: &Path, body: &[u8]) -> Result<(), SaveError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => SaveError::Exists,
            _ => SaveError::Failed(e.to_string()),
        })?;
    file.write_all(body)
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            SaveError::Failed(e.to_string())
        })
}

pub use crate::io::private_file::replace_atomically;

/// This process's user id.
fn current_uid() -> Result<u32, SaveError> {
    crate::io::private_file::current_uid().map_err(SaveError::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn text(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn writes_the_console_format_with_mode_0600_and_never_overwrites_unasked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alice_accessKeys.csv");
        let name = path.to_str().unwrap();
        let secret = Secret::new("s3cr3t/KEY+value".into());
        assert_eq!(
            write_secret_csv(name, "AKIAEXAMPLE", &secret, false).unwrap(),
            path
        );
        assert_eq!(
            text(&path),
            "Access key ID,Secret access key\nAKIAEXAMPLE,s3cr3t/KEY+value\n"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        assert_eq!(
            write_secret_csv(name, "AKIAOTHER", &secret, false),
            Err(SaveError::Exists)
        );
        // Replaced by a new file: a hard link to the old one keeps the old text.
        let link = dir.path().join("hardlink");
        std::fs::hard_link(&path, &link).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_secret_csv(name, "AKIAOTHER", &secret, true).unwrap();
        assert!(text(&path).contains("AKIAOTHER,"));
        assert!(text(&link).contains("AKIAEXAMPLE,"));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("iamkeys-"))
            .collect();
        assert!(leftovers.is_empty());

        let missing_dir = dir.path().join("no/such/dir.csv");
        assert!(matches!(
            write_secret_csv(missing_dir.to_str().unwrap(), "A", &secret, false),
            Err(SaveError::Failed(_))
        ));
    }

    #[test]
    fn symlinks_and_directories_are_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let secret = Secret::new("s3cr3t".into());
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for overwrite in [false, true] {
            let err = write_secret_csv(link.to_str().unwrap(), "A", &secret, overwrite);
            assert!(
                matches!(err, Err(SaveError::Failed(ref why)) if why.contains("symbolic link")),
                "{err:?}"
            );
        }
        assert_eq!(text(&victim), "precious");

        let dangling = dir.path().join("dangling.csv");
        let target = dir.path().join("created-through-link");
        std::os::unix::fs::symlink(&target, &dangling).unwrap();
        assert!(write_secret_csv(dangling.to_str().unwrap(), "A", &secret, true).is_err());
        assert!(!target.exists());

        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = write_secret_csv(sub.to_str().unwrap(), "A", &secret, true);
        assert!(
            matches!(err, Err(SaveError::Failed(ref why)) if why.contains("not a regular file"))
        );
    }

    #[test]
    fn a_leading_tilde_is_the_home_directory() {
        let home = PathBuf::from(std::env::var_os("HOME").unwrap());
        assert_eq!(resolve("~/k.csv").unwrap(), home.join("k.csv"));
        assert!(resolve("k.csv").unwrap().is_absolute());
    }
}
