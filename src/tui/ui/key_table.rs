//! The columns of a table of keys (the keys pane, the keys view) and how they
//! give way when the table is narrow. The access key id never does: a user's
//! two keys must never look alike.

use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::widgets::{Cell, Row};

use super::{cut, format, theme};
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

/// What goes first when the table is too narrow, in order. Findings have
/// priority over created, service and region: those go first; then findings
/// show whole, most urgent first, with `+N` for the rest, then in their
/// short forms; then names give way (cut with `…`), then status, last used.
const GIVE_WAY: [Step; 12] = [
    Step::Drop(Column::Path),
    Step::Drop(Column::Description),
    Step::Drop(Column::Region),
    Step::Drop(Column::Service),
    Step::Ages,
    Step::Drop(Column::Created),
    Step::ShrinkFindings,
    Step::ShortFindings,
    Step::ShrinkOwner,
    Step::Drop(Column::Status),
    Step::Drop(Column::LastUsed),
    Step::Drop(Column::Findings),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Drop(Column),
    Ages,
    ShrinkFindings,
    ShortFindings,
    ShrinkOwner,
}

/// The marker column of the selected row, and the one of marked keys (with its gap).
const MARKER_WIDTH: u16 = 2 + 2;
/// Names keep at least this many characters (cut with `…`) when nothing else gives way.
pub const OWNER_MIN: u16 = 12;

/// What the cells of the rows shown hold, in cells: columns are sized from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Content {
    /// The longest owner name; `None` in the keys pane, which has no owner column.
    pub owner: Option<u16>,
    pub path: u16,
    /// Service and region names (0: no row has one; the column is not drawn).
    pub service: u16,
    pub region: u16,
    /// Every finding of a row, written out: long forms, short forms.
    pub findings: [u16; 2],
    /// The first finding and the count of the rest: long forms, short forms.
    pub findings_first: [u16; 2],
    pub description: u16,
}

impl Content {
    /// Measures the rows that will be drawn.
    pub fn measure<'a>(
        rows: impl Iterator<Item = (&'a UserEntry, &'a KeyEntry)>,
        state: &State,
        with_owner: bool,
    ) -> Content {
        let mut content = Content {
            owner: with_owner.then_some(0),
            ..Content::default()
        };
        let long = Fit::measuring(false);
        let short = Fit::measuring(true);
        for (user, entry) in rows {
            if let Some(owner) = &mut content.owner {
                *owner = (*owner).max(cut::width(&user.user.name));
            }
            content.path = content.path.max(cut::width(&user.user.path));
            if let Fetch::Ready(LastUsed::Used {
                service, region, ..
            }) = &entry.last_used
            {
                let named = |v: &Option<String>| v.as_deref().map_or(0, cut::width);
                content.service = content.service.max(named(service));
                content.region = content.region.max(named(region));
            }
            for (at, fit) in [&long, &short].into_iter().enumerate() {
                let items = notes(user, entry, state, fit);
                content.findings[at] = content.findings[at].max(cut::items_width(&items));
                content.findings_first[at] =
                    content.findings_first[at].max(cut::first_item_width(&items));
            }
            let description = entry.key.description.as_deref().map_or(0, cut::width);
            content.description = content.description.max(description);
        }
        content
    }
}

/// The columns drawn at a width, their widths, and how dates and findings are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit {
    pub columns: Vec<Column>,
    /// Dates with ages (`2026-08-22 100d`), else ages only.
    pub dates: bool,
    pub short_findings: bool,
    /// Findings take the room of the first and the count of the rest.
    findings_shrunk: bool,
    /// Names take [`OWNER_MIN`] cells, cut with `…`.
    owner_shrunk: bool,
    content: Content,
    /// Cells given on top of each column's width, once everything fits.
    extra: Vec<(Column, u16)>,
}

const ALL: [Column; 10] = [
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

impl Fit {
    /// Fits the columns into `inner` cells: they give way in [`GIVE_WAY`]
    /// order until the rest fits; then names and findings grow to what their
    /// cells hold, the most important of the columns that went come back if
    /// they fit, and path and description take what is left.
    pub fn new(inner: u16, content: Content) -> Self {
        let mut fit = Fit {
            columns: ALL
                .into_iter()
                .filter(|c| content.owner.is_some() || !matches!(c, Column::Owner | Column::Path))
                // A column no row has anything for is not drawn.
                .filter(|c| match c {
                    Column::Service => content.service > 0,
                    Column::Region => content.region > 0,
                    Column::Description => content.description > 0,
                    _ => true,
                })
                .collect(),
            dates: true,
            short_findings: false,
            findings_shrunk: false,
            owner_shrunk: false,
            content,
            extra: Vec::new(),
        };
        let mut dropped = Vec::new();
        for step in GIVE_WAY {
            if fit.needed() <= inner {
                break;
            }
            match step {
                Step::Ages => fit.dates = false,
                Step::ShrinkFindings => fit.findings_shrunk = true,
                Step::ShortFindings => fit.short_findings = true,
                Step::ShrinkOwner => fit.owner_shrunk = true,
                Step::Drop(column) if fit.columns.contains(&column) => {
                    fit.columns.retain(|c| *c != column);
                    dropped.push(column);
                }
                Step::Drop(_) => {}
            }
        }
        fit.grow(Column::Owner, inner);
        fit.grow(Column::Findings, inner);
        // Room left may take back a column that went before, most important first.
        for column in dropped.into_iter().rev() {
            let mut with = fit.clone();
            let at = ALL.iter().position(|c| *c == column).unwrap_or(0);
            let before = with
                .columns
                .iter()
                .position(|c| ALL.iter().position(|a| a == c).unwrap_or(0) > at)
                .unwrap_or(with.columns.len());
            with.columns.insert(before, column);
            if with.needed() <= inner {
                fit = with;
            }
        }
        fit.grow(Column::Path, inner);
        fit.grow(Column::Description, inner);
        fit
    }

    /// A fit for measuring findings: every column shown, long or short forms.
    fn measuring(short_findings: bool) -> Self {
        Fit {
            columns: ALL.to_vec(),
            dates: true,
            short_findings,
            findings_shrunk: false,
            owner_shrunk: false,
            content: Content::default(),
            extra: Vec::new(),
        }
    }

    /// Gives `column` the room left, up to what its cells hold.
    fn grow(&mut self, column: Column, inner: u16) {
        if !self.shows(column) {
            return;
        }
        let full = match column {
            Column::Owner => self.content.owner.unwrap_or(0),
            Column::Findings => self.findings_full(),
            Column::Path => self.content.path.max(4),
            Column::Description => self.content.description.max(11),
            _ => return,
        };
        let room = inner.saturating_sub(self.needed());
        let more = full.saturating_sub(self.width(column)).min(room);
        if more > 0 {
            self.extra.push((column, more));
        }
    }

    fn findings_full(&self) -> u16 {
        self.content.findings[usize::from(self.short_findings)].max(8)
    }

    /// Cells the columns take, with gaps and the marker.
    fn needed(&self) -> u16 {
        let widths: u16 = self.columns.iter().map(|c| self.width(*c)).sum();
        widths + self.columns.len().saturating_sub(1) as u16 + MARKER_WIDTH
    }

    pub fn shows(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }

    pub fn widths(&self) -> Vec<Constraint> {
        std::iter::once(Constraint::Length(1))
            .chain(
                self.columns
                    .iter()
                    .map(|c| Constraint::Length(self.width(*c))),
            )
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

    /// The cells `column` takes now: what it needs at this stage, plus any room it grew into.
    pub fn width(&self, column: Column) -> u16 {
        let extra: u16 = self
            .extra
            .iter()
            .filter(|(c, _)| *c == column)
            .map(|(_, n)| n)
            .sum();
        self.base_width(column) + extra
    }

    fn base_width(&self, column: Column) -> u16 {
        let c = &self.content;
        let form = usize::from(self.short_findings);
        match column {
            Column::Owner if self.owner_shrunk => c.owner.unwrap_or(0).clamp(4, OWNER_MIN),
            Column::Owner => c.owner.unwrap_or(0).max(4),
            Column::Path => c.path.clamp(4, 12),
            // AKIA + 16: always whole.
            Column::KeyId => 20,
            Column::Status => 8,
            Column::Created if self.dates => 16,
            Column::Created => 5,
            // `2026-11-27 30 days ago`
            Column::LastUsed if self.dates => 22,
            Column::LastUsed => 9,
            Column::Service => c.service.max(7),
            Column::Region => c.region.max(6),
            Column::Findings if self.findings_shrunk => c.findings_first[form].max(8),
            Column::Findings => self.findings_full(),
            Column::Description => c.description.clamp(11, 16),
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
    let mut notes = Some(notes(user, entry, state, fit));
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
            Column::Owner => Cell::from(cut::ellipsize_name(&user.user.name, fit.width(*column))),
            Column::Path => {
                Cell::from(cut::ellipsize(&user.user.path, fit.width(*column))).style(theme::LABEL)
            }
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
            Column::Findings => Cell::from(cut::whole_items(
                &notes.take().unwrap_or_default(),
                fit.width(*column),
            )),
            Column::Description => Cell::from(cut::ellipsize(
                key.description.as_deref().unwrap_or_default(),
                fit.width(*column),
            )),
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

/// The findings column, most urgent first: a request in flight, the
/// findings, "exempt", then what has no column of its own at this width and
/// a provisional last use.
fn notes(user: &UserEntry, entry: &KeyEntry, state: &State, fit: &Fit) -> Vec<(String, Style)> {
    let key = &entry.key;
    let mut notes: Vec<(String, Style)> = Vec::new();
    if let Some(op) = state.jobs.pending_keys.get(&key.id) {
        notes.push((op.label().to_string(), theme::PENDING));
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

    /// Rows with every finding (30 cells written out, `never-used +2` shrunk),
    /// a 30-character owner, services and regions, descriptions.
    fn content(owner: Option<u16>) -> Content {
        Content {
            owner,
            path: 22,
            service: 8,
            region: 9,
            findings: [30, 17],
            findings_first: [13, 8],
            description: 20,
        }
    }

    #[test]
    fn columns_give_way_in_the_stated_order_and_the_id_never_does() {
        use Column::*;
        let wide = Fit::new(200, content(None));
        assert!(wide.dates);
        assert_eq!(
            wide.columns,
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
        assert_eq!(wide.width(Findings), 30, "findings whole");
        // Findings keep their whole width while region, service and the
        // created date give way.
        let at_100 = Fit::new(98, content(None));
        assert_eq!(at_100.width(Findings), 30);
        assert!(
            !at_100.shows(Region) && !at_100.shows(Description),
            "{at_100:?}"
        );
        let at_80 = Fit::new(78, content(None));
        assert!(at_80.shows(Findings) && at_80.shows(LastUsed), "{at_80:?}");
        assert!(at_80.needed() <= 78);
        let at_60 = Fit::new(58, content(None));
        assert!(at_60.shows(KeyId) && at_60.shows(Findings), "{at_60:?}");
        for inner in 10..220 {
            for owner in [None, Some(40)] {
                let fit = Fit::new(inner, content(owner));
                assert!(fit.shows(KeyId));
                assert!(owner.is_none() || fit.shows(Owner));
                assert!(fit.needed() <= inner || fit.columns.len() <= 2, "{fit:?}");
            }
        }
        // The keys view: path goes first; names win over the created date.
        let view_120 = Fit::new(118, content(Some(30)));
        assert!(!view_120.shows(Path) || view_120.width(Path) >= 4);
        assert_eq!(view_120.width(Owner), 30, "{view_120:?}");
        assert_eq!(view_120.width(Findings), 30, "{view_120:?}");
        let view_60 = Fit::new(58, content(Some(30)));
        assert_eq!(view_60.columns[..2], [Owner, KeyId]);
        // Empty columns are not drawn.
        let empty = Fit::new(
            200,
            Content {
                service: 0,
                region: 0,
                description: 0,
                ..content(None)
            },
        );
        assert!(!empty.shows(Service) && !empty.shows(Region) && !empty.shows(Description));
    }
}
