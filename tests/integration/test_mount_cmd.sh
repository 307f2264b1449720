#!/bin/bash
# SPDX-License-Identifier: MIT
# bucketfs as an ordinary filesystem: installed with cmake --install, mounted
# by mount(8) (-t bucketfs, -t fuse.bucketfs, a test fstab through -T),
# unmounted by umount, fusermount3 and signals, remounted after its daemon
# was killed; logs to a file and to syslog.  Needs root: it installs into
# /usr/local and /sbin (and removes what it installed at the end).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (installs the mount helpers into /sbin)"
	exit 77
fi
: "${BFS_BUILD_DIR:?BFS_BUILD_DIR must name the build directory}"

cmake --install "$BFS_BUILD_DIR" >"$WORK/install.log" 2>&1 || {
	cat "$WORK/install.log"
	fail "cmake --install"
	finish
}
MANIFEST=$BFS_BUILD_DIR/install_manifest.txt
cleanup() {
	for m in "$WORK"/mnt-*; do
		grep -q " $m fuse" /proc/mounts && umount -l "$m"
	done
	[ -n "${SYSLOG_PID:-}" ] && kill "$SYSLOG_PID" 2>/dev/null && rm -f /dev/log
	[ -n "${FSTAB_SAVED:-}" ] && cp "$FSTAB_SAVED" /etc/fstab
	[ -n "${FUSE_MODE:-}" ] && chmod "$FUSE_MODE" /dev/fuse
	xargs rm -f <"$MANIFEST"
}
trap cleanup EXIT

check "mount.bucketfs installed where mount(8) looks" test -x /sbin/mount.bucketfs
check "mount.fuse.bucketfs installed" test -x /sbin/mount.fuse.bucketfs
check "man page found by man" bash -c "man -w bucketfs | grep -q 'man1/bucketfs.1'"
check "mount.bucketfs(8) man page" man -w 8 mount.bucketfs

S=$LAB_SRC
EP=$S3_EP
mnt() { mkdir -p "$WORK/mnt-$1" && echo "$WORK/mnt-$1"; }
daemon_pid() { pgrep -f -- "bucketfs .* $1( |\$)" | head -1; }
# wait_gone MOUNTPOINT PID: the mount disappears and the daemon exits
wait_gone() {
	for _ in $(seq 1 100); do
		if ! is_mounted "$1" && ! kill -0 "$2" 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}
same_bytes() { cmp -s "$1" "$2"; }

# --- mount -t bucketfs / umount -------------------------------------------
A=$(mnt a)
out=$(timeout 60 mount -t bucketfs s3://lab/tree "$A" -o "endpoint=$EP,_netdev,nofail" 2>&1)
expect_eq "mount -t bucketfs succeeds" "0:" "$?:$out"
check "mount -t bucketfs: bytes" same_bytes "$A/x/1.txt" "$S/tree/x/1.txt"
expect_eq "findmnt shows the type and source" "fuse.bucketfs s3://lab/tree" \
	"$(findmnt -n -o FSTYPE,SOURCE "$A" | tr -s ' ')"
pid=$(daemon_pid "$A")
check "the daemon detached" test -n "$pid"
umount "$A"
check "umount unmounts and the daemon exits" wait_gone "$A" "$pid"

# --- mount -t fuse.bucketfs / fusermount3 -u ------------------------------
out=$(timeout 60 mount -t fuse.bucketfs s3://lab/sizes "$A" -o "endpoint=$EP" 2>&1)
expect_eq "mount -t fuse.bucketfs succeeds" "0:" "$?:$out"
check "mount -t fuse.bucketfs: bytes" same_bytes "$A/4097.bin" "$S/sizes/4097.bin"
pid=$(daemon_pid "$A")
fusermount3 -u "$A"
check "fusermount3 -u unmounts and the daemon exits" wait_gone "$A" "$pid"

# --- mount(8)'s own flags to the helper -----------------------------------
mount -f -t bucketfs s3://lab/tree "$A" -o "endpoint=$EP"
rc=$?
check "mount -f (fake) succeeds without mounting" test $rc = 0 -a "$(is_mounted "$A" && echo y)" = ""
out=$(timeout 60 mount -v -t bucketfs s3://lab/tree "$A" -o "endpoint=$EP,log_file=$WORK/verbose.log" 2>&1)
check "mount -v: info-level logging" grep -q "mounted s3://lab/tree" "$WORK/verbose.log"
umount "$A"
sleep 0.2

# --- a test fstab through mount -T -----------------------------------------
B=$(mnt b)
C=$(mnt c)
D=$(mnt d)
BAD=$(mnt bad)
cat >"$WORK/fstab" <<EOF
# every fstab-only word, each in a line that must mount
s3://lab/tree $A bucketfs _netdev,nofail,ro,endpoint=$EP,log_file=$WORK/a.log,log_level=info 0 0
s3://lab/sizes $B fuse.bucketfs defaults,noauto,user,users,x-systemd.automount,x-systemd.mount-timeout=30,X-mount.mkdir,comment=x,nosuid,nodev,noexec,endpoint=$EP 0 0
s3://lab/tree $C bucketfs auto,rw,suid,dev,exec,endpoint=$EP 0 0
s3://lab/marker $D fuse.bucketfs nouser,owner,noatime,endpoint=$EP 0 0
s3://lab/tree $BAD bucketfs nofail,frobnicate=1,endpoint=$EP 0 0
EOF
start=$SECONDS
out=$(timeout 120 mount -T "$WORK/fstab" -a 2>&1)
took=$((SECONDS - start))
check "mount -a finishes promptly (${took}s)" test $took -lt 60
check "mount -a: a bad line gives a clear message" grep -q "unknown option 'frobnicate=1'" <<<"$out"
check "mount -a: the bad line is not mounted" bash -c "! grep -q ' $BAD fuse' /proc/mounts"
check "mount -a: _netdev,nofail line mounted" is_mounted "$A"
check "mount -a: auto,rw,suid,dev,exec line mounted" is_mounted "$C"
check "mount -a: noauto line left alone" bash -c "! grep -q ' $B fuse' /proc/mounts"
check "mount -a: nouser,owner,noatime line mounted" is_mounted "$D"
check "fstab mount reads the bytes" same_bytes "$A/y/3.txt" "$S/tree/y/3.txt"
check "log_file= from fstab receives the log" grep -q "mounted s3://lab/tree on $A" "$WORK/a.log"
opts_c=$(findmnt -n -o OPTIONS "$C")
check "rw is accepted, the mount stays read-only" grep -q "^ro," <<<"$opts_c"
# mount(8) does not hand suid, dev and exec (its defaults) to a helper, so a
# FUSE mount keeps FUSE's own nosuid,nodev; only bucketfs run directly by
# root can lift them.
check "exec: no noexec" bash -c "! grep -q noexec <<<'$opts_c'"
check "noatime honoured" bash -c "findmnt -n -o OPTIONS '$D' | grep -q noatime"
out=$(timeout 60 mount -T "$WORK/fstab" "$B" 2>&1)
expect_eq "mount -T fstab MOUNTPOINT of a noauto line" "0:" "$?:$out"
opts_b=$(findmnt -n -o OPTIONS "$B")
check "nosuid,nodev,noexec honoured" bash -c "grep -q nosuid <<<'$opts_b' && grep -q nodev <<<'$opts_b' && grep -q noexec <<<'$opts_b'"
check "noauto line reads the bytes" same_bytes "$B/4095.bin" "$S/sizes/4095.bin"
for m in "$A" "$B" "$C" "$D"; do
	pid=$(daemon_pid "$m")
	umount "$m"
	check "umount $(basename "$m")" wait_gone "$m" "$pid"
done
check "unmounted cleanly: the log says so" grep -q "unmounted $A" "$WORK/a.log"
start=$SECONDS
out=$(timeout 60 mount -T "$WORK/fstab" "$BAD" 2>&1)
rc=$?
check "bad option in fstab: failed mount, status 1, quickly" test $rc = 1 -a $((SECONDS - start)) -lt 30
check "bad option in fstab: one clear line" test "$(grep -c . <<<"$out")" = 1

"$BFS_BIN" s3://lab/tree "$A" -o "endpoint=$EP,suid,dev"
opts_a=$(findmnt -n -o OPTIONS "$A")
check "bucketfs -o suid,dev run by root lifts nosuid,nodev" bash -c "! grep -qE 'nosuid|nodev' <<<'$opts_a'"
pid=$(daemon_pid "$A")
umount "$A"
wait_gone "$A" "$pid"

# --- "user": a user mounts and unmounts an /etc/fstab line ------------------
# (mount(8) honours "user" only from /etc/fstab; saved and restored.  Stock
# Debian's /dev/fuse is 0666; some containers make it 0600.)
if id bfs-test-user >/dev/null 2>&1 || useradd -M -s /bin/sh bfs-test-user 2>/dev/null; then
	U=$(mnt user)
	chmod 777 "$WORK" "$U"
	FUSE_MODE=$(stat -c %a /dev/fuse)
	chmod 666 /dev/fuse
	FSTAB_SAVED=$WORK/fstab.saved
	cp /etc/fstab "$FSTAB_SAVED"
	echo "s3://lab/tree $U bucketfs noauto,user,endpoint=$EP 0 0" >>/etc/fstab
	out=$(runuser -u bfs-test-user -- env AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
		timeout 60 mount "$U" 2>&1)
	expect_eq "user: a user mounts the fstab line" "0:" "$?:$out"
	check "user: owned by that user, nosuid,nodev,noexec" bash -c \
		"findmnt -n -o OPTIONS '$U' | grep -q 'nosuid,nodev,noexec.*user_id=$(id -u bfs-test-user)'"
	check "user: the user reads the bytes" runuser -u bfs-test-user -- cmp -s "$U/4.txt" "$S/tree/4.txt"
	pid=$(daemon_pid "$U")
	runuser -u bfs-test-user -- umount "$U"
	check "user: the same user unmounts it" wait_gone "$U" "$pid"
	cp "$FSTAB_SAVED" /etc/fstab
	chmod "$FUSE_MODE" /dev/fuse
	userdel bfs-test-user 2>/dev/null
else
	echo "skip - cannot create a test user"
fi

# --- signals -----------------------------------------------------------------
for sig in TERM INT; do
	"$BFS_BIN" s3://lab/tree "$A" -o "endpoint=$EP,log_file=$WORK/sig.log,log_level=info"
	pid=$(daemon_pid "$A")
	kill -"$sig" "$pid"
	check "SIG$sig unmounts cleanly and the daemon exits" wait_gone "$A" "$pid"
done
check "the log saw every clean unmount" test "$(grep -c "unmounted $A" "$WORK/sig.log")" = 2

# SIGHUP with a log file: reopen it (logrotate), stay mounted.
"$BFS_BIN" s3://lab/tree "$A" -o "endpoint=$EP,log_file=$WORK/rot.log,log_level=debug"
pid=$(daemon_pid "$A")
mv "$WORK/rot.log" "$WORK/rot.log.1"
kill -HUP "$pid"
sleep 0.3
cat "$A/4.txt" >/dev/null
check "SIGHUP keeps the mount" is_mounted "$A"
umount "$A"
check "unmount after SIGHUP" wait_gone "$A" "$pid"
check "SIGHUP reopened the log file" grep -q "unmounted $A" "$WORK/rot.log"
check "the rotated file keeps the old lines" grep -q "mounted s3://lab/tree" "$WORK/rot.log.1"

# --- a killed daemon, then a remount ------------------------------------------
for clear in "umount -l" "fusermount3 -uz"; do
	"$BFS_BIN" s3://lab/tree "$A" -o "endpoint=$EP"
	pid=$(daemon_pid "$A")
	kill -KILL "$pid"
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	out=$(stat "$A" 2>&1)
	check "killed daemon leaves a dead mount" grep -q "not connected" <<<"$out"
	out=$(timeout 30 "$BFS_BIN" s3://lab/tree "$A" -o "endpoint=$EP" 2>&1)
	rc=$?
	check "mounting over the dead mount says how to clear it" \
		test $rc = 32 -a "$(grep -c "fusermount3 -uz" <<<"$out")" = 1
	$clear "$A"
	out=$(timeout 60 mount -t bucketfs s3://lab/tree "$A" -o "endpoint=$EP" 2>&1)
	expect_eq "after '$clear' the next mount works" "0:" "$?:$out"
	check "remount reads the bytes" same_bytes "$A/4.txt" "$S/tree/4.txt"
	pid=$(daemon_pid "$A")
	umount "$A"
	wait_gone "$A" "$pid"
done

# --- syslog once detached -----------------------------------------------------
if [ ! -e /dev/log ]; then
	/usr/bin/python3 - "$WORK/syslog" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
PY
	SYSLOG_PID=$!
	for _ in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.05; done
	"$BFS_BIN" s3://lab/tree "$A" -o "endpoint=$EP,log_level=info"
	pid=$(daemon_pid "$A")
	cat "$A/4.txt" >/dev/null
	umount "$A"
	wait_gone "$A" "$pid"
	check "detached without log_file: syslog gets the log" \
		grep -q "bucketfs\[$pid\]: mounted s3://lab/tree on $A" "$WORK/syslog"
	check "syslog gets the clean unmount" grep -q "bucketfs\[$pid\]: unmounted $A" "$WORK/syslog"
else
	echo "skip - /dev/log exists; syslog not captured"
fi

finish
