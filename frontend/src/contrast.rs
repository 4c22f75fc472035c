//! The stylesheet's colour pairs, checked for WCAG 2 contrast in light and dark mode: text an
//! administrator must read (buttons that delete, the primary button, muted text, errors) stays
//! at 4.5:1 or more in both.

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    const CSS: &str = include_str!("../style.css");

    /// The `--name: #rrggbb;` variables of a block of the stylesheet.
    fn variables(block: &str) -> HashMap<String, [f64; 3]> {
        block
            .lines()
            .filter_map(|line| {
                let (name, value) = line.trim().strip_prefix("--")?.split_once(':')?;
                let hex = value.trim().strip_suffix(';')?.strip_prefix('#')?;
                let channel = |i: usize| {
                    u8::from_str_radix(hex.get(i..i + 2)?, 16)
                        .ok()
                        .map(|v| f64::from(v) / 255.0)
                };
                Some((name.to_owned(), [channel(0)?, channel(2)?, channel(4)?]))
            })
            .collect()
    }

    fn luminance(rgb: [f64; 3]) -> f64 {
        let linear = |c: f64| {
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
    }

    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn text_pairs_reach_4_5_to_1_in_light_and_dark_mode() {
        let dark_at = CSS
            .find("@media (prefers-color-scheme: dark)")
            .expect("a dark block");
        let light = variables(&CSS[..dark_at]);
        let mut dark = light.clone();
        dark.extend(variables(&CSS[dark_at..]));
        assert!(
            dark.len() >= 12 && light["danger-bg"] != dark["danger-bg"],
            "both modes read"
        );
        let pairs = [
            ("danger-text", "danger-bg"),
            ("accent-text", "accent"),
            ("text", "bg"),
            ("text", "surface"),
            ("muted", "surface"),
            ("muted", "bg"),
            ("error", "surface"),
        ];
        for (mode, colours) in [("light", &light), ("dark", &dark)] {
            for (fg, bg) in pairs {
                let ratio = contrast(colours[fg], colours[bg]);
                assert!(ratio >= 4.5, "{mode}: --{fg} on --{bg} is {ratio:.2}:1");
            }
        }
    }
}
