#!/bin/bash
# SPDX-License-Identifier: MIT
# Misbehaving servers at run time: retried when transient, a clear errno when
# not, never wrong bytes, never a crash or a hang.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
S=$LAB_SRC
proxy clear
mount_bfs "$M" "s3://lab" -o endpoint=$PROXY_EP,retries=3,request_timeout=2 || { fail mount; finish; }

rule() { proxy rules "[$1]"; }

rule '{"kind":"GET","match":"f00001","action":"status","status":503,"code":"SlowDown","times":2}'
expect_eq "503 SlowDown twice, then served" "object 1" "$(cat "$M/many/f00001")"
rule '{"kind":"GET","match":"f00002","action":"status","status":429,"times":1,"retry_after":1}'
expect_eq "429 with Retry-After, then served" "object 2" "$(cat "$M/many/f00002")"
rule '{"kind":"GET","match":"f00003","action":"status","status":503,"code":"SlowDown"}'
expect_eq "throttled for good: EIO, never ENOENT" EIO "$(pyread "$M/many/f00003")"
rule '{"kind":"GET","match":"f00004","action":"status","status":500,"code":"InternalError","times":1}'
expect_eq "500 once, then served" "object 4" "$(cat "$M/many/f00004")"
rule '{"kind":"GET","match":"f00005","action":"reset","times":1}'
expect_eq "connection reset once, then served" "object 5" "$(cat "$M/many/f00005")"
rule '{"kind":"GET","match":"4096.bin","action":"truncate","times":1}'
check "truncated body once, then the right bytes" cmp -s "$M/sizes/4096.bin" "$S/sizes/4096.bin"
rule '{"kind":"GET","match":"4097.bin","action":"wrong_range","times":1}'
check "wrong Content-Range once, then the right bytes" cmp -s "$M/sizes/4097.bin" "$S/sizes/4097.bin"
rule '{"kind":"GET","match":"4095.bin","action":"wrong_range"}'
expect_eq "wrong Content-Range always: EIO" EIO "$(pyread "$M/sizes/4095.bin")"
rule '{"kind":"GET","match":"1m%2B1.bin","action":"full200"}'
expect_eq "200 (whole object) for a middle range: EIO" EIO "$(pyread "$M/sizes/1m+1.bin" 500000 1000)"
rule '{"kind":"GET","match":"f00006","action":"delay","seconds":10}'
start=$SECONDS
expect_eq "server that stalls: EIO" EIO "$(pyread "$M/many/f00006")"
# 4 attempts of 2 s, and the kernel retries a failed readahead once.
check "stall bounded by request_timeout and retries ($((SECONDS - start))s)" test $((SECONDS - start)) -lt 40
rule '{"kind":"GET","match":"f00007","action":"swap_etag"}'
expect_eq "answer of another version (ETag): ESTALE" ESTALE "$(pyread "$M/many/f00007")"

rule '{"kind":"HEAD","match":"secret.txt","action":"status","status":403,"code":"AccessDenied"}'
expect_eq "403 on HEAD: EACCES" "EACCES" "$(/usr/bin/python3 -c "
import os, errno
try: os.stat('$M/tree/secret.txt'); print('OK')
except OSError as e: print(errno.errorcode[e.errno])")"
expect_eq "missing key: ENOENT" "ENOENT" "$(pyread "$M/tree/nothing-here.txt")"

# (A directory nothing above has looked into: lookups list directories.)
rule '{"kind":"LIST","match":"prefix=marker","action":"xml","body":"<ListBucketResult><Contents><Key>marker/x</Key>"}'
check "malformed listing XML: ls fails with EIO" bash -c "ls '$M/marker' 2>&1 | grep -q 'Input/output error'"
rule '{"kind":"LIST","match":"prefix=awkward","action":"huge_xml","megabytes":20}'
check "20 MB listing: refused with EIO" bash -c "ls '$M/awkward' 2>&1 | grep -q 'Input/output error'"
proxy clear

# A listing with keys that cannot be names: skipped, never truncated or aliased.
long=$(printf 'L%.0s' $(seq 1 256))
rule "{\"kind\":\"LIST\",\"match\":\"max-keys=1000&prefix=tree%2Fx%2F\",\"action\":\"xml\",\"body\":\"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated><Contents><Key>tree/x/ok.txt</Key><Size>3</Size></Contents><Contents><Key>tree/x/$long</Key><Size>3</Size></Contents><Contents><Key>tree/x/nul%00byte</Key><Size>3</Size></Contents><Contents><Key>tree/x/line%0Dfeed</Key><Size>4</Size></Contents><CommonPrefixes><Prefix>tree/x//</Prefix></CommonPrefixes><CommonPrefixes><Prefix>tree/x/./</Prefix></CommonPrefixes><CommonPrefixes><Prefix>tree/x/../</Prefix></CommonPrefixes></ListBucketResult>\"}"
names=$(/usr/bin/python3 -c "import os; print(sorted(os.listdir('$M/tree/x')))")
expect_eq "unusable keys skipped, url-decoded names kept" "['line\\rfeed', 'ok.txt']" "$names"
proxy clear

check "the mount still serves after all that" cmp -s "$M/sizes/33m.bin" "$S/sizes/33m.bin"
check "a warning names the skipped key" grep -q "skipping key 'tree/x/LLLL" "${MOUNT_LOG[$M]}"
finish
