#!/usr/bin/env bash
# The figure of pusht_methods.sh runs: score and success (95% intervals) per
# method, one bar per run (budget) side by side.
#
#   benchmarks/scripts/pusht_methods_plot.sh OUT.png RUN[=TITLE] [RUN[=TITLE] ...]
#
# RUN is an OUT folder of pusht_methods.sh (its summary.csv); TITLE names its
# bars in the key (default: the folder's name). Writes OUT.png, OUT.svg and
# OUT.dat (the numbers plotted) through gnuplot.
set -euo pipefail
png=${1:?usage: pusht_methods_plot.sh OUT.png RUN[=TITLE] ...}
shift
[ $# -ge 1 ] || { echo "usage: pusht_methods_plot.sh OUT.png RUN[=TITLE] ..." >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 2; }
base=${png%.png}
methods=(dp_cnn dp_t dp_t_nc lstm_gmm bet ibc mlp)
names=("DP-C" "DP-T" "DP-T non-causal" "LSTM-GMM" "BET" "IBC" "MLP")

dat="$base.dat.tmp"
: >"$dat"
titles=()
r=0
for arg in "$@"; do
  run=${arg%%=*}
  title=$(basename "$run")
  [ "$arg" != "$run" ] && title=${arg#*=}
  titles+=("$title")
  csv="$run/summary.csv"
  [ -f "$csv" ] || { echo "no $csv: run pusht_methods.sh first" >&2; rm -f "$dat"; exit 2; }
  echo "# run $r: $title ($csv): method score lo hi success lo hi steps" >>"$dat"
  for m in "${!methods[@]}"; do
    line=$(grep -m1 "^${methods[$m]}," "$csv" || true)
    [ -n "$line" ] || continue
    # success k/n = f [95% CI lo, hi] score (mean max reward) s [lo, hi]
    awk -v m="$m" -v label="${methods[$m]}" -F, '{
        steps = $3
        match($0, /success [0-9]+\/[0-9]+ = [0-9.]+ \[95% CI [0-9.]+, [0-9.]+\]/)
        s = substr($0, RSTART, RLENGTH); gsub(/[^0-9. ]/, " ", s); split(s, a, " ")
        match($0, /reward\) [0-9.]+ \[[0-9.]+, [0-9.]+\]/)
        c = substr($0, RSTART, RLENGTH); gsub(/[^0-9. ]/, " ", c); split(c, b, " ")
        printf "%d %s %s %s %s %s %s %s %s\n", m, label, b[1], b[2], b[3], a[3], a[5], a[6], steps
      }' <<<"$line" >>"$dat"
  done
  printf '\n\n' >>"$dat"
  r=$((r + 1))
done
mv "$dat" "$base.dat"

runs=$#
width=$(awk -v n="$runs" 'BEGIN { printf "%.3f", 0.8 / n }')
xtics=""
for m in "${!names[@]}"; do xtics+="${xtics:+, }\"${names[$m]}\" $m"; done
plot_panel() {  # column of the value, its low and high
  local col=$1 lo=$2 hi=$3 cmd="plot" i
  for ((i = 0; i < runs; i++)); do
    local off
    off=$(awk -v i="$i" -v n="$runs" -v w="$width" 'BEGIN { printf "%.3f", (i - (n - 1) / 2) * w }')
    cmd+=" \"$base.dat\" index $i using (\$1+$off):$col with boxes lc $((i + 1)) title \"${titles[$i]}\","
    cmd+=" \"\" index $i using (\$1+$off):$col:$lo:$hi with yerrorbars lc rgb \"black\" pt 0 ps 0 notitle,"
  done
  echo "${cmd%,}"
}
for term in "pngcairo size 1000,700 font \",11\"" "svg size 1000,700 font \",11\""; do
  out="$base.png"
  [[ $term == svg* ]] && out="$base.svg"
  gnuplot <<GP
set terminal $term noenhanced
set output "$out.tmp"
set multiplot layout 2,1 title "Push-T, 200 expert demos, one CPU budget per colour; 50 held-out episodes (seeds 100000..100049)"
set yrange [0:1]
set xrange [-0.6:${#methods[@]}-0.4]
set style fill solid 0.7 border -1
set boxwidth $width
set grid ytics
set key top left
set xtics ($xtics)
set ylabel "score (mean max reward)"
$(plot_panel 3 4 5)
set ylabel "success rate"
$(plot_panel 6 7 8)
unset multiplot
GP
  mv "$out.tmp" "$out"
done
echo "wrote $base.png, $base.svg, $base.dat"
