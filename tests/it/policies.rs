//! The example IAM policies in `assets/iam/` grant every IAM call the code
//! makes: read-only use needs every read, the jobs need every call.

use std::collections::BTreeSet;

/// `list_access_keys` → `iam:ListAccessKeys`.
fn action(call: &str) -> String {
    let pascal: String = call
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    // IAM spells its acronyms in capitals.
    format!("iam:{}", pascal.replace("Mfa", "MFA"))
}

/// Every `.iam.CALL()` in `src/` (the call may be on the next line).
fn calls_in_source() -> BTreeSet<String> {
    let mut calls = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices(".iam") {
                // `self.iam.call()`, or the call on the next line.
                let Some(rest) = text[i + 4..].trim_start().strip_prefix('.') else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                // `.iam.config()` and the like build clients; they are no calls.
                if rest[name.len()..].starts_with("()") && !name.is_empty() && name != "config" {
                    calls.insert(action(&name));
                }
            }
        }
    }
    calls
}

fn granted(file: &str) -> BTreeSet<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/iam")
        .join(file);
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_example_policies_grant_every_call_the_code_makes() {
    let calls = calls_in_source();
    assert!(calls.contains("iam:ListAccessKeys"), "{calls:?}");
    let changes = [
        "iam:UpdateAccessKey",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:TagUser",
        "iam:UntagUser",
    ];
    let reads: BTreeSet<_> = calls
        .iter()
        .filter(|c| !changes.contains(&c.as_str()))
        .cloned()
        .collect();
    let read_only = granted("read-only-policy.json");
    let missing: Vec<_> = reads.difference(&read_only).collect();
    assert!(missing.is_empty(), "read-only policy lacks {missing:?}");
    for change in changes {
        assert!(!read_only.contains(change), "read-only grants {change}");
    }
    let jobs = granted("jobs-policy.json");
    let missing: Vec<_> = calls.difference(&jobs).collect();
    assert!(missing.is_empty(), "jobs policy lacks {missing:?}");
}
