#!/bin/bash
# SPDX-License-Identifier: MIT
# Credential sources and TLS on a real mount.  (s3rver checks the access key
# id only; the signatures themselves are checked by unit tests.)
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
try_mount() { # try_mount "description" [env...] -- [options]
	local what=$1
	shift
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	mkdir -p "$M"
	if env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "${envs[@]}" "$BFS_BIN" s3://lab "$M" "$@" 2>"$WORK/err" &&
		cmp -s "$M/top.txt" "$LAB_SRC/top.txt"; then
		pass "$what"
	else
		fail "$what: $(cat "$WORK/err")"
	fi
	fusermount3 -u "$M" 2>/dev/null
	sleep 0.2
}

try_mount "environment variables" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER -- -o endpoint=$S3_EP
mkdir -p "$WORK/home/.aws"
printf '[default]\naws_access_key_id = NOPE\naws_secret_access_key = x\n[lab]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' \
	>"$WORK/home/.aws/credentials"
printf '[profile lab]\nregion = us-east-1\n' >"$WORK/home/.aws/config"
try_mount "profile= from ~/.aws/credentials" HOME=$WORK/home -- -o endpoint=$S3_EP,profile=lab
try_mount "AWS_PROFILE" HOME=$WORK/home AWS_PROFILE=lab -- -o endpoint=$S3_EP
cp "$WORK/home/.aws/credentials" "$WORK/creds-elsewhere"
try_mount "AWS_SHARED_CREDENTIALS_FILE" HOME=/nonexistent AWS_SHARED_CREDENTIALS_FILE=$WORK/creds-elsewhere AWS_PROFILE=lab -- \
	-o endpoint=$S3_EP
printf 'lab:S3RVER:S3RVER\n' >"$WORK/pw"
chmod 600 "$WORK/pw"
try_mount "passwd_file (0600)" HOME=/nonexistent -- -o endpoint=$S3_EP,passwd_file=$WORK/pw
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME=$WORK/home "$BFS_BIN" s3://lab "$M" -o endpoint=$S3_EP 2>&1)
check "the default profile's unknown key is refused at mount" grep -q "access key id" <<<"$out"

try_mount "TLS with ca_file" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER -- -o endpoint=$TLS_EP,ca_file=$LAB_CA
try_mount "TLS with verification switched off" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER -- \
	-o endpoint=$TLS_EP,insecure_skip_tls_verify
finish
