# bcbench report: Per-transition rates: of the episodes that reached a phase, the fraction that reached the next, 95% intervals
# Redraw from the report folder: gnuplot gnuplot/transitions.gp
if (!exists('png')) png = 'transitions.png'
if (!exists('svg')) svg = 'transitions.svg'
set terminal pngcairo size 800,380 noenhanced font 'Sans,10' background rgb 'white'
set output png
reset
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set style fill solid 0.85 border rgb '#303030'
set grid ytics lc rgb '#d0d0d0'
set key below horizontal
set xtics nomirror
set multiplot layout 1,1
set title 'pusht: transition rates'
set ylabel 'rate'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:1.6]
plot 'gnuplot/transitions_pusht.dat' using 2:3:4:xtic(1) title 'diffusion' lc rgb '#4e79a7'
unset multiplot
unset output
set terminal svg size 800,380 noenhanced font 'Sans,10' background rgb 'white'
set output svg
reset
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set style fill solid 0.85 border rgb '#303030'
set grid ytics lc rgb '#d0d0d0'
set key below horizontal
set xtics nomirror
set multiplot layout 1,1
set title 'pusht: transition rates'
set ylabel 'rate'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:1.6]
plot 'gnuplot/transitions_pusht.dat' using 2:3:4:xtic(1) title 'diffusion' lc rgb '#4e79a7'
unset multiplot
unset output
