// Oracle for tests/lang_versions.rs: node-semver's compare().
// Usage: node node_semver_oracle.js SEMVER_DIR PAIRS. PAIRS holds lines `HEX_A,HEX_B` (UTF-8,
// hex-encoded). One output line per pair: `<loose> <strict>`, each `<`, `=`, `>` or `E` (throws).
// The first output line is `# semver <version>`.
'use strict'
const fs = require('fs')
const path = require('path')
const dir = process.argv[2]
const semver = require(dir)
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
const cmp = (a, b, loose) => {
  try {
    const r = semver.compare(a, b, loose)
    return r < 0 ? '<' : r > 0 ? '>' : '='
  } catch (e) {
    return 'E'
  }
}
const out = ['# semver ' + pkg.version]
for (const line of fs.readFileSync(process.argv[3], 'ascii').split('\n')) {
  if (!line) continue
  const [ha, hb] = line.split(',')
  const a = Buffer.from(ha, 'hex').toString('utf8')
  const b = Buffer.from(hb, 'hex').toString('utf8')
  out.push(cmp(a, b, true) + ' ' + cmp(a, b, false))
}
process.stdout.write(out.join('\n') + '\n')
