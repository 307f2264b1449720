#!/bin/bash
# SPDX-License-Identifier: MIT
# Configuration files: /etc/bucketfs.conf, then the user's
# ~/.config/bucketfs/config (XDG_CONFIG_HOME), section by section, then -o;
# config=FILE instead of both; secrets only from a private file.  The system
# file is written only when running as root, and restored afterwards.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
S=$LAB_SRC
SYS=/etc/bucketfs.conf
export XDG_CONFIG_HOME=$WORK/xdg
mkdir -p "$XDG_CONFIG_HOME/bucketfs"
USERCONF=$XDG_CONFIG_HOME/bucketfs/config

owner_mode() { stat -c '%u %g %a' "$1"; }
# a refused mount: status 1, one line, no secret shown (expect_failure in lib.sh)
SECRETS=(S3RVER hunter2)
expect_refused() { # expect_refused "description" "expected text" ARGS...
	local what=$1 text=$2
	shift 2
	expect_failure 1 "$what" "$text" -- "$@" -f
}

# --- precedence: system file < user file < -o; [default] < [bucket] < [source]
if [ "$(id -u)" = 0 ]; then
	if [ -e "$SYS" ]; then cp -p "$SYS" "$WORK/sys.orig"; fi
	restore_sys() {
		if [ -e "$WORK/sys.orig" ]; then cp -p "$WORK/sys.orig" "$SYS"; else rm -f "$SYS"; fi
	}
	trap 'restore_sys; for m in "${MOUNTS[@]}"; do fusermount3 -uz "$m" 2>/dev/null; done' EXIT
	cat >"$SYS" <<-END
		# written by bucketfs's test_config.sh; removed when it ends
		[s3://lab/tree]
		uid = 1111
		gid = 1111
		umask = 077
	END
	chmod 644 "$SYS"
	cat >"$USERCONF" <<-END
		[default]
		endpoint = $S3_EP
		gid = 3333
		[s3://lab]
		gid = 4444
		[s3://lab/tree]
		gid = 2222
		[s3://other]
		uid = 9999
	END
	mount_bfs "$M" s3://lab/tree -o umask=027 || fail "mount with both files"
	expect_eq "uid from /etc, gid from the user's [source], umask from -o" \
		"1111 2222 640" "$(owner_mode "$M/4.txt")"
	check "bytes through a configured mount" cmp -s "$M/x/1.txt" "$S/tree/x/1.txt"
	umount_bfs "$M"
	mount_bfs "$M" lab:/tree || fail "mount with the other source spelling"
	expect_eq "BUCKET:/PREFIX finds the [s3://BUCKET/PREFIX] sections" "1111 2222 600" \
		"$(owner_mode "$M/4.txt")"
	umount_bfs "$M"
	restore_sys
else
	echo "skip - not root: /etc/bucketfs.conf left alone"
fi

cat >"$USERCONF" <<-END
	[default]
	endpoint = $S3_EP
	gid = 3333
	umask = 077
	[s3://lab]
	gid = 4444
	[s3://lab/sizes]
	uid = 5555
END
mount_bfs "$M" s3://lab/tree || fail "mount with the user file"
expect_eq "[s3://BUCKET] over [default]" "$(id -u) 4444 600" "$(owner_mode "$M/4.txt")"
umount_bfs "$M"
mount_bfs "$M" s3://lab/sizes -o gid=12 || fail "mount with the user file and -o"
expect_eq "[source] over [bucket] over [default], -o over all" "5555 12 600" \
	"$(owner_mode "$M/4095.bin")"
umount_bfs "$M"

# config=FILE replaces the default files.
cat >"$WORK/alt.conf" <<-END
	[default]
	endpoint = $S3_EP
	umask = 0
END
mount_bfs "$M" s3://lab/tree -o "config=$WORK/alt.conf" || fail "mount with config="
expect_eq "config=FILE is read instead of the user file" "$(id -u) $(id -g) 777" \
	"$(owner_mode "$M/x")"
umount_bfs "$M"

# Flags: "name = true|false"; a later section's false undoes an earlier true.
cat >"$WORK/flags.conf" <<-END
	[default]
	endpoint = $S3_EP
	buffer_pool = false
	allow_other = true
	noexec = true
	[s3://lab]
	allow_other = false
END
mount_bfs "$M" s3://lab/tree -o "config=$WORK/flags.conf" || fail "flags in a config file"
opts=$(findmnt -n -o OPTIONS "$M")
check "a flag set false by a later section" bash -c "! grep -q allow_other <<<'$opts'"
check "a kernel flag from a config file" grep -q noexec <<<"$opts"
check "bytes with buffer_pool = false" cmp -s "$M/x/1.txt" "$S/tree/x/1.txt"
umount_bfs "$M"

# --- secrets: only in a private file, never on the command line
cat >"$WORK/secret.conf" <<-END
	[s3://lab]
	endpoint = $S3_EP
	access_key_id = S3RVER
	secret_access_key = S3RVER
END
chmod 644 "$WORK/secret.conf"
expect_refused "a secret in a group/other-readable file" "chmod 600 $WORK/secret.conf" \
	s3://lab "$M" -o "config=$WORK/secret.conf"
chmod 600 "$WORK/secret.conf"
(
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export HOME=$WORK
	mount_bfs "$M" s3://lab -o "config=$WORK/secret.conf,log_level=info" || exit 1
	grep -q "credentials from config file" "$WORK/mnt.log" && cmp -s "$M/top.txt" "$S/top.txt"
	rc=$?
	umount_bfs "$M"
	exit $rc
)
expect_eq "credentials from a 0600 config file, nothing in the environment" 0 $?
expect_refused "a secret on the command line" "secret_access_key' is not accepted on the command line" \
	s3://lab "$M" -o "endpoint=$S3_EP,secret_access_key=hunter2"
printf '[s3://lab]\nsecret_acess_key = hunter2\n' >"$WORK/typo.conf"
expect_refused "a misspelt secret is not echoed" "unknown option 'secret_acess_key'" \
	s3://lab "$M" -o "config=$WORK/typo.conf"

# --- bad files: clear one-line messages naming the file
printf '[default]\nstat_ttl = soon\n' >"$WORK/badval.conf"
expect_refused "a bad value in a config file" "option 'stat_ttl=soon': expected a number of seconds (in $WORK/badval.conf [default])" \
	s3://lab "$M" -o "config=$WORK/badval.conf"
printf '[s3://lab]\nfrobnicate = 1\n' >"$WORK/unknown.conf"
expect_refused "an unknown option in a config file" "unknown option 'frobnicate' (see --help) (in $WORK/unknown.conf [s3://lab])" \
	s3://lab "$M" -o "config=$WORK/unknown.conf"
printf '[s3://lab]\nuid = true\n' >"$WORK/notflag.conf"
expect_refused "true for an option that takes a value" "unknown option 'uid' (see --help) (in $WORK/notflag.conf [s3://lab])" \
	s3://lab "$M" -o "config=$WORK/notflag.conf"
printf 'endpoint = x\n[default\n' >"$WORK/broken.conf"
expect_refused "a malformed config file" "config file $WORK/broken.conf" \
	s3://lab "$M" -o "config=$WORK/broken.conf"
expect_refused "a missing config= file" "missing.conf: No such file" \
	s3://lab "$M" -o "config=$WORK/missing.conf"
printf '[default]\nconfig = /etc/passwd\n' >"$WORK/nested.conf"
expect_refused "config= inside a config file" "cannot be used inside a config file" \
	s3://lab "$M" -o "config=$WORK/nested.conf"
printf '[default]\nstat_ttl = soon\n' >"$USERCONF"
expect_refused "a bad value in the user's file" "(in $USERCONF [default])" s3://lab "$M" -o endpoint=$S3_EP
finish
