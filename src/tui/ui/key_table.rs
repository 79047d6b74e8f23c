//! The columns of a table of keys (the keys pane, the keys view) and how they
//! give way when the table is narrow. The access key id never does: a user's
//! two keys must never look alike.

use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

use super::{format, theme};
use crate::core::model::{KeyStatus, LastUsed, UseSource, never_means_never};
use crate::core::policy::Finding;
use crate::tui::state::{Fetch, KeyEntry, State, UserEntry};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Owner,
    Path,
    KeyId,
    Status,
    Created,
    LastUsed,
    Service,
    Region,
    Findings,
    Description,
}

/// What goes first when the table is too narrow, in order. The created date
/// giving way means dates become ages (`412d`, `3d ago`); then findings take
/// their short forms before anything else goes.
const GIVE_WAY: [Step; 9] = [
    Step::Drop(Column::Path),
    Step::Drop(Column::Description),
    Step::Drop(Column::Region),
    Step::Drop(Column::Service),
    Step::Ages,
    Step::ShortFindings,
    Step::Drop(Column::Status),
    Step::Drop(Column::LastUsed),
    Step::Drop(Column::Findings),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Drop(Column),
    Ages,
    ShortFindings,
}

/// The marker column of the selected row, and the one of marked keys (with its gap).
const MARKER_WIDTH: u16 = 2 + 2;
/// Names keep at least this many characters.
pub const OWNER_MIN: u16 = 12;
const OWNER_MAX: u16 = 24;

/// The columns drawn at a width, and how dates and findings are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit {
    pub columns: Vec<Column>,
    /// Dates with ages (`2026-08-22 100d`), else ages only.
    pub dates: bool,
    pub short_findings: bool,
    owner_width: u16,
}

impl Fit {
    /// Fits the columns into `inner` cells: they give way in [`GIVE_WAY`]
    /// order until the rest fits, and then the most important of those that
    /// went and fit again come back. `owner_len` is the longest owner name
    /// (the keys view; `None` in the keys pane, which has no owner column).
    pub fn new(inner: u16, owner_len: Option<u16>) -> Self {
        let all = [
            Column::Owner,
            Column::Path,
            Column::KeyId,
            Column::Status,
            Column::Created,
            Column::LastUsed,
            Column::Service,
            Column::Region,
            Column::Findings,
            Column::Description,
        ];
        let mut fit = Fit {
            columns: all
                .into_iter()
                .filter(|c| owner_len.is_some() || !matches!(c, Column::Owner | Column::Path))
                .collect(),
            dates: true,
            short_findings: false,
            owner_width: owner_len.unwrap_or(0).clamp(OWNER_MIN, OWNER_MAX),
        };
        if fit.needed() > inner {
            fit.owner_width = OWNER_MIN;
        }
        let mut dropped = Vec::new();
        for step in GIVE_WAY {
            if fit.needed() <= inner {
                break;
            }
            match step {
                Step::Ages => fit.dates = false,
                Step::ShortFindings => fit.short_findings = true,
                Step::Drop(column) if fit.columns.contains(&column) => {
                    fit.columns.retain(|c| *c != column);
                    dropped.push(column);
                }
                Step::Drop(_) => {}
            }
        }
        // Names take what room is left, up to the longest shown.
        let preferred = owner_len.unwrap_or(0).clamp(OWNER_MIN, OWNER_MAX);
        fit.owner_width += inner
            .saturating_sub(fit.needed())
            .min(preferred - fit.owner_width);
        // Room freed by shorter dates may take back a column that went before.
        for column in dropped.into_iter().rev() {
            let mut with = fit.clone();
            let at = all.iter().position(|c| *c == column).unwrap_or(0);
            let before = with
                .columns
                .iter()
                .position(|c| all.iter().position(|a| a == c).unwrap_or(0) > at)
                .unwrap_or(with.columns.len());
            with.columns.insert(before, column);
            if with.needed() <= inner {
                fit = with;
            }
        }
        fit
    }

    /// Cells the columns need at their narrowest, with gaps and the marker.
    fn needed(&self) -> u16 {
        let widths: u16 = self.columns.iter().map(|c| self.min_width(*c)).sum();
        widths + self.columns.len().saturating_sub(1) as u16 + MARKER_WIDTH
    }

    pub fn shows(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }

    pub fn widths(&self) -> Vec<Constraint> {
        std::iter::once(Constraint::Length(1))
            .chain(self.columns.iter().map(|c| match c {
                Column::Findings => Constraint::Fill(3),
                Column::Description => Constraint::Fill(2),
                other => Constraint::Length(self.min_width(*other)),
            }))
            .collect()
    }

    pub fn header(&self) -> Row<'static> {
        Row::new(
            std::iter::once("").chain(self.columns.iter().map(|c| match c {
                Column::Owner => "User",
                Column::Path => "Path",
                Column::KeyId => "Access key id",
                Column::Status => "Status",
                Column::Created if self.dates => "Created",
                Column::Created => "Age",
                Column::LastUsed => "Last used",
                Column::Service => "Service",
                Column::Region => "Region",
                Column::Findings => "Findings",
                Column::Description => "Description",
            })),
        )
        .style(theme::HEADER_ROW)
    }

    fn min_width(&self, column: Column) -> u16 {
        match column {
            Column::Owner => self.owner_width,
            Column::Path => 12,
            // AKIA + 16: always whole.
            Column::KeyId => 20,
            Column::Status => 8,
            Column::Created if self.dates => 16,
            Column::Created => 5,
            // `2026-11-27 30 days ago`
            Column::LastUsed if self.dates => 22,
            Column::LastUsed => 9,
            Column::Service if self.dates => 12,
            // `cloudwatch`; longer names are cut where dates already gave way.
            Column::Service => 10,
            Column::Region => 14,
            // `rotation-due` whole; more names take the room left.
            Column::Findings if !self.short_findings => 16,
            Column::Findings => 8,
            Column::Description => 16,
        }
    }
}

/// One key's row: a cell for each column of `fit`. `user` owns `entry`.
pub fn row<'a>(user: &'a UserEntry, entry: &'a KeyEntry, state: &State, fit: &Fit) -> Row<'a> {
    let now = state.now;
    let key = &entry.key;
    let session_key = state.context.session.link(&key.user, &key.id).is_some();
    let inactive = key.status == KeyStatus::Inactive;
    let (last_used, service, region) = last_use_cells(entry, fit.dates, now);
    let notes = Line::from(
        notes(user, entry, state, fit)
            .into_iter()
            .enumerate()
            .flat_map(|(i, (text, style))| {
                [
                    Span::raw(if i == 0 { "" } else { ", " }),
                    Span::styled(text, style),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let mut notes = Some(notes);
    // Marked for a bulk action (m, M): a mark, not only a colour.
    let marked = state
        .jobs
        .marked
        .contains(&(key.user.clone(), key.id.clone()));
    let mark = if marked {
        Cell::from("✓").style(theme::PENDING)
    } else {
        Cell::from(" ")
    };
    let cells: Vec<Cell> = std::iter::once(mark)
        .chain(fit.columns.iter().map(|column| match column {
            Column::Owner => Cell::from(user.user.name.as_str()),
            Column::Path => Cell::from(user.user.path.as_str()).style(theme::LABEL),
            Column::KeyId => Cell::from(key.id.as_str()).style(if session_key {
                theme::SIGNING
            } else {
                Style::new()
            }),
            Column::Status => match key.status {
                KeyStatus::Active => Cell::from("Active").style(theme::ACTIVE),
                KeyStatus::Inactive => Cell::from("Inactive"),
                KeyStatus::Unknown => Cell::from("unknown").style(theme::WARNING),
            },
            Column::Created if fit.dates => Cell::from(format!(
                "{} {}",
                format::date(key.created),
                format::age(key.created, now)
            )),
            Column::Created => Cell::from(format::age(key.created, now)),
            Column::LastUsed => last_used.clone(),
            Column::Service => service.clone(),
            Column::Region => region.clone(),
            Column::Findings => Cell::from(notes.take().unwrap_or_default()),
            Column::Description => Cell::from(key.description.clone().unwrap_or_default()),
        }))
        .collect();
    let row = Row::new(cells);
    if inactive {
        row.style(theme::INACTIVE)
    } else {
        row
    }
}

/// Last used, service and region cells.
fn last_use_cells(
    entry: &KeyEntry,
    dates: bool,
    now: jiff::Timestamp,
) -> (Cell<'static>, Cell<'static>, Cell<'static>) {
    let empty = || Cell::from("");
    match &entry.last_used {
        Fetch::Loading => (Cell::from("…"), empty(), empty()),
        Fetch::Failed(err) => (
            Cell::from(err.code.clone()).style(theme::ERROR),
            empty(),
            empty(),
        ),
        Fetch::Ready(LastUsed::Never) if !never_means_never(entry.key.created) => (
            Cell::from(if dates {
                "no use recorded"
            } else {
                "no record"
            }),
            empty(),
            empty(),
        ),
        Fetch::Ready(LastUsed::Never) => (
            Cell::from("never").style(theme::NEVER_USED),
            empty(),
            empty(),
        ),
        Fetch::Ready(LastUsed::Used {
            at,
            service,
            region,
        }) => (
            Cell::from(if dates {
                format!("{} {}", format::date(*at), format::ago(*at, now))
            } else {
                format::ago_short(*at, now)
            }),
            Cell::from(service.clone().unwrap_or_else(|| "-".into())),
            Cell::from(region.clone().unwrap_or_else(|| "-".into())),
        ),
    }
}

/// The findings column: a request in flight, a provisional last use, the
/// findings, "exempt", and what has no column of its own at this width.
fn notes(user: &UserEntry, entry: &KeyEntry, state: &State, fit: &Fit) -> Vec<(String, Style)> {
    let key = &entry.key;
    let mut notes: Vec<(String, Style)> = Vec::new();
    if let Some(op) = state.jobs.pending_keys.get(&key.id) {
        notes.push((op.label().to_string(), theme::PENDING));
    }
    if !fit.shows(Column::Status) && key.status != KeyStatus::Active {
        // Greyed rows say it in colour; this says it without.
        notes.push((key.status.as_str().to_lowercase(), Style::new()));
    }
    if let Some(UseSource::Report {
        generated,
        provisional: true,
    }) = entry.use_source
    {
        // The report may be hours old: a key it shows unused may have been used since.
        let confirming = if state.inventory.load.in_flight {
            ", confirming"
        } else {
            ""
        };
        notes.push((
            format!(
                "last use as of report {}{confirming}",
                format::clock(generated)
            ),
            theme::WARNING,
        ));
    }
    let (findings, exempt) = state.findings(user, entry);
    // Without dates the last-used column's yellow "never" already says it.
    let said_by_last_used = fit.shows(Column::LastUsed) && !fit.dates;
    for f in findings
        .iter()
        .filter(|f| !(said_by_last_used && **f == Finding::NeverUsed))
    {
        let style = if *f == Finding::ThisSession {
            theme::SIGNING
        } else if exempt {
            // Shown, never counted: the policy exempts this user.
            theme::INACTIVE
        } else {
            theme::ATTENTION
        };
        let name = if fit.short_findings {
            f.short()
        } else {
            f.name()
        };
        notes.push((name.to_string(), style));
    }
    if exempt && findings.iter().any(|f| f.needs_action()) {
        notes.push(("exempt".to_string(), theme::INACTIVE));
    }
    if !fit.shows(Column::Description)
        && let Some(description) = &key.description
    {
        notes.push((format!("“{description}”"), Style::new()));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted(inner: u16, owner: Option<u16>) -> (Vec<Column>, bool) {
        let fit = Fit::new(inner, owner);
        assert!(fit.needed() <= inner || fit.columns.len() <= 2, "{fit:?}");
        (fit.columns, fit.dates)
    }

    #[test]
    fn columns_give_way_in_the_stated_order_and_the_id_never_does() {
        use Column::*;
        let (wide, dates) = fitted(200, None);
        assert!(dates);
        assert_eq!(
            wide,
            [
                KeyId,
                Status,
                Created,
                LastUsed,
                Service,
                Region,
                Findings,
                Description
            ]
        );
        // Description goes first, then region and service; then dates shrink,
        // and service comes back in the room that freed.
        assert!(!fitted(120, None).0.contains(&Description));
        let (at_100, dates) = fitted(98, None);
        assert!(dates);
        assert_eq!(at_100, [KeyId, Status, Created, LastUsed, Findings]);
        let (at_80, dates) = fitted(78, None);
        assert!(!dates);
        assert_eq!(at_80, [KeyId, Status, Created, LastUsed, Service, Findings]);
        assert!(!Fit::new(78, None).short_findings);
        assert!(Fit::new(58, None).short_findings);
        let (at_60, _) = fitted(58, None);
        assert!(
            at_60.contains(&KeyId) && at_60.contains(&Findings),
            "{at_60:?}"
        );
        for inner in 10..220 {
            assert!(Fit::new(inner, None).shows(KeyId));
            assert!(Fit::new(inner, Some(40)).shows(KeyId));
            assert!(Fit::new(inner, Some(40)).shows(Owner));
        }
        // The keys view: path goes before everything else.
        let (view_120, _) = fitted(118, Some(20));
        assert!(!view_120.contains(&Path) && view_120.contains(&Owner));
        let (view_60, _) = fitted(58, Some(20));
        assert_eq!(view_60[..2], [Owner, KeyId]);
    }
}
