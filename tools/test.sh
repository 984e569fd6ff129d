#!/bin/bash
# Installs what is missing, builds and runs the whole test suite.
#   bash tools/test.sh              the normal build, in build/
#   bash tools/test.sh --sanitize   AddressSanitizer + UBSan, in build-asan/
#   bash tools/test.sh --fuzz       the libFuzzer harnesses, built with clang
#                                   in build-fuzz/, each run 12 s from the
#                                   seeds in tests/fuzz/corpus (tools/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--fuzz" ]; then
	exec bash tools/fuzz.sh --ci "${MODELREG_FUZZ_SECONDS:-12}"
fi

dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
	dir=build-asan
	flags=(-DCMAKE_BUILD_TYPE=Debug -DMODELREG_SANITIZE=ON)
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

bash tools/deps.sh
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j"$(nproc)"
