from bench.run import entry_point

entry_point()
