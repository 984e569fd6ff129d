#!/bin/bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang, against a
# protobuf-c built from source with the same instrumentation, and runs
# each for a while:
#   bash tools/fuzz.sh [SECONDS]    each target SECONDS (default 60), from
#                                   var/fuzz/<target> and the seeds in
#                                   tests/fuzz/corpus/<target>; what it
#                                   finds stays in var/fuzz/<target>
#   bash tools/fuzz.sh --ci SECONDS  the same from the seeds alone, into a
#                                   scratch corpus (tools/test.sh --fuzz)
#   bash tools/fuzz.sh --build      only build, in build-fuzz/
# A crash, leak or timeout leaves its input in var/fuzz/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
case "${1:-}" in
--build) mode=build ;;
--ci) mode=ci; shift ;;
esac
seconds=${1:-60}
targets="fuzz_request fuzz_dispatch fuzz_chunk fuzz_filter fuzz_keys fuzz_manifest"

export DEBIAN_FRONTEND=noninteractive
bash tools/deps.sh
if ! command -v clang-14 >/dev/null ||
	[ ! -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
	! command -v dpkg-source >/dev/null; then
	echo "tools/fuzz.sh: installing clang-14, libclang-rt-14-dev, dpkg-dev" >&2
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends clang-14 \
		libclang-rt-14-dev dpkg-dev >/dev/null
fi

# protobuf-c's source, the version of the installed headers and protoc-c
# (Debian's library is built without coverage, so the fuzzer could not
# see inside the unpacker). Fetched once into var/fuzz/src/.
pbc_deb=$(dpkg-query -W -f='${source:Version}' libprotobuf-c-dev) # 1.4.1-1
pbc_src=var/fuzz/src/protobuf-c-${pbc_deb%-*}
if [ ! -f "$pbc_src/protobuf-c/protobuf-c.c" ]; then
	# deb-src is not enabled on Debian images by default.
	list=/etc/apt/sources.list.d/modelreg-src.sources
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	if [ ! -e "$list" ]; then
		cat >"$list" <<-EOF
			# Written by modelreg's tools/fuzz.sh: source packages, for
			# \`apt-get source protobuf-c\` (an instrumented fuzz build).
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: $codename
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update -qq
	fi
	mkdir -p var/fuzz/src
	tmp=$(mktemp -d var/fuzz/src/.fetch-XXXXXX)
	if ! (cd "$tmp" && apt-get source -qq "protobuf-c=$pbc_deb" >/dev/null 2>&1); then
		apt-get update -qq
		(cd "$tmp" && apt-get source -qq "protobuf-c=$pbc_deb" >/dev/null)
	fi
	rm -rf "$pbc_src"
	mv "$tmp/protobuf-c-${pbc_deb%-*}" "$pbc_src"
	rm -rf "$tmp"
fi

CC=clang-14 cmake -S . -B build-fuzz -DMODELREG_FUZZ=ON -DMODELREG_BENCH=OFF \
	-DMODELREG_PROTOBUF_C_SRC="$PWD/$pbc_src" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$(nproc)" --target $targets
[ "$mode" = build ] && exit 0

mkdir -p var/fuzz
failed=0
for t in $targets; do
	seeds=tests/fuzz/corpus/$t
	corpus=var/fuzz/$t
	if [ "$mode" = ci ]; then
		corpus=build-fuzz/ci-corpus/$t
		rm -rf "$corpus"
	fi
	mkdir -p "$corpus"
	dirs=("$corpus")
	[ -d "$seeds" ] && dirs+=("$seeds")
	echo "== $t, $seconds s"
	rc=0
	build-fuzz/tests/fuzz/$t -max_total_time="$seconds" -max_len=65536 \
		-timeout=10 -artifact_prefix="var/fuzz/$t-" "${dirs[@]}" \
		>"var/fuzz/$t.log" 2>&1 || rc=$?
	grep -E "^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY" "var/fuzz/$t.log" || true
	if [ $rc -ne 0 ]; then
		tail -n 40 "var/fuzz/$t.log"
		echo "tools/fuzz.sh: $t failed ($rc); see var/fuzz/$t.log" \
			"and its input in var/fuzz/$t-*" >&2
		failed=1
	fi
done
exit $failed
