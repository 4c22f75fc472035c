//! Times for people: the database keeps UTC (ISO 8601, `Z`); the views show the computer's
//! local time with its offset from UTC, so a time is never read in the wrong zone.

/// "2026-11-30T10:04:05Z" → "2026-11-30 11:04 UTC+01:00" in this computer's time zone; text
/// that is not a time is shown as it is.
#[cfg(target_arch = "wasm32")]
pub fn local(iso: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    render(&Local {
        year: date.get_full_year(),
        month: date.get_month() + 1,
        day: date.get_date(),
        hour: date.get_hours(),
        minute: date.get_minutes(),
        // JavaScript gives minutes *behind* UTC (west positive).
        offset_minutes: -(date.get_timezone_offset() as i32),
    })
}

/// Outside the web view (the views' unit tests) there is no JavaScript clock: UTC.
#[cfg(not(target_arch = "wasm32"))]
pub fn local(iso: &str) -> String {
    let part = |range: std::ops::Range<usize>| iso.get(range).and_then(|p| p.parse().ok());
    match (
        part(0..4),
        part(5..7),
        part(8..10),
        part(11..13),
        part(14..16),
    ) {
        (Some(year), Some(month), Some(day), Some(hour), Some(minute)) => render(&Local {
            year,
            month,
            day,
            hour,
            minute,
            offset_minutes: 0,
        }),
        _ => iso.to_owned(),
    }
}

/// A time as a local clock shows it, and that clock's offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Local {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    offset_minutes: i32,
}

fn render(t: &Local) -> String {
    let sign = if t.offset_minutes < 0 { '-' } else { '+' };
    let offset = t.offset_minutes.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC{sign}{:02}:{:02}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        offset / 60,
        offset % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_carry_their_offset() {
        let t = |offset_minutes| Local {
            year: 2026,
            month: 3,
            day: 9,
            hour: 7,
            minute: 5,
            offset_minutes,
        };
        assert_eq!(render(&t(0)), "2026-03-09 07:05 UTC+00:00");
        assert_eq!(render(&t(60)), "2026-03-09 07:05 UTC+01:00");
        assert_eq!(render(&t(-300)), "2026-03-09 07:05 UTC-05:00");
        assert_eq!(render(&t(330)), "2026-03-09 07:05 UTC+05:30");
        assert_eq!(local("2026-11-30T10:04:05Z"), "2026-11-30 10:04 UTC+00:00");
        assert_eq!(local("never"), "never");
    }
}
