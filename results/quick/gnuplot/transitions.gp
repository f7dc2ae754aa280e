# bcbench report: Per-transition rates: of the episodes that reached a phase, the fraction that reached the next, 95% intervals
# Redraw from the report folder: gnuplot gnuplot/transitions.gp
if (!exists('png')) png = 'transitions.png'
if (!exists('svg')) svg = 'transitions.svg'
set terminal pngcairo size 1880,760 noenhanced font 'Sans,10' background rgb 'white'
set output png
reset
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set style fill solid 0.85 border rgb '#303030'
set grid ytics lc rgb '#d0d0d0'
set key below horizontal
set xtics nomirror
set multiplot layout 2,1
set title 'pusht: transition rates'
set ylabel 'rate'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:1.6]
plot 'gnuplot/transitions_pusht.dat' using 2:3:4:xtic(1) title 'diffusion' lc rgb '#f28e2b', \
     '' using 5:6:7 title 'mlp' lc rgb '#59a14f', \
     '' using 8:9:10 title 'lstm_gmm' lc rgb '#76b7b2', \
     '' using 11:12:13 title 'bet' lc rgb '#4e79a7', \
     '' using 14:15:16 title 'ibc' lc rgb '#e15759'
set title 'claw: transition rates'
set ylabel 'rate'
set yrange [0:1.05]
set xtics rotate by -25 left
set xrange [-0.6:29.6]
plot 'gnuplot/transitions_claw.dat' using 2:3:4:xtic(1) title 'diffusion' lc rgb '#f28e2b', \
     '' using 5:6:7 title 'mlp' lc rgb '#59a14f'
unset multiplot
unset output
set terminal svg size 1880,760 noenhanced font 'Sans,10' background rgb 'white'
set output svg
reset
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set style fill solid 0.85 border rgb '#303030'
set grid ytics lc rgb '#d0d0d0'
set key below horizontal
set xtics nomirror
set multiplot layout 2,1
set title 'pusht: transition rates'
set ylabel 'rate'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:1.6]
plot 'gnuplot/transitions_pusht.dat' using 2:3:4:xtic(1) title 'diffusion' lc rgb '#f28e2b', \
     '' using 5:6:7 title 'mlp' lc rgb '#59a14f', \
     '' using 8:9:10 title 'lstm_gmm' lc rgb '#76b7b2', \
     '' using 11:12:13 title 'bet' lc rgb '#4e79a7', \
     '' using 14:15:16 title 'ibc' lc rgb '#e15759'
set title 'claw: transition rates'
set ylabel 'rate'
set yrange [0:1.05]
set xtics rotate by -25 left
set xrange [-0.6:29.6]
plot 'gnuplot/transitions_claw.dat' using 2:3:4:xtic(1) title 'diffusion' lc rgb '#f28e2b', \
     '' using 5:6:7 title 'mlp' lc rgb '#59a14f'
unset multiplot
unset output
