"""The development kit: the sample city generator, the demo, the benchmarks, the scale demo
and the SFTP servers the demo and the tests run. Production code never imports it; the
CLI reaches it only for `sigap demo`, `sample`, `bench` and `scale-demo`.
"""
