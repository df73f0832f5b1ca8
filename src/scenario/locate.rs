//! Finds where a field path sits in RON source text, so that errors found after parsing
//! (an unknown country, shares that do not add up) still point at a line and column.
//!
//! serde keeps no positions once a value is built, and carrying spans through every struct would
//! double the schema. A scenario's keys are short, distinctive names, so walking the path's
//! segments through the text in order, each searched after the previous one, finds the place
//! reliably; when it cannot, the error still names the field path.

/// 1-based (line, column) of the last segment of `path` found in order in `text`.
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let mut from = 0;
    let mut found_at = None;
    for segment in path {
        let (pos, end) = find_key(text, segment, from)?;
        found_at = Some(pos);
        from = end;
    }
    found_at.map(|pos| line_col(text, pos))
}

/// Like `locate`, but falls back to the longest prefix of the path that can be found.
pub fn locate_best(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    (1..=path.len())
        .rev()
        .find_map(|n| locate(text, &path[..n]))
}

/// Start of `name` used as a key or a quoted name, at or after `from`, outside comments, and
/// where scanning may resume (past a closing quote, so string parity is kept).
fn find_key(text: &str, name: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        // Skip comments and strings that are not the name we look for.
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            continue;
        }
        if bytes[i] == b'"' {
            let end = text[i + 1..].find('"').map_or(bytes.len(), |e| i + 1 + e);
            if &text[i + 1..end] == name {
                return Some((i + 1, end + 1));
            }
            i = end + 1;
            continue;
        }
        if text[i..].starts_with(name) {
            let before_ok = i == 0 || !is_ident(bytes[i - 1]);
            let after = i + name.len();
            let after_ok = after >= bytes.len() || !is_ident(bytes[after]);
            if before_ok && after_ok && text[after..].trim_start().starts_with(':') {
                return Some((i, after));
            }
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(pos, |nl| pos - nl - 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"Scenario(
    // blocs: this comment must be skipped
    blocs: {
        "US": ( demand: { "gallium": (tonnes_per_year: 1) } ),
        "EU": (
            sourcing: { "gallium": { "processing": { "China": 0.7 } } },
        ),
    },
)"#;

    #[test]
    fn finds_nested_keys_in_order() {
        assert_eq!(locate(TEXT, &["blocs"]), Some((3, 5)));
        assert_eq!(
            locate(TEXT, &["blocs", "EU", "sourcing", "gallium", "processing"]),
            Some((6, 39))
        );
        // "gallium" first appears under US; the path through EU must skip it.
        assert_eq!(locate(TEXT, &["blocs", "EU", "gallium"]), Some((6, 26)));
    }

    #[test]
    fn missing_segments_fall_back_to_the_longest_prefix() {
        assert_eq!(locate(TEXT, &["blocs", "Japan"]), None);
        // A quoted segment must not flip string parity for the segments after it.
        assert_eq!(
            locate(
                r#"( x: [ (name: "ban", a: "q", p: 1) ] )"#,
                &["x", "ban", "p"]
            ),
            Some((1, 30))
        );
        assert_eq!(locate_best(TEXT, &["blocs", "Japan"]), Some((3, 5)));
    }
}
