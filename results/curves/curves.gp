# Diffusion Policy (CPU preset) learning curves on the quick suite's data (Push-T, claw, stack):
# evaluation of the EMA weights every 1500 steps, 50 held-out episodes each
# (seeds 100000..100049). Success with Wilson 95% intervals; score is the
# mean over episodes of the max reward. Run in this folder: gnuplot curves.gp
set terminal pngcairo size 1500,420 font "sans,11"
set output "curves.png"
set datafile separator ","
z = 1.96
n = 50.0
wlo(p) = (p + z*z/(2*n) - z*sqrt(p*(1-p)/n + z*z/(4*n*n))) / (1 + z*z/n)
whi(p) = (p + z*z/(2*n) + z*sqrt(p*(1-p)/n + z*z/(4*n*n))) / (1 + z*z/n)
set multiplot layout 1,3
set xlabel "optimiser steps (batch 256; cosine schedule ending at 12000)"
set ylabel "rate / score"
set yrange [0:1]
set xrange [0:12500]
set key top left
set grid
set title "Push-T (keypoints), 200 demos"
plot "pusht.csv" skip 1 using 1:3 with linespoints lw 2 pt 7 title "score", \
     "" skip 1 using 1:2:(wlo($2)):(whi($2)) with yerrorlines lw 2 pt 5 title "success [95% CI]", \
     0.8 with lines dt 2 lc rgb "grey" title "target score 0.8"
set title "Claw machine (state), 200 demos"
plot "claw.csv" skip 1 using 1:3 with linespoints lw 2 pt 7 title "score", \
     "" skip 1 using 1:2:(wlo($2)):(whi($2)) with yerrorlines lw 2 pt 5 title "success [95% CI]", \
     0.5 with lines dt 2 lc rgb "grey" title "target success 0.5"
set title "Stacking (state), 200 demos"
plot "stack.csv" skip 1 using 1:3 with linespoints lw 2 pt 7 title "score", \
     "" skip 1 using 1:2:(wlo($2)):(whi($2)) with yerrorlines lw 2 pt 5 title "success [95% CI]"
unset multiplot
