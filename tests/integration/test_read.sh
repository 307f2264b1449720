#!/bin/bash
# SPDX-License-Identifier: MIT
# Ordinary tools see exactly the bucket's bytes and structure.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
mount_bfs "$M" "s3://lab" -o endpoint=$S3_EP || { fail "mount"; finish; }
S=$LAB_SRC

# Structure: names, types, implied and marker directories.  s3rver leaves
# "deep/" (a prefix with only deeper keys) out of delimited listings, where
# real S3 shows it; either way it must be reachable by its path (below).
expect_eq "top level listing" \
	"awkward big clash empty.bin emptydir many marker mutable.txt sizes top.txt tree" \
	"$(ls "$M" | grep -vx deep | tr '\n' ' ' | sed 's/ $//')"
check "marker object is a directory" test -d "$M/marker"
check "empty directory from a marker" test -d "$M/emptydir"
expect_eq "empty directory is empty" "" "$(ls -A "$M/emptydir")"
check "implied directory" test -d "$M/tree/x"
check "deep path without markers reachable" cmp -s "$M/deep/a/b/c/d/leaf.txt" "$S/deep/a/b/c/d/leaf.txt"
check "file and directory of one name: directory wins" test -d "$M/clash"
check "clash child readable" cmp -s "$M/clash/child.txt" "$S/clash/child.txt"
expect_eq "find lists the same tree" \
	"$(cd "$S" && find tree awkward sizes marker emptydir | sort)" \
	"$(cd "$M" && find tree awkward sizes marker emptydir | sort)"

# Awkward names list and read.
for f in "$S"/awkward/* "$S"/awkward/*/*; do
	[ -f "$f" ] || continue
	rel=${f#"$S"/}
	check "awkward name reads: $rel" cmp -s "$f" "$M/$rel"
done

# Bytes, by several tools.
check "cat top.txt" diff <(cat "$M/top.txt") "$S/top.txt"
check "md5sum of all sizes" diff <(cd "$M/sizes" && md5sum -- *) <(cd "$S/sizes" && md5sum -- *)
check "cp -r copies a tree exactly" bash -c "cp -r '$M/tree' '$WORK/copy' && diff -r '$WORK/copy' '$S/tree'"
check "tar of a tree matches" bash -c "(cd '$M' && tar cf - tree | tar tvf - | awk '{print \$3, \$6}') > '$WORK/t1' &&
	(cd '$S' && tar cf - tree | tar tvf - | awk '{print \$3, \$6}') > '$WORK/t2' && diff '$WORK/t1' '$WORK/t2'"
check "dd skip= reads the middle" diff <(dd if="$M/sizes/33m.bin" bs=4096 skip=1234 count=77 2>/dev/null) \
	<(dd if="$S/sizes/33m.bin" bs=4096 skip=1234 count=77 2>/dev/null)
expect_eq "0-byte object has size 0" 0 "$(stat -c %s "$M/empty.bin")"
expect_eq "0-byte object reads empty" "" "$(cat "$M/empty.bin")"
expect_eq "size matches" "$(stat -c %s "$S/sizes/33m.bin")" "$(stat -c %s "$M/sizes/33m.bin")"

# open/seek/read from a program, at and past EOF.
out=$(/usr/bin/python3 - "$M/sizes/4097.bin" "$S/sizes/4097.bin" <<'PY'
import os, sys
m, s = (open(p, "rb") for p in sys.argv[1:3])
ref = s.read()
res = []
for off, n in [(0, 10), (4090, 100), (4096, 1), (4097, 10), (10000, 5), (1, 4096)]:
    m.seek(off)
    res.append(m.read(n) == ref[off:off + n])
fd = os.open(sys.argv[1], os.O_RDONLY)
res.append(os.pread(fd, 100, 4097) == b"")
res.append(os.pread(fd, 100, 1 << 40) == b"")
print("ok" if all(res) else res)
PY
)
expect_eq "seek/read at and past EOF" ok "$out"

# Several GiB: offsets past 4 GiB.
if [ -f "$S/big/big.bin" ]; then
	size=$(stat -c %s "$S/big/big.bin")
	expect_eq "big object size" "$size" "$(stat -c %s "$M/big/big.bin")"
	for off in 0 4294967295 4294967296 $((size - 5000)); do
		check "big object at offset $off" diff <(tail -c +$((off + 1)) "$M/big/big.bin" | head -c 70000) \
			<(tail -c +$((off + 1)) "$S/big/big.bin" | head -c 70000)
	done
fi

# statfs
expect_eq "statfs name length" 255 "$(stat -f -c %l "$M")"

# Pagination: a directory of 10,000 keys lists whole.
expect_eq "10,000-entry directory lists whole" 10000 "$(ls "$M/many" | wc -l)"
expect_eq "last entry reads" "object 9999" "$(cat "$M/many/f09999")"

# A prefix mount sees only what is under it.
umount_bfs "$M"
mount_bfs "$M" "s3://lab/tree" -o endpoint=$S3_EP || fail "prefix mount"
expect_eq "prefix mount root" "4.txt x y" "$(ls "$M" | tr '\n' ' ' | sed 's/ $//')"
check "prefix mount reads" cmp -s "$M/x/1.txt" "$S/tree/x/1.txt"
umount_bfs "$M"

# The default, daemonizing mode mounts and unmounts too.
mkdir -p "$WORK/bg"
"$BFS_BIN" s3://lab "$WORK/bg" -o endpoint=$S3_EP
check "background mount is there" is_mounted "$WORK/bg"
check "background mount reads" cmp -s "$WORK/bg/top.txt" "$S/top.txt"
# The read path's threads start after detaching: fork() keeps only the
# calling thread, so threads started before it would be gone (or worse).
bgpid=$(pgrep -f "bucketfs s3://lab $WORK/bg" | head -1)
check "the detached daemon has its maintenance thread" grep -qx bfs-maint /proc/"$bgpid"/task/*/comm
fusermount3 -u "$WORK/bg"
sleep 0.3
check "background mount gone after fusermount3 -u" bash -c "! grep -q ' $WORK/bg ' /proc/mounts"

finish
