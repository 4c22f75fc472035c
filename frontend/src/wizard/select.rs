//! Step 3's list model: loaded rows, the instant local filter, the selection basket, Shift-click
//! ranges, Select all / none / Invert, counts. Plain data, unit-tested.

use super::list_view::{Show, Sort};
use aadsync_ipc::{DirectoryEntry, EntryKind, SyncSelection};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectModel {
    rows: Vec<DirectoryEntry>,
    /// Lower-cased text per row, built once, for the filter.
    haystack: Vec<String>,
    filter: String,
    /// Which kinds of rows show, and in which order.
    show: Show,
    sort: Sort,
    /// Indices into `rows` that pass the filter, in order.
    visible: Vec<usize>,
    /// The selection basket, by object ID: what was ticked stays ticked when Search now
    /// replaces the rows (search "ann", tick Ann, search "bob", tick Bob: both are selected).
    checked: BTreeMap<String, DirectoryEntry>,
    /// The last row clicked without Shift (position in `visible`), for ranges.
    anchor: Option<usize>,
    /// The row the keyboard is on (position in `visible`).
    active: Option<usize>,
    /// Select all was chosen while the list was still loading: rows that arrive and match are
    /// selected too, until the listing ends (then every match is in the basket).
    all_pending: bool,
}

/// A key the object list acts on (the WAI-ARIA listbox pattern, multi-select).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKey {
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    /// Space: ticks or unticks the active row.
    Toggle,
    /// Ctrl/Cmd+A: Select all.
    SelectAll,
}

impl ListKey {
    /// The key an event means, with Shift telling whether the move extends the selection.
    pub fn from_event(key: &str, ctrl_or_cmd: bool) -> Option<Self> {
        Some(match key {
            "ArrowUp" => ListKey::Up,
            "ArrowDown" => ListKey::Down,
            "Home" => ListKey::Home,
            "End" => ListKey::End,
            "PageUp" => ListKey::PageUp,
            "PageDown" => ListKey::PageDown,
            " " | "Spacebar" => ListKey::Toggle,
            "a" | "A" if ctrl_or_cmd => ListKey::SelectAll,
            _ => return None,
        })
    }
}

impl SelectModel {
    pub fn clear_rows(&mut self) {
        self.all_pending = false;
        self.rows.clear();
        self.haystack.clear();
        self.visible.clear();
        self.anchor = None;
        self.active = None;
    }

    pub fn push(&mut self, rows: Vec<DirectoryEntry>) {
        for row in rows {
            let text = format!(
                "{}\n{}\n{}",
                row.display_name, row.principal, row.department
            )
            .to_lowercase();
            if self.matches(&text, &row) {
                self.visible.push(self.rows.len());
                if self.all_pending {
                    self.checked.insert(row.id.clone(), row.clone());
                }
            }
            self.haystack.push(text);
            self.rows.push(row);
        }
        if self.sort.by.is_some() {
            self.sort.apply(&self.rows, &mut self.visible);
        }
    }

    fn matches(&self, text: &str, row: &DirectoryEntry) -> bool {
        (self.filter.is_empty() || text.contains(&self.filter)) && self.show.shows(row)
    }

    /// Recomputes the shown rows after the filter, the kind shown or the order changed.
    fn refresh(&mut self) {
        self.visible = (0..self.rows.len())
            .filter(|i| self.matches(&self.haystack[*i], &self.rows[*i]))
            .collect();
        self.sort.apply(&self.rows, &mut self.visible);
        self.anchor = None;
        self.active = None;
    }

    pub fn show(&self) -> Show {
        self.show
    }

    /// Shows only one kind of rows; like the text filter, it ends a pending Select all.
    pub fn set_show(&mut self, show: Show) {
        self.all_pending = false;
        self.show = show;
        self.refresh();
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
        self.refresh();
    }

    pub fn set_filter(&mut self, filter: &str) {
        // "All" meant what the old filter showed.
        self.all_pending = false;
        self.filter = filter.trim().to_lowercase();
        self.refresh();
    }

    /// The row the keyboard is on.
    pub fn active(&self) -> Option<usize> {
        self.active
    }

    /// A key pressed in the list; `page` rows make a page. With `shift`, a move ticks every row
    /// from the anchor (the last row clicked or toggled) to where it lands. Returns whether the
    /// list changed.
    pub fn key(&mut self, key: ListKey, shift: bool, page: usize) -> bool {
        let last = match self.visible.len() {
            0 => return false,
            n => n - 1,
        };
        let from = self.active.unwrap_or(0);
        let to = match key {
            ListKey::Toggle => {
                let i = self.active.unwrap_or(0);
                self.click(i, false);
                self.active = Some(i);
                return true;
            }
            ListKey::SelectAll => {
                self.select_all();
                return true;
            }
            _ if self.active.is_none() => 0,
            ListKey::Up => from.saturating_sub(1),
            ListKey::Down => (from + 1).min(last),
            ListKey::Home => 0,
            ListKey::End => last,
            ListKey::PageUp => from.saturating_sub(page.max(1)),
            ListKey::PageDown => (from + page.max(1)).min(last),
        };
        if shift {
            let anchor = *self.anchor.get_or_insert(from);
            let (a, b) = if anchor <= to {
                (anchor, to)
            } else {
                (to, anchor)
            };
            for pos in a..=b {
                self.set(pos, true);
            }
        }
        self.active = Some(to);
        true
    }

    pub fn loaded(&self) -> usize {
        self.rows.len()
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The visible row at position `i`.
    pub fn row(&self, i: usize) -> Option<&DirectoryEntry> {
        self.visible.get(i).and_then(|r| self.rows.get(*r))
    }

    pub fn is_checked(&self, id: &str) -> bool {
        self.checked.contains_key(id)
    }

    /// Ticks (or unticks) visible row `i`.
    fn set(&mut self, i: usize, on: bool) {
        if let Some(row) = self.row(i).cloned() {
            if on {
                self.checked.insert(row.id.clone(), row);
            } else {
                self.checked.remove(&row.id);
            }
        }
    }

    /// A click on visible row `i`; with Shift, everything from the anchor to `i` gets the
    /// anchor row's state.
    pub fn click(&mut self, i: usize, shift: bool) {
        let Some(id) = self.row(i).map(|r| r.id.clone()) else {
            return;
        };
        match (shift, self.anchor) {
            (true, Some(anchor)) => {
                let on = self.row(anchor).is_some_and(|r| self.is_checked(&r.id));
                let (a, b) = if anchor <= i {
                    (anchor, i)
                } else {
                    (i, anchor)
                };
                for pos in a..=b {
                    self.set(pos, on);
                }
            }
            _ => {
                let on = !self.is_checked(&id);
                self.set(i, on);
                self.anchor = Some(i);
            }
        }
        self.active = Some(i);
    }

    /// Select all (the visible rows: what the filter shows is what the admin means). Objects
    /// selected earlier, under another search, stay selected.
    pub fn select_all(&mut self) {
        for i in 0..self.visible.len() {
            self.set(i, true);
        }
    }

    /// Select all while the list is still loading: every match, including rows not loaded
    /// yet. Synchronize waits for [`SelectModel::listing_ended`].
    pub fn select_all_while_loading(&mut self) {
        self.select_all();
        self.all_pending = true;
    }

    /// The listing has delivered its last row: a pending Select all is complete.
    pub fn listing_ended(&mut self) {
        self.all_pending = false;
    }

    /// A Select all still waits for rows.
    pub fn all_pending(&self) -> bool {
        self.all_pending
    }

    /// The header checkbox: `(all, some)` of the rows shown now are selected (none shown: not
    /// all).
    pub fn shown_checked(&self) -> (bool, bool) {
        let mut checked = (0..self.visible.len())
            .filter_map(|i| self.row(i))
            .map(|r| self.is_checked(&r.id));
        let (mut all, mut some) = (true, false);
        let mut any = false;
        for on in checked.by_ref() {
            any = true;
            all &= on;
            some |= on;
        }
        (any && all, some)
    }

    /// Unticks the rows shown now; what other searches put in the basket stays.
    pub fn unselect_shown(&mut self) {
        self.all_pending = false;
        for i in 0..self.visible.len() {
            self.set(i, false);
        }
    }

    /// Empties the basket, whatever search found its objects.
    pub fn select_none(&mut self) {
        self.all_pending = false;
        self.checked.clear();
        self.anchor = None;
    }

    pub fn invert(&mut self) {
        self.all_pending = false;
        for i in 0..self.visible.len() {
            let on = self.row(i).is_some_and(|r| !self.is_checked(&r.id));
            self.set(i, on);
        }
    }

    /// (users, groups) in the basket, loaded now or not.
    pub fn counts(&self) -> (usize, usize) {
        tally(self.checked.values())
    }

    /// (users, groups) loaded.
    pub fn loaded_counts(&self) -> (usize, usize) {
        tally(self.rows.iter())
    }

    /// The basket's objects, by name: what the admin has selected, whatever is listed now.
    pub fn basket(&self) -> Vec<&DirectoryEntry> {
        let mut entries: Vec<&DirectoryEntry> = self.checked.values().collect();
        entries.sort_by_cached_key(|e| (e.display_name.to_lowercase(), e.id.clone()));
        entries
    }

    pub fn selection(&self, members: bool, nested: bool) -> SyncSelection {
        let mut selection = SyncSelection {
            members,
            nested: members && nested,
            ..SyncSelection::default()
        };
        for row in self.checked.values() {
            match row.kind {
                EntryKind::User => selection.users.push(row.id.clone()),
                EntryKind::Group => selection.groups.push(row.id.clone()),
            }
        }
        selection
    }
}

fn tally<'a>(entries: impl Iterator<Item = &'a DirectoryEntry>) -> (usize, usize) {
    entries.fold((0, 0), |(u, g), r| match r.kind {
        EntryKind::User => (u + 1, g),
        EntryKind::Group => (u, g + 1),
    })
}

/// "3 users and 1 group".
pub fn plural(users: usize, groups: usize) -> String {
    let word = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{} and {}",
        word(users, "user", "users"),
        word(groups, "group", "groups")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, kind: EntryKind, name: &str) -> DirectoryEntry {
        DirectoryEntry {
            id: id.into(),
            kind,
            display_name: name.into(),
            principal: format!("{}@contoso.com", name.to_lowercase()),
            department: "Sales".into(),
            guest: false,
            disabled: false,
            imported: false,
        }
    }

    fn model() -> SelectModel {
        let mut m = SelectModel::default();
        m.push(vec![
            entry("u1", EntryKind::User, "Ann"),
            entry("u2", EntryKind::User, "Bob"),
            entry("u3", EntryKind::User, "Cid"),
            entry("g1", EntryKind::Group, "Annual"),
        ]);
        m
    }

    #[test]
    fn the_header_checkbox_follows_and_changes_only_the_rows_shown() {
        let mut m = model();
        assert_eq!(m.shown_checked(), (false, false));
        m.click(0, false);
        assert_eq!(m.shown_checked(), (false, true), "some: indeterminate");
        m.set_filter("ann");
        m.select_all();
        assert_eq!(m.shown_checked(), (true, true));
        m.set_filter("bob");
        assert_eq!(m.shown_checked(), (false, false));
        m.select_all();
        m.unselect_shown();
        m.set_filter("");
        let ids: Vec<&str> = m.basket().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            ["u1", "g1"],
            "Bob unticked, the earlier search's ticks kept"
        );
        m.set_filter("zzz");
        assert_eq!(
            m.shown_checked(),
            (false, false),
            "nothing shown is not all"
        );
    }

    #[test]
    fn filter_is_local_and_case_insensitive() {
        let mut m = model();
        m.set_filter(" ANN ");
        assert_eq!(m.visible_len(), 2);
        assert_eq!(m.row(1).map(|r| r.id.as_str()), Some("g1"));
        // Rows arriving later are filtered too.
        m.push(vec![entry("u4", EntryKind::User, "Joann")]);
        assert_eq!(m.visible_len(), 3);
        m.set_filter("");
        assert_eq!(m.visible_len(), 5);
    }

    #[test]
    fn clicks_ranges_and_bulk_actions() {
        let mut m = model();
        m.click(0, false);
        m.click(2, true);
        assert_eq!(m.counts(), (3, 0), "Shift-click selects the range");
        m.click(1, false);
        assert_eq!(m.counts(), (2, 0), "a plain click toggles");
        m.invert();
        assert_eq!(m.counts(), (1, 1));
        m.select_all();
        assert_eq!(m.counts(), (3, 1));
        // Select all covers what the filter shows, and keeps earlier choices.
        m.select_none();
        m.set_filter("bob");
        m.select_all();
        m.set_filter("");
        assert_eq!(m.counts(), (1, 0));
        let s = m.selection(true, true);
        assert_eq!(
            (s.users, s.groups, s.members, s.nested),
            (vec!["u2".to_owned()], vec![], true, true)
        );
        assert!(!m.selection(false, true).nested, "nested needs members");
        assert_eq!(plural(1, 2), "1 user and 2 groups");
    }

    #[test]
    fn the_basket_survives_search_now() {
        // Search "ann", tick Ann; Search now "bob" replaces the rows, tick Bob: both stay.
        let mut m = SelectModel::default();
        m.push(vec![
            entry("u1", EntryKind::User, "Ann"),
            entry("g1", EntryKind::Group, "Annual"),
        ]);
        m.click(0, false);
        m.clear_rows();
        m.push(vec![entry("u2", EntryKind::User, "Bob")]);
        m.click(0, false);
        assert_eq!(m.counts(), (2, 0));
        assert_eq!(m.loaded_counts(), (1, 0));
        assert!(m.is_checked("u1"), "Ann is selected though not listed");
        let names: Vec<&str> = m.basket().iter().map(|e| e.display_name.as_str()).collect();
        assert_eq!(names, ["Ann", "Bob"]);
        let s = m.selection(false, false);
        assert_eq!(
            (s.users, s.groups),
            (vec!["u1".into(), "u2".into()], vec![])
        );
        // Select all and Invert act on what is listed; the rest of the basket stays.
        m.invert();
        assert_eq!(m.counts(), (1, 0), "Bob unticked, Ann kept");
        m.select_all();
        assert_eq!(m.counts(), (2, 0));
        m.select_none();
        assert_eq!(m.counts(), (0, 0), "Select none empties the whole basket");
    }

    #[test]
    fn the_keyboard_moves_ticks_and_selects_ranges() {
        let mut m = model();
        assert!(
            m.key(ListKey::Down, false, 2),
            "the first key lands on the first row"
        );
        assert_eq!(m.active(), Some(0));
        m.key(ListKey::Down, false, 2);
        m.key(ListKey::Toggle, false, 2);
        assert!(
            m.is_checked("u2") && m.counts() == (1, 0),
            "Space ticks Bob"
        );
        m.key(ListKey::Toggle, false, 2);
        assert_eq!(m.counts(), (0, 0), "Space again unticks");
        m.key(ListKey::Toggle, false, 2);
        m.key(ListKey::Down, true, 2);
        m.key(ListKey::Down, true, 2);
        assert_eq!(
            m.counts(),
            (2, 1),
            "Shift+Down ticks from Bob down to Annual"
        );
        assert_eq!(m.active(), Some(3));
        m.key(ListKey::Down, false, 2);
        assert_eq!(m.active(), Some(3), "stops at the last row");
        m.key(ListKey::Home, false, 2);
        assert_eq!(m.active(), Some(0));
        m.key(ListKey::PageDown, false, 2);
        assert_eq!(m.active(), Some(2));
        m.key(ListKey::End, false, 2);
        m.key(ListKey::PageUp, false, 10);
        assert_eq!(m.active(), Some(0));
        m.select_none();
        m.key(ListKey::SelectAll, false, 2);
        assert_eq!(m.counts(), (3, 1), "Ctrl+A selects all listed");
        assert_eq!(ListKey::from_event("a", true), Some(ListKey::SelectAll));
        assert_eq!(ListKey::from_event("a", false), None, "a alone is typing");
        assert_eq!(ListKey::from_event(" ", false), Some(ListKey::Toggle));
        let mut empty = SelectModel::default();
        assert!(!empty.key(ListKey::Down, true, 2));
    }

    #[test]
    fn select_all_while_loading_takes_the_rows_still_to_come() {
        let mut m = SelectModel::default();
        m.push(vec![entry("u1", EntryKind::User, "Ann")]);
        m.select_all_while_loading();
        assert!(m.all_pending());
        m.push(vec![
            entry("u2", EntryKind::User, "Bob"),
            entry("g1", EntryKind::Group, "Annual"),
        ]);
        m.listing_ended();
        assert!(!m.all_pending());
        assert_eq!(m.counts(), (2, 1), "the rows that came later are selected");
        m.push(vec![entry("u3", EntryKind::User, "Cid")]);
        assert_eq!(m.counts(), (2, 1), "only until the listing ended");
        // A filter set meanwhile narrows what "all" means, so it ends the pending select.
        let mut f = SelectModel::default();
        f.select_all_while_loading();
        f.set_filter("bob");
        f.push(vec![entry("u2", EntryKind::User, "Bob")]);
        assert_eq!(f.counts(), (0, 0));
    }
}
