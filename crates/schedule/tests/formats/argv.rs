//! `CommandLineToArgvW` as Microsoft documents it (the function's page and "Parsing C
//! command-line arguments"), written from the text, for the test only: whitespace outside
//! quotes separates arguments; `2n` backslashes and a quote give `n` backslashes and switch
//! the quoted mode; `2n+1` backslashes and a quote give `n` backslashes and a literal quote;
//! `n` backslashes not followed by a quote are `n` backslashes; inside quotes, `""` is a
//! literal quote (the C runtime since 2008).

/// The arguments of `line` (no program name in front: Task Scheduler puts `Command` there).
pub fn split(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i >= chars.len() {
            return args;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if !quoted && (c == ' ' || c == '\t') {
                break;
            }
            if c == '\\' {
                let run = chars[i..].iter().take_while(|c| **c == '\\').count();
                i += run;
                if chars.get(i) == Some(&'"') {
                    arg.extend(std::iter::repeat_n('\\', run / 2));
                    if run % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat_n('\\', run));
                }
                continue;
            }
            if c == '"' {
                if quoted && chars.get(i + 1) == Some(&'"') {
                    arg.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                i += 1;
                continue;
            }
            arg.push(c);
            i += 1;
        }
        args.push(arg);
    }
}

#[test]
fn the_documented_examples_split_as_documented() {
    // The table of "Parsing C command-line arguments" (Microsoft Learn).
    for (line, args) in [
        (r#""abc" d e"#, vec!["abc", "d", "e"]),
        (r#"a\\b d"e f"g h"#, vec![r"a\\b", "de fg", "h"]),
        (r#"a\\\"b c d"#, vec![r#"a\"b"#, "c", "d"]),
        (r#"a\\\\"b c" d e"#, vec![r"a\\b c", "d", "e"]),
        (r#"a"b"" c d"#, vec![r#"ab" c d"#]),
    ] {
        assert_eq!(split(line), args, "{line}");
    }
}
