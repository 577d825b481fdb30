//! The README prints the parts table for people; this test holds it to the code's, cell by
//! cell, so the two cannot drift apart.
#![allow(clippy::unwrap_used)]

use jiesu::domain::{Action, Part, Status, part_actions};

fn cell(text: &str) -> Vec<String> {
    if text.trim() == "—" {
        return vec![];
    }
    text.split(',').map(|a| a.trim().to_owned()).collect()
}

#[test]
fn the_readme_parts_table_is_the_codes() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let header = "| status | lead | co-unit | clock owner | centre |";
    let start = readme.find(header).expect("README prints the parts table");
    let parts = [Part::Lead, Part::CoUnit, Part::ClockOwner, Part::Centre];
    let mut previous: Vec<Vec<String>> = vec![vec![]; 4];
    let mut seen = 0;
    for line in readme[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
        let statuses: Vec<Status> = cells[0]
            .split(',')
            .map(|s| Status::parse(s.trim().trim_matches('`')).unwrap())
            .collect();
        for (i, part) in parts.iter().enumerate() {
            let listed = if cells[i + 1].trim() == "as above" {
                previous[i].clone()
            } else {
                cell(cells[i + 1])
            };
            previous[i] = listed.clone();
            for status in &statuses {
                let code: Vec<String> = part_actions(*status, *part)
                    .iter()
                    .map(|a| a.as_str().to_owned())
                    .collect();
                let mut sorted_listed = listed.clone();
                sorted_listed.sort();
                let mut sorted_code = code.clone();
                sorted_code.sort();
                assert_eq!(
                    sorted_listed,
                    sorted_code,
                    "{} / {}",
                    status.as_str(),
                    part.as_str()
                );
                seen += 1;
            }
        }
    }
    assert_eq!(
        seen,
        Status::ALL.len() * parts.len(),
        "every status is in the table"
    );
    assert!(
        Action::ALL
            .iter()
            .all(|a| readme.contains(&format!("`{}`", a.as_str())) || readme.contains(a.as_str()))
    );
}

/// Every rule id a set encodes that `../shared/RULES.md` does not number is a difference the
/// README lists (issue 11: the seeds are the law, RULES.md only an index with gaps).
#[test]
fn every_project_rule_id_is_listed_among_the_differences_from_rules_md() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(digest) = std::fs::read_to_string(root.join("../shared/RULES.md")) else {
        eprintln!("SKIPPED: ../shared/RULES.md is absent");
        return;
    };
    let numbered: std::collections::BTreeSet<&str> = digest
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .collect();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("### Differences from RULES.md")
        .nth(1)
        .expect("README has a Differences from RULES.md section");
    let section = section.split("\n## ").next().unwrap();
    for set in std::fs::read_dir(root.join("policies")).unwrap() {
        let set = set.unwrap().path();
        let Ok(text) = std::fs::read_to_string(set.join("rules.toml")) else {
            continue;
        };
        let book: toml::Table = toml::from_str(&text).unwrap();
        for rule in book["rule"].as_array().unwrap() {
            let id = rule["id"].as_str().unwrap();
            if !numbered.contains(id) {
                assert!(
                    section.contains(&format!("`{id}`")),
                    "{}: `{id}` is not in RULES.md and not listed in README's differences",
                    set.display()
                );
            }
        }
    }
}
