#!/usr/bin/env bash
# Regenerate every benchmark result and BENCHMARKS.md (nothing typed by hand):
#   bash benchmarks/run_all.sh            # every benchmarks/bench_*.py, the PTB-XL study, report
#   bash benchmarks/run_all.sh --quick    # the same, with the study's --quick variant
#   ONLY="bench_data study" bash benchmarks/run_all.sh   # a subset (names without .py)
# Each script prints its table and writes benchmarks/results/<name>.{json,md}; a failing script
# is reported at the end (exit 1) and does not stop the others. Per-script logs and wall times
# go to benchmarks/results/logs/.
set -uo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python}"
if [ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ]; then PY=.venv/bin/python; fi
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

study_args=()
for arg in "$@"; do
    case "$arg" in
        --quick) study_args+=(--quick) ;;
        *) echo "usage: bash benchmarks/run_all.sh [--quick]" >&2; exit 2 ;;
    esac
done

logs=benchmarks/results/logs
mkdir -p "$logs"
failed=()
start_all=$(date +%s)

run() {  # run NAME CMD...: log to $logs/NAME.log, print wall time, remember failures
    local name="$1"; shift
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
    local t0; t0=$(date +%s)
    echo "== $name: $*"
    if "$@" >"$logs/$name.log" 2>&1; then
        echo "   ok in $(( $(date +%s) - t0 )) s"
    else
        echo "   FAILED (exit $?) in $(( $(date +%s) - t0 )) s; last lines of $logs/$name.log:"
        tail -n 5 "$logs/$name.log" | sed 's/^/   | /'
        failed+=("$name")
    fi
}

for script in benchmarks/bench_*.py; do
    [ -e "$script" ] || continue
    run "$(basename "$script" .py)" "$PY" "$script"
done
run study "$PY" -m studies.ptbxl_sample "${study_args[@]}"
# the learning curve that chose the study's schedule (one seed; skipped by --quick)
if [ ${#study_args[@]} -eq 0 ]; then
    run study_curve "$PY" -m studies.ptbxl_sample --curve 22,110,242 --seeds 0
fi
"$PY" benchmarks/make_report.py || failed+=(make_report)

echo "total $(( $(date +%s) - start_all )) s"
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
