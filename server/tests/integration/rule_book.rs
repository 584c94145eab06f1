//! The rule book (`docs/RULES.md`) against the sources: each rule R1–R22 has exactly one section
//! with a status; a rule the console enforces or reports names code that exists (a file and the
//! function or type in it) and tests that exist (Rust functions under `app/src`, `server/src`,
//! `server/tests` and `migrations`, or Playwright titles in `end2end/tests/*.spec.ts`), one of
//! them carrying the rule's id. The check is a pure function of the book's text and the sources,
//! so the negative tests run it on small books and sources of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// The rules the book must hold: R1 to R22.
const RULE_IDS: RangeInclusive<u32> = 1..=22;

/// The trees whose Rust files a book may cite, from the repository root.
const RUST_TREES: [&str; 4] = ["app/src", "server/src", "server/tests", "migrations"];

/// The folder of the Playwright tests, from the repository root.
const PLAYWRIGHT_TESTS: &str = "end2end/tests";

/// What a book may cite: the files, the Rust functions they define, the Playwright test titles.
#[derive(Debug, Default)]
struct Sources {
    /// Each file's text, by its path from the repository root.
    files: BTreeMap<String, String>,
    /// The name of every `fn NAME(` of the `.rs` files.
    rust_fns: BTreeSet<String>,
    /// The title of every `test('TITLE', …)` of the `.spec.ts` files.
    titles: BTreeSet<String>,
}

impl Sources {
    /// The sources of `files` (path from the repository root, text).
    fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Self {
        let files: BTreeMap<String, String> = files.into_iter().collect();
        let mut rust_fns = BTreeSet::new();
        let mut titles = BTreeSet::new();
        for (path, text) in &files {
            if path.ends_with(".rs") {
                rust_fns.extend(fn_names(text));
            } else if path.ends_with(".spec.ts") {
                titles.extend(test_titles(text));
            }
        }
        Self {
            files,
            rust_fns,
            titles,
        }
    }
}

/// Whether `c` may be part of an identifier.
fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The names of the functions `text` defines: every `fn NAME(`.
fn fn_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("fn ") {
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &text[at + 3..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with('(') {
            names.push(name);
        }
    }
    names
}

/// The titles of the Playwright tests of `text`: the quoted first argument of every `test(`.
fn test_titles(text: &str) -> Vec<String> {
    let mut titles = Vec::new();
    for (at, _) in text.match_indices("test(") {
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| is_ident(c) || c == '.')
        {
            continue;
        }
        let mut chars = text[at + 5..].chars();
        let Some(quote) = chars.next().filter(|q| matches!(*q, '\'' | '"' | '`')) else {
            continue;
        };
        let mut title = String::new();
        let mut escaped = false;
        for c in chars {
            if escaped {
                title.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                titles.push(std::mem::take(&mut title));
                break;
            } else {
                title.push(c);
            }
        }
    }
    titles
}

/// The keywords that define a `Code:` item.
const DEFINING_KEYWORDS: [&str; 8] = [
    "fn", "struct", "enum", "const", "static", "type", "trait", "mod",
];

/// Whether `text` defines `name` as a function, type, constant, static, trait or module.
fn defines(text: &str, name: &str) -> bool {
    DEFINING_KEYWORDS.iter().any(|keyword| {
        let needle = format!("{keyword} {name}");
        text.match_indices(&needle).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
    })
}

/// Whether `text` holds `word` with no letter or digit right before or after it.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether a test name is a Rust function's (an identifier) rather than a Playwright title.
fn is_rust_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether test `name` carries rule `rule`'s id: the token `rN` between underscores of a Rust
/// name, the word `RN` in a Playwright title.
fn carries(name: &str, rule: u32) -> bool {
    if is_rust_name(name) {
        let token = format!("r{rule}");
        name.split('_').any(|part| part == token)
    } else {
        has_word(name, &format!("R{rule}"))
    }
}

/// A rule's section of the book: its number and the lines up to the next heading.
#[derive(Debug)]
struct Section<'a> {
    /// The rule's number.
    rule: u32,
    /// The lines after the heading.
    lines: Vec<&'a str>,
}

/// The rule of a `## ` heading's text: `R9 — …` is 9; any other heading is none.
fn rule_of_heading(heading: &str) -> Option<u32> {
    let number = heading.strip_prefix('R')?;
    let digits = number.chars().take_while(char::is_ascii_digit).count();
    let rest = &number[digits..];
    if digits == 0 || !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    number[..digits].parse().ok()
}

/// The rule sections of the book, in order.
fn sections(rules_md: &str) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let mut current: Option<Section<'_>> = None;
    for line in rules_md.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            out.extend(current.take());
            current = rule_of_heading(heading.trim()).map(|rule| Section {
                rule,
                lines: Vec::new(),
            });
        } else if let Some(section) = current.as_mut() {
            section.lines.push(line);
        }
    }
    out.extend(current);
    out
}

/// A rule's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// `enforced`.
    Enforced,
    /// `informational`.
    Informational,
    /// `not yet enforced (issue N)`.
    NotYet,
}

/// The status a `- Status:` value says, if it is one of the three forms.
fn status_of(value: &str) -> Option<Status> {
    match value {
        "enforced" => Some(Status::Enforced),
        "informational" => Some(Status::Informational),
        _ => {
            let issue = value
                .strip_prefix("not yet enforced (issue ")?
                .strip_suffix(')')?;
            (!issue.is_empty() && issue.chars().all(|c| c.is_ascii_digit()))
                .then_some(Status::NotYet)
        }
    }
}

/// The value of the section's `- KEY:` line, if it has one; two such lines are a problem.
fn value_of<'a>(section: &Section<'a>, key: &str, problems: &mut Vec<String>) -> Option<&'a str> {
    let prefix = format!("- {key}:");
    let values: Vec<&'a str> = section
        .lines
        .iter()
        .copied()
        .filter_map(|line| line.trim_start().strip_prefix(prefix.as_str()))
        .map(str::trim)
        .collect();
    if values.len() > 1 {
        problems.push(format!("{} `{prefix}` lines, not one", values.len()));
    }
    values.first().copied()
}

/// The backquoted pieces of a `Code:` or `Tests:` value; an odd number of backquotes is a problem.
fn quoted<'a>(value: &'a str, key: &str, problems: &mut Vec<String>) -> Vec<&'a str> {
    if !value.matches('`').count().is_multiple_of(2) {
        problems.push(format!("the `{key}:` line has an unclosed backquote"));
    }
    value.split('`').skip(1).step_by(2).collect()
}

/// The `Code:` pieces as files, each with the items named after it (a piece with a `/` is a
/// file; items before any file are listed under the empty path).
fn code_entries<'a>(pieces: &[&'a str]) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut entries: Vec<(&'a str, Vec<&'a str>)> = Vec::new();
    for &piece in pieces {
        if piece.contains('/') {
            entries.push((piece, Vec::new()));
        } else if let Some((_, items)) = entries.last_mut() {
            items.push(piece);
        } else {
            entries.push(("", vec![piece]));
        }
    }
    entries
}

/// The problems of one rule's section.
fn check_section(section: &Section<'_>, sources: &Sources) -> Vec<String> {
    let rule = section.rule;
    let mut problems = Vec::new();
    let status = match value_of(section, "Status", &mut problems) {
        None => {
            problems.push("no `- Status:` line".to_owned());
            None
        }
        Some(value) => {
            let status = status_of(value);
            if status.is_none() {
                problems.push(format!(
                    "status `{value}` is not `enforced`, `informational` or \
                     `not yet enforced (issue N)`"
                ));
            }
            status
        }
    };
    let needs = matches!(status, Some(Status::Enforced | Status::Informational));

    let code = value_of(section, "Code", &mut problems)
        .map(|value| code_entries(&quoted(value, "Code", &mut problems)))
        .unwrap_or_default();
    if needs && code.is_empty() {
        problems.push("lists no code (`- Code:` with a file and a function)".to_owned());
    }
    for (path, items) in &code {
        if path.is_empty() {
            problems.push(format!("code item(s) {items:?} come before any file"));
            continue;
        }
        let Some(text) = sources.files.get(*path) else {
            problems.push(format!(
                "code file `{path}` is not a Rust source under {}",
                RUST_TREES.join(", ")
            ));
            continue;
        };
        if items.is_empty() {
            problems.push(format!("code file `{path}` names no function or type"));
        }
        for item in items {
            if !defines(text, item) {
                problems.push(format!("`{path}` defines no `{item}`"));
            }
        }
    }

    let tests = value_of(section, "Tests", &mut problems)
        .map(|value| quoted(value, "Tests", &mut problems))
        .unwrap_or_default();
    if needs && tests.is_empty() {
        problems.push("lists no test (`- Tests:`)".to_owned());
    }
    for name in &tests {
        let exists = if is_rust_name(name) {
            sources.rust_fns.contains(*name)
        } else {
            sources.titles.contains(*name)
        };
        if !exists {
            problems.push(format!(
                "test `{name}` does not exist: no `fn {name}(` in the Rust sources and no \
                 Playwright test with that title"
            ));
        }
    }
    if needs && !tests.iter().any(|name| carries(name, rule)) {
        problems.push(format!(
            "no listed test carries the rule's id (`r{rule}` in a Rust name, `R{rule}` in a \
             Playwright title)"
        ));
    }
    problems
        .into_iter()
        .map(|problem| format!("R{rule}: {problem}"))
        .collect()
}

/// Every problem of the book `rules_md` against `sources`; none when the book is sound.
fn check(rules_md: &str, sources: &Sources) -> Vec<String> {
    let sections = sections(rules_md);
    let mut problems = Vec::new();
    for rule in RULE_IDS {
        let count = sections.iter().filter(|s| s.rule == rule).count();
        if count != 1 {
            problems.push(format!("R{rule}: {count} sections, not exactly one"));
        }
    }
    for section in &sections {
        if RULE_IDS.contains(&section.rule) {
            problems.extend(check_section(section, sources));
        } else {
            problems.push(format!("R{}: not a rule (R1 to R22)", section.rule));
        }
    }
    problems
}

/// The repository's root.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Adds to `out` every file under `dir` whose name ends with `suffix`, by its path from `root`.
fn walk(
    root: &Path,
    dir: &Path,
    suffix: &str,
    out: &mut Vec<(String, String)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(root, &path, suffix, out)?;
        } else if path.to_string_lossy().ends_with(suffix) {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let text = std::fs::read_to_string(&path)?;
            out.push((relative.to_string_lossy().replace('\\', "/"), text));
        }
    }
    Ok(())
}

/// The sources on disk under the repository `root`.
fn collect(root: &Path) -> std::io::Result<Sources> {
    let mut files = Vec::new();
    for tree in RUST_TREES {
        walk(root, &root.join(tree), ".rs", &mut files)?;
    }
    walk(root, &root.join(PLAYWRIGHT_TESTS), ".spec.ts", &mut files)?;
    Ok(Sources::from_files(files))
}

#[test]
fn rule_book_lists_every_rule_with_code_and_tests() {
    let book = std::fs::read_to_string(format!("{}/../docs/RULES.md", env!("CARGO_MANIFEST_DIR")))
        .expect("docs/RULES.md");
    let sources = collect(&repository()).expect("the sources");
    assert!(
        sources
            .rust_fns
            .contains("rule_book_lists_every_rule_with_code_and_tests")
            && !sources.titles.is_empty(),
        "the sources were not collected: {} functions, {} titles",
        sources.rust_fns.len(),
        sources.titles.len()
    );
    let problems = check(&book, &sources);
    assert!(
        problems.is_empty(),
        "docs/RULES.md has {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Small sources: an SRST module with a rule function and tests, and one Playwright test.
fn small_sources() -> Sources {
    Sources::from_files([
        (
            "app/src/domain/srst.rs".to_owned(),
            "pub fn secure_srst() {}\n#[test]\nfn r9_secure_only() {}\n\
             #[test]\nfn srst_fields_are_validated() {}\n"
                .to_owned(),
        ),
        (
            "end2end/tests/04-system.spec.ts".to_owned(),
            "test('secure SRST phones (R9)', async ({ page }) => {});\n\
             test(\"servers list their devices\", async () => {});\n"
                .to_owned(),
        ),
    ])
}

/// A book of R1–R22 where every rule is not yet enforced, but R9 whose lines are `r9`.
fn book_with_r9(r9: &str) -> String {
    let mut book = String::from("# Rules\n\nIntro.\n\n");
    for rule in RULE_IDS {
        if rule == 9 {
            book.push_str(&format!("## R9 — Secure SRST\nText.\n\n{r9}\n\n"));
        } else {
            book.push_str(&format!(
                "## R{rule} — Rule {rule}\nText.\n\n- Status: not yet enforced (issue 1)\n\n"
            ));
        }
    }
    book
}

/// R9's `Code:` line in the small books.
const R9_CODE: &str = "- Code: `app/src/domain/srst.rs` `secure_srst`";

#[test]
fn rule_book_check_accepts_a_sound_book() {
    let book = book_with_r9(&format!(
        "- Status: enforced\n{R9_CODE}\n- Tests: `srst_fields_are_validated`, \
         `secure SRST phones (R9)`"
    ));
    assert_eq!(check(&book, &small_sources()), Vec::<String>::new());
    let book = book_with_r9(&format!(
        "- Status: informational\n{R9_CODE}\n- Tests: `r9_secure_only`"
    ));
    assert_eq!(check(&book, &small_sources()), Vec::<String>::new());
}

#[test]
fn rule_book_check_fails_on_a_rule_without_a_test() {
    let sources = small_sources();
    let book = book_with_r9(&format!(
        "- Status: enforced\n{R9_CODE}\n- Tests: `srst_fields_are_validated`, \
         `servers list their devices`"
    ));
    let problems = check(&book, &sources);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("R9: no listed test carries"),
        "{problems:?}"
    );

    let book = book_with_r9(&format!("- Status: enforced\n{R9_CODE}"));
    let problems = check(&book, &sources);
    assert!(
        problems
            .iter()
            .any(|p| p == "R9: lists no test (`- Tests:`)"),
        "{problems:?}"
    );
    // A title carries `R9` only as a word: `R90` and `XR9` do not.
    assert!(carries("secure SRST (R9)", 9) && !carries("R90 and XR9", 9));
    assert!(carries("r8_r9_x", 9) && carries("x_r9", 9) && !carries("r90_x", 9));
}

#[test]
fn rule_book_check_fails_on_a_test_or_code_that_does_not_exist() {
    let book = book_with_r9(
        "- Status: enforced\n\
         - Code: `app/src/domain/srst.rs` `srst_secure`, `app/src/tftp/gone.rs` `build`\n\
         - Tests: `r9_never_written`, `secure SRST phones (R9) renamed`",
    );
    let problems = check(&book, &small_sources());
    for expected in [
        "R9: `app/src/domain/srst.rs` defines no `srst_secure`",
        "R9: code file `app/src/tftp/gone.rs` is not a Rust source",
        "R9: test `r9_never_written` does not exist",
        "R9: test `secure SRST phones (R9) renamed` does not exist",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected}: {problems:?}"
        );
    }
    assert_eq!(problems.len(), 4, "{problems:?}");
}

#[test]
fn rule_book_check_fails_on_a_missing_repeated_or_unmarked_rule() {
    let book = book_with_r9("- Status: done")
        .replace("## R5 — Rule 5", "## Notes on rule 5")
        .replace("## R7 — Rule 7", "## R7 — Rule 7\n\n## R7 — Rule 7 again")
        + "\n## R23 — Not a rule\n- Status: enforced\n";
    let problems = check(&book, &small_sources());
    for expected in [
        "R5: 0 sections, not exactly one",
        "R7: 2 sections, not exactly one",
        "R7: no `- Status:` line",
        "R9: status `done` is not",
        "R23: not a rule",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected}: {problems:?}"
        );
    }
}
