extension Duration {
    /// Whole nanoseconds, for metrics and C timeouts (overflows only past 292 years).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
