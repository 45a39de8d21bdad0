extension Duration {
    /// This duration in seconds, for Foundation's `TimeInterval` APIs and rate arithmetic.
    package var timeInterval: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }

    /// This duration in milliseconds, for logs and job records.
    package var milliseconds: Double {
        Double(self.components.seconds) * 1000 + Double(self.components.attoseconds) / 1e15
    }
}
