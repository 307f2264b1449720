#!/bin/bash
# SPDX-License-Identifier: MIT
# Metadata costs: listings fill the attribute cache (readdirplus), so `ls -l`
# of a large directory costs LIST pages, not a request per entry; misses are
# cached for negative_ttl.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
proxy clear
mount_bfs "$M" "s3://lab" -o endpoint=$PROXY_EP,negative_ttl=30 || { fail mount; finish; }
proxy clear
n=$(ls -l "$M/many" | grep -c '^-')
expect_eq "ls -l sees 10,000 files" 10000 "$n"
expect_eq "ls -l of 10,000 entries sends no HEAD" 0 "$(proxy_count HEAD)"
lists=$(proxy_count LIST)
check "ls -l of 10,000 entries costs ~10 LIST pages ($lists)" test "$lists" -le 14
expect_eq "sizes from the listing are right" "$(stat -c %s "$LAB_SRC/many/f01234")" "$(stat -c %s "$M/many/f01234")"
proxy clear
stat "$M/many/f00042" >/dev/null
find "$M/many" -type f | wc -l >/dev/null
expect_eq "stat and find after a listing send nothing" "0 0" "$(proxy_count HEAD) $(proxy_count LIST)"

proxy clear
stat "$M/tree/nope" 2>/dev/null
first=$(( $(proxy_count HEAD) + $(proxy_count LIST) ))
for _ in 1 2 3; do stat "$M/tree/nope" 2>/dev/null; done
again=$(( $(proxy_count HEAD) + $(proxy_count LIST) ))
expect_eq "a missing name is looked up once within negative_ttl" "$first" "$again"
check "and that lookup did ask the store" test "$first" -gt 0

# Files read by path in a directory nobody listed: the first lookup lists
# the (small) directory once and every sibling is answered from it, not
# probed with a LIST and a HEAD each.
umount_bfs "$M"
mount_bfs "$M" "s3://lab" -o endpoint=$PROXY_EP || fail mount
proxy clear
n=0
for f in "$LAB_SRC"/awkward/*.txt; do
	cmp -s "$f" "$M/awkward/$(basename "$f")" && n=$((n + 1))
done
expect_eq "files read by path in an unlisted directory" "$(ls "$LAB_SRC"/awkward/*.txt | wc -l)" "$n"
expect_eq "...with no HEAD" 0 "$(proxy_count HEAD)"
check "...and a listing page or two, not one per name ($(proxy_count LIST))" test "$(proxy_count LIST)" -le 3

# uid/gid/umask
umount_bfs "$M"
mount_bfs "$M" "s3://lab" -o endpoint=$S3_EP,uid=1234,gid=4321,umask=027 || fail mount
expect_eq "file owner and mode" "1234 4321 640" "$(stat -c '%u %g %a' "$M/top.txt")"
expect_eq "directory mode" "750" "$(stat -c '%a' "$M/tree")"
expect_eq "mtime from the object" "$(date -r "$LAB_SRC/top.txt" +%Y-%m-%d)" "$(date -r "$M/top.txt" +%Y-%m-%d)"
finish
