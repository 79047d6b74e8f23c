//! Assume-role profiles that need MFA (`mfa_serial`), which aws-config does not
//! handle (awslabs/aws-sdk-rust#527): ask for the code on the terminal, call
//! AssumeRole with SerialNumber and TokenCode, and keep the role's credentials
//! in the AWS CLI's cache (`~/.aws/cli/cache/<sha1>.json`, its format and file
//! names), so that iamkeys and the AWS CLI reuse each other's sessions.

use crate::aws::sdk_error::FromSdk;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::profiles::RoleProfile;
use crate::core::error::IamError;
use crate::io::private_file;

/// Cached credentials this close to expiry are not reused (the AWS CLI's window).
const EXPIRY_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Wrong or mistyped codes get this many tries.
const TRIES: usize = 3;

/// The AWS CLI's cache entry: AssumeRole's reply, as JSON.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CacheEntry {
    credentials: CachedCredentials,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assumed_role_user: Option<AssumedRoleUser>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CachedCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUser {
    assumed_role_id: String,
    arn: String,
}

/// Asks for one MFA code; `Err` says why there is none (no terminal, say).
pub trait AskCode {
    fn ask(&mut self, prompt: &str) -> Result<String, String>;
}

/// Asks on the controlling terminal, without echo (as the AWS CLI does).
pub struct TerminalPrompt;

impl AskCode for TerminalPrompt {
    fn ask(&mut self, prompt: &str) -> Result<String, String> {
        rpassword::prompt_password(prompt)
            .map_err(|err| format!("cannot ask for the MFA code: no terminal to ask on ({err})"))
    }
}

/// The credentials of `role`: from the cache while they last, else by
/// AssumeRole with a code asked through `ask`, signed with `source`.
pub async fn assume_role(
    base: &aws_config::SdkConfig,
    source: SharedCredentialsProvider,
    role: &RoleProfile,
    serial: &str,
    ask: &mut (dyn AskCode + Send),
) -> Result<Credentials, String> {
    let cache = cache_file(role, serial);
    if let Some(path) = &cache {
        match read_cache(path, SystemTime::now()) {
            Ok(Some(credentials)) => {
                tracing::info!(path = %path.display(), "reusing cached role credentials");
                return Ok(credentials);
            }
            Ok(None) => {}
            Err(why) => say(&format!("{why}; asking for a new MFA code")),
        }
    }
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(base)
            .credentials_provider(source)
            .build(),
    );
    let session_name = role
        .role_session_name
        .clone()
        .unwrap_or_else(|| format!("iamkeys-{}", Timestamp::now().as_second()));
    let mut last_error = String::new();
    for _ in 0..TRIES {
        // A refused try is said again with the next question (the dashboard's
        // dialog has no stderr to read it on).
        let prompt = format!("Enter MFA code for {serial}: ");
        let prompt = if last_error.is_empty() {
            prompt
        } else {
            format!("{last_error}. {prompt}")
        };
        let code = ask.ask(&prompt)?;
        let code = code.trim().to_string();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            last_error = "an MFA code is 6 digits".to_string();
            say(&last_error);
            continue;
        }
        let reply = sts
            .assume_role()
            .role_arn(&role.role_arn)
            .role_session_name(&session_name)
            .serial_number(serial)
            .token_code(code)
            .set_external_id(role.external_id.clone())
            .set_duration_seconds(role.duration_seconds)
            .send()
            .await
            .map_err(|e| IamError::from_sdk("AssumeRole", e));
        match reply {
            Ok(out) => {
                let entry = entry_of(&out)?;
                if let Some(path) = &cache
                    && let Err(err) = write_cache(path, &entry)
                {
                    tracing::warn!(path = %path.display(), %err, "cannot cache the role's credentials");
                    say(&format!("the role's credentials are not cached: {err}"));
                }
                return credentials_of(&entry, SystemTime::UNIX_EPOCH);
            }
            Err(err) if err.code == "AccessDenied" => {
                last_error = format!("AssumeRole of {} was refused: {err}", role.role_arn);
                say(&format!("{last_error} (a wrong or used code?)"));
            }
            Err(err) => return Err(format!("AssumeRole of {} failed: {err}", role.role_arn)),
        }
    }
    Err(last_error)
}

fn entry_of(
    out: &aws_sdk_sts::operation::assume_role::AssumeRoleOutput,
) -> Result<CacheEntry, String> {
    let credentials = out
        .credentials()
        .ok_or("AssumeRole answered without credentials")?;
    let expiration = credentials.expiration();
    let expiration = Timestamp::new(expiration.secs(), 0)
        .map_err(|e| format!("AssumeRole answered a bad expiry: {e}"))?;
    Ok(CacheEntry {
        credentials: CachedCredentials {
            access_key_id: credentials.access_key_id().to_string(),
            secret_access_key: credentials.secret_access_key().to_string(),
            session_token: credentials.session_token().to_string(),
            expiration: expiration.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        },
        assumed_role_user: out.assumed_role_user().map(|u| AssumedRoleUser {
            assumed_role_id: u.assumed_role_id().to_string(),
            arn: u.arn().to_string(),
        }),
    })
}

/// The entry's credentials if they are good past `now` + the expiry window.
fn credentials_of(entry: &CacheEntry, now: SystemTime) -> Result<Credentials, String> {
    let expiry = parse_expiration(&entry.credentials.expiration)
        .ok_or_else(|| format!("unreadable expiry '{}'", entry.credentials.expiration))?;
    let expiry = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(expiry.as_second()).unwrap_or_default());
    if expiry <= now + EXPIRY_WINDOW {
        return Err("expired".into());
    }
    Ok(Credentials::new(
        &entry.credentials.access_key_id,
        &entry.credentials.secret_access_key,
        Some(entry.credentials.session_token.clone()),
        Some(expiry),
        "iamkeys-mfa-assume-role",
    ))
}

/// The AWS CLI has written `2026-12-01T17:00:00Z`, `…+00:00` and `…UTC`.
fn parse_expiration(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let text = text
        .strip_suffix("UTC")
        .map_or(text.to_string(), |t| format!("{t}Z"));
    text.parse().ok()
}

/// What the cache files are called in refusals.
const CACHE_ROLE: &str = "AWS CLI credential cache";

/// The cached credentials at `path` if they are good past `now`. `Err` when
/// the file may not be trusted (see [`crate::io::private_file`]): whoever can
/// write it decides which credentials iamkeys signs with.
fn read_cache(path: &Path, now: SystemTime) -> Result<Option<Credentials>, String> {
    let Some(mut file) = private_file::open_for_reading(CACHE_ROLE, path)? else {
        return Ok(None);
    };
    let mut text = String::new();
    if file.read_to_string(&mut text).is_err() {
        return Ok(None);
    }
    let Ok(entry) = serde_json::from_str::<CacheEntry>(&text) else {
        return Ok(None);
    };
    Ok(credentials_of(&entry, now).ok())
}

/// Writes the entry as a new 0600 file renamed over the old one (the
/// directory 0700). An existing file that may not be trusted is left alone.
fn write_cache(path: &Path, entry: &CacheEntry) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    private_file::check_path(CACHE_ROLE, path)?;
    let failed = |e: &dyn std::fmt::Display| {
        private_file::refusal(CACHE_ROLE, path, &format!("cannot write it: {e}"))
    };
    let dir = path
        .parent()
        .ok_or_else(|| failed(&"it has no directory"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| failed(&e))?;
    let body = serde_json::to_vec(entry).map_err(|e| failed(&e))?;
    private_file::replace_atomically(path, &body).map_err(|e| failed(&e))
}

/// A line on stderr, through the sanitiser; a closed stderr is no reason to panic.
fn say(message: &str) {
    if super::mfa_prompt::prompts_routed() {
        // The dashboard holds the terminal: stderr would garble it.
        tracing::warn!(message, "MFA");
        return;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "iamkeys: {}",
        crate::core::sanitize::server_text(message)
    );
}

/// `~/.aws/cli/cache/<key>.json`, the AWS CLI's file for this role; none without a home.
fn cache_file(role: &RoleProfile, serial: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(
        PathBuf::from(home)
            .join(".aws/cli/cache")
            .join(format!("{}.json", cache_key(role, serial))),
    )
}

/// The AWS CLI's cache key: SHA-1 of AssumeRole's arguments (without a
/// generated session name) as Python's `json.dumps(args, sort_keys=True)`.
fn cache_key(role: &RoleProfile, serial: &str) -> String {
    let mut fields: Vec<(&str, String)> = vec![
        ("RoleArn", python_json_string(&role.role_arn)),
        ("SerialNumber", python_json_string(serial)),
    ];
    if let Some(id) = &role.external_id {
        fields.push(("ExternalId", python_json_string(id)));
    }
    if let Some(name) = &role.role_session_name {
        fields.push(("RoleSessionName", python_json_string(name)));
    }
    if let Some(seconds) = role.duration_seconds {
        fields.push(("DurationSeconds", seconds.to_string()));
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let body = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    hex::encode(Sha1::digest(format!("{{{body}}}").as_bytes()))
}

/// A JSON string as Python writes it by default (non-ASCII as `\uXXXX`).
fn python_json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> RoleProfile {
        RoleProfile {
            role_arn: "arn:aws:iam::111122223333:role/Admin".into(),
            source_profile: Some("base".into()),
            mfa_serial: Some("arn:aws:iam::444455556666:mfa/alice".into()),
            external_id: None,
            role_session_name: None,
            duration_seconds: None,
        }
    }

    #[test]
    fn the_cache_key_is_the_aws_clis() {
        // python3 -c 'import json,hashlib; print(hashlib.sha1(json.dumps({"RoleArn":
        //   "arn:aws:iam::111122223333:role/Admin", "SerialNumber":
        //   "arn:aws:iam::444455556666:mfa/alice"}, sort_keys=True).encode()).hexdigest())'
        let serial = "arn:aws:iam::444455556666:mfa/alice";
        assert_eq!(cache_key(&role(), serial), PYTHON_KEY);
        let mut more = role();
        more.duration_seconds = Some(3600);
        more.external_id = Some("é".into());
        assert_eq!(cache_key(&more, serial), PYTHON_KEY_MORE);
    }

    const PYTHON_KEY: &str = "b0c8109737012215e0c9983fcd014590a7563816";
    const PYTHON_KEY_MORE: &str = "22e68627f66c2fc945a8faefa5f48917792733fa";

    #[test]
    fn cached_credentials_are_reused_until_near_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cli/cache/k.json");
        let now = SystemTime::now();
        let in_an_hour = Timestamp::try_from(now + Duration::from_secs(3600)).unwrap();
        let entry = CacheEntry {
            credentials: CachedCredentials {
                access_key_id: "ASIAROLE".into(),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expiration: in_an_hour.strftime("%Y-%m-%dT%H:%M:%SUTC").to_string(),
            },
            assumed_role_user: None,
        };
        write_cache(&path, &entry).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let got = read_cache(&path, now).unwrap().unwrap();
        assert_eq!(got.access_key_id(), "ASIAROLE");
        assert_eq!(got.session_token(), Some("t"));
        assert!(
            read_cache(&path, now + Duration::from_secs(3000))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_cache_file_others_can_write_is_neither_read_nor_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cli/cache/k.json");
        let now = SystemTime::now();
        let in_an_hour = Timestamp::try_from(now + Duration::from_secs(3600)).unwrap();
        let entry = |id: &str| CacheEntry {
            credentials: CachedCredentials {
                access_key_id: id.into(),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expiration: in_an_hour.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            },
            assumed_role_user: None,
        };
        write_cache(&path, &entry("ASIAGOOD")).unwrap();
        let mode = |m| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        // Anyone could have put their own credentials there.
        mode(0o666);
        let err = read_cache(&path, now).unwrap_err();
        assert!(
            err.contains("credential cache")
                && err.contains("k.json")
                && err.contains("writable by everyone"),
            "{err}"
        );
        mode(0o660);
        let err = write_cache(&path, &entry("ASIANEW")).unwrap_err();
        assert!(err.contains("writable by its group"), "{err}");
        let kept = std::fs::read_to_string(&path).unwrap();
        assert!(kept.contains("ASIAGOOD"), "left alone: {kept}");
        // A link is never followed, to read or to write.
        mode(0o600);
        let link = dir.path().join("cli/cache/link.json");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(
            read_cache(&link, now)
                .unwrap_err()
                .contains("symbolic link")
        );
        assert!(
            write_cache(&link, &entry("ASIANEW"))
                .unwrap_err()
                .contains("symbolic link")
        );
        assert_eq!(
            read_cache(&path, now).unwrap().unwrap().access_key_id(),
            "ASIAGOOD"
        );
    }
}
