//! Holding an apply at a known point inside its transaction, with no timing involved.
//!
//! A TEMP trigger on the write connection (it lives in that connection's `temp` schema, never in
//! the database file) calls a Rust function when the apply writes a chosen row. The function
//! runs on the apply's thread, inside the statement that wrote the row, so whatever a test does
//! there (interrupt, SIGKILL) happens while the apply's transaction is provably open and has
//! written everything before that row.
//!
//! The trigger body loops over two rows. SQLite looks at `sqlite3_interrupt` when a statement
//! starts and at the bottom of every loop, and forgets an interrupt once no statement is running;
//! the loop makes sure it looks again after the pause, before the statement that wrote the row
//! ends, whatever the rest of that statement's program does. An interrupt given during the pause
//! therefore stops this very statement, as a Cancel during a long statement of the apply does.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use std::sync::atomic::{AtomicBool, Ordering};

/// A row the apply writes, as the head of a TEMP trigger (`AFTER <event> ON main.<table> [WHEN]`).
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub name: &'static str,
    pub trigger: &'static str,
}

/// Makes the apply call `at_pause` once, when it writes the row `point` describes. Later writes
/// of matching rows go on without pausing.
pub fn install(conn: &Connection, point: &Point, at_pause: impl Fn() + Send + 'static) {
    let paused = AtomicBool::new(false);
    conn.create_scalar_function(
        "aadsync_test_pause",
        1,
        FunctionFlags::SQLITE_UTF8,
        move |ctx| {
            let row: i64 = ctx.get(0)?;
            if row == 1 && !paused.swap(true, Ordering::SeqCst) {
                at_pause();
            }
            Ok(row)
        },
    )
    .expect("pause function");
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE pause_rows (n INTEGER);
         INSERT INTO temp.pause_rows (n) VALUES (1), (2);
         CREATE TEMP TRIGGER pause_apply {} BEGIN
             SELECT aadsync_test_pause(n) FROM temp.pause_rows;
         END;",
        point.trigger
    ))
    .expect("pause trigger");
}

/// Takes the pause out again, so the next apply runs straight through.
pub fn remove(conn: &Connection) {
    conn.execute_batch("DROP TRIGGER temp.pause_apply; DROP TABLE temp.pause_rows;")
        .expect("drop pause");
    conn.remove_function("aadsync_test_pause", 1)
        .expect("drop pause function");
}
