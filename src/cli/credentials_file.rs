//! The shared credentials file (`~/.aws/credentials`, or
//! `AWS_SHARED_CREDENTIALS_FILE`) for `rotate --self`: read a profile's static
//! key, and put a new one in its place with every other line (other profiles,
//! comments, other settings) kept, by an atomic replace with mode 0600.

use std::path::{Path, PathBuf};

use crate::core::model::Secret;

const KEY_ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const TOKEN: &str = "aws_session_token";

/// Where the shared credentials file is (a leading `~/` in
/// `AWS_SHARED_CREDENTIALS_FILE` is the home directory, as the AWS CLI has it).
pub fn path() -> Result<PathBuf, String> {
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or("HOME is not set: cannot find ~/.aws/credentials")
    };
    if let Some(path) = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if path.starts_with("~") {
            return Ok(with_home(&path, &home()?));
        }
        return Ok(path);
    }
    Ok(home()?.join(".aws").join("credentials"))
}

/// `~/x` as `home/x` (any other path as it is).
fn with_home(path: &Path, home: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home.join(rest),
        Err(_) => path.to_path_buf(),
    }
}

/// Where `rotate --self` keeps the new key's secret (a CSV, mode 0600)
/// between CreateAccessKey and the proof: beside the credentials file (the
/// file a symbolic link names), `credentials.iamkeys-new-AKIA…`. The
/// credentials file itself keeps the old key until the new one is proven; a
/// rotation interrupted in between is resumed from this file.
pub fn pending_path(path: &Path, key_id: &str) -> Result<PathBuf, String> {
    if !crate::aws::new_key::is_key_id(key_id) {
        return Err(format!("{key_id:?} is not an access key id"));
    }
    let target = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".into());
    Ok(target.with_file_name(format!("{name}.iamkeys-new-{key_id}")))
}

/// One `key = value` line of a section.
struct Setting<'a> {
    line: usize,
    profile: &'a str,
    /// Lower case.
    key: String,
    value: &'a str,
    /// An inline comment after the value (`  # laptop`), with the blanks
    /// before it, kept when the value is replaced.
    comment: &'a str,
}

/// Every setting of every section. Key ids and secrets hold no blanks, so a
/// `#` or `;` after a blank starts an inline comment.
fn parse(text: &str) -> Vec<Setting<'_>> {
    let mut profile = "";
    let mut found = Vec::new();
    for (line, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            profile = trimmed[1..trimmed.len() - 1].trim();
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let Some((key, rest)) = trimmed.split_once('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let cut = rest
            .char_indices()
            .find(|&(at, c)| {
                (c == '#' || c == ';') && rest[..at].ends_with(|b: char| b.is_whitespace())
            })
            .map_or(rest.len(), |(at, _)| at);
        let value = rest[..cut].trim_end();
        found.push(Setting {
            line,
            profile,
            key: key.trim().to_lowercase(),
            value,
            comment: &rest[value.len()..],
        });
    }
    found
}

fn value_of<'a>(found: &'a [Setting<'a>], profile: &str, key: &str) -> Option<&'a Setting<'a>> {
    found.iter().find(|s| s.profile == profile && s.key == key)
}

/// The text of the credentials file (never waiting on a FIFO put there).
fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(fail)?;
    if !file.metadata().map_err(fail)?.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(fail)?;
    Ok(text)
}

/// The static key of `profile`: its id and secret.
pub fn read_key(path: &Path, profile: &str) -> Result<(String, Secret), String> {
    let text = zeroize::Zeroizing::new(read_text(path)?);
    let found = parse(&text);
    let get = |name: &str| value_of(&found, profile, name).map(|s| s.value.to_string());
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

/// Replaces `profile`'s key with `key_id`/`secret` — and the same key in
/// every other profile that holds it, as aws-rotate-key does — keeping every
/// other line and inline comment. Returns the profiles rewritten. The file is
/// replaced atomically (a new file beside it, mode 0600, renamed over it); a
/// symbolic link is followed to the file it names, which is what gets replaced.
pub fn replace_key(
    path: &Path,
    profile: &str,
    key_id: &str,
    secret: &Secret,
) -> Result<Vec<String>, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let target = std::fs::canonicalize(path).map_err(fail)?;
    let text = zeroize::Zeroizing::new(read_text(&target)?);
    let found = parse(&text);
    let Some(old_id) = value_of(&found, profile, KEY_ID).map(|s| s.value) else {
        return Err(format!(
            "profile {profile} has no static key in {}",
            path.display()
        ));
    };
    // Every profile holding the old key, with both of its lines.
    let mut profiles: Vec<&str> = Vec::new();
    let mut lines = std::collections::HashMap::new();
    for setting in found
        .iter()
        .filter(|s| s.key == KEY_ID && s.value == old_id)
    {
        let Some(secret_line) = value_of(&found, setting.profile, SECRET) else {
            continue;
        };
        if profiles.contains(&setting.profile) {
            continue;
        }
        profiles.push(setting.profile);
        lines.insert(setting.line, (KEY_ID, key_id, setting.comment));
        lines.insert(
            secret_line.line,
            (SECRET, secret.expose(), secret_line.comment),
        );
    }
    if !profiles.contains(&profile) {
        return Err(format!(
            "profile {profile} has no static key in {}",
            path.display()
        ));
    }
    let mut body = zeroize::Zeroizing::new(String::with_capacity(text.len() + 64));
    for (at, line) in text.lines().enumerate() {
        match lines.get(&at) {
            Some((name, value, comment)) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                body.push_str(&format!("{indent}{name} = {value}{comment}"));
            }
            None => body.push_str(line),
        }
        body.push('\n');
    }
    if !text.ends_with('\n') {
        body.pop();
    }
    crate::io::secret_file::replace_atomically(&target, body.as_bytes()).map_err(fail)?;
    Ok(profiles.into_iter().map(str::to_string).collect())
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
    fn a_fifo_as_the_credentials_file_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("credentials");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_key(&fifo, "default").unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        let secret = Secret::new("s".into());
        assert!(replace_key(&fifo, "default", "AKIANEW0000000000001", &secret).is_err());
    }

    #[test]
    fn a_tilde_is_the_home_directory() {
        let home = Path::new("/home/ops");
        assert_eq!(
            with_home(Path::new("~/.aws/credentials"), home),
            Path::new("/home/ops/.aws/credentials")
        );
        assert_eq!(
            with_home(Path::new("/etc/creds"), home),
            Path::new("/etc/creds")
        );
        assert_eq!(with_home(Path::new("~ops/x"), home), Path::new("~ops/x"));
    }

    #[test]
    fn every_profile_with_the_key_is_rewritten_and_inline_comments_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let file = "[default]\naws_access_key_id = AKIAOLD0000000000001 # laptop\naws_secret_access_key = oldsecret  ; do not share\n\n[ci]\naws_access_key_id=AKIAOLD0000000000001\naws_secret_access_key=oldsecret\n\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = othersecret\n";
        std::fs::write(&path, file).unwrap();
        let (id, secret) = read_key(&path, "default").unwrap();
        assert_eq!(
            (id.as_str(), secret.expose()),
            ("AKIAOLD0000000000001", "oldsecret")
        );
        let changed = replace_key(
            &path,
            "default",
            "AKIANEW0000000000001",
            &Secret::new("newsecret".into()),
        )
        .unwrap();
        assert_eq!(changed, ["default", "ci"]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[default]\naws_access_key_id = AKIANEW0000000000001 # laptop\naws_secret_access_key = newsecret  ; do not share\n\n[ci]\naws_access_key_id = AKIANEW0000000000001\naws_secret_access_key = newsecret\n\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = othersecret\n"
        );
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
