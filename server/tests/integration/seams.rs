//! The seams between the layers, checked over the source text: the service modules import each
//! other without a cycle, no REST handler or server function reaches the store, the reset-job
//! worker holds no queries, and the services leave every query (and all SQL text) to the store.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Rust files directly in `dir` (relative to the root), by file stem.
fn sources(dir: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(root().join(dir)).expect("source folder");
    for entry in entries {
        let path = entry.expect("folder entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("file name")
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("source file");
            out.insert(stem, text);
        }
    }
    out
}

/// `source` without its unit tests (from `#[cfg(test)]` on) and without comment lines, so that
/// what remains is what the module's code refers to.
fn code_of(source: &str) -> String {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The leading identifier of `text`.
fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The items of a `{…}` group that starts `text` (after the `{`), split at its top-level commas.
fn group_items(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(text[start..i].trim());
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The sibling modules `code` names through `super::` or `crate::service::`.
fn references(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for prefix in ["super::", "crate::service::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            let named: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group_items(group).into_iter().map(identifier).collect(),
                None => vec![identifier(rest)],
            };
            out.extend(
                named
                    .into_iter()
                    .filter(|n| modules.contains(*n))
                    .map(str::to_owned),
            );
        }
    }
    out
}

/// Which module imports which, from the modules' sources by name (`mod.rs` left out).
fn import_graph(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = files.keys().filter(|m| *m != "mod").cloned().collect();
    modules
        .iter()
        .map(|m| {
            let mut deps = references(&code_of(&files[m]), &modules);
            deps.remove(m);
            (m.clone(), deps)
        })
        .collect()
}

/// A cycle of `graph` as the modules along it (first = last), if it has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    /// Depth-first search from `node`; `path` holds the modules being visited.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut done, &mut Vec::new()))
}

#[test]
fn service_modules_import_each_other_without_a_cycle() {
    let graph = import_graph(&sources("app/src/service"));
    assert!(graph.len() > 20, "the service modules were not found");
    assert_eq!(
        find_cycle(&graph),
        None,
        "service modules import in a circle"
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_through_use_lines_and_paths() {
    let files: BTreeMap<String, String> = [
        ("a", "use super::{b, AppState};\n"),
        (
            "b",
            "use super::c::{self, Thing};\n// super::d is a comment\n",
        ),
        ("c", "fn f() { super::a::g() }\n"),
        ("d", "use crate::service::{a::{x, y}, b};\n"),
    ]
    .into_iter()
    .map(|(m, s)| (m.to_owned(), s.to_owned()))
    .collect();
    let graph = import_graph(&files);
    assert_eq!(graph["d"], BTreeSet::from(["a".to_owned(), "b".to_owned()]));
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let mut acyclic = files.clone();
    acyclic.insert(
        "c".to_owned(),
        "fn f() {}\n#[cfg(test)]\nuse super::a;\n".to_owned(),
    );
    assert_eq!(find_cycle(&import_graph(&acyclic)), None);
}

/// The lines of the code of `files` (tests and comments left out) that contain `needle`.
fn lines_with(files: &BTreeMap<String, String>, needle: &str) -> Vec<String> {
    files
        .iter()
        .flat_map(|(name, text)| {
            code_of(text)
                .lines()
                .filter(|line| line.contains(needle))
                .map(|line| format!("{name}: {}", line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn rest_handlers_and_server_functions_never_reach_the_store() {
    for dir in ["server/src/rest", "app/src/api"] {
        let files = sources(dir);
        assert!(!files.is_empty(), "{dir} not found");
        let found = lines_with(&files, "store::");
        assert!(
            found.is_empty(),
            "{dir} calls the store directly: {found:#?}"
        );
    }
}

#[test]
fn no_request_handler_makes_the_internal_capability() {
    for dir in ["server/src/rest", "app/src/api", "app/src/service"] {
        let found = lines_with(&sources(dir), "Internal::at_start");
        assert!(
            found.is_empty(),
            "{dir} makes a worker's capability: {found:#?}"
        );
    }
    let mut top = sources("server/src");
    top.retain(|name, _| ["router", "middleware", "limits"].contains(&name.as_str()));
    let found = lines_with(&top, "Internal::at_start");
    assert!(
        found.is_empty(),
        "the request path makes a worker's capability: {found:#?}"
    );
}

#[test]
fn the_reset_job_worker_holds_no_queries() {
    let files = sources("server/src/jobs");
    assert!(!files.is_empty(), "server/src/jobs not found");
    for needle in ["sea_orm", "Entity::", "entities::", "Column::"] {
        let found = lines_with(&files, needle);
        assert!(
            found.is_empty(),
            "server/src/jobs queries the store: {found:#?}"
        );
    }
}

#[test]
fn services_leave_every_query_to_the_store() {
    let files = sources("app/src/service");
    let query_builders = [
        "Entity::",
        "update_many",
        "insert_many",
        "delete_many",
        "Query::select",
        "Query::insert",
        "Query::update",
        "Query::delete",
        ".exec(",
        "EntityTrait",
        "QueryFilter",
        "QuerySelect",
        "QueryOrder",
        "ColumnTrait",
        "ActiveModelTrait",
        "Statement::",
    ];
    for needle in query_builders {
        let found = lines_with(&files, needle);
        assert!(
            found.is_empty(),
            "services build queries ({needle}): {found:#?}"
        );
    }
}

/// True when the `format!` call starting `text` builds SQL (keywords in capitals, as this code
/// writes them).
fn formats_sql(text: &str) -> bool {
    let literal = text.split('"').nth(1).unwrap_or_default();
    [
        "SELECT ", "UPDATE ", "INSERT ", "DELETE ", " WHERE ", " FROM ", " IN (", " AND ", " OR ",
    ]
    .iter()
    .any(|keyword| literal.contains(keyword))
}

#[test]
fn no_service_builds_sql_text() {
    let files = sources("app/src/service");
    let mut found = Vec::new();
    for (name, text) in &files {
        let code = code_of(text);
        let mut rest = code.as_str();
        while let Some(at) = rest.find("format!(") {
            rest = &rest[at + "format!(".len()..];
            if formats_sql(rest) {
                found.push(format!(
                    "{name}: format!({}",
                    rest.lines().next().unwrap_or("")
                ));
            }
        }
        found.extend(lines_with(
            &BTreeMap::from([(name.clone(), text.clone())]),
            "Expr::cust(",
        ));
    }
    assert!(found.is_empty(), "services build SQL text: {found:#?}");
    assert!(formats_sql("\"id IN ({})\", ids)"));
    assert!(!formats_sql("\"Phone {name} updated\")"));
}
