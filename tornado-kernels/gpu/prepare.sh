#!/usr/bin/env bash
# Run HERE (where the TornadoVM SDK is installed): assembles the git-ignored folder .gpu/ that the
# device machine receives (name it in the device tool's `carry`), then run-device.sh runs there.
#   tornado-kernels/gpu/prepare.sh GPU_BUNDLE.tar.xz
# GPU_BUNDLE.tar.xz: a TornadoVM bundle for the device (top folder bundle/ with jre/, tvm/, ocl/,
# run.sh; see ../shared/tools/tornado-gpu/). .gpu/ gets that archive, the command-line jar, the
# tornado-kernels jar and the two HF fixture folders. Nothing of it is committed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUNDLE=${1:?usage: prepare.sh GPU_BUNDLE.tar.xz}
: "${TORNADOVM_HOME:?set TORNADOVM_HOME: the jars are built against the TornadoVM SDK}"
SHARED=${MINITRON4J_SHARED:-$ROOT/../shared}
G="$ROOT/.gpu"
cd "$ROOT"
echo "prepare: building (mvn -Ptornado package, log .cache/build-gpu.log)" >&2
mkdir -p .cache
mvn -B -q -DskipTests -Ptornado -pl experiments,tornado-kernels -am package >.cache/build-gpu.log 2>&1 \
  || { tail -30 .cache/build-gpu.log >&2; exit 1; }
rm -rf "$G"; mkdir -p "$G/fixtures"
cp "$BUNDLE" "$G/gpu-bundle.tar.xz"
cp experiments/target/minitron4j.jar "$G/minitron4j.jar"
cp tornado-kernels/target/tornado-kernels-0.1.0-SNAPSHOT.jar "$G/tornado-kernels.jar"
for f in tiny-gqa tiny-mqa-tied; do cp -r "$SHARED/fixtures/hf-nemotron/$f" "$G/fixtures/"; done
SIZE=$(du -sm "$G" | cut -f1)
echo "prepare: .gpu/ holds ${SIZE} MiB" >&2
if [ "$SIZE" -gt 60 ]; then echo "prepare: more than 60 MiB; the device tool carries at most 64 MiB in all" >&2; exit 1; fi
echo "prepare: on the device run: bash tornado-kernels/gpu/run-device.sh   (carry: .gpu)" >&2
