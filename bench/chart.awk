# bench/chart.awk - from kvbench's TSV lines (N, kind, name, workload,
# value), one row per workload: the workload and the ratio of each pair
# libkv/alternative, then of the sealed stores to their raw backends (the
# format alone), NaN where the run has none; for bench/chart.gp.  The
# median of the per-round ratios (ratio_rounds) where the TSV has it, the
# one targets are judged by; else (TSV of older runs) the ratio of the
# medians.
BEGIN {
	FS = "\t"
	np = split("libkv-lmdb/raw-lmdb libkv-sqlite/raw-sqlite " \
	           "libkv-lmdb/gdbm libkv-sqlite/dbm.sqlite3 " \
	           "sealed-lmdb/raw-lmdb sealed-sqlite/raw-sqlite", pair, " ")
	nw = split("bulk_load random_get random_get_2threads full_scan " \
	           "durable_commit durable_commit_4threads record_update",
	           work, " ")
}
$2 == "ratio" && !(($3, $4) in rr) { r[$3, $4] = $5 }
$2 == "ratio_rounds" { r[$3, $4] = $5; rr[$3, $4] = 1 }
END {
	for (w = 1; w <= nw; w++) {
		line = work[w]
		for (p = 1; p <= np; p++)
			line = line " " (((pair[p], work[w]) in r) ? r[pair[p], work[w]] : "NaN")
		print line
	}
}
