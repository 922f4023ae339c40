/// Prints one figure as `NAME VALUE UNIT`, the format every benchmark uses.
func report(_ name: String, _ value: Double, _ unit: String) {
    let text: String
    if !value.isFinite {
        text = String(value)
    } else if value >= 1000 {
        text = String(Int64(value.rounded()))
    } else {
        text = String((value * 100).rounded() / 100)
    }
    print("\(name) \(text) \(unit)")
}

/// Keeps `value` alive so the optimizer cannot drop the work that made it.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}

extension Duration {
    /// The duration in nanoseconds, as a Double.
    var nanoseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
