# gnuplot scores.gp: score and success with 95% intervals per method (scores.dat).
set terminal pngcairo size 900,480 font ",11"
set output "scores.png"
set title "Push-T, 200 expert demos, 8 CPU-minutes of training each; 50 held-out episodes (seeds 100000..100049)"
set ylabel "fraction"
set yrange [0:1]
set xrange [-0.6:5.6]
set style fill solid 0.6 border -1
set boxwidth 0.35
set key top right
set grid ytics
set xtics ("DP-C" 0, "DP-T" 1, "LSTM-GMM" 2, "BET" 3, "IBC" 4, "MLP" 5)
plot "scores.dat" using ($1-0.18):3 with boxes title "score (mean max reward)", \
     "" using ($1-0.18):3:4:5 with yerrorbars lc rgb "black" pt 0 notitle, \
     "" using ($1+0.18):6 with boxes title "success rate", \
     "" using ($1+0.18):6:7:8 with yerrorbars lc rgb "black" pt 0 notitle
