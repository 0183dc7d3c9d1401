#!/bin/sh
# Smoke test of built executables, as an operator would use them: in an
# empty directory, HOME a fresh temporary directory (so the default
# ~/.controlfreak is used), start cfkd, declare a service, start and stop
# it with cfkctl, shut cfkd down. Needs sh and coreutils only: no Bun, no
# Node, so it also shows the executables need nothing else.
#
#   sh build/smoke.sh DIR                 # DIR holds cfkd and cfkctl; cfkd -d
#   sh build/smoke.sh DIR --foreground    # cfkd in the foreground, stopped by shutdown
#   CFK_SMOKE_RUN=qemu-aarch64-static sh build/smoke.sh DIR --foreground
#                                         # each executable under that command
#
# CI runs it on dist/ (.ci/run); test/e2e/standalone.test.ts on the test build.
set -eu

dir=$(cd "${1:?usage: smoke.sh DIR [--foreground]}" && pwd)
mode=${2:---daemon}
run=${CFK_SMOKE_RUN:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/cfk-smoke.XXXXXX")
HOME=$work
export HOME
home=$HOME/.controlfreak
daemon_pid=

say() { echo "smoke: $*"; }
fail() {
  echo "smoke: FAIL: $*" >&2
  for log in "$work/cfkd.out" "$home/cfkd.log"; do
    if [ -s "$log" ]; then
      echo "smoke: the end of $log:" >&2
      tail -n 20 "$log" >&2
    fi
  done
  exit 1
}
cleanup() {
  # whatever failed, leave no daemon and no service behind
  if [ -f "$home/lock" ]; then kill -9 "$(cat "$home/lock")" 2>/dev/null || :; fi
  if [ -n "$daemon_pid" ]; then kill -9 "$daemon_pid" 2>/dev/null || :; fi
  if [ -n "${svc_pid:-}" ]; then kill -9 "$svc_pid" 2>/dev/null || :; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cfkd() { $run "$dir/cfkd" "$@"; }
cfkctl() { $run "$dir/cfkctl" "$@"; }
# wait_for WHAT COMMAND...: run COMMAND until it succeeds; give up after 30 s.
wait_for() {
  what=$1
  shift
  deadline=$(($(date +%s) + 30))
  until "$@"; do
    [ "$(date +%s)" -le "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.05
  done
}
answers() { cfkctl version >/dev/null 2>&1; }
state_is() { cfkctl status smoke | grep -q "^$1 "; }
gone() { ! kill -0 "$1" 2>/dev/null; }

cd "$work" # an empty directory

for f in cfkd cfkctl; do
  [ -x "$dir/$f" ] || fail "$dir/$f is not an executable file"
  [ "$(head -c 2 "$dir/$f")" != "#!" ] || fail "$dir/$f is a script, not a standalone executable"
done
version=$(cfkd --version)
[ -n "$version" ] || fail "cfkd --version printed nothing"
[ "$(cfkctl --version)" = "$version" ] || fail "cfkctl --version is not cfkd's ($version)"
say "version $version"

if [ "$mode" = --foreground ]; then
  cfkd >"$work/cfkd.out" 2>&1 &
  daemon_pid=$!
  wait_for "cfkd to accept connections" answers
else
  cfkd -d || fail "cfkd -d failed"
  daemon_pid=$(cat "$home/lock")
fi
say "cfkd running, pid $daemon_pid"
[ "$(cfkctl version)" = "$version" ] || fail "cfkctl version is not $version"

printf '%s\n' '# a service, as in a config file' 'service smoke cmd=sleep 300' 'service smoke startwait_secs=0.2' | cfkctl load -
[ "$(cfkctl list)" = smoke ] || fail "cfkctl list does not show the service"
cfkctl start smoke
wait_for "the service to run" state_is running
svc_pid=$(cfkctl pid smoke)
kill -0 "$svc_pid" || fail "the service's pid $svc_pid is not alive"
say "service started, pid $svc_pid"

cfkctl stop smoke
wait_for "the service to stop" state_is stopped
wait_for "the service's process to end" gone "$svc_pid"
say "service stopped"

cfkctl shutdown
if [ "$mode" = --foreground ]; then
  wait "$daemon_pid" || fail "cfkd exited with $? after shutdown"
else
  wait_for "cfkd to exit" gone "$daemon_pid"
fi
[ ! -e "$home/sock" ] || fail "the socket is still there after shutdown"
[ ! -e "$home/lock" ] || fail "the lock is still there after shutdown"
daemon_pid=
say "ok"
