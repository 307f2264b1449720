#!/bin/bash
# SPDX-License-Identifier: MIT
# The test lab: s3rver (plain and TLS), the fault proxy and Azurite (blob
# service) on 127.0.0.1, with the test data sets uploaded and local reference
# copies of them.
#
#   lab.sh start [LAB_DIR]   start (or reuse) the lab; writes LAB_DIR/env
#   lab.sh stop  [LAB_DIR]   stop what start started
#
# Environment: BFS_LAB_BIG_GIB (default 4.25): size of the big object, 0 for none;
# BFS_LAB_MANY (default 10000): objects in many/; BFS_LAB_KEEP: stop does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: lab.sh start|stop [LAB_DIR]}
lab=${2:-${BFS_LAB_DIR:-$here/../../build/lab}}
mkdir -p "$lab"
lab=$(cd "$lab" && pwd)

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "lab: nothing listens on port $1" >&2
	return 1
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

stop() {
	if [ -n "${BFS_LAB_KEEP:-}" ]; then
		echo "lab: kept running (BFS_LAB_KEEP)"
		return 0
	fi
	[ -f "$lab/env" ] || return 0
	# shellcheck disable=SC1091
	. "$lab/env"
	for p in ${LAB_PIDS:-}; do kill "$p" 2>/dev/null || true; done
	rm -f "$lab/env"
}

start() {
	if [ -f "$lab/env" ]; then
		# shellcheck disable=SC1091
		. "$lab/env"
		ok=1
		for p in $LAB_PIDS; do alive "$p" || ok=0; done
		[ $ok = 1 ] && { echo "lab: already running in $lab"; return 0; }
		stop
	fi
	[ -x "$here/node_modules/.bin/s3rver" ] && [ -x "$here/node_modules/.bin/azurite-blob" ] ||
		(cd "$here" && npm ci --no-audit --no-fund --silent)
	mkdir -p "$lab/s3data" "$lab/src" "$lab/azdata" "$lab/azsrc"
	if [ ! -f "$lab/cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
			-addext "subjectAltName=IP:127.0.0.1" \
			-keyout "$lab/key.pem" -out "$lab/cert.pem" 2>/dev/null
	fi
	s3_port=$(free_port); tls_port=$(free_port); proxy_port=$(free_port); az_port=$(free_port)
	# s3rver encrypts continuation tokens with DES: OpenSSL 3 has it only in
	# its legacy provider, without which truncated listings answer 500.
	export NODE_OPTIONS=--openssl-legacy-provider
	"$here/node_modules/.bin/s3rver" -d "$lab/s3data" -a 127.0.0.1 -p "$s3_port" --silent \
		>"$lab/s3rver.log" 2>&1 &
	pid1=$!
	"$here/node_modules/.bin/s3rver" -d "$lab/s3data" -a 127.0.0.1 -p "$tls_port" --silent \
		--key "$lab/key.pem" --cert "$lab/cert.pem" >"$lab/s3rver-tls.log" 2>&1 &
	pid2=$!
	/usr/bin/python3 "$here/faultproxy.py" "$proxy_port" "$s3_port" >"$lab/proxy.log" 2>&1 &
	pid3=$!
	"$here/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$az_port" \
		--location "$lab/azdata" --skipApiVersionCheck --silent >"$lab/azurite.log" 2>&1 &
	pid4=$!
	cat >"$lab/env" <<ENV
LAB_DIR=$lab
LAB_S3_PORT=$s3_port
LAB_TLS_PORT=$tls_port
LAB_PROXY_PORT=$proxy_port
LAB_SRC=$lab/src
LAB_CA=$lab/cert.pem
LAB_AZ_PORT=$az_port
LAB_AZ_EP=http://127.0.0.1:$az_port/devstoreaccount1
LAB_AZ_SRC=$lab/azsrc
LAB_PIDS="$pid1 $pid2 $pid3 $pid4"
ENV
	wait_port "$s3_port"; wait_port "$tls_port"; wait_port "$proxy_port"; wait_port "$az_port"
	big=${BFS_LAB_BIG_GIB:-4.25}
	many=${BFS_LAB_MANY:-10000}
	if [ ! -f "$lab/populated-$big-$many" ]; then
		echo "lab: uploading the test data set (big object: $big GiB, $many small ones)..."
		/usr/bin/python3 "$here/populate.py" "http://127.0.0.1:$s3_port" lab "$lab/src" \
			--many "$many" --big-gib "$big"
		touch "$lab/populated-$big-$many"
	fi
	if [ ! -f "$lab/azpopulated-1" ]; then
		echo "lab: uploading the Azure test data set..."
		/usr/bin/python3 "$here/azpopulate.py" fill "http://127.0.0.1:$az_port/devstoreaccount1" \
			lab "$lab/azsrc"
		touch "$lab/azpopulated-1"
	fi
	echo "lab: running in $lab (s3rver :$s3_port, tls :$tls_port, proxy :$proxy_port," \
		"azurite :$az_port)"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: lab.sh start|stop [LAB_DIR]" >&2; exit 2 ;;
esac
