module ginetd-bench/upgload

go 1.26
