#!/bin/bash
# A kubesim sweep spread over a Slurm job array: task i runs shard i of N.
#
#   sbatch deploy/slurm/sweep-array.sh
#
# kubesim reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT itself; --jobs uses the CPUs
# Slurm gave the task. The parts go to a directory every node can see; the last step joins
# them once the whole array has succeeded.
#SBATCH --job-name=kubesim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=16
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

SWEEP=${SWEEP:-scenarios/sweeps/toleration-vs-availability.yaml}
RESULTS=${RESULTS:-results/$(basename "$SWEEP" .yaml)}

kubesim sweep "$SWEEP" --quiet --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    --out "$RESULTS/part-${SLURM_ARRAY_TASK_ID}"

# The first task queues the merge, to run after every task of the array succeeded.
if [ "${SLURM_ARRAY_TASK_ID}" = "0" ]; then
    sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=kubesim-merge \
        --wrap "kubesim merge $RESULTS/part-* --sweep $SWEEP --out $RESULTS/merged"
fi
