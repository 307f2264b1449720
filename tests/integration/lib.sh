#!/bin/bash
# SPDX-License-Identifier: MIT
# Shared helpers for integration tests: real mounts through /dev/fuse against
# the lab's servers.  Each test script sources this, calls checks, and ends
# with finish, which prints "N passed, M failed" and sets the exit status.
set -uo pipefail

: "${BFS_BIN:?BFS_BIN must name the bucketfs binary}"
: "${BFS_LAB_DIR:?BFS_LAB_DIR must name a running lab (tests/lab/lab.sh start)}"
# shellcheck disable=SC1091
. "$BFS_LAB_DIR/env"

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
S3_EP="http://127.0.0.1:$LAB_S3_PORT"
PROXY_EP="http://127.0.0.1:$LAB_PROXY_PORT"
TLS_EP="https://127.0.0.1:$LAB_TLS_PORT"
WORK=$(mktemp -d /tmp/bfs-test.XXXXXX)
PASSED=0
FAILED=0
MOUNTS=()
declare -A MOUNT_PID MOUNT_LOG

pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_eq() { # expect_eq "description" expected actual
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

is_mounted() { grep -q " $1 fuse" /proc/mounts; }

# mount_bfs MOUNTPOINT SOURCE [bucketfs args...]: foreground daemon in the
# background, its stderr kept, waiting until the mount is there.
mount_bfs() {
	local mnt=$1 src=$2
	shift 2
	mkdir -p "$mnt"
	local log="$WORK/$(basename "$mnt").log"
	"$BFS_BIN" "$src" "$mnt" -f "$@" >"$log" 2>&1 &
	local pid=$!
	for _ in $(seq 1 200); do
		if is_mounted "$mnt"; then
			MOUNTS+=("$mnt")
			MOUNT_PID[$mnt]=$pid
			MOUNT_LOG[$mnt]=$log
			return 0
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	echo "mount of $src on $mnt failed:"
	cat "$log"
	kill $pid 2>/dev/null
	return 1
}

# Unmount, wait for the daemon, and fail if a sanitizer complained.
umount_bfs() {
	local mnt=$1 pid=${MOUNT_PID[$1]:-} log=${MOUNT_LOG[$1]:-}
	fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
	if [ -n "$pid" ]; then
		for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$pid" 2>/dev/null; then
			fail "daemon for $mnt did not exit after unmount"
			kill -9 "$pid"
		fi
		wait "$pid" 2>/dev/null
	fi
	if [ -n "$log" ] && grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$log"; then
		fail "sanitizer report from the daemon of $mnt:"
		grep -A30 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$log" | head -60
	fi
	unset "MOUNT_PID[$mnt]"
}

# expect_failure STATUS "description" "expected text" [VAR=value ...] -- ARGS...
# A bucketfs invocation that must fail: exit STATUS within 60 s, exactly one
# line of output containing the text (a fixed string), no mount left on $M,
# and none of the strings in the SECRETS array in the output.
SECRETS=()
expect_failure() {
	local want=$1 what=$2 text=$3 envs=() out rc s
	shift 3
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	out=$(env "${envs[@]}" timeout 60 "$BFS_BIN" "$@" 2>&1)
	rc=$?
	if is_mounted "$M"; then
		fail "$what: mounted"
		fusermount3 -uz "$M"
		return
	fi
	for s in "${SECRETS[@]}"; do
		if grep -qF -- "$s" <<<"$out"; then
			fail "$what: a secret reached the message: $out"
			return
		fi
	done
	if [ "$rc" != "$want" ]; then
		fail "$what: status $rc, expected $want: $out"
	elif ! grep -qF -- "$text" <<<"$out"; then
		fail "$what: message lacks '$text': $out"
	elif [ "$(grep -c . <<<"$out")" != 1 ]; then
		fail "$what: not one line: $out"
	else
		pass "$what: $out"
	fi
}

proxy() { # proxy clear | proxy rules JSON | proxy stats
	case $1 in
	clear) curl -s -X POST "$PROXY_EP/__control/clear" >/dev/null ;;
	rules) curl -s -X POST --data-binary "$2" "$PROXY_EP/__control/rules" >/dev/null ;;
	stats) curl -s "$PROXY_EP/__control/stats" ;;
	esac
}
proxy_count() { proxy stats | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }

# errno name of a failed read: pyread PATH [OFFSET LEN]
pyread() {
	/usr/bin/python3 - "$@" <<'PY'
import errno, os, sys
p = sys.argv[1]
off = int(sys.argv[2]) if len(sys.argv) > 2 else 0
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 20
try:
    fd = os.open(p, os.O_RDONLY)
    os.pread(fd, n, off)
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
}

finish() {
	for m in "${MOUNTS[@]}"; do
		[ -n "${MOUNT_PID[$m]:-}" ] && umount_bfs "$m"
	done
	rm -rf "$WORK"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}
trap 'for m in "${MOUNTS[@]}"; do fusermount3 -uz "$m" 2>/dev/null; done' EXIT
