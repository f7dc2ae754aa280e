# bcbench report: Experiment ddim_steps: success and score against inference_steps, 95% intervals
# Redraw from the report folder: gnuplot gnuplot/ablation_ddim_steps_inference_steps.gp
if (!exists('png')) png = 'ablation_ddim_steps_inference_steps.png'
if (!exists('svg')) svg = 'ablation_ddim_steps_inference_steps.svg'
set terminal pngcairo size 1100,498 noenhanced font 'Sans,10' background rgb 'white'
set output png
reset
set datafile missing 'NaN'
set grid lc rgb '#d0d0d0'
set key below horizontal
set yrange [0:1.05]
set xlabel 'inference_steps'
set xtics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50)
set logscale x 2
set xrange [0.714286:70]
set multiplot layout 1,2 title 'Experiment ddim_steps: inference_steps'
set title 'Success rate (Wilson 95%)'
set ylabel 'success'
plot 'gnuplot/ablation_ddim_steps_inference_steps.dat' index 0 using ($1*2**(0)):2:3:4 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb '#4e79a7' title 'pusht diffusion'
set title 'Score (bootstrap 95%)'
set ylabel 'score'
plot 'gnuplot/ablation_ddim_steps_inference_steps.dat' index 0 using ($1*2**(0)):5:6:7 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb '#4e79a7' title 'pusht diffusion'
unset multiplot
unset output
set terminal svg size 1100,498 noenhanced font 'Sans,10' background rgb 'white'
set output svg
reset
set datafile missing 'NaN'
set grid lc rgb '#d0d0d0'
set key below horizontal
set yrange [0:1.05]
set xlabel 'inference_steps'
set xtics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50)
set logscale x 2
set xrange [0.714286:70]
set multiplot layout 1,2 title 'Experiment ddim_steps: inference_steps'
set title 'Success rate (Wilson 95%)'
set ylabel 'success'
plot 'gnuplot/ablation_ddim_steps_inference_steps.dat' index 0 using ($1*2**(0)):2:3:4 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb '#4e79a7' title 'pusht diffusion'
set title 'Score (bootstrap 95%)'
set ylabel 'score'
plot 'gnuplot/ablation_ddim_steps_inference_steps.dat' index 0 using ($1*2**(0)):5:6:7 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb '#4e79a7' title 'pusht diffusion'
unset multiplot
unset output
