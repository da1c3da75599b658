# Shared by deploy.sh and undeploy.sh: reading the manifests, and running or printing commands.
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

# exists CMD... — true when the describe/get command CMD finds the resource. With --dry-run nothing is asked:
# the answer is ASSUME_INSTALLED (false by default: the dry run shows a fresh install; --assume-installed shows a
# re-run).
ASSUME_INSTALLED=false
exists() {
  if $DRY_RUN; then $ASSUME_INSTALLED; else "$@" >/dev/null 2>&1; fi
}
