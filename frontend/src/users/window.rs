//! Virtual scrolling arithmetic: which rows are visible, and which window to fetch.

/// Height of one table row in CSS pixels (the stylesheet uses the same value).
pub const ROW_HEIGHT: f64 = 28.0;
/// Rows fetched beyond each edge of the viewport, so small scrolls need no round trip.
pub const OVERSCAN: u32 = 40;
/// Windows start on multiples of this, so scrolling by a few rows reuses the same request.
pub const BLOCK: u32 = 50;

/// Rows `[first, end)` that intersect the viewport.
pub fn visible(scroll_top: f64, viewport_height: f64, total: u32) -> (u32, u32) {
    let first = (scroll_top.max(0.0) / ROW_HEIGHT).floor() as u32;
    let count = (viewport_height.max(0.0) / ROW_HEIGHT).ceil() as u32 + 1;
    let first = first.min(total);
    (first, (first + count).min(total))
}

/// The `(offset, limit)` to request so that `[first, end)` plus overscan is loaded.
pub fn fetch_window(first: u32, end: u32) -> (u32, u32) {
    let offset = first.saturating_sub(OVERSCAN) / BLOCK * BLOCK;
    let wanted_end = end + OVERSCAN;
    let limit = (wanted_end - offset).div_ceil(BLOCK) * BLOCK;
    (offset, limit)
}

/// Whether a loaded window `[offset, offset + len)` already covers `[first, end)`.
pub fn covers(offset: u32, len: u32, total: u32, first: u32, end: u32) -> bool {
    let loaded_end = (offset + len).min(total);
    first >= offset && (end <= loaded_end || loaded_end == total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_rows() {
        let cases = [
            ((0.0, 280.0, 100), (0, 11)),
            ((28.0 * 10.0 + 5.0, 280.0, 100), (10, 21)),
            ((0.0, 280.0, 3), (0, 3)),
            ((1e9, 280.0, 100), (100, 100)),
            ((0.0, 0.0, 0), (0, 0)),
        ];
        for ((top, height, total), expect) in cases {
            assert_eq!(
                visible(top, height, total),
                expect,
                "{top} {height} {total}"
            );
        }
    }

    #[test]
    fn windows_are_block_aligned_and_cover_the_overscan() {
        for (first, end) in [(0, 25), (10, 35), (1000, 1025), (99_990, 100_000)] {
            let (offset, limit) = fetch_window(first, end);
            assert_eq!(offset % BLOCK, 0);
            assert!(offset <= first.saturating_sub(OVERSCAN));
            assert!(offset + limit >= end + OVERSCAN);
            assert!(covers(offset, limit, u32::MAX, first, end));
        }
    }

    #[test]
    fn coverage() {
        assert!(covers(0, 100, 1000, 10, 40));
        assert!(!covers(100, 100, 1000, 10, 40));
        assert!(!covers(0, 100, 1000, 90, 120));
        // The last window of a short list covers everything after it.
        assert!(covers(0, 100, 30, 0, 30));
    }
}
