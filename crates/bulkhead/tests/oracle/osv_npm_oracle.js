// Independent oracle for npm matching: evaluates the OSV records of a directory (npm ecosystem)
// against "name<TAB>version[<TAB>...]" lines on stdin with node-semver (the copy npm itself ships),
// following the OSV spec (events sorted, introduced opens, fixed closes exclusively,
// last_affected inclusively; the `versions` list also matches). Prints "name<TAB>version<TAB>id".
// Usage: node osv_npm_oracle.js OSV_DIR SEMVER_MODULE_DIR < packages
const fs = require('fs');
const path = require('path');
const [dir, semverDir] = process.argv.slice(2);
const semver = require(semverDir);

function affected(a, version) {
  if ((a.versions || []).includes(version)) return true;
  for (const r of a.ranges || []) {
    if (r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM') continue;
    const evs = r.events.map((e) => {
      const [k, v] = Object.entries(e)[0];
      return { k, v };
    }).filter((e) => e.k !== 'limit');
    evs.sort((x, y) => {
      const xz = x.k === 'introduced' && x.v === '0';
      const yz = y.k === 'introduced' && y.v === '0';
      if (xz || yz) return xz === yz ? 0 : (xz ? -1 : 1);
      return semver.compare(x.v, y.v);
    });
    let inside = false;
    for (const e of evs) {
      if (e.k === 'introduced') {
        if (e.v === '0' || semver.gte(version, e.v)) inside = true;
      } else if (e.k === 'fixed') {
        if (semver.gte(version, e.v)) inside = false;
      } else if (e.k === 'last_affected') {
        if (semver.gt(version, e.v)) inside = false;
      }
    }
    if (inside) return true;
  }
  return false;
}

const records = fs.readdirSync(dir).filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
const input = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean);
const out = new Set();
for (const line of input) {
  const [name, version] = line.split('\t');
  if (!semver.valid(version)) continue;
  for (const rec of records) {
    for (const a of rec.affected || []) {
      if (!a.package || a.package.ecosystem !== 'npm' || a.package.name !== name) continue;
      if (affected(a, version)) out.add(`${name}\t${version}\t${rec.id}`);
    }
  }
}
for (const l of [...out].sort()) console.log(l);
