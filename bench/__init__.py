"""Benchmarks that measure CityOps against baselines on the same machine, in the same run."""
