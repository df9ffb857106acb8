# bench/chart.gp - kvbench's charts from its TSV (run by make bench-chart).
# gnuplot -e "results='bench-results.tsv'" -e "scaling='bench-scaling.tsv'"
#   [-e "srcdir='...'"] chart.gp
# bench.png: the ratios libkv/alternative per workload, and what the
# format alone leaves of the raw backends (sealed/raw), on a log scale
# where 1 is parity: the median of the per-round ratios (chart.awk).
# bench-scaling.png, when scaling names a file: get latency, load rate and
# file size against N.
if (!exists("srcdir")) srcdir = system("dirname " . ARG0)
if (!exists("scaling")) scaling = ""

set terminal pngcairo size 1100,600 font "sans,10" noenhanced
set output "bench.png"
set title "libkv / alternative, ops/s ratio per workload (one run, median of the per-round ratios)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.05:100]
set ylabel "ratio (log scale; 1 = as fast)"
set xtics rotate by -20 nomirror
set grid ytics
set key outside top center horizontal
set datafile missing "NaN"
plot "< awk -f " . srcdir . "/chart.awk " . results \
	using 2:xtic(1) title "libkv-lmdb / raw LMDB", \
	'' using 3 title "libkv-sqlite / raw SQLite", \
	'' using 4 title "libkv-lmdb / GDBM", \
	'' using 5 title "libkv-sqlite / dbm.sqlite3-style", \
	'' using 6 title "format alone: sealed LMDB / raw LMDB", \
	'' using 7 title "format alone: sealed SQLite / raw SQLite", \
	1 with lines lc rgb "black" dt 2 notitle

if (strlen(scaling) == 0) exit
set output "bench-scaling.png"
set terminal pngcairo size 1300,460 font "sans,10" noenhanced
unset style
set style data linespoints
set logscale x
unset xtics
set xtics nomirror
set xlabel "records (N)"
set key below
set multiplot layout 1,3 title "scaling, one repetition per N"
sel(name, kind, work, expr) = sprintf("< awk -F'\t' '$2==\"%s\" && $3==\"%s\" && $4==\"%s\" {print $1, %s}' %s", kind, name, work, expr, scaling)
set title "random get latency"
set ylabel "us per get"
unset logscale y
set yrange [0:*]
plot for [s in "libkv-lmdb raw-lmdb libkv-sqlite raw-sqlite"] \
	sel(s, "ops_per_s", "random_get", "1e6/$5") using 1:2 title s
set title "bulk load"
set ylabel "records/s"
plot for [s in "libkv-lmdb raw-lmdb libkv-sqlite raw-sqlite"] \
	sel(s, "ops_per_s", "bulk_load", "$5") using 1:2 title s
set title "file size after load"
set ylabel "bytes per record"
plot for [s in "libkv-lmdb raw-lmdb libkv-sqlite raw-sqlite"] \
	sel(s, "memory", "file_bytes", "$5/$1") using 1:2 title s
unset multiplot
