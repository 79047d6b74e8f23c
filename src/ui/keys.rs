//! The keys pane: the selected user's access keys, their age and last use.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{format, theme};
use crate::iam::model::{KeyStatus, LastUsed, UseSource, never_means_never};
use crate::policy::Finding;
use crate::state::{Fetch, Focus, KeyEntry, State, UserEntry};

/// Inner widths from which dates, and then a description column, fit beside the key id.
const DATED_LAYOUT_WIDTH: u16 = 110;
const FULL_LAYOUT_WIDTH: u16 = 140;

/// How much of each key fits: always the whole key id.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fit {
    dates: bool,
    description_column: bool,
    /// Findings in their short forms (the help lists them): narrow panes.
    short_findings: bool,
}

/// Below this inner width the attention column is too narrow for finding names.
const SHORT_FINDINGS_WIDTH: u16 = 90;

type Columns = (&'static [&'static str], &'static [Constraint]);

const WIDE_COLUMNS: Columns = (
    &[
        "Access key id",
        "Status",
        "Created",
        "Last used",
        "Service",
        "Region",
        "Attention",
        "Description",
    ],
    &[
        Constraint::Length(20),
        Constraint::Length(8),
        Constraint::Length(16),
        Constraint::Length(24),
        Constraint::Length(12),
        Constraint::Length(14),
        Constraint::Fill(3),
        Constraint::Fill(2),
    ],
);

/// The wide layout without its last column, the description.
const DATED_COLUMNS: Columns = (
    WIDE_COLUMNS.0.split_at(WIDE_COLUMNS.0.len() - 1).0,
    WIDE_COLUMNS.1.split_at(WIDE_COLUMNS.1.len() - 1).0,
);

const COMPACT_COLUMNS: Columns = (
    &[
        "Access key id",
        "Status",
        "Age",
        "Last used",
        "Service",
        "Region",
        "Attention",
    ],
    &[
        Constraint::Length(20),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(14),
        Constraint::Fill(1),
    ],
);

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let focused = state.focus == Focus::Keys;
    let block = Block::bordered()
        .title(title(state.selected_user(), state))
        .border_type(theme::border_type(focused))
        .border_style(if focused {
            theme::FOCUSED_BORDER
        } else {
            theme::BORDER
        });
    let Some(user) = state.selected_user() else {
        let text = if state.load.in_flight {
            "loading…"
        } else {
            "no user selected"
        };
        frame.render_widget(Paragraph::new(text).style(theme::LABEL).block(block), area);
        return;
    };
    let keys = match &user.keys {
        Fetch::Loading => {
            frame.render_widget(
                Paragraph::new("loading keys…")
                    .style(theme::LABEL)
                    .block(block),
                area,
            );
            return;
        }
        Fetch::Failed(err) => {
            let text = format!("Cannot read the keys of {}: {err}", user.user.name);
            frame.render_widget(
                Paragraph::new(text)
                    .style(theme::ERROR)
                    .wrap(Wrap { trim: true })
                    .block(block),
                area,
            );
            return;
        }
        Fetch::Ready(keys) if keys.is_empty() => {
            frame.render_widget(
                Paragraph::new(format!("{} has no access keys.", user.user.name))
                    .style(theme::LABEL)
                    .block(block),
                area,
            );
            return;
        }
        Fetch::Ready(keys) => keys,
    };
    // Below this inner width, dates give way to ages so the key id stays whole.
    let inner = area.width.saturating_sub(2);
    let fit = Fit {
        dates: inner >= DATED_LAYOUT_WIDTH,
        description_column: inner >= FULL_LAYOUT_WIDTH,
        short_findings: inner < SHORT_FINDINGS_WIDTH,
    };
    let rows = keys.iter().map(|k| key_row(k, state, fit));
    let (titles, widths) = if fit.description_column {
        WIDE_COLUMNS
    } else if fit.dates {
        DATED_COLUMNS
    } else {
        COMPACT_COLUMNS
    };
    let header = Row::new(titles.to_vec()).style(theme::HEADER_ROW);
    let table = Table::new(rows, widths.to_vec())
        .header(header)
        .block(block)
        .row_highlight_style(if focused {
            theme::SELECTED
        } else {
            ratatui::style::Style::new()
        })
        // Visible without colour (NO_COLOR): a marker, not only a style.
        .highlight_symbol(theme::SELECTION_MARK)
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut table_state =
        TableState::default().with_selected(focused.then_some(state.selected_key));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn title(user: Option<&UserEntry>, state: &State) -> Line<'static> {
    match user {
        Some(u) => Line::from(vec![
            Span::styled(" Keys of ", theme::TITLE),
            Span::styled(u.user.name.clone(), theme::KEY_HINT),
            Span::styled(format!(" ({}) ", u.user.arn), theme::LABEL),
            // IAM answered a change; its listing does not show it yet.
            Span::styled(
                if state.propagating.contains(&u.user.name) {
                    "propagating… "
                } else {
                    ""
                },
                theme::PENDING,
            ),
        ]),
        None => Line::styled(" Keys ", theme::TITLE),
    }
}

fn key_row<'a>(entry: &'a KeyEntry, state: &State, fit: Fit) -> Row<'a> {
    let now = state.now;
    let key = &entry.key;
    let session_key = state.context.session.link(&key.user, &key.id).is_some();
    let inactive = key.status == KeyStatus::Inactive;
    let status = match key.status {
        KeyStatus::Active => Cell::from("Active").style(theme::ACTIVE),
        KeyStatus::Inactive => Cell::from("Inactive"),
        KeyStatus::Unknown => Cell::from("unknown").style(theme::WARNING),
    };
    let created = if !fit.dates {
        format::age(key.created, now)
    } else {
        format!(
            "{} {}",
            format::date(key.created),
            format::age(key.created, now)
        )
    };
    let (last_used, service, region) = match &entry.last_used {
        Fetch::Loading => (Cell::from("…"), Cell::from(""), Cell::from("")),
        Fetch::Failed(err) => (
            Cell::from(err.code.clone()).style(theme::ERROR),
            Cell::from(""),
            Cell::from(""),
        ),
        Fetch::Ready(LastUsed::Never) if !never_means_never(key.created) => (
            Cell::from(if fit.dates {
                "no use recorded"
            } else {
                "no record"
            }),
            Cell::from(""),
            Cell::from(""),
        ),
        Fetch::Ready(LastUsed::Never) => (
            Cell::from("never").style(theme::NEVER_USED),
            Cell::from(""),
            Cell::from(""),
        ),
        Fetch::Ready(LastUsed::Used {
            at,
            service,
            region,
        }) => (
            Cell::from(if !fit.dates {
                format::ago_short(*at, now)
            } else {
                format!("{} {}", format::date(*at), format::ago(*at, now))
            }),
            Cell::from(service.clone().unwrap_or_else(|| "-".into())),
            Cell::from(region.clone().unwrap_or_else(|| "-".into())),
        ),
    };
    let (findings, exempt) = match state.user(&key.user) {
        Some(user) => state.findings(user, entry),
        None => (Vec::new(), false),
    };
    // A request in flight comes first, then the findings; where the description
    // has no column of its own, it follows them.
    let mut notes: Vec<(String, ratatui::style::Style)> = Vec::new();
    if let Some(op) = state.pending_keys.get(&key.id) {
        notes.push((op.label().to_string(), theme::PENDING));
    }
    if let Some(UseSource::Report {
        generated,
        provisional: true,
    }) = entry.use_source
    {
        // The report may be hours old: a key it shows unused may have been used since.
        let confirming = if state.load.in_flight {
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
    // Without dates the last-used column's yellow "never" already says it.
    for f in findings
        .iter()
        .filter(|f| fit.dates || **f != Finding::NeverUsed)
    {
        let style = if *f == Finding::ThisSession {
            theme::SIGNING
        } else if exempt {
            // Shown, never counted: the policy exempts this user.
            theme::INACTIVE
        } else {
            theme::ATTENTION
        };
        // Narrow: the short form (the help lists them).
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
    if !fit.description_column
        && let Some(description) = &key.description
    {
        notes.push((format!("“{description}”"), ratatui::style::Style::new()));
    }
    let attention = Line::from(
        notes
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
    let id_style = if session_key {
        theme::SIGNING
    } else {
        ratatui::style::Style::new()
    };
    let mut cells = vec![
        Cell::from(key.id.as_str()).style(id_style),
        status,
        Cell::from(created),
        last_used,
        service,
        region,
        Cell::from(attention),
    ];
    if fit.description_column {
        cells.push(Cell::from(key.description.clone().unwrap_or_default()));
    }
    let row = Row::new(cells);
    if inactive {
        row.style(theme::INACTIVE)
    } else {
        row
    }
}
