#!/usr/bin/env bash
# Build real container test images for Bulkhead into a cache directory outside the repo.
#
# Usage: scripts/build-test-images.sh [--force] [--check] [TARGET...]
#   TARGET   one or more of: bookworm bullseye busybox rpm multilayer pyvuln npmvuln rustvuln langvuln
#            (default: all)
#            (dependencies are built too: multilayer, pyvuln and npmvuln need bookworm)
#   --force  rebuild the selected targets even if their .stamp says they are up to date
#   --check  build nothing; exit 0 if the selected targets are present and up to date, 1 otherwise
#
# Environment:
#   BULKHEAD_TESTDATA       output dir (default /var/tmp/bulkhead-testdata); must not be inside the repo
#   BULKHEAD_DEBIAN_MIRROR  Debian mirror for debootstrap (default http://deb.debian.org/debian)
#
# Outputs (in $BULKHEAD_TESTDATA):
#   bookworm.rootfs/ bullseye.rootfs/        debootstrap --variant=minbase (no .debs in var/cache/apt/archives)
#   <name>.docker.tar <name>.oci.tar <name>.ocidir/   podman save of localhost/bh-test/<name>:latest
#   <name>.expected-packages.txt            "Package\tVersion\tArchitecture" of installed dpkg packages (sorted)
#   busybox.rootfs/ busybox.docker.tar      busybox-static only, no package DB
#   rpm.rootfs/ rpm.docker.tar rpm.rpms/    SYNTHETIC rpm image (Debian's rpm 4.18, sqlite rpmdb, os-release says Rocky 9.3)
#   rpm.expected-packages.txt               "Name\t[Epoch:]Version-Release\tArch" from `rpm -qa` on the host
#   multilayer.docker.tar multilayer.oci.tar  podman build FROM bookworm: dpkg -i, dpkg --purge, whiteouts, opaque dir
#   multilayer.expected-packages.txt        dpkg-query run INSIDE the final image (independent oracle)
#   multilayer.expected-files.txt           merged filesystem of the final image (podman image mount), sorted
#   pyvuln.docker.tar                       podman build FROM bookworm + one layer of OLD, VULNERABLE PyPI releases
#                                           installed with the host's pip into /usr/local/lib/python3.11/dist-packages
#                                           (needs PyPI and a python3.11 host, as Debian 12 has)
#   pyvuln.expected-python.txt              "Name\tVersion" of that dir from importlib.metadata (independent oracle)
#   npmvuln.docker.tar                      podman build FROM bookworm + /app: an npm application (its own
#                                           package.json) with OLD, VULNERABLE npm releases installed by the
#                                           host's `npm install` (needs the npm registry), nested node_modules
#   npmvuln.expected-npm.txt                "Name\tVersion\tPath" of every installed package and the app, from
#                                           `npm ls --all --parseable --long` (independent oracle)
#   rustvuln.project/                       a Rust project (Cargo.toml, Cargo.lock from `cargo generate-lockfile`)
#                                           locked to OLD crates with RustSec advisories (needs crates.io)
#   langvuln.docker.tar                     podman build FROM bookworm + executables with embedded package lists:
#                                           Debian's Go binaries (age, fzf: GOPATH builds, Go version only), a Go
#                                           module binary built here (Debian's golang-go and x/net sources, vendor
#                                           mode; plus a -trimpath -s -w copy), and the rustvuln project built with
#                                           cargo-auditable (needs crates.io and Debian's packages); Debian's Java
#                                           archives and Ruby gems, a .war with nested jars, a jar without coordinates
#   langbig.docker.tar                      (only when asked: bench/sbom-vs-trivy.sh) a large application image for
#                                           the language benchmark: an npm application of ~1,500 installed packages,
#                                           200 copies of langvuln's Go and Rust binaries, 5 copies of pyvuln's
#                                           Python packages, Debian's gems (no Java archives: Trivy stops on them)
#   langvuln.root/                          the executables the image adds, as a directory (`fs`/rootfs reads)
#   langvuln.expected-binaries.txt          "Path\tModule\tVersion" from `go version -m` and `cargo tree` (oracle)
#   langvuln.expected-java.txt              "Path\tgroup:artifact\tVersion" of every pom.properties (Python zipfile)
#   langvuln.expected-gems.txt              "Gemspec\tDebian version" of the ruby-* packages' gemspecs
#   <name>.stamp, manifest.txt
#
# Each target writes <name>.stamp when it is complete; a re-run with fresh stamps takes about a second.
# Requires root (debootstrap, podman import/build, rpm --root). Installs missing tools with apt-get.
set -Eeuo pipefail

# Bump a target's recipe version when its recipe changes: the next run rebuilds it (and what depends on it).
declare -A RECIPE=(
  [bookworm.rootfs]=1 [bullseye.rootfs]=1
  [bookworm]=1 [bullseye]=1
  [busybox]=1 [rpm]=2 [multilayer]=2 [pyvuln]=1 [npmvuln]=1 [rustvuln]=1 [langvuln]=2 [langbig]=2
)
declare -A DEPS=(
  [bookworm]="bookworm.rootfs" [bullseye]="bullseye.rootfs" [multilayer]="bookworm" [pyvuln]="bookworm" [npmvuln]="bookworm" [langvuln]="bookworm rustvuln" [langbig]="bookworm pyvuln langvuln"
)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${BULKHEAD_TESTDATA:-/var/tmp/bulkhead-testdata}"
MIRROR="${BULKHEAD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
P=(podman --runtime runc --cgroup-manager cgroupfs)
IMG_PREFIX="localhost/bh-test"
ALL_TARGETS=(bookworm bullseye busybox rpm multilayer pyvuln npmvuln rustvuln langvuln)

log()  { printf '[build-test-images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[build-test-images] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
# shellcheck disable=SC2154  # rc is assigned inside the trap string
trap 'rc=$?; printf "[build-test-images] ERROR: command failed (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit $rc' ERR

FORCE=0; CHECK=0; TARGETS=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    bookworm|bullseye|busybox|rpm|multilayer|pyvuln|npmvuln|rustvuln|langvuln|langbig) TARGETS+=("$a") ;;
    *) die "unknown argument '$a' (try --help)" ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

# ---------------------------------------------------------------------------------------------------------
# Sanity: root, output dir outside the repo.
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, podman import/build, rpm --root)"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"
case "$OUT/" in "$(cd "$REPO" && pwd -P)/"*) die "BULKHEAD_TESTDATA ($OUT) must not be inside the repo ($REPO)";; esac
WORK="$OUT/.work"

# ---------------------------------------------------------------------------------------------------------
# Stamps. <name>.stamp holds "recipe=N", "built=<unique id>", "dep <dep>=<dep's built id>", "sha256 <file> <hex>".
stamp() { echo "$OUT/$1.stamp"; }
stamp_get() { [ -f "$(stamp "$1")" ] && sed -n "s/^$2=//p" "$(stamp "$1")" | head -1 || true; }
outputs_of() {
  case "$1" in
    *.rootfs) echo "$1/" ;;
    bookworm|bullseye) echo "$1.docker.tar $1.oci.tar $1.ocidir/ $1.expected-packages.txt" ;;
    busybox) echo "busybox.rootfs/ busybox.docker.tar busybox.expected-packages.txt" ;;
    rpm) echo "rpm.rootfs/ rpm.rpms/ rpm.docker.tar rpm.expected-packages.txt" ;;
    multilayer) echo "multilayer.docker.tar multilayer.oci.tar multilayer.expected-packages.txt multilayer.expected-files.txt" ;;
    pyvuln) echo "pyvuln.docker.tar pyvuln.expected-python.txt" ;;
    npmvuln) echo "npmvuln.docker.tar npmvuln.expected-npm.txt" ;;
    rustvuln) echo "rustvuln.project/" ;;
    langvuln) echo "langvuln.docker.tar langvuln.root/ langvuln.expected-binaries.txt langvuln.expected-java.txt langvuln.expected-gems.txt" ;;
    langbig) echo "langbig.docker.tar" ;;
  esac
}
is_fresh() { # name -> 0 if stamp matches recipe, deps and outputs exist
  local n="$1" o d
  [ -f "$(stamp "$n")" ] || return 1
  [ "$(stamp_get "$n" recipe)" = "${RECIPE[$n]}" ] || return 1
  for o in $(outputs_of "$n"); do [ -e "$OUT/${o%/}" ] || return 1; done
  for d in ${DEPS[$n]:-}; do
    is_fresh "$d" || return 1
    grep -qx "dep $d=$(stamp_get "$d" built)" "$(stamp "$n")" || return 1
  done
}
write_stamp() { # name
  local n="$1" o d tmp
  tmp="$(stamp "$n").tmp"
  {
    echo "recipe=${RECIPE[$n]}"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ).$$.$RANDOM"
    for d in ${DEPS[$n]:-}; do echo "dep $d=$(stamp_get "$d" built)"; done
    for o in $(outputs_of "$n"); do
      [ -f "$OUT/$o" ] && echo "sha256 $o $(sha256sum "$OUT/$o" | cut -d' ' -f1)"
    done
  } > "$tmp"
  mv "$tmp" "$(stamp "$n")"
}

# Remove a directory tree safely: unmount anything left mounted below it first (a failed debootstrap can
# leave proc/sys mounted inside the target).
safe_rm() {
  local p="$1" m
  [ -e "$p" ] || return 0
  p="$(cd "$(dirname "$p")" && pwd -P)/$(basename "$p")"
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v p="$p/" 'index($2, p)==1 {print $2}' /proc/mounts | sort -r)
  rm -rf --one-file-system "$p"
}

# ---------------------------------------------------------------------------------------------------------
# Dependency closure of the selected targets, in build order.
PLAN=()
add_plan() { local t="$1" d; for d in ${DEPS[$t]:-}; do add_plan "$d"; done; [[ " ${PLAN[*]:-} " == *" $t "* ]] || PLAN+=("$t"); }
for t in "${TARGETS[@]}"; do
  case "$t" in bookworm|bullseye) add_plan "$t.rootfs" ;; esac
  add_plan "$t"
done

if [ "$CHECK" = 1 ]; then
  bad=0
  for t in "${PLAN[@]}"; do if is_fresh "$t"; then echo "fresh   $t"; else echo "MISSING $t"; bad=1; fi; done
  exit $bad
fi

exec 9>"$OUT/.lock"
flock -w 3600 9 || die "another build-test-images.sh holds $OUT/.lock"

T_START="$(now)"
TODO=()
for t in "${PLAN[@]}"; do
  if [ "$FORCE" = 1 ] && [[ " ${TARGETS[*]} " == *" ${t%.rootfs} "* ]]; then rm -f "$(stamp "$t")"; fi
  is_fresh "$t" || TODO+=("$t")
done
if [ ${#TODO[@]} -eq 0 ]; then
  log "all up to date in $OUT (${PLAN[*]}); use --force to rebuild"
fi

# ---------------------------------------------------------------------------------------------------------
# Tools (only when something must be built).
APT_UPDATED=0
apt_update_once() { [ "$APT_UPDATED" = 1 ] || { log "apt-get update"; apt-get update -qq; APT_UPDATED=1; }; }
apt_install() { apt_update_once; log "apt-get install -y $*"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
ensure_tools() {
  local need=()
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v rpmbuild >/dev/null || need+=(rpm)
  command -v python3 >/dev/null || need+=(python3)
  command -v flock >/dev/null || need+=(util-linux)
  dpkg-query -W -f '${db:Status-Status}' busybox-static 2>/dev/null | grep -qx installed || need+=(busybox-static)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
  # podman needs this here: the process lacks CAP_SYS_RESOURCE, so default RLIMIT_NOFILE settings fail.
  local cc=/etc/containers/containers.conf
  mkdir -p /etc/containers
  if [ ! -f "$cc" ]; then
    printf '[containers]\ndefault_ulimits = []\n' > "$cc"
  elif ! grep -q '^[[:space:]]*default_ulimits' "$cc"; then
    if grep -q '^\[containers\]' "$cc"; then sed -i 's/^\[containers\]$/[containers]\ndefault_ulimits = []/' "$cc"
    else printf '\n[containers]\ndefault_ulimits = []\n' >> "$cc"; fi
  fi
}

# Installed dpkg packages of an admin dir (or of the running container when $1 is empty), sorted.
dpkg_expected() {
  local fmt='${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\n'
  dpkg-query ${1:+--admindir "$1"} -W -f "$fmt" | awk -F'\t' '$1=="installed"{print $2"\t"$3"\t"$4}' | LC_ALL=C sort
}

image_id() { "${P[@]}" image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
# After re-creating a tag, remove the image it used to name (best effort: it may still be a parent of another).
drop_old_image() { # old-id ref
  [ -n "$1" ] && [ "$1" != "$(image_id "$2")" ] && "${P[@]}" rmi "$1" >/dev/null 2>&1 || true
}

# Tar a rootfs and import it as a single-layer image.
import_rootfs() { # rootfs image-ref [cmd]
  local r="$1" ref="$2" cmd="${3:-/bin/sh}" tb old
  tb="$WORK/$(basename "$1").import.tar"
  old="$(image_id "$ref")"
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$r" -cf "$tb" .
  "${P[@]}" import --quiet \
    --change "CMD [\"$cmd\"]" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tb" "$ref" >/dev/null
  rm -f "$tb"
  drop_old_image "$old" "$ref"
}

# podman save into a temp name, then move into place (never leaves a half-written archive).
save_image() { # ref format dest
  local ref="$1" fmt="$2" dest="$OUT/$3" tmp="$WORK/$3.tmp"
  safe_rm "$tmp"
  "${P[@]}" save --quiet --format "$fmt" -o "$tmp" "$ref"
  safe_rm "$dest"
  mv "$tmp" "$dest"
}

ensure_image() { # name: make sure localhost/bh-test/<name>:latest is in podman storage (archives may outlive it)
  local ref="$IMG_PREFIX/$1:latest"
  "${P[@]}" image exists "$ref" && return 0
  log "podman storage lacks $ref: loading $1.docker.tar"
  "${P[@]}" load --quiet -i "$OUT/$1.docker.tar" >/dev/null
  "${P[@]}" image exists "$ref" || die "could not restore $ref from $OUT/$1.docker.tar"
}

# ---------------------------------------------------------------------------------------------------------
build_rootfs_many() { # suites... (debootstrap in parallel: network/IO bound)
  local s pids=() t0; t0="$(now)"
  for s in "$@"; do
    safe_rm "$WORK/$s.rootfs"
    log "debootstrap --variant=minbase $s (log: $WORK/$s.debootstrap.log)"
    debootstrap --variant=minbase "$s" "$WORK/$s.rootfs" "$MIRROR" > "$WORK/$s.debootstrap.log" 2>&1 &
    pids+=($!)
  done
  local i=0 fail=0
  for s in "$@"; do
    if ! wait "${pids[$i]}"; then
      echo "---- tail of $WORK/$s.debootstrap.log ----" >&2; tail -n 30 "$WORK/$s.debootstrap.log" >&2 || true
      [ -f "$WORK/$s.rootfs/debootstrap/debootstrap.log" ] && tail -n 20 "$WORK/$s.rootfs/debootstrap/debootstrap.log" >&2
      fail=1
    fi
    i=$((i+1))
  done
  [ "$fail" = 0 ] || die "debootstrap failed (mirror $MIRROR reachable?)"
  for s in "$@"; do
    local r="$WORK/$s.rootfs"
    [ -f "$r/var/lib/dpkg/status" ] || die "$s: no var/lib/dpkg/status after debootstrap"
    rm -f "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/archives/partial/*.deb
    safe_rm "$OUT/$s.rootfs"
    mv "$r" "$OUT/$s.rootfs"
    write_stamp "$s.rootfs"
    log "$s.rootfs: $(dpkg_expected "$OUT/$s.rootfs/var/lib/dpkg" | wc -l) packages, $(du -sh "$OUT/$s.rootfs" | cut -f1)"
  done
  log "debootstrap ($*) done in $(since "$t0") s"
}

build_debian_image() { # suite
  local s="$1" ref="$IMG_PREFIX/$1:latest" t0; t0="$(now)"
  log "$s: podman import + save (docker-archive, oci-archive, oci-dir)"
  import_rootfs "$OUT/$s.rootfs" "$ref" /bin/bash
  save_image "$ref" docker-archive "$s.docker.tar"
  save_image "$ref" oci-archive "$s.oci.tar"
  save_image "$ref" oci-dir "$s.ocidir"
  dpkg_expected "$OUT/$s.rootfs/var/lib/dpkg" > "$OUT/$s.expected-packages.txt"
  write_stamp "$s"
  log "$s: done in $(since "$t0") s ($(wc -l < "$OUT/$s.expected-packages.txt") packages)"
}

build_busybox() {
  local t0 r="$WORK/busybox.rootfs" ref="$IMG_PREFIX/busybox:latest" a; t0="$(now)"
  log "busybox: rootfs with /bin/busybox (busybox-static) + applet symlinks, no package DB"
  safe_rm "$r"; mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  file_is_static=$(LC_ALL=C ldd "$r/bin/busybox" 2>&1 || true)
  case "$file_is_static" in *"not a dynamic"*|*"statically linked"*) ;; *) die "/bin/busybox is not static (install busybox-static)";; esac
  for a in sh ls cat echo cp mv rm mkdir grep sed find id env ps uname wc head tail; do ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
  printf 'root:x:0:\n' > "$r/etc/group"
  safe_rm "$OUT/busybox.rootfs"; mv "$r" "$OUT/busybox.rootfs"
  import_rootfs "$OUT/busybox.rootfs" "$ref" /bin/sh
  [ "$("${P[@]}" run --rm --network=none "$ref" /bin/sh -c 'echo busybox-ok')" = busybox-ok ] || die "busybox image does not run"
  save_image "$ref" docker-archive busybox.docker.tar
  : > "$OUT/busybox.expected-packages.txt"
  write_stamp busybox
  log "busybox: done in $(since "$t0") s"
}

# SYNTHETIC rpm image: not a real Rocky Linux. The rpm database (sqlite, rpm 4.18) is made on the Debian host
# with Debian's rpm from 3 tiny spec files built with rpmbuild (4 binary rpms: bh-hello has a subpackage
# bh-hello-libs whose SOURCERPM differs from its name); etc/os-release etc. claim Rocky Linux 9.3 so that OS
# detection is exercised.
build_rpm() {
  local t0 b="$WORK/rpmbuild" r="$WORK/rpm.rootfs" ref="$IMG_PREFIX/rpm:latest" spec; t0="$(now)"
  log "rpm: rpmbuild 3 specs, rpm --root install, synthetic os-release (Rocky 9.3)"
  safe_rm "$b"; safe_rm "$r"
  mkdir -p "$b/SPECS" "$r"
  cat > "$b/SPECS/bh-hello.spec" <<'EOF'
%global debug_package %{nil}
%global __os_install_post %{nil}
Name:           bh-hello
Epoch:          2
Version:        1.2.3
Release:        4.el9
Summary:        Bulkhead synthetic test package with an epoch
License:        MIT
URL:            https://example.invalid/bh-hello
Vendor:         Bulkhead test fixtures
BuildArch:      x86_64
%description
Synthetic package for Bulkhead's rpmdb tests (epoch 2, files in /usr/bin and /etc).
%package libs
Summary:        Bulkhead synthetic library subpackage (SOURCERPM bh-hello)
License:        MIT AND BSD-3-Clause
%description libs
Subpackage whose name differs from its source rpm.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/usr/lib64
printf '#!/bin/sh\necho hello from bh-hello\n' > %{buildroot}/usr/bin/bh-hello
chmod 0755 %{buildroot}/usr/bin/bh-hello
printf 'greeting=hello\n' > %{buildroot}/etc/bh-hello.conf
printf 'not really a shared object\n' > %{buildroot}/usr/lib64/libbh-hello.so.2
%files
/usr/bin/bh-hello
%config(noreplace) /etc/bh-hello.conf
%files libs
/usr/lib64/libbh-hello.so.2
EOF
  cat > "$b/SPECS/bh-tools.spec" <<'EOF'
%global debug_package %{nil}
%global __os_install_post %{nil}
Name:           bh-tools
Version:        0.9
Release:        3.el9
Summary:        Bulkhead synthetic test tools
License:        Apache-2.0
URL:            https://example.invalid/bh-tools
Vendor:         Bulkhead test fixtures
BuildArch:      x86_64
Requires:       bh-hello-libs
%description
Synthetic package for Bulkhead's rpmdb tests (two executables, a config directory).
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/bh-tools
printf '#!/bin/sh\necho a\n' > %{buildroot}/usr/bin/bh-tool-a
printf '#!/bin/sh\necho b\n' > %{buildroot}/usr/bin/bh-tool-b
chmod 0755 %{buildroot}/usr/bin/bh-tool-a %{buildroot}/usr/bin/bh-tool-b
printf '[main]\nverbose=0\n' > %{buildroot}/etc/bh-tools/config.ini
%files
/usr/bin/bh-tool-a
/usr/bin/bh-tool-b
%dir /etc/bh-tools
%config /etc/bh-tools/config.ini
EOF
  cat > "$b/SPECS/bh-data.spec" <<'EOF'
%global debug_package %{nil}
%global __os_install_post %{nil}
Name:           bh-data
Version:        2024.1
Release:        1.el9
Summary:        Bulkhead synthetic noarch data package
License:        GPL-2.0-or-later
URL:            https://example.invalid/bh-data
Vendor:         Bulkhead test fixtures
BuildArch:      noarch
%description
Synthetic noarch package for Bulkhead's rpmdb tests.
%install
mkdir -p %{buildroot}/usr/share/bh-data %{buildroot}/etc
printf 'data\n' > %{buildroot}/usr/share/bh-data/data.txt
printf 'path=/usr/share/bh-data\n' > %{buildroot}/etc/bh-data.conf
%files
/usr/share/bh-data/data.txt
%config(noreplace) /etc/bh-data.conf
EOF
  for spec in "$b"/SPECS/*.spec; do
    rpmbuild --quiet --nodeps --define "_topdir $b" -bb "$spec" > "$b/rpmbuild.log" 2>&1 \
      || { cat "$b/rpmbuild.log" >&2; die "rpmbuild $spec failed"; }
  done
  mapfile -t rpms < <(find "$b/RPMS" -name '*.rpm' | sort)
  [ ${#rpms[@]} -eq 4 ] || die "expected 4 binary rpms, got ${#rpms[@]}"
  mkdir -p "$r/etc" "$r/var/lib/rpm" "$r/tmp" "$r/usr/bin" "$r/usr/lib64"
  chmod 1777 "$r/tmp"
  rpm --root "$r" --dbpath /var/lib/rpm --initdb
  # --force-debian only silences Debian's "use Alien instead" warning (the option exists only in Debian's rpm).
  local fd=(); rpm --help 2>&1 | grep -q -- --force-debian && fd=(--force-debian)
  rpm --root "$r" --dbpath /var/lib/rpm -i --nodeps --nosignature --noscripts "${fd[@]}" "${rpms[@]}"
  # Synthetic OS identity (this is NOT a Rocky Linux image).
  cat > "$r/etc/os-release" <<'EOF'
# SYNTHETIC: Bulkhead test image whose rpmdb was made with Debian's rpm; not a real Rocky Linux.
NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
EOF
  echo 'Rocky Linux release 9.3 (Blue Onyx)' > "$r/etc/rocky-release"
  ln -s rocky-release "$r/etc/redhat-release"
  ln -s rocky-release "$r/etc/system-release"
  # busybox so that the image can run a shell (not registered in the rpmdb, like a hand-copied binary)
  cp /bin/busybox "$r/usr/bin/busybox"; ln -s busybox "$r/usr/bin/sh"; ln -s usr/bin "$r/bin"
  rpm --root "$r" --dbpath /var/lib/rpm -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}\t%{ARCH}\n' \
    | LC_ALL=C sort > "$WORK/rpm.expected-packages.txt"
  [ "$(wc -l < "$WORK/rpm.expected-packages.txt")" -eq 4 ] || die "rpm -qa in $r does not list 4 packages"
  [ -f "$r/var/lib/rpm/rpmdb.sqlite" ] || die "no sqlite rpmdb in $r/var/lib/rpm"
  safe_rm "$OUT/rpm.rootfs"; mv "$r" "$OUT/rpm.rootfs"
  safe_rm "$OUT/rpm.rpms"; mkdir -p "$OUT/rpm.rpms"; cp "${rpms[@]}" "$OUT/rpm.rpms/"
  mv "$WORK/rpm.expected-packages.txt" "$OUT/rpm.expected-packages.txt"
  import_rootfs "$OUT/rpm.rootfs" "$ref" /usr/bin/sh
  save_image "$ref" docker-archive rpm.docker.tar
  write_stamp rpm
  log "rpm: done in $(since "$t0") s"
}

build_multilayer() {
  local t0 ctx="$WORK/multilayer.ctx" ref="$IMG_PREFIX/multilayer:latest" base="$IMG_PREFIX/bookworm:latest" deb
  t0="$(now)"
  local ADD_PKG=tree PURGE_PKG=tzdata
  log "multilayer: podman build FROM $base (+$ADD_PKG via dpkg -i, purge $PURGE_PKG, whiteouts, opaque dir)"
  ensure_image bookworm
  local basepkgs; basepkgs="$(dpkg_expected "$OUT/bookworm.rootfs/var/lib/dpkg" | cut -f1)"
  grep -qx "$PURGE_PKG" <<<"$basepkgs" || die "$PURGE_PKG not in bookworm minbase"
  if grep -qx "$ADD_PKG" <<<"$basepkgs"; then die "$ADD_PKG already in bookworm minbase"; fi
  safe_rm "$ctx"; mkdir -p "$ctx/debs"
  # The .deb comes from the host's apt (Debian 12 = bookworm); refresh the lists if apt does not know it.
  local pol; pol="$(apt-cache policy "$ADD_PKG" 2>/dev/null || true)"
  grep -q 'Candidate: [0-9]' <<<"$pol" || apt_update_once
  (cd "$ctx/debs" && apt-get download -q -o APT::Sandbox::User=root "$ADD_PKG" >/dev/null) || die "apt-get download $ADD_PKG failed"
  deb="$(ls "$ctx/debs"/*.deb)"
  log "multilayer: using $(basename "$deb")"
  cat > "$ctx/Containerfile" <<EOF
FROM $base
# layer: add a package with dpkg -i from a .deb downloaded on the host (the COPY layer's /tmp/debs is
# whited out by the next layer)
COPY debs/ /tmp/debs/
RUN dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs
# layer: purge a package that nothing depends on (its files and dpkg info files become whiteouts)
RUN dpkg --purge $PURGE_PKG
# layer: create plain files, one to be modified and one to be deleted later, and /opt/d/old
RUN mkdir -p /opt/d /opt/keep && echo old > /opt/d/old && echo keep > /opt/keep/file \\
 && echo v1 > /etc/bh-modified.conf && echo temp > /etc/bh-temp.conf
# layer: delete docs and a file from an earlier layer, modify another
RUN rm -rf /usr/share/doc/* && rm -f /etc/bh-temp.conf && echo v2 > /etc/bh-modified.conf
# layer: replace a directory (opaque whiteout: /opt/d/old must disappear, /opt/d/new must exist)
RUN rm -rf /opt/d && mkdir /opt/d && touch /opt/d/new
LABEL org.opencontainers.image.title="bh-test multilayer" org.opencontainers.image.description="Bulkhead multi-layer test image"
EOF
  local old; old="$(image_id "$ref")"
  "${P[@]}" build --quiet --no-cache --network none --layers -f "$ctx/Containerfile" -t "$ref" "$ctx" \
    > "$WORK/multilayer.build.log" 2>&1 || { tail -n 40 "$WORK/multilayer.build.log" >&2; die "podman build failed"; }
  drop_old_image "$old" "$ref"
  save_image "$ref" docker-archive multilayer.docker.tar
  save_image "$ref" oci-archive multilayer.oci.tar
  # Independent oracle: dpkg-query inside the final image.
  "${P[@]}" run --rm --network=none "$ref" dpkg-query -W \
    -f '${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\n' \
    | awk -F'\t' '$1=="installed"{print $2"\t"$3"\t"$4}' | LC_ALL=C sort > "$WORK/multilayer.expected-packages.txt"
  grep -q "^$ADD_PKG	" "$WORK/multilayer.expected-packages.txt" || die "$ADD_PKG missing from the final image"
  if grep -q "^$PURGE_PKG	" "$WORK/multilayer.expected-packages.txt"; then die "$PURGE_PKG still in the final image"; fi
  # Merged filesystem as the kernel's overlayfs sees it: "type\tpath\tsize-or-link-target".
  local mnt; mnt="$("${P[@]}" image mount "$ref")"
  (cd "$mnt" && find . -mindepth 1 \( -type f -printf 'f\t%P\t%s\n' \) -o \( -type l -printf 'l\t%P\t%l\n' \) -o -printf '%y\t%P\t\n') \
    | LC_ALL=C sort -t$'\t' -k2,2 > "$WORK/multilayer.expected-files.txt"
  "${P[@]}" image unmount "$ref" >/dev/null
  # The whiteouts this image is meant to exercise must really be in the saved layers.
  python3 - "$OUT/multilayer.docker.tar" <<'PY' || die "multilayer.docker.tar lacks the expected whiteouts"
import json, sys, tarfile
outer = tarfile.open(sys.argv[1])
layers = json.load(outer.extractfile("manifest.json"))[0]["Layers"]
found = {}
for i, l in enumerate(layers):
    with tarfile.open(fileobj=outer.extractfile(l), mode="r:*") as t:
        for m in t:
            n = m.name[2:] if m.name.startswith("./") else m.name
            if "/.wh." in "/" + n:
                found.setdefault(n, i)
need = ["opt/d/.wh..wh..opq", "etc/.wh.bh-temp.conf", "tmp/.wh.debs"]
missing = [n for n in need if n not in found]
print(f"[build-test-images] multilayer: {len(layers)} layers, {len(found)} whiteout entries; "
      f"checked {need}: {'ok' if not missing else 'MISSING ' + str(missing)}", file=sys.stderr)
sys.exit(1 if missing else 0)
PY
  mv "$WORK/multilayer.expected-packages.txt" "$WORK/multilayer.expected-files.txt" "$OUT/"
  write_stamp multilayer
  log "multilayer: done in $(since "$t0") s ($(wc -l < "$OUT/multilayer.expected-packages.txt") packages)"
}

# Old PyPI releases with published advisories (pinned: changing the list means bumping RECIPE[pyvuln]).
# All wheels (pillow 9.3.0 is its first release with cp311 wheels) except PyYAML 5.1, an sdist whose C
# extension does not build on 3.11: setup.py falls back to pure Python with or without a compiler.
# Its build backend is pinned through PIP_CONSTRAINT.
PYVULN_PKGS=(
  django==3.2.12     # CVE-2022-28346, CVE-2022-34265, … (3.2.13+)
  asgiref==3.4.1     # django dependency
  sqlparse==0.4.1    # CVE-2021-32839, CVE-2023-30608
  pytz==2021.1       # django dependency
  requests==2.19.1   # CVE-2018-18074, CVE-2023-32681
  urllib3==1.24.1    # CVE-2019-11324, CVE-2019-11236, CVE-2021-33503
  idna==2.7          # CVE-2024-3651
  chardet==3.0.4     # requests dependency
  certifi==2018.4.16 # CVE-2022-23491
  jinja2==2.10       # CVE-2019-10906, CVE-2020-28493
  flask==0.12.2      # CVE-2018-1000656, CVE-2019-1010083, CVE-2023-30861
  werkzeug==0.14.1   # CVE-2019-14806, CVE-2020-28724
  pillow==9.3.0      # CVE-2023-44271, CVE-2023-50447, CVE-2024-28219
  pyyaml==5.1        # CVE-2019-20477, CVE-2020-1747, CVE-2020-14343
)

# bookworm + one layer: the PyPI packages installed for real with the host's pip (`pip install --target`,
# as many Dockerfiles do) into /usr/local/lib/python3.11/dist-packages, where bookworm's python3.11 looks.
build_pyvuln() {
  local t0 ctx="$WORK/pyvuln.ctx" ref="$IMG_PREFIX/pyvuln:latest" base="$IMG_PREFIX/bookworm:latest"
  local site=usr/local/lib/python3.11/dist-packages pyver old n
  t0="$(now)"
  pyver="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  [ "$pyver" = 3.11 ] || die "pyvuln needs the host's python3 to be 3.11 (bookworm's), not $pyver"
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  log "pyvuln: pip install --target ${#PYVULN_PKGS[@]} pinned old releases, podman build FROM $base"
  ensure_image bookworm
  safe_rm "$ctx"; mkdir -p "$ctx/site"
  printf 'setuptools==68.2.2\nwheel==0.41.3\n' > "$ctx/build-constraints.txt"
  PIP_CONSTRAINT="$ctx/build-constraints.txt" python3 -m pip install --no-deps --no-input \
    --disable-pip-version-check --root-user-action=ignore --no-warn-script-location \
    --target "$ctx/site" "${PYVULN_PKGS[@]}" > "$WORK/pyvuln.pip.log" 2>&1 \
    || { tail -n 40 "$WORK/pyvuln.pip.log" >&2; die "pip install failed (PyPI reachable?)"; }
  # Independent oracle: importlib.metadata over the installed directory.
  python3 - "$ctx/site" > "$WORK/pyvuln.expected-python.txt" <<'PY'
import importlib.metadata as m, sys
rows = {(d.metadata["Name"], d.version) for d in m.distributions(path=[sys.argv[1]])}
for name, version in sorted(rows, key=lambda r: (r[0].lower(), r[1])):
    print(f"{name}\t{version}")
PY
  n="$(wc -l < "$WORK/pyvuln.expected-python.txt")"
  [ "$n" -eq "${#PYVULN_PKGS[@]}" ] || die "importlib.metadata lists $n distributions, expected ${#PYVULN_PKGS[@]}"
  cat > "$ctx/Containerfile" <<EOF
FROM $base
COPY site/ /$site/
LABEL org.opencontainers.image.title="bh-test pyvuln" org.opencontainers.image.description="Bulkhead test image: bookworm + old vulnerable PyPI releases"
EOF
  old="$(image_id "$ref")"
  "${P[@]}" build --quiet --no-cache --network none --layers -f "$ctx/Containerfile" -t "$ref" "$ctx" \
    > "$WORK/pyvuln.build.log" 2>&1 || { tail -n 40 "$WORK/pyvuln.build.log" >&2; die "podman build failed"; }
  drop_old_image "$old" "$ref"
  save_image "$ref" docker-archive pyvuln.docker.tar
  mv "$WORK/pyvuln.expected-python.txt" "$OUT/"
  write_stamp pyvuln
  log "pyvuln: done in $(since "$t0") s ($n Python packages, $(du -sh "$ctx/site" | cut -f1) in $site)"
}

# Old npm releases with published advisories (ansi-html 0.0.7: GHSA-whgm-jr23-g3j9, in ../shared's
# OSV npm data), a scoped package (@babel/code-frame) and express 4.16.0 for a real dependency tree
# with nested node_modules. Pinned: changing the list means bumping RECIPE[npmvuln].
NPMVULN_PKGS=(ansi-html@0.0.7 lodash@4.17.15 minimist@1.2.0 @babel/code-frame@7.0.0 express@4.16.0)

build_npmvuln() {
  local t0 ctx="$WORK/npmvuln.ctx" ref="$IMG_PREFIX/npmvuln:latest" base="$IMG_PREFIX/bookworm:latest"
  local old n
  t0="$(now)"
  command -v npm >/dev/null || apt_install npm
  log "npmvuln: npm install ${#NPMVULN_PKGS[@]} pinned old releases (and their dependencies), podman build FROM $base"
  ensure_image bookworm
  safe_rm "$ctx"; mkdir -p "$ctx/app"
  printf '{"name":"bh-npm-app","version":"1.0.0","private":true,"license":"MIT"}\n' > "$ctx/app/package.json"
  (cd "$ctx/app" && npm install --no-audit --no-fund --ignore-scripts --save-exact "${NPMVULN_PKGS[@]}") \
    > "$WORK/npmvuln.npm.log" 2>&1 \
    || { tail -n 40 "$WORK/npmvuln.npm.log" >&2; die "npm install failed (npm registry reachable?)"; }
  # Independent oracle: npm's own view of the installed tree (one line per installed copy).
  (cd "$ctx/app" && npm ls --all --parseable --long) 2>/dev/null | python3 -c '
import sys
app = sys.argv[1]
for line in sys.stdin:
    path, _, ident = line.rstrip("\n").partition(":")
    name, _, version = ident.split(":")[0].rpartition("@")
    print(f"{name}\t{version}\t/app{path[len(app):]}/package.json")
' "$ctx/app" | sort > "$WORK/npmvuln.expected-npm.txt"
  n="$(wc -l < "$WORK/npmvuln.expected-npm.txt")"
  [ "$n" -gt "${#NPMVULN_PKGS[@]}" ] || die "npm ls lists only $n packages"
  cat > "$ctx/Containerfile" <<EOF
FROM $base
COPY app/ /app/
LABEL org.opencontainers.image.title="bh-test npmvuln" org.opencontainers.image.description="Bulkhead test image: bookworm + an npm application with old vulnerable releases"
EOF
  old="$(image_id "$ref")"
  "${P[@]}" build --quiet --no-cache --network none --layers -f "$ctx/Containerfile" -t "$ref" "$ctx" \
    > "$WORK/npmvuln.build.log" 2>&1 || { tail -n 40 "$WORK/npmvuln.build.log" >&2; die "podman build failed"; }
  drop_old_image "$old" "$ref"
  save_image "$ref" docker-archive npmvuln.docker.tar
  mv "$WORK/npmvuln.expected-npm.txt" "$OUT/"
  write_stamp npmvuln
  log "npmvuln: done in $(since "$t0") s ($n npm packages with the app)"
}

# A Rust project locked to old crates with RustSec advisories (regex 1.5.4: RUSTSEC-2022-0013,
# time 0.1.43: RUSTSEC-2020-0071, smallvec 1.6.0: RUSTSEC-2021-0003, chrono 0.4.19:
# RUSTSEC-2020-0159), its Cargo.lock made by the host's cargo from crates.io (no build). A directory
# (`bulkhead fs` reads a project's lockfile). Pinned: changing it means bumping RECIPE[rustvuln].
build_rustvuln() {
  local t0 dir="$OUT/rustvuln.project"
  t0="$(now)"
  command -v cargo >/dev/null || die "rustvuln needs cargo"
  log "rustvuln: cargo generate-lockfile for a project pinned to old crates"
  safe_rm "$dir"; mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<'EOF'
[package]
name = "bh-rustvuln"
version = "0.1.0"
edition = "2021"

[dependencies]
regex = "=1.5.4"
time = "=0.1.43"
smallvec = "=1.6.0"
chrono = { version = "=0.4.19", default-features = false, features = ["clock"] }

[dev-dependencies]
itoa = "=0.4.8"
EOF
  echo 'fn main() {}' > "$dir/src/main.rs"
  (cd "$dir" && CARGO_TARGET_DIR="$WORK/rustvuln.target" cargo generate-lockfile) > "$WORK/rustvuln.cargo.log" 2>&1 \
    || { tail -n 40 "$WORK/rustvuln.cargo.log" >&2; die "cargo generate-lockfile failed (crates.io reachable?)"; }
  [ -f "$dir/Cargo.lock" ] || die "no Cargo.lock"
  write_stamp rustvuln
  log "rustvuln: done in $(since "$t0") s ($(grep -c '^\[\[package\]\]' "$dir/Cargo.lock") locked crates)"
}

# Executables that carry their package lists: Go binaries from Debian packages (built in GOPATH mode:
# the Go version only), a Go module binary built here in vendor mode from Debian's x/net sources (the
# module proxy is not reachable; golang.org/x/net 0.7.0 has Go advisories), a stripped -trimpath copy,
# and the rustvuln project built with cargo-auditable (regex 1.5.4 and friends). Pinned: changing it
# means bumping RECIPE[langvuln].
LANGVULN_DEBS=(age fzf golang-golang-x-net-dev)
# Java archives and Ruby gems as Debian installs them (jars with pom.properties in /usr/share/java,
# gemspecs in /usr/share/rubygems-integration).
LANGVULN_LIB_DEBS=(libcommons-lang3-java libcommons-text-java libjackson2-databind-java libyaml-snake-java
  liblog4j2-java ruby-rack ruby-concurrent ruby-i18n)
CARGO_AUDITABLE_VERSION=0.7.7

build_langvuln() {
  local t0 ctx="$WORK/langvuln.ctx" ref="$IMG_PREFIX/langvuln:latest" base="$IMG_PREFIX/bookworm:latest"
  local old netver b tools="$WORK/cargo-tools"
  t0="$(now)"
  command -v go >/dev/null || apt_install golang-go
  command -v cargo >/dev/null || die "langvuln needs cargo"
  log "langvuln: Debian Go binaries, a vendored Go module build, a cargo-auditable build; podman build FROM $base"
  ensure_image bookworm
  safe_rm "$ctx"; mkdir -p "$ctx/root/usr/bin" "$ctx/root/usr/local/bin" "$WORK/langvuln.debs" "$WORK/langvuln.x"
  apt_update_once
  mkdir -p "$WORK/langvuln.libdebs"
  (cd "$WORK/langvuln.debs" && apt-get download -qq "${LANGVULN_DEBS[@]}" &&
    cd "$WORK/langvuln.libdebs" && apt-get download -qq "${LANGVULN_LIB_DEBS[@]}") > "$WORK/langvuln.apt.log" 2>&1 \
    || { tail -n 20 "$WORK/langvuln.apt.log" >&2; die "apt-get download failed"; }
  for b in "$WORK"/langvuln.debs/*.deb; do dpkg -x "$b" "$WORK/langvuln.x"; done
  for b in "$WORK"/langvuln.libdebs/*.deb; do dpkg -x "$b" "$ctx/root"; done
  # A web application archive with libraries nested in it (and its own coordinates), and a jar
  # with none (no pom.properties, no manifest): nested artifacts and an unidentified archive.
  mkdir -p "$ctx/root/srv"
  python3 - "$ctx/root" <<'PY'
import sys, zipfile
root = sys.argv[1]
with zipfile.ZipFile(f"{root}/srv/bh-app.war", "w", zipfile.ZIP_DEFLATED) as w:
    w.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
    w.writestr("META-INF/maven/com.example/bh-app/pom.properties",
               "groupId=com.example\nartifactId=bh-app\nversion=1.0.0\n")
    w.writestr("WEB-INF/classes/App.class", b"\xca\xfe\xba\xbe")
    for lib in ("jackson-databind", "snakeyaml"):
        w.write(f"{root}/usr/share/java/{lib}.jar", f"WEB-INF/lib/{lib}.jar")
with zipfile.ZipFile(f"{root}/srv/anonymous.jar", "w") as w:
    w.writestr("a/B.class", b"\xca\xfe\xba\xbe")
PY
  cp "$WORK/langvuln.x/usr/bin/age" "$WORK/langvuln.x/usr/bin/age-keygen" "$WORK/langvuln.x/usr/bin/fzf" "$ctx/root/usr/bin/"
  # The Go module: golang.org/x/net at Debian's upstream version, vendored.
  netver="v$(dpkg-deb -f "$WORK"/langvuln.debs/golang-golang-x-net-dev_*.deb Version | sed 's/^[0-9]*://; s/[+~-].*//')"
  mkdir -p "$WORK/goapp/vendor/golang.org/x"
  cp -r "$WORK/langvuln.x/usr/share/gocode/src/golang.org/x/net" "$WORK/goapp/vendor/golang.org/x/net"
  cat > "$WORK/goapp/go.mod" <<EOF
module example.com/bh-goapp

go 1.19

require golang.org/x/net $netver
EOF
  printf '# golang.org/x/net %s\n## explicit; go 1.17\ngolang.org/x/net/html\ngolang.org/x/net/html/atom\n' "$netver" \
    > "$WORK/goapp/vendor/modules.txt"
  cat > "$WORK/goapp/main.go" <<'EOF'
package main

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

var version = "dev"

func main() {
	doc, err := html.Parse(strings.NewReader("<p>bulkhead</p>"))
	fmt.Println(version, doc != nil, err)
}
EOF
  (cd "$WORK/goapp" && export GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
      GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" &&
    go build -ldflags "-X main.version=1.4.2" -o "$ctx/root/usr/local/bin/bh-goapp" . &&
    go build -trimpath -ldflags "-s -w" -o "$ctx/root/usr/local/bin/bh-goapp-stripped" .) \
    > "$WORK/langvuln.go.log" 2>&1 || { tail -n 40 "$WORK/langvuln.go.log" >&2; die "go build failed"; }
  # The Rust binary: cargo-auditable from crates.io, then the rustvuln project built with it.
  if [ ! -x "$tools/bin/cargo-auditable" ]; then
    log "langvuln: cargo install cargo-auditable $CARGO_AUDITABLE_VERSION"
    CARGO_TARGET_DIR="$WORK/cargo-tools.target" cargo install --quiet --locked --root "$tools" \
      cargo-auditable --version "=$CARGO_AUDITABLE_VERSION" > "$WORK/langvuln.cargo-install.log" 2>&1 \
      || { tail -n 40 "$WORK/langvuln.cargo-install.log" >&2; die "cargo install cargo-auditable failed"; }
  fi
  cp -r "$OUT/rustvuln.project" "$WORK/rustapp"
  (cd "$WORK/rustapp" && PATH="$tools/bin:$PATH" CARGO_TARGET_DIR="$WORK/rustapp.target" \
      cargo auditable build --quiet --release --locked) > "$WORK/langvuln.cargo.log" 2>&1 \
    || { tail -n 40 "$WORK/langvuln.cargo.log" >&2; die "cargo auditable build failed"; }
  cp "$WORK/rustapp.target/release/bh-rustvuln" "$ctx/root/usr/local/bin/"
  # Independent oracle: `go version -m` for every Go binary, `cargo tree` (normal dependencies) for Rust.
  {
    for b in "$ctx"/root/usr/bin/{age,age-keygen,fzf} "$ctx"/root/usr/local/bin/bh-goapp*; do
      go version -m "$b" | awk -v p="/${b#"$ctx/root/"}" '
        NR == 1 { v = $NF; sub(/^go/, "v", v); print p "\tstdlib\t" v; next }
        $1 == "=>" { name = $2; ver = $3; next }
        { if (name != "") print p "\t" name "\t" ver; name = "" }
        $1 == "mod" || $1 == "dep" { name = $2; ver = $3 }
        END { if (name != "") print p "\t" name "\t" ver }'
    done
    (cd "$WORK/rustapp" && CARGO_TARGET_DIR="$WORK/rustapp.target" cargo tree --locked -e normal --prefix none --format '{p}') \
      | awk '{ v = $2; sub(/^v/, "", v); print "/usr/local/bin/bh-rustvuln\t" $1 "\t" v }'
  } | sort -u > "$WORK/langvuln.expected-binaries.txt"
  # Java: every pom.properties of every regular .jar/.war file and of the archives nested in it,
  # read with Python's zipfile (independent of the analyzer). Ruby: each gem's Debian package.
  python3 - "$ctx/root" > "$WORK/langvuln.expected-java.txt" <<'PY'
import io, os, sys, zipfile
root = sys.argv[1]
def walk(z, where):
    for n in z.namelist():
        if n.endswith("pom.properties"):
            kv = dict(l.strip().split("=", 1) for l in z.read(n).decode().splitlines() if "=" in l)
            print(f"{where}\t{kv['groupId']}:{kv['artifactId']}\t{kv['version']}")
        elif n.endswith((".jar", ".war")):
            walk(zipfile.ZipFile(io.BytesIO(z.read(n))), f"{where}!/{n}")
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if f.endswith((".jar", ".war")) and os.path.isfile(p) and not os.path.islink(p):
            walk(zipfile.ZipFile(p), "/" + os.path.relpath(p, root))
PY
  for b in "$WORK"/langvuln.libdebs/ruby-*.deb; do
    dpkg-deb -c "$b" | awk '{print $NF}' | grep '/specifications/.*\.gemspec$' | sed 's|^\./|/|' \
      | while read -r g; do printf '%s\t%s\n' "$g" "$(dpkg-deb -f "$b" Version)"; done
  done | sort > "$WORK/langvuln.expected-gems.txt"
  grep -q $'bh-app.war!/WEB-INF/lib/snakeyaml.jar\torg.yaml:snakeyaml' "$WORK/langvuln.expected-java.txt" \
    || die "no nested snakeyaml in the oracle"
  grep -q $'bh-goapp\tgolang.org/x/net\t' "$WORK/langvuln.expected-binaries.txt" || die "go version -m lists no x/net in bh-goapp"
  grep -q $'bh-rustvuln\tregex\t1.5.4' "$WORK/langvuln.expected-binaries.txt" || die "cargo tree lists no regex 1.5.4"
  cat > "$ctx/Containerfile" <<EOF
FROM $base
COPY root/ /
LABEL org.opencontainers.image.title="bh-test langvuln" org.opencontainers.image.description="Bulkhead test image: bookworm + Go and cargo-auditable Rust executables"
EOF
  old="$(image_id "$ref")"
  "${P[@]}" build --quiet --no-cache --network none --layers -f "$ctx/Containerfile" -t "$ref" "$ctx" \
    > "$WORK/langvuln.build.log" 2>&1 || { tail -n 40 "$WORK/langvuln.build.log" >&2; die "podman build failed"; }
  drop_old_image "$old" "$ref"
  save_image "$ref" docker-archive langvuln.docker.tar
  mv "$WORK/langvuln.expected-binaries.txt" "$WORK/langvuln.expected-java.txt" "$WORK/langvuln.expected-gems.txt" "$OUT/"
  safe_rm "$OUT/langvuln.root"; mv "$ctx/root" "$OUT/langvuln.root"
  write_stamp langvuln
  log "langvuln: done in $(since "$t0") s ($(wc -l < "$OUT/langvuln.expected-binaries.txt") modules and crates)"
}

# A large application image for the language-package benchmark against Trivy (not built by default).
LANGBIG_NPM=(react-scripts@5.0.1 @angular/cli@15.0.4 webpack@5.75.0 jest@29.3.1 eslint@8.30.0 @babel/core@7.20.5 typescript@4.9.4 express@4.18.2)
build_langbig() {
  local t0 ctx="$WORK/langbig.ctx" ref="$IMG_PREFIX/langbig:latest" base="$IMG_PREFIX/bookworm:latest" old i n
  t0="$(now)"
  command -v npm >/dev/null || apt_install npm
  ensure_image bookworm
  safe_rm "$ctx"; mkdir -p "$ctx/app" "$ctx/tools" "$ctx/py" "$ctx/gems"
  log "langbig: npm install ${LANGBIG_NPM[*]}"
  printf '{"name":"bh-big-app","version":"1.0.0","private":true}\n' > "$ctx/app/package.json"
  (cd "$ctx/app" && npm install --no-audit --no-fund --ignore-scripts --save-exact "${LANGBIG_NPM[@]}") \
    > "$WORK/langbig.npm.log" 2>&1 || { tail -n 40 "$WORK/langbig.npm.log" >&2; die "npm install failed"; }
  for i in $(seq 1 40); do
    for b in age fzf; do cp "$OUT/langvuln.root/usr/bin/$b" "$ctx/tools/$b-$i"; done
    for b in bh-goapp bh-goapp-stripped bh-rustvuln; do cp "$OUT/langvuln.root/usr/local/bin/$b" "$ctx/tools/$b-$i"; done
  done
  mkdir -p "$WORK/langbig.pyvuln"
  tar -xf "$OUT/pyvuln.docker.tar" -C "$WORK/langbig.pyvuln"
  for i in 1 2 3 4 5; do
    mkdir -p "$ctx/py/venv$i/lib/python3.11/site-packages"
    python3 - "$WORK/langbig.pyvuln" "$ctx/py/venv$i/lib/python3.11/site-packages" <<'PY'
import json, os, sys, tarfile
root, dest = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(root, "manifest.json")))[0]
with tarfile.open(os.path.join(root, manifest["Layers"][-1])) as t:
    for m in t.getmembers():
        pre = "usr/local/lib/python3.11/dist-packages/"
        if m.name.startswith(pre) and m.isfile():
            m.name = m.name[len(pre):]
            t.extract(m, dest)
PY
  done
  cp -r "$OUT/langvuln.root/usr/share/rubygems-integration" "$ctx/gems/"
  n="$(find "$ctx/app/node_modules" -name package.json -path '*/node_modules/*' | wc -l)"
  cat > "$ctx/Containerfile" <<EOF
FROM $base
COPY app/ /app/
COPY tools/ /opt/tools/
COPY py/ /opt/py/
COPY gems/ /usr/share/
LABEL org.opencontainers.image.title="bh-test langbig"
EOF
  old="$(image_id "$ref")"
  "${P[@]}" build --quiet --no-cache --network none --layers -f "$ctx/Containerfile" -t "$ref" "$ctx" \
    > "$WORK/langbig.build.log" 2>&1 || { tail -n 40 "$WORK/langbig.build.log" >&2; die "podman build failed"; }
  drop_old_image "$old" "$ref"
  save_image "$ref" docker-archive langbig.docker.tar
  write_stamp langbig
  log "langbig: done in $(since "$t0") s ($n package.json files, $(ls "$ctx/tools" | wc -l) binaries)"
}

# ---------------------------------------------------------------------------------------------------------
if [ ${#TODO[@]} -gt 0 ]; then
  log "output: $OUT; to build: ${TODO[*]}"
  mkdir -p "$WORK"
  t0="$(now)"; ensure_tools; log "tools ready in $(since "$t0") s"
  suites=()
  for t in "${TODO[@]}"; do case "$t" in *.rootfs) suites+=("${t%.rootfs}") ;; esac; done
  [ ${#suites[@]} -eq 0 ] || build_rootfs_many "${suites[@]}"
  for t in "${TODO[@]}"; do
    case "$t" in
      *.rootfs) ;;
      bookworm|bullseye) build_debian_image "$t" ;;
      busybox) build_busybox ;;
      rpm) build_rpm ;;
      multilayer) build_multilayer ;;
      pyvuln) build_pyvuln ;;
      npmvuln) build_npmvuln ;;
      rustvuln) build_rustvuln ;;
      langvuln) build_langvuln ;;
      langbig) build_langbig ;;
    esac
  done
  safe_rm "$WORK"
fi

# manifest.txt: everything that exists now.
{
  echo "# Bulkhead test images in $OUT (scripts/build-test-images.sh); updated $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# target	output	kind	bytes	sha256(files)"
  for t in bookworm.rootfs bullseye.rootfs "${ALL_TARGETS[@]}"; do
    is_fresh "$t" || continue
    for o in $(outputs_of "$t"); do
      o="${o%/}"
      if [ -d "$OUT/$o" ]; then
        echo "$t	$o	dir	$(du -sb "$OUT/$o" | cut -f1)	-"
      else
        echo "$t	$o	file	$(stat -c %s "$OUT/$o")	$(sed -n "s/^sha256 $o //p" "$(stamp "$t")")"
      fi
    done
  done
} > "$OUT/manifest.txt.tmp"
mv "$OUT/manifest.txt.tmp" "$OUT/manifest.txt"
log "manifest: $OUT/manifest.txt; total $(since "$T_START") s"
