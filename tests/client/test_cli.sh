#!/bin/sh
# test_cli.sh - the modelreg CLI as users run it, against fake_modelregd.
# Usage: test_cli.sh MODELREG FAKE_MODELREGD
# Each check runs one command and looks at its exit status and output.
set -u
cli=$1
fake=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/mr-cli-test-XXXXXX")
pid=
failures=0

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

start_server() {
	[ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null
	rm -f "$dir/reg.sock"
	"$fake" "ipc://$dir/reg.sock" &
	pid=$!
	i=0
	while [ ! -S "$dir/reg.sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# check NAME STATUS PATTERN COMMAND...: COMMAND exits with STATUS and
# its stdout+stderr match the grep pattern PATTERN.
check() {
	name=$1 want=$2 pattern=$3
	shift 3
	"$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ] ||
	    { [ -n "$pattern" ] && ! grep -q -- "$pattern" "$dir/out"; }; then
		echo "FAIL $name: exit $got (want $want), output:"
		sed 's/^/    /' "$dir/out"
		failures=$((failures + 1))
	else
		echo "ok   $name"
	fi
}

export MODELREG_SERVER="ipc://$dir/reg.sock" MODELREG_USER=tester
start_server

head -c 3000000 /dev/urandom >"$dir/model.bin"
head -c 2500000 /dev/urandom >"$dir/other.bin"
mkdir -p "$dir/tree/sub"
echo '{"a": 1}' >"$dir/tree/config.json"
head -c 5000 /dev/urandom >"$dir/tree/sub/w.bin"
cat >"$dir/meta.json" <<'JSON'
{
  "metrics": {"accuracy": 0.87},
  "hyperparameters": {"max_depth": 6, "eta": "0.1"},
  "framework": "xgboost", "python_version": 3.11,
  "features": ["amount", "merchant"],
  "signature": {"inputs": {"amount": "float32"}},
  "tags": {"team": "risk"}
}
JSON
echo '{"framework": "x", "epochs": 3}' >"$dir/bad.json"

check register 0 'registered fraud 3.1.0 (dev)' \
	"$cli" register fraud "$dir/model.bin" --version v3.1.0 \
	--metadata "$dir/meta.json" --tag env=test
check register-stats 0 '3 of 3 chunks sent' \
	"$cli" register other "$dir/other.bin" --version 1.0.0
check register-dedup 0 '0 of 3 chunks sent' \
	"$cli" register fraud "$dir/model.bin" --version 3.2.0
check register-dir-json 0 '"directory": true' \
	"$cli" --json register ranker "$dir/tree" --version 1.0.0
check register-unknown-key 2 'unknown key "epochs"' \
	"$cli" register fraud "$dir/model.bin" --version 9.0.0 \
	--metadata "$dir/bad.json"
check register-no-version 2 '--version is required' \
	"$cli" register fraud "$dir/model.bin"
check register-bad-version 1 'INVALID_ARGUMENT: version "3.1" is not' \
	"$cli" register fraud "$dir/model.bin" --version 3.1
check register-exists 1 'register fraud 3.1.0: ALREADY_EXISTS' \
	"$cli" register fraud "$dir/model.bin" --version 3.1.0
check get 0 'framework: *xgboost' "$cli" get fraud@3.1.0
check get-json 0 '"stage": "dev"' "$cli" --json get fraud --version 3.1.0
check get-both 2 'not both' "$cli" get fraud@3.1.0 --stage prod
check get-missing 1 'get fraud 7.0.0: NOT_FOUND' "$cli" get fraud@7.0.0
check pull 0 'pulled fraud 3.1.0' "$cli" pull fraud@3.1.0 "$dir/out.bin"
check pull-same 0 '' cmp "$dir/model.bin" "$dir/out.bin"
check pull-exists 1 'ALREADY_EXISTS' "$cli" pull fraud@3.1.0 "$dir/out.bin"
check pull-force 0 'pulled' "$cli" pull fraud@3.1.0 "$dir/out.bin" --force
check pull-dir 0 'a directory' "$cli" pull ranker@1.0.0 "$dir/ranker"
check pull-dir-same 0 '' cmp "$dir/tree/sub/w.bin" "$dir/ranker/sub/w.bin"
check promote 0 'fraud 3.1.0 is now in staging' \
	"$cli" promote fraud 3.1.0 --to staging --reason 'tests pass'
check promote-no-to 2 '--to STAGE is required' "$cli" promote fraud 3.1.0
check promote-bad-stage 2 'not a stage' \
	"$cli" promote fraud 3.1.0 --to qa
check history 0 'stage_changed' "$cli" history fraud
check history-more 0 'more events: add --after 1' \
	"$cli" history --limit 1
check list 0 'fraud' "$cli" list
check list-versions 0 '3.2.0' "$cli" list fraud
check info 0 'Recent history' "$cli" info fraud
check rollback-no-reason 2 '--reason TEXT is required' \
	"$cli" rollback fraud
check rollback-refused 1 'modelreg: rollback fraud: UNIMPLEMENTED: ' \
	"$cli" rollback fraud --reason bad
check unknown-command 2 'no command "frobnicate"' "$cli" frobnicate
check help 0 'Metadata file' "$cli" help register
check dead-server 1 'UNAVAILABLE: cannot connect to ipc:///nonexistent' \
	"$cli" --server ipc:///nonexistent/x.sock list

kill "$pid" && wait "$pid" 2>/dev/null
pid=
FAKE_CORRUPT_CHUNKS=1 "$fake" "ipc://$dir/reg.sock" &
pid=$!
sleep 0.3
"$cli" register fraud "$dir/model.bin" --version 1.0.0 >/dev/null 2>&1
check pull-corrupt 1 'DATA_LOSS: chunk 0 of model.bin' \
	"$cli" pull fraud@1.0.0 "$dir/bad.bin"
check pull-corrupt-nothing 1 '' test -e "$dir/bad.bin"

if [ $failures -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
