#!/usr/bin/env bash
# Run ON the device machine (no Java there; everything comes in .gpu/, made by prepare.sh), from the
# repository root: bash tornado-kernels/gpu/run-device.sh [ptx|opencl|both]   (default both)
# 1. unpacks the TornadoVM bundle; 2. HF fixture parity through the command line with
# --backend tornado (forward, grads CE, grads KD at tau 2, greedy generate) and ParityCheck, per backend;
# 3. TornadoBench (matmul probe, teacher forward, KD step) as JSON, on PTX.
# Logs and results go to $OUT (default .gpu/out); summary.jsonl gathers one JSON line per check.
# Env: FIXTURES (default "tiny-gqa tiny-mqa-tied"), STEP_TO (seconds per JVM, default 150),
# DEVICE_MEMORY (TornadoVM device heap, default 64GB; the anchor shape needs more than the 1 GB default),
# BENCH_BACKEND (default ptx; "none" skips it), BENCH_ARGS (default the anchor shape, "--batch 8
# --seq 512"), BENCH_TO (default 300), BENCH_XMX (heap and host copies of the device buffers, default 48g).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
G="$ROOT/.gpu"; OUT=${OUT:-$G/out}; WHICH=${1:-both}
mkdir -p "$OUT"
[ -d "$G/bundle" ] || tar xJf "$G/gpu-bundle.tar.xz" -C "$G"
RUN="$G/bundle/run.sh"
CP="$G/minitron4j.jar:$G/tornado-kernels.jar"
CLI=minitron4j.experiments.cli.Minitron4j
export JVM_OPTS="-Dtornado.tvm.maxbytecodesize=65536 -Dtornado.device.memory=${DEVICE_MEMORY:-64GB} --add-modules jdk.incubator.vector --add-opens java.base/java.lang=ALL-UNNAMED ${JVM_OPTS:-}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
SUMMARY="$OUT/summary.jsonl"; : > "$SUMMARY"

parity() {  # $1 backend, $2 fixture
  local b=$1 f=$2 fx="$G/fixtures/$2" o="$OUT/$1-$2"
  mkdir -p "$o"
  TO=${STEP_TO:-150} bash "$RUN" "$b" "$CP" $CLI forward --backend tornado --model "$fx" \
    --input "$fx/forward.safetensors" --out "$o/forward.safetensors" > "$o/forward.log" 2>&1
  TO=${STEP_TO:-150} bash "$RUN" "$b" "$CP" $CLI grads --backend tornado --model "$fx" \
    --input "$fx/forward.safetensors" --out "$o/ce.safetensors" > "$o/ce.log" 2>&1
  TO=${STEP_TO:-150} bash "$RUN" "$b" "$CP" $CLI grads --backend tornado --model "$fx" \
    --input "$fx/forward.safetensors" --teacher-logits "$fx/kd_grads.safetensors" --temperature 2 \
    --out "$o/kd.safetensors" > "$o/kd.log" 2>&1
  local line gen
  gen=$("$G/bundle/jre/bin/java" --add-modules jdk.incubator.vector -cp "$CP" minitron4j.tornado.ParityCheck --generate-args "$fx" 2> "$o/generate-args.log")
  # shellcheck disable=SC2086 # gen holds several arguments
  TO=${STEP_TO:-150} bash "$RUN" "$b" "$CP" $CLI generate --backend tornado --model "$fx" $gen --json \
    > "$o/generate.out" 2> "$o/generate.log"
  line=$("$G/bundle/jre/bin/java" --add-modules jdk.incubator.vector -cp "$CP" minitron4j.tornado.ParityCheck "$fx" \
    "$o/forward.safetensors" "$o/ce.safetensors" "$o/kd.safetensors" "$o/generate.out" 2> "$o/check.log" | tail -1)
  [ -n "$line" ] || line="{\"fixture\":\"$f\",\"pass\":false,\"error\":\"see $b-$f/*.log\"}"
  echo "{\"backend\":\"$b\",${line#\{}" | tee -a "$SUMMARY"
}

for b in ptx opencl; do
  case $WHICH in both|$b) ;; *) continue ;; esac
  for f in ${FIXTURES:-tiny-gqa tiny-mqa-tied}; do parity $b $f; done
done
BB=${BENCH_BACKEND:-ptx}
if [ "$BB" != none ]; then
  XMX=${BENCH_XMX:-48g} TO=${BENCH_TO:-300} bash "$RUN" "$BB" "$CP" minitron4j.tornado.TornadoBench ${BENCH_ARGS:---batch 8 --seq 512} \
    > "$OUT/bench-$BB.log" 2> "$OUT/bench-$BB.err"
  line=$(tail -1 "$OUT/bench-$BB.log")
  case $line in '{'*) ;; *) line="{\"bench\":\"failed\",\"see\":\"bench-$BB.err\"}" ;; esac
  echo "{\"backend\":\"$BB\",${line#\{}" | tee -a "$SUMMARY"
fi
echo "run-device: results in $SUMMARY" >&2
