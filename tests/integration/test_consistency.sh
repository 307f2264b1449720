#!/bin/bash
# SPDX-License-Identifier: MIT
# Reads are pinned to the version seen at open; new opens see new versions
# after stat_ttl; the kernel page cache is kept only while the ETag is unchanged.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
put() { /usr/bin/python3 "$(dirname "$0")/../lab/s3obj.py" put "$S3_EP" scratch "$1" "$2"; }
gen() { head -c "$2" /dev/urandom >"$1"; }

gen "$WORK/v1" $((40 << 20))
gen "$WORK/v2" $((40 << 20))
put scratch/pinned.bin "$WORK/v1"
mount_bfs "$M" "s3://scratch" -o endpoint=$S3_EP,stat_ttl=1 || { fail mount; finish; }

# Open, read a little, replace the object, read further than read-ahead can
# have gone: ESTALE, never a mix.  (Bytes already fetched from the pinned
# version may still be served: they are that version's.)
out=$(/usr/bin/python3 - "$M/scratch/pinned.bin" "$WORK/v1" "$WORK/v2" "$S3_EP" "$(dirname "$0")/../lab/s3obj.py" <<'PY'
import errno, os, subprocess, sys
path, v1, v2, ep, tool = sys.argv[1:6]
ref1 = open(v1, "rb").read()
fd = os.open(path, os.O_RDONLY)
first = os.pread(fd, 4096, 0)
if first != ref1[:4096]:
    print("first read wrong"); sys.exit()
subprocess.run(["/usr/bin/python3", tool, "put", ep, "scratch", "scratch/pinned.bin", v2], check=True)
try:
    data = os.pread(fd, 65536, 32 << 20)
    print("read after replace returned", "v1 bytes" if data == ref1[32 << 20:(32 << 20) + 65536] else "OTHER bytes")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
expect_eq "object replaced under an open file: ESTALE" ESTALE "$out"

sleep 1.5
check "a new open after stat_ttl sees the new version" cmp -s "$M/scratch/pinned.bin" "$WORK/v2"

# Page cache: a second open of an unchanged object is served without GETs.
umount_bfs "$M"
proxy clear
mount_bfs "$M" "s3://lab" -o endpoint=$PROXY_EP,stat_ttl=60 || fail mount
cat "$M/sizes/1m+1.bin" >/dev/null
g1=$(proxy_count GET)
cat "$M/sizes/1m+1.bin" >/dev/null
g2=$(proxy_count GET)
expect_eq "second open of an unchanged object reads from the page cache" "$g1" "$g2"
check "first read did fetch" test "$g1" -gt 0
umount_bfs "$M"

# ...and after the object changes, the new bytes, not cached old ones.
gen "$WORK/v3" $((1 << 20))
put scratch/cached.bin "$WORK/v1"
mount_bfs "$M" "s3://scratch" -o endpoint=$S3_EP,stat_ttl=1 || fail mount
cmp -s "$M/scratch/cached.bin" "$WORK/v1" || fail "first version read"
put scratch/cached.bin "$WORK/v3"
sleep 1.5
check "changed object: new size and bytes, no stale page cache" cmp -s "$M/scratch/cached.bin" "$WORK/v3"
/usr/bin/python3 "$(dirname "$0")/../lab/s3obj.py" delete "$S3_EP" scratch scratch/cached.bin
sleep 1.5
check "deleted object disappears after the TTL" test ! -e "$M/scratch/cached.bin"
finish
