// Placeholder until the printing benchmarks land.
print("printing benchmarks: not written yet")
