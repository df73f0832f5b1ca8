//! What a hostile or mistaken file cannot do to the loader: be endless (`/dev/zero`, a FIFO),
//! be huge, hide control characters in names (terminal escape sequences) or give one key twice
//! (RON maps keep the last silently). Each is refused with a located error.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::locate::locate_best;

/// Largest scenario (or `extends`) file read: far above any real scenario (the bundled EU
/// baseline is ~30 kB), small enough that reading it cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Longest scenario `name` (it names the output folder).
pub const MAX_NAME_CHARS: usize = 100;

/// Read a scenario file: a regular file (not a device, FIFO or folder) of at most
/// [`MAX_FILE_BYTES`], in UTF-8. The error is the message; an invalid-UTF-8 error carries the
/// line and column of the first bad byte.
pub fn read_bounded(path: &Path) -> Result<String, (String, Option<(usize, usize)>)> {
    let fail = |m: String| (m, None);
    // Metadata first: opening a FIFO would block until someone writes to it.
    let meta = std::fs::metadata(path).map_err(|e| {
        fail(format!(
            "cannot read scenario file `{}`: {e}",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(fail(format!(
            "`{}` is not a regular file (a folder, device or pipe); a scenario must be a .ron file",
            path.display()
        )));
    }
    let too_big = || {
        fail(format!(
            "`{}` is larger than {} MB, the limit for a scenario file",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| {
        fail(format!(
            "cannot read scenario file `{}`: {e}",
            path.display()
        ))
    })?;
    let mut bytes = Vec::new();
    // The size can change between the check and the read: read one byte more than allowed.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            fail(format!(
                "cannot read scenario file `{}`: {e}",
                path.display()
            ))
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
        (
            "the file is not valid UTF-8 text (save it as UTF-8)".to_string(),
            Some(end_of(&valid)),
        )
    })
}

/// 1-based (line, column) just past the end of `text`.
fn end_of(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Whether the scenario `name` is a safe folder name: letters, digits, `-`, `_` and `.`, not
/// starting with `.`, at most [`MAX_NAME_CHARS`] characters. The message says what is valid.
pub fn check_scenario_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not a valid scenario name: it names the output folder, so use 1 to {MAX_NAME_CHARS} letters, digits, `-`, `_` or `.`, not starting with `.` (e.g. \"eu-2030-cap\")",
            shown(name)
        ))
    }
}

/// A name as it may be printed: quoted, with control characters escaped, and cut short.
pub fn shown(name: &str) -> String {
    let cut: String = name.chars().take(60).collect();
    let more = if cut.len() < name.len() { "…" } else { "" };
    format!("{:?}{more}", cut)
}

/// A path segment as it may be printed: control characters escaped, no quotes.
pub fn printable(segment: &str) -> String {
    if segment.chars().any(char::is_control) {
        segment.escape_default().to_string()
    } else {
        segment.to_string()
    }
}

/// A problem the walk found: the field path and what is wrong.
pub struct Finding {
    pub path: Vec<String>,
    pub message: String,
}

/// Walk a parsed document once more, generically, and report control characters in any text or
/// key and keys given twice in one map. Returns nothing if the text does not parse (the typed
/// parse reports that).
pub fn walk(text: &str, options: &ron::Options) -> Vec<Finding> {
    let found = RefCell::new(Vec::new());
    if let Ok(mut de) = ron::Deserializer::from_str_with_options(text, options) {
        let _ = Walk {
            path: Vec::new(),
            found: &found,
        }
        .deserialize(&mut de);
    }
    found.into_inner()
}

/// Names given more than once in the named list `list` (`partnerships`, `price_floors`).
pub fn repeated_names<'a>(list: &str, names: impl Iterator<Item = &'a str>) -> Vec<Finding> {
    let mut seen = HashSet::new();
    names
        .filter(|n| !seen.insert(*n))
        .map(|n| Finding {
            path: vec![list.to_string(), n.to_string()],
            message: format!(
                "the name {} is used by two entries of `{list}`; give each entry its own name",
                shown(n)
            ),
        })
        .collect()
}

/// Where a finding sits in `text`, as (line, column).
pub fn locate_finding(text: &str, f: &Finding) -> Option<(usize, usize)> {
    let path: Vec<&str> = f.path.iter().map(String::as_str).collect();
    locate_best(text, &path)
}

struct Walk<'a> {
    path: Vec<String>,
    found: &'a RefCell<Vec<Finding>>,
}

impl Walk<'_> {
    fn child(&self, segment: String) -> Walk<'_> {
        let mut path = self.path.clone();
        path.push(segment);
        Walk {
            path,
            found: self.found,
        }
    }

    fn text(&self, v: &str, what: &str) {
        if v.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            self.found.borrow_mut().push(Finding {
                path: self.path.clone(),
                message: format!(
                    "{what} {} holds a control character; names and text must be printable",
                    shown(v)
                ),
            });
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_char<E>(self, c: char) -> Result<(), E> {
        self.text(&c.to_string(), "the text");
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.text(v, "the text");
        Ok(())
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq.next_element_seed(self.child(i.to_string()))?.is_some() {
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<KeyText>()? {
            let child = self.child(key.0.clone());
            child.text(&key.0, "the name");
            if !seen.insert(key.0.clone()) {
                self.found.borrow_mut().push(Finding {
                    path: child.path.clone(),
                    message: format!(
                        "{} is given twice in this map; give each name once (RON keeps only the last)",
                        shown(&key.0)
                    ),
                });
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Ok(())
    }
}

/// A map key as text, whatever its type.
struct KeyText(String);

impl<'de> de::Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_char<E>(self, v: char) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("()".into()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ron::Options {
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
    }

    #[test]
    fn finds_duplicates_and_control_characters_anywhere() {
        let text = "Scenario(version: 1, materials: { \"a\": (), \"a\": () }, \
                    partnerships: [(name: \"x\\u{1b}]0;t\\u{7}\")])";
        let found = walk(text, &opts());
        let messages: Vec<String> = found
            .iter()
            .map(|f| format!("{}: {}", f.path.join("."), f.message))
            .collect();
        assert_eq!(found.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("materials.a: "), "{messages:?}");
        assert!(
            messages[1].starts_with("partnerships.0.name: "),
            "{messages:?}"
        );
        assert!(messages[1].contains("\\u{1b}"), "{messages:?}");
    }

    #[test]
    fn scenario_names_are_safe_slugs() {
        assert!(check_scenario_name("eu-2030_v1.2").is_ok());
        for bad in [
            "../x",
            "/tmp/x",
            "",
            ".hidden",
            "a b",
            "a\0b",
            &"x".repeat(101),
        ] {
            assert!(check_scenario_name(bad).is_err(), "{bad:?}");
        }
    }
}
