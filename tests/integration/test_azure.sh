#!/bin/bash
# SPDX-License-Identifier: MIT
# Azure Blob Storage against Azurite: Shared Key (environment, connection
# string, config file), SAS (environment, sas_file=), every awkward name,
# names over 255 bytes, markerless depth, listings past one page, ranged
# reads, a blob replaced under an open file, and clear mount-time errors.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
S=$LAB_AZ_SRC
EP=$LAB_AZ_EP
AZPOP="/usr/bin/python3 $(dirname "$0")/../lab/azpopulate.py"
DEVKEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
unset AZURE_STORAGE_KEY AZURE_STORAGE_ACCOUNT AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_TOKEN \
	AZURE_STORAGE_CONNECTION_STRING
export XDG_CONFIG_HOME=$WORK/xdg

# same_tree DIR: the mount shows exactly the reference tree, byte for byte
same_tree() {
	local d=$1
	# (scratch/ holds what this test writes while it runs)
	[ "$(cd "$S" && find . | sort)" == "$(cd "$d" && find . -path ./scratch -prune -o -print | sort)" ] ||
		return 1
	(cd "$S" && find . -type f -print0) | while IFS= read -r -d '' f; do
		cmp -s "$S/$f" "$d/$f" || { echo "differs: $f"; return 1; }
	done
}

# --- Shared Key from the environment ---------------------------------------------
export AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=$DEVKEY
mount_bfs "$M" az://devstoreaccount1/lab -o "endpoint=$EP,log_level=info" || { fail "mount"; finish; }
check "the whole container, byte for byte (names, depth, sizes)" same_tree "$M"
check "blobs listed with their sizes" test "$(stat -c %s "$M/sizes/4097.bin")" = 4097
for c in '!' '$' '&' "'" '(' ')' '*' ',' ':' ';' '=' '@' '%'; do
	check "name with '$c' reads" cmp -s "$M/awkward/x${c}y.txt" "$S/awkward/x${c}y.txt"
done
check "spaces and unicode" cmp -s "$M/awkward/unicode-été-日本.txt" "$S/awkward/unicode-été-日本.txt"
check "a directory with a space" cmp -s "$M/awkward/dir with space/inner file.txt" \
	"$S/awkward/dir with space/inner file.txt"
check "deep directories without markers" cmp -s "$M/deep/a/b/c/d/e/leaf.txt" "$S/deep/a/b/c/d/e/leaf.txt"
expect_eq "a listing past one page (1100 blobs)" 1100 "$(ls "$M/many" | wc -l)"
expect_eq "a name over 255 bytes is skipped" "ok.txt" "$(ls "$M/long")"
check "...with a log line" grep -q "skipping key 'long/nnnn.*longer than 255" "${MOUNT_LOG[$M]}"
expect_eq "stat size" 9437187 "$(stat -c %s "$M/sizes/9437187.bin")"
out=$(dd if="$M/sizes/9437187.bin" bs=4096 skip=2047 count=3 status=none | md5sum)
expect_eq "a range across the 8 MiB part boundary" \
	"$(dd if="$S/sizes/9437187.bin" bs=4096 skip=2047 count=3 status=none | md5sum)" "$out"
expect_eq "the last byte" "$(tail -c 1 "$S/sizes/9437187.bin" | od -An -tx1)" \
	"$(tail -c 1 "$M/sizes/9437187.bin" | od -An -tx1)"
check "an empty blob" cmp -s "$M/sizes/0.bin" "$S/sizes/0.bin"
check "read-only" bash -c "! touch '$M/new' 2>/dev/null"

# A blob replaced under an open file: ESTALE (If-Match), never a mix.
head -c $((40 << 20)) /dev/urandom >"$WORK/v1"
head -c $((40 << 20)) /dev/urandom >"$WORK/v2"
$AZPOP put "$EP" lab scratch/pinned.bin "@$WORK/v1"
umount_bfs "$M"
mount_bfs "$M" az://devstoreaccount1/lab -o "endpoint=$EP" || fail "remount"
out=$(/usr/bin/python3 - "$M/scratch/pinned.bin" "$WORK/v1" "$WORK/v2" "$EP" \
	"$(dirname "$0")/../lab/azpopulate.py" <<'PY'
import errno, os, subprocess, sys
path, v1, v2, ep, tool = sys.argv[1:6]
ref1 = open(v1, "rb").read()
fd = os.open(path, os.O_RDONLY)
if os.pread(fd, 4096, 0) != ref1[:4096]:
    print("first read wrong"); sys.exit()
subprocess.run(["/usr/bin/python3", tool, "put", ep, "lab", "scratch/pinned.bin", "@" + v2], check=True)
try:
    data = os.pread(fd, 65536, 32 << 20)
    print("read after replace returned", "v1 bytes" if data == ref1[32 << 20:(32 << 20) + 65536] else "OTHER bytes")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
expect_eq "blob replaced under an open file: ESTALE" ESTALE "$out"
umount_bfs "$M"
unset AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY

# --- the other credential sources -------------------------------------------------
SAS=$($AZPOP sas)
if AZURE_STORAGE_SAS_TOKEN="?$SAS" mount_bfs "$M" az://devstoreaccount1/lab/tree -o "endpoint=$EP,log_level=debug"; then
	check "SAS from AZURE_STORAGE_SAS_TOKEN (prefix mount)" cmp -s "$M/x/1.txt" "$S/tree/x/1.txt"
	umount_bfs "$M"
	check "...and the SAS never reaches the log, even at debug level" \
		bash -c "grep -q 'GET /devstoreaccount1/lab' '${MOUNT_LOG[$M]}' && ! grep -qF 'sig=' '${MOUNT_LOG[$M]}'"
else
	fail "SAS from AZURE_STORAGE_SAS_TOKEN"
fi
echo "$SAS" >"$WORK/sas"
chmod 600 "$WORK/sas"
if mount_bfs "$M" az://devstoreaccount1/lab -o "endpoint=$EP,sas_file=$WORK/sas"; then
	check "SAS from sas_file=" cmp -s "$M/awkward/x%y.txt" "$S/awkward/x%y.txt"
	umount_bfs "$M"
else
	fail "SAS from sas_file="
fi
if AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$DEVKEY;BlobEndpoint=$EP;" \
	mount_bfs "$M" az://devstoreaccount1/lab; then
	check "AZURE_STORAGE_CONNECTION_STRING (its BlobEndpoint too)" cmp -s "$M/top.txt" "$S/top.txt"
	umount_bfs "$M"
else
	fail "AZURE_STORAGE_CONNECTION_STRING"
fi
printf '[az://devstoreaccount1/lab]\nendpoint = %s\naccount_key = %s\n' "$EP" "$DEVKEY" >"$WORK/az.conf"
chmod 600 "$WORK/az.conf"
if mount_bfs "$M" https://devstoreaccount1.blob.core.windows.net/lab/deep -o "config=$WORK/az.conf"; then
	check "account_key from a config file; the https:// source form" \
		cmp -s "$M/a/b/c/d/e/leaf.txt" "$S/deep/a/b/c/d/e/leaf.txt"
	umount_bfs "$M"
else
	fail "account_key from a config file"
fi

# --- mount-time errors: one line, status 32, no mount -------------------------------
SECRETS=("$DEVKEY")
expect_failure 32 "a wrong account key" "the account key was refused for account 'devstoreaccount1'" \
	AZURE_STORAGE_KEY=QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE= -- \
	az://devstoreaccount1/lab "$M" -o "endpoint=$EP,retries=0"
expect_failure 32 "an expired SAS" "the SAS token was refused" \
	AZURE_STORAGE_SAS_TOKEN="$($AZPOP sas --expired)" -- az://devstoreaccount1/lab "$M" -o "endpoint=$EP,retries=0"
expect_failure 32 "a malformed SAS" "the SAS token was refused" \
	AZURE_STORAGE_SAS_TOKEN="sv=2019-12-12&ss=b&srt=sco&sp=rl&se=garbage&sig=AAAA" -- az://devstoreaccount1/lab "$M" -o "endpoint=$EP,retries=0"
expect_failure 32 "a key that is not base64" "not valid base64" AZURE_STORAGE_KEY='not base64!' -- \
	az://devstoreaccount1/lab "$M" -o "endpoint=$EP"
expect_failure 32 "a missing container" "container 'nope' does not exist" AZURE_STORAGE_KEY=$DEVKEY -- \
	az://devstoreaccount1/nope "$M" -o "endpoint=$EP,retries=0"
expect_failure 32 "no credentials" "no Azure credentials found" -- az://devstoreaccount1/lab "$M" -o "endpoint=$EP"
expect_failure 32 "a key for another account" "is for account 'other1'" AZURE_STORAGE_KEY=$DEVKEY \
	AZURE_STORAGE_ACCOUNT=other1 -- az://devstoreaccount1/lab "$M" -o "endpoint=$EP"
chmod 644 "$WORK/sas"
expect_failure 32 "a sas_file others can read" "chmod 600" -- az://devstoreaccount1/lab "$M" \
	-o "endpoint=$EP,sas_file=$WORK/sas"
expect_failure 32 "Azurite unreachable" "cannot reach" AZURE_STORAGE_KEY=$DEVKEY -- \
	az://devstoreaccount1/lab "$M" -o "endpoint=http://127.0.0.1:1/devstoreaccount1,retries=0"
finish
