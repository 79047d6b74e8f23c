//! Saving a new key's secret the way the IAM console does: a CSV file with an
//! `Access key ID,Secret access key` header, readable only by its owner.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::action::SaveError;
use crate::iam::model::Secret;

/// Writes the CSV at `path` with mode 0600. An existing file is left alone
/// unless `overwrite` is set (the user said yes to replacing it).
pub fn write_secret_csv(
    path: &Path,
    key_id: &str,
    secret: &Secret,
    overwrite: bool,
) -> Result<(), SaveError> {
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        ErrorKind::AlreadyExists => SaveError::Exists,
        _ => SaveError::Failed(e.to_string()),
    })?;
    // `mode` applies only to files it creates: an overwritten file is narrowed too.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| SaveError::Failed(e.to_string()))?;
    let body = zeroize::Zeroizing::new(format!(
        "Access key ID,Secret access key\n{key_id},{}\n",
        secret.expose()
    ));
    file.write_all(body.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| SaveError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_console_format_with_mode_0600_and_never_overwrites_unasked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alice_accessKeys.csv");
        let secret = Secret::new("s3cr3t/KEY+value".into());
        write_secret_csv(&path, "AKIAEXAMPLE", &secret, false).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Access key ID,Secret access key\nAKIAEXAMPLE,s3cr3t/KEY+value\n"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        assert_eq!(
            write_secret_csv(&path, "AKIAOTHER", &secret, false),
            Err(SaveError::Exists)
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_secret_csv(&path, "AKIAOTHER", &secret, true).unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("AKIAOTHER,")
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let missing_dir = dir.path().join("no/such/dir.csv");
        assert!(matches!(
            write_secret_csv(&missing_dir, "A", &secret, false),
            Err(SaveError::Failed(_))
        ));
    }
}
