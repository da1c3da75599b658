#!/usr/bin/env bash
# Makes the base image every meshfed JVM image is built on, from what this machine reaches: a root of Debian's
# libc6, libgcc-s1 and libstdc++6 (what the JDK and Conscrypt's BoringSSL link against; nothing else: no shell,
# no package manager), a user nonroot (65532:65532) and a runtime jlinked from the JDK the images run on.
# Written as a docker-save tarball (Jib reads it as a base, tar://...), cached by content under
# ${MESHFED_CACHE:-~/.cache/meshfed}/images: the key hashes this script, the packages' exact .deb files (name,
# version, SHA-256, as apt would fetch them) and the JDK's release file, so an unchanged input is never rebuilt.
#
# usage: build-base.sh PROPERTIES_OUT   (writes base.tar=<path> and base.key=<key> to PROPERTIES_OUT)
# env:   MESHFED_IMAGE_JDK (default /usr/lib/jvm/temurin-25-jdk-amd64), MESHFED_CACHE
# needs: root (chown to 65532), apt-get, dpkg-deb, tar, sha256sum; apt-get update is run once if apt has no lists.
set -euo pipefail

out=${1:?usage: build-base.sh PROPERTIES_OUT}
jdk=${MESHFED_IMAGE_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
cache=${MESHFED_CACHE:-$HOME/.cache/meshfed}/images
packages=(libc6 libgcc-s1 libstdc++6)
# What the functions, the bridge, the agent and local mode load (Quarkus, Vert.x/Netty, fabric8, gRPC, Bouncy
# Castle, Conscrypt, local mode's broker on jdk.httpserver); java.desktop for java.beans, which Jackson and SnakeYAML
# reach on some paths.
modules=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml,jdk.crypto.cryptoki,jdk.httpserver,jdk.management,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs

log() { echo "meshfed images: $*" >&2; }

[ -x "$jdk/bin/jlink" ] || { log "no jlink in $jdk (set MESHFED_IMAGE_JDK to a JDK 25)"; exit 1; }
uris() { apt-get download --print-uris "${packages[@]}" 2>/dev/null; }
if ! deb_list=$(uris) || [ -z "$deb_list" ]; then
  log "apt has no package lists: apt-get update"
  apt-get update -qq
  deb_list=$(uris)
fi
# "'URI' file size SHA256:..." per package; the URI's host is not part of the key.
deb_ids=$(awk '{print $2, $3, $4}' <<<"$deb_list")
key=$( { sha256sum "$0" | cut -d' ' -f1; echo "$deb_ids"; echo "$modules"; cat "$jdk/release"; } | sha256sum | cut -c1-16)
tarball=$cache/base-$key.tar

if [ -f "$tarball" ]; then
  log "base $key cached ($tarball)"
else
  start=$(date +%s)
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.base-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root=$work/rootfs
  mkdir -p "$root" "$work/debs" "$work/image"
  log "base $key: downloading ${packages[*]}"
  (cd "$work/debs" && apt-get download -q "${packages[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  for deb in "$work"/debs/*.deb; do
    want=$(awk -v f="$(basename "$deb")" '$2 == f {sub("SHA256:", "", $4); print $4}' <<<"$deb_list")
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    [ "$want" = "$got" ] || { log "$(basename "$deb"): SHA-256 $got, apt said $want"; exit 1; }
    dpkg-deb -x "$deb" "$root"
  done
  [ "$(ls "$work"/debs/*.deb | wc -l)" -eq "${#packages[@]}" ] || { log "apt-get download fetched too few packages"; exit 1; }
  rm -rf "$root"/usr/share/doc "$root"/usr/share/lintian "$root"/usr/share/locale "$root"/usr/share/man \
    "$root"/usr/share/gcc "$root"/usr/share/gdb
  log "base $key: jlink ($(sed -n 's/^JAVA_RUNTIME_VERSION=//p' "$jdk/release" | tr -d '"'), ${modules//,/ })"
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --generate-cds-archive --output "$root/opt/java" >&2
  mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot" "$root/app" "$root/proc" "$root/dev" "$root/sys"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$root/etc/hosts"
  chown 65532:65532 "$root/home/nonroot"
  log "base $key: writing the layer"
  tar --sort=name --mtime=@1 --numeric-owner -C "$root" -cf "$work/image/layer.tar" .
  diff_id=$(sha256sum "$work/image/layer.tar" | cut -d' ' -f1)
  cat >"$work/image/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:01Z",
 "config":{"User":"65532:65532","WorkingDir":"/app","Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java","HOME=/home/nonroot"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:01Z","created_by":"images/base/build-base.sh $key"}]}
JSON
  printf '[{"Config":"config.json","RepoTags":["meshfed-base:%s"],"Layers":["layer.tar"]}]\n' "$key" >"$work/image/manifest.json"
  tar --sort=name --mtime=@1 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$tarball.tmp" manifest.json config.json layer.tar
  mv "$tarball.tmp" "$tarball"
  log "base $key built in $(( $(date +%s) - start )) s: $(du -h "$tarball" | cut -f1) ($tarball)"
  # Older bases (other JDK builds, package updates) beyond the three newest go.
  ls -1t "$cache"/base-*.tar | tail -n +4 | xargs -r rm -f
fi
mkdir -p "$(dirname "$out")"
printf 'base.tar=%s\nbase.key=%s\n' "$tarball" "$key" >"$out"
