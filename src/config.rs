//! The config file: `--config PATH`, else `$XDG_CONFIG_HOME/iamkeys/config.toml`
//! (else `~/.config/iamkeys/config.toml`). A missing default file is no error;
//! a bad file is, naming the file and the line. Resolved once at start into
//! one [`Config`]; see `assets/config.example.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::policy::{Exempt, Policy};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub policy: Policy,
    /// Where it was read from (`None`: no file, the defaults).
    pub source: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    policy: FilePolicy,
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
struct FileExempt {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    tag: Option<String>,
}

/// Reads the config: `explicit` (`--config`) must exist; the default path may not.
pub fn load(explicit: Option<&Path>) -> Result<Config, String> {
    let (path, must_exist) = match explicit {
        Some(path) => (Some(path.to_path_buf()), true),
        None => (default_path(), false),
    };
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(Config::default());
        }
        Err(err) => {
            return Err(format!(
                "cannot read the config file {}: {err}",
                path.display()
            ));
        }
    };
    let mut config = parse(&text).map_err(|why| format!("{}: {why}", path.display()))?;
    config.source = Some(path);
    Ok(config)
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
    let defaults = Policy::default();
    let p = file.policy;
    let days = |value: Option<u32>, default: i64| value.map_or(default, i64::from);
    let policy = Policy {
        rotate_after_days: days(p.rotate_after_days, defaults.rotate_after_days),
        unused_after_days: days(p.unused_after_days, defaults.unused_after_days),
        new_key_grace_days: days(p.new_key_grace_days, defaults.new_key_grace_days),
        recent_use_days: days(p.recent_use_days, defaults.recent_use_days),
        exempt: Exempt {
            users: p.exempt.users,
            paths: p.exempt.paths,
            tag: p.exempt.tag.filter(|t| !t.is_empty()),
        },
    };
    Ok(Config {
        policy,
        source: None,
    })
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
        let example = include_str!("../assets/config.example.toml");
        let config = parse(example).unwrap();
        assert_eq!(config.policy.rotate_after_days, 90);
        assert_eq!(config.policy.exempt.users, ["breakglass-*"]);
        assert_eq!(parse("").unwrap().policy, Policy::default());
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
