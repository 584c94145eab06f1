//! CSV as Bulk Administration reads and writes it (RFC 4180): UTF-8, comma-separated, fields
//! quoted with `"` when they hold a comma, a quote or a line break. Reading reports the line and
//! the reason of the first malformed place; writing guards spreadsheets against formulas: a
//! value starting with `=`, `+`, `-`, `@` (or a tab or carriage return) is written as `'` and the
//! value, quoted, and reading takes such a cell back to the value, while refusing a bare
//! formula-like cell.

/// A malformed file: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CsvError {
    /// The line of the file (1 is the first).
    pub line: u64,
    /// Why.
    pub reason: String,
    /// The file has more records than it may.
    pub too_many_records: bool,
}

impl CsvError {
    fn at(line: u64, reason: impl Into<String>) -> Self {
        Self {
            line,
            reason: reason.into(),
            too_many_records: false,
        }
    }
}

/// The most records and the most cells per record a file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Records, the header included.
    pub records: usize,
    /// Cells of one record.
    pub cells: usize,
}

/// One record of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line it starts on (1 is the first).
    pub line: u64,
    /// Its cells, as written (a formula guard still on: see [`cell_value`]).
    pub cells: Vec<String>,
}

/// The file's text: UTF-8 without its byte-order mark. Invalid UTF-8 is refused with its line.
pub fn decode(bytes: &[u8]) -> Result<&str, CsvError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = 1 + before.iter().filter(|b| **b == b'\n').count() as u64;
        CsvError::at(line, "is not UTF-8 text (save the file as CSV UTF-8)")
    })
}

/// The line of the first U+FFFD in `text` (what a reader that replaced invalid UTF-8 leaves).
pub fn replacement_line(text: &str) -> Option<u64> {
    let at = text.find('\u{FFFD}')?;
    Some(1 + text[..at].matches('\n').count() as u64)
}

/// The records of `text` within `bounds`; blank lines are skipped. Refused: a quoted field never
/// closed, a quote inside an unquoted field, text after a closing quote, a record with more
/// cells than the bounds, and more records than them.
pub fn parse(text: &str, bounds: Bounds) -> Result<Vec<Record>, CsvError> {
    let mut records = Vec::new();
    let mut line: u64 = 1;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted_at: Option<u64> = None;
        let mut after_quote = false;
        loop {
            let Some(c) = chars.next() else {
                if let Some(opened) = quoted_at {
                    return Err(CsvError::at(
                        opened,
                        "a quoted field is not closed (unbalanced quotes)",
                    ));
                }
                cells.push(std::mem::take(&mut cell));
                break;
            };
            if quoted_at.is_some() {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    '"' => {
                        quoted_at = None;
                        after_quote = true;
                    }
                    '\n' => {
                        line += 1;
                        cell.push(c);
                    }
                    _ => cell.push(c),
                }
                continue;
            }
            match c {
                ',' => {
                    cells.push(std::mem::take(&mut cell));
                    after_quote = false;
                    if cells.len() >= bounds.cells {
                        return Err(CsvError::at(
                            start,
                            format!("a row has more than {} cells", bounds.cells),
                        ));
                    }
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    cells.push(std::mem::take(&mut cell));
                    break;
                }
                '"' if cell.is_empty() && !after_quote => quoted_at = Some(line),
                '"' => {
                    return Err(CsvError::at(
                        line,
                        "a quote inside an unquoted field (quote the whole field and double \
                         the quotes inside it)",
                    ))
                }
                _ if after_quote => return Err(CsvError::at(line, "text after a closing quote")),
                _ => cell.push(c),
            }
        }
        if cells.len() == 1 && cells[0].is_empty() {
            continue;
        }
        if records.len() == bounds.records {
            return Err(CsvError {
                line: start,
                reason: format!("the file has more than {} rows", bounds.records),
                too_many_records: true,
            });
        }
        records.push(Record { line: start, cells });
    }
    Ok(records)
}

/// Whether a spreadsheet would read `value` as a formula.
pub fn formula_like(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The value a cell holds: a guarded formula-like value (`'=…`) loses its guard; a bare
/// formula-like cell is refused with the reason.
pub fn cell_value(cell: &str) -> Result<&str, String> {
    if let Some(rest) = cell.strip_prefix('\'') {
        if formula_like(rest.trim_start_matches('\'')) {
            return Ok(rest);
        }
    }
    if formula_like(cell) {
        return Err(format!(
            "starts with {:?}, which a spreadsheet runs as a formula; write it as '{} to mean the \
             text",
            cell.chars().next().unwrap_or('='),
            cell
        ));
    }
    Ok(cell)
}

/// Appends `value` as one CSV field: guarded when formula-like (or when it is already a guarded
/// value, so that reading takes it back as it is), quoted when needed.
pub fn push_field(out: &mut String, value: &str) {
    let guarded = formula_like(value.trim_start_matches('\''));
    let quote = guarded
        || value.contains([',', '"', '\n', '\r'])
        || value.starts_with(' ')
        || value.ends_with(' ');
    if !quote {
        out.push_str(value);
        return;
    }
    out.push('"');
    if guarded {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Appends one record and its line end (CRLF, as RFC 4180 has it).
pub fn push_record<'a>(out: &mut String, values: impl IntoIterator<Item = &'a str>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, v);
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDE: Bounds = Bounds {
        records: 100,
        cells: 10,
    };

    fn bounds(records: usize) -> Bounds {
        Bounds { records, cells: 10 }
    }

    fn cells(text: &str) -> Vec<Vec<String>> {
        parse(text, WIDE)
            .unwrap()
            .into_iter()
            .map(|r| r.cells)
            .collect()
    }

    #[test]
    fn quoted_fields_hold_commas_quotes_and_line_breaks() {
        let text = "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n";
        assert_eq!(
            cells(text),
            vec![
                vec!["a", "b"],
                vec!["x, y", "say \"hi\""],
                vec!["two\nlines", "z"]
            ]
        );
        let records = parse(text, WIDE).unwrap();
        assert_eq!(
            records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn malformed_places_are_named_by_line() {
        let open = parse("a,b\nc,\"d\ne,f\n", WIDE).unwrap_err();
        assert_eq!(open.line, 2);
        assert!(open.reason.contains("unbalanced quotes"), "{open}");
        let inner = parse("a,b\nc,d\"e\n", WIDE).unwrap_err();
        assert_eq!(inner.line, 2);
        let after = parse("\"a\"b,c\n", WIDE).unwrap_err();
        assert!(after.reason.contains("after a closing quote"));
        let many = parse("a\nb\nc\n", bounds(2)).unwrap_err();
        assert_eq!(many.line, 3);
        assert!(many.too_many_records);
        let wide = parse("a\nb,c,d,e,f,g,h,i,j,k,l,m\n", WIDE).unwrap_err();
        assert_eq!(wide.line, 2);
        assert!(wide.reason.contains("more than 10 cells"), "{wide}");
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_line() {
        let err = decode(b"a,b\nc,\xff\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(decode(b"\xEF\xBB\xBFa,b").unwrap(), "a,b");
    }

    #[test]
    fn blank_lines_and_a_missing_last_line_end_are_fine() {
        assert_eq!(cells("a,b\n\nc,d"), vec![vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(cells("a,,\n"), vec![vec!["a", "", ""]]);
    }

    #[test]
    fn formulas_are_guarded_on_export_and_refused_bare_on_import() {
        let mut out = String::new();
        push_record(&mut out, ["=HYPERLINK(\"x\")", "-5", "plain", "a,b"]);
        assert_eq!(out, "\"'=HYPERLINK(\"\"x\"\")\",\"'-5\",plain,\"a,b\"\r\n");
        let back = parse(&out, WIDE).unwrap();
        let values: Vec<&str> = back[0]
            .cells
            .iter()
            .map(|c| cell_value(c).unwrap())
            .collect();
        assert_eq!(values, ["=HYPERLINK(\"x\")", "-5", "plain", "a,b"]);
        assert!(cell_value("=1+1").unwrap_err().contains("formula"));
        assert!(cell_value("@SUM(A1)").is_err());
        assert_eq!(cell_value("'quoted").unwrap(), "'quoted");
        // A value that looks guarded already comes back as it is.
        let mut out = String::new();
        push_record(&mut out, ["'=x"]);
        let back = parse(&out, WIDE).unwrap();
        assert_eq!(cell_value(&back[0].cells[0]).unwrap(), "'=x");
    }

    #[test]
    fn a_replacement_character_is_found_by_line() {
        assert_eq!(replacement_line("a\nb\u{FFFD}\n"), Some(2));
        assert_eq!(replacement_line("a\nb\n"), None);
    }
}
