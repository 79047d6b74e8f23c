//! Everything that can happen to the app: user intents from the keymap, the
//! clock, the terminal size, and results posted back by background tasks.

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::iam::inventory::LoadEvent;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Move(Motion),
    /// Switch focus between the users and keys panes.
    SwitchFocus,
    /// Focus the keys of the selected user.
    OpenKeys,
    StartFilter,
    /// A key typed into the filter field.
    FilterEdit(KeyEvent),
    /// Leave the filter field, keeping its text.
    FilterAccept,
    /// Leave the filter field and clear it.
    FilterClear,
    CycleSort,
    ReverseSort,
    Refresh,
    ToggleHelp,
    Quit,
    Resize {
        width: u16,
        height: u16,
    },
    Tick(Timestamp),
    /// A step of an inventory load, tagged with the load it belongs to.
    Inventory {
        generation: u64,
        event: LoadEvent,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// Work that `update` asks the app loop to start on a background task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Read the whole inventory; results come back as `Action::Inventory` with this generation.
    LoadInventory { generation: u64 },
}
