// Placeholder until the loopback ZPL printer lands.

/// A ZPL printer on loopback for tests and benchmarks.
public enum PrinterSimulator {}
