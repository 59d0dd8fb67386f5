#!/usr/bin/env python3
"""Secrets, Bulkhead vs Trivy 0.59.1, on an image with planted secrets and on the real test images.

The planted image is built here as a docker-archive (real tar layers, digests that verify):
- layer 1: files holding generated secrets of every built-in rule's format (never real
  credentials: keys made by openssl and ssh-keygen, tokens with each issuer's prefix, length and
  alphabet), and decoys that must not be reported (AWS's documentation keys, placeholders, a token
  under tests/, a lock file's integrity hashes);
- layer 2: a whiteout deleting one of the secret files (`/app/.env`), still in the image;
- the configuration: a database URL in `Env`, a token in a `RUN` step of the history.

Both tools scan it (`trivy image --scanners secret --image-config-scanners secret --input`,
`bulkhead image --scanners secret`); the script prints, per planted secret, who found it, every
decoy either reported, and both tools' wall times, then the same on the test images (clean
corpora: every report there is a false positive or a real leaked credential). Exit 1 if Bulkhead
misses a planted secret or reports a decoy.

Usage: bench/secrets-vs-trivy.py [--bulkhead BIN] [--keep DIR]
"""
import argparse, hashlib, io, json, os, random, string, subprocess, sys, tarfile, tempfile, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rnd(seed, alphabet, n):
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


AL = string.ascii_letters + string.digits
UP = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
HEX = "0123456789abcdef"


def planted(tmp):
    akid = "AKIA" + rnd(1, UP, 16)
    sak = rnd(2, B64, 40)
    files, secrets = {}, []

    def add(path, content, rule, secret):
        files[path] = files.get(path, "") + content
        secrets.append((path, rule, secret))

    add("root/.aws/credentials", f"[default]\naws_access_key_id = {akid}\n", "aws-access-key-id", akid)
    add("root/.aws/credentials", f"aws_secret_access_key = {sak}\n", "aws-secret-access-key", sak)
    add("app/sa.json", '{\n  "type": "service_account",\n  "project_id": "p-1",\n  "private_key_id": "%s"\n}\n' % rnd(3, HEX, 40), "gcp-service-account", "service_account")
    g = "AIza" + rnd(4, AL, 35)
    add("app/config.js", f'const mapsKey = "{g}";\n', "google-api-key", g)
    for seed, prefix, n, rule, path in [(6, "ghp_", 36, "github-pat", "app/.env"), (7, "gho_", 36, "github-oauth", "app/gh-oauth.txt"),
                                        (8, "ghs_", 36, "github-app-token", "app/gh-app.txt"), (9, "ghr_", 76, "github-refresh-token", "app/gh-refresh.txt")]:
        t = prefix + rnd(seed, AL, n)
        add(path, f"GITHUB_TOKEN={t}\n", rule, t)
    gl = "glpat-" + rnd(11, AL, 20)
    add("app/.gitlab.env", f"CI_TOKEN={gl}\n", "gitlab-pat", gl)
    sl = "xoxb-" + rnd(12, string.digits, 12) + "-" + rnd(13, AL, 24)
    add("app/bot.py", f'client = WebClient(token="{sl}")\n', "slack-access-token", sl)
    st = "sk_live_" + rnd(17, AL, 24)
    add("app/payments.rb", f"Stripe.api_key = '{st}'\n", "stripe-secret-token", st)
    sg = "SG." + rnd(19, AL, 22) + "." + rnd(20, AL, 43)
    add("app/mail.js", f"sgMail.setApiKey('{sg}');\n", "sendgrid-api-token", sg)
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ" + rnd(21, AL, 40) + "." + rnd(22, AL, 43)
    add("app/session.txt", f"cookie: {jwt}\n", "jwt-token", jwt)
    pw = rnd(23, AL, 16)
    add("app/settings.conf", f"DATABASE_URL=postgres://app:{pw}@db.internal:5432/app\n", "database-url-password", pw)
    auth = rnd(24, B64, 32)
    add("root/.docker/config.json", '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "%s"\n    }\n  }\n}\n' % auth, "dockerconfig-secret", auth)
    npm = "npm_" + rnd(25, AL, 36)
    add("root/.npmrc", f"//registry.npmjs.org/:_authToken={npm}\n", "npm-access-token", npm)
    for name, cmd in [("rsa.pem", ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"]),
                      ("ec.pem", ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"])]:
        f = os.path.join(tmp, name)
        subprocess.run(cmd + [f], check=True, capture_output=True)
        k = open(f).read()
        add(f"etc/ssl/private/{name}", k, "private-key", k.strip().splitlines()[1])
    f = os.path.join(tmp, "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f], check=True)
    k = open(f).read()
    add("root/.ssh/id_ed25519", k, "private-key", k.strip().splitlines()[1])
    decoys = {
        "app/README": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        "app/.env.example": "DB_PASSWORD=${DB_PASSWORD}\nAPI_TOKEN=<your-token-here>\nSECRET_KEY=changeme\n",
        "app/tests/fixtures/creds.py": "GITHUB_TOKEN = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'\n",
        "app/package-lock.json": '{"integrity": "sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A=="}\n',
    }
    return files, secrets, decoys


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def build(path, files, decoys, env_secret, hist_secret):
    l1 = tar_bytes([(p, c.encode()) for p, c in {**files, **decoys}.items()])
    l2 = tar_bytes([("app/.wh..env", b""), ("app/main.py", b"print('hi')\n")])
    diff = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin", f"DATABASE_URL=postgres://app:{env_secret}@db.internal:5432/app"]},
        "rootfs": {"type": "layers", "diff_ids": [diff(l1), diff(l2)]},
        "history": [{"created_by": "COPY . /"},
                    {"created_by": f'RUN /bin/sh -c curl -H "Authorization: token {hist_secret}" https://api.github.com/x && rm /app/.env'}],
    }).encode()
    cname = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": cname, "RepoTags": ["planted:1"], "Layers": ["l1.tar", "l2.tar"]}]).encode()
    open(path, "wb").write(tar_bytes([("manifest.json", manifest), (cname, config), ("l1.tar", l1), ("l2.tar", l2)]))


def run(cmd):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.time() - t0, p


def bulkhead_hits(bh, image):
    dt, p = run([bh, "image", image, "--scanners", "secret", "--no-cache", "-q", "-f", "json"])
    if p.returncode != 0:
        sys.exit(f"bulkhead failed: {p.stderr}")
    out = []
    for f in json.loads(p.stdout)["targets"][0]["findings"]:
        loc = f["location"]
        out.append((f["id"], (loc.get("file") or loc.get("object") or "").lstrip("/"), loc.get("line"), f["message"]))
    return dt, out


def trivy_hits(trivy, image):
    # A fresh cache each run: cold, as Bulkhead's --no-cache.
    cache = tempfile.mkdtemp()
    dt, p = run([trivy, "image", "--quiet", "--cache-dir", cache, "--scanners", "secret", "--image-config-scanners", "secret",
                 "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--format", "json", "--input", image])
    subprocess.run(["rm", "-rf", cache])
    if p.returncode != 0:
        sys.exit(f"trivy failed: {p.stderr[-2000:]}")
    out = []
    for r in json.loads(p.stdout).get("Results") or []:
        for s in r.get("Secrets") or []:
            out.append((s["RuleID"], r["Target"].lstrip("/"), s.get("StartLine"), s.get("Match", "")))
    return dt, out


# Trivy's cold secret-scan wall time per test image, measured once in this run.
TRIVY_SECRET_WALL = {}


def median_wall(cmd, runs):
    times = []
    for _ in range(runs):
        dt, p = run(cmd)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-500:]}")
        times.append(dt)
    return sorted(times)[len(times) // 2]


def cost(a, trivy, data, tmp):
    """What secret scanning adds to a vulnerability scan: cold `--scanners vuln` against
    `--scanners vuln,secret` (median of --runs each), next to Trivy's cold secret scan of the same
    image in the same run. Trivy's vulnerability scan cannot run here (its database is downloaded
    from ghcr.io, which this machine does not reach), so Trivy's `--scanners secret` alone stands for
    its `vuln,secret`: a lower bound of Trivy's time, so the ratio shown is Bulkhead's worst case."""
    db = a.db
    if not db:
        shared = os.path.join(os.path.dirname(REPO), "shared", "data")
        sources = [os.path.join(shared, "advisories-raw", "debian-security-tracker", "full-2023-04"), os.path.join(shared, "osv", "PyPI")]
        if not all(os.path.isdir(s) for s in sources):
            print("cost: ../shared/data is absent: pass --db FILE")
            return
        db = os.path.join(tmp, "cost.db")
        if os.path.exists(db):
            os.remove(db)
        subprocess.run([a.bulkhead, "db", "import", "-q", "--db", db, *sources], check=True)
    print(f"cost of secret scanning (cold, --no-cache, median of {a.runs}; Trivy's cold run above):")
    print(f"{'image':<10} {'vuln':>8} {'vuln,secret':>12} {'ratio':>6} {'trivy secret':>13} {'vs trivy':>9}")
    for img in ["bookworm", "pyvuln"]:
        path = os.path.join(data, f"{img}.docker.tar")
        if not os.path.exists(path):
            print(f"{img}: {path} missing (scripts/build-test-images.sh)")
            continue
        base = [a.bulkhead, "image", path, "--db", db, "--no-cache", "-q", "-f", "json", "-o", os.devnull]
        v = median_wall(base + ["--scanners", "vuln"], a.runs)
        vs = median_wall(base + ["--scanners", "vuln,secret"], a.runs)
        tt = TRIVY_SECRET_WALL.get(img) or trivy_hits(trivy, path)[0]
        print(f"{img:<10} {v:>7.3f}s {vs:>11.3f}s {vs / v:>5.2f}x {tt:>12.2f}s {vs / tt:>8.4f}x")
        print(f"RESULT cost image={img} vuln={v:.3f} vuln_secret={vs:.3f} ratio={vs / v:.2f} trivy_secret={tt:.2f} vs_trivy={vs / tt:.4f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulkhead", default=os.path.join(REPO, "target/release/bulkhead"))
    ap.add_argument("--keep")
    ap.add_argument("--runs", type=int, default=5, help="runs per timing of the cost section (median)")
    ap.add_argument("--db", help="advisory database for the cost section (default: built from ../shared/data)")
    a = ap.parse_args()
    trivy = subprocess.run(["bash", os.path.join(REPO, "scripts/trivy-path.sh")], capture_output=True, text=True, check=True).stdout.strip()
    tmp = a.keep or tempfile.mkdtemp()
    files, secrets, decoys = planted(tmp)
    env_secret = rnd(30, AL, 16)
    hist_secret = "ghp_" + rnd(31, AL, 36)
    image = os.path.join(tmp, "planted.docker.tar")
    build(image, files, decoys, env_secret, hist_secret)
    expect = [(p, r) for p, r, _ in secrets] + [("config.Env.DATABASE_URL", "database-url-password"), ("history[1].created_by", "github-pat")]
    bt, b = bulkhead_hits(a.bulkhead, image)
    tt, t = trivy_hits(trivy, image)
    print(f"planted image: {len(expect)} planted secrets (one in a file deleted by the next layer), {len(decoys)} decoy files")
    print(f"{'secret':<45} {'rule':<24} bulkhead  trivy")
    missed = 0
    for path, rule in expect:
        in_b = any(r == rule and (f == path or (path.startswith('config') and f == path) or (path.startswith('history') and f == path)) for r, f, _, _ in b)
        # Trivy names the image configuration's findings by the image, not the field.
        in_t = any(r == rule and (f == path or (path.startswith(("config", "history")) and f.endswith((".json", ".tar")))) for r, f, _, _ in t)
        missed += not in_b
        print(f"{path:<45} {rule:<24} {'yes' if in_b else 'NO':<9} {'yes' if in_t else 'no'}")
    decoy_b = [x for x in b if x[1] in decoys]
    decoy_t = [x for x in t if x[1] in decoys]
    extra_b = [x for x in b if x[1] not in decoys and not any(x[1] == p for p, _ in expect)]
    print(f"decoys reported: bulkhead {len(decoy_b)}, trivy {len(decoy_t)} {[x[:3] for x in decoy_t]}")
    print(f"other reports: bulkhead {[x[:3] for x in extra_b]}")
    print(f"trivy's findings: {[x[:3] for x in t]}")
    print(f"wall: bulkhead {bt:.2f} s, trivy {tt:.2f} s")
    data = os.environ.get("BULKHEAD_TESTDATA", "/var/tmp/bulkhead-testdata")
    for img in ["bookworm", "pyvuln", "npmvuln", "langvuln"]:
        path = os.path.join(data, f"{img}.docker.tar")
        if not os.path.exists(path):
            continue
        bt, b = bulkhead_hits(a.bulkhead, path)
        tt, t = trivy_hits(trivy, path)
        TRIVY_SECRET_WALL[img] = tt
        print(f"{img}: bulkhead {len(b)} in {bt:.2f} s {[x[:2] for x in b]}; trivy {len(t)} in {tt:.2f} s {[x[:2] for x in t]}")
    cost(a, trivy, data, tmp)
    print(f"RESULT planted={len(expect)} bulkhead_missed={missed} bulkhead_decoys={len(decoy_b)}")
    sys.exit(1 if missed or decoy_b else 0)


main()
