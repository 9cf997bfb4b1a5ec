//! The JSON Schema of every document wufix prints with `--json`, generated from the Rust types
//! (`--features schema`; the release exe is built without it). `wufix-schema DIR` writes them;
//! `wufix-schema --check DIR` fails when the committed ones differ from what the types say.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use wufix::diagnose::DiagnoseReport;
use wufix::diagnose::logs::LogsReport;
use wufix::explain::ExplainReport;
use wufix::report::{Envelope, ErrorReport, RepairReport, ResetReport, StatusReport};

/// A document as printed: its own fields and what every document carries.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Document<T: JsonSchema> {
    #[serde(flatten)]
    envelope: Envelope,
    #[serde(flatten)]
    report: T,
}

fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    // The shape wufix writes (a field skipped when empty is not required), not what it reads.
    fn of<T: JsonSchema>() -> serde_json::Value {
        let generator = schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        serde_json::to_value(generator.into_root_schema_for::<Document<T>>())
            .expect("a schema serialises")
    }
    vec![
        ("status", of::<StatusReport>()),
        // `reset` and `undo` print the same document.
        ("reset", of::<ResetReport>()),
        ("repair", of::<RepairReport>()),
        ("diagnose", of::<DiagnoseReport>()),
        ("explain", of::<ExplainReport>()),
        ("logs", of::<LogsReport>()),
        ("error", of::<ErrorReport>()),
        // The known-issue table is data wufix reads, not a document it prints.
        ("known-issues", {
            let generator = schemars::generate::SchemaSettings::draft2020_12()
                .for_deserialize()
                .into_generator();
            serde_json::to_value(generator.into_root_schema_for::<wufix::known_issues::Table>())
                .expect("a schema serialises")
        }),
    ]
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.schema.json"))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check, dir) = match args.as_slice() {
        [flag, dir] if flag == "--check" => (true, PathBuf::from(dir)),
        [dir] => (false, PathBuf::from(dir)),
        _ => {
            eprintln!("usage: wufix-schema [--check] DIR");
            return std::process::ExitCode::from(2);
        }
    };
    let mut stale = Vec::new();
    for (name, schema) in schemas() {
        let text = format!(
            "{}\n",
            serde_json::to_string_pretty(&schema).expect("a schema is JSON")
        );
        let path = file(&dir, name);
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::create_dir_all(&dir).expect("the schema folder can be made");
            std::fs::write(&path, text).expect("the schema can be written");
        }
    }
    if stale.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!(
            "the committed schema differs from the types: {} (run `cargo run --features schema --bin wufix-schema -- docs/schema`)",
            stale.join(", ")
        );
        std::process::ExitCode::FAILURE
    }
}
