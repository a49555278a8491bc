#!/usr/bin/env bash
# bench/fuzz.sh: coverage-guided fuzzing of every parser of outside bytes (issue 17 item 2) with AFL++
# (Debian's afl++) and SharpFuzz. Builds fuzz/Netsight.Fuzz in Release, copies the output to a work folder
# and instruments the Netsight assemblies there with the sharpfuzz tool (SharpFuzz.CommandLine, installed
# as a dotnet global tool if missing), then runs `afl-fuzz` on each target in turn for --minutes N (one
# core, nice'd), seeded from fuzz/corpus/TARGET. Prints executions, exec/s, crashes and hangs per target
# and copies every crash and hang to fuzz/findings/TARGET/ (replay one with
# `dotnet fuzz/Netsight.Fuzz/bin/Release/net10.0/Netsight.Fuzz.dll TARGET FILE`). With --keep, the
# queue's new inputs (those that reached new coverage) are added to the corpus.
# --execs N stops a target earlier, after about N executions (issue 17 asks for 10,000,000 per target).
# Usage: bench/fuzz.sh [--minutes N] [--execs N] [--keep] [--work DIR] [TARGET...]   (default: every target, 10 minutes)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MINUTES=10
KEEP=0
EXECS=()
# On tmpfs when there is one: afl-fuzz writes every input to a file (and the webconfig target writes it again
# for the loader), and on a disk shared with builds those writes made webconfig 20x slower (300 vs 6,300 exec/s).
if [[ -d /dev/shm && -w /dev/shm ]]; then WORK=/dev/shm/netsight-fuzz; else WORK=${TMPDIR:-/tmp}/netsight-fuzz; fi
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
# Every Netsight assembly but the driver itself (the parsers and what they call), and YamlDotNet: the
# identity file's and the web config's parser is mostly YamlDotNet, whose branches then guide the fuzzer.
# (System.Text.Json, the hub's, is part of the shared framework and stays uninstrumented.)
for dll in "$BIN"/Netsight.*.dll "$BIN/YamlDotNet.dll"; do
  [[ $(basename "$dll") == Netsight.Fuzz.dll ]] && continue
  sharpfuzz "$dll" >/dev/null
done

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
# seconds is wall time; cpu is user+sys of afl-fuzz and the target (fairer on a shared machine); load is the
# 1-minute load average at the end.
printf '%-10s %8s %8s %12s %8s %8s %7s %7s %6s\n' target seconds cpu executions exec/s corpus crashes hangs load
for t in "${TARGETS[@]}"; do
  [[ -d $ROOT/fuzz/corpus/$t ]] || { echo "no corpus for target $t" >&2; exit 2; }
  OUT=$WORK/out/$t
  mkdir -p "$WORK/out"
  # The webconfig target writes its input to a temporary file: under $WORK, removed after the run.
  mkdir -p "$WORK/tmp"
  rm -rf "$OUT"
  start=$(date +%s)
  TMPDIR=$WORK/tmp /usr/bin/time -f '%U %S' -o "$WORK/$t.cpu" nice -n 10 afl-fuzz -i "$ROOT/fuzz/corpus/$t" -o "$OUT" -t 5000 -m none \
    -V $((MINUTES * 60)) "${EXECS[@]}" -- "$DOTNET" "$BIN/Netsight.Fuzz.dll" "$t" >"$WORK/$t.log" 2>&1 \
    || { echo "afl-fuzz failed for $t, see $WORK/$t.log" >&2; tail -5 "$WORK/$t.log" >&2; continue; }
  seconds=$(( $(date +%s) - start ))
  rm -rf "$WORK/tmp"
  stats=$OUT/default/fuzzer_stats
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  execs=$(get execs_done)
  cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$WORK/$t.cpu")
  printf '%-10s %8s %8s %12s %8s %8s %7s %7s %6s\n' "$t" "$seconds" "$cpu" "$execs" "$((execs / (seconds > 0 ? seconds : 1)))" \
    "$(get corpus_count)" "$(get saved_crashes)" "$(get saved_hangs)" "$(cut -d' ' -f1 /proc/loadavg)"
  for kind in crashes hangs; do
    found=("$OUT"/default/$kind/id:*)
    if [[ -e ${found[0]} ]]; then
      mkdir -p "$ROOT/fuzz/findings/$t"
      cp "${found[@]}" "$ROOT/fuzz/findings/$t/"
    fi
  done
  if [[ $KEEP == 1 ]]; then
    # AFL++ queues an input only when it reached new coverage, so the queue is already a small set; afl-cmin
    # cannot run here (afl-showmap sees no coverage from SharpFuzz's in-process fork server). Inputs over
    # 16 KiB stay out, to keep the corpus small.
    for f in "$OUT"/default/queue/id:*; do
      [[ $f != *orig:* && $(stat -c %s "$f") -le 16384 ]] || continue # the seeds are in the corpus already
      cp "$f" "$ROOT/fuzz/corpus/$t/afl-$(sha1sum "$f" | cut -c1-16)"
    done
  fi
done
