# bcbench report: Mode histograms: fraction of episodes ending in each mode, policies vs demos
# Redraw from the report folder: gnuplot gnuplot/modes.gp
if (!exists('png')) png = 'modes.png'
if (!exists('svg')) svg = 'modes.svg'
set terminal pngcairo size 1040,440 noenhanced font 'Sans,10' background rgb 'white'
set output png
reset
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set style fill solid 0.85 border rgb '#303030'
set grid ytics lc rgb '#d0d0d0'
set key below horizontal
set xtics nomirror
set multiplot layout 1,2
set title 'pusht: episodes per mode (policies: Wilson 95%)'
set ylabel 'fraction of episodes'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:1.6]
plot 'gnuplot/modes_pusht.dat' using 2:3:4:xtic(1) title 'demos' lc rgb '#404040', \
     '' using 5:6:7 title 'diffusion' lc rgb '#f28e2b', \
     '' using 8:9:10 title 'mlp' lc rgb '#59a14f', \
     '' using 11:12:13 title 'lstm_gmm' lc rgb '#76b7b2', \
     '' using 14:15:16 title 'bet' lc rgb '#4e79a7', \
     '' using 17:18:19 title 'ibc' lc rgb '#e15759'
set title 'claw: episodes per mode (policies: Wilson 95%)'
set ylabel 'fraction of episodes'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:2.6]
plot 'gnuplot/modes_claw.dat' using 2:3:4:xtic(1) title 'demos' lc rgb '#404040', \
     '' using 5:6:7 title 'diffusion' lc rgb '#f28e2b', \
     '' using 8:9:10 title 'mlp' lc rgb '#59a14f'
unset multiplot
unset output
set terminal svg size 1040,440 noenhanced font 'Sans,10' background rgb 'white'
set output svg
reset
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set style fill solid 0.85 border rgb '#303030'
set grid ytics lc rgb '#d0d0d0'
set key below horizontal
set xtics nomirror
set multiplot layout 1,2
set title 'pusht: episodes per mode (policies: Wilson 95%)'
set ylabel 'fraction of episodes'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:1.6]
plot 'gnuplot/modes_pusht.dat' using 2:3:4:xtic(1) title 'demos' lc rgb '#404040', \
     '' using 5:6:7 title 'diffusion' lc rgb '#f28e2b', \
     '' using 8:9:10 title 'mlp' lc rgb '#59a14f', \
     '' using 11:12:13 title 'lstm_gmm' lc rgb '#76b7b2', \
     '' using 14:15:16 title 'bet' lc rgb '#4e79a7', \
     '' using 17:18:19 title 'ibc' lc rgb '#e15759'
set title 'claw: episodes per mode (policies: Wilson 95%)'
set ylabel 'fraction of episodes'
set yrange [0:1.05]
set xtics norotate
set xrange [-0.6:2.6]
plot 'gnuplot/modes_claw.dat' using 2:3:4:xtic(1) title 'demos' lc rgb '#404040', \
     '' using 5:6:7 title 'diffusion' lc rgb '#f28e2b', \
     '' using 8:9:10 title 'mlp' lc rgb '#59a14f'
unset multiplot
unset output
