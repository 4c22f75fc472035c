//! Which rows step 3's list shows and in which order: the kind filter (users, groups, guests,
//! disabled, not yet imported) and the column sort. Plain data, unit-tested.

use aadsync_ipc::{DirectoryEntry, EntryKind};

/// The rows the list shows, besides the text filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Show {
    #[default]
    All,
    Users,
    Groups,
    Guests,
    Disabled,
    NotImported,
}

impl Show {
    pub const ALL: [Show; 6] = [
        Show::All,
        Show::Users,
        Show::Groups,
        Show::Guests,
        Show::Disabled,
        Show::NotImported,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Show::All => "Users and groups",
            Show::Users => "Users",
            Show::Groups => "Groups",
            Show::Guests => "Guests",
            Show::Disabled => "Disabled users",
            Show::NotImported => "Not yet imported",
        }
    }

    /// The `<option>` value.
    pub fn value(self) -> &'static str {
        match self {
            Show::All => "all",
            Show::Users => "users",
            Show::Groups => "groups",
            Show::Guests => "guests",
            Show::Disabled => "disabled",
            Show::NotImported => "not-imported",
        }
    }

    pub fn from_value(value: &str) -> Show {
        Show::ALL
            .into_iter()
            .find(|s| s.value() == value)
            .unwrap_or_default()
    }

    pub fn shows(self, row: &DirectoryEntry) -> bool {
        match self {
            Show::All => true,
            Show::Users => row.kind == EntryKind::User,
            Show::Groups => row.kind == EntryKind::Group,
            Show::Guests => row.kind == EntryKind::User && row.guest,
            Show::Disabled => row.kind == EntryKind::User && row.disabled,
            Show::NotImported => !row.imported,
        }
    }
}

/// A column the list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Principal,
    Department,
}

/// The list's order: as Entra ID listed the rows, or by a column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub by: Option<Column>,
    pub descending: bool,
}

impl Sort {
    /// A click on `column`'s header: ascending, then descending, then as listed.
    pub fn clicked(self, column: Column) -> Sort {
        match (self.by, self.descending) {
            (Some(c), false) if c == column => Sort {
                by: Some(column),
                descending: true,
            },
            (Some(c), true) if c == column => Sort::default(),
            _ => Sort {
                by: Some(column),
                descending: false,
            },
        }
    }

    /// How `column` sorts the list now: ascending, descending or none (a header's `data-sort`).
    pub fn aria(self, column: Column) -> &'static str {
        match (self.by, self.descending) {
            (Some(c), false) if c == column => "ascending",
            (Some(c), true) if c == column => "descending",
            _ => "none",
        }
    }

    /// Orders `visible` (indices into `rows`); ties keep Entra ID's order.
    pub fn apply(self, rows: &[DirectoryEntry], visible: &mut [usize]) {
        let Some(column) = self.by else {
            visible.sort_unstable();
            return;
        };
        let key = |i: &usize| -> String {
            let row = &rows[*i];
            match column {
                Column::Name => &row.display_name,
                Column::Principal => &row.principal,
                Column::Department => &row.department,
            }
            .to_lowercase()
        };
        // The row index breaks ties: equal keys keep Entra ID's order, descending or not.
        if self.descending {
            visible.sort_by_cached_key(|i| (std::cmp::Reverse(key(i)), *i));
        } else {
            visible.sort_by_cached_key(|i| (key(i), *i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, department, kind, guest, disabled, imported)
    type Spec = (&'static str, &'static str, EntryKind, bool, bool, bool);

    fn rows() -> Vec<DirectoryEntry> {
        let specs: [Spec; 4] = [
            ("Cid", "Sales", EntryKind::User, false, false, true),
            ("ann", "Finance", EntryKind::User, true, false, false),
            ("Sales", "Finance", EntryKind::Group, false, false, false),
            ("Bob", "Sales", EntryKind::User, false, true, false),
        ];
        specs
            .into_iter()
            .map(
                |(name, department, kind, guest, disabled, imported)| DirectoryEntry {
                    id: name.into(),
                    kind,
                    display_name: name.into(),
                    principal: format!("{}@contoso.com", name.to_lowercase()),
                    department: department.into(),
                    guest,
                    disabled,
                    imported,
                },
            )
            .collect()
    }

    #[test]
    fn show_picks_its_rows() {
        let rows = rows();
        let names = |show: Show| -> Vec<&str> {
            rows.iter()
                .filter(|r| show.shows(r))
                .map(|r| r.display_name.as_str())
                .collect()
        };
        assert_eq!(names(Show::All).len(), 4);
        assert_eq!(names(Show::Users), ["Cid", "ann", "Bob"]);
        assert_eq!(names(Show::Groups), ["Sales"]);
        assert_eq!(names(Show::Guests), ["ann"]);
        assert_eq!(names(Show::Disabled), ["Bob"]);
        assert_eq!(names(Show::NotImported), ["ann", "Sales", "Bob"]);
        for show in Show::ALL {
            assert_eq!(Show::from_value(show.value()), show);
        }
    }

    #[test]
    fn headers_sort_up_down_and_back_to_entra_order() {
        let rows = rows();
        let order = |sort: Sort| -> Vec<&str> {
            let mut visible: Vec<usize> = (0..rows.len()).collect();
            sort.apply(&rows, &mut visible);
            visible
                .iter()
                .map(|i| rows[*i].display_name.as_str())
                .collect()
        };
        let by_name = Sort::default().clicked(Column::Name);
        assert_eq!(
            order(by_name),
            ["ann", "Bob", "Cid", "Sales"],
            "case-insensitive"
        );
        assert_eq!(by_name.aria(Column::Name), "ascending");
        assert_eq!(by_name.aria(Column::Department), "none");
        let down = by_name.clicked(Column::Name);
        assert_eq!(order(down), ["Sales", "Cid", "Bob", "ann"]);
        assert_eq!(down.aria(Column::Name), "descending");
        assert_eq!(
            order(down.clicked(Column::Name)),
            ["Cid", "ann", "Sales", "Bob"]
        );
        // Ties keep Entra ID's order in both directions.
        let dept = Sort::default().clicked(Column::Department);
        assert_eq!(order(dept), ["ann", "Sales", "Cid", "Bob"]);
        assert_eq!(
            order(dept.clicked(Column::Department)),
            ["Cid", "Bob", "ann", "Sales"]
        );
    }
}
