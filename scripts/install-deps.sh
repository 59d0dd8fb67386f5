#!/usr/bin/env bash
# System packages Bulkhead's build, tests and demo use on a fresh Debian machine (root): the eBPF
# sensor's toolchain (clang, bpftool, libelf), real containers (podman + runc; containerd for the CRI), image building
# (debootstrap), rpm databases (rpm), a real registry (docker-registry,
# skopeo, htpasswd, openssl for TLS/token tests), busybox-static, python3-venv for the peer tools, GNU time.
# Idempotent: installs only what is missing.
set -euo pipefail
# /dev/null must be the null device. On machines of this kind it has been found a regular file (made so
# before the session started): every `>/dev/null` then appends to it and every `</dev/null` reads that back,
# so cargo's rustc probe (`rustc - --print=cfg`, stdin /dev/null) compiled a build script's stray compiler
# output and failed CI twice. Put the device back (root) or stop with that cause named.
# Another process writing `>/dev/null` between the rm and the mknod creates a regular file again
# (seen here): retry a few times.
if [ ! -c /dev/null ]; then
  echo "[install-deps] /dev/null is not a character device; recreating it" >&2
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    rm -f /dev/null
    mknod -m 666 /dev/null c 1 3 2>/dev/zero && break
  done
  [ -c /dev/null ] \
    || { echo "[install-deps] cannot recreate /dev/null (need root and CAP_MKNOD)" >&2; exit 1; }
fi
need=()
for pair in podman:podman runc:runc debootstrap:debootstrap rpm:rpm rpmbuild:rpm \
            docker-registry:docker-registry skopeo:skopeo busybox:busybox-static htpasswd:apache2-utils \
            openssl:openssl jq:jq /usr/bin/time:time containerd:containerd \
            ruby:ruby php:php-cli go:golang-go java:default-jre-headless node:nodejs npm:npm \
            kubectl:kubernetes-client; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
# The eBPF sensor (crates/bulkhead-sensor): clang compiles its CO-RE program, bpftool makes the
# kernel's vmlinux.h, libbpf-sys builds libbpf against libelf and zlib.
for pair in clang:clang bpftool:bpftool pkg-config:pkg-config make:make; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -f /usr/include/gelf.h ] || need+=(libelf-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
perl -MDpkg::Version -e1 >/dev/null 2>&1 || need+=(libdpkg-perl)   # dpkg's own version order (oracle)
# Version-order oracles of the language ecosystems (crates/bulkhead-versions/tests/lang_versions.rs).
[ -d /usr/share/php/Composer/Semver ] || need+=(php-composer-semver)
[ -d /usr/share/gocode/src/golang.org/x/mod ] || need+=(golang-golang-x-mod-dev)
ls /usr/share/maven/lib/maven-artifact*.jar /usr/share/java/maven-artifact*.jar >/dev/null 2>&1 || need+=(libmaven3-core-java)
if [ ${#need[@]} -gt 0 ]; then
  echo "[install-deps] apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# podman needs this on machines whose processes lack CAP_SYS_RESOURCE (see RECIPES).
if [ ! -f /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n' > /etc/containers/containers.conf
fi
echo "[install-deps] ok" >&2
