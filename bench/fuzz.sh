#!/usr/bin/env bash
# bench/fuzz.sh: coverage-guided fuzzing of every parser of outside bytes (issue 17 item 2) with AFL++
# (Debian's afl++) and SharpFuzz. Builds fuzz/Netsight.Fuzz in Release, copies the output to a work folder
# and instruments the Netsight assemblies there with the sharpfuzz tool (SharpFuzz.CommandLine, installed
# as a dotnet global tool if missing), then runs `afl-fuzz` on each target in turn for --minutes N (one
# core, nice'd), seeded from fuzz/corpus/TARGET. Prints executions, exec/s, crashes and hangs per target
# and copies every crash and hang to fuzz/findings/TARGET/ (replay one with
# `dotnet fuzz/Netsight.Fuzz/bin/Release/net10.0/Netsight.Fuzz.dll TARGET FILE`). With --keep, the
# queue's new inputs (minimized with afl-cmin) are added to the corpus.
# --execs N stops a target earlier, after about N executions (issue 17 asks for 10,000,000 per target).
# Usage: bench/fuzz.sh [--minutes N] [--execs N] [--keep] [--work DIR] [TARGET...]   (default: every target, 10 minutes)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MINUTES=10
KEEP=0
EXECS=()
WORK=${TMPDIR:-/tmp}/netsight-fuzz
TARGETS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --execs) EXECS=(-E "$2"); shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -*) echo "usage: $0 [--minutes N] [--execs N] [--keep] [--work DIR] [TARGET...]" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(decode pcap pcapng ctnetlink inet_diag dns identity webconfig hub)

command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: scripts/install-deps.sh bench" >&2; exit 1; }
export PATH=$PATH:$HOME/.dotnet/tools
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null

dotnet build "$ROOT/fuzz/Netsight.Fuzz" -c Release -v q -nologo >/dev/null
DOTNET=$(command -v dotnet)
BIN=$WORK/bin
rm -rf "$BIN" && mkdir -p "$BIN"
cp -r "$ROOT/fuzz/Netsight.Fuzz/bin/Release/net10.0/." "$BIN/"
# Every Netsight assembly but the driver itself: the parsers and what they call.
for dll in "$BIN"/Netsight.*.dll; do
  [[ $(basename "$dll") == Netsight.Fuzz.dll ]] && continue
  sharpfuzz "$dll" >/dev/null
done

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
printf '%-10s %10s %12s %8s %8s %7s %7s\n' target seconds executions exec/s corpus crashes hangs
for t in "${TARGETS[@]}"; do
  [[ -d $ROOT/fuzz/corpus/$t ]] || { echo "no corpus for target $t" >&2; exit 2; }
  OUT=$WORK/out/$t
  rm -rf "$OUT" && mkdir -p "$WORK/out"
  start=$(date +%s)
  nice -n 10 afl-fuzz -i "$ROOT/fuzz/corpus/$t" -o "$OUT" -t 5000 -m none -V $((MINUTES * 60)) "${EXECS[@]}" \
    -- "$DOTNET" "$BIN/Netsight.Fuzz.dll" "$t" >"$WORK/$t.log" 2>&1 || { echo "afl-fuzz failed for $t, see $WORK/$t.log" >&2; tail -5 "$WORK/$t.log" >&2; continue; }
  seconds=$(( $(date +%s) - start ))
  stats=$OUT/default/fuzzer_stats
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  execs=$(get execs_done)
  printf '%-10s %10s %12s %8s %8s %7s %7s\n' "$t" "$seconds" "$execs" "$((execs / (seconds > 0 ? seconds : 1)))" \
    "$(get corpus_count)" "$(get saved_crashes)" "$(get saved_hangs)"
  for kind in crashes hangs; do
    found=("$OUT"/default/$kind/id:*)
    if [[ -e ${found[0]} ]]; then
      mkdir -p "$ROOT/fuzz/findings/$t"
      cp "${found[@]}" "$ROOT/fuzz/findings/$t/"
    fi
  done
  if [[ $KEEP == 1 ]]; then
    # afl-cmin keeps the smallest inputs that cover every edge the queue covers; new ones join the corpus.
    rm -rf "$WORK/cmin-$t"
    AFL_FORKSRV_INIT_TMOUT=20000 afl-cmin -i "$OUT/default/queue" -o "$WORK/cmin-$t" -t 5000 -m none \
      -- "$DOTNET" "$BIN/Netsight.Fuzz.dll" "$t" >"$WORK/$t.cmin.log" 2>&1 || { echo "afl-cmin failed for $t, see $WORK/$t.cmin.log" >&2; continue; }
    for f in "$WORK/cmin-$t"/*; do
      sum=$(sha1sum "$f" | cut -c1-16)
      ls "$ROOT/fuzz/corpus/$t" | xargs -I{} sha1sum "$ROOT/fuzz/corpus/$t/{}" | cut -c1-16 | grep -qx "$sum" || cp "$f" "$ROOT/fuzz/corpus/$t/afl-$sum"
    done
  fi
done
