import ArgumentParser

/// Parses sizes such as `1048576`, `512KiB`, `256MiB`, `1G` (suffixes are binary: k = 1024).
enum ByteCount {
    static func parse(_ text: String, flag: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: " ")
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let suffix = trimmed.dropFirst(digits.count).lowercased()
        let multipliers: [String: Int] = [
            "": 1, "b": 1,
            "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
            "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
            "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
        ]
        guard let count = Int(digits), let multiplier = multipliers[suffix] else {
            throw ValidationError("\(flag) must be a byte count such as 268435456, 256MiB or 1GiB, got '\(text)'")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ValidationError("\(flag) is too large: '\(text)'") }
        return bytes
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var slice = self[...]
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return slice
    }
}
