#!/usr/bin/env python3
"""Validate every JSON document the test suites kept (scripts/test.sh sets WUFIX_REPORTS) against
the published schema in docs/schema/, and check that every kind of document was seen.

Usage: scripts/validate-reports.py SCHEMA_DIR REPORTS_DIR [REPORTS_DIR ...]

A data file that names its schema (data/known-issues.json) is validated against that one.
"""
import json
import pathlib
import sys

import jsonschema


def schema_for(doc):
    """Which schema a document follows: the one it names (a data file), an error document's,
    else its command's."""
    if "$schema" in doc:
        return pathlib.Path(doc["$schema"]).name.removesuffix(".schema.json")
    if doc.get("ok") is False and "error" in doc:
        return "error"
    command = doc.get("command")
    return {"undo": "reset", "install": "reset"}.get(command, command)


def main():
    schema_dir = pathlib.Path(sys.argv[1])
    schemas = {
        path.name.removesuffix(".schema.json"): json.loads(path.read_text())
        for path in schema_dir.glob("*.schema.json")
    }
    seen = {name: 0 for name in schemas}
    failures = []
    total = 0
    for folder in sys.argv[2:]:
        for path in sorted(pathlib.Path(folder).glob("*.json")):
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                doc = json.loads(text)
            except json.JSONDecodeError:
                # A test that checked a non-JSON output on purpose: not a document.
                continue
            if not isinstance(doc, dict):
                continue
            name = schema_for(doc)
            if name is None:
                # Neither a report nor a data file that names its schema (data/update-domains.json).
                continue
            if name not in schemas:
                failures.append(f"{path.name}: no schema for command {doc.get('command')!r}")
                continue
            total += 1
            seen[name] += 1
            errors = sorted(
                jsonschema.Draft202012Validator(schemas[name]).iter_errors(doc),
                key=lambda e: list(e.path),
            )
            for error in errors[:3]:
                where = "/".join(str(p) for p in error.path)
                failures.append(f"{path.name} ({name}) at /{where}: {error.message[:300]}")
    missing = [name for name, n in seen.items() if n == 0]
    if missing:
        failures.append(f"no document of these kinds was produced by the tests: {', '.join(missing)}")
    for failure in failures:
        print(failure)
    print(f"reports: {total} validated against {len(schemas)} schemas; {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
