#!/usr/bin/python3
"""Validate filled winget and Scoop manifests against the formats' own schemas, vendored in
packaging/*/schema (no network). Usage: validate-manifests.py PACKAGING_DIR FILLED_DIR

FILLED_DIR holds winget/*.yaml and scoop/wufix.json as scripts/release.sh wrote them. Each is
also checked the other way: a copy with a broken field must fail, so a validator that accepts
anything cannot pass."""

import copy
import json
import pathlib
import sys

import jsonschema
import yaml


def validator(schema_path):
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    cls = (
        jsonschema.Draft202012Validator
        if "2020-12" in schema.get("$schema", "")
        else jsonschema.Draft7Validator
    )
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def problems(v, doc):
    return sorted(f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(doc))


def main():
    packaging, filled = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    winget_schema = packaging / "winget" / "schema"
    checks = []
    for name, kind in [
        ("wufix.wufix.yaml", "version"),
        ("wufix.wufix.installer.yaml", "installer"),
        ("wufix.wufix.locale.en-US.yaml", "defaultLocale"),
    ]:
        doc = yaml.safe_load((filled / "winget" / name).read_text(encoding="utf-8"))
        checks.append((f"winget/{name}", validator(winget_schema / f"manifest.{kind}.1.6.0.json"), doc))
    scoop = json.loads((filled / "scoop" / "wufix.json").read_text(encoding="utf-8"))
    checks.append(("scoop/wufix.json", validator(packaging / "scoop" / "schema" / "schema.json"), scoop))

    failed = False
    for name, v, doc in checks:
        found = problems(v, doc)
        if found:
            failed = True
            print(f"{name} does not validate:", *found, sep="\n  ")
        else:
            print(f"{name}: valid")
        if "@" in json.dumps(doc).replace("wufix.wufix", ""):
            failed = True
            print(f"{name}: a placeholder was left unfilled")

    # The other way round: broken copies must be refused.
    broken = []
    installer = copy.deepcopy(checks[1][2])
    installer["Installers"][0]["InstallerSha256"] = "not-a-hash"
    broken.append(("winget installer with a bad hash", checks[1][1], installer))
    version = copy.deepcopy(checks[0][2])
    del version["DefaultLocale"]
    broken.append(("winget version without DefaultLocale", checks[0][1], version))
    bad_scoop = copy.deepcopy(scoop)
    bad_scoop["architecture"]["64bit"]["hash"] = "1234"
    broken.append(("scoop manifest with a bad hash", checks[3][1], bad_scoop))
    for name, v, doc in broken:
        if not problems(v, doc):
            failed = True
            print(f"the validator accepted a {name}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
