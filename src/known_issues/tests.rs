use super::*;

fn month_or_day(text: &str) -> bool {
    let full = if text.len() == 7 {
        format!("{text}-01")
    } else {
        text.to_string()
    };
    full.len() == 10 && full.parse::<jiff::civil::Date>().is_ok()
}

fn kb(text: &str) -> bool {
    text.strip_prefix("KB")
        .is_some_and(|d| (6..=7).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The table's integrity: every entry dated and sourced, every field in its form. A failing
/// entry is named, so a hand edit that drops a source fails the build's tests.
fn problems(table: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if !month_or_day(&table.checked) {
        out.push(format!(
            "table: checked {:?} is not YYYY-MM[-DD]",
            table.checked
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for e in &table.entries {
        let id = &e.id;
        if !ids.insert(id.clone()) {
            out.push(format!("{id}: id used twice"));
        }
        let plain = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if id.is_empty() || !id.chars().all(plain) {
            out.push(format!("{id}: id must be lower case"));
        }
        if !e.source.url.starts_with("https://") || e.source.title.trim().is_empty() {
            out.push(format!("{id}: no public source"));
        }
        if !month_or_day(&e.checked) {
            out.push(format!("{id}: checked {:?} is not a date", e.checked));
        } else if e.checked.as_str() > table.checked.as_str()
            && !e.checked.starts_with(&table.checked)
        {
            out.push(format!("{id}: checked after the table was"));
        }
        if !month_or_day(&e.since) {
            out.push(format!("{id}: since {:?} is not a date", e.since));
        }
        for c in &e.codes {
            if code_value(c).is_none() {
                out.push(format!("{id}: code {c:?} is not 0x + 8 hex digits"));
            }
        }
        for k in e.kbs.iter().chain(e.fixed_in.iter()) {
            if !kb(k) {
                out.push(format!("{id}: {k:?} is not a KB number"));
            }
        }
        for r in &e.packages {
            if r.ubr_from > r.ubr_to || r.build < 10240 {
                out.push(format!("{id}: build range {r:?} is not a range"));
            }
        }
        if e.symptom.trim().is_empty() || e.action.text.trim().is_empty() {
            out.push(format!("{id}: says no symptom or no action"));
        }
    }
    out
}

#[test]
fn the_shipped_table_is_dated_and_sourced_entry_by_entry() {
    let table = table();
    assert!(
        table.entries.len() >= 7,
        "the reference's entries are all there"
    );
    assert_eq!(problems(table), Vec::<String>::new());
}

#[test]
fn an_entry_without_its_source_or_date_fails() {
    let good = include_str!("../../data/known-issues.json");
    let mut doc: serde_json::Value = serde_json::from_str(good).unwrap();
    // Without a source the table does not even parse: the field is required.
    let mut no_source = doc.clone();
    no_source["entries"][0]
        .as_object_mut()
        .unwrap()
        .remove("source");
    assert!(parse(&no_source.to_string()).is_err());
    // An empty source, a bad date and a bad code are each named.
    doc["entries"][0]["source"]["url"] = "".into();
    doc["entries"][1]["checked"] = "last spring".into();
    doc["entries"][2]["codes"][0] = "80240069".into();
    let found = problems(&parse(&doc.to_string()).unwrap());
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].ends_with("no public source"), "{found:?}");
    assert!(found[1].contains("is not a date"), "{found:?}");
    assert!(found[2].contains("not 0x + 8 hex digits"), "{found:?}");
    // An unknown field is a typo, not data to ignore.
    let mut typo: serde_json::Value = serde_json::from_str(good).unwrap();
    typo["entries"][0]["fixed_by"] = "KB1".into();
    assert!(parse(&typo.to_string()).is_err());
}

fn sample() -> Table {
    parse(
        r#"{"about": "", "checked": "2026-12", "entries": [
        {"id": "by-kb", "title": "t", "kbs": ["KB5034441"], "packages": [], "codes": ["0x80070643"],
         "symptom": "s", "since": "2024-01", "action": {"kind": "resize-recovery", "text": "a"},
         "fixed_in": null, "source": {"url": "https://x", "title": "x", "confidence": "microsoft"},
         "checked": "2026-12"},
        {"id": "by-build", "title": "t", "kbs": [], "packages": [{"build": 19041, "ubr_from": 5100, "ubr_to": 5199}],
         "codes": ["0x800F0922"], "symptom": "s", "since": "2024-11",
         "action": {"kind": "install-update", "text": "a"}, "fixed_in": "KB5046714",
         "source": {"url": "https://x", "title": "x", "confidence": "news"}, "checked": "2026-12"},
        {"id": "any-code", "title": "t", "kbs": ["KB5050009"], "packages": [], "codes": [],
         "symptom": "s", "since": "2025-01", "action": {"kind": "update-software", "text": "a"},
         "fixed_in": null, "source": {"url": "https://x", "title": "x", "confidence": "microsoft"},
         "checked": "2026-12"}]}"#,
    )
    .unwrap()
}

#[test]
fn a_failure_matches_by_kb_or_by_build_and_ubr_and_by_code() {
    let t = sample();
    let id = |f: Failure| find(&t, &f).map(|e| e.id.as_str());
    let kb = Failure {
        code: Some(0x80070643),
        kb: Some("kb5034441"),
        package: None,
    };
    assert_eq!(id(kb), Some("by-kb"));
    // A bare Win32 number is the HRESULT wrapping it.
    assert_eq!(
        id(Failure {
            code: Some(1603),
            ..kb
        }),
        Some("by-kb")
    );
    // The same update failing with another code is not this issue.
    assert_eq!(
        id(Failure {
            code: Some(0x80070002),
            ..kb
        }),
        None
    );
    // CBS.log's rollup packages carry a build, not a KB.
    let rollup = "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10";
    let build = Failure {
        code: Some(0x800F0922),
        kb: None,
        package: Some(rollup),
    };
    assert_eq!(id(build), Some("by-build"));
    assert_eq!(
        id(Failure {
            package: Some("Package_for_RollupFix 19041.5200.1.3"),
            ..build
        }),
        None
    );
    assert_eq!(
        id(Failure {
            package: Some("Package_for_RollupFix~~22621.5131.1.1"),
            ..build
        }),
        None
    );
    // An entry with no codes matches its update whatever the code.
    let any = Failure {
        code: Some(0x8024200B),
        kb: Some("KB5050009"),
        package: None,
    };
    assert_eq!(id(any), Some("any-code"));
    assert_eq!(id(Failure::default()), None);
}

#[test]
fn explain_finds_the_entries_of_a_code() {
    let t = sample();
    let ids: Vec<&str> = for_code(&t, 0x80070643)
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(ids, ["by-kb"]);
    assert!(for_code(&t, 0x80070002).is_empty());
    // The shipped table knows the codes the reference lists.
    for code in [0x80070643, 0x80240069, 0x80073712, 0x800F0922] {
        assert!(!for_code(table(), code).is_empty(), "0x{code:08X}");
    }
}

#[test]
fn package_versions_give_build_and_ubr() {
    assert_eq!(
        build_of("Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4061.1.7"),
        Some((26100, 4061))
    );
    assert_eq!(build_of("19041.5131.1.10"), Some((19041, 5131)));
    assert_eq!(
        build_of("Package_for_KB5034441~31bf3856ad364e35~amd64~~"),
        None
    );
    assert_eq!(build_of("not.a.version"), None);
}
