//! The shared credentials file (`~/.aws/credentials`, or
//! `AWS_SHARED_CREDENTIALS_FILE`) for `rotate --self`: read a profile's static
//! key, and put a new one in its place with every other line (other profiles,
//! comments, other settings) kept, by an atomic replace with mode 0600.

use std::path::{Path, PathBuf};

use crate::iam::model::Secret;

const KEY_ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const TOKEN: &str = "aws_session_token";

/// Where the shared credentials file is.
pub fn path() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or("HOME is not set: cannot find ~/.aws/credentials")?;
    Ok(PathBuf::from(home).join(".aws").join("credentials"))
}

/// Where `rotate --self` keeps the new key's secret (a CSV, mode 0600)
/// between CreateAccessKey and the proof: beside the credentials file (the
/// file a symbolic link names), `credentials.iamkeys-new-AKIA…`. The
/// credentials file itself keeps the old key until the new one is proven; a
/// rotation interrupted in between is resumed from this file.
pub fn pending_path(path: &Path, key_id: &str) -> Result<PathBuf, String> {
    if !crate::iam::new_key::is_key_id(key_id) {
        return Err(format!("{key_id:?} is not an access key id"));
    }
    let target = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".into());
    Ok(target.with_file_name(format!("{name}.iamkeys-new-{key_id}")))
}

/// The `key = value` settings of `profile`'s section, with their line numbers.
fn settings<'a>(text: &'a str, profile: &str) -> Vec<(usize, String, &'a str)> {
    let mut inside = false;
    let mut found = Vec::new();
    for (at, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            inside = trimmed[1..trimmed.len() - 1].trim() == profile;
            continue;
        }
        if !inside || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            found.push((at, key.trim().to_lowercase(), value.trim()));
        }
    }
    found
}

/// The static key of `profile`: its id and secret.
pub fn read_key(path: &Path, profile: &str) -> Result<(String, Secret), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let found = settings(&text, profile);
    let get = |name: &str| {
        found
            .iter()
            .find(|(_, key, _)| key == name)
            .map(|(_, _, value)| value.to_string())
    };
    if get(TOKEN).is_some() {
        return Err(format!(
            "profile {profile} in {} holds temporary credentials (aws_session_token): there is no long-term key to rotate",
            path.display()
        ));
    }
    match (get(KEY_ID), get(SECRET)) {
        (Some(id), Some(secret)) => Ok((id, Secret::new(secret))),
        _ => Err(format!(
            "profile {profile} has no static key (aws_access_key_id and aws_secret_access_key) in {}",
            path.display()
        )),
    }
}

/// Replaces `profile`'s key with `key_id`/`secret`, keeping every other line.
/// The file is replaced atomically (a new file beside it, mode 0600, renamed
/// over it); a symbolic link is followed to the file it names, which is what
/// gets replaced.
pub fn replace_key(
    path: &Path,
    profile: &str,
    key_id: &str,
    secret: &Secret,
) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let target = std::fs::canonicalize(path).map_err(fail)?;
    let text = std::fs::read_to_string(&target).map_err(fail)?;
    let found = settings(&text, profile);
    let line_of = |name: &str| found.iter().find(|(_, key, _)| key == name).map(|f| f.0);
    let (Some(id_line), Some(secret_line)) = (line_of(KEY_ID), line_of(SECRET)) else {
        return Err(format!(
            "profile {profile} has no static key in {}",
            path.display()
        ));
    };
    let mut body = zeroize::Zeroizing::new(String::with_capacity(text.len() + 64));
    for (at, line) in text.lines().enumerate() {
        let indent = &line[..line.len() - line.trim_start().len()];
        if at == id_line {
            body.push_str(&format!("{indent}{KEY_ID} = {key_id}"));
        } else if at == secret_line {
            body.push_str(&format!("{indent}{SECRET} = {}", secret.expose()));
        } else {
            body.push_str(line);
        }
        body.push('\n');
    }
    if !text.ends_with('\n') {
        body.pop();
    }
    crate::secret_file::replace_atomically(&target, body.as_bytes()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const FILE: &str = "# my keys\n[default]\naws_access_key_id = AKIAOLD0000000000001\naws_secret_access_key = oldsecret\nregion = eu-west-1\n\n[other]\n; keep me\naws_access_key_id=AKIAOTHER00000000001\naws_secret_access_key=othersecret\n";

    #[test]
    fn replaces_one_profiles_key_and_keeps_everything_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, FILE).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (id, secret) = read_key(&path, "default").unwrap();
        assert_eq!(
            (id.as_str(), secret.expose()),
            ("AKIAOLD0000000000001", "oldsecret")
        );
        replace_key(
            &path,
            "default",
            "AKIANEW0000000000001",
            &Secret::new("newsecret".into()),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            FILE.replace("AKIAOLD0000000000001", "AKIANEW0000000000001")
                .replace("oldsecret", "newsecret")
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (id, _) = read_key(&path, "other").unwrap();
        assert_eq!(id, "AKIAOTHER00000000001");
        assert!(read_key(&path, "missing").is_err());
    }

    #[test]
    fn a_symlink_is_followed_and_temporary_credentials_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, FILE).unwrap();
        let link = dir.path().join("credentials");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        replace_key(
            &link,
            "other",
            "AKIANEW0000000000002",
            &Secret::new("s".into()),
        )
        .unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::read_to_string(&real)
                .unwrap()
                .contains("AKIANEW0000000000002")
        );
        std::fs::write(
            &real,
            "[t]\naws_access_key_id=ASIA1\naws_secret_access_key=x\naws_session_token=y\n",
        )
        .unwrap();
        assert!(read_key(&real, "t").unwrap_err().contains("temporary"));
    }
}
