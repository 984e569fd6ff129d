#!/bin/bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang and runs each for
# a while: bash tools/fuzz.sh [SECONDS per target, default 60].
# Corpora are kept in var/fuzz/<target>, so later runs start where the
# earlier ones stopped. A crash leaves its input in var/fuzz/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

bash tools/deps.sh
if ! command -v clang >/dev/null || [ ! -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
	apt-get install -y -q clang libclang-rt-14-dev >/dev/null
fi
CC=clang cmake -S . -B build-fuzz -DMODELREG_FUZZ=ON -DMODELREG_BENCH=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets="fuzz_dispatch fuzz_chunk fuzz_filter fuzz_keys fuzz_manifest"
cmake --build build-fuzz -j"$(nproc)" --target $targets

for t in $targets; do
	mkdir -p "var/fuzz/$t"
	echo "== $t, $seconds s"
	build-fuzz/tests/fuzz/$t -max_total_time="$seconds" -max_len=65536 \
		-artifact_prefix="var/fuzz/$t-" "var/fuzz/$t" 2>&1 |
		grep -E "DONE|ERROR|SUMMARY" || true
	if ls "var/fuzz/$t-"crash-* "var/fuzz/$t-"leak-* >/dev/null 2>&1; then
		echo "tools/fuzz.sh: $t found a failure; inputs in var/fuzz/" >&2
		exit 1
	fi
done
