module ginetd-bench/scale

go 1.26
