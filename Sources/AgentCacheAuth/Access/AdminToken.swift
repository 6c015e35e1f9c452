import Crypto

/// The admin token check: constant time in the presented token's content (both sides are
/// hashed to 32 bytes first, then compared without an early exit), so timing does not tell
/// an attacker how much of a guess was right. Cost: two SHA-256s.
public enum AdminToken {
    /// Whether `presented` equals `expected`.
    public static func matches(_ presented: String, expected: String) -> Bool {
        let left = Array(SHA256.hash(data: Array(presented.utf8)))
        let right = Array(SHA256.hash(data: Array(expected.utf8)))
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
