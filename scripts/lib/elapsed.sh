# Sourced by scripts/python-env and scripts/stack: run a long step with its elapsed time shown as it goes.
#
#   run_with_elapsed PREFIX "what it does" "what it installs, and an honest estimate" LOG command...
#
# Prints `PREFIX what it does: details ...` at once, `PREFIX ... still at it: 1m20s` every 20 s (every 60 s
# when stderr is not a terminal, so CI logs stay short), and `PREFIX what it does: done in 2m05s` at the end.
# The command's own output goes to LOG; on failure the last 30 lines of LOG are shown and the status returned.

format_seconds() { local s="$1"; if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }

run_with_elapsed() {
  local prefix="$1" what="$2" details="$3" log="$4"; shift 4
  local every=60; [ -t 2 ] && every=20
  printf '%s %s: %s ...\n' "$prefix" "$what" "$details" >&2
  local started=$SECONDS
  "$@" >"$log" 2>&1 &
  local pid=$! next=$every status=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - started)) -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      printf '%s ... still at it: %s\n' "$prefix" "$(format_seconds $((SECONDS - started)))" >&2
      next=$((next + every))
    fi
  done
  wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 30 "$log" >&2
    printf '%s %s failed after %s (full log: %s)\n' "$prefix" "$what" "$(format_seconds $((SECONDS - started)))" "$log" >&2
    return "$status"
  fi
  printf '%s %s: done in %s\n' "$prefix" "$what" "$(format_seconds $((SECONDS - started)))" >&2
}
