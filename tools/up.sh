#!/bin/bash
# Installs what is missing, builds, and starts modelregd in the background
# on tcp://127.0.0.1:7878 with its data in ./var/modelreg (created here).
# Stop it with: kill "$(cat var/modelregd.pid)"
# Every call needs a token: on its first start modelregd makes the first
# admin token, kept in var/admin.token (mode 0600) for the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

mkdir -p var
if [ -f var/modelregd.pid ] && kill -0 "$(cat var/modelregd.pid)" 2>/dev/null; then
	echo "tools/up.sh: restarting modelregd (pid $(cat var/modelregd.pid))" >&2
	kill "$(cat var/modelregd.pid)"
	while kill -0 "$(cat var/modelregd.pid)" 2>/dev/null; do sleep 0.1; done
fi
nohup build/service/modelregd --listen tcp://127.0.0.1:7878 \
	--data var/modelreg --bootstrap-token-file var/admin.token \
	>>var/modelregd.log 2>&1 &
echo $! >var/modelregd.pid

for _ in $(seq 100); do
	if [ -s var/admin.token ] && build/client/modelreg --server tcp://127.0.0.1:7878 \
		--token-file var/admin.token list >/dev/null 2>&1; then
		echo "modelregd is serving tcp://127.0.0.1:7878 (pid $(cat var/modelregd.pid)," \
			"data in var/modelreg, log in var/modelregd.log)"
		echo "CLI: export MODELREG_TOKEN=\$(cat var/admin.token); build/client/modelreg --help"
		exit 0
	fi
	if ! kill -0 "$(cat var/modelregd.pid)" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
echo "tools/up.sh: modelregd did not start; see var/modelregd.log:" >&2
tail -n 20 var/modelregd.log >&2
exit 1
