#!/usr/bin/env bash
# The release profile's trade-off, measured in one run (issue 24): for each candidate
# (opt-level, lto, codegen-units), a clean release build of three representative functions
# (tournaments-get: the SDK and a Query; auth-login: argon2id; notifications-fanout: SNS
# events and @connections posts) and of one of them again after touching its source (the
# cost each further function adds), then their cold starts, peak RSS and zip sizes with
# bench/'s `coldstart` (11 starts each, beside the peers, built with the same profile).
#
# Each candidate builds in its own target directory (target/profiles/<name>) through
# cargo's CARGO_PROFILE_RELEASE_* variables, so Cargo.toml is not touched. Builds run
# under `nice -n 10` (the machine is shared); CPU seconds (user + sys) are the figure to
# compare, wall seconds depend on what else runs. Results: target/profiles/results.tsv.
#
# Usage: bench/release_profiles.sh [name …]   (default: every candidate below)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BINS=(tournaments-get auth-login notifications-fanout)
# name opt-level lto codegen-units
CANDIDATES=(
  "s-fat-1 s fat 1"
  "s-thin-16 s thin 16"
  "s-off-16 s off 16"
  "s-fat-16 s fat 16"
  "3-thin-16 3 thin 16"
  "s-thin-1 s thin 1"
  "s-off-1 s off 1"
)
wanted=("$@")
OUT=$ROOT/target/profiles
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
[ -f "$RESULTS" ] || printf 'name\topt\tlto\tcgu\tclean_wall_s\tclean_cpu_s\tone_more_wall_s\tone_more_cpu_s\n' > "$RESULTS"

timed() { # timed <file> cmd…: appends "wall cpu" of the command to <file>
  local file=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$file.t" "$@"
  awk '{printf "%s %.1f\n", $1, $2 + $3}' "$file.t" > "$file"
}

for c in "${CANDIDATES[@]}"; do
  read -r name opt lto cgu <<< "$c"
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " =~ " $name " ]]; then continue; fi
  dir=$OUT/$name
  rm -rf "$dir"
  export CARGO_TARGET_DIR=$dir CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt \
    CARGO_PROFILE_RELEASE_LTO=$lto CARGO_PROFILE_RELEASE_CODEGEN_UNITS=$cgu
  echo "== $name: opt-level=$opt lto=$lto codegen-units=$cgu ($(date +%T))"
  timed "$dir.clean" nice -n 10 cargo build -q --release $(printf -- '--bin %s ' "${BINS[@]}")
  touch functions/tournaments/src/bin/tournaments-get.rs
  timed "$dir.more" nice -n 10 cargo build -q --release --bin tournaments-get
  read -r cw cc < "$dir.clean"; read -r mw mc < "$dir.more"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$opt" "$lto" "$cgu" "$cw" "$cc" "$mw" "$mc" >> "$RESULTS"
  echo "   clean: ${cw}s wall, ${cc}s CPU; one more function: ${mw}s wall, ${mc}s CPU"
  # The bench and the peers with the same profile, untimed, then the cold starts.
  nice -n 10 cargo build -q --release -p gymit-bench -p gymit-bench-peers
  COLDSTART_RUNS=${COLDSTART_RUNS:-11} "$dir/release/coldstart" "${BINS[@]}" > "$dir.coldstart.md" 2>&1 || true
  cp "$dir/bench/coldstart.json" "$OUT/$name.coldstart.json" 2>/dev/null || true
  # Keep the numbers, free the disk (each directory is 1-2 GB).
  for b in "${BINS[@]}"; do cp "$dir/release/$b" "$OUT/$name.$b" 2>/dev/null || true; done
  rm -rf "$dir"
done
echo "results: $RESULTS"
