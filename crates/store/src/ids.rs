//! New rows of users, groups and organizations take ids no object ever had: an undo finds the
//! rows its run wrote by their keys, so an id names one object forever
//! (`migrations/0006_row_ids_are_never_reused.sql`).

/// The id a new row of `users`, `groups` or `organizations` takes (as an SQL expression): above
/// every id in use and every id a deleted row had, so an id never passes to another object
/// (`0006_row_ids_are_never_reused.sql`).
macro_rules! next_id {
    ($table:literal) => {
        concat!(
            "(SELECT max(high, coalesce((SELECT max(id) FROM ",
            $table,
            "), 0)) + 1 FROM row_id_high_water WHERE table_name = '",
            $table,
            "')"
        )
    };
}
pub(crate) use next_id;
