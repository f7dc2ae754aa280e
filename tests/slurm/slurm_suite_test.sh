#!/usr/bin/env bash
# `bcbench slurm` against a real one-node Slurm cluster (run under with_slurm.sh):
#  1. a suite run locally, unsharded, one thread per cell (the reference);
#  2. the same suite submitted as a job array of 3 tasks on a shared folder:
#     its episodes.csv must equal the reference byte for byte;
#  3. submitted again, one array task cancelled (scancel) while it trains, then
#     `slurm submit --resume`: again equal to the reference.
# The reduced suite (4 cells) runs by default; BCBENCH_SLURM_FULL=1 runs the
# whole smoke suite (15 cells, 4 tasks) instead.
#   tests/slurm/with_slurm.sh tests/slurm/slurm_suite_test.sh BCBENCH_BINARY WORK_DIR
set -euo pipefail
bin=$1
work=$2
rm -rf "$work"; mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
wait_idle() {  # until job $1 has no task in squeue, at most $2 seconds
  local t=0
  while squeue -h -j "$1" 2>/dev/null | grep -q .; do
    sleep 2; t=$((t + 2))
    [ "$t" -lt "$2" ] || { squeue >&2; fail "job $1 still queued after $2 s"; }
  done
}
job_of() { sed -n 's/.*array job \([0-9]*\).*/\1/p' <<<"$1"; }

if [ "${BCBENCH_SLURM_FULL:-0}" = 1 ]; then
  suite=smoke; tasks=4; limit=1200
else
  suite="$work/reduced.yaml"; tasks=3; limit=600
  cat >"$suite" <<'YAML'
description: two envs x two policies, tiny budgets (the Slurm test's reduced suite)
demos: {episodes: 4, seed: 0}
train: {steps: 4, seeds: [0], log_every: 2, checkpoint_every: 2, valid_every: 0}
eval: {episodes: 2, seed_base: 100000, probe_episodes: 2}
envs:
  pusht: {obs: keypoints}
  claw: {}
policies:
  diffusion:
    set: {down_dims: [8, 16], n_groups: 4, step_embed_dim: 8, pred_horizon: 8, action_horizon: 4,
          batch_size: 8, warmup_steps: 1, inference_steps: 2}
  mlp:
    set: {hidden_dims: [16, 16], batch_size: 8, warmup_steps: 1}
experiments:
  main: {}
YAML
fi

echo "== reference: unsharded local run"
"$bin" --threads 1 --log-level warn bench --suite "$suite" --out "$work/local"
[ -s "$work/local/episodes.csv" ] || fail "no reference episodes.csv"

echo "== dry run prints both scripts and submits nothing"
dry=$("$bin" slurm submit --suite "$suite" --out "$work/dry" --array-size "$tasks" --cpus 1 --dry-run)
grep -q -- "--array=1-$tasks" <<<"$dry" || fail "dry run: no --array=1-$tasks"
grep -q -- "--demos-only" <<<"$dry" || fail "dry run: no demos job"
[ ! -e "$work/dry" ] || fail "dry run wrote $work/dry"

echo "== array of $tasks tasks"
out=$("$bin" slurm submit --suite "$suite" --out "$work/array" --array-size "$tasks" --cpus 1)
echo "$out"
job=$(job_of "$out"); [ -n "$job" ] || fail "no array job id in: $out"
wait_idle "$job" "$limit"
status=$("$bin" slurm status "$work/array"); echo "$status"
grep -q "complete; array job $job" <<<"$status" || fail "status has no summary line"
if grep -q "failed\|died" <<<"$status"; then fail "a task failed: $status"; fi
cmp "$work/local/episodes.csv" "$work/array/episodes.csv" || fail "array episodes.csv differs from the local run"

echo "== cancel one task mid-run, then resume"
out=$("$bin" slurm submit --suite "$suite" --out "$work/killed" --array-size "$tasks" --cpus 1)
job=$(job_of "$out")
victim=1  # shard 1 holds the most cells (0 and 3 of 4; 0, 4, 8, 12 of 15): cancelled as soon as it runs
for _ in $(seq 1500); do
  squeue -h -r -j "$job" -t RUNNING -o %K 2>/dev/null | grep -qx "$victim" && break
  sleep 0.2
done
squeue -h -r -j "$job" -t RUNNING -o %K | grep -qx "$victim" || fail "task $victim never ran"
scancel "${job}_${victim}"
wait_idle "$job" "$limit"
status=$("$bin" slurm status "$work/killed"); echo "$status"
grep -Eq "shard +$victim: .*(died|failed|cancel)" <<<"$status" || fail "status does not show shard $victim as cancelled"
out=$("$bin" slurm submit --resume "$work/killed"); echo "$out"
job2=$(job_of "$out"); [ -n "$job2" ] || fail "resume submitted nothing: $out"
grep -q "shards $victim of $tasks" <<<"$out" || fail "resume should submit only shard $victim: $out"
wait_idle "$job2" "$limit"
"$bin" slurm status "$work/killed"
cmp "$work/local/episodes.csv" "$work/killed/episodes.csv" || fail "resumed episodes.csv differs from the local run"
again=$("$bin" slurm submit --resume "$work/killed")
grep -q "nothing to submit" <<<"$again" || fail "a complete folder was resubmitted: $again"
echo "PASS"
