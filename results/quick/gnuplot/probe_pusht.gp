# bcbench report: Push-T probe: the probe rollouts' agent paths over the T at its probe pose (grey) and the goal T (green), one panel per method, coloured by the mode each rollout took
# Redraw from the report folder: gnuplot gnuplot/probe_pusht.gp
if (!exists('png')) png = 'probe_pusht.png'
if (!exists('svg')) svg = 'probe_pusht.svg'
set terminal pngcairo size 1440,1040 noenhanced font 'Sans,10' background rgb 'white'
set output png
reset
set size ratio -1
set key bottom right box opaque samplen 2
set xrange [0:512]
set yrange [0:512]
set xlabel 'x (px)'
set ylabel 'y (px)'
set object 1 polygon from 213.574,213.574 to 298.426,298.426 to 277.213,319.64 to 245.393,287.82 to 181.754,351.459 to 160.541,330.246 to 224.18,266.607 to 192.36,234.787 to 213.574,213.574 fc rgb '#2ca02c' fs transparent solid 0.15 border lc rgb '#2ca02c' lw 2 back
set object 2 polygon from 157.005,270.142 to 241.858,354.995 to 220.645,376.208 to 188.825,344.388 to 125.185,408.028 to 103.972,386.815 to 167.612,323.175 to 135.792,291.355 to 157.005,270.142 fc rgb '#9a9a9a' fs transparent solid 0.6 border lc rgb '#505050' lw 1 back
set object 3 circle at 248.929,263.071 size 15 fc rgb '#303030' fs transparent solid 0.35 border lc rgb '#303030' front
set multiplot layout 2,3 title 'Push-T probe: rollouts from the left/right-symmetric start'
set title 'diffusion: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 0 with lines lw 1.3 lc rgb '#4e79a7' title 'left (13)', 'gnuplot/probe_pusht.dat' index 1 with lines lw 1.3 lc rgb '#e15759' title 'right (7)'
set title 'mlp: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 2 with lines lw 1.3 lc rgb '#e15759' title 'right (20)'
set title 'lstm_gmm: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 3 with lines lw 1.3 lc rgb '#4e79a7' title 'left (11)', 'gnuplot/probe_pusht.dat' index 4 with lines lw 1.3 lc rgb '#e15759' title 'right (9)'
set title 'bet: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 5 with lines lw 1.3 lc rgb '#4e79a7' title 'left (10)', 'gnuplot/probe_pusht.dat' index 6 with lines lw 1.3 lc rgb '#e15759' title 'right (10)'
set title 'ibc: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 7 with lines lw 1.3 lc rgb '#4e79a7' title 'left (10)', 'gnuplot/probe_pusht.dat' index 8 with lines lw 1.3 lc rgb '#e15759' title 'right (10)'
unset multiplot
unset output
set terminal svg size 1440,1040 noenhanced font 'Sans,10' background rgb 'white'
set output svg
reset
set size ratio -1
set key bottom right box opaque samplen 2
set xrange [0:512]
set yrange [0:512]
set xlabel 'x (px)'
set ylabel 'y (px)'
set object 1 polygon from 213.574,213.574 to 298.426,298.426 to 277.213,319.64 to 245.393,287.82 to 181.754,351.459 to 160.541,330.246 to 224.18,266.607 to 192.36,234.787 to 213.574,213.574 fc rgb '#2ca02c' fs transparent solid 0.15 border lc rgb '#2ca02c' lw 2 back
set object 2 polygon from 157.005,270.142 to 241.858,354.995 to 220.645,376.208 to 188.825,344.388 to 125.185,408.028 to 103.972,386.815 to 167.612,323.175 to 135.792,291.355 to 157.005,270.142 fc rgb '#9a9a9a' fs transparent solid 0.6 border lc rgb '#505050' lw 1 back
set object 3 circle at 248.929,263.071 size 15 fc rgb '#303030' fs transparent solid 0.35 border lc rgb '#303030' front
set multiplot layout 2,3 title 'Push-T probe: rollouts from the left/right-symmetric start'
set title 'diffusion: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 0 with lines lw 1.3 lc rgb '#4e79a7' title 'left (13)', 'gnuplot/probe_pusht.dat' index 1 with lines lw 1.3 lc rgb '#e15759' title 'right (7)'
set title 'mlp: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 2 with lines lw 1.3 lc rgb '#e15759' title 'right (20)'
set title 'lstm_gmm: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 3 with lines lw 1.3 lc rgb '#4e79a7' title 'left (11)', 'gnuplot/probe_pusht.dat' index 4 with lines lw 1.3 lc rgb '#e15759' title 'right (9)'
set title 'bet: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 5 with lines lw 1.3 lc rgb '#4e79a7' title 'left (10)', 'gnuplot/probe_pusht.dat' index 6 with lines lw 1.3 lc rgb '#e15759' title 'right (10)'
set title 'ibc: 20 rollouts'
plot 'gnuplot/probe_pusht.dat' index 7 with lines lw 1.3 lc rgb '#4e79a7' title 'left (10)', 'gnuplot/probe_pusht.dat' index 8 with lines lw 1.3 lc rgb '#e15759' title 'right (10)'
unset multiplot
unset output
