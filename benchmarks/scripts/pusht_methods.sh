#!/usr/bin/env bash
# Every method on the same Push-T demos under the same CPU budget (issue 10's
# benchmark figure). Not a CI test: at the default budget it takes
# methods x 30 CPU-minutes plus evaluation.
#
#   benchmarks/scripts/pusht_methods.sh OUT [BUDGET_MIN] [LABEL:POLICY[:k=v,...] ...]
#
# A method is LABEL:POLICY with optional comma-separated config keys, where
# preset=NAME picks a preset (dp_t:diffusion:preset=transformer).
# OUT/pusht200.hdf5   200 expert demos, seeds 0.. (keypoints), shared by all
# OUT/LABEL/          the run folder (checkpoint.pt, train_log.csv), eval.csv,
#                     eval.txt (the printed summary), budget.txt
# OUT/summary.csv     one row per method: steps, CPU and wall seconds, the
#                     summary line of its evaluation on seeds 100000..100049
#
# CALIBRATE_ONLY=1 writes each method's budget.txt and stops there (the
# per-step CPU costs the quick suite's equal-compute budgets come from).
#
# Budget: every method trains on one LibTorch thread for as many optimiser
# steps as fit in BUDGET_MIN minutes of CPU time (default 30). The step count
# comes from a calibration (CPU seconds of a CALIB_STEPS-step minus a 20-step
# run, so start-up and the final validation cancel; CALIB_STEPS defaults to
# 120, and cheap methods need more, e.g. 20020 for the MLP, whose 100 steps
# take a third of a second), which keeps the training itself
# a fixed-step, deterministic run that resumes like any other.
set -euo pipefail

out=${1:?usage: pusht_methods.sh OUT [BUDGET_MIN] [LABEL:POLICY[:k=v,...] ...]}
budget_min=${2:-30}
shift $(( $# >= 2 ? 2 : $# ))
methods=("$@")
if [ ${#methods[@]} -eq 0 ]; then
  methods=(mlp:mlp lstm_gmm:lstm_gmm bet:bet ibc:ibc dp_cnn:diffusion
           dp_t:diffusion:preset=transformer)
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bcbench="${BCBENCH_BIN:-$root/build/bcbench}"
[ -x "$bcbench" ] || { echo "build first: ./bcbench --help" >&2; exit 2; }
mkdir -p "$out"
demos="$out/pusht200.hdf5"
if [ ! -f "$demos" ]; then
  "$bcbench" demos --env pusht --episodes 200 --seed 0 --obs keypoints --out "$demos"
fi

# Runs a command with its output in LOG; prints "CPU_SECONDS WALL_SECONDS"
# (CPU = user + system). A failing command stops the script with its log.
timed() {
  local log=$1; shift
  local TIMEFORMAT='%U %S %R' t
  if ! t=$( { time "$@" >"$log" 2>&1; } 2>&1 ); then
    echo "failed: $* (log $log):" >&2; tail -5 "$log" >&2; exit 1
  fi
  awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' <<<"$t"
}

for spec in "${methods[@]}"; do
  IFS=: read -r label policy sets <<<"$spec"
  dir="$out/$label"
  set_args=()
  if [ -n "${sets:-}" ]; then
    IFS=, read -ra kvs <<<"$sets"
    for kv in "${kvs[@]}"; do
      case $kv in
        preset=*) set_args+=(--preset "${kv#preset=}") ;;
        *) set_args+=(--set "$kv") ;;
      esac
    done
  fi
  train=("$bcbench" --threads 1 train --env pusht --policy "$policy" --data "$demos"
         "${set_args[@]}" --log-every 100)
  if [ ! -f "$dir/budget.txt" ]; then
    long=${CALIB_STEPS:-120}
    rm -rf "$dir.calib20" "$dir.calib$long"
    calib=("${train[@]}" --valid-every "$long" --checkpoint-every "$long")
    t20=$(timed "$out/$label.calib20.log" "${calib[@]}" --steps 20 --out "$dir.calib20")
    tlong=$(timed "$out/$label.calib$long.log" "${calib[@]}" --steps "$long" --out "$dir.calib$long")
    c20=${t20%% *} clong=${tlong%% *}
    rm -rf "$dir.calib20" "$dir.calib$long"
    steps=$(awk -v a="$c20" -v b="$clong" -v n="$long" -v m="$budget_min" \
      'BEGIN { s = (n - 20) / (b - a); k = int(m * 60 * s / 100) * 100; print (k < 100 ? 100 : k) }')
    mkdir -p "$dir"
    printf 'budget_min=%s cpu_s_20=%s cpu_s_%s=%s steps=%s\n' "$budget_min" "$c20" "$long" "$clong" \
      "$steps" \
      >"$dir/budget.txt.tmp"
    mv "$dir/budget.txt.tmp" "$dir/budget.txt"
  fi
  steps=$(sed -n 's/.*steps=\([0-9]*\).*/\1/p' "$dir/budget.txt")
  if [ "${CALIBRATE_ONLY:-0}" = "1" ]; then
    echo "$label: $(cat "$dir/budget.txt")"
    continue
  fi
  echo "== $label ($policy ${sets:-}): $steps steps"
  # The calibration ran no checkpoint and no validation; at most 20 of each in
  # the real run keep their cost a small part of the budget for methods that
  # take hundreds of thousands of short steps (the MLP's 849,000 steps, with one
  # every 1000, used 39 CPU-minutes of a 30-minute budget in results/pusht_methods30).
  every=$(( steps / 20 > 1000 ? steps / 20 : 1000 ))
  if [ ! -f "$dir/train_time.txt" ]; then
    timed "$dir/train.log" "${train[@]}" --valid-every "$every" --checkpoint-every "$every" \
      --steps "$steps" --out "$dir" >"$dir/train_time.txt.tmp"
    mv "$dir/train_time.txt.tmp" "$dir/train_time.txt"
  fi
  if [ ! -f "$dir/eval.txt" ]; then
    "$bcbench" --threads 1 eval --checkpoint "$dir" --episodes 50 --csv "$dir/eval.csv" \
      >"$dir/eval.txt.tmp" 2>&1
    mv "$dir/eval.txt.tmp" "$dir/eval.txt"
  fi
  read -r cpu wall <"$dir/train_time.txt"
  line=$(grep -m1 -E '^episodes [0-9]+ +success' "$dir/eval.txt" | tr -s ' ' || true)
  echo "$label: $steps steps, train CPU ${cpu}s wall ${wall}s; $line"
done
[ "${CALIBRATE_ONLY:-0}" = "1" ] && exit 0

{
  echo "label,policy,steps,train_cpu_s,train_wall_s,summary"
  for d in "$out"/*/; do
    [ -f "$d/eval.txt" ] || continue
    label=$(basename "$d")
    read -r cpu wall <"$d/train_time.txt"
    steps=$(sed -n 's/.*steps=\([0-9]*\).*/\1/p' "$d/budget.txt")
    policy=$(grep -m1 -oE 'evaluating [a-z_]+' "$d/eval.txt" | awk '{print $2}' || true)
    line=$(grep -m1 -E '^episodes [0-9]+ +success' "$d/eval.txt" | tr -s ' ' | sed 's/"/""/g' || true)
    echo "$label,$policy,$steps,$cpu,$wall,\"$line\""
  done
} >"$out/summary.csv.tmp"
mv "$out/summary.csv.tmp" "$out/summary.csv"
echo "wrote $out/summary.csv"
