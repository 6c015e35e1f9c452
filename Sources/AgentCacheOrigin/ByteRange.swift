/// A single `Range: bytes=...` request resolved against a body length (RFC 9110 §14):
/// `a-b`, `a-` and `-n`. Several ranges, other units or malformed values are ignored (the
/// whole body is served, which RFC 9110 allows). Cost: one parse of a short header.
public enum ByteRange: Sendable, Equatable {
    /// Serve the whole body (no usable Range header).
    case full
    /// Serve these bytes with 206.
    case partial(ClosedRange<Int>)
    /// 416: the range starts past the end.
    case unsatisfiable

    /// Resolves `header` (nil when absent) against a body of `length` bytes.
    public static func resolve(_ header: String?, length: Int) -> ByteRange {
        guard let header else { return .full }
        let trimmed = header.trimmingWhitespace()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .full }
        let spec = trimmed.dropFirst(6).trimmingWhitespace()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .full }
        let first = spec[..<dash].trimmingWhitespace()
        let last = spec[spec.index(after: dash)...].trimmingWhitespace()
        if first.isEmpty {
            guard let suffix = Int(last), suffix >= 0 else { return .full }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .partial(max(0, length - suffix)...(length - 1))
        }
        guard let start = Int(first), start >= 0 else { return .full }
        var end = length - 1
        if !last.isEmpty {
            guard let stated = Int(last), stated >= start else { return .full }
            end = min(stated, length - 1)
        }
        guard start < length else { return .unsatisfiable }
        return .partial(start...end)
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> Substring {
        let text = Substring(self)
        let start = text.firstIndex { $0 != " " && $0 != "\t" } ?? text.endIndex
        let end = text.lastIndex { $0 != " " && $0 != "\t" }.map { text.index(after: $0) } ?? start
        return text[start..<end]
    }
}
