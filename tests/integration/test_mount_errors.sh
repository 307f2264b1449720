#!/bin/bash
# SPDX-License-Identifier: MIT
# Every mount-time problem: one clear line naming the cause, no mount left
# behind, within a bounded time, and mount(8)'s exit statuses: 1 for a bad
# invocation (options, source), 32 for a failed mount.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
mkdir -p "$M"

# expect_mount_error STATUS "description" "expected text" [env assignments --] args...
expect_mount_error() {
	local want=$1 what=$2 text=$3
	shift 3
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ] && [[ $1 == *=* ]] && [[ $1 != -* ]] && [[ $1 != s3://* ]]; do
		envs+=("$1")
		shift
	done
	[ "${1:-}" == "--" ] && shift
	local start=$SECONDS out rc
	out=$(env "${envs[@]}" timeout 60 "$BFS_BIN" "$@" 2>&1)
	rc=$?
	local took=$((SECONDS - start))
	if [ $rc -ne "$want" ]; then
		fail "$what: exit status $rc, expected $want (output: $out)"
	elif ! grep -qF -- "$text" <<<"$out"; then
		fail "$what: message lacks '$text': $out"
	elif [ "$(grep -c . <<<"$out")" -ne 1 ]; then
		fail "$what: expected one line, got: $out"
	elif is_mounted "$M"; then
		fail "$what: a mount was left behind"
		fusermount3 -uz "$M"
	elif [ $took -gt 20 ]; then
		fail "$what: took ${took}s"
	elif grep -q "S3RVER\b.*:" <<<"$out" || grep -q "wrongsecret" <<<"$out"; then
		fail "$what: a secret reached the message"
	else
		pass "$what (${took}s): $out"
	fi
}

expect_mount_error 32 "missing bucket" "does not exist" s3://no-such-bucket "$M" -o endpoint=$S3_EP
expect_mount_error 32 "unknown access key" "access key id" AWS_ACCESS_KEY_ID=NOSUCHKEY AWS_SECRET_ACCESS_KEY=wrongsecret -- \
	s3://lab "$M" -o endpoint=$S3_EP
proxy clear
proxy rules '[{"kind":"LIST","action":"status","status":403,"code":"AccessDenied"}]'
expect_mount_error 32 "access denied" "access denied" s3://lab "$M" -o endpoint=$PROXY_EP,retries=0
proxy clear
expect_mount_error 32 "unreachable endpoint" "cannot reach http://127.0.0.1:1" s3://lab "$M" -o endpoint=http://127.0.0.1:1,retries=1
expect_mount_error 32 "unresolvable endpoint" "cannot reach" s3://lab "$M" -o endpoint=http://no-such-host.invalid,retries=0
expect_mount_error 32 "TLS failure (self-signed, not trusted)" "TLS failure" s3://lab "$M" -o endpoint=$TLS_EP,retries=0
expect_mount_error 32 "TLS failure (plain server)" "TLS failure" s3://lab "$M" -o endpoint=https://127.0.0.1:$LAB_S3_PORT,retries=0
expect_mount_error 32 "no credentials" "no credentials found" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= HOME=$WORK -- \
	s3://lab "$M" -o endpoint=$S3_EP
echo "S3RVER:wrongsecret" >"$WORK/pw"
chmod 644 "$WORK/pw"
expect_mount_error 32 "passwd file with loose permissions" "chmod 600" s3://lab "$M" -o endpoint=$S3_EP,passwd_file=$WORK/pw
expect_mount_error 1 "unknown option" "unknown option 'frobnicate'" s3://lab "$M" -o endpoint=$S3_EP,frobnicate
expect_mount_error 1 "malformed option value" "stat_ttl=soon" s3://lab "$M" -o endpoint=$S3_EP,stat_ttl=soon
expect_mount_error 1 "malformed endpoint" "endpoint" s3://lab "$M" -o endpoint=ftp://x
expect_mount_error 32 "missing mountpoint" "does not exist" s3://lab "$WORK/nowhere" -o endpoint=$S3_EP
expect_mount_error 32 "mountpoint is a file" "not a directory" s3://lab "$WORK/pw" -o endpoint=$S3_EP
expect_mount_error 1 "bad source" "not a valid bucket name" "s3://bad name" "$M" -o endpoint=$S3_EP
expect_mount_error 1 "unsupported scheme" "the schemes are" "ftp://x" "$M"

# A server that never answers: bounded by request_timeout and retries.
proxy clear
proxy rules '[{"kind":"LIST","action":"delay","seconds":30}]'
expect_mount_error 32 "server that hangs" "cannot reach" s3://lab "$M" -o endpoint=$PROXY_EP,request_timeout=1,retries=1
proxy clear

out=$("$BFS_BIN" --help)
check "--help lists options with defaults" grep -q "stat_ttl=SECS.*default: 30" <<<"$out"
check "--version" bash -c "'$BFS_BIN' --version | grep -q '^bucketfs '"
finish
