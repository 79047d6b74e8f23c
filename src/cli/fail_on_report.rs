//! `list --fail-on`: which records fail the gate, and the short table of
//! them (user, key, findings) that tells a pipeline's reader what to fix.

use std::io::Write;

use crate::cli::record::Record;
use crate::core::policy::Finding;
use crate::core::sanitize::server_text;

/// The records that are not exempt and have one of `fail_on`, in the
/// records' order.
pub fn failing<'a>(records: &'a [Record], fail_on: &[Finding]) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| !r.exempt)
        .filter(|r| {
            r.findings
                .iter()
                .any(|name| fail_on.iter().any(|f| f.name() == name))
        })
        .collect()
}

/// Writes the failing records as an aligned table under a line naming the
/// gate: `USER  ACCESS KEY ID  FINDINGS`, every finding of the record (the
/// ones the gate names first). Nothing is written when nothing fails.
pub fn write(
    failing: &[&Record],
    fail_on: &[Finding],
    out: &mut impl Write,
) -> std::io::Result<()> {
    if failing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = fail_on.iter().map(|f| f.name()).collect();
    let rows: Vec<[String; 3]> = failing
        .iter()
        .map(|r| {
            let (gated, other): (Vec<&String>, Vec<&String>) = r
                .findings
                .iter()
                .partition(|name| names.contains(&name.as_str()));
            let findings: Vec<&str> = gated.into_iter().chain(other).map(String::as_str).collect();
            [
                server_text(&r.user).into_owned(),
                server_text(r.access_key_id.as_deref().unwrap_or("-")).into_owned(),
                findings.join(", "),
            ]
        })
        .collect();
    let header = ["USER", "ACCESS KEY ID", "FINDINGS"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 3]| {
        let [a, b, c] = cells;
        let (wa, wb) = (widths[0], widths[1]);
        format!("{a:<wa$}  {b:<wb$}  {c}").trim_end().to_string()
    };
    writeln!(
        out,
        "--fail-on {}: {} record(s) fail",
        names.join(","),
        failing.len()
    )?;
    writeln!(out, "{}", line(header))?;
    for [a, b, c] in &rows {
        writeln!(out, "{}", line([a, b, c]))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user: &str, key: Option<&str>, findings: &[&str], exempt: bool) -> Record {
        Record {
            user: user.into(),
            access_key_id: key.map(String::from),
            findings: findings.iter().map(|f| f.to_string()).collect(),
            exempt,
            ..Record::default()
        }
    }

    #[test]
    fn lists_each_failing_key_with_its_findings_and_skips_exempt_and_clean_ones() {
        let records = [
            record(
                "old.key",
                Some("AKIAOLD"),
                &["rotation-due", "unused"],
                false,
            ),
            record("fresh", Some("AKIAFRESH"), &[], false),
            record("breakglass-1", Some("AKIAGLASS"), &["unused"], true),
            record("<root_account>", None, &["root-key"], false),
        ];
        let gate = [Finding::Unused, Finding::RootKey];
        let hits = failing(&records, &gate);
        assert_eq!(hits.len(), 2);
        let mut out = Vec::new();
        write(&hits, &gate, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "--fail-on unused,root-key: 2 record(s) fail\n\
             USER            ACCESS KEY ID  FINDINGS\n\
             old.key         AKIAOLD        unused, rotation-due\n\
             <root_account>  -              root-key\n"
        );
        let mut none = Vec::new();
        write(&[], &gate, &mut none).unwrap();
        assert!(none.is_empty());
    }
}
