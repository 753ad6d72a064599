#!/usr/bin/env bash
# Run ON the device machine (no Java there; everything comes in .gpu/, made by prepare.sh), from the
# repository root: bash tornado-kernels/gpu/run-device.sh [ptx|opencl|both|none]   (default ptx)
# 0. PyTorch + HF transformers on the same GPU in the same session (pytorch_baseline.py: the KD step,
#    the teacher's forward, HF generate and cuBLAS matmuls at the bench shape, fp32 eager and bf16 + SDPA),
#    the figures the TornadoVM numbers are compared with; PYTORCH=0 skips it;
# 1. unpacks the TornadoVM bundle;
# 2. HF fixture parity through the command line with --backend tornado (forward, grads CE, grads KD
#    at tau 2, greedy generate) and ParityCheck, per backend named (none: skip), with the default
#    matmul kernels;
# 3. `minitron4j bench --backend tornado --shape anchor --json` once per matmul variant
#    (-Dminitron4j.gemm=...; the first run also probes every variant's matmul at n = MATMUL_N), then on
#    PTX the first variant again with -Dminitron4j.cudaGraph=false (bench-<variant>-nograph.json).
# Results: $OUT (default .gpu/out) gets summary.jsonl (one JSON line per check), gpu.txt, one
# bench-<variant>.json per variant and logs.tar.gz (every log); outputs and logs are written under
# $WORK (default .gpu/work) first, since the device tool brings back at most 8 files from $OUT.
# Env: PYTORCH (0: skip stage 0), PYTORCH_TO (its seconds, default 300), FIXTURES (default "tiny-gqa tiny-mqa-tied"), STEP_TO (seconds per parity JVM, default 150),
# DEVICE_MEMORY (TornadoVM device heap, default 64GB; the anchor shape needs more than the 1 GB default),
# BENCH_BACKEND (default ptx; "none" skips the bench), GEMMS (default "blocked tiled16"),
# NOGRAPH_BENCH (0: skip the PTX bench without CUDA-graph replay), BENCH_SHAPE (default anchor), BENCH_STEPS (default 5), MATMUL_N (default 2048), BENCH_TO (seconds per
# bench JVM, default 240), BENCH_XMX (heap and host copies of the device buffers, default 48g).
# Every summary line carries wall_s (seconds of that check, JVM starts and compilation included), and
# $OUT fills as the run goes, so a run cut short still returns what finished. Where one device command
# (10 minutes at most) cannot hold it all, split it: `BENCH_BACKEND=none bash ... ptx`, then `bash ... none`.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
G="$ROOT/.gpu"; OUT=${OUT:-$G/out}; WORK=${WORK:-$G/work}; WHICH=${1:-ptx}
mkdir -p "$OUT" "$WORK"
[ -d "$G/bundle" ] || tar xJf "$G/gpu-bundle.tar.xz" -C "$G"
RUN="$G/bundle/run.sh"
CP="$G/minitron4j.jar:$G/tornado-kernels.jar"
CLI=minitron4j.experiments.cli.Minitron4j
BASE_OPTS="-Dtornado.tvm.maxbytecodesize=65536 -Dtornado.device.memory=${DEVICE_MEMORY:-64GB} --add-modules jdk.incubator.vector --add-opens java.base/java.lang=ALL-UNNAMED ${JVM_OPTS:-}"
export JVM_OPTS="$BASE_OPTS"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
SUMMARY="$OUT/summary.jsonl"; : > "$SUMMARY"

if [ "${PYTORCH:-1}" != 0 ]; then
  t0=$SECONDS
  timeout "${PYTORCH_TO:-300}" python3 "$ROOT/tornado-kernels/gpu/pytorch_baseline.py" --shape "${BENCH_SHAPE:-anchor}" \
    --steps "${BENCH_STEPS:-5}" --matmul "${MATMUL_N:-2048}" > "$WORK/pytorch.out" 2> "$WORK/pytorch.err"
  rc=$?
  grep '^{' "$WORK/pytorch.out" >> "$SUMMARY"
  echo "{\"pytorch\":\"done\",\"rc\":$rc,\"wall_s\":$((SECONDS - t0))}" | tee -a "$SUMMARY"
fi

parity() {  # $1 backend, $2 fixture
  local b=$1 f=$2 fx="$G/fixtures/$2" o="$WORK/$1-$2" t0=$SECONDS
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
  [ -n "$line" ] || line="{\"fixture\":\"$f\",\"pass\":false,\"error\":\"see $b-$f/*.log in logs.tar.gz\"}"
  echo "{\"backend\":\"$b\",\"wall_s\":$((SECONDS - t0)),${line#\{}" | tee -a "$SUMMARY"
}

bench() {  # $1 backend, $2 matmul variant, $3 matmul probe size (0: none), $4 CUDA-graph replay (default true)
  local b=$1 v=$2 graph=${4:-true} log t0=$SECONDS
  [ "$graph" = true ] || v="$v-nograph"
  log="$WORK/bench-$1-$v"
  JVM_OPTS="$BASE_OPTS -Dminitron4j.gemm=${2} -Dminitron4j.cudaGraph=$graph" XMX=${BENCH_XMX:-48g} TO=${BENCH_TO:-240} bash "$RUN" "$b" "$CP" $CLI \
    bench --backend tornado --shape "${BENCH_SHAPE:-anchor}" --steps "${BENCH_STEPS:-5}" --matmul "$3" --json \
    > "$log.out" 2> "$log.err"
  local line
  line=$(tail -1 "$log.out")
  case $line in '{'*) echo "$line" > "$OUT/bench-$v.json" ;; *) line="{\"gemm\":\"$v\",\"bench\":\"failed\",\"see\":\"bench-$b-$v.err in logs.tar.gz\"}" ;; esac
  echo "{\"tornado_backend\":\"$b\",\"wall_s\":$((SECONDS - t0)),${line#\{}" | tee -a "$SUMMARY"
}

for b in ptx opencl; do
  case $WHICH in both|$b) ;; *) continue ;; esac
  for f in ${FIXTURES:-tiny-gqa tiny-mqa-tied}; do parity $b $f; done
done
BB=${BENCH_BACKEND:-ptx}
if [ "$BB" != none ]; then
  probe=${MATMUL_N:-2048}
  gemms=${GEMMS:-blocked tiled16}
  for v in $gemms; do bench "$BB" "$v" "$probe"; probe=0; done
  # CUDA-graph replay (on by default on PTX) has never run: the default variant again without it
  # gives its effect, and a figure even if replay fails
  [ "$BB" != ptx ] || [ "${NOGRAPH_BENCH:-1}" = 0 ] || bench "$BB" "${gemms%% *}" 0 false
fi
(cd "$WORK" && find . -name '*.log' -o -name '*.out' -o -name '*.err' | tar czf "$OUT/logs.tar.gz" -T -)
echo "run-device: results in $SUMMARY" >&2
