#!/bin/bash
# SPDX-License-Identifier: MIT
# A read-only mount answers every change with EROFS, and the bucket stays as it was.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
mount_bfs "$M" "s3://lab" -o endpoint=$S3_EP || { fail mount; finish; }
erofs() { # erofs "description" command...
	local what=$1 out
	shift
	out=$("$@" 2>&1)
	if [ $? -ne 0 ] && grep -q "Read-only file system" <<<"$out"; then pass "$what: EROFS"; else fail "$what: $out"; fi
}
erofs "create" touch "$M/new.txt"
erofs "write into existing" bash -c "echo x >> '$M/top.txt'"
erofs "truncate" truncate -s 0 "$M/top.txt"
erofs "mkdir" mkdir "$M/newdir"
erofs "rmdir" rmdir "$M/emptydir"
erofs "unlink" rm -f "$M/top.txt"
erofs "rename" mv "$M/top.txt" "$M/moved.txt"
erofs "chmod" chmod 600 "$M/top.txt"
erofs "chown" chown 1:1 "$M/top.txt"
erofs "utimes" touch -m "$M/top.txt"
erofs "symlink" ln -s top.txt "$M/link"
erofs "hard link" ln "$M/top.txt" "$M/hard"
erofs "mknod fifo" mkfifo "$M/fifo"
erofs "setxattr" setfattr -n user.x -v 1 "$M/top.txt"
out=$(/usr/bin/python3 -c "
import os, errno
try: os.open('$M/top.txt', os.O_WRONLY); print('opened')
except OSError as e: print(errno.errorcode[e.errno])")
expect_eq "open for writing" EROFS "$out"
check "the bucket is unchanged" cmp -s "$M/top.txt" "$LAB_SRC/top.txt"
finish
