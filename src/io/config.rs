//! The config file: `--config PATH`, else `$XDG_CONFIG_HOME/iamkeys/config.toml`
//! (else `~/.config/iamkeys/config.toml`). A missing default file is no error;
//! a bad file is, naming the file and the line. Resolved once at start into
//! one [`Config`]; see `assets/config.example.toml`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::core::policy::{Exempt, Policy};
use crate::tui::keymap::Keymap;
use crate::{core::sanitize, io::private_file};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub policy: Policy,
    /// `[keys]`: the browsing keys, with the file's overrides.
    pub keymap: Keymap,
    /// `[journal] undo_within_days`: older entries are not undone without `--include-old`.
    pub undo_within_days: u32,
    /// Where it was read from (`None`: no file, the defaults).
    pub source: Option<PathBuf>,
    /// `[source] confirm_after_minutes`: a credential report older than this
    /// has its uses confirmed live (at load, and at the moment of a decision).
    pub confirm_after_minutes: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            keymap: Keymap::default(),
            source: None,
            confirm_after_minutes: DEFAULT_CONFIRM_AFTER_MINUTES,
            undo_within_days: crate::io::journal::UNDO_WITHIN_DAYS,
        }
    }
}

/// IAM records a key's use at most once per 15 minutes.
pub const DEFAULT_CONFIRM_AFTER_MINUTES: u32 = 15;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    policy: FilePolicy,
    #[serde(default)]
    source: FileSource,
    #[serde(default)]
    journal: FileJournal,
    /// Action name → one key or a list of keys, in file order.
    #[serde(default)]
    keys: toml::Table,
}

/// `[journal]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJournal {
    undo_within_days: Option<u32>,
}

/// One key or several, as `[keys]` accepts them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum KeySpellings {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePolicy {
    rotate_after_days: Option<u32>,
    unused_after_days: Option<u32>,
    new_key_grace_days: Option<u32>,
    recent_use_days: Option<u32>,
    #[serde(default)]
    exempt: FileExempt,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSource {
    confirm_after_minutes: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileExempt {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    tag: Option<String>,
}

/// Reads the config: `explicit` (`--config`) must exist; the default path may not.
/// Like ssh, a file that is not the user's own, or that group or others can
/// write, is refused (see [`crate::io::private_file`]): whoever can write it
/// decides what is exempt and what a key does.
pub fn load(explicit: Option<&Path>) -> Result<Config, String> {
    let (path, must_exist) = match explicit {
        Some(path) => (Some(path.to_path_buf()), true),
        None => (default_path(), false),
    };
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let Some(text) = read_trusted(&path)? else {
        if must_exist {
            return Err(format!(
                "cannot read the config file {}: it does not exist",
                sanitize::server_text(&path.display().to_string())
            ));
        }
        return Ok(Config::default());
    };
    let mut config = parse(&text).map_err(|why| {
        format!(
            "{}: {why}",
            sanitize::server_text(&path.display().to_string())
        )
    })?;
    config.source = Some(path);
    Ok(config)
}

/// The text of the config file at `path` if it exists and may be trusted.
fn read_trusted(path: &Path) -> Result<Option<String>, String> {
    let Some(mut file) = private_file::open_for_reading("config file", path)? else {
        return Ok(None);
    };
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|err| {
        format!(
            "cannot read the config file {}: {err}",
            sanitize::server_text(&path.display().to_string())
        )
    })?;
    Ok(Some(text))
}

/// Parses config text; an error names the line.
pub fn parse(text: &str) -> Result<Config, String> {
    let file: FileConfig = toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let message = err.message().to_string();
        match line {
            Some(line) => format!("line {line}: {message}"),
            None => message,
        }
    })?;
    let keymap = keymap(text, file.keys)?;
    let defaults = Policy::default();
    let p = file.policy;
    let days = |value: Option<u32>, default: i64| value.map_or(default, i64::from);
    let policy = Policy {
        rotate_after_days: days(p.rotate_after_days, defaults.rotate_after_days),
        unused_after_days: days(p.unused_after_days, defaults.unused_after_days),
        new_key_grace_days: days(p.new_key_grace_days, defaults.new_key_grace_days),
        recent_use_days: days(p.recent_use_days, defaults.recent_use_days),
        confirm_after_minutes: i64::from(
            file.source
                .confirm_after_minutes
                .unwrap_or(DEFAULT_CONFIRM_AFTER_MINUTES),
        ),
        exempt: Exempt {
            users: p.exempt.users,
            paths: p.exempt.paths,
            tag: p.exempt.tag.filter(|t| !t.is_empty()),
        },
    };
    Ok(Config {
        policy,
        keymap,
        undo_within_days: file
            .journal
            .undo_within_days
            .unwrap_or(crate::io::journal::UNDO_WITHIN_DAYS),
        source: None,
        confirm_after_minutes: file
            .source
            .confirm_after_minutes
            .unwrap_or(DEFAULT_CONFIRM_AFTER_MINUTES),
    })
}

/// The `[keys]` table as a keymap; an error names the line of the entry.
fn keymap(text: &str, table: toml::Table) -> Result<Keymap, String> {
    let lines = key_lines(text);
    let line_of = |name: &str| {
        lines
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, line)| *line)
    };
    let mut pairs = Vec::new();
    for (name, value) in table {
        let keys = match KeySpellings::deserialize(value) {
            Ok(KeySpellings::One(key)) => vec![key],
            Ok(KeySpellings::Many(keys)) => keys,
            Err(_) => {
                return Err(format!(
                    "line {}: [keys] {name}: write a key as a string, or a list of strings",
                    line_of(&name)
                ));
            }
        };
        pairs.push((name, keys));
    }
    Keymap::with_overrides(&pairs)
        .map_err(|(at, why)| format!("line {}: [keys] {why}", line_of(&pairs[at].0)))
}

/// The line of each entry of `[keys]`, by its name as parsed (quoted and
/// escaped names too), from the parser's spans.
fn key_lines(text: &str) -> Vec<(String, usize)> {
    let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let Ok(document) = toml::de::DeTable::parse(text) else {
        return Vec::new();
    };
    let Some(keys) = document.get_ref().get("keys") else {
        return Vec::new();
    };
    let toml::de::DeValue::Table(table) = keys.get_ref() else {
        return Vec::new();
    };
    table
        .iter()
        .map(|(name, _)| (name.get_ref().to_string(), line_at(name.span().start)))
        .collect()
}

fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(base.join("iamkeys").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_to_the_defaults_it_documents() {
        let example = include_str!("../../assets/config.example.toml");
        let config = parse(example).unwrap();
        assert_eq!(config.policy.rotate_after_days, 90);
        assert_eq!(config.policy.exempt.users, ["breakglass-*"]);
        assert_eq!(parse("").unwrap().policy, Policy::default());
        assert_eq!(config.undo_within_days, 7);
    }

    #[test]
    fn journal_undo_within_days_is_read_and_defaults_to_seven() {
        assert_eq!(parse("").unwrap().undo_within_days, 7);
        let config = parse("[journal]\nundo_within_days = 30\n").unwrap();
        assert_eq!(config.undo_within_days, 30);
        assert!(parse("[journal]\nundo_after = 3\n").is_err());
    }

    #[test]
    fn a_bad_file_names_the_line() {
        let err =
            parse("[policy]\nrotate_after_days = 90\nunused_after_days = \"soon\"\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = parse("[policy]\nrotate_after = 90\n").unwrap_err();
        assert!(
            err.starts_with("line 2:") && err.contains("rotate_after"),
            "{err}"
        );
        let err = parse("[policy]\nrecent_use_days = -1\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn keys_overrides_are_read_and_bad_ones_name_their_line() {
        let config =
            parse("[policy]\n\n[keys]\ntoggle = \"t\"\nrefresh = [\"F5\", \"r\"]\n").unwrap();
        let t = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('t'),
            crossterm::event::KeyModifiers::NONE,
        );
        assert_eq!(
            config.keymap.action_for(crate::tui::state::Mode::Normal, t),
            Some(crate::tui::action::Action::ToggleKey)
        );
        let err = parse("[keys]\ntoggle = \"t\"\nexplode = \"x\"\n").unwrap_err();
        assert!(err.starts_with("line 3: [keys] no action"), "{err}");
        let err = parse("[keys]\n\ntoggle = \"d\"\n").unwrap_err();
        assert!(
            err.starts_with("line 3:") && err.contains("delete"),
            "{err}"
        );
        let err = parse("[keys]\ntoggle = 5\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn a_missing_default_file_is_fine_a_missing_named_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let err = load(Some(&missing)).unwrap_err();
        assert!(err.contains("nope.toml"), "{err}");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[policy\n").unwrap();
        let err = load(Some(&bad)).unwrap_err();
        assert!(err.contains("bad.toml: line 1"), "{err}");
    }
}
