//! CSV text through the `csv` crate, the one writer behind every CSV file (summary, timeseries,
//! comparison, sweep, stress-cap, sensitivity), so quoting is decided in one place: a field is
//! quoted when it holds a comma, a quote or a line break, with quotes doubled. Numbers are written
//! by `num`, the shortest text that reads back to the same f64, so CSV and JSON agree to the
//! last digit.

/// Rows of one CSV file, built in memory and written atomically by the caller.
#[derive(Debug)]
pub(crate) struct CsvText {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for CsvText {
    fn default() -> Self {
        CsvText::new()
    }
}

impl CsvText {
    /// An empty file.
    pub(crate) fn new() -> CsvText {
        CsvText {
            // Flexible: the only error left is the writer's own I/O, and a Vec cannot fail.
            writer: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::new()),
        }
    }

    /// A file whose first line is `header`, a comma-separated list of plain column names.
    pub(crate) fn with_header(header: &str) -> CsvText {
        let mut out = CsvText::new();
        out.row(header.split(','));
        out
    }

    /// One record; each field is quoted only where it must be.
    pub(crate) fn row<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .expect("writing CSV into memory cannot fail");
    }

    /// The file's text.
    pub(crate) fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .expect("flushing CSV into memory cannot fail");
        String::from_utf8(bytes).expect("CSV built from UTF-8 fields is UTF-8")
    }
}

/// Shortest round-trip representation, so CSV and JSON agree to the last digit; empty for a
/// value that is not finite (no estimate).
pub(crate) fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        let mut c = CsvText::with_header("a,b,c");
        c.row(["Korea, Republic of", "say \"hi\"", "plain"]);
        c.row([num(0.1), num(f64::NAN), String::new()]);
        assert_eq!(
            c.finish(),
            "a,b,c\n\"Korea, Republic of\",\"say \"\"hi\"\"\",plain\n0.1,,\n"
        );
    }
}
