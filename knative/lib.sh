# Shared by deploy.sh and undeploy.sh: reading the manifests, finding helm, and running or printing commands.
# shellcheck shell=bash

# yaml_get FILE KEY.PATH — the scalar at KEY.PATH of the first document in FILE (map keys only; a list item's
# keys count as keys of the list, so single-item lists read naturally). Reads the block-style YAML these
# manifests are written in, nothing more general; the Java tests check that it agrees with the fabric8 parser.
yaml_get() {
  awk -v want="$2" '
    /^---/ { exit }
    /^[[:space:]]*(#|$)/ { next }
    {
      line = $0
      while (match(line, /^ *- /)) line = substr(line, 1, RLENGTH - 2) "  " substr(line, RLENGTH + 1)
      match(line, /^ */); ind = RLENGTH
      rest = substr(line, ind + 1)
      k = rest; sub(/:.*/, "", k)
      v = rest; if (index(v, ":") == 0) next
      v = substr(v, index(v, ":") + 1); sub(/^[[:space:]]+/, "", v); sub(/[[:space:]]+#.*$/, "", v)
      while (depth > 0 && indent[depth] >= ind) depth--
      depth++; indent[depth] = ind; key[depth] = k
      path = key[1]; for (i = 2; i <= depth; i++) path = path "." key[i]
      if (path == want && v != "") {
        if (v ~ /^".*"$/ || v ~ /^\047.*\047$/) v = substr(v, 2, length(v) - 2)
        print v; exit
      }
    }' "$1"
}

DRY_RUN=false
# run CMD... — runs the command, or with --dry-run prints it (shell-quoted, one line) and runs nothing.
run() {
  if $DRY_RUN; then
    local out="" a
    for a in "$@"; do
      if [[ "$a" =~ ^[A-Za-z0-9_./:=,@+-]+$ ]]; then out+="$a "; else out+="'${a//\'/\'\\\'\'}' "; fi
    done
    echo "${out% }"
  else
    "$@"
  fi
}

# find_helm — the helm to run: $HELM, else helm on PATH, else the one test-peers/build.sh built (the path it wrote to
# test-peers/target/peers.properties). With --dry-run a missing helm prints as "helm".
find_helm() {
  local props h
  if [[ -n "${HELM:-}" ]]; then echo "$HELM"; return; fi
  if command -v helm >/dev/null; then command -v helm; return; fi
  props="$(dirname "${BASH_SOURCE[0]}")/../test-peers/target/peers.properties"
  if [[ -f "$props" ]]; then
    h="$(sed -n 's/^helm\.binary=//p' "$props")"
    if [[ -x "$h" ]]; then echo "$h"; return; fi
  fi
  if $DRY_RUN; then echo helm; return; fi
  echo "$(basename "$0"): no helm: set HELM, put helm on PATH, or build it with test-peers/build.sh" >&2
  exit 1
}

# release_namespace HELM RELEASE — the namespace the release is installed in; empty when it is not (or --dry-run).
release_namespace() {
  $DRY_RUN && return 0
  "$1" list --all-namespaces --filter "^$2\$" -o yaml 2>/dev/null | sed -n 's/^ *namespace: //p' | head -1
}
