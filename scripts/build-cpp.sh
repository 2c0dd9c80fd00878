#!/usr/bin/env bash
# Builds the C++ parts, incrementally:
#   build/cpp        Release: bridge/ (ns3ts-peer, zmq-echo, gym-echo-agent, ctest) and, when an installed ns-3 is
#                    found (find_package(ns3)), the ns-3 module ns3-patch/ and its programs.
#   build/cpp-asan   bridge/ only, with AddressSanitizer + UndefinedBehaviorSanitizer (ctest).
# Programs land in build/cpp/bin/ (the TypeScript launcher looks there).
#
#   scripts/build-cpp.sh [--no-ns3] [--no-asan]      (NS3TS_BUILD_JOBS, default 2)
# Concurrent runs wait for each other (flock on build/.lock).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${NS3TS_BUILD_JOBS:-2}"
want_ns3=1
want_asan=1
for arg in "$@"; do
  case "$arg" in
    --no-ns3) want_ns3=0 ;;
    --no-asan) want_asan=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-cpp.sh: unknown option $arg (expected --no-ns3 or --no-asan)" >&2; exit 2 ;;
  esac
done

for tool in cmake protoc pkg-config; do
  command -v "$tool" >/dev/null || { echo "build-cpp.sh: $tool is missing (apt-get install cmake g++ pkg-config libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler)" >&2; exit 1; }
done

mkdir -p "$root/build"
exec 9>"$root/build/.lock"
if ! flock -n 9; then
  echo "build-cpp.sh: waiting for another build (build/.lock)" >&2
  flock 9
fi

with_ns3=OFF
if [ "$want_ns3" = 1 ]; then
  for cfg in /usr/lib/*/cmake/ns3/ns3Config.cmake /usr/local/lib/cmake/ns3/ns3Config.cmake /usr/local/lib/*/cmake/ns3/ns3Config.cmake; do
    if [ -f "$cfg" ]; then with_ns3=ON; break; fi
  done
  [ "$with_ns3" = ON ] || echo "build-cpp.sh: no installed ns-3 found (apt-get install ns3 libns3-dev libgsl-dev); building bridge/ only" >&2
fi

echo "== build/cpp (Release, NS3TS_WITH_NS3=$with_ns3)"
cmake -S "$root" -B "$root/build/cpp" -DCMAKE_BUILD_TYPE=Release -DNS3TS_WITH_NS3="$with_ns3" >/dev/null
cmake --build "$root/build/cpp" -j "$jobs"

if [ "$want_asan" = 1 ]; then
  echo "== build/cpp-asan (bridge/, AddressSanitizer + UndefinedBehaviorSanitizer)"
  cmake -S "$root" -B "$root/build/cpp-asan" -DCMAKE_BUILD_TYPE=Debug -DNS3TS_SANITIZE=ON -DNS3TS_WITH_NS3=OFF >/dev/null
  cmake --build "$root/build/cpp-asan" -j "$jobs"
fi

echo "== programs in $root/build/cpp/bin:"
ls -1 "$root/build/cpp/bin" | sed 's/^/   /'
[ "$with_ns3" = ON ] && echo "   (ns-3 module library: $root/build/cpp/lib)"
echo "== unit tests: ctest --test-dir build/cpp-asan   (and build/cpp)"
