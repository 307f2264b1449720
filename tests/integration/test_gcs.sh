#!/bin/bash
# SPDX-License-Identifier: MIT
# Google Cloud Storage through its XML API, with s3rver standing in for it:
# HMAC keys (SigV4) straight to s3rver; OAuth2 bearer tokens through
# gcsfront.py, a token endpoint that checks the service account's JWT with
# the key's public half, a metadata server and a bearer-checking front that
# adds generations.  Also gzip-stored objects read byte-exact with ranges,
# generation pinning, token refresh, and clear mount-time errors.
. "$(dirname "$0")/lib.sh"

M=$WORK/mnt
S=$LAB_SRC
LAB=$(cd "$(dirname "$0")/../lab" && pwd)
unset GOOGLE_APPLICATION_CREDENTIALS GOOGLE_OAUTH_ACCESS_TOKEN GCE_METADATA_HOST \
	GCS_ACCESS_KEY_ID GCS_SECRET_ACCESS_KEY
export XDG_CONFIG_HOME=$WORK/xdg # no gcloud application default credentials
FRONT_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
FRONT=http://127.0.0.1:$FRONT_PORT
EMAIL=reader@bucketfs-test.iam.gserviceaccount.com

# A service account: its key, and the public half for the token endpoint.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/sa.pem" 2>/dev/null
openssl pkey -in "$WORK/sa.pem" -pubout -out "$WORK/sa.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/other.pem" 2>/dev/null
key_json() { # key_json PEM TOKEN_URI
	/usr/bin/python3 -c 'import json,sys; print(json.dumps({"type": "service_account",
	"project_id": "bucketfs-test", "private_key_id": "k1", "private_key": open(sys.argv[1]).read(),
	"client_email": sys.argv[3], "token_uri": sys.argv[2]}))' "$1" "$2" "$EMAIL"
}
key_json "$WORK/sa.pem" "$FRONT/token" >"$WORK/sa.json"
key_json "$WORK/other.pem" "$FRONT/token" >"$WORK/wrongkey.json"
key_json "$WORK/sa.pem" "http://127.0.0.1:1/token" >"$WORK/nowhere.json"
printf '{"type": "authorized_user", "client_id": "cid-1", "client_secret": "csecret-1", "refresh_token": "rtok-1", "token_uri": "%s/token"}\n' \
	"$FRONT" >"$WORK/user.json"
chmod 600 "$WORK"/*.json

/usr/bin/python3 "$LAB/gcsfront.py" "$FRONT_PORT" "$LAB_S3_PORT" "$WORK/sa.pub" "$EMAIL" \
	>"$WORK/front.log" 2>&1 &
FRONT_PID=$!
trap 'kill $FRONT_PID 2>/dev/null; for m in "${MOUNTS[@]}"; do fusermount3 -uz "$m" 2>/dev/null; done' EXIT
for _ in $(seq 1 100); do curl -s "$FRONT/__control/stats" >/dev/null && break; sleep 0.1; done
front_stat() { curl -s "$FRONT/__control/stats" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
front_config() { curl -s -X POST --data-binary "$1" "$FRONT/__control/config" >/dev/null; }

# A gzip-stored object (Content-Encoding: gzip), as gsutil -z makes them.
head -c 300000 /dev/urandom | base64 >"$WORK/plain.txt"
gzip -9 -c "$WORK/plain.txt" >"$WORK/stored.gz"
# (objects this test writes go to their own bucket, gcs-scratch: the lab's
# bucket stays as other tests expect it)
/usr/bin/python3 "$LAB/s3obj.py" put "$S3_EP" gcs-scratch gz/data.txt "$WORK/stored.gz" gzip

same_files() { # same_files MOUNT_SUBDIR SRC_SUBDIR
	(cd "$S/$2" && find . -type f -print0) | while IFS= read -r -d '' f; do
		cmp -s "$S/$2/$f" "$M/$1/$f" || { echo "differs: $f"; return 1; }
	done
}

# --- HMAC keys with SigV4 ------------------------------------------------------------
if GCS_ACCESS_KEY_ID=S3RVER GCS_SECRET_ACCESS_KEY=S3RVER mount_bfs "$M" gs://lab/tree -o "endpoint=$S3_EP,log_level=info"; then
	check "HMAC keys: the tree, byte for byte" same_files . tree
	check "...credentials named in the log" grep -q "GCS credentials from GCS_ACCESS_KEY_ID (HMAC)" "${MOUNT_LOG[$M]}"
	umount_bfs "$M"
else
	fail "mount with HMAC keys"
fi

# --- a service account: JWT, bearer tokens, gzip, generations ------------------------
if GOOGLE_APPLICATION_CREDENTIALS=$WORK/sa.json mount_bfs "$M" gs://lab -o "endpoint=$FRONT,log_level=info"; then
	check "service account: files byte for byte" same_files tree tree
	check "...awkward names" same_files awkward awkward
	check "the token endpoint accepted our JWT" test "$(front_stat jwt_grants)" -ge 1
	expect_eq "no request went without a valid token" 0 "$(front_stat bearer_bad)"
	umount_bfs "$M"
else
	fail "mount with a service account"
fi
# (uploaded before mounting: a listing made earlier would rightly pin an
# older generation left by a previous run)
head -c $((40 << 20)) /dev/urandom >"$WORK/v1"
head -c $((40 << 20)) /dev/urandom >"$WORK/v2"
/usr/bin/python3 "$LAB/s3obj.py" put "$S3_EP" gcs-scratch gen.bin "$WORK/v1"
if GOOGLE_APPLICATION_CREDENTIALS=$WORK/sa.json mount_bfs "$M" gs://gcs-scratch -o "endpoint=$FRONT"; then
	check "gzip-stored object: the stored bytes, exactly" cmp -s "$M/gz/data.txt" "$WORK/stored.gz"
	expect_eq "...its size is the stored size" "$(stat -c %s "$WORK/stored.gz")" "$(stat -c %s "$M/gz/data.txt")"
	expect_eq "...a range of it" "$(dd if="$WORK/stored.gz" bs=1000 skip=100 count=7 status=none | md5sum)" \
		"$(dd if="$M/gz/data.txt" bs=1000 skip=100 count=7 status=none | md5sum)"
	check "every GET asked for Accept-Encoding: gzip" test "$(front_stat gzip_gets)" -ge 1 -a "$(front_stat plain_gets)" = 0
	check "reads were pinned to the generation" test "$(front_stat generation_gets)" -ge 1
	# Replace an object under an open file: the pinned generation is gone.
	out=$(/usr/bin/python3 - "$M/gen.bin" "$WORK/v1" "$WORK/v2" "$S3_EP" "$LAB/s3obj.py" <<'PY'
import errno, os, subprocess, sys
path, v1, v2, ep, tool = sys.argv[1:6]
ref1 = open(v1, "rb").read()
fd = os.open(path, os.O_RDONLY)
if os.pread(fd, 4096, 0) != ref1[:4096]:
    print("first read wrong"); sys.exit()
subprocess.run(["/usr/bin/python3", tool, "put", ep, "gcs-scratch", "gen.bin", v2], check=True)
try:
    data = os.pread(fd, 65536, 32 << 20)
    print("read after replace returned", "v1 bytes" if data == ref1[32 << 20:(32 << 20) + 65536] else "OTHER bytes")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
	expect_eq "object replaced under an open file: ESTALE (generation pinned)" ESTALE "$out"
	umount_bfs "$M"
else
	fail "mount of gcs-scratch with a service account"
fi

# --- tokens are refreshed before they expire ------------------------------------------
front_config '{"expires_in": 4}'
before=$(front_stat jwt_grants)
if GOOGLE_APPLICATION_CREDENTIALS=$WORK/sa.json mount_bfs "$M" gs://lab -o "endpoint=$FRONT,stat_ttl=0,negative_ttl=0"; then
	ok=1
	for i in $(seq 1 8); do
		cmp -s "$M/sizes/4097.bin" "$S/sizes/4097.bin" || ok=0
		ls "$M/many" >/dev/null || ok=0
		sleep 1
	done
	check "reads keep working across token lifetimes" test $ok = 1
	check "the token was refreshed (grants: $before -> $(front_stat jwt_grants))" \
		test "$(front_stat jwt_grants)" -ge $((before + 3))
	expect_eq "no request carried an expired token" 0 "$(front_stat bearer_bad)"
	umount_bfs "$M"
else
	fail "mount for token refresh"
fi
front_config '{"expires_in": 3600}'

# --- other token sources ----------------------------------------------------------------
if mount_bfs "$M" gs://lab/tree -o "endpoint=$FRONT,credentials_file=$WORK/user.json"; then
	check "authorized user (refresh token) via credentials_file=" cmp -s "$M/4.txt" "$S/tree/4.txt"
	check "...exchanged at its token_uri" test "$(front_stat refresh_grants)" -ge 1
	umount_bfs "$M"
else
	fail "mount with an authorized user"
fi
if GCE_METADATA_HOST=127.0.0.1:$FRONT_PORT mount_bfs "$M" gs://lab/tree -o "endpoint=$FRONT"; then
	check "the metadata server (GCE_METADATA_HOST)" cmp -s "$M/4.txt" "$S/tree/4.txt"
	check "...asked with Metadata-Flavor" test "$(front_stat metadata_grants)" -ge 1
	umount_bfs "$M"
else
	fail "mount with the metadata server"
fi
TOKEN=$(curl -s -H "Metadata-Flavor: Google" "$FRONT/computeMetadata/v1/instance/service-accounts/default/token" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
if GOOGLE_OAUTH_ACCESS_TOKEN=$TOKEN mount_bfs "$M" gs://lab/tree -o "endpoint=$FRONT"; then
	check "a given token (GOOGLE_OAUTH_ACCESS_TOKEN)" cmp -s "$M/x/1.txt" "$S/tree/x/1.txt"
	umount_bfs "$M"
else
	fail "mount with a given token"
fi
echo "$TOKEN" >"$WORK/token"
chmod 600 "$WORK/token"
if mount_bfs "$M" gs://lab/tree -o "endpoint=$FRONT,token_file=$WORK/token"; then
	check "token_file=" cmp -s "$M/x/2.txt" "$S/tree/x/2.txt"
	umount_bfs "$M"
else
	fail "mount with token_file="
fi

# --- mount-time errors: one line, status 32, no mount -----------------------------------
SECRETS=("BEGIN PRIVATE" "tok-" "csecret-1" "rtok-1")
echo '{"type": "service_account", "client_email": ' >"$WORK/broken.json"
expect_failure 32 "a malformed service-account file" "is not a JSON object" \
	GOOGLE_APPLICATION_CREDENTIALS="$WORK/broken.json" -- gs://lab "$M" -o "endpoint=$FRONT"
expect_failure 32 "an unreadable service-account file" "cannot be read" \
	GOOGLE_APPLICATION_CREDENTIALS="$WORK/missing.json" -- gs://lab "$M" -o "endpoint=$FRONT"
echo '{"type": "service_account", "client_email": "x@y", "private_key": "not a key"}' >"$WORK/nokey.json"
expect_failure 32 "a key file without an RSA key" "not an RSA key" \
	GOOGLE_APPLICATION_CREDENTIALS="$WORK/nokey.json" -- gs://lab "$M" -o "endpoint=$FRONT"
expect_failure 32 "a JWT signed with the wrong key" "refused (HTTP 400: invalid_grant" \
	GOOGLE_APPLICATION_CREDENTIALS="$WORK/wrongkey.json" -- gs://lab "$M" -o "endpoint=$FRONT"
front_config '{"down": true}'
expect_failure 32 "the token endpoint is down (503)" "the token endpoint $FRONT/token failed: HTTP 503" \
	GOOGLE_APPLICATION_CREDENTIALS="$WORK/sa.json" -- gs://lab "$M" -o "endpoint=$FRONT"
front_config '{"down": false}'
expect_failure 32 "the token endpoint is unreachable" "cannot reach the token endpoint http://127.0.0.1:1/token" \
	GOOGLE_APPLICATION_CREDENTIALS="$WORK/nowhere.json" -- gs://lab "$M" -o "endpoint=$FRONT"
expect_failure 32 "a token the server refuses" "the OAuth2 token from a given token was refused (AuthenticationRequired)" \
	GOOGLE_OAUTH_ACCESS_TOKEN=bogus -- gs://lab "$M" -o "endpoint=$FRONT,retries=0"
expect_failure 32 "no credentials at all" "no GCS credentials found" -- gs://lab "$M" -o "endpoint=$FRONT"
expect_failure 32 "half an HMAC key pair" "GCS_ACCESS_KEY_ID is set but GCS_SECRET_ACCESS_KEY is not" \
	GCS_ACCESS_KEY_ID=S3RVER -- gs://lab "$M" -o "endpoint=$S3_EP"
expect_failure 32 "a missing bucket" "does not exist" GCS_ACCESS_KEY_ID=S3RVER GCS_SECRET_ACCESS_KEY=S3RVER -- \
	gs://no-such-bucket "$M" -o "endpoint=$S3_EP"
check "the front saw no request for a private key or token in its log" bash -c "! grep -q Traceback '$WORK/front.log'"
finish
