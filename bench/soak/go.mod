module ginetd-bench/soak

go 1.26
