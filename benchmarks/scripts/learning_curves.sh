#!/usr/bin/env bash
# Learning curves of Diffusion Policy's CPU preset on the quick suite's data
# (issue 12: the budgets of `quick` come from these). Not a CI test: each
# curve is a full training run (about 80 minutes on one thread).
#
#   benchmarks/scripts/learning_curves.sh OUT [STEPS] [EVAL_EVERY] [ENV ...]
#
# For each env (default: pusht claw), as the quick suite records and trains:
#   OUT/demos_ENV.hdf5   200 expert demos from seed 0 (Push-T: keypoints)
#   OUT/dp_ENV/          the run folder; train_log.csv holds the curve: every
#                        EVAL_EVERY steps (default 1500) an evaluation of 50
#                        episodes on the held-out seeds 100000..100049 with
#                        the EMA weights (eval_success, eval_score columns)
#   OUT/dp_ENV/wall.txt  wall seconds of the training
# The runs go side by side, one LibTorch thread each. STEPS (default 12000)
# sets the cosine schedule's end, so a point at step s is what a longer run
# has reached by s, not what a run of s steps would reach (that one decays
# its learning rate sooner and usually ends a little better).
set -euo pipefail
out=${1:?usage: learning_curves.sh OUT [STEPS] [EVAL_EVERY] [ENV ...]}
steps=${2:-12000}
every=${3:-1500}
shift $(( $# < 3 ? $# : 3 ))
envs=("$@")
[ ${#envs[@]} -eq 0 ] && envs=(pusht claw)
bin="$(cd "$(dirname "$0")/../.." && pwd)/build/bcbench"
mkdir -p "$out"
curve() {
  local env=$1 obs=()
  [ "$env" = pusht ] && obs=(--obs keypoints)
  [ -f "$out/demos_$env.hdf5" ] ||
    "$bin" --threads 1 demos --env "$env" --episodes 200 --seed 0 "${obs[@]}" --out "$out/demos_$env.hdf5"
  local start=$SECONDS
  "$bin" --threads 1 train --env "$env" --policy diffusion --data "$out/demos_$env.hdf5" \
    --out "$out/dp_$env" --steps "$steps" --eval-every "$every" --eval-episodes 50 --log-every 500
  echo "$(( SECONDS - start ))" > "$out/dp_$env/wall.txt"
}
for env in "${envs[@]}"; do curve "$env" > "$out/dp_$env.log" 2>&1 & done
wait
